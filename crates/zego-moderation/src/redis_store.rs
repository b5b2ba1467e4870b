//! The fleet store: bans, leased due work and the audit log in Redis, one Lua script per
//! [`Store`] method (EVALSHA, loaded again after a NOSCRIPT), on `zego-redis`'s bounded
//! connection: the coordinator's URL forms (standalone, `redis+sentinel://`,
//! `redis+cluster://`, `rediss://` with `zego-redis/tls-rustls`), a connect timeout, one
//! deadline per reply and a size cap per reply ([`zego_redis::SCRIPT_REPLY_BUDGET`]).
//!
//! # Key layout
//!
//! Every key of one app's store starts with `<prefix>:ban:{<AppId>}` (prefix default
//! `zego`), so all of them share the AppId's hash tag, hence one Cluster slot, and every
//! method is one script on one node:
//!
//! ```text
//! P = <prefix>:ban:{<AppId>}
//! P:ids             INCR counter of ban IDs                                 no TTL
//! P:b:<id>          hash: request, created_at, ends_at, enforcement,
//!                   effects (JSON where structured), lifted (0/1)            no TTL while
//!                                                                            unlifted; 30 days
//!                                                                            once lifted
//! P:unlifted        sorted set of the unlifted bans' IDs (score = ID)       no TTL
//! P:wids            INCR counter of work IDs                                no TTL
//! P:due             sorted set of work, score = due time, member = the
//!                   work ID padded to 16 digits (ties sort by ID)           no TTL
//! P:w:<work id>     hash: ban, kind, due_at, leased_by, lease_until         deleted on complete
//! P:bw:<id>         set of the ban's work IDs                               as the ban
//! P:audit:n         INCR counter of audit entries                           no TTL
//! P:audit           hash: entry number -> the entry (JSON), append-only     no TTL
//! P:au:<UserId>     list of the entry numbers naming the user               no TTL
//! P:as:<StreamId>   list of the entry numbers naming the stream             no TTL
//! P:l:<RoomId>      hash: at, listing (JSON): the room's newest stream
//!                   listing, shared by the fleet's workers                  2 minutes
//! ```
//!
//! A listing serves only ZEGO's 10 s room window, so its key expires after
//! [`LISTING_TTL_SECS`] (2 minutes: the window with room for clocks that differ).
//!
//! A lifted ban's hash (and its work set) expires [`LIFTED_BAN_RETENTION_SECS`] (30 days,
//! Redis's clock) after the lift: long enough for `bans list`, an appeal or a dispute, and
//! an app that bans all day does not grow Redis forever. Active bans never expire. The
//! audit log is kept, like SQLite's: it is the record; trim it with your own retention if
//! you need one (`HDEL`, `LTRIM`).
//!
//! The audit log is a hash by entry number rather than a list, so that reading an entry
//! an index names is one `HGET` (a list's `LINDEX` walks it); it is only ever appended to.
//!
//! # Atomicity and cost
//!
//! `claim_due` walks the due set from the oldest piece and skips work under a live lease
//! (at most what the workers claimed in one lease period: a few batches), so a claim costs
//! the pieces it takes plus those it skips, never the whole backlog of future work.
//!
//! Each method is one script, hence atomic. The listings (`unlifted_bans`, `audit`) are
//! read in pages of [`PAGE`] records (each page one script, so a reply stays under the size
//! cap): a listing sees every record that existed when it started and was not removed
//! meanwhile, in order; a record added during the listing may or may not appear.
//!
//! # Failures
//!
//! A Redis that is down, slow, or answers out of bounds, and a wrong configuration (a
//! wrong password, a missing ACL permission), are [`StoreError::Database`] with a text that
//! never contains the password; a reply that does not decode is [`StoreError::Corrupt`].

use std::fmt;
use std::time::Duration;

use zego_proto::AppId;
use zego_redis::{RedisConfigError, RedisScript, RedisScriptError, RedisScriptRunner};

use crate::ban::BanRequest;
use crate::store::{
    AuditEntry, AuditFilter, BanId, DueWork, Effects, Enforcement, RoomListing, Store, StoreError,
    StoredBan, WorkKind,
};

mod scripts;

use scripts::Scripts;

/// How long a lifted ban stays readable in Redis (seconds): 30 days.
pub const LIFTED_BAN_RETENTION_SECS: i64 = 30 * 86_400;

/// How long a room's stream listing is kept (seconds): it only serves ZEGO's 10 s window.
const LISTING_TTL_SECS: i64 = 120;

/// Records per page of a listing (one script each).
const PAGE: usize = 64;

/// A [`Store`] in Redis, shared by every worker of a fleet: each piece of due work is
/// leased to one worker at a time, across every machine.
///
/// ```
/// use std::time::Duration;
/// use zego_moderation::RedisStore;
/// use zego_proto::AppId;
///
/// let store = RedisStore::builder("redis://:hunter2@127.0.0.1:6379/0", AppId::new(1234))?
///     .key_prefix("zego")
///     .response_timeout(Duration::from_millis(500))
///     .build(); // lazy: the first call connects
/// assert!(!store.redacted_url().contains("hunter2"));
/// assert!(!format!("{store:?}").contains("hunter2"));
/// # Ok::<(), zego_redis::RedisConfigError>(())
/// ```
pub struct RedisStore {
    runner: RedisScriptRunner,
    /// `<prefix>:ban:{<AppId>}`: `KEYS[1]` of every script.
    prefix: String,
    scripts: Scripts,
}

/// Configures a [`RedisStore`]. Start with [`RedisStore::builder`].
pub struct RedisStoreBuilder {
    runner: RedisScriptRunner,
    app_id: AppId,
    key_prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl RedisStore {
    /// A builder for `app_id`'s ban store on this Redis (the URL forms of
    /// [`zego_redis::RedisCoordinator::builder`]). A URL that cannot be used is an error
    /// naming the problem, never the password.
    ///
    /// ```
    /// use zego_moderation::RedisStore;
    /// use zego_proto::AppId;
    /// let err = RedisStore::builder("http://:hunter2@example.com", AppId::new(1)).unwrap_err();
    /// assert!(!err.to_string().contains("hunter2"));
    /// ```
    pub fn builder(url: &str, app_id: AppId) -> Result<RedisStoreBuilder, RedisConfigError> {
        let connect_timeout = Duration::from_millis(200);
        let response_timeout = Duration::from_secs(1);
        Ok(RedisStoreBuilder {
            runner: RedisScriptRunner::new(url, connect_timeout, response_timeout)?,
            app_id,
            key_prefix: "zego".to_owned(),
            connect_timeout,
            response_timeout,
        })
    }

    /// The URL, with its password redacted.
    pub fn redacted_url(&self) -> String {
        self.runner.redacted_url()
    }

    fn run(&self, script: &RedisScript, args: &[&[u8]]) -> Result<redis::Value, StoreError> {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        self.runner
            .run(script, std::slice::from_ref(&self.prefix), &args)
            .map_err(database)
    }
}

impl RedisStoreBuilder {
    /// The prefix of every key (default `zego`, the coordinator's; `{` and `}` are dropped,
    /// so the AppId stays the hash tag).
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into().replace(['{', '}'], "");
        self
    }

    /// How long a connection attempt may take (default 200 ms).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long Redis may take to answer one call, the whole reply (default 1 s: ban work
    /// is not latency-critical, and a claim may scan leased work).
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Builds the store. Nothing is connected yet: the first call connects
    /// ([`RedisStoreBuilder::connect`] checks the configuration now).
    pub fn build(self) -> RedisStore {
        RedisStore {
            runner: self
                .runner
                .with_timeouts(self.connect_timeout, self.response_timeout),
            prefix: format!("{}:ban:{{{}}}", self.key_prefix, self.app_id),
            scripts: Scripts::new(),
        }
    }

    /// Builds the store and connects now: a wrong password or user, a missing ACL
    /// permission, or something other than Redis at the address is an error; an
    /// unreachable Redis is not (every call is then a [`StoreError::Database`] until it
    /// answers).
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_moderation::RedisStore;
    /// use zego_proto::AppId;
    /// // Nothing listens on port 1: an outage, not a configuration error.
    /// let store = RedisStore::builder("redis://127.0.0.1:1/", AppId::new(1))?
    ///     .connect_timeout(Duration::from_millis(100))
    ///     .connect()?;
    /// # Ok::<(), zego_redis::RedisConfigError>(())
    /// ```
    pub fn connect(self) -> Result<RedisStore, RedisConfigError> {
        let store = self.build();
        store.runner.check(&store.prefix)?;
        Ok(store)
    }
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("url", &self.runner.redacted_url())
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for RedisStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStoreBuilder")
            .field("url", &self.runner.redacted_url())
            .field("app_id", &self.app_id)
            .field("key_prefix", &self.key_prefix)
            .field("connect_timeout", &self.connect_timeout)
            .field("response_timeout", &self.response_timeout)
            .finish()
    }
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(database)`
fn database(error: RedisScriptError) -> StoreError {
    StoreError::Database(error.to_string())
}

fn corrupt(what: impl Into<String>, reason: impl fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        reason: reason.to_string(),
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("(encoding)", e))
}

fn decode<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt(what, e))
}

fn int(what: &str, value: &redis::Value) -> Result<i64, StoreError> {
    match value {
        redis::Value::Int(n) => Ok(*n),
        redis::Value::BulkString(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| corrupt(what, "not an integer")),
        other => Err(corrupt(what, format!("not an integer: {other:?}"))),
    }
}

fn text(what: &str, value: &redis::Value) -> Result<String, StoreError> {
    match value {
        redis::Value::BulkString(bytes) => {
            String::from_utf8(bytes.clone()).map_err(|_| corrupt(what, "not UTF-8"))
        }
        redis::Value::Nil => Ok(String::new()),
        other => Err(corrupt(what, format!("not a string: {other:?}"))),
    }
}

fn array(what: &str, value: redis::Value) -> Result<Vec<redis::Value>, StoreError> {
    match value {
        redis::Value::Array(items) => Ok(items),
        redis::Value::Nil => Ok(Vec::new()),
        other => Err(corrupt(what, format!("not an array: {other:?}"))),
    }
}

/// A ban from its five stored fields (request, created_at, ends_at, enforcement, effects).
fn ban_of(id: i64, fields: &[redis::Value]) -> Result<StoredBan, StoreError> {
    let what = format!("ban b{id}");
    let [request, created_at, ends_at, enforcement, effects] = fields else {
        return Err(corrupt(what, "not five fields"));
    };
    let ends_at = text(&what, ends_at)?;
    Ok(StoredBan {
        id: BanId(id),
        request: decode(&what, &text(&what, request)?)?,
        created_at: int(&what, created_at)?,
        ends_at: if ends_at.is_empty() {
            None
        } else {
            Some(ends_at.parse().map_err(|e| corrupt(&what, e))?)
        },
        enforcement: decode(&what, &text(&what, enforcement)?)?,
        effects: decode::<Effects>(&what, &text(&what, effects)?)?,
    })
}

/// An optional ID as a script argument: `''` for none, else `=` and the ID.
fn optional(id: Option<&str>) -> Vec<u8> {
    id.map_or_else(Vec::new, |id| format!("={id}").into_bytes())
}

impl Store for RedisStore {
    fn insert_ban(&self, request: &BanRequest, now_secs: i64) -> Result<StoredBan, StoreError> {
        let ends_at = request.ends_at(now_secs);
        let reply = self.run(
            &self.scripts.insert_ban,
            &[
                json(request)?.as_bytes(),
                now_secs.to_string().as_bytes(),
                ends_at
                    .map(|e| e.to_string())
                    .unwrap_or_default()
                    .as_bytes(),
                json(&Enforcement::Pending)?.as_bytes(),
                json(&Effects::default())?.as_bytes(),
            ],
        )?;
        Ok(StoredBan {
            id: BanId(int("new ban's ID", &reply)?),
            request: request.clone(),
            created_at: now_secs,
            ends_at,
            enforcement: Enforcement::Pending,
            effects: Effects::default(),
        })
    }

    fn ban(&self, id: BanId) -> Result<StoredBan, StoreError> {
        let reply = self.run(&self.scripts.get_ban, &[id.0.to_string().as_bytes()])?;
        if reply == redis::Value::Nil {
            return Err(StoreError::NoSuchBan(id));
        }
        ban_of(id.0, &array(&format!("ban {id}"), reply)?)
    }

    fn unlifted_bans(&self) -> Result<Vec<StoredBan>, StoreError> {
        let mut bans = Vec::new();
        let mut after = 0;
        loop {
            let reply = self.run(
                &self.scripts.unlifted_page,
                &[after.to_string().as_bytes(), PAGE.to_string().as_bytes()],
            )?;
            let fields = array("unlifted bans", reply)?;
            if fields.is_empty() {
                return Ok(bans);
            }
            for record in fields.chunks(6) {
                let id = int("unlifted ban's ID", &record[0])?;
                bans.push(ban_of(id, &record[1..])?);
                after = id;
            }
        }
    }

    fn update_ban(&self, ban: &mut StoredBan) -> Result<bool, StoreError> {
        let lifted = ban.enforcement == Enforcement::Lifted;
        let reply = self.run(
            &self.scripts.update_ban,
            &[
                ban.id.0.to_string().as_bytes(),
                json(&ban.enforcement)?.as_bytes(),
                json(&ban.effects)?.as_bytes(),
                if lifted { b"1" } else { b"0" },
                LIFTED_BAN_RETENTION_SECS.to_string().as_bytes(),
            ],
        )?;
        let what = format!("effects of ban {}", ban.id);
        match reply {
            redis::Value::Int(0) => Ok(false),
            redis::Value::Int(_) => Err(StoreError::NoSuchBan(ban.id)),
            stored => {
                ban.effects = decode::<Effects>(&what, &text(&what, &stored)?)?;
                Ok(true)
            }
        }
    }

    fn schedule(&self, ban: BanId, kind: WorkKind, due_at: i64) -> Result<(), StoreError> {
        self.run(
            &self.scripts.schedule,
            &[
                ban.0.to_string().as_bytes(),
                kind.as_str().as_bytes(),
                due_at.to_string().as_bytes(),
            ],
        )
        .map(drop)
    }

    fn claim_due(
        &self,
        worker: &str,
        now_secs: i64,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<DueWork>, StoreError> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let lease_until = now_secs.saturating_add(lease_secs);
        let reply = self.run(
            &self.scripts.claim_due,
            &[
                now_secs.to_string().as_bytes(),
                lease_until.to_string().as_bytes(),
                worker.as_bytes(),
                limit.to_string().as_bytes(),
            ],
        )?;
        let fields = array("claimed work", reply)?;
        fields
            .chunks(4)
            .map(|piece| {
                let [id, ban, kind, due_at] = piece else {
                    return Err(corrupt("claimed work", "not four fields"));
                };
                let id = int("work ID", id)?;
                let what = format!("work {id}");
                let kind = text(&what, kind)?;
                Ok(DueWork {
                    id,
                    ban: BanId(int(&what, ban)?),
                    kind: WorkKind::parse(&kind).ok_or_else(|| corrupt(&what, kind))?,
                    due_at: int(&what, due_at)?,
                    lease_until,
                })
            })
            .collect()
    }

    fn complete(&self, work: &DueWork, worker: &str) -> Result<bool, StoreError> {
        let reply = self.run(
            &self.scripts.complete,
            &[
                work.id.to_string().as_bytes(),
                worker.as_bytes(),
                work.lease_until.to_string().as_bytes(),
            ],
        )?;
        Ok(int("complete's answer", &reply)? == 1)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.run(
            &self.scripts.append_audit,
            &[
                json(entry)?.as_bytes(),
                &optional(entry.user_id.as_deref()),
                &optional(entry.stream_id.as_deref()),
            ],
        )
        .map(drop)
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        // The narrowest index: the user's (checking the stream too), the stream's, or all.
        let (index, id, also_stream) = match (&filter.user_id, &filter.stream_id) {
            (Some(user), stream) => ("user", user.as_str(), stream.as_deref()),
            (None, Some(stream)) => ("stream", stream.as_str(), None),
            (None, None) => ("all", "", None),
        };
        let also_stream = optional(also_stream);
        let mut entries = Vec::new();
        let mut cursor = 0;
        loop {
            let reply = self.run(
                &self.scripts.audit_page,
                &[
                    index.as_bytes(),
                    id.as_bytes(),
                    &also_stream,
                    cursor.to_string().as_bytes(),
                    PAGE.to_string().as_bytes(),
                ],
            )?;
            let items = array("audit page", reply)?;
            let Some((next, page)) = items.split_first() else {
                return Err(corrupt("audit page", "empty"));
            };
            for item in page {
                entries.push(decode("audit entry", &text("audit entry", item)?)?);
            }
            cursor = int("audit cursor", next)?;
            if cursor == 0 {
                return Ok(entries);
            }
        }
    }

    fn recent_listing(
        &self,
        room_id: &str,
        not_before: i64,
    ) -> Result<Option<RoomListing>, StoreError> {
        let reply = self.run(
            &self.scripts.recent_listing,
            &[room_id.as_bytes(), not_before.to_string().as_bytes()],
        )?;
        if reply == redis::Value::Nil {
            return Ok(None);
        }
        let what = format!("listing of {room_id}");
        decode(&what, &text(&what, &reply)?).map(Some)
    }

    fn save_listing(&self, listing: &RoomListing) -> Result<(), StoreError> {
        self.run(
            &self.scripts.save_listing,
            &[
                listing.room_id.as_bytes(),
                listing.listed_at.to_string().as_bytes(),
                json(listing)?.as_bytes(),
                LISTING_TTL_SECS.to_string().as_bytes(),
            ],
        )
        .map(drop)
    }
}
