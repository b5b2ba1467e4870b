//! The failover state machine, without I/O: the circuit breaker (after a failure Redis is
//! bypassed for a retry interval, then tried again; the first answer closes it), the slots
//! this instance holds, how deep the fleet's queue reached, and the settling period after a
//! recovery. Every time is a monotonic reading passed in, so the whole machine is tested
//! on plain `Duration`s.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use zego_proto::admission::RateLimitKey;

/// How long, at least, an instance keeps to its local share after Redis answers again: the
/// other instances come back once their own fallback queues have drained.
pub(crate) const SETTLE_AT_LEAST: Duration = Duration::from_secs(5);

/// The quiet gap between the end of the fleet's Redis queue and the start of the local
/// shares, so that no one-second window holds both.
pub(crate) const QUIET: Duration = Duration::from_secs(1);

/// What the coordinator does while Redis cannot answer (the circuit breaker is open).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Admit through a local limiter at this instance's share of every quota (the quota
    /// divided by [`RedisCoordinatorBuilder::fleet_size`](crate::RedisCoordinatorBuilder::fleet_size),
    /// started empty), with sequences from the local generator, floored above every value
    /// this process has seen. The fleet stays under the quota as long as its size is
    /// configured; the `Sequence` order across instances rests on their clocks. The default.
    LocalShare,
    /// Refuse admission: calls fail with `CallErrorKind::Admission` (after the retry policy's
    /// attempts); nothing is sent.
    FailClosed,
    /// Admit every request at once, with local sequences: availability over the quota.
    FailOpen,
}

/// Where one admission goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Ask Redis.
    Redis {
        /// First push Redis's slots past those booked locally during the outage.
        reconcile: bool,
        /// Also take a slot of the local share (the other instances may still be on theirs).
        settling: bool,
    },
    /// Redis is bypassed: answer by the failure policy.
    Degraded(FailurePolicy),
}

#[derive(Debug, Default)]
struct State {
    /// Bypass Redis until this time.
    open_until: Option<Duration>,
    /// Whether an outage is in progress (logged once, until the next answer).
    outage: bool,
    /// The latest slot this instance holds per group (Redis or fallback): the fallback starts
    /// after it, and Redis is pushed past it on recovery, so no slot is booked twice across
    /// an outage.
    horizon: HashMap<RateLimitKey, Duration>,
    /// How far ahead each group's fleet-wide queue reached at the last answer: when Redis
    /// goes away, the slots the other instances booked still leave until then.
    depth: HashMap<RateLimitKey, Duration>,
    /// After a recovery, until this time, admissions also take a slot of the local share.
    settle_until: Option<Duration>,
    /// The epoch of each app's buckets as Redis last showed it, by epoch key.
    epochs: HashMap<String, i64>,
}

/// The failover state of one coordinator.
#[derive(Debug)]
pub(crate) struct Failover {
    retry_interval: Duration,
    policy: FailurePolicy,
    state: Mutex<State>,
}

impl Failover {
    pub(crate) fn new(retry_interval: Duration, policy: FailurePolicy) -> Self {
        Self {
            retry_interval,
            policy,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether Redis is to be bypassed at `now`.
    pub(crate) fn is_open(&self, now: Duration) -> bool {
        self.lock().open_until.is_some_and(|until| now < until)
    }

    /// Where an admission at `now` goes.
    pub(crate) fn route(&self, now: Duration) -> Route {
        let state = self.lock();
        if state.open_until.is_some_and(|until| now < until) {
            return Route::Degraded(self.policy);
        }
        Route::Redis {
            reconcile: state.outage,
            settling: state.settle_until.is_some_and(|until| now < until),
        }
    }

    /// Remembers that this instance holds a slot of `key` until `until`.
    pub(crate) fn hold(&self, key: RateLimitKey, until: Duration) {
        let mut state = self.lock();
        let slot = state.horizon.entry(key).or_insert(until);
        *slot = (*slot).max(until);
    }

    /// Remembers how far ahead the fleet's queue of `key` reached at Redis's last answer.
    pub(crate) fn observe_depth(&self, key: RateLimitKey, depth: Duration) {
        self.lock().depth.insert(key, depth);
    }

    /// After an outage, before Redis admits again: how far to push each group's slot, as
    /// waits from `now` (past the slots this instance booked locally meanwhile).
    pub(crate) fn push_backs(&self, now: Duration) -> Vec<(RateLimitKey, Duration)> {
        let mut state = self.lock();
        if state.outage {
            held(&mut state, now)
        } else {
            Vec::new()
        }
    }

    /// If Redis finds `key`'s bucket lost, how far from now it pushes the bucket's next
    /// slot: past the slot this instance holds and the fleet's queue as the last answer
    /// showed it (those slots still leave though Redis forgot them), plus a quiet second.
    pub(crate) fn lost_guard(&self, key: RateLimitKey, now: Duration) -> Duration {
        let state = self.lock();
        let held = state
            .horizon
            .get(&key)
            .map_or(Duration::ZERO, |until| until.saturating_sub(now));
        let depth = state.depth.get(&key).copied().unwrap_or_default();
        held.max(depth) + QUIET
    }

    /// The epoch of the buckets behind `epoch_key` that this instance saw last (0: none).
    pub(crate) fn epoch(&self, epoch_key: &str) -> i64 {
        self.lock().epochs.get(epoch_key).copied().unwrap_or(0)
    }

    /// Records the epoch an answer showed.
    pub(crate) fn observe_epoch(&self, epoch_key: &str, epoch: i64) {
        if epoch != 0 {
            self.lock().epochs.insert(epoch_key.to_owned(), epoch);
        }
    }

    /// Records that Redis lost `key`'s bucket (its epoch changed to `epoch`) at `now`;
    /// Redis pushed the bucket by [`Failover::lost_guard`] in the same script. As after an
    /// outage, the instance also settles on its local share: the other instances find the
    /// loss at their next admission of the group (within their own queue) and push the
    /// bucket past what they knew; until the deepest queue this instance knew has drained
    /// plus two retry intervals (at least 5 s), every instance has either sent its old slots
    /// or found the loss.
    pub(crate) fn on_lost_bucket(
        &self,
        now: Duration,
        key: RateLimitKey,
        epoch_key: &str,
        epoch: i64,
    ) {
        let guard = self.lost_guard(key, now);
        let mut state = self.lock();
        state.epochs.insert(epoch_key.to_owned(), epoch);
        let settle = (guard.saturating_sub(QUIET) + 2 * self.retry_interval).max(SETTLE_AT_LEAST);
        let until = now + settle;
        state.settle_until = Some(state.settle_until.map_or(until, |u| u.max(until)));
    }

    /// Records a failure at `now`. When it starts an outage, returns when the fallback may
    /// start per group (after this instance's slots and the fleet's queue, plus a quiet
    /// second), to log the outage once and hold the fallback; `None` if one was in progress.
    pub(crate) fn on_failure(&self, now: Duration) -> Option<Vec<(RateLimitKey, Duration)>> {
        let mut state = self.lock();
        state.open_until = Some(now + self.retry_interval);
        if std::mem::replace(&mut state.outage, true) {
            return None;
        }
        let mut holds: Vec<(RateLimitKey, Duration)> = held(&mut state, now)
            .into_iter()
            .map(|(key, wait)| (key, now + wait + QUIET))
            .collect();
        holds.extend(
            state
                .depth
                .iter()
                .map(|(key, depth)| (*key, now + *depth + QUIET)),
        );
        Some(holds)
    }

    /// Records an answer at `now`; true when it ends an outage (to log the recovery once).
    /// The instance then settles: the other instances try Redis again once their fallback
    /// queue (about as deep as ours) has drained and a retry interval has passed, so until
    /// then it keeps to the local share as well.
    pub(crate) fn on_answer(&self, now: Duration) -> bool {
        let mut state = self.lock();
        state.open_until = None;
        if !std::mem::replace(&mut state.outage, false) {
            return false;
        }
        let queue = held(&mut state, now)
            .into_iter()
            .map(|(_, wait)| wait)
            .max()
            .unwrap_or_default();
        let settle = (queue + 2 * self.retry_interval).max(SETTLE_AT_LEAST);
        state.settle_until = Some(now + settle);
        true
    }
}

fn held(state: &mut State, now: Duration) -> Vec<(RateLimitKey, Duration)> {
    state.horizon.retain(|_, until| *until > now);
    state
        .horizon
        .iter()
        .map(|(key, until)| (*key, until.saturating_sub(now)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zego_proto::clock::{Clock, ManualClock};
    use zego_proto::{ops::RateLimitGroup, AppId, Environment};

    const SECOND: Duration = Duration::from_secs(1);

    fn key(group: RateLimitGroup) -> RateLimitKey {
        RateLimitKey {
            app_id: AppId::new(1),
            environment: Environment::Production,
            group,
        }
    }

    fn redis(reconcile: bool, settling: bool) -> Route {
        Route::Redis {
            reconcile,
            settling,
        }
    }

    #[test]
    fn an_outage_opens_for_the_retry_interval_and_is_reported_once() {
        let clock = ManualClock::new(Duration::ZERO);
        let f = Failover::new(SECOND, FailurePolicy::LocalShare);
        assert_eq!(f.route(clock.monotonic()), redis(false, false));
        assert!(
            f.on_failure(clock.monotonic()).is_some(),
            "an outage starts"
        );
        clock.advance(Duration::from_millis(10));
        assert!(
            f.on_failure(clock.monotonic()).is_none(),
            "one outage, one report"
        );
        clock.advance(Duration::from_millis(500));
        assert_eq!(
            f.route(clock.monotonic()),
            Route::Degraded(FailurePolicy::LocalShare)
        );
        assert!(f.is_open(clock.monotonic()));
        // The last failure (at 10 ms) set the interval: half-open at 1.01 s.
        clock.advance(Duration::from_millis(501));
        assert!(!f.is_open(clock.monotonic()), "half-open: try Redis again");
        assert_eq!(
            f.route(clock.monotonic()),
            redis(true, false),
            "the try reconciles first"
        );
        assert!(
            f.on_failure(clock.monotonic()).is_none(),
            "still the same outage"
        );
        assert!(f.is_open(clock.monotonic()), "a failed try opens again");
        assert!(f.on_answer(clock.monotonic()), "an answer ends the outage");
        assert!(!f.on_answer(clock.monotonic()), "reported once");
        assert!(!f.is_open(clock.monotonic()));
        clock.advance(Duration::from_secs(5));
        assert!(
            f.on_failure(clock.monotonic()).is_some(),
            "a new outage is reported again"
        );
    }

    #[test]
    fn each_policy_answers_while_open() {
        for policy in [
            FailurePolicy::LocalShare,
            FailurePolicy::FailClosed,
            FailurePolicy::FailOpen,
        ] {
            let f = Failover::new(SECOND, policy);
            f.on_failure(Duration::ZERO);
            assert_eq!(f.route(Duration::from_millis(999)), Route::Degraded(policy));
            assert!(matches!(f.route(SECOND), Route::Redis { .. }));
        }
    }

    #[test]
    fn the_fallback_starts_after_the_held_slots_and_the_fleets_queue_plus_a_quiet_second() {
        let forbid = key(RateLimitGroup::StreamForbid);
        let rules = key(RateLimitGroup::Rules);
        let now = Duration::from_secs(100);
        let f = Failover::new(SECOND, FailurePolicy::LocalShare);
        f.hold(forbid, now + Duration::from_millis(300));
        f.hold(forbid, now + Duration::from_millis(200)); // an earlier slot changes nothing
        f.hold(rules, Duration::from_millis(99_999)); // already sent: forgotten
        f.observe_depth(forbid, Duration::from_millis(700));
        let mut holds = f.on_failure(now).expect("an outage starts");
        holds.sort_by_key(|(_, until)| *until);
        assert_eq!(
            holds,
            [
                (forbid, now + Duration::from_millis(300) + QUIET),
                (forbid, now + Duration::from_millis(700) + QUIET),
            ]
        );
        assert_eq!(
            f.push_backs(now),
            [(forbid, Duration::from_millis(300))],
            "the recovery pushes Redis past the held slots"
        );
    }

    #[test]
    fn a_recovery_settles_on_the_local_share_for_the_queue_plus_two_intervals_at_least_5_s() {
        let forbid = key(RateLimitGroup::StreamForbid);
        let f = Failover::new(SECOND, FailurePolicy::LocalShare);
        let now = Duration::from_secs(10);
        assert!(!f.on_answer(now), "no outage, no recovery");
        assert_eq!(f.route(now), redis(false, false));
        f.on_failure(now);
        // Queued locally during the outage: 8 s of fallback slots.
        f.hold(forbid, now + Duration::from_secs(9));
        let back = now + SECOND;
        assert!(f.on_answer(back), "the outage ends");
        assert!(!f.on_answer(back), "reported once");
        // 8 s of queue + 2 retry intervals = 10 s of settling.
        assert_eq!(
            f.route(back + Duration::from_millis(9_999)),
            redis(false, true)
        );
        assert_eq!(f.route(back + Duration::from_secs(10)), redis(false, false));

        let short = Failover::new(Duration::from_millis(100), FailurePolicy::LocalShare);
        short.on_failure(now);
        assert!(short.on_answer(now));
        assert_eq!(
            short.route(now + Duration::from_millis(4_999)),
            redis(false, true)
        );
        assert_eq!(short.route(now + SETTLE_AT_LEAST), redis(false, false));
    }

    #[test]
    fn a_lost_bucket_is_pushed_past_the_known_queue_and_the_instance_settles() {
        let forbid = key(RateLimitGroup::StreamForbid);
        let rules = key(RateLimitGroup::Rules);
        let f = Failover::new(SECOND, FailurePolicy::LocalShare);
        let now = Duration::from_secs(50);
        assert_eq!(f.epoch("e1"), 0, "no epoch seen yet");
        f.observe_epoch("e1", 111);
        assert_eq!(f.epoch("e1"), 111);
        assert_eq!(
            f.lost_guard(forbid, now),
            QUIET,
            "nothing held, no queue seen"
        );
        f.hold(forbid, now + Duration::from_millis(400));
        assert_eq!(
            f.lost_guard(forbid, now),
            Duration::from_millis(400) + QUIET
        );
        f.observe_depth(forbid, Duration::from_millis(900));
        // The deepest of the held slot and the fleet's queue, plus a quiet second, per group.
        assert_eq!(
            f.lost_guard(forbid, now),
            Duration::from_millis(900) + QUIET
        );
        assert_eq!(f.lost_guard(rules, now), QUIET);
        f.on_lost_bucket(now, forbid, "e1", 222);
        assert_eq!(f.epoch("e1"), 222);
        assert!(
            f.push_backs(now).is_empty(),
            "Redis pushed in the same script"
        );
        assert!(!f.on_answer(now), "a lost bucket is not an outage");
        // Settles for 0.9 s + 2 retry intervals, at least 5 s.
        assert_eq!(
            f.route(now + Duration::from_millis(4_999)),
            redis(false, true)
        );
        assert_eq!(f.route(now + SETTLE_AT_LEAST), redis(false, false));
        let long = Failover::new(Duration::from_secs(3), FailurePolicy::LocalShare);
        long.observe_depth(forbid, Duration::from_millis(900));
        long.on_lost_bucket(now, forbid, "e1", 222);
        assert_eq!(
            long.route(now + Duration::from_millis(6_899)),
            redis(false, true)
        );
        assert_eq!(
            long.route(now + Duration::from_millis(6_900)),
            redis(false, false)
        );
    }
}
