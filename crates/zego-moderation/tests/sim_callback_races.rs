//! A `stream_create` callback that lands while a worker holds its own copy of the ban, over
//! real HTTP against the simulator on its manual clock, driven deterministically: a store
//! wrapper runs the callback inside the worker's `update_ban`, after the worker read the
//! ban and before its write. The store merges effects, so neither writer loses the other's
//! stream, and the unban resumes every stream the ban forbade.

mod sim_common;

use std::sync::Mutex;

use zego_callback::{callback_signature, CallbackSecret, CallbackVerifier};
use zego_moderation::{
    AuditEntry, AuditFilter, BanId, BanRequest, DueWork, Enforcement, Engine, RoomListing, Scopes,
    SqliteStore, Store, StoreError, StoredBan, WorkKind,
};
use zego_sim::{Env, SimHandle};
use zego_transport_blocking::Client;

use sim_common::{client, count, publish, sim, user_ban, APP, DAY};

const CALLBACK_SECRET: &str = "cb-S3cr3t-of-the-races";

/// A store that, at the first `update_ban` matching `when`, runs `hook` (the callback)
/// before passing the write on.
struct CallbackDuringUpdate<'a> {
    inner: &'a SqliteStore,
    when: fn(&StoredBan) -> bool,
    hook: Mutex<Option<Box<dyn FnOnce() + Send + 'a>>>,
}

impl Store for CallbackDuringUpdate<'_> {
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
        if (self.when)(b) {
            let hook = self.hook.lock().unwrap().take();
            if let Some(callback) = hook {
                callback();
            }
        }
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

/// The callback service's part: `user` publishes `stream` in room1, and the service's own
/// engine (on the same store, not through the wrapper) handles the signed `stream_create`.
fn stream_created(sim: &SimHandle, client: &Client, store: &SqliteStore, user: &str, stream: &str) {
    publish(sim, "room1", user, stream).unwrap();
    let service = Engine::new(client, store, "callbacks");
    let now = service.now();
    let signature = callback_signature(CALLBACK_SECRET, &now.to_string(), "1");
    let body = format!(
        r#"{{"event":"stream_create","appid":"{APP}","timestamp":"{now}","nonce":"1","signature":"{signature}","room_id":"room1","user_id":"{user}","stream_id":"{stream}"}}"#
    );
    let verifier = CallbackVerifier::new(CallbackSecret::new(CALLBACK_SECRET).unwrap());
    let event = verifier
        .verify(body.as_bytes(), None, u64::try_from(now).unwrap())
        .unwrap();
    let forbid = service.on_stream_event(&event).unwrap().expect("forbidden");
    assert_eq!(forbid.stream_id, stream);
}

#[test]
fn a_stream_forbidden_on_callback_during_the_apply_is_kept_and_resumed_at_the_unban() {
    let sim = sim();
    let client = client(&sim);
    let inner = SqliteStore::open_in_memory().unwrap();
    publish(&sim, "room1", "troll", "s-old").unwrap();
    // The worker's first write (its forbid of the listed s-old), with its copy read before.
    let store = CallbackDuringUpdate {
        inner: &inner,
        when: |_| true,
        hook: Mutex::new(Some(Box::new(|| {
            stream_created(&sim, &client, &inner, "troll", "s-new");
        }))),
    };
    let engine = Engine::new(&client, &store, "w1");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert!(store.hook.lock().unwrap().is_none(), "the callback ran");
    assert_eq!(ban.enforcement, Enforcement::Full);
    assert_eq!(ban.effects.forbidden_streams, ["s-new", "s-old"]);
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.contains("s-old") && forbidden.contains("s-new"));

    let lifted = engine.unban(ban.id, "mod-2").unwrap();
    assert_eq!(lifted.enforcement, Enforcement::Lifted);
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.is_empty(), "both resumed: {forbidden:?}");
    assert_eq!(count(&sim, "ResumeRTCStreams"), 1);
}

#[test]
fn a_stream_forbidden_on_callback_during_the_lift_is_resumed_by_it() {
    let sim = sim();
    let client = client(&sim);
    let inner = SqliteStore::open_in_memory().unwrap();
    publish(&sim, "room1", "troll", "s-old").unwrap();
    // The lift's write, after it resumed s-old and deleted the rule (so troll can publish).
    let store = CallbackDuringUpdate {
        inner: &inner,
        when: |b| b.enforcement == Enforcement::Lifted,
        hook: Mutex::new(Some(Box::new(|| {
            stream_created(&sim, &client, &inner, "troll", "s-new");
        }))),
    };
    let engine = Engine::new(&client, &store, "w1");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert_eq!(ban.effects.forbidden_streams, ["s-old"]);

    let lifted = engine.unban(ban.id, "mod-2").unwrap();
    assert!(store.hook.lock().unwrap().is_none(), "the callback ran");
    assert_eq!(lifted.enforcement, Enforcement::Lifted);
    assert_eq!(lifted.effects.forbidden_streams, ["s-old", "s-new"]);
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.is_empty(), "both resumed: {forbidden:?}");
    assert_eq!(count(&sim, "ResumeRTCStreams"), 2);
}
