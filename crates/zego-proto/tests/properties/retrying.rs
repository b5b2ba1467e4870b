//! Retrying: every bound of the policy holds.

use super::*;

fn failure() -> impl Strategy<Value = AttemptFailure> {
    prop::sample::select(vec![
        AttemptFailure::Answer(ErrorClass::Success),
        AttemptFailure::Answer(ErrorClass::RateLimited),
        AttemptFailure::Answer(ErrorClass::Transient),
        AttemptFailure::Answer(ErrorClass::Clock),
        AttemptFailure::Answer(ErrorClass::AuthOrConfig),
        AttemptFailure::Answer(ErrorClass::BadRequest),
        AttemptFailure::Answer(ErrorClass::NotFound),
        AttemptFailure::Answer(ErrorClass::Other),
        AttemptFailure::Connect,
        AttemptFailure::Interrupted,
        AttemptFailure::Timeout,
        AttemptFailure::Admission,
    ])
}

fn millis(max: u64) -> impl Strategy<Value = Duration> {
    (0..=max).prop_map(Duration::from_millis)
}

fn policy() -> impl Strategy<Value = RetryPolicy> {
    (
        (
            1u32..=12,
            millis(2_000),
            millis(5_000),
            millis(10_000),
            any::<bool>(),
        ),
        any::<[bool; 5]>(),
        prop::option::of(millis(60_000)),
        millis(20_000),
        millis(5_000),
    )
        .prop_map(
            |((max_attempts, base, rl_base, max_delay, jitter), on, deadline, window, margin)| {
                RetryPolicy {
                    max_attempts,
                    base_delay: base,
                    rate_limited_base_delay: rl_base,
                    max_delay,
                    jitter,
                    retry_on: RetryOn {
                        rate_limited: on[0],
                        transient: on[1],
                        clock: on[2],
                        connect: on[3],
                        interrupted: on[4],
                    },
                    deadline,
                    sequence_window: window,
                    sequence_margin: margin,
                    ..RetryPolicy::default()
                }
            },
        )
}

fn enabled(policy: &RetryPolicy, failure: AttemptFailure) -> bool {
    let on = policy.retry_on;
    match failure {
        AttemptFailure::Answer(ErrorClass::RateLimited) => on.rate_limited,
        AttemptFailure::Answer(ErrorClass::Transient) => on.transient,
        AttemptFailure::Answer(ErrorClass::Clock) => on.clock,
        AttemptFailure::Connect | AttemptFailure::Admission => on.connect,
        AttemptFailure::Interrupted | AttemptFailure::Timeout => on.interrupted,
        _ => false,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A retry never leaves before the server's `Retry-After`, and never after the
    /// deadline or (sequenced) the window; when the wait cannot fit, the call stops.
    #[test]
    fn retry_after_is_never_shortened_and_never_stretches_a_bound(
        policy in prop_oneof![Just(RetryPolicy::default()), policy()],
        sequenced in any::<bool>(),
        first_send in millis(10_000_000),
        failures in prop::collection::vec((failure(), millis(3_000), prop::option::of(millis(40_000))), 1..10),
        seed in any::<u64>(),
    ) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut state = policy.begin(first_send, sequenced);
        let last_safe = first_send + policy.sequence_window.saturating_sub(policy.sequence_margin);
        let mut now = first_send;
        for (failure, took, retry_after) in failures {
            now += took;
            match state.on_failure_not_before(failure, now, retry_after, &mut rng) {
                RetryDecision::RetryAfter(delay) => {
                    if let Some(asked) = retry_after {
                        prop_assert!(delay >= asked, "{:?} < Retry-After {:?}", delay, asked);
                    }
                    let send_at = now + delay;
                    if sequenced {
                        prop_assert!(send_at < last_safe);
                    }
                    if let Some(deadline) = policy.deadline {
                        prop_assert!(send_at < first_send + deadline);
                    }
                    // An attempt bounded by the policy still leaves the window open after it.
                    if let Some(bound) = state.attempt_timeout(send_at) {
                        if let Some(deadline) = policy.deadline {
                            prop_assert!(send_at + bound <= first_send + deadline);
                        }
                    }
                    now = send_at;
                }
                RetryDecision::Stop(StopReason::RetryAfterTooLate) => {
                    let asked = retry_after.expect("only a Retry-After stops for it");
                    let end = [
                        policy.deadline.map(|d| first_send + d),
                        sequenced.then_some(last_safe),
                    ];
                    prop_assert!(
                        end.iter().flatten().any(|end| now + asked >= *end),
                        "stopped though {:?} fits", asked
                    );
                    break;
                }
                RetryDecision::Stop(_) => break,
            }
        }
    }

    #[test]
    fn retries_respect_every_bound(
        policy in prop_oneof![Just(RetryPolicy::default()), policy()],
        sequenced in any::<bool>(),
        first_send in millis(10_000_000),
        failures in prop::collection::vec((failure(), millis(3_000)), 1..20),
        seed in any::<u64>(),
    ) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut state = policy.begin(first_send, sequenced);
        prop_assert_eq!(state.attempts(), 1);
        let last_safe = first_send + policy.sequence_window.saturating_sub(policy.sequence_margin);
        let mut now = first_send;
        let mut retries = 0u32;
        let mut clock_retries = 0u32;
        for (failure, took) in failures {
            now += took;
            let attempts_before = state.attempts();
            let decision = state.on_failure(failure, now, &mut rng);
            match decision {
                RetryDecision::RetryAfter(delay) => {
                    retries += 1;
                    prop_assert!(enabled(&policy, failure), "retried {:?} under {:?}", failure, policy.retry_on);
                    prop_assert!(delay <= policy.max_delay, "{:?} > {:?}", delay, policy.max_delay);
                    prop_assert!(state.attempts() <= policy.max_attempts);
                    prop_assert_eq!(state.attempts(), attempts_before + 1);
                    let send_at = now + delay;
                    if sequenced {
                        prop_assert!(send_at < last_safe, "sends at {:?}, window closes {:?}", send_at, last_safe);
                    }
                    if let Some(deadline) = policy.deadline {
                        prop_assert!(send_at < first_send + deadline);
                    }
                    if failure == AttemptFailure::Answer(ErrorClass::Clock) {
                        clock_retries += 1;
                        prop_assert!(clock_retries <= 1, "a clock error was retried twice");
                        prop_assert_eq!(delay, Duration::ZERO);
                    } else {
                        // Exponential backoff from the class's base, capped, with equal jitter.
                        let base = if failure == AttemptFailure::Answer(ErrorClass::RateLimited) {
                            policy.rate_limited_base_delay
                        } else {
                            policy.base_delay
                        };
                        let shift = (attempts_before - 1).min(30);
                        let full = base.saturating_mul(1 << shift).min(policy.max_delay);
                        if policy.jitter {
                            prop_assert!(delay >= full / 2 && delay <= full, "{:?} vs {:?}", delay, full);
                        } else {
                            prop_assert_eq!(delay, full);
                        }
                    }
                    now = send_at;
                }
                RetryDecision::Stop(reason) => {
                    prop_assert_eq!(state.attempts(), attempts_before);
                    if !enabled(&policy, failure) {
                        prop_assert_eq!(reason, StopReason::NotRetryable);
                    }
                    if reason == StopReason::SequenceWindowClosing {
                        prop_assert!(sequenced);
                    }
                    if reason == StopReason::AttemptsExhausted {
                        prop_assert_eq!(state.attempts(), policy.max_attempts);
                    }
                    prop_assert_ne!(reason, StopReason::BudgetExhausted);
                    break;
                }
            }
        }
        prop_assert!(retries < policy.max_attempts);
        prop_assert_eq!(state.attempts(), retries + 1);
    }

    /// Classes that cannot succeed on a retry stop at once, whatever the policy.
    #[test]
    fn non_retryable_classes_always_stop(
        policy in policy(),
        sequenced in any::<bool>(),
        class in prop::sample::select(vec![
            ErrorClass::Success,
            ErrorClass::AuthOrConfig,
            ErrorClass::BadRequest,
            ErrorClass::NotFound,
            ErrorClass::Other,
        ]),
        before in prop::collection::vec(failure(), 0..4),
        seed in any::<u64>(),
    ) {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut state = policy.begin(Duration::ZERO, sequenced);
        for f in before {
            if let RetryDecision::Stop(_) = state.on_failure(f, Duration::ZERO, &mut rng) {
                break;
            }
        }
        prop_assert_eq!(
            state.on_failure(AttemptFailure::Answer(class), Duration::ZERO, &mut rng),
            RetryDecision::Stop(StopReason::NotRetryable)
        );
        prop_assert!(!class.is_retryable());
    }
}

#[test]
fn never_means_never() {
    let policy = RetryPolicy::never();
    let mut rng = SmallRng::seed_from_u64(0);
    for f in [
        AttemptFailure::Answer(ErrorClass::Transient),
        AttemptFailure::Answer(ErrorClass::RateLimited),
        AttemptFailure::Connect,
        AttemptFailure::Timeout,
        AttemptFailure::Admission,
    ] {
        let mut state = policy.begin(Duration::ZERO, false);
        assert_eq!(
            state.on_failure(f, Duration::ZERO, &mut rng),
            RetryDecision::Stop(StopReason::AttemptsExhausted)
        );
    }
}
