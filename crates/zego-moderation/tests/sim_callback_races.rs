//! A `stream_create` callback that lands while a worker holds its own copy of the ban, over
//! real HTTP against the simulator on its manual clock, driven deterministically: a store
//! wrapper runs the callback inside the worker's `update_ban`, after the worker read the
//! ban and before its write. The store merges effects, so neither writer loses the other's
//! stream, and the unban resumes every stream the ban forbade.

mod common;

use std::sync::{Arc, Mutex};

use zego_callback::{callback_signature, CallbackSecret, CallbackVerifier};
use zego_moderation::{Enforcement, Engine, Scopes, SqliteStore, StoredBan};
use zego_sim::{Env, SimHandle};
use zego_transport_blocking::Client;

use common::hooked::HookedStore;
use common::{client, count, publish, sim, user_ban, APP, DAY};

const CALLBACK_SECRET: &str = "cb-S3cr3t-of-the-races";

/// A store that, at the first `update_ban` matching `when`, runs `callback` before passing
/// the write on; `ran` tells whether it ran.
fn callback_during_update<'a>(
    inner: &'a SqliteStore,
    when: fn(&StoredBan) -> bool,
    callback: impl FnOnce() + Send + 'a,
) -> (HookedStore<'a>, Arc<Mutex<bool>>) {
    let pending: Mutex<Option<Box<dyn FnOnce() + Send + 'a>>> =
        Mutex::new(Some(Box::new(callback)));
    let ran = Arc::new(Mutex::new(false));
    let mut store = HookedStore::new(inner);
    let flag = Arc::clone(&ran);
    store.before_update = Box::new(move |ban| {
        if when(ban) {
            if let Some(callback) = pending.lock().unwrap().take() {
                callback();
                *flag.lock().unwrap() = true;
            }
        }
    });
    (store, ran)
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
    let (store, ran) = callback_during_update(
        &inner,
        |_| true,
        || {
            stream_created(&sim, &client, &inner, "troll", "s-new");
        },
    );
    let engine = Engine::new(&client, &store, "w1");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert!(*ran.lock().unwrap(), "the callback ran");
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
    let (store, ran) = callback_during_update(
        &inner,
        |b| b.enforcement == Enforcement::Lifted,
        || stream_created(&sim, &client, &inner, "troll", "s-new"),
    );
    let engine = Engine::new(&client, &store, "w1");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert_eq!(ban.effects.forbidden_streams, ["s-old"]);

    let lifted = engine.unban(ban.id, "mod-2").unwrap();
    assert!(*ran.lock().unwrap(), "the callback ran");
    assert_eq!(lifted.enforcement, Enforcement::Lifted);
    assert_eq!(lifted.effects.forbidden_streams, ["s-old", "s-new"]);
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.is_empty(), "both resumed: {forbidden:?}");
    assert_eq!(count(&sim, "ResumeRTCStreams"), 2);
}
