//! A store that forwards every call to a `SqliteStore` and runs the test's hooks at the
//! moments a test needs to interleave something (a callback, the clock moving).

use zego_moderation::{
    AuditEntry, AuditFilter, BanId, BanRequest, DueWork, RoomListing, SqliteStore, Store,
    StoreError, StoredBan, WorkKind,
};

/// What a hook sees and does: run before the call is passed on.
type Hook<'a, T> = Box<dyn Fn(&T) + Send + Sync + 'a>;

/// Forwards to `inner`; `before_update` runs before each `update_ban` (with the writer's
/// copy), `before_complete` before each `complete`.
pub struct HookedStore<'a> {
    pub inner: &'a SqliteStore,
    pub before_update: Hook<'a, StoredBan>,
    pub before_complete: Hook<'a, DueWork>,
}

impl<'a> HookedStore<'a> {
    /// No hooks yet.
    pub fn new(inner: &'a SqliteStore) -> Self {
        Self {
            inner,
            before_update: Box::new(|_| {}),
            before_complete: Box::new(|_| {}),
        }
    }
}

impl Store for HookedStore<'_> {
    fn insert_ban(&self, r: &BanRequest, now: i64) -> Result<StoredBan, StoreError> {
        self.inner.insert_ban(r, now)
    }
    fn ban(&self, id: BanId) -> Result<StoredBan, StoreError> {
        self.inner.ban(id)
    }
    fn unlifted_bans(&self) -> Result<Vec<StoredBan>, StoreError> {
        self.inner.unlifted_bans()
    }
    fn update_ban(&self, b: &mut StoredBan) -> Result<bool, StoreError> {
        (self.before_update)(b);
        self.inner.update_ban(b)
    }
    fn schedule(&self, id: BanId, kind: WorkKind, at: i64) -> Result<(), StoreError> {
        self.inner.schedule(id, kind, at)
    }
    fn claim_due(
        &self,
        w: &str,
        now: i64,
        lease: i64,
        limit: usize,
    ) -> Result<Vec<DueWork>, StoreError> {
        self.inner.claim_due(w, now, lease, limit)
    }
    fn complete(&self, work: &DueWork, w: &str) -> Result<bool, StoreError> {
        (self.before_complete)(work);
        self.inner.complete(work, w)
    }
    fn append_audit(&self, e: &AuditEntry) -> Result<(), StoreError> {
        self.inner.append_audit(e)
    }
    fn audit(&self, f: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.inner.audit(f)
    }
    fn recent_listing(&self, room: &str, since: i64) -> Result<Option<RoomListing>, StoreError> {
        self.inner.recent_listing(room, since)
    }
    fn save_listing(&self, listing: &RoomListing) -> Result<(), StoreError> {
        self.inner.save_listing(listing)
    }
}
