//! Sentinel: one primary, one replica, three sentinels (`redis-server --sentinel`), each on
//! a free loopback port and stopped by PID. An unknown master name is a configuration
//! error; with the primary killed, the coordinator follows the sentinels to the promoted
//! replica (it asks them again for every new connection), and no stream's Sequence goes
//! backwards.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::SentinelSetup;
use redis::Commands;
use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, RateLimitKey};
use zego_proto::{ops::RateLimitGroup, AppId, Environment};
use zego_redis::{RedisConfigError, RedisCoordinator};

fn key() -> RateLimitKey {
    RateLimitKey {
        app_id: AppId::new(5),
        environment: Environment::Production,
        group: RateLimitGroup::StreamForbid,
    }
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

fn coordinator(url: &str) -> RedisCoordinator {
    RedisCoordinator::builder(url)
        .unwrap()
        .connect_timeout(Duration::from_millis(500))
        .response_timeout(Duration::from_millis(500))
        .retry_interval(Duration::from_millis(200))
        .build()
}

/// Admits one sequenced request as a call would (waiting when told to).
fn sequence(c: &RedisCoordinator, streams: &[String]) -> u64 {
    let mut request = AdmissionRequest::new(key(), now()).with_sequence_for(streams);
    loop {
        match c.admit(&request).unwrap() {
            Admission::Go { sequence: Some(s) } => return s.get(),
            Admission::Wait { delay, booking } => {
                std::thread::sleep(delay);
                request = AdmissionRequest::new(key(), now())
                    .with_sequence_for(streams)
                    .with_booking(booking);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn the_coordinator_follows_a_failover_and_an_unknown_master_is_a_configuration_error() {
    let mut setup = SentinelSetup::start("zego-primary");

    let error = RedisCoordinator::builder(&setup.url("no-such-master"))
        .unwrap()
        .connect()
        .expect_err("no sentinel monitors that name");
    assert!(
        matches!(error, RedisConfigError::UnknownMaster { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("no-such-master"), "{error}");

    let c = coordinator(&setup.url("zego-primary"));
    c.check().expect("the sentinels name the primary");
    let streams = vec!["failover".to_owned()];
    let mut last = sequence(&c, &streams);
    assert!(!c.is_degraded());
    let mut on_primary = setup.primary.connection();
    assert!(on_primary
        .exists::<_, bool>("zego:prod:{5}:epoch:stream_forbid")
        .unwrap());

    // The primary goes away: the sentinels promote the replica (down after 1 s, then
    // their election), and the coordinator, after an outage on its local share, books on
    // the new primary.
    setup.primary.kill();
    let killed = Instant::now();
    let mut followed = None;
    while killed.elapsed() < Duration::from_secs(30) {
        let next = sequence(&c, &streams);
        assert!(next > last, "the Sequence went from {last} to {next}");
        last = next;
        // The last Sequence was stamped on the promoted replica.
        let promoted = setup
            .replica
            .connection()
            .get::<_, Option<u64>>("zego:prod:{5}:seq:failover")
            .ok()
            .flatten()
            == Some(last);
        let role: redis::Value = redis::cmd("ROLE")
            .query(&mut setup.replica.connection())
            .unwrap();
        let is_primary = matches!(&role, redis::Value::Array(items)
            if matches!(items.first(), Some(redis::Value::BulkString(r)) if r == b"master"));
        if is_primary && promoted && !c.is_degraded() {
            followed = Some(killed.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let followed = followed.expect("the coordinator books on the promoted replica");
    eprintln!("followed the failover after {followed:?}");
    // And it keeps booking there, the Sequence still rising.
    for _ in 0..5 {
        let next = sequence(&c, &streams);
        assert!(next > last, "the Sequence went from {last} to {next}");
        last = next;
    }
    assert!(!c.is_degraded());
}
