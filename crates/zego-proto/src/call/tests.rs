//! The call state machine's tests, on the manual clock.

use std::sync::Arc;
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::SeedableRng;

use crate::admission::{
    Admission, AdmissionError, AdmissionRequest, Booking, Coordinator, Feedback, LocalCoordinator,
};
use crate::call_error::{CallError, CallErrorKind};
use crate::clock::{Clock, ManualClock};
use crate::codes::{ErrorClass, ReturnCode};
use crate::credentials::Credentials;
use crate::encode::decode_query;
use crate::operation::Operation;
use crate::operation::RateLimitGroup;
use crate::ops::{DescribeSimpleStreamList, ForbidRtcStreams, SetForbidStreamRule};
use crate::rate_limit::RateLimitKey;
use crate::request::HttpResponse;
use crate::response::ApiResponse;
use crate::retry::{RetryPolicy, StopReason};
use crate::sequence::Sequence;
use crate::transport_error::{TransportError, TransportErrorKind};

use super::*;
use crate::admission::{WaitLimit, WaitReason};

type Outcome = Result<HttpResponse, TransportError>;

#[allow(clippy::unnecessary_wraps)] // Scripted outcomes are Results.
fn ok() -> Outcome {
    Ok(HttpResponse::new(
        200,
        r#"{"Code":0,"Message":"ok","RequestId":"r"}"#,
    ))
}

#[allow(clippy::unnecessary_wraps)]
fn code(c: i64) -> Outcome {
    Ok(HttpResponse::new(
        200,
        format!(r#"{{"Code":{c},"Message":"m","RequestId":"r"}}"#),
    ))
}

const START: Duration = Duration::from_secs(1_700_000_000);

/// A core whose coordinator paces on `clock` and has its own sequences.
fn core_on(clock: &Arc<ManualClock>, limited: bool) -> ClientCore {
    let mut coordinator = LocalCoordinator::new().with_clock(clock.clone());
    if !limited {
        coordinator = coordinator.unlimited();
    }
    ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(Arc::new(coordinator))
        .build()
}

/// What a scripted run did.
struct Run<T> {
    result: Result<ApiResponse<T>, CallError>,
    sent: Vec<String>,
    /// Each request's own timeout.
    timeouts: Vec<Option<Duration>>,
    slept: Duration,
    feedback: Vec<Feedback>,
}

/// Drives a call like a transport would, against scripted outcomes; every request
/// takes 20 ms, except a scripted timeout, which takes the request's timeout.
fn drive<O: Operation>(
    core: &ClientCore,
    clock: &ManualClock,
    op: &O,
    outcomes: Vec<Outcome>,
) -> Run<O::Output> {
    drive_with(core, clock, op, &CallOptions::new(), outcomes)
}

/// [`drive`] with per-call options.
fn drive_with<O: Operation>(
    core: &ClientCore,
    clock: &ManualClock,
    op: &O,
    options: &CallOptions,
    mut outcomes: Vec<Outcome>,
) -> Run<O::Output> {
    let mut rng = SmallRng::seed_from_u64(1);
    outcomes.reverse();
    let (mut sent, mut slept, mut feedback) = (Vec::new(), Duration::ZERO, Vec::new());
    let mut timeouts = Vec::new();
    let mut call = core.call_with(op, options);
    let mut step = call.step(clock.now(), &mut rng);
    loop {
        step = match step {
            Step::Admit(request) => {
                let answer = core.coordinator().admit(&request);
                call.on_admission(answer, clock.now(), &mut rng)
            }
            Step::Sleep(d) => {
                clock.advance(d);
                slept += d;
                call.step(clock.now(), &mut rng)
            }
            Step::Send(req) => {
                sent.push(req.url().to_owned());
                timeouts.push(req.timeout());
                let outcome = outcomes.pop().expect("more requests than scripted");
                clock.advance(match &outcome {
                    Err(e) if e.kind() == TransportErrorKind::Timeout => req
                        .timeout()
                        .unwrap_or(core.transport_options().request_timeout),
                    _ => Duration::from_millis(20),
                });
                call.on_response(outcome, clock.now(), &mut rng)
            }
            Step::Feedback(f) => {
                core.coordinator().feedback(&f);
                feedback.push(f);
                call.step(clock.now(), &mut rng)
            }
            Step::Done(result) => {
                return Run {
                    result,
                    sent,
                    timeouts,
                    slept,
                    feedback,
                }
            }
        }
    }
}

fn setup(limited: bool) -> (Arc<ManualClock>, ClientCore) {
    let clock = Arc::new(ManualClock::new(START));
    let core = core_on(&clock, limited);
    (clock, core)
}

fn param(url: &str, key: &str) -> String {
    decode_query(url)
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
        .unwrap()
}

#[test]
fn the_sequence_is_stamped_once_and_kept_across_retries() {
    let (clock, core) = setup(true);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&core, &clock, &op, vec![code(30003), code(42003), ok()]);
    assert!(run.result.is_ok());
    assert_eq!(run.sent.len(), 3);
    let nonces: std::collections::HashSet<_> = run
        .sent
        .iter()
        .map(|u| param(u, "SignatureNonce"))
        .collect();
    assert_eq!(nonces.len(), 3, "every attempt has a fresh nonce");
    let sequences: std::collections::HashSet<_> =
        run.sent.iter().map(|u| param(u, "Sequence")).collect();
    assert_eq!(sequences.len(), 1, "{sequences:?}");
    assert_eq!(
        sequences.into_iter().next().unwrap(),
        (START.as_millis()).to_string()
    );
}

fn timed_out() -> Outcome {
    Err(TransportError::new(
        TransportErrorKind::Timeout,
        "no answer",
    ))
}

#[test]
fn a_hung_sequenced_attempt_is_cut_short_so_a_retry_fits_in_the_window() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&core, &clock, &op, vec![timed_out(), ok()]);
    assert!(run.result.is_ok(), "{:?}", run.result.err());
    assert_eq!(run.sent.len(), 2);
    assert_eq!(run.timeouts[0], Some(Duration::from_secs(3)));
    // Without the bound, the 10 s request timeout outlasts the window: no retry.
    let unbounded = ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(core.coordinator().clone())
        .retry_policy(RetryPolicy {
            sequenced_attempt_timeout: None,
            ..RetryPolicy::default()
        })
        .build();
    let run = drive(&unbounded, &clock, &op, vec![timed_out()]);
    let err = run.result.unwrap_err();
    assert_eq!(err.stop_reason(), Some(StopReason::SequenceWindowClosing));
    assert_eq!(run.timeouts, [None]);
}

#[test]
fn attempts_of_unsequenced_calls_are_bounded_by_the_deadline_only() {
    let (clock, core) = setup(false);
    let op = SetForbidStreamRule::new(
        "r",
        "s",
        crate::ops::MediaBan::Audio,
        crate::ops::EffectiveTime::default(),
    )
    .unwrap();
    let run = drive(&core, &clock, &op, vec![ok()]);
    assert_eq!(run.timeouts, [None], "the transport's 10 s applies");
    let short = CallOptions::new().with_deadline(Duration::from_secs(4));
    let mut call = core.call_with(&op, &short);
    let mut rng = SmallRng::seed_from_u64(1);
    let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a = core.coordinator().admit(&r);
    let Step::Send(req) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    assert_eq!(req.timeout(), Some(Duration::from_secs(4)));
}

#[allow(clippy::unnecessary_wraps)]
fn unavailable(retry_after: &str) -> Outcome {
    Ok(HttpResponse::new(503, "<html>busy</html>").with_header("Retry-After", retry_after))
}

#[test]
fn retry_after_is_honoured_within_the_deadline_and_the_window() {
    let (clock, core) = setup(false);
    let rule = SetForbidStreamRule::new(
        "r",
        "s",
        crate::ops::MediaBan::Audio,
        crate::ops::EffectiveTime::default(),
    )
    .unwrap();
    let run = drive(&core, &clock, &rule, vec![unavailable("7"), ok()]);
    assert!(run.result.is_ok());
    assert_eq!(run.slept, Duration::from_secs(7));
    // An HTTP date, counted from the answer's Date.
    let dated = Ok(HttpResponse::new(429, "slow down")
        .with_header("Date", "Tue, 14 Nov 2023 22:13:20 GMT")
        .with_header("Retry-After", "Tue, 14 Nov 2023 22:13:25 GMT"));
    let run = drive(&core, &clock, &rule, vec![dated, ok()]);
    assert!(run.result.is_ok());
    assert!(run.slept >= Duration::from_secs(5), "{:?}", run.slept);
    // Past the deadline: a clear stop, not an early retry.
    let run = drive(&core, &clock, &rule, vec![unavailable("31")]);
    let err = run.result.unwrap_err();
    assert_eq!(
        err.stop_reason(),
        Some(StopReason::RetryAfterTooLate),
        "{err}"
    );
    assert_eq!(run.sent.len(), 1);
    // A forbid may not retry after 8 s of its window.
    let forbid = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&core, &clock, &forbid, vec![unavailable("9")]);
    let err = run.result.unwrap_err();
    assert_eq!(
        err.stop_reason(),
        Some(StopReason::RetryAfterTooLate),
        "{err}"
    );
    let run = drive(&core, &clock, &forbid, vec![unavailable("2"), ok()]);
    assert!(run.result.is_ok());
    assert!(run.slept >= Duration::from_secs(2));
    // On other statuses the header is not read.
    let other = Ok(HttpResponse::new(502, "bad gateway").with_header("Retry-After", "60"));
    let run = drive(&core, &clock, &forbid, vec![other, ok()]);
    assert!(run.result.is_ok());
    assert!(run.slept < Duration::from_secs(1));
}

#[test]
fn a_skewed_clock_is_corrected_from_the_date_header_after_100000004() {
    let clock = Arc::new(ManualClock::new(
        START.saturating_sub(Duration::from_secs(20 * 60)),
    ));
    let core = core_on(&clock, false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let expired = Ok(HttpResponse::new(
        200,
        r#"{"Code":100000004,"Message":"signature expired","RequestId":"r"}"#,
    )
    .with_header("Date", "Tue, 14 Nov 2023 22:13:20 GMT"));
    let run = drive(&core, &clock, &op, vec![expired, ok()]);
    assert!(run.result.is_ok(), "{:?}", run.result.err());
    let stamps: Vec<u64> = run
        .sent
        .iter()
        .map(|u| param(u, "Timestamp").parse().unwrap())
        .collect();
    assert_eq!(stamps[0], START.as_secs() - 20 * 60);
    assert_eq!(stamps[1], START.as_secs(), "re-signed with ZEGO's time");
    // Measured when the answer came, 20 ms after the send.
    assert_eq!(core.clock_offset_millis(), Some(20 * 60 * 1000 - 20));
    // Later calls of this client (and its clones) are signed right the first time.
    let run = drive(&core.clone(), &clock, &op, vec![ok()]);
    let stamp: u64 = param(&run.sent[0], "Timestamp").parse().unwrap();
    assert_eq!(stamp, START.as_secs());
    // The Sequence stays on the local clock.
    assert_eq!(
        param(&run.sent[0], "Sequence").parse::<u128>().unwrap() / 1000,
        u128::from(START.as_secs() - 20 * 60)
    );
}

#[test]
fn a_proxy_page_s_date_is_not_taken_for_zego_s_clock() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let page = Ok(HttpResponse::new(502, "<html>bad gateway</html>")
        .with_header("Date", "Mon, 01 Jan 2001 00:00:00 GMT"));
    let _ = drive(&core, &clock, &op, vec![page, ok()]);
    assert_eq!(core.clock_offset_millis(), None);
}

#[test]
fn a_date_header_alone_does_not_change_the_signing_time() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let wrong = Ok(
        HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"r"}"#)
            .with_header("Date", "Mon, 01 Jan 2001 00:00:00 GMT"),
    );
    let _ = drive(&core, &clock, &op, vec![wrong]);
    assert!(core.clock_offset_millis().is_some_and(|ms| ms < 0));
    let run = drive(&core, &clock, &op, vec![ok()]);
    let stamp: u64 = param(&run.sent[0], "Timestamp").parse().unwrap();
    assert_eq!(stamp, clock.now().unix_secs());
}

#[test]
fn an_explicit_sequence_is_sent_as_is() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"])
        .unwrap()
        .with_sequence(Sequence::new(42));
    let run = drive(&core, &clock, &op, vec![ok()]);
    assert_eq!(param(&run.sent[0], "Sequence"), "42");
}

#[test]
fn the_sequence_is_taken_after_the_wait_for_a_slot() {
    let (clock, core) = setup(true);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let mut rng = SmallRng::seed_from_u64(2);
    // Two calls queue for slots before either is sent: the second waits 50 ms.
    let mut first = core.call(&op);
    let mut second = core.call(&op);
    let Step::Admit(r1) = first.step(clock.now(), &mut rng) else {
        panic!()
    };
    let Step::Admit(r2) = second.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a1 = core.coordinator().admit(&r1);
    let a2 = core.coordinator().admit(&r2);
    let Step::Send(_) = first.on_admission(a1, clock.now(), &mut rng) else {
        panic!()
    };
    let Step::Sleep(wait) = second.on_admission(a2, clock.now(), &mut rng) else {
        panic!()
    };
    assert_eq!(wait, Duration::from_millis(50));
    assert_eq!(second.sequence(), None, "no sequence before the wait");
    clock.advance(wait);
    let Step::Admit(back) = second.step(clock.now(), &mut rng) else {
        panic!()
    };
    assert!(back.booking.is_some() && back.sequence_for.is_some());
    let a = core.coordinator().admit(&back);
    let Step::Send(request) = second.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    let sequence: u64 = param(request.url(), "Sequence").parse().unwrap();
    assert_eq!(u128::from(sequence), (START + wait).as_millis());
    assert!(Some(Sequence::new(sequence)) > first.sequence());
}

#[test]
fn non_retryable_codes_stop_at_once_with_the_api_error() {
    let (clock, core) = setup(true);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&core, &clock, &op, vec![code(30006)]);
    let err = run.result.unwrap_err();
    assert_eq!(run.sent.len(), 1);
    assert_eq!(err.code(), Some(ReturnCode::InvalidStreamIdList));
    assert_eq!(err.attempts(), 1);
    assert_eq!(err.stop_reason(), Some(StopReason::NotRetryable));
    assert!(!err.class().is_retryable());
}

#[test]
fn the_last_outcome_is_recorded_for_logs() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut call = core.call(&op);
    assert!(call.last_outcome().is_none());
    let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a = core.coordinator().admit(&r);
    let _ = call.on_admission(a, clock.now(), &mut rng);
    let _ = call.on_response(code(30006), clock.now(), &mut rng);
    assert_eq!(
        call.last_outcome(),
        Some(AttemptOutcome::Answered {
            http_status: 200,
            code: Some(30006)
        })
    );
}

#[test]
fn exhausted_retries_report_the_last_failure_and_count() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&core, &clock, &op, vec![code(1); 5]);
    let err = run.result.unwrap_err();
    assert_eq!(run.sent.len(), 5);
    assert_eq!(err.attempts(), 5);
    assert_eq!(err.stop_reason(), Some(StopReason::AttemptsExhausted));
    assert!(err.to_string().contains("after 5 attempts"), "{err}");
}

#[test]
fn rate_limited_answers_back_off_longer_and_push_the_group_back() {
    let (clock, core) = setup(true);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&core, &clock, &op, vec![code(30002), ok()]);
    assert!(run.result.is_ok(), "{:?}", run.result);
    assert_eq!(
        run.feedback,
        [Feedback::RateLimited {
            key: RateLimitKey {
                app_id: crate::AppId::new(9),
                environment: crate::Environment::Production,
                group: crate::ops::RateLimitGroup::StreamForbid
            },
            code: 30002
        }]
    );
    // The backoff, then the rest of the 1 s penalty, before the retry.
    assert!(run.slept >= Duration::from_millis(980), "{:?}", run.slept);
    // Feedback is given even when the call stops there.
    let never = ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(core.coordinator().clone())
        .retry_policy(RetryPolicy::never())
        .build();
    let run = drive(&never, &clock, &op, vec![code(206)]);
    assert_eq!(run.feedback.len(), 1);
    assert_eq!(run.result.unwrap_err().class(), ErrorClass::RateLimited);
}

#[test]
fn transport_messages_never_carry_the_signature() {
    let (clock, core) = setup(false);
    let core = ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(core.coordinator().clone())
        .retry_policy(RetryPolicy::never())
        .build();
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut call = core.call(&op);
    let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a = core.coordinator().admit(&r);
    let Step::Send(req) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    let leaky = TransportError::new(
        TransportErrorKind::Interrupted,
        format!("reset while fetching {}", req.url()),
    );
    let Step::Done(Err(err)) = call.on_response(Err(leaky), clock.now(), &mut rng) else {
        panic!()
    };
    let signature = param(req.url(), "Signature");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(&signature), "{shown}");
    assert!(!shown.contains("topsecret"));
}

#[test]
fn the_coordinator_paces_calls() {
    let (clock, core) = setup(true);
    let op = SetForbidStreamRule::new(
        "r",
        "s",
        crate::ops::MediaBan::Audio,
        crate::ops::EffectiveTime::default(),
    )
    .unwrap();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut sleeps = Vec::new();
    for _ in 0..3 {
        let mut call = core.call(&op);
        let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
            panic!()
        };
        let a = core.coordinator().admit(&r);
        match call.on_admission(a, clock.now(), &mut rng) {
            Step::Sleep(d) => sleeps.push(d),
            Step::Send(_) => sleeps.push(Duration::ZERO),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        sleeps,
        [
            Duration::ZERO,
            Duration::from_millis(100),
            Duration::from_millis(200)
        ]
    );
}

#[test]
fn connection_failures_are_retried_and_body_too_large_is_not() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let refused = Err(TransportError::new(TransportErrorKind::Connect, "refused"));
    let run = drive(&core, &clock, &op, vec![refused, ok()]);
    assert!(run.result.is_ok());
    assert_eq!(run.sent.len(), 2);
    let big = Err(TransportError::new(
        TransportErrorKind::BodyTooLarge { limit: 10 },
        "too big",
    ));
    let run = drive(&core, &clock, &op, vec![big]);
    let err = run.result.unwrap_err();
    assert!(matches!(err.kind(), CallErrorKind::Transport(_)));
    assert_eq!(err.class(), ErrorClass::Other);
    assert_eq!(run.sent.len(), 1);
}

/// A coordinator that fails a given number of times, then admits.
#[derive(Debug)]
struct Flaky(std::sync::atomic::AtomicU32);

impl Coordinator for Flaky {
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
        use std::sync::atomic::Ordering;
        if self.0.load(Ordering::SeqCst) > 0 {
            self.0.fetch_sub(1, Ordering::SeqCst);
            return Err(AdmissionError::new("store unreachable"));
        }
        Ok(Admission::Go {
            sequence: request.sequence_for.map(|_| Sequence::new(7)),
        })
    }
}

#[test]
fn a_failing_coordinator_is_retried_then_reported_and_nothing_is_sent_unadmitted() {
    let clock = Arc::new(ManualClock::new(START));
    let flaky = |failures| {
        ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
            .clock(clock.clone())
            .coordinator(Arc::new(Flaky(std::sync::atomic::AtomicU32::new(failures))))
            .build()
    };
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&flaky(2), &clock, &op, vec![ok()]);
    assert!(run.result.is_ok());
    assert_eq!(run.sent.len(), 1);
    assert_eq!(param(&run.sent[0], "Sequence"), "7");
    let run = drive(&flaky(100), &clock, &op, vec![]);
    let err = run.result.unwrap_err();
    assert!(run.sent.is_empty());
    assert_eq!(err.attempts(), 0);
    assert!(matches!(err.kind(), CallErrorKind::Admission(_)), "{err}");
    assert!(err.class().is_retryable());
    assert_eq!(err.stop_reason(), Some(StopReason::AttemptsExhausted));
}

#[test]
fn a_retry_that_cannot_be_admitted_inside_the_window_stops() {
    let (clock, core) = setup(true);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    // Fill the group's queue 20 s ahead, as a long bulk run would.
    let key = RateLimitKey {
        app_id: crate::AppId::new(9),
        environment: crate::Environment::Production,
        group: crate::ops::RateLimitGroup::StreamForbid,
    };
    let mut rng = SmallRng::seed_from_u64(1);
    let mut call = core.call(&op);
    let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a = core.coordinator().admit(&r);
    let Step::Send(_) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    for _ in 0..400 {
        let _ = core
            .coordinator()
            .admit(&AdmissionRequest::new(key, clock.now().unix));
    }
    let Step::Sleep(backoff) = call.on_response(code(30003), clock.now(), &mut rng) else {
        panic!()
    };
    clock.advance(backoff);
    let Step::Admit(retry) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    assert!(retry.max_wait.is_some_and(|w| w < Duration::from_secs(8)));
    let a = core.coordinator().admit(&retry);
    let Step::Done(Err(err)) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    assert_eq!(err.stop_reason(), Some(StopReason::SequenceWindowClosing));
    assert_eq!(err.code().map(ReturnCode::code), Some(30003), "{err}");
    assert_eq!(err.attempts(), 1);
}

#[test]
fn a_retry_admitted_after_the_window_is_not_sent() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut call = core.call(&op);
    let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a = core.coordinator().admit(&r);
    let Step::Send(_) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    let Step::Sleep(backoff) = call.on_response(code(30003), clock.now(), &mut rng) else {
        panic!()
    };
    clock.advance(backoff);
    let Step::Admit(retry) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a = core.coordinator().admit(&retry);
    // A slow coordinator: its Go arrives 12 s after the first send.
    clock.advance(Duration::from_secs(12));
    let Step::Done(Err(err)) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    assert_eq!(err.stop_reason(), Some(StopReason::SequenceWindowClosing));
    assert_eq!(err.attempts(), 1, "the late retry was not sent");
    assert_eq!(err.code().map(ReturnCode::code), Some(30003));
}

#[test]
fn a_signature_echoed_by_the_server_is_scrubbed_from_the_error() {
    let (clock, core) = setup(false);
    let core = ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(core.coordinator().clone())
        .retry_policy(RetryPolicy::never())
        .build();
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    for status in [200u16, 502] {
        let mut rng = SmallRng::seed_from_u64(1);
        let mut call = core.call(&op);
        let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
            panic!()
        };
        let a = core.coordinator().admit(&r);
        let Step::Send(req) = call.on_admission(a, clock.now(), &mut rng) else {
            panic!()
        };
        let url = req.url().to_owned();
        let body = if status == 200 {
            format!(r#"{{"Code":2,"Message":"bad request {url}","RequestId":"{url}"}}"#)
        } else {
            format!("<html>Bad gateway for {url}</html>")
        };
        let Step::Done(Err(err)) =
            call.on_response(Ok(HttpResponse::new(status, body)), clock.now(), &mut rng)
        else {
            panic!()
        };
        let signature = param(&url, "Signature");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&signature), "HTTP {status}: {shown}");
    }
}

#[test]
fn signatures_echoed_in_a_successful_answer_never_reach_the_caller() {
    let (clock, core) = setup(false);
    let op = crate::ops::RawOperation::new("DescribeX").unwrap();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut call = core.call(&op);
    let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    let a = core.coordinator().admit(&r);
    let Step::Send(req) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    let url = req.url().to_owned();
    let signature = param(&url, "Signature");
    // The live URL in Data and RequestId, and an earlier request's URL in Message.
    let body = format!(
        r#"{{"Code":0,"Message":"echo /?Signature=0badc0ffee0badc0ffee0badc0ffee00&x=1","RequestId":"{url}","Data":{{"url":"{url}"}}}}"#
    );
    let Step::Done(Ok(answer)) =
        call.on_response(Ok(HttpResponse::new(200, body)), clock.now(), &mut rng)
    else {
        panic!()
    };
    let shown = format!("{answer:?}");
    assert!(!shown.contains(&signature), "{shown}");
    assert!(!shown.contains("0badc0ffee"), "{shown}");
    assert!(shown.contains("Signature=<redacted>"), "{shown}");
}

/// A coordinator that keeps answering Wait, even to a call holding its slot.
#[derive(Debug)]
struct Stalling;

impl Coordinator for Stalling {
    fn admit(&self, _: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
        Ok(Admission::Wait {
            delay: Duration::from_millis(10),
            booking: Booking::new(1),
        })
    }
}

#[test]
fn a_coordinator_that_never_admits_a_booked_call_is_reported_not_waited_on() {
    let clock = Arc::new(ManualClock::new(START));
    let core = ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(Arc::new(Stalling))
        .build();
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let run = drive(&core, &clock, &op, vec![]);
    let err = run.result.unwrap_err();
    assert!(matches!(err.kind(), CallErrorKind::Driver(_)), "{err}");
    assert!(run.sent.is_empty());
}

#[test]
fn a_cancelled_call_sends_nothing_more() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let token = CancelToken::new();
    let options = CallOptions::new().with_cancel(token.clone());
    let mut rng = SmallRng::seed_from_u64(1);
    let mut call = core.call_with(&op, &options);
    let Step::Admit(r) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    token.cancel();
    let a = core.coordinator().admit(&r);
    let Step::Done(Err(err)) = call.on_admission(a, clock.now(), &mut rng) else {
        panic!()
    };
    assert!(matches!(err.kind(), CallErrorKind::Cancelled));
    assert_eq!(err.attempts(), 0);
    assert!(!err.class().is_retryable());
}

#[cfg(feature = "metrics")]
#[test]
fn calls_are_recorded_as_metrics_without_stream_ids() {
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let (clock, core) = setup(true);
        let op = ForbidRtcStreams::new(["secret-stream-id"]).unwrap();
        let run = drive(&core, &clock, &op, vec![code(30003), ok()]);
        assert!(run.result.is_ok());
        let _ = drive(&core, &clock, &op, vec![code(30006)]);
    });
    let snapshot = snapshotter.snapshot().into_vec();
    let value = |name: &str, label: Option<(&str, &str)>| {
        snapshot
            .iter()
            .filter(|(key, ..)| key.key().name() == name)
            .filter(|(key, ..)| {
                label
                    .is_none_or(|(k, v)| key.key().labels().any(|l| l.key() == k && l.value() == v))
            })
            .map(|(.., value)| match value {
                DebugValue::Counter(n) => *n,
                DebugValue::Histogram(samples) => samples.len() as u64,
                DebugValue::Gauge(_) => 0,
            })
            .sum::<u64>()
    };
    assert_eq!(
        value("zego_requests_total", Some(("action", "ForbidRTCStreams"))),
        3
    );
    assert_eq!(
        value("zego_retries_total", Some(("reason", "transient"))),
        1
    );
    assert_eq!(value("zego_calls_total", Some(("outcome", "success"))), 1);
    assert_eq!(
        value("zego_calls_total", Some(("outcome", "bad_request"))),
        1
    );
    assert_eq!(value("zego_request_duration_seconds", None), 3);
    assert_eq!(value("zego_call_attempts", None), 2);
    for (key, ..) in &snapshot {
        for label in key.key().labels() {
            assert!(!label.value().contains("secret-stream-id"), "{key:?}");
            assert!(
                ["action", "reason", "outcome"].contains(&label.key()),
                "{key:?}"
            );
        }
    }
}

#[test]
fn driver_misuse_is_a_driver_error_not_a_panic() {
    let (clock, core) = setup(false);
    let op = ForbidRtcStreams::new(["a"]).unwrap();
    let mut rng = SmallRng::seed_from_u64(1);
    let mut call = core.call(&op);
    assert!(matches!(call.step(clock.now(), &mut rng), Step::Admit(_)));
    let Step::Done(Err(err)) = call.step(clock.now(), &mut rng) else {
        panic!()
    };
    assert!(matches!(err.kind(), CallErrorKind::Driver(_)), "{err}");
    assert!(!err.class().is_retryable());
    assert!(matches!(
        call.step(clock.now(), &mut rng),
        Step::Done(Err(_))
    ));
    assert!(matches!(
        call.on_response(ok(), clock.now(), &mut rng),
        Step::Done(Err(_))
    ));
}

/// The second listing of one room inside its 10-second quota, after a first one now.
fn a_room_listed_just_now(core: &ClientCore, clock: &ManualClock) -> DescribeSimpleStreamList {
    let op = DescribeSimpleStreamList::new("room-1").unwrap();
    let first = drive(core, clock, &op, vec![streams_ok()]);
    assert!(first.result.is_ok(), "{:?}", first.result);
    op
}

#[allow(clippy::unnecessary_wraps)]
fn streams_ok() -> Outcome {
    Ok(HttpResponse::new(
        200,
        r#"{"Code":0,"Message":"ok","RequestId":"r","Data":{"StreamList":[]}}"#,
    ))
}

#[test]
fn the_deadline_bounds_the_wait_for_a_slot_and_the_call_fails_at_once_saying_when() {
    let (clock, core) = setup(true);
    let op = a_room_listed_just_now(&core, &clock);
    let options = CallOptions::new().with_deadline(Duration::from_secs(2));
    let run = drive_with(&core, &clock, &op, &options, vec![]);
    assert!(run.sent.is_empty());
    assert_eq!(
        run.slept,
        Duration::ZERO,
        "it must not wait for a slot it cannot use"
    );
    let err = run.result.unwrap_err();
    assert_eq!(err.stop_reason(), Some(StopReason::DeadlineExceeded));
    assert_eq!(err.class(), ErrorClass::RateLimited);
    let CallErrorKind::NotAdmittedInTime(late) = err.kind() else {
        panic!("{err:?}")
    };
    assert_eq!(late.limited_by, WaitLimit::Deadline);
    assert_eq!(late.limit, Duration::from_secs(2));
    assert_eq!(late.group, RateLimitGroup::RoomStreamList);
    assert_eq!(late.room.as_deref(), Some("room-1"));
    // The room's next slot: 10 s after the first listing (20 ms ago), plus the SDK's margin.
    assert!(late.earliest > Duration::from_secs(9), "{late:?}");
    assert!(late.earliest <= Duration::from_secs(11), "{late:?}");
    assert!(err.to_string().contains("room \"room-1\""), "{err}");
}

#[test]
fn max_wait_is_set_per_client_and_overridden_per_call() {
    let clock = Arc::new(ManualClock::new(START));
    let core = ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(Arc::new(LocalCoordinator::new().with_clock(clock.clone())))
        .max_wait(Duration::from_secs(1))
        .build();
    let op = a_room_listed_just_now(&core, &clock);
    let run = drive(&core, &clock, &op, vec![]);
    assert!(run.sent.is_empty());
    assert_eq!(run.slept, Duration::ZERO);
    let err = run.result.unwrap_err();
    let CallErrorKind::NotAdmittedInTime(late) = err.kind() else {
        panic!("{err:?}")
    };
    assert_eq!(late.limited_by, WaitLimit::MaxWait);
    assert_eq!(late.limit, Duration::from_secs(1));
    // A call that may wait longer waits for the slot and is sent.
    let patient = CallOptions::new().with_max_wait(Duration::from_secs(30));
    let run = drive_with(&core, &clock, &op, &patient, vec![streams_ok()]);
    assert!(run.result.is_ok(), "{:?}", run.result);
    assert!(run.slept > Duration::from_secs(9), "{:?}", run.slept);
}

#[test]
fn the_deadline_counts_from_the_start_of_the_call_not_its_first_send() {
    let (clock, core) = setup(true);
    let op = a_room_listed_just_now(&core, &clock);
    let options = CallOptions::new()
        .with_deadline(Duration::from_secs(12))
        .with_retry_policy(RetryPolicy::default());
    let run = drive_with(&core, &clock, &op, &options, vec![timed_out()]);
    assert!(run.slept > Duration::from_secs(9), "{:?}", run.slept);
    // What is left of 12 s after the wait for the slot bounds the attempt.
    let bound = run.timeouts[0].expect("the attempt is bounded by the deadline");
    assert!(
        bound + run.slept <= Duration::from_secs(12),
        "{bound:?} after {:?}",
        run.slept
    );
    let err = run.result.unwrap_err();
    assert_eq!(run.sent.len(), 1, "no retry fits after the deadline");
    assert_eq!(
        err.stop_reason(),
        Some(StopReason::DeadlineExceeded),
        "{err}"
    );
}

#[test]
fn waits_for_a_rate_limit_are_reported_with_their_quota_before_the_sleep() {
    let clock = Arc::new(ManualClock::new(START));
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let core = ClientCore::builder(Credentials::new(9u32, "topsecret").unwrap())
        .clock(clock.clone())
        .coordinator(Arc::new(LocalCoordinator::new().with_clock(clock.clone())))
        .on_wait(move |notice| {
            log.lock().unwrap().push((
                notice.action.to_owned(),
                notice.group,
                notice.room.map(str::to_owned),
                notice.reason,
                notice.wait,
            ));
        })
        .build();
    let op = a_room_listed_just_now(&core, &clock);
    assert!(
        seen.lock().unwrap().is_empty(),
        "the first listing waited for nothing"
    );
    // The second listing waits for the room's slot, then ZEGO answers 207 anyway.
    let run = drive(&core, &clock, &op, vec![code(207), streams_ok()]);
    assert!(run.result.is_ok(), "{:?}", run.result);
    let seen = seen.lock().unwrap();
    let (action, group, room, reason, wait) = &seen[0];
    assert_eq!(action, "DescribeSimpleStreamList");
    assert_eq!(*group, RateLimitGroup::RoomStreamList);
    assert_eq!(room.as_deref(), Some("room-1"));
    assert_eq!(*reason, WaitReason::Slot);
    assert!(*wait > Duration::from_secs(9), "{wait:?}");
    assert!(
        seen.iter()
            .any(|(_, _, _, reason, _)| *reason == WaitReason::RateLimitAnswer { code: 207 }),
        "{seen:?}"
    );
    // Every sleep of the run was announced.
    let announced: Duration = seen.iter().map(|(.., wait)| *wait).sum();
    assert_eq!(announced, run.slept);
}
