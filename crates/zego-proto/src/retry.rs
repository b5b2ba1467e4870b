//! The retry policy as a pure state machine: the driver reports each failed attempt with
//! the current time and gets back "retry after this delay" or "stop, because ...".
//!
//! A retry is a *new* request (re-signed, fresh nonce and timestamp) for the *same*
//! operation, so it carries the same `Sequence`. ZEGO orders a stream's operations by
//! sequence only within 10 seconds, so a sequenced operation stops retrying before that
//! window closes: a late retry could otherwise land after a newer operation and undo it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rand_core::RngCore;

use crate::codes::ErrorClass;

/// What went wrong with one attempt, as far as retrying is concerned.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptFailure {
    /// An answer with a non-zero code, or an unusable HTTP answer, of this class.
    Answer(ErrorClass),
    /// The connection could not be made (refused, DNS): the request was not sent. (A
    /// refused TLS certificate is not retried: it is an `Answer(ErrorClass::Other)`.)
    Connect,
    /// The connection failed after the request may have been sent (reset, closed early).
    Interrupted,
    /// No answer within the request timeout.
    Timeout,
    /// The coordinator could not admit the request: nothing was sent. Retried like
    /// [`AttemptFailure::Connect`].
    Admission,
}

impl AttemptFailure {
    /// The class of the failure: the one classification behind both the default policy's
    /// decisions and [`CallError::class`](crate::CallError::class). Failures to get an
    /// answer at all (connect, interrupted, timeout, admission) are `Transient`.
    pub fn class(self) -> ErrorClass {
        match self {
            Self::Answer(class) => class,
            Self::Connect | Self::Interrupted | Self::Timeout | Self::Admission => {
                ErrorClass::Transient
            }
        }
    }
}

/// Why the driver must stop and report the last failure.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// The failure is not one this policy retries.
    NotRetryable,
    /// `max_attempts` attempts were made.
    AttemptsExhausted,
    /// The shared retry budget is spent (the service is failing broadly).
    BudgetExhausted,
    /// Retrying would send a sequenced operation after its 10-second ordering window.
    SequenceWindowClosing,
    /// The next attempt would start after the total deadline.
    DeadlineExceeded,
    /// The call was cancelled.
    Cancelled,
    /// The server's `Retry-After` asks for a wait that ends after the call's deadline or,
    /// for a sequenced operation, after the last moment its ordering window allows a
    /// retry: retrying earlier than asked would not be honouring it.
    RetryAfterTooLate,
}

impl StopReason {
    /// A short description for error messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotRetryable => "not retryable",
            Self::AttemptsExhausted => "attempts exhausted",
            Self::BudgetExhausted => "retry budget exhausted",
            Self::SequenceWindowClosing => "the Sequence ordering window is closing",
            Self::DeadlineExceeded => "total deadline exceeded",
            Self::Cancelled => "cancelled",
            Self::RetryAfterTooLate => {
                "the server's Retry-After ends after the time the call may still retry"
            }
        }
    }
}

/// The policy's verdict on a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryDecision {
    /// Sleep this long, then re-sign and send the same operation again.
    RetryAfter(Duration),
    /// Give up and report the failure.
    Stop(StopReason),
}

/// Which failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // One switch per failure kind reads best here.
pub struct RetryOn {
    /// Rate-limit codes (30002, 206, ...).
    pub rate_limited: bool,
    /// Transient codes (1, 123, 30003, 42003, ...) and 5xx pages.
    pub transient: bool,
    /// Clock codes (100000004, 3002): retried once, freshly signed.
    pub clock: bool,
    /// Connections that could not be made, and coordinators that could not admit: in
    /// both cases nothing was sent.
    pub connect: bool,
    /// Connections broken mid-request, and timeouts. Safe for this API family: its
    /// operations are idempotent, and sequenced ones keep their `Sequence`.
    pub interrupted: bool,
}

impl Default for RetryOn {
    fn default() -> Self {
        Self {
            rate_limited: true,
            transient: true,
            clock: true,
            connect: true,
            interrupted: true,
        }
    }
}

/// How often and how patiently to retry.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::retry::{AttemptFailure, RetryDecision, RetryPolicy, StopReason};
/// use zego_proto::ErrorClass;
/// let policy = RetryPolicy::default();
/// let mut rng = rand::rng();
/// let started = Duration::ZERO;
/// let mut state = policy.begin(started, false);
/// let transient = AttemptFailure::Answer(ErrorClass::Transient);
/// assert!(matches!(state.on_failure(transient, started, &mut rng), RetryDecision::RetryAfter(_)));
/// let bad = AttemptFailure::Answer(ErrorClass::BadRequest);
/// assert_eq!(state.on_failure(bad, started, &mut rng), RetryDecision::Stop(StopReason::NotRetryable));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retrying).
    pub max_attempts: u32,
    /// Backoff before the first retry; it doubles with each retry.
    pub base_delay: Duration,
    /// Backoff before the first retry after a rate-limit answer.
    pub rate_limited_base_delay: Duration,
    /// Upper bound of any backoff.
    pub max_delay: Duration,
    /// Randomise each delay between half and all of its value ("equal jitter"), so
    /// clients that failed together do not retry together.
    pub jitter: bool,
    /// Which failures are retried.
    pub retry_on: RetryOn,
    /// Total time for one operation's call, from its start: waits for a rate-limit slot,
    /// backoffs and every attempt included (a [`RetryState`] alone counts it from its
    /// `first_send`; the call starts it with what is left).
    pub deadline: Option<Duration>,
    /// ZEGO's ordering window for sequenced operations.
    pub sequence_window: Duration,
    /// How long before the window closes the last retry must be sent, to cover its trip
    /// to the server.
    pub sequence_margin: Duration,
    /// How long one attempt of a sequenced operation may take while a retry could still
    /// follow it inside the ordering window (default 3 s; `None`: the transport's request
    /// timeout).
    ///
    /// The trade-off: the transport's request timeout (10 s by default) is longer than the
    /// `sequence_window - sequence_margin` (8 s) in which retries may start, so without
    /// this bound a hung forbid or resume would never be retried. With 3 s, a hung
    /// attempt leaves time for two more; the cost is that an answer slower than 3 s is
    /// abandoned and the operation resent (safe: it is idempotent and keeps its
    /// `Sequence`), which adds load on a slow server. An attempt after which no retry
    /// could start in time gets the transport's full timeout instead, and no attempt
    /// outlasts the call's deadline.
    pub sequenced_attempt_timeout: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            rate_limited_base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(4),
            jitter: true,
            retry_on: RetryOn::default(),
            deadline: Some(Duration::from_secs(30)),
            sequence_window: Duration::from_secs(10),
            sequence_margin: Duration::from_secs(2),
            sequenced_attempt_timeout: Some(Duration::from_secs(3)),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn never() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Starts tracking one operation whose first attempt is sent at monotonic time
    /// `first_send`. `sequenced` is whether it carries a `Sequence`.
    pub fn begin(&self, first_send: Duration, sequenced: bool) -> RetryState {
        RetryState {
            policy: self.clone(),
            first_send,
            sequenced,
            attempts: 1,
            clock_retries: 0,
            budget: None,
        }
    }

    fn retries(&self, failure: AttemptFailure) -> bool {
        let on = &self.retry_on;
        match failure {
            AttemptFailure::Answer(ErrorClass::RateLimited) => on.rate_limited,
            AttemptFailure::Answer(ErrorClass::Transient) => on.transient,
            AttemptFailure::Answer(ErrorClass::Clock) => on.clock,
            AttemptFailure::Answer(_) => false,
            AttemptFailure::Connect | AttemptFailure::Admission => on.connect,
            AttemptFailure::Interrupted | AttemptFailure::Timeout => on.interrupted,
        }
    }
}

/// One operation's progress through its retries.
#[derive(Debug)]
pub struct RetryState {
    policy: RetryPolicy,
    first_send: Duration,
    sequenced: bool,
    attempts: u32,
    clock_retries: u32,
    budget: Option<Arc<RetryBudget>>,
}

impl RetryState {
    /// Draws retries from a budget shared with other operations.
    #[must_use]
    pub fn with_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// Attempts made so far (1 after the first send).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long from monotonic time `now` the next attempt may still start: before the
    /// deadline and, for a sequenced operation, before its ordering window closes. A
    /// retry's admission must not wait longer. `None`: no bound.
    pub fn time_left(&self, now: Duration) -> Option<Duration> {
        let policy = &self.policy;
        let deadline = policy.deadline.map(|d| self.first_send + d);
        let window = self.sequenced.then(|| {
            self.first_send
                + policy
                    .sequence_window
                    .saturating_sub(policy.sequence_margin)
        });
        let end = match (deadline, window) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        end.map(|end| end.saturating_sub(now))
    }

    /// How long the attempt about to be sent at monotonic time `now` may take (the
    /// attempts made so far, this one included, are [`RetryState::attempts`]): the
    /// policy's [`RetryPolicy::sequenced_attempt_timeout`] for a sequenced operation while
    /// a retry could still start after it inside the ordering window, and never past the
    /// deadline. `None`: no bound from the policy.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::retry::RetryPolicy;
    /// let state = RetryPolicy::default().begin(Duration::ZERO, true);
    /// assert_eq!(state.attempt_timeout(Duration::ZERO), Some(Duration::from_secs(3)));
    /// // At 6 s no retry could start after a 3 s attempt (retries stop at 8 s): the
    /// // deadline (30 s from the first send) is the only bound.
    /// let late = Duration::from_secs(6);
    /// assert_eq!(state.attempt_timeout(late), Some(Duration::from_secs(24)));
    /// ```
    pub fn attempt_timeout(&self, now: Duration) -> Option<Duration> {
        let policy = &self.policy;
        let last_safe = self.first_send
            + policy
                .sequence_window
                .saturating_sub(policy.sequence_margin);
        let short = policy
            .sequenced_attempt_timeout
            .filter(|_| self.sequenced && self.attempts < policy.max_attempts)
            .filter(|short| now.saturating_add(*short) < last_safe);
        let left = policy
            .deadline
            .map(|d| (self.first_send + d).saturating_sub(now));
        match (short, left) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Why a retry that could not be admitted in time stops: the ordering window for a
    /// sequenced operation (when it closes first), the deadline otherwise.
    pub fn out_of_time(&self) -> StopReason {
        let policy = &self.policy;
        let window = policy
            .sequence_window
            .saturating_sub(policy.sequence_margin);
        if self.sequenced && policy.deadline.is_none_or(|d| window <= d) {
            StopReason::SequenceWindowClosing
        } else {
            StopReason::DeadlineExceeded
        }
    }

    /// Reports that the latest attempt failed at monotonic time `now`.
    /// On [`RetryDecision::RetryAfter`] the attempt count goes up by one.
    pub fn on_failure<R: RngCore + ?Sized>(
        &mut self,
        failure: AttemptFailure,
        now: Duration,
        rng: &mut R,
    ) -> RetryDecision {
        self.on_failure_not_before(failure, now, None, rng)
    }

    /// [`RetryState::on_failure`] for an answer that asked the client to wait
    /// `retry_after` (its `Retry-After` header) before the next request: the delay is at
    /// least that, and when that wait would end after the deadline or, for a sequenced
    /// operation, after the last moment its window allows a retry, the call stops with
    /// [`StopReason::RetryAfterTooLate`] instead of retrying early.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::retry::{AttemptFailure, RetryDecision, RetryPolicy, StopReason};
    /// use zego_proto::ErrorClass;
    /// let busy = AttemptFailure::Answer(ErrorClass::Transient);
    /// let mut rng = rand::rng();
    /// let mut state = RetryPolicy::default().begin(Duration::ZERO, false);
    /// let seven = Some(Duration::from_secs(7));
    /// assert_eq!(state.on_failure_not_before(busy, Duration::ZERO, seven, &mut rng),
    ///            RetryDecision::RetryAfter(Duration::from_secs(7)));
    /// // A forbid may not retry after 8 s: it stops rather than retry before 9 s.
    /// let mut forbid = RetryPolicy::default().begin(Duration::ZERO, true);
    /// let nine = Some(Duration::from_secs(9));
    /// assert_eq!(forbid.on_failure_not_before(busy, Duration::ZERO, nine, &mut rng),
    ///            RetryDecision::Stop(StopReason::RetryAfterTooLate));
    /// ```
    pub fn on_failure_not_before<R: RngCore + ?Sized>(
        &mut self,
        failure: AttemptFailure,
        now: Duration,
        retry_after: Option<Duration>,
        rng: &mut R,
    ) -> RetryDecision {
        let policy = &self.policy;
        let clock = failure == AttemptFailure::Answer(ErrorClass::Clock);
        if !policy.retries(failure) || (clock && self.clock_retries >= 1) {
            return RetryDecision::Stop(StopReason::NotRetryable);
        }
        if self.attempts >= policy.max_attempts {
            return RetryDecision::Stop(StopReason::AttemptsExhausted);
        }
        let delay = if clock {
            // A fresh timestamp is the fix; waiting would not help.
            Duration::ZERO
        } else {
            self.backoff(failure, rng)
        };
        // The server's wait, when longer than the policy's, is what pushes a retry too
        // late: then it is the reason given.
        let server_wait = retry_after.filter(|asked| *asked > delay);
        let delay = server_wait.unwrap_or(delay);
        let too_late = |reason| {
            if server_wait.is_some() {
                StopReason::RetryAfterTooLate
            } else {
                reason
            }
        };
        let send_at = now.saturating_add(delay);
        if let Some(deadline) = policy.deadline {
            if send_at >= self.first_send + deadline {
                return RetryDecision::Stop(too_late(StopReason::DeadlineExceeded));
            }
        }
        if self.sequenced {
            let last_safe = self.first_send
                + policy
                    .sequence_window
                    .saturating_sub(policy.sequence_margin);
            if send_at >= last_safe {
                return RetryDecision::Stop(too_late(StopReason::SequenceWindowClosing));
            }
        }
        if let Some(budget) = &self.budget {
            if !budget.try_withdraw(now) {
                return RetryDecision::Stop(StopReason::BudgetExhausted);
            }
        }
        self.attempts += 1;
        if clock {
            self.clock_retries += 1;
        }
        RetryDecision::RetryAfter(delay)
    }

    fn backoff<R: RngCore + ?Sized>(&self, failure: AttemptFailure, rng: &mut R) -> Duration {
        let policy = &self.policy;
        let base = if failure == AttemptFailure::Answer(ErrorClass::RateLimited) {
            policy.rate_limited_base_delay
        } else {
            policy.base_delay
        };
        let retry_index = self.attempts.saturating_sub(1).min(30);
        let exponential = base
            .saturating_mul(1u32 << retry_index)
            .min(policy.max_delay);
        if !policy.jitter {
            return exponential;
        }
        let half = exponential / 2;
        let span = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        let random = if span == 0 {
            0
        } else {
            rng.next_u64() % (span + 1)
        };
        half + Duration::from_nanos(random)
    }
}

/// A budget of retries shared by many operations, so a failing service gets a bounded
/// amount of extra traffic instead of every caller retrying at once.
///
/// A token bucket: each retry costs one token; tokens come back at `refill_per_sec` and
/// by `per_success` for each success reported, up to `capacity`.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::retry::RetryBudget;
/// let budget = RetryBudget::new(2, 0.0, 0.0);
/// assert!(budget.try_withdraw(Duration::ZERO));
/// assert!(budget.try_withdraw(Duration::ZERO));
/// assert!(!budget.try_withdraw(Duration::ZERO));
/// ```
#[derive(Debug)]
pub struct RetryBudget {
    capacity: f64,
    refill_per_sec: f64,
    per_success: f64,
    state: Mutex<BudgetState>,
}

#[derive(Debug)]
struct BudgetState {
    tokens: f64,
    updated: Duration,
}

impl Default for RetryBudget {
    /// 100 retries at once, 10 more per second, and one more per 5 successes.
    fn default() -> Self {
        Self::new(100, 10.0, 0.2)
    }
}

impl RetryBudget {
    /// A full budget of `capacity` retries.
    pub fn new(capacity: u32, refill_per_sec: f64, per_success: f64) -> Self {
        let capacity = f64::from(capacity);
        Self {
            capacity,
            refill_per_sec: refill_per_sec.max(0.0),
            per_success: per_success.max(0.0),
            state: Mutex::new(BudgetState {
                tokens: capacity,
                updated: Duration::ZERO,
            }),
        }
    }

    fn with_state<T>(&self, now: Duration, f: impl FnOnce(&mut BudgetState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = now.saturating_sub(state.updated).as_secs_f64();
        state.tokens = (state.tokens + elapsed * self.refill_per_sec).min(self.capacity);
        state.updated = state.updated.max(now);
        f(&mut state)
    }

    /// Takes one retry from the budget, if there is one.
    pub fn try_withdraw(&self, now: Duration) -> bool {
        self.with_state(now, |s| {
            if s.tokens >= 1.0 {
                s.tokens -= 1.0;
                true
            } else {
                false
            }
        })
    }

    /// Reports a successful operation, which earns back part of a retry.
    pub fn record_success(&self, now: Duration) {
        let (per_success, capacity) = (self.per_success, self.capacity);
        self.with_state(now, |s| s.tokens = (s.tokens + per_success).min(capacity));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    const TRANSIENT: AttemptFailure = AttemptFailure::Answer(ErrorClass::Transient);

    fn rng() -> SmallRng {
        SmallRng::seed_from_u64(3)
    }

    #[test]
    fn retries_up_to_max_attempts_with_growing_capped_delays() {
        let policy = RetryPolicy {
            jitter: false,
            deadline: None,
            max_attempts: 8,
            ..RetryPolicy::default()
        };
        let mut state = policy.begin(Duration::ZERO, false);
        let mut delays = Vec::new();
        while let RetryDecision::RetryAfter(d) =
            state.on_failure(TRANSIENT, Duration::ZERO, &mut rng())
        {
            delays.push(d.as_millis());
        }
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 4000]);
        assert_eq!(state.attempts(), 8);
        assert_eq!(
            state.on_failure(TRANSIENT, Duration::ZERO, &mut rng()),
            RetryDecision::Stop(StopReason::AttemptsExhausted)
        );
    }

    #[test]
    fn jitter_stays_between_half_and_full_delay() {
        let policy = RetryPolicy {
            max_attempts: 2,
            ..RetryPolicy::default()
        };
        let mut r = rng();
        for _ in 0..200 {
            let mut state = policy.begin(Duration::ZERO, false);
            let RetryDecision::RetryAfter(d) = state.on_failure(TRANSIENT, Duration::ZERO, &mut r)
            else {
                panic!()
            };
            assert!(
                d >= Duration::from_millis(50) && d <= Duration::from_millis(100),
                "{d:?}"
            );
        }
    }

    #[test]
    fn rate_limits_back_off_longer() {
        let policy = RetryPolicy {
            jitter: false,
            ..RetryPolicy::default()
        };
        let mut state = policy.begin(Duration::ZERO, false);
        assert_eq!(
            state.on_failure(
                AttemptFailure::Answer(ErrorClass::RateLimited),
                Duration::ZERO,
                &mut rng()
            ),
            RetryDecision::RetryAfter(Duration::from_millis(500))
        );
    }

    #[test]
    fn never_retries_what_cannot_succeed() {
        let policy = RetryPolicy::default();
        for class in [
            ErrorClass::BadRequest,
            ErrorClass::AuthOrConfig,
            ErrorClass::NotFound,
            ErrorClass::Other,
        ] {
            let mut state = policy.begin(Duration::ZERO, false);
            assert_eq!(
                state.on_failure(AttemptFailure::Answer(class), Duration::ZERO, &mut rng()),
                RetryDecision::Stop(StopReason::NotRetryable)
            );
        }
    }

    #[test]
    fn clock_errors_are_retried_once_at_once() {
        let policy = RetryPolicy::default();
        let clock = AttemptFailure::Answer(ErrorClass::Clock);
        let mut state = policy.begin(Duration::ZERO, true);
        assert_eq!(
            state.on_failure(clock, Duration::ZERO, &mut rng()),
            RetryDecision::RetryAfter(Duration::ZERO)
        );
        assert_eq!(
            state.on_failure(clock, Duration::ZERO, &mut rng()),
            RetryDecision::Stop(StopReason::NotRetryable)
        );
    }

    #[test]
    fn sequenced_operations_stop_before_the_window_closes() {
        let policy = RetryPolicy {
            jitter: false,
            deadline: None,
            max_attempts: 100,
            ..RetryPolicy::default()
        };
        let start = Duration::from_secs(1000);
        let mut state = policy.begin(start, true);
        // 7.9 s in, a 100 ms backoff would send at 8.0 s = 10 s window - 2 s margin.
        let late = start + Duration::from_millis(7900);
        assert_eq!(
            state.on_failure(TRANSIENT, late, &mut rng()),
            RetryDecision::Stop(StopReason::SequenceWindowClosing)
        );
        // The same failure for an unsequenced operation is retried.
        let mut state = policy.begin(start, false);
        assert!(matches!(
            state.on_failure(TRANSIENT, late, &mut rng()),
            RetryDecision::RetryAfter(_)
        ));
    }

    #[test]
    fn the_deadline_bounds_all_attempts() {
        let policy = RetryPolicy {
            jitter: false,
            deadline: Some(Duration::from_secs(1)),
            ..RetryPolicy::default()
        };
        let mut state = policy.begin(Duration::ZERO, false);
        assert_eq!(
            state.on_failure(TRANSIENT, Duration::from_millis(950), &mut rng()),
            RetryDecision::Stop(StopReason::DeadlineExceeded)
        );
    }

    #[test]
    fn the_budget_is_shared_and_refills() {
        let budget = Arc::new(RetryBudget::new(1, 1.0, 0.5));
        let policy = RetryPolicy::default();
        let mut a = policy
            .begin(Duration::ZERO, false)
            .with_budget(Arc::clone(&budget));
        let mut b = policy
            .begin(Duration::ZERO, false)
            .with_budget(Arc::clone(&budget));
        assert!(matches!(
            a.on_failure(TRANSIENT, Duration::ZERO, &mut rng()),
            RetryDecision::RetryAfter(_)
        ));
        assert_eq!(
            b.on_failure(TRANSIENT, Duration::ZERO, &mut rng()),
            RetryDecision::Stop(StopReason::BudgetExhausted)
        );
        assert!(budget.try_withdraw(Duration::from_secs(1)));
        budget.record_success(Duration::from_secs(1));
        budget.record_success(Duration::from_secs(1));
        assert!(budget.try_withdraw(Duration::from_secs(1)));
        assert!(!budget.try_withdraw(Duration::from_secs(1)));
    }
}
