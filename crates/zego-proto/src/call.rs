//! One operation's whole call as a state machine: rate-limit permit, signing, sending,
//! parsing and retrying, with every decision made here and only I/O left to the driver.
//!
//! Both transports run exactly this loop, which is why they cannot behave differently:
//!
//! ```text
//! let mut call = core.call(&op);
//! let mut step = call.step(clock.now(), rng);
//! loop {
//!     step = match step {
//!         Step::Sleep(d) => { sleep(d); call.step(clock.now(), rng) }
//!         Step::Send(request) => { let answer = send(request); call.on_response(answer, clock.now(), rng) }
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```

use std::sync::Arc;
use std::time::Duration;

use rand::RngCore;

use crate::call_error::{CallError, CallErrorKind};
use crate::clock::Now;
use crate::codes::ErrorClass;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::operation::Operation;
use crate::rate_limit::{RateLimitKey, RateLimiter, TokenBucketLimiter};
use crate::request::{prepare, HttpRequest, HttpResponse};
use crate::response::{parse_response, ApiResponse, ResponseError};
use crate::retry::{
    AttemptFailure, RetryBudget, RetryDecision, RetryPolicy, RetryState, StopReason,
};
use crate::sequence::{Sequence, SequenceGenerator};
use crate::signature::Signature;
use crate::transport_error::{TransportError, TransportErrorKind};

/// Everything a client needs besides I/O: credentials, configuration, the rate limiter,
/// the retry policy and budget, and the sequence generator. Cheap to clone; clones share
/// the limiter, budget and sequences.
///
/// ```
/// use zego_proto::{ClientCore, Config, Credentials, RetryPolicy};
/// let core = ClientCore::new(Credentials::new(1u32, "secret")?, Config::default())
///     .with_retry_policy(RetryPolicy::never())
///     .without_rate_limiter();
/// assert!(core.rate_limiter().is_none());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientCore {
    credentials: Credentials,
    config: Config,
    limiter: Option<Arc<dyn RateLimiter>>,
    retry: RetryPolicy,
    budget: Arc<RetryBudget>,
    sequences: Arc<SequenceGenerator>,
}

impl ClientCore {
    /// A core with ZEGO's quotas, the default retry policy and a fresh retry budget.
    pub fn new(credentials: Credentials, config: Config) -> Self {
        Self {
            credentials,
            config,
            limiter: Some(Arc::new(TokenBucketLimiter::default())),
            retry: RetryPolicy::default(),
            budget: Arc::new(RetryBudget::default()),
            sequences: Arc::new(SequenceGenerator::new()),
        }
    }

    /// Uses another rate limiter (e.g. one shared between processes).
    #[must_use]
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = Some(limiter);
        self
    }

    /// Turns client-side rate limiting off.
    #[must_use]
    pub fn without_rate_limiter(mut self) -> Self {
        self.limiter = None;
        self
    }

    /// Uses another retry policy.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Uses another (possibly shared) retry budget.
    #[must_use]
    pub fn with_retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = budget;
        self
    }

    /// Uses another (possibly shared) sequence generator.
    #[must_use]
    pub fn with_sequence_generator(mut self, sequences: Arc<SequenceGenerator>) -> Self {
        self.sequences = sequences;
        self
    }

    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The rate limiter, if any.
    pub fn rate_limiter(&self) -> Option<&Arc<dyn RateLimiter>> {
        self.limiter.as_ref()
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The next `Sequence`, strictly greater than any handed out before.
    pub fn next_sequence(&self, now: Now) -> Sequence {
        self.sequences.next(now.unix_millis())
    }

    /// Starts a call of `op`. Drive it with [`Call::step`] and [`Call::on_response`].
    pub fn call<'a, O: Operation + ?Sized>(&'a self, op: &'a O) -> Call<'a, O> {
        Call {
            core: self,
            op,
            state: State::NeedPermit,
            retry: None,
            attempts: 0,
            signature: None,
            last_outcome: None,
        }
    }
}

/// What the latest attempt got, as the core read it: for the drivers' logs, so they never
/// parse a body themselves.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// An HTTP answer; `code` is the envelope's `Code` when the body was one.
    Answered {
        /// The HTTP status.
        http_status: u16,
        /// The `Code`, if the body was a ZEGO envelope.
        code: Option<i64>,
    },
    /// No HTTP answer.
    Failed(TransportErrorKind),
}

/// What the driver must do next.
#[derive(Debug)]
pub enum Step<T> {
    /// Sleep this long, then call [`Call::step`].
    Sleep(Duration),
    /// Send this request and report the outcome with [`Call::on_response`].
    Send(HttpRequest),
    /// The call is over.
    Done(Result<ApiResponse<T>, CallError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Next: ask the rate limiter.
    NeedPermit,
    /// Permit granted (maybe after a sleep): next, sign and send.
    Permitted,
    /// A request is out; waiting for [`Call::on_response`].
    AwaitingResponse,
    /// The call has returned [`Step::Done`].
    Finished,
}

/// One operation's call in progress. Both transports drive it with the same loop:
///
/// ```text
/// let mut call = core.call(&op);
/// let mut step = call.step(clock.now(), rng);
/// loop {
///     step = match step {
///         Step::Sleep(d) => { sleep(d); call.step(clock.now(), rng) }
///         Step::Send(request) => { let answer = send(request); call.on_response(answer, clock.now(), rng) }
///         Step::Done(result) => return result,
///     }
/// }
/// ```
///
/// A scripted run:
///
/// ```
/// use std::time::Duration;
/// use zego_proto::{ops::DelForbidStreamRule, ClientCore, Config, Credentials, HttpResponse, Now, Step};
/// let core = ClientCore::new(Credentials::new(1u32, "secret")?, Config::default())
///     .without_rate_limiter(); // with it, a retry can also wait for a permit (a Sleep)
/// let op = DelForbidStreamRule::new("room", "stream")?;
/// let mut call = core.call(&op);
/// let now = Now { unix: Duration::from_secs(1_700_000_000), monotonic: Duration::ZERO };
/// let Step::Send(request) = call.step(now, &mut rand::rng()) else { unreachable!() };
/// assert!(request.url().contains("Action=DelForbidStreamRule"));
/// // A transient failure: the policy asks for a backoff, then a freshly signed resend.
/// let busy = HttpResponse::new(200, r#"{"Code":123,"Message":"busy","RequestId":"1"}"#);
/// let Step::Sleep(backoff) = call.on_response(Ok(busy), now, &mut rand::rng()) else { unreachable!() };
/// let later = Now { unix: now.unix + backoff, monotonic: backoff };
/// let Step::Send(_) = call.step(later, &mut rand::rng()) else { unreachable!() };
/// let ok = HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"2"}"#);
/// let Step::Done(Ok(response)) = call.on_response(Ok(ok), later, &mut rand::rng()) else { unreachable!() };
/// assert_eq!(response.request_id, "2");
/// assert_eq!(call.attempts(), 2);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug)]
pub struct Call<'a, O: Operation + ?Sized> {
    core: &'a ClientCore,
    op: &'a O,
    state: State,
    retry: Option<RetryState<'a>>,
    attempts: u32,
    /// The last request's signature, scrubbed from transport messages.
    signature: Option<Signature>,
    last_outcome: Option<AttemptOutcome>,
}

impl<O: Operation + ?Sized> Call<'_, O> {
    /// Requests sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// What the latest attempt got (set by [`Call::on_response`]).
    pub fn last_outcome(&self) -> Option<AttemptOutcome> {
        self.last_outcome
    }

    /// The operation's action name.
    pub fn action(&self) -> &str {
        self.op.action()
    }

    /// Advances the call at time `now`: at the start and after every [`Step::Sleep`].
    pub fn step<R: RngCore + ?Sized>(&mut self, now: Now, rng: &mut R) -> Step<O::Output> {
        if self.state == State::NeedPermit {
            self.state = State::Permitted;
            if let Some(limiter) = &self.core.limiter {
                let key = RateLimitKey {
                    app_id: self.core.credentials.app_id(),
                    environment: self.core.config.environment(),
                    group: self.op.rate_limit_group(),
                };
                let wait = limiter.reserve(key, now.monotonic);
                if !wait.is_zero() {
                    return Step::Sleep(wait);
                }
            }
        }
        match self.state {
            State::Permitted => self.send(now, rng),
            State::AwaitingResponse => self.finish(Err(CallError::new(
                self.op.action(),
                CallErrorKind::Transport(TransportError::new(
                    TransportErrorKind::Other,
                    "driver error: step() called before on_response() reported the outcome of the request",
                )),
                self.attempts,
                StopReason::NotRetryable,
            ))),
            State::NeedPermit | State::Finished => self.finish(Err(CallError::new(
                self.op.action(),
                CallErrorKind::Transport(TransportError::new(
                    TransportErrorKind::Other,
                    "driver error: step() called after the call was done",
                )),
                self.attempts,
                StopReason::NotRetryable,
            ))),
        }
    }

    fn send<R: RngCore + ?Sized>(&mut self, now: Now, rng: &mut R) -> Step<O::Output> {
        let core = self.core;
        match prepare(
            self.op,
            &core.config,
            &core.credentials,
            now.unix_secs(),
            rng,
        ) {
            Err(e) => self.finish(Err(CallError::validation(self.op.action(), e))),
            Ok(request) => {
                self.attempts += 1;
                if self.retry.is_none() {
                    let sequenced = self.op.sequence().is_some();
                    self.retry = Some(
                        core.retry
                            .begin(now.monotonic, sequenced)
                            .with_budget(&core.budget),
                    );
                }
                self.signature = Some(request.signature());
                self.state = State::AwaitingResponse;
                Step::Send(request)
            }
        }
    }

    /// Reports the outcome of the request from the last [`Step::Send`].
    pub fn on_response<R: RngCore + ?Sized>(
        &mut self,
        outcome: Result<HttpResponse, TransportError>,
        now: Now,
        rng: &mut R,
    ) -> Step<O::Output> {
        if self.state != State::AwaitingResponse {
            return self.step(now, rng);
        }
        let (failure, kind) = match outcome {
            Ok(response) => {
                let parsed = parse_response(self.op, &response);
                let code = match &parsed {
                    Ok(_) | Err(ResponseError::Data { .. }) => Some(0),
                    Err(ResponseError::Api(api)) => Some(api.code.code()),
                    Err(_) => None,
                };
                self.last_outcome = Some(AttemptOutcome::Answered {
                    http_status: response.status,
                    code,
                });
                match parsed {
                    Ok(ok) => {
                        self.core.budget.record_success(now.monotonic);
                        return self.finish(Ok(ok));
                    }
                    Err(e) => (AttemptFailure::Answer(e.class()), CallErrorKind::from(e)),
                }
            }
            Err(e) => {
                self.last_outcome = Some(AttemptOutcome::Failed(e.kind()));
                let e = match &self.signature {
                    Some(sig) => e.scrub(sig.expose()),
                    None => e,
                };
                let failure = match e.kind() {
                    TransportErrorKind::Connect => AttemptFailure::Connect,
                    TransportErrorKind::Timeout => AttemptFailure::Timeout,
                    TransportErrorKind::Interrupted => AttemptFailure::Interrupted,
                    _ => AttemptFailure::Answer(ErrorClass::Other),
                };
                (failure, CallErrorKind::Transport(e))
            }
        };
        let decision = match &mut self.retry {
            Some(retry) => retry.on_failure(failure, now.monotonic, rng),
            None => RetryDecision::Stop(StopReason::NotRetryable),
        };
        match decision {
            RetryDecision::RetryAfter(delay) => {
                // Back off, then queue for a fresh rate-limit permit like any request.
                self.state = State::NeedPermit;
                Step::Sleep(delay)
            }
            RetryDecision::Stop(reason) => {
                let error = CallError::new(self.op.action(), kind, self.attempts, reason);
                self.finish(Err(error))
            }
        }
    }

    fn finish(&mut self, result: Result<ApiResponse<O::Output>, CallError>) -> Step<O::Output> {
        self.state = State::Finished;
        Step::Done(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};
    use crate::ops::{ForbidRtcStreams, SetForbidStreamRule};
    use crate::{decode_query, ReturnCode};
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

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

    fn core() -> ClientCore {
        ClientCore::new(
            Credentials::new(9u32, "topsecret").unwrap(),
            Config::default(),
        )
    }

    /// Drives a call like a transport would, against scripted outcomes; returns the
    /// result, the URLs sent and the total time slept.
    fn drive<O: Operation>(
        core: &ClientCore,
        op: &O,
        mut outcomes: Vec<Outcome>,
    ) -> (
        Result<ApiResponse<O::Output>, CallError>,
        Vec<String>,
        Duration,
    ) {
        let clock = ManualClock::new(Duration::from_secs(1_700_000_000));
        let mut rng = SmallRng::seed_from_u64(1);
        outcomes.reverse();
        let mut sent = Vec::new();
        let mut slept = Duration::ZERO;
        let mut call = core.call(op);
        let mut step = call.step(clock.now(), &mut rng);
        loop {
            step = match step {
                Step::Sleep(d) => {
                    clock.advance(d);
                    slept += d;
                    call.step(clock.now(), &mut rng)
                }
                Step::Send(req) => {
                    sent.push(req.url().to_owned());
                    clock.advance(Duration::from_millis(20));
                    let outcome = outcomes.pop().expect("more requests than scripted");
                    call.on_response(outcome, clock.now(), &mut rng)
                }
                Step::Done(result) => return (result, sent, slept),
            }
        }
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
    fn retries_re_sign_but_keep_the_sequence() {
        let core = core();
        let op = ForbidRtcStreams::new(["a"], Sequence::new(42)).unwrap();
        let (result, sent, _) = drive(&core, &op, vec![code(30003), code(42003), ok()]);
        assert!(result.is_ok());
        assert_eq!(sent.len(), 3);
        let nonces: std::collections::HashSet<_> =
            sent.iter().map(|u| param(u, "SignatureNonce")).collect();
        assert_eq!(nonces.len(), 3, "every attempt has a fresh nonce");
        assert!(sent.iter().all(|u| param(u, "Sequence") == "42"));
    }

    #[test]
    fn non_retryable_codes_stop_at_once_with_the_api_error() {
        let core = core();
        let op = ForbidRtcStreams::new(["a"], Sequence::new(1)).unwrap();
        let (result, sent, _) = drive(&core, &op, vec![code(30006)]);
        let err = result.unwrap_err();
        // The core records what the attempt got, for the drivers' logs.
        let unlimited = core.clone().without_rate_limiter();
        let mut call = unlimited.call(&op);
        let clock = ManualClock::new(Duration::from_secs(1_700_000_000));
        let mut rng = SmallRng::seed_from_u64(1);
        assert!(call.last_outcome().is_none());
        let _ = call.step(clock.now(), &mut rng);
        let _ = call.on_response(code(30006), clock.now(), &mut rng);
        assert_eq!(
            call.last_outcome(),
            Some(AttemptOutcome::Answered {
                http_status: 200,
                code: Some(30006)
            })
        );
        assert_eq!(sent.len(), 1);
        assert_eq!(err.code(), Some(ReturnCode::InvalidStreamIdList));
        assert_eq!(err.attempts(), 1);
        assert_eq!(err.stop_reason(), Some(StopReason::NotRetryable));
    }

    #[test]
    fn exhausted_retries_report_the_last_failure_and_count() {
        let core = core();
        let op = ForbidRtcStreams::new(["a"], Sequence::new(1)).unwrap();
        let (result, sent, _) = drive(&core, &op, vec![code(1); 5]);
        let err = result.unwrap_err();
        assert_eq!(sent.len(), 5);
        assert_eq!(err.attempts(), 5);
        assert_eq!(err.stop_reason(), Some(StopReason::AttemptsExhausted));
        assert!(err.to_string().contains("after 5 attempts"), "{err}");
    }

    #[test]
    fn rate_limited_answers_back_off_longer() {
        let core = core().without_rate_limiter();
        let op = ForbidRtcStreams::new(["a"], Sequence::new(1)).unwrap();
        let (result, _, slept) = drive(&core, &op, vec![code(30002), ok()]);
        assert!(result.is_ok());
        assert!(slept >= Duration::from_millis(250), "{slept:?}");
    }

    #[test]
    fn transport_messages_never_carry_the_signature() {
        let core = core().with_retry_policy(RetryPolicy::never());
        let op = ForbidRtcStreams::new(["a"], Sequence::new(1)).unwrap();
        let clock = ManualClock::new(Duration::from_secs(1_700_000_000));
        let mut rng = SmallRng::seed_from_u64(1);
        let mut call = core.call(&op);
        let Step::Send(req) = call.step(clock.now(), &mut rng) else {
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
    fn the_rate_limiter_paces_calls() {
        let core = core();
        let op = SetForbidStreamRule::new(
            "r",
            "s",
            crate::ops::MediaBan::Audio,
            crate::ops::EffectiveTime::default(),
        )
        .unwrap();
        let clock = ManualClock::new(Duration::from_secs(1_700_000_000));
        let mut rng = SmallRng::seed_from_u64(1);
        let mut sleeps = Vec::new();
        for _ in 0..3 {
            let mut call = core.call(&op);
            match call.step(clock.now(), &mut rng) {
                Step::Sleep(d) => sleeps.push(d),
                Step::Send(_) => sleeps.push(Duration::ZERO),
                Step::Done(r) => panic!("{r:?}"),
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
        let core = core().without_rate_limiter();
        let op = ForbidRtcStreams::new(["a"], Sequence::new(1)).unwrap();
        let refused = Err(TransportError::new(TransportErrorKind::Connect, "refused"));
        let (result, sent, _) = drive(&core, &op, vec![refused, ok()]);
        assert!(result.is_ok());
        assert_eq!(sent.len(), 2);
        let big = Err(TransportError::new(
            TransportErrorKind::BodyTooLarge { limit: 10 },
            "too big",
        ));
        let (result, sent, _) = drive(&core, &op, vec![big]);
        assert!(matches!(
            result.unwrap_err().kind(),
            CallErrorKind::Transport(_)
        ));
        assert_eq!(sent.len(), 1);
    }

    #[test]
    fn driver_misuse_is_an_error_not_a_panic() {
        let core = core();
        let op = ForbidRtcStreams::new(["a"], Sequence::new(1)).unwrap();
        let clock = ManualClock::new(Duration::from_secs(1_700_000_000));
        let mut rng = SmallRng::seed_from_u64(1);
        let mut call = core.call(&op);
        assert!(matches!(call.step(clock.now(), &mut rng), Step::Send(_)));
        assert!(matches!(
            call.step(clock.now(), &mut rng),
            Step::Done(Err(_))
        ));
        assert!(matches!(
            call.step(clock.now(), &mut rng),
            Step::Done(Err(_))
        ));
    }
}
