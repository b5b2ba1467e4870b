//! Redis Cluster: three primaries and three replicas, each `redis-server` on a free loopback
//! port and stopped by PID. One admission is one script on one slot (the AppId's hash tag:
//! a script whose keys spanned two slots would be refused with CROSSSLOT), and when the
//! primary of that slot is killed the coordinator follows the promoted replica, the
//! Sequence still rising.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::ClusterSetup;
use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, RateLimitKey};
use zego_proto::{ops::RateLimitGroup, AppId, Environment};
use zego_redis::RedisCoordinator;

const APP: u32 = 4242;
const EPOCH_KEY: &str = "zego:prod:{4242}:epoch:stream_forbid";

fn key(group: RateLimitGroup) -> RateLimitKey {
    RateLimitKey {
        app_id: AppId::new(APP),
        environment: Environment::Production,
        group,
    }
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// Admits one sequenced request as a call would (waiting when told to).
fn sequence(c: &RedisCoordinator, streams: &[String]) -> u64 {
    let forbid = key(RateLimitGroup::StreamForbid);
    let mut request = AdmissionRequest::new(forbid, now()).with_sequence_for(streams);
    loop {
        match c.admit(&request).unwrap() {
            Admission::Go { sequence: Some(s) } => return s.get(),
            Admission::Wait { delay, booking } => {
                std::thread::sleep(delay);
                request = AdmissionRequest::new(forbid, now())
                    .with_sequence_for(streams)
                    .with_booking(booking);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn one_admission_is_one_script_on_the_apps_slot_and_a_primary_failover_is_followed() {
    let mut cluster = ClusterSetup::start();
    let c = RedisCoordinator::builder(&cluster.url())
        .unwrap()
        .connect_timeout(Duration::from_millis(500))
        .response_timeout(Duration::from_millis(500))
        .retry_interval(Duration::from_millis(200))
        .connect()
        .expect("the cluster");
    // Many keys in one script: the group, and twenty streams' sequence keys.
    let streams: Vec<String> = (0..20).map(|i| format!("cluster-{i}")).collect();
    let mut last = sequence(&c, &streams);
    assert!(!c.is_degraded(), "no CROSSSLOT, no MOVED");
    // A per-room group: the group, the room and the calendar keys.
    let rooms = key(RateLimitGroup::RoomUserList);
    let admitted = c.admit(&AdmissionRequest::new(rooms, now()).with_room("r1"));
    assert!(
        matches!(admitted, Ok(Admission::Go { .. } | Admission::Wait { .. })),
        "{admitted:?}"
    );
    assert!(!c.is_degraded());
    let owner = cluster
        .owner_of(EPOCH_KEY)
        .expect("a primary holds the app's keys");

    // The primary of the app's slot goes away; its replica is promoted after the node
    // timeout (1 s) and the election.
    cluster.nodes[owner].kill();
    let killed = Instant::now();
    let mut followed = None;
    while killed.elapsed() < Duration::from_secs(30) {
        let next = sequence(&c, &streams[..1]);
        assert!(next > last, "the Sequence went from {last} to {next}");
        last = next;
        // The last Sequence was stamped on the promoted replica, now the slot's primary.
        let stamped_there = cluster.owner_of(EPOCH_KEY).is_some_and(|n| {
            n != owner
                && redis::cmd("GET")
                    .arg(format!("zego:prod:{{{APP}}}:seq:cluster-0"))
                    .query::<Option<u64>>(&mut cluster.nodes[n].connection())
                    .ok()
                    .flatten()
                    == Some(last)
        });
        if stamped_there {
            followed = Some(killed.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let followed = followed.expect("the coordinator books on the promoted replica");
    eprintln!("followed the Cluster failover after {followed:?}");
    for _ in 0..5 {
        let next = sequence(&c, &streams[..1]);
        assert!(next > last, "the Sequence went from {last} to {next}");
        last = next;
    }
}
