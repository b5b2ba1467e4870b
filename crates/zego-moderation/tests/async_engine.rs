//! The async engine against the simulator: the same 3-day ban as the blocking engine's
//! test, run by both engines on their own simulators, with the same outcome.
#![cfg(feature = "async")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{count, sim, user_ban, SimTime, APP, DAY, SECRET};
use zego_moderation::{AsyncEngine, AuditFilter, Enforcement, Engine, Scopes, SqliteStore, Store};
use zego_proto::{Credentials, Endpoint};
use zego_sim::{Env, Refusal, SimHandle};

/// What a 3-day ban did, as the simulator and the store saw it.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    applied: Enforcement,
    forbidden: Vec<String>,
    kicked: bool,
    refused_every_hour: bool,
    lifted: Enforcement,
    allowed_after: bool,
    requests: Vec<(&'static str, usize)>,
    audit: Vec<String>,
}

const ACTIONS: [&str; 5] = [
    "DescribeSimpleStreamList",
    "ForbidRTCStreams",
    "KickoutUser",
    "SetForbidUserRule",
    "ResumeRTCStreams",
];

fn login_refused(sim: &SimHandle) -> bool {
    matches!(
        sim.try_login_user(APP, Env::Production, "room1", "troll", "troll", 2),
        Err(Refusal::LoginForbidden { .. })
    )
}

fn outcome(
    sim: &SimHandle,
    store: &SqliteStore,
    applied: &zego_moderation::StoredBan,
    refused_every_hour: bool,
) -> Outcome {
    Outcome {
        applied: applied.enforcement.clone(),
        forbidden: applied.effects.forbidden_streams.clone(),
        kicked: applied.effects.kicked,
        refused_every_hour,
        lifted: store.ban(applied.id).unwrap().enforcement,
        allowed_after: !login_refused(sim),
        requests: ACTIONS.iter().map(|a| (*a, count(sim, a))).collect(),
        audit: store
            .audit(&AuditFilter::default())
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect(),
    }
}

fn blocking_run() -> Outcome {
    let sim = sim();
    let client = common::client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    sim.publish_stream(APP, Env::Production, "room1", "troll", "s-troll");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, 3 * DAY))
        .unwrap();
    let mut refused = true;
    while sim.clock().now_secs() + 3600 < ban.ends_at.unwrap() {
        sim.clock().advance(Duration::from_secs(3600));
        engine.tick().unwrap();
        refused &= login_refused(&sim);
    }
    sim.clock().set(ban.ends_at.unwrap() * 1000);
    engine.tick().unwrap();
    outcome(&sim, &store, &ban, refused)
}

async fn async_run() -> Outcome {
    let sim = sim();
    let client = zego_transport_async::Client::builder(Credentials::new(APP, SECRET).unwrap())
        .endpoint(Endpoint::custom(&sim.base_url()).unwrap())
        .clock(Arc::new(SimTime(sim.clock().clone())))
        .no_rate_limit()
        .build();
    let store = Arc::new(SqliteStore::open_in_memory().unwrap());
    let engine = AsyncEngine::new(client, Arc::clone(&store), "w1");
    sim.publish_stream(APP, Env::Production, "room1", "troll", "s-troll");
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, 3 * DAY))
        .await
        .unwrap();
    let mut refused = true;
    while sim.clock().now_secs() + 3600 < ban.ends_at.unwrap() {
        sim.clock().advance(Duration::from_secs(3600));
        engine.tick().await.unwrap();
        refused &= login_refused(&sim);
    }
    sim.clock().set(ban.ends_at.unwrap() * 1000);
    engine.tick().await.unwrap();
    outcome(&sim, &store, &ban, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_async_engine_holds_a_three_day_ban_as_the_blocking_engine_does() {
    let blocking = tokio::task::spawn_blocking(blocking_run).await.unwrap();
    let from_async = async_run().await;
    assert_eq!(from_async, blocking);
    assert_eq!(from_async.applied, Enforcement::Full);
    assert_eq!(from_async.forbidden, ["s-troll"]);
    assert!(from_async.kicked && from_async.refused_every_hour && from_async.allowed_after);
    assert_eq!(from_async.lifted, Enforcement::Lifted);
    assert_eq!(
        from_async.audit,
        ["ban", "apply", "renew", "renew", "renew", "lift"]
    );
}

#[tokio::test(flavor = "current_thread")]
async fn the_async_engine_runs_on_a_current_thread_runtime_too() {
    let sim = sim();
    let client = zego_transport_async::Client::builder(Credentials::new(APP, SECRET).unwrap())
        .endpoint(Endpoint::custom(&sim.base_url()).unwrap())
        .clock(Arc::new(SimTime(sim.clock().clone())))
        .no_rate_limit()
        .build();
    let engine = AsyncEngine::new(
        client,
        Arc::new(SqliteStore::open_in_memory().unwrap()),
        "w1",
    );
    let ban = engine
        .ban(&user_ban("troll", "room1", Scopes::ALL, DAY))
        .await
        .unwrap();
    assert_eq!(ban.enforcement, Enforcement::Full);
    assert!(login_refused(&sim));
    engine.unban(ban.id, "mod-2").await.unwrap();
    assert!(!login_refused(&sim));
}
