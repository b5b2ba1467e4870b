//! One operation's whole call as a state machine: admission (rate-limit slot and
//! `Sequence`), signing, sending, parsing and retrying, with every decision made here and
//! only I/O left to the driver.
//!
//! Both transports run exactly this loop, which is why they cannot behave differently:
//!
//! ```text
//! let mut call = core.call(&op);
//! let mut step = call.step(core.now(), rng);
//! loop {
//!     step = match step {
//!         Step::Admit(request) => { let answer = coordinator.admit(&request); call.on_admission(answer, core.now(), rng) }
//!         Step::Sleep(d) => { sleep(d); call.step(core.now(), rng) }
//!         Step::Send(request) => { let answer = send(request); call.on_response(answer, core.now(), rng) }
//!         Step::Feedback(feedback) => { coordinator.feedback(&feedback); call.step(core.now(), rng) }
//!         Step::Done(result) => return result,
//!     }
//! }
//! ```

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use rand_core::RngCore;

use crate::admission::{
    Admission, AdmissionError, AdmissionRequest, Booking, Coordinator, Feedback,
};
use crate::call_error::{CallError, CallErrorKind, DriverError};
use crate::clock::{Clock, Now};
use crate::codes::ErrorClass;
use crate::config::Config;
use crate::credentials::Credentials;
use crate::operation::{Operation, Sequencing};
use crate::rate_limit::RateLimitKey;
use crate::request::{prepare_stamped, HttpRequest, HttpResponse};
use crate::response::{parse_response, ApiResponse, ResponseError};
use crate::retry::{RetryBudget, RetryDecision, RetryPolicy, RetryState, StopReason};
use crate::scrub;
use crate::sequence::Sequence;
use crate::server_time::{self, ClockOffset};
use crate::signature::{Nonce, Signature};
use crate::transport_error::{TransportError, TransportErrorKind};
use crate::transport_options::TransportOptions;

/// Everything a client needs besides I/O: credentials, configuration, the retry policy
/// and budget, the admission coordinator, the clock the driver reads, and the options of
/// the default transports. Cheap to clone; clones share the budget and coordinator.
///
/// Build one with [`ClientCore::builder`]; a transport's `Client::from_core` runs it.
///
/// ```
/// use zego_proto::{Credentials, driver::ClientCore, retry::RetryPolicy};
/// let core = ClientCore::builder(Credentials::new(1u32, "secret")?)
///     .retry_policy(RetryPolicy::never())
///     .no_rate_limit()
///     .build();
/// assert_eq!(core.retry_policy().max_attempts, 1);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Clone)]
pub struct ClientCore {
    pub(crate) credentials: Credentials,
    pub(crate) config: Config,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Arc<RetryBudget>,
    pub(crate) coordinator: Arc<dyn Coordinator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) transport_options: TransportOptions,
    /// The local clock's measured offset from ZEGO's, shared by clones.
    pub(crate) clock_offset: Arc<ClockOffset>,
}

impl std::fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCore")
            .field("credentials", &self.credentials)
            .field("config", &self.config)
            .field("retry", &self.retry)
            .field("coordinator", &self.coordinator)
            .field("transport_options", &self.transport_options)
            .finish_non_exhaustive()
    }
}

impl ClientCore {
    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The retry budget shared by this core's calls.
    pub fn retry_budget(&self) -> &Arc<RetryBudget> {
        &self.budget
    }

    /// The admission coordinator the drivers ask.
    pub fn coordinator(&self) -> &Arc<dyn Coordinator> {
        &self.coordinator
    }

    /// The clock the drivers read (the core itself never does).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The options of the default transports.
    pub fn transport_options(&self) -> &TransportOptions {
        &self.transport_options
    }

    /// ZEGO's clock minus this machine's, in milliseconds, as last measured from an
    /// answer's `Date` header (1 s resolution, so within about a second plus the
    /// latency); positive when the local clock is behind. `None` until an answer carried
    /// a `Date`.
    ///
    /// Once ZEGO refuses a request for its timestamp (100000004, 3002), this core and its
    /// clones sign every later request with the offset applied, which is how a clock more
    /// than 10 minutes off still gets through. The `Sequence` stays on the local clock, so
    /// it never goes backwards.
    ///
    /// ```
    /// # let core = zego_proto::driver::ClientCore::builder(zego_proto::Credentials::new(1u32, "s")?).build();
    /// assert_eq!(core.clock_offset_millis(), None); // nothing answered yet
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    pub fn clock_offset_millis(&self) -> Option<i64> {
        self.clock_offset.measured_millis()
    }

    /// A reading of [`ClientCore::clock`], for drivers.
    pub fn now(&self) -> Now {
        self.clock.now()
    }

    /// Starts a call of `op` with the core's settings. Drive it with [`Call::step`],
    /// [`Call::on_admission`] and [`Call::on_response`].
    pub fn call<'a, O: Operation + ?Sized>(&'a self, op: &'a O) -> Call<'a, O> {
        self.call_with(op, &CallOptions::DEFAULT)
    }

    /// Starts a call of `op` with per-call options.
    pub fn call_with<'a, O: Operation + ?Sized>(
        &'a self,
        op: &'a O,
        options: &CallOptions,
    ) -> Call<'a, O> {
        let mut policy = options
            .retry_policy
            .clone()
            .unwrap_or_else(|| self.retry.clone());
        if let Some(deadline) = options.deadline {
            policy.deadline = Some(deadline);
        }
        Call {
            core: self,
            op,
            cancel: options.cancel.clone(),
            policy,
            state: State::Start,
            retry: None,
            attempts: 0,
            sequence: None,
            signature: None,
            sent_at: Duration::ZERO,
            last_latency: None,
            last_outcome: None,
            last_failure: None,
            holds_booking: false,
            slot_wait: None,
            pending: None,
        }
    }
}

/// Options of one call, overriding the client's.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::{CallOptions, retry::RetryPolicy};
/// let urgent = CallOptions::new()
///     .with_retry_policy(RetryPolicy::never())
///     .with_deadline(Duration::from_secs(2));
/// assert_eq!(urgent.deadline, Some(Duration::from_secs(2)));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Another retry policy for this call.
    pub retry_policy: Option<RetryPolicy>,
    /// Another total deadline for this call's attempts (from the first send).
    pub deadline: Option<Duration>,
    /// Stops the call before its next request is sent (it ends with
    /// [`CallErrorKind::Cancelled`]); a request already out is answered first.
    pub cancel: Option<CancelToken>,
}

/// A flag that stops calls before their next request (e.g. on Ctrl-C). Cheap to clone;
/// clones share the flag.
///
/// ```
/// use zego_proto::CancelToken;
/// let token = CancelToken::new();
/// let seen_by_a_call = token.clone();
/// token.cancel();
/// assert!(seen_by_a_call.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<std::sync::atomic::AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call holding a clone of this token.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The flag itself, e.g. for `signal_hook::flag::register`.
    pub fn flag(&self) -> &Arc<std::sync::atomic::AtomicBool> {
        &self.0
    }
}

impl CallOptions {
    const DEFAULT: Self = Self {
        retry_policy: None,
        deadline: None,
        cancel: None,
    };

    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this retry policy.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Uses this deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Stops the call when `token` is cancelled.
    #[must_use]
    pub fn with_cancel(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }
}

/// What the latest attempt got, as the core read it.
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
pub enum Step<'a, T> {
    /// Ask the coordinator ([`Coordinator::admit`], or `admit_async`), then report its
    /// answer with [`Call::on_admission`].
    Admit(AdmissionRequest<'a>),
    /// Sleep this long, then call [`Call::step`].
    Sleep(Duration),
    /// Send this request and report the outcome with [`Call::on_response`].
    Send(HttpRequest),
    /// Hand this to the coordinator ([`Coordinator::feedback`], or `feedback_async`),
    /// then call [`Call::step`].
    Feedback(Feedback),
    /// The call is over.
    Done(Result<ApiResponse<T>, CallError>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Next: ask for admission.
    Start,
    /// An admission request is out; waiting for [`Call::on_admission`].
    AwaitingAdmission,
    /// Sleeping until the booked slot; next, send (or fetch the stamped Sequence).
    SleepingForSlot(Booking),
    /// Backing off after a failure; next, ask for admission again.
    Backoff,
    /// A request is out; waiting for [`Call::on_response`].
    AwaitingResponse,
    /// Feedback is out; next, the step kept in `pending`.
    AfterFeedback,
    /// The call has returned [`Step::Done`].
    Finished,
}

/// One operation's call in progress. Both transports drive it with the loop of the
/// [module docs](crate::driver).
///
/// A scripted run:
///
/// ```
/// use std::time::Duration;
/// use zego_proto::driver::{Call, Step};
/// use zego_proto::admission::{Admission, Coordinator};
/// use zego_proto::clock::Now;
/// use zego_proto::wire::HttpResponse;
/// use zego_proto::{Credentials, ops::ForbidRtcStream, driver::ClientCore};
///
/// let core = ClientCore::builder(Credentials::new(1u32, "secret")?).no_rate_limit().build();
/// let op = ForbidRtcStream::new("stream")?;
/// let mut call = core.call(&op);
/// let now = Now { unix: Duration::from_secs(1_700_000_000), monotonic: Duration::ZERO };
/// let rng = &mut rand::rng();
/// // Admission: the coordinator stamps the Sequence.
/// let Step::Admit(request) = call.step(now, rng) else { unreachable!() };
/// let admission = core.coordinator().admit(&request);
/// let Step::Send(request) = call.on_admission(admission, now, rng) else { unreachable!() };
/// assert!(request.url().contains("&Sequence="));
/// // A transient failure: the policy asks for a backoff, then a freshly signed resend.
/// let busy = HttpResponse::new(200, r#"{"Code":30003,"Message":"busy","RequestId":"1"}"#);
/// let Step::Sleep(backoff) = call.on_response(Ok(busy), now, rng) else { unreachable!() };
/// let later = Now { unix: now.unix + backoff, monotonic: backoff };
/// let Step::Admit(again) = call.step(later, rng) else { unreachable!() };
/// assert!(again.sequence_for.is_none()); // a retry keeps its Sequence
/// let admission = core.coordinator().admit(&again);
/// let Step::Send(_) = call.on_admission(admission, later, rng) else { unreachable!() };
/// let ok = HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"2"}"#);
/// let Step::Done(Ok(response)) = call.on_response(Ok(ok), later, rng) else { unreachable!() };
/// assert_eq!(response.request_id, "2");
/// assert_eq!(call.attempts(), 2);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug)]
pub struct Call<'a, O: Operation + ?Sized> {
    core: &'a ClientCore,
    op: &'a O,
    cancel: Option<CancelToken>,
    policy: RetryPolicy,
    state: State,
    retry: Option<RetryState>,
    attempts: u32,
    /// The stamped sequence, kept across retries.
    sequence: Option<Sequence>,
    /// The last request's signature, scrubbed from transport messages.
    signature: Option<Signature>,
    sent_at: Duration,
    last_latency: Option<Duration>,
    last_outcome: Option<AttemptOutcome>,
    /// The failure a retry is for, reported if the retry cannot be admitted in time.
    last_failure: Option<CallErrorKind>,
    /// Whether the admission request out carries a booking.
    holds_booking: bool,
    /// The wait for the slot of the request about to be sent (for the metrics).
    slot_wait: Option<Duration>,
    /// The state and step to resume after a [`Step::Feedback`].
    pending: Option<(State, Step<'a, O::Output>)>,
}

/// A call run to its end by a driver: its result, and what a bulk run records and sizes its
/// concurrency by. Made by [`Call::finished`] from the result of [`Step::Done`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Finished<T> {
    /// The call's result.
    pub result: Result<ApiResponse<T>, CallError>,
    /// Requests sent.
    pub attempts: u32,
    /// How long the last request took, from its send to its answer.
    pub last_latency: Option<Duration>,
    /// The client's measured clock offset after this call
    /// ([`ClientCore::clock_offset_millis`]).
    pub clock_offset_millis: Option<i64>,
}

impl<'a, O: Operation + ?Sized> Call<'a, O> {
    /// Wraps the result of [`Step::Done`] with this call's request count and last latency.
    pub fn finished(
        &self,
        result: Result<ApiResponse<O::Output>, CallError>,
    ) -> Finished<O::Output> {
        Finished {
            result,
            attempts: self.attempts,
            last_latency: self.last_latency,
            clock_offset_millis: self.core.clock_offset_millis(),
        }
    }

    /// Requests sent so far.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long the latest request took, from its send to its answer (by the driver's
    /// clock): what a bulk run sizes its concurrency by.
    pub fn last_latency(&self) -> Option<Duration> {
        self.last_latency
    }

    /// What the latest attempt got (set by [`Call::on_response`]).
    pub fn last_outcome(&self) -> Option<AttemptOutcome> {
        self.last_outcome
    }

    /// The `Sequence` the call carries, once stamped (or the operation's explicit one).
    pub fn sequence(&self) -> Option<Sequence> {
        match self.op.sequencing() {
            Sequencing::Explicit(sequence) => Some(sequence),
            _ => self.sequence,
        }
    }

    /// The operation's action name.
    pub fn action(&self) -> &str {
        self.op.action()
    }

    fn key(&self) -> RateLimitKey {
        RateLimitKey {
            app_id: self.core.credentials.app_id(),
            environment: self.core.config.environment(),
            group: self.op.rate_limit_group(),
        }
    }

    /// The streams to stamp a sequence for, while the call still needs one.
    fn needs_sequence(&self) -> Option<&'a [String]> {
        match self.op.sequencing() {
            Sequencing::Stamped(streams) if self.sequence.is_none() => Some(streams),
            _ => None,
        }
    }

    /// Advances the call at time `now`: at the start, after every [`Step::Sleep`] and
    /// after every [`Step::Feedback`].
    pub fn step<R: RngCore + ?Sized>(&mut self, now: Now, rng: &mut R) -> Step<'a, O::Output> {
        match self.state {
            State::Start | State::Backoff => self.admit(now, None),
            State::SleepingForSlot(booking) => {
                if self.needs_sequence().is_some() {
                    self.admit(now, Some(booking))
                } else {
                    self.send(now, rng)
                }
            }
            State::AfterFeedback => match self.pending.take() {
                Some((state, step)) => {
                    self.state = state;
                    step
                }
                None => self.misuse("the step after feedback was lost"),
            },
            State::AwaitingAdmission => {
                self.misuse("step() called before on_admission() reported the coordinator's answer")
            }
            State::AwaitingResponse => self
                .misuse("step() called before on_response() reported the outcome of the request"),
            State::Finished => self.misuse("step() called after the call was done"),
        }
    }

    /// Ends the call if its token was cancelled: before any admission or send.
    fn cancelled(&mut self) -> Option<Step<'a, O::Output>> {
        if !self.cancel.as_ref().is_some_and(CancelToken::is_cancelled) {
            return None;
        }
        Some(self.finish(Err(CallError::new(
            self.op.action(),
            CallErrorKind::Cancelled,
            self.attempts,
            StopReason::Cancelled,
        ))))
    }

    fn admit(&mut self, now: Now, booking: Option<Booking>) -> Step<'a, O::Output> {
        if let Some(done) = self.cancelled() {
            return done;
        }
        let mut request = AdmissionRequest::new(self.key(), now.unix);
        request.sequence_for = self.needs_sequence();
        request.room = self.op.quota_room();
        self.holds_booking = booking.is_some();
        request.booking = booking;
        request.max_wait = self
            .retry
            .as_ref()
            .and_then(|retry| retry.time_left(now.monotonic));
        self.state = State::AwaitingAdmission;
        Step::Admit(request)
    }

    /// Reports the coordinator's answer to the last [`Step::Admit`].
    pub fn on_admission<R: RngCore + ?Sized>(
        &mut self,
        answer: Result<Admission, AdmissionError>,
        now: Now,
        rng: &mut R,
    ) -> Step<'a, O::Output> {
        if self.state != State::AwaitingAdmission {
            return self.misuse("on_admission() called without an admission request out");
        }
        match answer {
            Ok(Admission::Go { sequence }) => {
                if self.needs_sequence().is_some() {
                    match sequence {
                        Some(sequence) => self.sequence = Some(sequence),
                        None => {
                            return self.misuse(
                                "the coordinator admitted a sequenced call without a Sequence",
                            )
                        }
                    }
                }
                self.send(now, rng)
            }
            Ok(Admission::Wait { .. }) if self.holds_booking => {
                self.misuse("the coordinator asked a call that already holds a slot to wait again")
            }
            Ok(Admission::Wait { delay, booking }) => {
                tracing::trace!(delay_ms = millis(delay), "waiting for a rate-limit slot");
                self.slot_wait = Some(delay);
                self.state = State::SleepingForSlot(booking);
                Step::Sleep(delay)
            }
            Ok(Admission::Refused { earliest }) => {
                tracing::debug!(
                    earliest_ms = millis(earliest),
                    "no rate-limit slot in time for a retry"
                );
                let reason = self
                    .retry
                    .as_ref()
                    .map_or(StopReason::DeadlineExceeded, RetryState::out_of_time);
                let kind = self.last_failure.take().unwrap_or_else(|| {
                    CallErrorKind::Admission(AdmissionError::new(
                        "the coordinator has no slot within the call's time limit",
                    ))
                });
                self.finish(Err(CallError::new(
                    self.op.action(),
                    kind,
                    self.attempts,
                    reason,
                )))
            }
            Err(error) => {
                tracing::debug!(%error, "admission failed");
                self.fail(CallErrorKind::Admission(error), now, rng)
            }
        }
    }

    fn send<R: RngCore + ?Sized>(&mut self, now: Now, rng: &mut R) -> Step<'a, O::Output> {
        if let Some(done) = self.cancelled() {
            return done;
        }
        // A retry whose admission took too long (a slow coordinator) must not leave after
        // the ordering window or the deadline, whatever the coordinator answered.
        if let Some(retry) = self.retry.as_ref().filter(|_| self.attempts > 0) {
            if retry.time_left(now.monotonic) == Some(Duration::ZERO) {
                let reason = retry.out_of_time();
                let kind = self.last_failure.take().unwrap_or_else(|| {
                    CallErrorKind::Admission(AdmissionError::new(
                        "admission took longer than the call's time limit",
                    ))
                });
                return self.finish(Err(CallError::new(
                    self.op.action(),
                    kind,
                    self.attempts,
                    reason,
                )));
            }
        }
        let core = self.core;
        let signed_at = core.clock_offset.corrected(now.unix).as_secs();
        match prepare_stamped(
            self.op,
            &core.config,
            &core.credentials,
            signed_at,
            self.sequence,
            Nonce::generate(rng),
        ) {
            Err(e) => self.finish(Err(CallError::validation(self.op.action(), e))),
            Ok(request) => {
                self.attempts += 1;
                if self.retry.is_none() {
                    self.retry = Some(self.begin_retries(now));
                }
                let request = request.with_timeout(self.attempt_timeout(now));
                tracing::trace!(attempt = self.attempts, url = %request.redacted_url(), "sending");
                crate::metrics::request_sent(self.op.action());
                if let Some(waited) = self.slot_wait.take() {
                    crate::metrics::admission_wait(self.op.action(), waited);
                }
                self.signature = Some(request.signature());
                self.sent_at = now.monotonic;
                self.state = State::AwaitingResponse;
                Step::Send(request)
            }
        }
    }

    /// The bound the policy puts on the attempt about to be sent, when it is tighter
    /// than the transport's own request timeout.
    fn attempt_timeout(&self, now: Now) -> Option<Duration> {
        self.retry
            .as_ref()?
            .attempt_timeout(now.monotonic)
            .filter(|bound| *bound < self.core.transport_options.request_timeout)
    }

    fn begin_retries(&self, now: Now) -> RetryState {
        let sequenced = !matches!(self.op.sequencing(), Sequencing::None);
        self.policy
            .begin(now.monotonic, sequenced)
            .with_budget(Arc::clone(&self.core.budget))
    }

    /// Reports the outcome of the request from the last [`Step::Send`].
    pub fn on_response<R: RngCore + ?Sized>(
        &mut self,
        outcome: Result<HttpResponse, TransportError>,
        now: Now,
        rng: &mut R,
    ) -> Step<'a, O::Output> {
        if self.state != State::AwaitingResponse {
            return self.misuse("on_response() called without a request out");
        }
        let latency = now.monotonic.saturating_sub(self.sent_at);
        self.last_latency = Some(latency);
        crate::metrics::request_duration(self.op.action(), latency);
        let latency_ms = millis(latency);
        let attempt = self.attempts;
        let mut retry_after = None;
        let kind = match outcome {
            Ok(mut response) => {
                // Before anything reads the body: servers echo the URL, signature included.
                let live = self.signature.as_ref().map(Signature::expose);
                if let Cow::Owned(clean) = scrub::scrub_bytes(&response.body, live) {
                    response.body = clean;
                }
                let parsed = parse_response(self.op, &response);
                retry_after = self.read_time_headers(&response, &parsed, now);
                let code = match &parsed {
                    Ok(_) | Err(ResponseError::Data { .. }) => Some(0),
                    Err(ResponseError::Api(api)) => Some(api.code.code()),
                    Err(_) => None,
                };
                tracing::debug!(
                    attempt,
                    http_status = response.status,
                    code,
                    latency_ms,
                    "attempt answered"
                );
                self.last_outcome = Some(AttemptOutcome::Answered {
                    http_status: response.status,
                    code,
                });
                match parsed {
                    Ok(ok) => {
                        self.core.budget.record_success(now.monotonic);
                        return self.finish(Ok(ok));
                    }
                    Err(e) => {
                        if e.class() == ErrorClass::Clock {
                            self.correct_the_clock();
                        }
                        CallErrorKind::Response(e)
                    }
                }
            }
            Err(e) => {
                tracing::debug!(
                    attempt,
                    transport_error = e.kind().as_str(),
                    latency_ms,
                    "attempt failed"
                );
                self.last_outcome = Some(AttemptOutcome::Failed(e.kind()));
                let e = e.scrub(self.signature.as_ref().map(Signature::expose));
                CallErrorKind::Transport(e)
            }
        };
        let feedback = match &kind {
            CallErrorKind::Response(e) if e.class() == ErrorClass::RateLimited => {
                let code = match e {
                    ResponseError::Api(api) => api.code.code(),
                    _ => 429,
                };
                Some(Feedback::RateLimited {
                    key: self.key(),
                    code,
                })
            }
            _ => None,
        };
        if let Some(wait) = retry_after {
            tracing::debug!(retry_after_ms = millis(wait), "the server asked to wait");
        }
        let next = self.fail_not_before(kind, now, retry_after, rng);
        match feedback {
            Some(feedback) => {
                self.pending = Some((self.state, next));
                self.state = State::AfterFeedback;
                Step::Feedback(feedback)
            }
            None => next,
        }
    }

    /// What an answer's headers say about time: records the clock offset from an
    /// envelope's `Date` (a proxy's page has its own clock), and returns the wait its
    /// `Retry-After` asks for.
    fn read_time_headers<T>(
        &self,
        response: &HttpResponse,
        parsed: &Result<T, ResponseError>,
        now: Now,
    ) -> Option<Duration> {
        let from_zego = !matches!(parsed, Err(ResponseError::NotAnEnvelope { .. }));
        if let Some(server) = response
            .date
            .as_deref()
            .filter(|_| from_zego)
            .and_then(server_time::parse_http_date)
        {
            self.core.clock_offset.record(server, now.unix);
        }
        server_time::retry_after(response, self.core.clock_offset.corrected(now.unix))
    }

    /// ZEGO refused the Timestamp: from now on, sign with the offset its `Date` showed.
    fn correct_the_clock(&self) {
        let offset = self.core.clock_offset.measured_millis();
        if self.core.clock_offset.start_correcting() {
            if let Some(offset_ms) = offset {
                tracing::warn!(
                    offset_ms,
                    "ZEGO refused the timestamp: this machine's clock is off (offset measured \
                     from ZEGO's Date header); signing with the corrected time from now on \
                     (check NTP)"
                );
            }
        }
    }

    /// A failed attempt (or admission): retry after a backoff, or stop.
    fn fail<R: RngCore + ?Sized>(
        &mut self,
        kind: CallErrorKind,
        now: Now,
        rng: &mut R,
    ) -> Step<'a, O::Output> {
        self.fail_not_before(kind, now, None, rng)
    }

    /// [`Call::fail`] for an answer whose `Retry-After` asked for at least this wait.
    fn fail_not_before<R: RngCore + ?Sized>(
        &mut self,
        kind: CallErrorKind,
        now: Now,
        retry_after: Option<Duration>,
        rng: &mut R,
    ) -> Step<'a, O::Output> {
        if self.retry.is_none() {
            self.retry = Some(self.begin_retries(now));
        }
        let failure = kind.attempt_failure();
        let decision = match &mut self.retry {
            Some(retry) => retry.on_failure_not_before(failure, now.monotonic, retry_after, rng),
            None => RetryDecision::Stop(StopReason::NotRetryable),
        };
        match decision {
            RetryDecision::RetryAfter(delay) => {
                tracing::trace!(delay_ms = millis(delay), "backing off");
                crate::metrics::retry(self.op.action(), failure.class().as_str());
                self.last_failure = Some(kind);
                self.state = State::Backoff;
                Step::Sleep(delay)
            }
            RetryDecision::Stop(reason) => {
                let error = CallError::new(self.op.action(), kind, self.attempts, reason);
                tracing::debug!(attempts = self.attempts, error = %error, "call failed");
                self.finish(Err(error))
            }
        }
    }

    fn misuse(&mut self, message: &'static str) -> Step<'a, O::Output> {
        self.finish(Err(CallError::new(
            self.op.action(),
            CallErrorKind::Driver(DriverError::new(message)),
            self.attempts,
            StopReason::NotRetryable,
        )))
    }

    fn finish(&mut self, result: Result<ApiResponse<O::Output>, CallError>) -> Step<'a, O::Output> {
        let outcome = match &result {
            Ok(_) => "success",
            Err(e) => e.class().as_str(),
        };
        crate::metrics::call_finished(self.op.action(), outcome, self.attempts);
        self.state = State::Finished;
        Step::Done(result)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admission::LocalCoordinator;
    use crate::clock::ManualClock;
    use crate::codes::ReturnCode;
    use crate::encode::decode_query;
    use crate::ops::{ForbidRtcStreams, SetForbidStreamRule};
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
        mut outcomes: Vec<Outcome>,
    ) -> Run<O::Output> {
        let mut rng = SmallRng::seed_from_u64(1);
        outcomes.reverse();
        let (mut sent, mut slept, mut feedback) = (Vec::new(), Duration::ZERO, Vec::new());
        let mut timeouts = Vec::new();
        let mut call = core.call(op);
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
                    label.is_none_or(|(k, v)| {
                        key.key().labels().any(|l| l.key() == k && l.value() == v)
                    })
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
}
