//! Per-AppId, per-environment token buckets, on the simulator clock.

use std::collections::HashMap;

use crate::env::Env;

/// Defines `RateGroup` and its constants from the table's rows.
macro_rules! rate_groups {
    ($(
        $(#[$doc:meta])*
        $group:ident = $name:literal: production $production:literal, test $test:literal,
            room_ms $room_ms:expr, $service:ident;
    )*) => {
        /// The rate-limit groups; actions in a group share one quota per AppId and environment.
        ///
        /// ```
        /// use zego_sim::{Env, RateGroup};
        /// assert_eq!(RateGroup::ForbidResume.default_quota(Env::Production), 20);
        /// assert_eq!(RateGroup::ForbidResume.default_quota(Env::Test), 5);
        /// assert_eq!(RateGroup::Rules.limited_code(), 206);
        /// ```
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum RateGroup {
            $($(#[$doc])* $group,)*
        }

        impl RateGroup {
            /// Every group.
            pub const ALL: [RateGroup; [$(stringify!($group),)*].len()] = [$(RateGroup::$group,)*];

            /// The group's name in configuration (`zego sim --quota NAME=N/s`), the name the
            /// SDK documents for the same quota: `stream_forbid`, `rules`, `cdn`,
            /// `stream_state`, `room_kick`, `room_close`, `room_streams` (`AddStream` and
            /// `DeleteStream` both), `room_stream_list`, `room_user_list`, `room_users`,
            /// `room_user_count`.
            ///
            /// ```
            /// assert_eq!(zego_sim::RateGroup::ForbidResume.config_name(), "stream_forbid");
            /// ```
            pub fn config_name(self) -> &'static str {
                match self {
                    $(RateGroup::$group => $name,)*
                }
            }

            /// The documented quota (requests per second).
            ///
            /// ```
            /// assert_eq!(zego_sim::RateGroup::StreamState.default_quota(zego_sim::Env::Test), 10);
            /// ```
            pub fn default_quota(self, env: Env) -> u32 {
                match (self, env) {
                    $(
                        (RateGroup::$group, Env::Production) => $production,
                        (RateGroup::$group, Env::Test) => $test,
                    )*
                }
            }

            /// The per-room quota on top of the AppId's, as the shortest gap (ms) between two
            /// requests for one room: `DescribeSimpleStreamList` 1 per 10 s, `DescribeUserList` 1/s.
            ///
            /// ```
            /// assert_eq!(zego_sim::RateGroup::UserList.room_interval_ms(), Some(1000));
            /// assert_eq!(zego_sim::RateGroup::Kickout.room_interval_ms(), None);
            /// ```
            pub fn room_interval_ms(self) -> Option<i64> {
                match self {
                    $(RateGroup::$group => $room_ms,)*
                }
            }

            /// Whether the group belongs to the room service (its codes and its faults).
            pub(crate) fn is_room_service(self) -> bool {
                match self {
                    $(RateGroup::$group => service_is_room!($service),)*
                }
            }
        }
    };
}

/// Whether a row's service is the room service.
macro_rules! service_is_room {
    (room) => {
        true
    };
    (media) => {
        false
    };
}

rate_groups! {
    /// `ForbidRTCStreams`, `ResumeRTCStreams`, `ForbidRTCStream`, `ResumeRTCStream`:
    /// 20/s (test 5/s), answer 30002.
    ForbidResume = "stream_forbid": production 20, test 5, room_ms None, media;
    /// The stream-rule and user-rule actions: 10/s in both environments, answer 206.
    Rules = "rules": production 10, test 10, room_ms None, room;
    /// `ForbidCDNLiveStream`, `ResumeCDNLiveStream`, `QueryForbidCDNLiveStream`: 20/s, answer 30002.
    Cdn = "cdn": production 20, test 20, room_ms None, media;
    /// `DescribeRTCStreamState`: 40/s (test 10/s), answer 30002.
    StreamState = "stream_state": production 40, test 10, room_ms None, media;
    /// `KickoutUser`: 50/s, answer 206.
    Kickout = "room_kick": production 50, test 50, room_ms None, room;
    /// `CloseRoom`: 1/s, answer 206.
    CloseRoom = "room_close": production 1, test 1, room_ms None, room;
    /// `DeleteStream`: 10/s (test 1/s), answer 206.
    DeleteStream = "room_streams": production 10, test 1, room_ms None, room;
    /// `AddStream`: 10/s (test 1/s), answer 206.
    AddStream = "room_streams": production 10, test 1, room_ms None, room;
    /// `DescribeSimpleStreamList`: 50/s, answer 206; and 1 per 10 s per room, answer 207.
    StreamList = "room_stream_list": production 50, test 50, room_ms Some(10_000), room;
    /// `DescribeUserList`: 200/s, answer 206; and 1/s per room, answer 207.
    UserList = "room_user_list": production 200, test 200, room_ms Some(1_000), room;
    /// `DescribeUsers`: 10/s, answer 206.
    Users = "room_users": production 10, test 10, room_ms None, room;
    /// `DescribeUserNum`: 10/s (test 1/s), answer 206.
    UserNum = "room_user_count": production 10, test 1, room_ms None, room;
}

impl RateGroup {
    /// The code a request over quota gets: 206 for rules (room service), 30002 otherwise.
    ///
    /// ```
    /// assert_eq!(zego_sim::RateGroup::Cdn.limited_code(), 30002);
    /// ```
    pub fn limited_code(self) -> i64 {
        if self.is_room_service() {
            crate::codes::ROOM_RATE_LIMITED
        } else {
            crate::codes::MEDIA_RATE_LIMITED
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Thousandths of a token.
    milli_tokens: i128,
    last_ms: i64,
}

/// Token buckets with burst = quota and continuous refill of `quota` tokens per second.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    pub enabled: bool,
    quotas: HashMap<(RateGroup, Env), u32>,
    buckets: HashMap<(u32, Env, RateGroup), Bucket>,
    /// When each room last passed its per-room quota, per app, environment and group.
    room_last_ms: HashMap<(u32, Env, RateGroup, String), i64>,
}

/// Remembered rooms beyond which the ones whose interval has passed are forgotten.
const ROOM_BUCKETS_PRUNE_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(enabled: bool, overrides: &HashMap<(RateGroup, Env), u32>) -> Self {
        let mut quotas = HashMap::new();
        for g in RateGroup::ALL {
            for env in [Env::Production, Env::Test] {
                quotas.insert((g, env), g.default_quota(env));
            }
        }
        quotas.extend(overrides.iter().map(|(k, v)| (*k, *v)));
        Self {
            enabled,
            quotas,
            buckets: HashMap::new(),
            room_last_ms: HashMap::new(),
        }
    }

    /// Takes the room's slot of a per-room quota; `false` when the last request for the
    /// room passed less than the group's room interval ago.
    pub fn try_acquire_room(
        &mut self,
        app_id: u32,
        env: Env,
        group: RateGroup,
        room: &str,
        now_ms: i64,
    ) -> bool {
        let Some(interval) = group.room_interval_ms() else {
            return true;
        };
        if !self.enabled {
            return true;
        }
        if self.room_last_ms.len() >= ROOM_BUCKETS_PRUNE_AT {
            self.room_last_ms
                .retain(|_, last| now_ms.saturating_sub(*last) < 10_000);
        }
        let key = (app_id, env, group, room.to_owned());
        match self.room_last_ms.get(&key) {
            Some(last) if now_ms.saturating_sub(*last) < interval => false,
            _ => {
                self.room_last_ms.insert(key, now_ms);
                true
            }
        }
    }

    /// Takes one token; `false` when the request is over quota.
    pub fn try_acquire(&mut self, app_id: u32, env: Env, group: RateGroup, now_ms: i64) -> bool {
        if !self.enabled {
            return true;
        }
        let quota = i128::from(self.quotas.get(&(group, env)).copied().unwrap_or(0));
        let cap = quota * 1000;
        let b = self.buckets.entry((app_id, env, group)).or_insert(Bucket {
            milli_tokens: cap,
            last_ms: now_ms,
        });
        // A clock that went backwards refills nothing.
        let elapsed = i128::from(now_ms.saturating_sub(b.last_ms).max(0));
        b.milli_tokens = (b.milli_tokens + elapsed * quota).min(cap);
        b.last_ms = b.last_ms.max(now_ms);
        if b.milli_tokens >= 1000 {
            b.milli_tokens -= 1000;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refill() {
        let mut rl = RateLimiter::new(true, &HashMap::new());
        for _ in 0..20 {
            assert!(rl.try_acquire(1, Env::Production, RateGroup::ForbidResume, 0));
        }
        assert!(!rl.try_acquire(1, Env::Production, RateGroup::ForbidResume, 0));
        // other app, other env, other group unaffected
        assert!(rl.try_acquire(2, Env::Production, RateGroup::ForbidResume, 0));
        assert!(rl.try_acquire(1, Env::Test, RateGroup::ForbidResume, 0));
        assert!(rl.try_acquire(1, Env::Production, RateGroup::Cdn, 0));
        // 50 ms refills one token at 20/s
        assert!(rl.try_acquire(1, Env::Production, RateGroup::ForbidResume, 50));
        assert!(!rl.try_acquire(1, Env::Production, RateGroup::ForbidResume, 50));
        for _ in 0..20 {
            assert!(rl.try_acquire(1, Env::Production, RateGroup::ForbidResume, 1050));
        }
        assert!(!rl.try_acquire(1, Env::Production, RateGroup::ForbidResume, 1050));
    }

    #[test]
    fn disabled_and_zero() {
        let mut rl = RateLimiter::new(false, &HashMap::new());
        for _ in 0..100 {
            assert!(rl.try_acquire(1, Env::Test, RateGroup::Rules, 0));
        }
        let mut o = HashMap::new();
        o.insert((RateGroup::Rules, Env::Production), 0);
        let mut rl = RateLimiter::new(true, &o);
        assert!(!rl.try_acquire(1, Env::Production, RateGroup::Rules, 0));
        assert!(!rl.try_acquire(1, Env::Production, RateGroup::Rules, 10_000));
    }

    #[test]
    fn per_room_quotas_are_per_room_and_group() {
        let mut rl = RateLimiter::new(true, &HashMap::new());
        let p = Env::Production;
        assert!(rl.try_acquire_room(1, p, RateGroup::UserList, "r1", 0));
        assert!(!rl.try_acquire_room(1, p, RateGroup::UserList, "r1", 999));
        assert!(rl.try_acquire_room(1, p, RateGroup::UserList, "r2", 999));
        assert!(rl.try_acquire_room(1, p, RateGroup::StreamList, "r1", 999));
        assert!(rl.try_acquire_room(1, p, RateGroup::UserList, "r1", 1000));
        assert!(!rl.try_acquire_room(1, p, RateGroup::StreamList, "r1", 10_998));
        assert!(rl.try_acquire_room(1, p, RateGroup::StreamList, "r1", 10_999));
        // No per-room quota for the others.
        assert!(rl.try_acquire_room(1, p, RateGroup::Kickout, "r1", 0));
        assert!(rl.try_acquire_room(1, p, RateGroup::Kickout, "r1", 0));
    }

    #[test]
    fn defaults() {
        assert_eq!(RateGroup::Rules.default_quota(Env::Test), 10);
        assert_eq!(RateGroup::Rules.default_quota(Env::Production), 10);
        assert_eq!(RateGroup::Cdn.default_quota(Env::Test), 20);
        assert_eq!(RateGroup::StreamState.default_quota(Env::Production), 40);
    }
}
