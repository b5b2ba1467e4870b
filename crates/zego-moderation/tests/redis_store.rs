//! The Redis store against a real `redis-server` per test (a free loopback port, stopped
//! by PID): the store contract shared with SQLite (`contract/`), Cluster and Sentinel
//! smoke subsets,
//! the retention of a lifted ban, and a Redis that is down, wrong or hostile.
#![cfg(feature = "redis")]

mod contract;
#[path = "../../zego-redis/tests/common/mod.rs"]
mod redis_common;

use std::time::Duration;

use redis_common::{ClusterSetup, RedisServer, SentinelSetup};
use zego_moderation::{
    Enforcement, RedisStore, Store, StoreError, WorkKind, LIFTED_BAN_RETENTION_SECS,
};
use zego_proto::AppId;

fn store(url: &str) -> RedisStore {
    RedisStore::builder(url, AppId::new(7))
        .unwrap()
        .connect()
        .unwrap()
}

#[test]
fn a_crashed_worker_loses_its_lease_and_cannot_complete_after_takeover() {
    let server = RedisServer::start();
    contract::a_crashed_worker_loses_its_lease(&store(&server.url()));
}

#[test]
fn work_is_claimed_when_due_oldest_first_and_catches_up_after_an_outage() {
    let server = RedisServer::start();
    contract::work_is_claimed_oldest_first_and_catches_up(&store(&server.url()));
}

#[test]
fn two_connections_never_share_a_piece_of_work() {
    let server = RedisServer::start();
    let url = server.url();
    contract::two_handles_never_share_a_piece_of_work(&store(&url), &store(&url), || store(&url));
}

#[test]
fn lifted_bans_leave_the_unlifted_list_and_enforcement_round_trips() {
    let server = RedisServer::start();
    contract::lifted_bans_are_never_revived(&store(&server.url()));
}

#[test]
fn no_writer_loses_another_writers_effects() {
    let server = RedisServer::start();
    contract::no_writer_loses_another_writers_effects(&store(&server.url()));
}

#[test]
fn the_audit_log_is_queryable_per_user_and_stream() {
    let server = RedisServer::start();
    contract::the_audit_log_is_queryable_per_user_and_stream(&store(&server.url()));
}

#[test]
fn a_rooms_newest_listing_is_shared_and_expires() {
    let server = RedisServer::start();
    let store = store(&server.url());
    contract::a_rooms_newest_listing_is_shared(&store);
    // It only serves ZEGO's 10 s window: the key expires (2 minutes), not kept forever.
    let mut redis = server.connection();
    let ttl: i64 = redis::cmd("TTL")
        .arg("zego:ban:{7}:l:room {1} lobby")
        .query(&mut redis)
        .unwrap();
    assert!((1..=120).contains(&ttl), "{ttl}");
}

#[test]
fn apps_and_prefixes_do_not_see_each_others_bans() {
    let server = RedisServer::start();
    let one = store(&server.url());
    let other_app = RedisStore::builder(&server.url(), AppId::new(8))
        .unwrap()
        .build();
    let other_prefix = RedisStore::builder(&server.url(), AppId::new(7))
        .unwrap()
        .key_prefix("staging")
        .build();
    one.insert_ban(&contract::user_ban("u", 60), 0).unwrap();
    assert_eq!(one.unlifted_bans().unwrap().len(), 1);
    assert!(other_app.unlifted_bans().unwrap().is_empty());
    assert!(other_prefix.claim_due("w", 0, 30, 10).unwrap().is_empty());
}

#[test]
fn every_key_carries_the_app_hash_tag_and_a_lifted_ban_expires_after_its_retention() {
    let server = RedisServer::start();
    let store = store(&server.url());
    let mut ban = store.insert_ban(&contract::user_ban("u", 60), 0).unwrap();
    store.schedule(ban.id, WorkKind::Lift, 60).unwrap();
    store
        .append_audit(&zego_moderation::AuditEntry {
            at: 0,
            ban: ban.id,
            action: "ban".into(),
            actor: "a".into(),
            reason: "r".into(),
            user_id: Some("u".into()),
            stream_id: Some("s".into()),
            request_ids: Vec::new(),
            outcome: "ok".into(),
        })
        .unwrap();
    let mut redis = server.connection();
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query(&mut redis).unwrap();
    assert!(keys.len() >= 10, "{keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with("zego:ban:{7}:")),
        "{keys:?}"
    );
    let ttl = |key: &str, redis: &mut redis::Connection| -> i64 {
        redis::cmd("TTL").arg(key).query(redis).unwrap()
    };
    let ban_key = format!("zego:ban:{{7}}:b:{}", ban.id.0);
    assert_eq!(ttl(&ban_key, &mut redis), -1, "an active ban never expires");
    ban.enforcement = Enforcement::Lifted;
    assert!(store.update_ban(&mut ban).unwrap());
    let left = ttl(&ban_key, &mut redis);
    assert!(
        (LIFTED_BAN_RETENTION_SECS - 60..=LIFTED_BAN_RETENTION_SECS).contains(&left),
        "{left}"
    );
    assert_eq!(store.ban(ban.id).unwrap().enforcement, Enforcement::Lifted);
}

#[test]
fn the_scripts_are_loaded_again_after_redis_forgets_them() {
    let server = RedisServer::start();
    let store = store(&server.url());
    let ban = store.insert_ban(&contract::user_ban("u", 60), 0).unwrap();
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query(&mut server.connection())
        .unwrap();
    // Every script answers NOSCRIPT once; redis-rs loads it and calls again.
    assert_eq!(store.ban(ban.id).unwrap(), ban);
    assert_eq!(store.claim_due("w", 0, 30, 10).unwrap().len(), 1);
    assert_eq!(store.unlifted_bans().unwrap(), [ban]);
}

#[test]
fn the_store_works_on_a_cluster_one_slot_per_app() {
    let cluster = ClusterSetup::start();
    let url = cluster.url();
    contract::a_crashed_worker_loses_its_lease(&store(&url));
    let other = RedisStore::builder(&url, AppId::new(99))
        .unwrap()
        .connect()
        .unwrap();
    contract::lifted_bans_are_never_revived(&other);
    contract::no_writer_loses_another_writers_effects(&other);
    contract::the_audit_log_is_queryable_per_user_and_stream(&other);
    // A room whose ID has braces of its own still lands on the app's slot.
    contract::a_rooms_newest_listing_is_shared(&other);
    // Every key of an app lives on the node of its slot.
    let owner = cluster.owner_of("zego:ban:{99}:ids");
    assert!(owner.is_some());
    assert_eq!(cluster.owner_of("zego:ban:{99}:audit"), owner);
}

#[test]
fn the_store_works_through_sentinel() {
    let setup = SentinelSetup::start("zego-primary");
    let store = store(&setup.url("zego-primary"));
    contract::a_crashed_worker_loses_its_lease(&store);
    // The writes went to the primary the sentinels name.
    let mut primary = setup.primary.connection();
    let ids: i64 = redis::cmd("GET")
        .arg("zego:ban:{7}:ids")
        .query(&mut primary)
        .unwrap();
    assert_eq!(ids, 1);
}

#[test]
fn a_redis_that_is_down_is_a_database_error_without_the_password_and_nothing_panics() {
    let mut server = RedisServer::start_with(&["--requirepass", "hunter2"]);
    let url = server.url();
    assert!(url.contains("hunter2"), "{url}");
    let store = RedisStore::builder(&url, AppId::new(7))
        .unwrap()
        .connect_timeout(Duration::from_millis(200))
        .response_timeout(Duration::from_millis(300))
        .connect()
        .unwrap();
    let ban = store.insert_ban(&contract::user_ban("u", 60), 0).unwrap();
    server.kill();
    let errors = [
        store.insert_ban(&contract::user_ban("u", 60), 0).err(),
        store.ban(ban.id).err(),
        store.unlifted_bans().err(),
        store.claim_due("w", 0, 30, 10).err(),
        store.schedule(ban.id, WorkKind::Renew, 1).err(),
        store.audit(&zego_moderation::AuditFilter::default()).err(),
    ];
    for error in errors {
        let error = error.expect("an error while Redis is down");
        assert!(matches!(error, StoreError::Database(_)), "{error:?}");
        assert!(!error.to_string().contains("hunter2"), "{error}");
    }
    // Back (empty: the test server has no persistence): the store reconnects by itself.
    server.restart();
    assert!(store.unlifted_bans().is_ok());
}

#[test]
fn a_wrong_password_is_a_configuration_error_at_connect_and_a_database_error_later() {
    let server = RedisServer::start_with(&["--requirepass", "right"]);
    let wrong = server.url().replace("right", "hunter2");
    let err = RedisStore::builder(&wrong, AppId::new(7))
        .unwrap()
        .connect()
        .unwrap_err();
    assert!(
        matches!(err, zego_redis::RedisConfigError::Authentication { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("hunter2"));
    let lazy = RedisStore::builder(&wrong, AppId::new(7)).unwrap().build();
    let err = lazy.unlifted_bans().unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn a_hostile_redis_that_sends_a_huge_reply_is_an_error_not_an_allocation() {
    // Something that answers every request with a 2 GB bulk-string header, then trickles.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let serve = std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { break };
            let mut buf = [0u8; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 {
                    break;
                }
                if stream.write_all(b"$2000000000\r\n").is_err() {
                    break;
                }
                let _ = stream.write_all(&vec![b'x'; 2 * 1024 * 1024]);
            }
        }
    });
    let store = RedisStore::builder(&format!("redis://127.0.0.1:{port}/"), AppId::new(7))
        .unwrap()
        .response_timeout(Duration::from_millis(500))
        .build();
    let err = store.unlifted_bans().unwrap_err();
    assert!(matches!(err, StoreError::Database(_)), "{err:?}");
    drop(store);
    drop(serve); // the thread ends when the test process does
}
