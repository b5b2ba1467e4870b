//! A raid: many user bans in one room applied in batches (one listing, forbids 20 per call,
//! kicks 5 per call, then the rules), a batch that uses half its lease handing the rest
//! back, and a failure mid-batch that loses nothing done.

mod common;

use std::time::Duration;

use common::hooked::HookedStore;
use common::{client, count, sim_without_quotas as sim, user_ban, APP, DAY};
use zego_moderation::{
    AuditEntry, AuditFilter, BanId, Enforcement, Engine, Scopes, SqliteStore, Store,
};
use zego_sim::{Env, SimHandle};

const ROOM: &str = "raid";

/// `n` raiders, each publishing one stream in the room, beside a host who is not banned.
fn raiders(sim: &SimHandle, n: usize) -> Vec<String> {
    assert!(sim.publish_stream(APP, Env::Production, ROOM, "host", "s-host"));
    (0..n)
        .map(|i| {
            let user = format!("u{i:03}");
            assert!(sim.publish_stream(APP, Env::Production, ROOM, &user, &format!("s-{user}")));
            user
        })
        .collect()
}

fn ban_all(store: &SqliteStore, users: &[String], now: i64) -> Vec<BanId> {
    users
        .iter()
        .map(|u| {
            store
                .insert_ban(&user_ban(u, ROOM, Scopes::ALL, DAY), now)
                .unwrap()
                .id
        })
        .collect()
}

fn applies(store: &SqliteStore) -> Vec<AuditEntry> {
    store
        .audit(&AuditFilter::default())
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "apply")
        .collect()
}

#[test]
fn a_raid_in_one_room_costs_one_listing_and_batched_forbids_and_kicks() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    let users = raiders(&sim, 60);
    let bans = ban_all(&store, &users, sim.clock().now_secs());

    let report = engine.tick().unwrap();
    assert_eq!((report.done, report.failed, report.handed_back), (60, 0, 0));
    assert_eq!(count(&sim, "DescribeSimpleStreamList"), 1);
    assert_eq!(count(&sim, "ForbidRTCStreams"), 3);
    assert_eq!(count(&sim, "KickoutUser"), 12);
    assert_eq!(count(&sim, "SetForbidUserRule"), 60);
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert_eq!(forbidden.len(), 60);
    assert!(!forbidden.contains("s-host"));
    let room = sim.room(APP, Env::Production, ROOM).unwrap();
    assert_eq!(room.users.keys().collect::<Vec<_>>(), ["host"]);
    for (id, user) in bans.iter().zip(&users) {
        let ban = store.ban(*id).unwrap();
        assert_eq!(ban.enforcement, Enforcement::Full);
        assert_eq!(ban.effects.forbidden_streams, [format!("s-{user}")]);
        assert!(ban.effects.kicked);
    }
    // Each ban's audit names the calls that served it: the shared listing, its forbid
    // batch, its kick batch, its own rule.
    let audit = applies(&store);
    assert_eq!(audit.len(), 60);
    let listing = &audit[0].request_ids[0];
    for entry in &audit {
        assert_eq!(entry.request_ids.len(), 4, "{entry:?}");
        assert_eq!(&entry.request_ids[0], listing);
    }
    assert_ne!(audit[0].request_ids[1], audit[20].request_ids[1]);
    assert_eq!(audit[0].request_ids[1], audit[19].request_ids[1]);
    assert_eq!(audit[0].request_ids[2], audit[4].request_ids[2]);

    // A ban 5 s later reuses the listing (ZEGO allows one per 10 s per room)...
    sim.clock().advance(Duration::from_secs(5));
    assert!(sim.publish_stream(APP, Env::Production, ROOM, "late", "s-late"));
    let late = engine
        .ban(&user_ban("late", ROOM, Scopes::ALL, DAY))
        .unwrap();
    assert_eq!(count(&sim, "DescribeSimpleStreamList"), 1);
    assert_eq!(applies(&store).last().unwrap().request_ids[0], *listing);
    // ...so it misses a stream started after that listing; the kick ends it, and the rule
    // keeps the user from publishing again.
    assert!(late.effects.forbidden_streams.is_empty());
    assert!(late.effects.kicked);
    assert!(sim
        .try_publish_stream(APP, Env::Production, ROOM, "late", "s-late")
        .is_err());
    // 10 s after the listing, a new one.
    sim.clock().advance(Duration::from_secs(5));
    assert!(sim.publish_stream(APP, Env::Production, ROOM, "later", "s-later"));
    let later = engine
        .ban(&user_ban("later", ROOM, Scopes::ALL, DAY))
        .unwrap();
    assert_eq!(count(&sim, "DescribeSimpleStreamList"), 2);
    assert_eq!(later.effects.forbidden_streams, ["s-later"]);
}

/// A store whose every `complete` takes 7 simulated seconds, so a batch uses half its
/// lease (30 s of 60) after five pieces.
fn slow_completes<'a>(inner: &'a SqliteStore, sim: &'a SimHandle) -> HookedStore<'a> {
    let mut store = HookedStore::new(inner);
    store.before_complete = Box::new(move |_| sim.clock().advance(Duration::from_secs(7)));
    store
}

#[test]
fn a_batch_that_used_half_its_lease_hands_the_rest_back_and_the_room_part_is_not_redone() {
    let sim = sim();
    let client = client(&sim);
    let inner = SqliteStore::open_in_memory().unwrap();
    let slow = slow_completes(&inner, &sim);
    let engine = Engine::new(&client, &slow, "w1");
    let users = raiders(&sim, 10);
    let bans = ban_all(&inner, &users, sim.clock().now_secs());

    let report = engine.tick().unwrap();
    // Pieces start at 0, 7, 14, 21, 28 s; at 35 s the other five go back, and the next
    // claim (a fresh lease) sets their rules.
    assert_eq!((report.done, report.handed_back, report.failed), (10, 5, 0));
    assert_eq!(count(&sim, "DescribeSimpleStreamList"), 1);
    assert_eq!(count(&sim, "ForbidRTCStreams"), 1);
    assert_eq!(count(&sim, "KickoutUser"), 2);
    assert_eq!(count(&sim, "SetForbidUserRule"), 10);
    for id in &bans {
        assert_eq!(inner.ban(*id).unwrap().enforcement, Enforcement::Full);
    }
    // The handed-back bans' audit keeps the room calls that served them, then the rule.
    let audit = applies(&inner);
    let handed: Vec<&AuditEntry> = audit.iter().filter(|e| e.outcome != "ok").collect();
    assert_eq!(handed.len(), 5);
    assert!(
        handed.iter().all(|e| e.request_ids.len() == 3),
        "{handed:?}"
    );
    assert_eq!(audit.iter().filter(|e| e.outcome == "ok").count(), 10);
}

#[test]
fn a_failure_mid_batch_keeps_what_was_done_and_the_retry_completes_it() {
    let sim = sim();
    let client = client(&sim);
    let store = SqliteStore::open_in_memory().unwrap();
    let engine = Engine::new(&client, &store, "w1");
    let users = raiders(&sim, 10);
    let bans = ban_all(&store, &users, sim.clock().now_secs());
    // Code 3 (authentication failed): never retried by the client.
    sim.set_faults(zego_sim::FaultPlan::new().action(
        "SetForbidUserRule",
        zego_sim::Fault::Code(3),
        1.0,
    ));
    let report = engine.tick().unwrap();
    assert_eq!((report.done, report.failed), (0, 10));
    for (id, user) in bans.iter().zip(&users) {
        let ban = store.ban(*id).unwrap();
        assert!(matches!(ban.enforcement, Enforcement::Failing { .. }));
        // What the batch did is saved: a lift would undo it.
        assert_eq!(ban.effects.forbidden_streams, [format!("s-{user}")]);
        assert!(ban.effects.kicked);
    }
    sim.set_faults(zego_sim::FaultPlan::new());
    sim.clock().advance(Duration::from_secs(61));
    assert_eq!(engine.tick().unwrap().done, 10);
    for id in &bans {
        let ban = store.ban(*id).unwrap();
        assert_eq!(ban.enforcement, Enforcement::Full);
        assert_eq!(ban.effects.forbidden_streams.len(), 1);
    }
    assert_eq!(count(&sim, "SetForbidUserRule"), 10);
}
