//! The store: bans, their due work under leases, and the audit log, behind one trait so the
//! embedded SQLite default and a fleet store (Redis, later) are interchangeable.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ban::BanRequest;

/// A ban's ID in its store (shown as `b<N>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BanId(pub i64);

impl fmt::Display for BanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b{}", self.0)
    }
}

/// How a ban is being enforced right now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Enforcement {
    /// Stored, not applied yet (its first due work is `Apply`).
    Pending,
    /// Every means the ban has is in place (rule(s), forbids, kick).
    Full,
    /// ZEGO refused the rule for its cap (50123): the ban holds through the listed means
    /// only (stream forbids, the kick, token refusal) and the rule is retried at each renewal.
    WithoutRule {
        /// The means still in place, e.g. `["stream forbids", "kick", "token refusal"]`.
        means: Vec<String>,
    },
    /// The last attempt failed (the work is retried); the text says what failed.
    Failing {
        /// What failed.
        reason: String,
    },
    /// Lifted: what the ban did has been undone.
    Lifted,
}

/// What applying a ban actually did, so a lift undoes exactly that.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Effects {
    /// Streams this ban forbade on RTC (resumed at the lift unless another ban needs them).
    pub forbidden_streams: Vec<String>,
    /// Whether this ban set a user rule (deleted at the lift unless another ban needs it).
    pub user_rule: bool,
    /// Whether this ban set a stream rule (media bans).
    pub stream_rule: bool,
    /// Unix second at which the rule(s) set by this ban lapse at ZEGO.
    pub rule_expires_at: Option<i64>,
    /// Whether the user was kicked.
    pub kicked: bool,
    /// Unix second at which the room part of the last apply (list, forbid, kick) completed:
    /// a batch that hands a ban back before its rule (its lease running short) leaves it
    /// `Pending` with this set, and the next worker sets only the rule.
    #[serde(default)]
    pub room_done_at: Option<i64>,
}

impl Effects {
    /// Merges the effects a store already holds into these (a writer's), as
    /// [`Store::update_ban`] does: what only grows while a ban is unlifted is kept —
    /// `forbidden_streams` becomes the stored streams (in their order) followed by this
    /// writer's streams not stored yet, and `user_rule`, `stream_rule` and `kicked` are set
    /// if either side set them — while `rule_expires_at` and `room_done_at`, which move both
    /// ways, are this writer's. So two workers (or a worker and a callback) that each
    /// recorded something in their own copy of a ban both keep it.
    ///
    /// ```
    /// use zego_moderation::Effects;
    /// let stored = Effects { forbidden_streams: vec!["s1".into()], kicked: true, ..Effects::default() };
    /// let mut mine = Effects { forbidden_streams: vec!["s2".into()], rule_expires_at: Some(9), ..Effects::default() };
    /// mine.merge_stored(&stored);
    /// assert_eq!(mine.forbidden_streams, ["s1", "s2"]);
    /// assert!(mine.kicked);
    /// assert_eq!(mine.rule_expires_at, Some(9));
    /// ```
    pub fn merge_stored(&mut self, stored: &Effects) {
        let mine = std::mem::take(&mut self.forbidden_streams);
        for s in stored.forbidden_streams.iter().cloned().chain(mine) {
            if !self.forbidden_streams.contains(&s) {
                self.forbidden_streams.push(s);
            }
        }
        self.user_rule |= stored.user_rule;
        self.stream_rule |= stored.stream_rule;
        self.kicked |= stored.kicked;
    }
}

/// A ban as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredBan {
    /// Its ID.
    pub id: BanId,
    /// What was asked.
    pub request: BanRequest,
    /// When it was stored (Unix seconds).
    pub created_at: i64,
    /// When it ends (Unix seconds; `None`: never).
    pub ends_at: Option<i64>,
    /// How it is enforced now.
    pub enforcement: Enforcement,
    /// What it did so far.
    pub effects: Effects,
}

impl StoredBan {
    /// Whether the ban is in force at `now_secs` (stored, not lifted, not past its end).
    pub fn is_active_at(&self, now_secs: i64) -> bool {
        self.enforcement != Enforcement::Lifted && self.ends_at.is_none_or(|end| now_secs < end)
    }
}

/// A kind of due work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkKind {
    /// Apply the ban (list streams, forbid, kick, set rules).
    Apply,
    /// Set the rule(s) again before they lapse at ZEGO.
    Renew,
    /// Undo what the ban did.
    Lift,
}

impl WorkKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Apply => "apply",
            Self::Renew => "renew",
            Self::Lift => "lift",
        }
    }

    /// The kind of a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "apply" => Some(Self::Apply),
            "renew" => Some(Self::Renew),
            "lift" => Some(Self::Lift),
            _ => None,
        }
    }
}

/// One piece of due work, leased to the worker that claimed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DueWork {
    /// The work's ID in the store.
    pub id: i64,
    /// The ban it is for.
    pub ban: BanId,
    /// What to do.
    pub kind: WorkKind,
    /// When it was due (Unix seconds).
    pub due_at: i64,
    /// The Unix second the lease runs out: after it, another worker may claim the work.
    pub lease_until: i64,
}

/// One audit record: every ban, renewal, lift and failure.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// When (Unix seconds).
    pub at: i64,
    /// The ban.
    pub ban: BanId,
    /// What happened: `ban`, `apply`, `renew`, `reapply` (a renewal after the rule lapsed),
    /// `lift`, `unban`, `forbid_on_callback` (a new stream the ban covers, forbidden when its
    /// `stream_create` arrived; `stream_id` is that stream).
    pub action: String,
    /// Who asked for the ban (or the unban).
    pub actor: String,
    /// Why.
    pub reason: String,
    /// The user the ban targets, if a user ban.
    pub user_id: Option<String>,
    /// The stream the ban targets, if a stream or media ban (for `forbid_on_callback`, the
    /// stream forbidden).
    pub stream_id: Option<String>,
    /// ZEGO's RequestIds of the calls made.
    pub request_ids: Vec<String>,
    /// `ok`, or what failed.
    pub outcome: String,
}

/// One live stream of a room, as a listing saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListedStream {
    /// The stream.
    pub stream_id: String,
    /// Its publisher.
    pub user_id: String,
}

/// A room's stream listing (`DescribeSimpleStreamList`) with its time, kept in the store so
/// that one listing per room and per ZEGO window (1 call per 10 s per room) serves every ban
/// applied in that room meanwhile, by any worker of the fleet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomListing {
    /// The room.
    pub room_id: String,
    /// When it was listed (Unix seconds, the engine's clock).
    pub listed_at: i64,
    /// The streams live then.
    pub streams: Vec<ListedStream>,
    /// ZEGO's RequestId of the listing (each ban it serves records it in its audit).
    pub request_id: String,
}

/// Which audit entries to read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditFilter {
    /// Only entries of bans on this user.
    pub user_id: Option<String>,
    /// Only entries of bans on this stream.
    pub stream_id: Option<String>,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed (I/O, lock timeout, corruption).
    #[error("ban store: {0}")]
    Database(String),
    /// A stored record does not decode (written by an incompatible version?).
    #[error("ban store: record {what} does not decode: {reason}")]
    Corrupt {
        /// Which record.
        what: String,
        /// Why.
        reason: String,
    },
    /// No ban with this ID.
    #[error("no ban {0}")]
    NoSuchBan(BanId),
}

/// Where bans, their due work and the audit log live. Every method is atomic; `claim_due`
/// hands each piece of work to one worker at a time (a lease), so any number of workers may
/// share one store.
pub trait Store: Send + Sync {
    /// Stores a new ban and its first due work (`Apply`, due at `now_secs`).
    fn insert_ban(&self, request: &BanRequest, now_secs: i64) -> Result<StoredBan, StoreError>;
    /// One ban.
    fn ban(&self, id: BanId) -> Result<StoredBan, StoreError>;
    /// Every ban not lifted (those past their end but not lifted yet included).
    fn unlifted_bans(&self) -> Result<Vec<StoredBan>, StoreError>;
    /// Writes a ban's enforcement and effects, atomically, and never loses an effect another
    /// writer recorded: the enforcement is replaced (last writer wins), the effects are
    /// merged with the stored ones ([`Effects::merge_stored`]: forbidden streams and the
    /// rule/kick flags only grow while a ban is unlifted; `rule_expires_at` and
    /// `room_done_at` are the writer's). On `true`, `ban.effects` is what is now stored, so
    /// the writer's copy is current (a lift written this way learns of every stream
    /// recorded until then). `false` (nothing changes, `ban` untouched) when the ban is
    /// already lifted, so a worker never revives a ban another worker lifted meanwhile.
    ///
    /// No engine path removes a stream or clears a flag of an unlifted ban: a lift marks
    /// the ban lifted and keeps its effects as the record of what it undid.
    fn update_ban(&self, ban: &mut StoredBan) -> Result<bool, StoreError>;
    /// Schedules work for a ban (replacing any unleased work of the same kind for it).
    fn schedule(&self, ban: BanId, kind: WorkKind, due_at: i64) -> Result<(), StoreError>;
    /// Claims up to `limit` pieces of work due at `now_secs` that no live lease holds, leasing
    /// them to `worker` until `now_secs + lease_secs`, oldest due first.
    fn claim_due(
        &self,
        worker: &str,
        now_secs: i64,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<DueWork>, StoreError>;
    /// Marks claimed work done; `false` (nothing changes) when `worker` no longer holds its
    /// lease (it ran out and another worker claimed it).
    fn complete(&self, work: &DueWork, worker: &str) -> Result<bool, StoreError>;
    /// Appends an audit entry.
    fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;
    /// Audit entries matching `filter`, oldest first.
    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError>;

    /// The newest listing of `room_id` taken at or after `not_before` (Unix seconds), if the
    /// store keeps listings. The default keeps none (every apply then lists the room
    /// itself, waiting for ZEGO's per-room window when another worker just listed it).
    fn recent_listing(
        &self,
        room_id: &str,
        not_before: i64,
    ) -> Result<Option<RoomListing>, StoreError> {
        let _ = (room_id, not_before);
        Ok(None)
    }

    /// Keeps a room's listing for [`Store::recent_listing`] (replacing the room's older
    /// one). The default keeps nothing.
    fn save_listing(&self, listing: &RoomListing) -> Result<(), StoreError> {
        let _ = listing;
        Ok(())
    }
}
