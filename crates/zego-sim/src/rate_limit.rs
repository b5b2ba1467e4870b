//! Per-AppId, per-environment token buckets, on the simulator clock.

use std::collections::HashMap;

use crate::env::Env;

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
    /// `ForbidRTCStreams`, `ResumeRTCStreams`, `ForbidRTCStream`, `ResumeRTCStream`:
    /// 20/s (test 5/s), answer 30002.
    ForbidResume,
    /// The stream-rule and user-rule actions: 10/s in both environments, answer 206.
    Rules,
    /// `ForbidCDNLiveStream`, `ResumeCDNLiveStream`, `QueryForbidCDNLiveStream`: 20/s, answer 30002.
    Cdn,
    /// `DescribeRTCStreamState`: 40/s (test 10/s), answer 30002.
    StreamState,
}

impl RateGroup {
    /// Every group.
    pub const ALL: [RateGroup; 4] = [
        RateGroup::ForbidResume,
        RateGroup::Rules,
        RateGroup::Cdn,
        RateGroup::StreamState,
    ];

    /// The documented quota (requests per second).
    ///
    /// ```
    /// assert_eq!(zego_sim::RateGroup::StreamState.default_quota(zego_sim::Env::Test), 10);
    /// ```
    pub fn default_quota(self, env: Env) -> u32 {
        match (self, env) {
            (RateGroup::ForbidResume | RateGroup::Cdn, Env::Production)
            | (RateGroup::Cdn, Env::Test) => 20,
            (RateGroup::ForbidResume, Env::Test) => 5,
            (RateGroup::Rules, _) | (RateGroup::StreamState, Env::Test) => 10,
            (RateGroup::StreamState, Env::Production) => 40,
        }
    }

    /// The code a request over quota gets: 206 for rules (room service), 30002 otherwise.
    ///
    /// ```
    /// assert_eq!(zego_sim::RateGroup::Cdn.limited_code(), 30002);
    /// ```
    pub fn limited_code(self) -> i64 {
        match self {
            RateGroup::Rules => crate::codes::ROOM_RATE_LIMITED,
            _ => crate::codes::MEDIA_RATE_LIMITED,
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
}

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
    fn defaults() {
        assert_eq!(RateGroup::Rules.default_quota(Env::Test), 10);
        assert_eq!(RateGroup::Rules.default_quota(Env::Production), 10);
        assert_eq!(RateGroup::Cdn.default_quota(Env::Test), 20);
        assert_eq!(RateGroup::StreamState.default_quota(Env::Production), 40);
    }
}
