//! Rate limiting: no one-second window over the quota, for any quota.

use super::*;

fn group() -> impl Strategy<Value = RateLimitGroup> {
    prop::sample::select(vec![
        RateLimitGroup::StreamForbid,
        RateLimitGroup::Rules,
        RateLimitGroup::Cdn,
        RateLimitGroup::StreamState,
        RateLimitGroup::RoomKick,
        RateLimitGroup::RoomClose,
        RateLimitGroup::RoomStreams,
        RateLimitGroup::RoomStreamList,
        RateLimitGroup::RoomUserList,
        RateLimitGroup::RoomUsers,
        RateLimitGroup::RoomUserCount,
    ])
}

fn arrivals() -> impl Strategy<Value = Vec<Duration>> {
    prop::collection::vec(
        prop_oneof![
            3 => Just(0u64),
            3 => 0u64..60_000_000,
            2 => 0u64..400_000_000,
            1 => 0u64..3_000_000_000,
        ],
        1..150,
    )
    .prop_map(|gaps| {
        let mut t = Duration::from_secs(1000);
        gaps.into_iter()
            .map(|g| {
                t += Duration::from_nanos(g);
                t
            })
            .collect()
    })
}

/// The most requests in any half-open one-second window.
fn busiest_second(sends: &[Duration]) -> usize {
    let mut sorted = sends.to_vec();
    sorted.sort();
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| **t < sorted[i] + Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

fn schedule(
    limiter: &TokenBucketLimiter,
    key: RateLimitKey,
    arrivals: &[Duration],
) -> Vec<Duration> {
    arrivals
        .iter()
        .map(|now| *now + limiter.reserve(key, *now, None).unwrap())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// ZEGO's quotas, burst 1: no one-second window ever holds more than the quota, and
    /// no request waits longer than it must.
    #[test]
    fn the_limiter_never_exceeds_the_quota_in_any_second(
        arrivals in arrivals(),
        group in group(),
        env in environment(),
    ) {
        let limiter = TokenBucketLimiter::default();
        let key = RateLimitKey { app_id: AppId::new(1), environment: env, group };
        let quota = Quotas::default().per_second(group, env).unwrap();
        let interval = Duration::from_secs(1) / quota;
        let sends = schedule(&limiter, key, &arrivals);
        prop_assert!(busiest_second(&sends) <= usize::try_from(quota).unwrap(), "{:?}", sends);
        // Exactly the earliest time allowed: evenly spaced, never earlier than arrival.
        let mut previous: Option<Duration> = None;
        for (arrival, send) in arrivals.iter().zip(&sends) {
            let earliest = previous.map_or(*arrival, |p| (*arrival).max(p + interval));
            prop_assert_eq!(*send, earliest);
            previous = Some(*send);
        }
        // Another app's bucket is untouched.
        let other = RateLimitKey { app_id: AppId::new(2), ..key };
        prop_assert_eq!(limiter.reserve(other, arrivals[0], None), Ok(Duration::ZERO));
    }

    /// Unmetered actions never wait.
    #[test]
    fn unmetered_never_waits(arrivals in arrivals(), env in environment()) {
        let limiter = TokenBucketLimiter::default();
        let key = RateLimitKey { app_id: AppId::new(1), environment: env, group: RateLimitGroup::Unmetered };
        for now in arrivals {
            prop_assert_eq!(limiter.reserve(key, now, None), Ok(Duration::ZERO));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any quota a caller configures, burst 1.
    #[test]
    fn the_limiter_never_exceeds_any_configured_quota(
        arrivals in arrivals(),
        quota in 1u32..=100,
    ) {
        let quotas = Quotas::default().with(RateLimitGroup::Rules, Environment::Production, quota);
        let limiter = TokenBucketLimiter::new(quotas);
        let key = RateLimitKey {
            app_id: AppId::new(1),
            environment: Environment::Production,
            group: RateLimitGroup::Rules,
        };
        let sends = schedule(&limiter, key, &arrivals);
        prop_assert!(busiest_second(&sends) <= usize::try_from(quota).unwrap(), "quota {}: {:?}", quota, sends);
    }
}

#[test]
fn a_quota_of_three_allows_three_per_second() {
    let limiter = TokenBucketLimiter::new(Quotas::default().with(
        RateLimitGroup::Rules,
        Environment::Production,
        3,
    ));
    let key = RateLimitKey {
        app_id: AppId::new(1),
        environment: Environment::Production,
        group: RateLimitGroup::Rules,
    };
    let sends = schedule(&limiter, key, &[Duration::ZERO; 4]);
    // Today: [0, 333333333 ns, 666666666 ns, 999999999 ns].
    assert!(sends[3] >= Duration::from_secs(1), "{sends:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Per-room quotas: requests of many rooms at once (enough to saturate the AppId's
    /// quota) never put two requests for one room closer than the room's spacing, never
    /// put more than the AppId's quota into any second, and never leave before arriving.
    #[test]
    fn per_room_bookings_keep_the_room_and_the_app_quota(
        arrivals in arrivals(),
        rooms in prop::collection::vec(0u16..300, 150),
        user_list in any::<bool>(),
    ) {
        let group = if user_list { RateLimitGroup::RoomUserList } else { RateLimitGroup::RoomStreamList };
        let limiter = TokenBucketLimiter::default();
        let quotas = Quotas::default();
        let key = RateLimitKey { app_id: AppId::new(1), environment: Environment::Production, group };
        let spacing = quotas.room_spacing(group).unwrap();
        let quota = quotas.per_second(group, Environment::Production).unwrap();
        let mut sends = Vec::new();
        let mut by_room: std::collections::HashMap<u16, Vec<Duration>> = std::collections::HashMap::new();
        for (arrival, room) in arrivals.iter().zip(&rooms) {
            let wait = limiter.reserve_in_room(key, &format!("r{room}"), *arrival, None).unwrap();
            let send = *arrival + wait;
            sends.push(send);
            by_room.entry(*room).or_default().push(send);
        }
        prop_assert!(busiest_second(&sends) <= usize::try_from(quota).unwrap());
        for times in by_room.values_mut() {
            times.sort();
            for pair in times.windows(2) {
                prop_assert!(pair[1].saturating_sub(pair[0]) >= spacing, "{:?}", pair);
            }
        }
    }
}
