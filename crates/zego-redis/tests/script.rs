//! The admission script against a real Redis: slot spacing, the maximum-wait refusal, the
//! sequence floor across instances, TTLs and the key layout, feedback, and the failure
//! policy while Redis is down.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::RedisServer;
use redis::Commands;
use zego_proto::admission::{
    Admission, AdmissionRequest, Booking, Coordinator, Feedback, RateLimitKey,
};
use zego_proto::{ops::RateLimitGroup, AppId, Environment, Sequence};
use zego_redis::{FailurePolicy, RedisCoordinator};

const APP: u32 = 7;

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

fn coordinator(redis: &RedisServer) -> RedisCoordinator {
    RedisCoordinator::builder(&redis.url())
        .unwrap()
        // Generous for a loaded CI machine; production defaults are 200 ms / 100 ms.
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(2))
        .build()
}

fn wait_of(admission: Admission) -> Duration {
    match admission {
        Admission::Go { .. } => Duration::ZERO,
        Admission::Wait { delay, .. } => delay,
        other => panic!("unexpected {other:?}"),
    }
}

/// Admits `request` as a call would: after a wait, back with the booking.
fn stamped(c: &RedisCoordinator, mut request: AdmissionRequest<'_>) -> Sequence {
    loop {
        match c.admit(&request).unwrap() {
            Admission::Go { sequence: Some(s) } => return s,
            Admission::Wait { delay, booking } => {
                std::thread::sleep(delay);
                request = request.with_booking(booking);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn slots_are_spaced_at_the_quota_and_a_bound_refuses_without_booking() {
    let redis = RedisServer::start();
    let c = coordinator(&redis);
    let request = AdmissionRequest::new(key(RateLimitGroup::StreamForbid), now());
    let waits: Vec<Duration> = (0..5)
        .map(|_| wait_of(c.admit(&request).unwrap()))
        .collect();
    assert_eq!(waits[0], Duration::ZERO);
    for (i, wait) in waits.iter().enumerate().skip(1) {
        // 20/s at the default pacing of 98 %: 51.021 ms apart; Redis time moves on a
        // little between the calls.
        let ideal = Duration::from_micros(51_021 * i as u64);
        assert!(
            *wait <= ideal && *wait + Duration::from_millis(40) > ideal,
            "slot {i}: {wait:?} (ideal {ideal:?})"
        );
    }
    let bounded = request.with_max_wait(Duration::from_millis(100));
    let refused = c.admit(&bounded).unwrap();
    assert!(
        matches!(refused, Admission::Refused { earliest } if earliest > Duration::from_millis(200)),
        "{refused:?}"
    );
    // Nothing was booked by the refusal: the next slot is the sixth (5 × 51.021 ms).
    let next = wait_of(c.admit(&request).unwrap());
    assert!(
        next <= Duration::from_micros(5 * 51_021) && next > Duration::from_millis(215),
        "{next:?}"
    );
}

#[test]
fn sequences_rise_per_stream_across_instances_even_with_a_clock_behind() {
    let redis = RedisServer::start();
    let (a, b) = (coordinator(&redis), coordinator(&redis));
    let streams = vec!["s1".to_owned(), "s2".to_owned()];
    let group = key(RateLimitGroup::StreamState); // 40/s: no waits in this test
    let stamp = |c: &RedisCoordinator, at: Duration, streams: &[String]| {
        let request = AdmissionRequest::new(group, at).with_sequence_for(streams);
        stamped(c, request)
    };
    // A caller whose clock is a day ahead sets the floor of its own value...
    let ahead = now() + Duration::from_secs(86_400);
    let first = stamp(&a, ahead, &streams);
    assert!(u128::from(first.get()) >= ahead.as_millis());
    // ...and another instance, whose clock is right, still goes above it for these streams.
    let second = stamp(&b, now(), &streams[1..]);
    assert!(second > first, "{second} after {first}");
    // An instance's own floor holds for a stream it never used.
    let third = stamp(
        &a,
        now().saturating_sub(Duration::from_secs(3600)),
        &["fresh".to_owned()],
    );
    assert!(third > first, "{third} after {first}");
    // Raw operations (no stream) use the app-wide key.
    let app_wide = stamp(&b, now(), &[]);
    assert!(app_wide > Sequence::new(0));

    let mut conn = redis.connection();
    let s2: u64 = conn.get(format!("zego:prod:{{{APP}}}:seq:s2")).unwrap();
    assert_eq!(s2, second.get());
    let ttl: i64 = conn.pttl(format!("zego:prod:{{{APP}}}:seq:s2")).unwrap();
    assert!(ttl > 50_000 && ttl <= 60_000, "sequence key TTL {ttl} ms");
    let rl: i64 = conn
        .pttl(format!("zego:prod:{{{APP}}}:rl:stream_state"))
        .unwrap();
    assert!(rl > 0 && rl <= 1_100, "rate-limit key TTL {rl} ms");
    let keys: Vec<String> = conn.keys("zego:*").unwrap();
    assert!(
        keys.iter()
            .all(|k| k.starts_with(&format!("zego:prod:{{{APP}}}:"))),
        "{keys:?}"
    );
}

#[test]
fn a_waiting_call_gets_its_sequence_after_the_wait_without_booking_again() {
    let redis = RedisServer::start();
    let c = coordinator(&redis);
    let group = key(RateLimitGroup::Rules); // 10/s
    let streams = vec!["s".to_owned()];
    let request = AdmissionRequest::new(group, now()).with_sequence_for(&streams);
    assert!(matches!(
        c.admit(&request).unwrap(),
        Admission::Go { sequence: Some(_) }
    ));
    let Admission::Wait { delay, booking } = c.admit(&request).unwrap() else {
        panic!()
    };
    std::thread::sleep(delay);
    let back = request.with_booking(booking);
    assert!(matches!(
        c.admit(&back).unwrap(),
        Admission::Go { sequence: Some(_) }
    ));
    // The second slot was booked once: the next is 200 ms after the first, not 300.
    let next = wait_of(c.admit(&AdmissionRequest::new(group, now())).unwrap());
    assert!(
        next <= Duration::from_millis(200 - 90),
        "{next:?} after a {delay:?} wait"
    );
}

#[test]
fn rate_limit_feedback_pauses_the_group_for_every_instance() {
    let redis = RedisServer::start();
    let (a, b) = (coordinator(&redis), coordinator(&redis));
    let group = key(RateLimitGroup::StreamForbid);
    assert_eq!(
        wait_of(b.admit(&AdmissionRequest::new(group, now())).unwrap()),
        Duration::ZERO
    );
    a.feedback(&Feedback::RateLimited {
        key: group,
        code: 30002,
    });
    let wait = wait_of(b.admit(&AdmissionRequest::new(group, now())).unwrap());
    assert!(wait > Duration::from_millis(900), "{wait:?}");
}

#[test]
fn while_redis_is_down_the_policy_decides_and_it_recovers_by_itself() {
    let mut redis = RedisServer::start();
    let share = RedisCoordinator::builder(&redis.url())
        .unwrap()
        .fleet_size(4)
        .retry_interval(Duration::from_millis(200))
        .build();
    let closed = RedisCoordinator::builder(&redis.url())
        .unwrap()
        .failure_policy(FailurePolicy::FailClosed)
        .build();
    let group = key(RateLimitGroup::StreamForbid);
    let streams = vec!["s".to_owned()];
    let request = AdmissionRequest::new(group, now()).with_sequence_for(&streams);
    let Admission::Go {
        sequence: Some(before),
    } = share.admit(&request).unwrap()
    else {
        panic!()
    };
    redis.kill();
    // The local share: 20/s over 4 instances is 5/s (at 98 %: 204 ms apart). It starts one
    // quiet second after the slots booked in Redis, so that no second holds both.
    let first = share.admit(&request).unwrap();
    assert!(share.is_degraded());
    let Admission::Wait { delay: quiet, .. } = first else {
        panic!("{first:?}")
    };
    assert!(quiet > Duration::from_millis(900), "{quiet:?}");
    let wait = wait_of(share.admit(&AdmissionRequest::new(group, now())).unwrap());
    let spacing = wait.saturating_sub(quiet);
    assert!(
        spacing > Duration::from_millis(150) && spacing <= Duration::from_millis(205),
        "5/s while degraded: {spacing:?}"
    );
    std::thread::sleep(quiet);
    let during = stamped(&share, request.with_booking(Booking::new(0)));
    assert!(
        during > before,
        "the fallback's sequences stay above Redis's"
    );
    let err = closed.admit(&request).unwrap_err();
    assert!(err.to_string().contains("fail-closed"), "{err}");
    redis.restart();
    std::thread::sleep(Duration::from_millis(250));
    let after = stamped(&share, request);
    assert!(
        after > during,
        "no Sequence goes backwards across the outage"
    );
    assert!(!share.is_degraded(), "recovered once Redis answered");
}

#[test]
fn the_async_path_shares_the_same_slots() {
    let redis = RedisServer::start();
    let c = Arc::new(coordinator(&redis));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let group = key(RateLimitGroup::StreamForbid);
    let waits = runtime.block_on(async {
        let mut waits = Vec::new();
        for _ in 0..3 {
            let request = AdmissionRequest::new(group, now());
            waits.push(wait_of(c.admit_async(&request).await.unwrap()));
        }
        waits
    });
    assert_eq!(waits[0], Duration::ZERO);
    assert!(waits[2] > Duration::from_millis(60), "{waits:?}");
    // The sync path sees the async path's bookings: one quota.
    let sync = wait_of(c.admit(&AdmissionRequest::new(group, now())).unwrap());
    assert!(sync > Duration::from_millis(100), "{sync:?}");
}

#[test]
fn a_rooms_quota_is_shared_by_the_fleet_without_holding_up_other_rooms() {
    let redis = RedisServer::start();
    let (a, b) = (coordinator(&redis), coordinator(&redis));
    let list = key(RateLimitGroup::RoomUserList);
    let spacing = zego_proto::admission::Quotas::default()
        .room_spacing(RateLimitGroup::RoomUserList)
        .unwrap();
    let room1 = AdmissionRequest::new(list, now()).with_room("room1");
    assert_eq!(wait_of(a.admit(&room1).unwrap()), Duration::ZERO);
    // The other instance's request for the same room waits for the room's spacing.
    let wait = wait_of(b.admit(&room1).unwrap());
    assert!(
        wait <= spacing && wait + Duration::from_millis(100) > spacing,
        "{wait:?} (spacing {spacing:?})"
    );
    // Another room waits only for the group's slot (200/s), not for room1's.
    let room2 = AdmissionRequest::new(list, now()).with_room("room2");
    assert!(wait_of(a.admit(&room2).unwrap()) < Duration::from_millis(50));
    // A bound shorter than the room's wait is refused.
    let bounded = room1.with_max_wait(Duration::from_millis(100));
    assert!(matches!(
        b.admit(&bounded).unwrap(),
        Admission::Refused { .. }
    ));
    let mut conn = redis::Client::open(redis.url())
        .unwrap()
        .get_connection()
        .unwrap();
    let ttl: i64 = conn
        .pttl(format!("zego:prod:{{{APP}}}:room:room_user_list:room1"))
        .unwrap();
    assert!(ttl > 0 && ttl <= 4_000, "{ttl}");
    // A rate-limit answer pauses the whole group, calendar included, for every instance.
    a.feedback(&Feedback::RateLimited {
        key: list,
        code: 207,
    });
    let room3 = AdmissionRequest::new(list, now()).with_room("room3");
    let wait = wait_of(b.admit(&room3).unwrap());
    assert!(
        wait > Duration::from_millis(800) && wait <= Duration::from_secs(1),
        "{wait:?}"
    );
}

#[test]
fn a_flushed_bucket_is_found_and_pushed_past_the_queue_the_instance_knew() {
    let redis = RedisServer::start();
    let c = coordinator(&redis);
    let streams = vec!["flushed".to_owned()];
    let forbid = key(RateLimitGroup::StreamForbid);
    let before = stamped(
        &c,
        AdmissionRequest::new(forbid, now()).with_sequence_for(&streams),
    );
    // Nine more slots booked: the queue reaches about 9 x 51 ms ahead.
    let mut queue = Duration::ZERO;
    for _ in 0..9 {
        queue = queue.max(wait_of(
            c.admit(&AdmissionRequest::new(forbid, now())).unwrap(),
        ));
    }
    assert!(queue >= Duration::from_millis(400), "{queue:?}");
    let mut admin = redis.connection();
    assert!(admin
        .exists::<_, bool>("zego:prod:{7}:epoch:stream_forbid")
        .unwrap());
    redis::cmd("FLUSHALL").query::<()>(&mut admin).unwrap();
    // The next admission finds the loss: Redis no longer knows the queue, but the slots
    // still leave, so the bucket is pushed past them plus a quiet second.
    let wait = wait_of(c.admit(&AdmissionRequest::new(forbid, now())).unwrap());
    assert!(
        wait >= queue + Duration::from_millis(800),
        "booked {wait:?} ahead, the queue was {queue:?}"
    );
    assert!(admin
        .exists::<_, bool>("zego:prod:{7}:epoch:stream_forbid")
        .unwrap());
    // The stream's key is gone too, and its Sequence still rises.
    let after = stamped(
        &c,
        AdmissionRequest::new(forbid, now()).with_sequence_for(&streams),
    );
    assert!(after > before, "{after:?} after {before:?}");
}
