//! A fleet on one Redis store against the simulator over real HTTP, on its manual clock:
//! two workers (two engines, two clients) send each renewal and each lift once, a worker
//! whose lease lapsed mid-renewal is taken over with no minute without the rule, and a
//! Redis that goes down makes the engine fail cleanly (an error, no panic).
#![cfg(feature = "redis")]

mod common;
#[path = "../../zego-redis/tests/common/mod.rs"]
mod redis_common;

use std::time::Duration;

use redis_common::RedisServer;
use zego_moderation::{Enforcement, Engine, EngineError, RedisStore, Scopes, Store, StoreError};
use zego_proto::AppId;

use common::{
    client, count, login, sim, two_workers_through_a_crashed_renewal, user_ban, APP, DAY,
};

fn store(url: &str) -> RedisStore {
    RedisStore::builder(url, AppId::new(APP))
        .unwrap()
        .connect()
        .unwrap()
}

#[test]
fn two_workers_on_one_redis_send_each_renewal_and_lift_once_even_after_a_lapsed_lease() {
    let server = RedisServer::start();
    let sim = sim();
    let (s1, s2) = (store(&server.url()), store(&server.url()));
    // At the first renewal w1 claims the work and "crashes" in the middle of it: its lease
    // (60 s) lapses, and w2 takes the renewal over.
    let (ban, lost) = two_workers_through_a_crashed_renewal(&sim, &s1, &s2);
    assert_eq!(ban.enforcement, Enforcement::Full);
    assert!(!s1.complete(&lost[0], "w1").unwrap(), "the lapsed lease");
    // The rule at the ban, then one renewal a day: each sent once across both workers.
    assert_eq!(count(&sim, "SetForbidUserRule"), 4);
    assert_eq!(count(&sim, "DelForbidUserRule"), 1);
    assert_eq!(count(&sim, "KickoutUser"), 1);
    assert_eq!(login(&sim, "room1", "troll"), Ok(()));
    assert_eq!(s2.ban(ban.id).unwrap().enforcement, Enforcement::Lifted);
    assert!(s2.unlifted_bans().unwrap().is_empty());
    let actions: Vec<String> = s2
        .audit(&zego_moderation::AuditFilter::default())
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["ban", "apply", "renew", "renew", "renew", "lift"]);
}

#[test]
fn a_redis_that_goes_down_makes_the_engine_fail_cleanly_and_it_resumes_when_redis_is_back() {
    let mut server = RedisServer::start_with(&["--requirepass", "hunter2"]);
    let sim = sim();
    let client = client(&sim);
    let store = RedisStore::builder(&server.url(), AppId::new(APP))
        .unwrap()
        .response_timeout(Duration::from_millis(300))
        .connect()
        .unwrap();
    let engine = Engine::new(&client, &store, "w1");
    engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .unwrap();
    let sent_before = sim.request_log().len();
    server.kill();
    sim.clock().advance(Duration::from_secs(60));
    let tick = engine.tick().unwrap_err();
    assert!(
        matches!(tick, EngineError::Store(StoreError::Database(_))),
        "{tick:?}"
    );
    assert!(!tick.to_string().contains("hunter2"), "{tick}");
    let ban = engine
        .ban(&user_ban("other", "room1", Scopes::ALL, DAY))
        .unwrap_err();
    assert!(matches!(ban, EngineError::Store(_)), "{ban:?}");
    // Nothing was sent while the store could not answer.
    assert_eq!(sim.request_log().len(), sent_before);
    // Back (empty: the test server keeps nothing): the engine works again.
    server.restart();
    sim.clock().advance(Duration::from_secs(11));
    let again = engine
        .ban(&user_ban("other", "room1", Scopes::ALL, DAY))
        .unwrap();
    assert_eq!(again.enforcement, Enforcement::Full);
    assert!(engine.tick().is_ok());
}
