//! The embedded default store: one SQLite file (WAL, synchronous NORMAL, a busy timeout), shareable by every
//! worker on the machine; `claim_due` runs in an `IMMEDIATE` transaction, so two workers never
//! lease the same work.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::ban::BanRequest;
use crate::store::{
    AuditEntry, AuditFilter, BanId, DueWork, Effects, Enforcement, RoomListing, Store, StoreError,
    StoredBan, WorkKind,
};

/// How long a call waits for another connection's write lock before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS bans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    request TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ends_at INTEGER,
    enforcement TEXT NOT NULL,
    effects TEXT NOT NULL,
    lifted INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS work (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ban INTEGER NOT NULL REFERENCES bans(id),
    kind TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    leased_by TEXT,
    lease_until INTEGER
);
CREATE INDEX IF NOT EXISTS work_due ON work(due_at);
CREATE TABLE IF NOT EXISTS audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    user_id TEXT,
    stream_id TEXT,
    entry TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_user ON audit(user_id);
CREATE INDEX IF NOT EXISTS audit_stream ON audit(stream_id);
CREATE TABLE IF NOT EXISTS listings (
    room_id TEXT PRIMARY KEY,
    listed_at INTEGER NOT NULL,
    listing TEXT NOT NULL
);
";

/// A [`Store`] in one SQLite file (or in memory, for tests).
///
/// ```
/// use std::time::Duration;
/// use zego_moderation::{BanDuration, BanRequest, SqliteStore, Store, Target, WorkKind};
///
/// let store = SqliteStore::open_in_memory()?;
/// let request = BanRequest::new(
///     Target::Stream { stream_id: "s1".into() },
///     BanDuration::For(Duration::from_secs(60)),
///     "spam",
///     "mod",
/// )?;
/// let ban = store.insert_ban(&request, 1_000)?;
/// let work = store.claim_due("worker-1", 1_000, 30, 10)?;
/// assert_eq!(work.len(), 1);
/// assert_eq!(work[0].kind, WorkKind::Apply);
/// assert!(store.claim_due("worker-2", 1_000, 30, 10)?.is_empty()); // leased
/// assert!(store.complete(&work[0], "worker-1")?);
/// assert_eq!(store.ban(ban.id)?.ends_at, Some(1_060));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

#[allow(clippy::needless_pass_by_value)] // used as `map_err(db)`
fn db(e: rusqlite::Error) -> StoreError {
    StoreError::Database(e.to_string())
}

fn corrupt(what: impl Into<String>, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.into(),
        reason: e.to_string(),
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt("(encoding)", e))
}

type BanRow = (i64, String, i64, Option<i64>, String, String);

impl SqliteStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::with(Connection::open(path).map_err(db)?)
    }

    /// A store in memory (gone when dropped).
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Self::with(Connection::open_in_memory().map_err(db)?)
    }

    fn with(conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(BUSY_TIMEOUT).map_err(db)?;
        // WAL lets readers run beside the one writer; in memory it stays "memory".
        conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
            .map_err(db)?;
        // In WAL mode, NORMAL syncs at checkpoints, not at every commit: a commit survives a
        // crash of the process (every worker crash the leases are for) and the file never
        // corrupts; a power loss or OS crash may roll back the last commits, always a tail
        // (effects and the completion of their work together, so the work is done again).
        // FULL would fsync every commit, and a raid commits several times per ban: on a busy
        // disk the store, not ZEGO's quota, then sets the pace (BENCHMARKS.md, the raid).
        conn.execute_batch("PRAGMA synchronous=NORMAL")
            .map_err(db)?;
        conn.execute_batch(SCHEMA).map_err(db)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn decode(row: BanRow) -> Result<StoredBan, StoreError> {
        let (id, request, created_at, ends_at, enforcement, effects) = row;
        let what = || format!("ban b{id}");
        Ok(StoredBan {
            id: BanId(id),
            request: serde_json::from_str(&request).map_err(|e| corrupt(what(), e))?,
            created_at,
            ends_at,
            enforcement: serde_json::from_str(&enforcement).map_err(|e| corrupt(what(), e))?,
            effects: serde_json::from_str(&effects).map_err(|e| corrupt(what(), e))?,
        })
    }
}

const BAN_COLUMNS: &str = "id, request, created_at, ends_at, enforcement, effects";

fn ban_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<BanRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

impl Store for SqliteStore {
    fn insert_ban(&self, request: &BanRequest, now_secs: i64) -> Result<StoredBan, StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let ends_at = request.ends_at(now_secs);
        tx.execute(
            "INSERT INTO bans (request, created_at, ends_at, enforcement, effects) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                json(request)?,
                now_secs,
                ends_at,
                json(&Enforcement::Pending)?,
                json(&Effects::default())?
            ],
        )
        .map_err(db)?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO work (ban, kind, due_at) VALUES (?1, ?2, ?3)",
            params![id, WorkKind::Apply.as_str(), now_secs],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(StoredBan {
            id: BanId(id),
            request: request.clone(),
            created_at: now_secs,
            ends_at,
            enforcement: Enforcement::Pending,
            effects: Effects::default(),
        })
    }

    fn ban(&self, id: BanId) -> Result<StoredBan, StoreError> {
        let row = self
            .conn()
            .query_row(
                &format!("SELECT {BAN_COLUMNS} FROM bans WHERE id = ?1"),
                [id.0],
                ban_row,
            )
            .optional()
            .map_err(db)?;
        Self::decode(row.ok_or(StoreError::NoSuchBan(id))?)
    }

    fn unlifted_bans(&self) -> Result<Vec<StoredBan>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {BAN_COLUMNS} FROM bans WHERE lifted = 0 ORDER BY id"
            ))
            .map_err(db)?;
        let rows = stmt
            .query_map([], ban_row)
            .map_err(db)?
            .collect::<Result<Vec<_>, _>>()
            .map_err(db)?;
        rows.into_iter().map(Self::decode).collect()
    }

    fn update_ban(&self, ban: &mut StoredBan) -> Result<bool, StoreError> {
        let lifted = ban.enforcement == Enforcement::Lifted;
        let mut conn = self.conn();
        // Read, merge and write under the write lock, so no other writer slips in between.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let stored: Option<(String, bool)> = tx
            .query_row(
                "SELECT effects, lifted FROM bans WHERE id = ?1",
                [ban.id.0],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((stored, was_lifted)) = stored else {
            return Err(StoreError::NoSuchBan(ban.id));
        };
        if was_lifted {
            return Ok(false);
        }
        let stored: Effects = serde_json::from_str(&stored)
            .map_err(|e| corrupt(format!("effects of ban {}", ban.id), e))?;
        let mut effects = ban.effects.clone();
        effects.merge_stored(&stored);
        tx.execute(
            "UPDATE bans SET enforcement = ?2, effects = ?3, lifted = ?4 WHERE id = ?1",
            params![ban.id.0, json(&ban.enforcement)?, json(&effects)?, lifted],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        ban.effects = effects;
        Ok(true)
    }

    fn schedule(&self, ban: BanId, kind: WorkKind, due_at: i64) -> Result<(), StoreError> {
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        tx.execute(
            "DELETE FROM work WHERE ban = ?1 AND kind = ?2 AND leased_by IS NULL",
            params![ban.0, kind.as_str()],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO work (ban, kind, due_at) VALUES (?1, ?2, ?3)",
            params![ban.0, kind.as_str(), due_at],
        )
        .map_err(db)?;
        tx.commit().map_err(db)
    }

    fn claim_due(
        &self,
        worker: &str,
        now_secs: i64,
        lease_secs: i64,
        limit: usize,
    ) -> Result<Vec<DueWork>, StoreError> {
        let lease_until = now_secs.saturating_add(lease_secs);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db)?;
        let rows: Vec<(i64, i64, String, i64)> = {
            let mut stmt = tx
                .prepare(
                    "SELECT id, ban, kind, due_at FROM work
                     WHERE due_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
                     ORDER BY due_at, id LIMIT ?2",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![now_secs, limit], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })
                .map_err(db)?
                .collect::<Result<_, _>>()
                .map_err(db)?;
            rows
        };
        let mut claimed = Vec::with_capacity(rows.len());
        for (id, ban, kind, due_at) in rows {
            tx.execute(
                "UPDATE work SET leased_by = ?2, lease_until = ?3 WHERE id = ?1",
                params![id, worker, lease_until],
            )
            .map_err(db)?;
            let kind = WorkKind::parse(&kind).ok_or_else(|| corrupt(format!("work {id}"), kind))?;
            claimed.push(DueWork {
                id,
                ban: BanId(ban),
                kind,
                due_at,
                lease_until,
            });
        }
        tx.commit().map_err(db)?;
        Ok(claimed)
    }

    fn complete(&self, work: &DueWork, worker: &str) -> Result<bool, StoreError> {
        let n = self
            .conn()
            .execute(
                "DELETE FROM work WHERE id = ?1 AND leased_by = ?2 AND lease_until = ?3",
                params![work.id, worker, work.lease_until],
            )
            .map_err(db)?;
        Ok(n == 1)
    }

    fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO audit (at, user_id, stream_id, entry) VALUES (?1, ?2, ?3, ?4)",
                params![entry.at, entry.user_id, entry.stream_id, json(entry)?],
            )
            .map_err(db)?;
        Ok(())
    }

    fn audit(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare(
                "SELECT id, entry FROM audit
                 WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR stream_id = ?2)
                 ORDER BY id",
            )
            .map_err(db)?;
        let rows: Vec<(i64, String)> = stmt
            .query_map(params![filter.user_id, filter.stream_id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(db)?
            .collect::<Result<_, _>>()
            .map_err(db)?;
        rows.into_iter()
            .map(|(id, text)| {
                serde_json::from_str(&text).map_err(|e| corrupt(format!("audit {id}"), e))
            })
            .collect()
    }

    fn recent_listing(
        &self,
        room_id: &str,
        not_before: i64,
    ) -> Result<Option<RoomListing>, StoreError> {
        let text: Option<String> = self
            .conn()
            .query_row(
                "SELECT listing FROM listings WHERE room_id = ?1 AND listed_at >= ?2",
                params![room_id, not_before],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        text.map(|t| {
            serde_json::from_str(&t).map_err(|e| corrupt(format!("listing of {room_id}"), e))
        })
        .transpose()
    }

    fn save_listing(&self, listing: &RoomListing) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "INSERT INTO listings (room_id, listed_at, listing) VALUES (?1, ?2, ?3)
                 ON CONFLICT(room_id) DO UPDATE SET listed_at = excluded.listed_at,
                 listing = excluded.listing WHERE excluded.listed_at >= listings.listed_at",
                params![listing.room_id, listing.listed_at, json(listing)?],
            )
            .map_err(db)?;
        Ok(())
    }
}
