//! The call state machine: `Call`, the `Step`s it asks the driver for, and its states.

use std::borrow::Cow;
use std::sync::Arc;
use std::time::Duration;

use rand_core::RngCore;

use crate::admission::{Admission, AdmissionError, AdmissionRequest, Booking, Feedback};
use crate::call_error::{CallError, CallErrorKind, DriverError};
use crate::clock::Now;
use crate::codes::ErrorClass;
use crate::operation::{Operation, Sequencing};
use crate::rate_limit::RateLimitKey;
use crate::request::{prepare_stamped, HttpRequest, HttpResponse};
use crate::response::{parse_response, ApiResponse, ResponseError};
use crate::retry::{RetryDecision, RetryPolicy, RetryState, StopReason};
use crate::scrub;
use crate::sequence::Sequence;
use crate::server_time;
use crate::signature::{Nonce, Signature};
use crate::transport_error::{TransportError, TransportErrorKind};

use super::{CancelToken, ClientCore, NotAdmittedInTime, WaitLimit, WaitNotice, WaitReason};

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
    /// Ask the coordinator ([`Coordinator::admit`](crate::admission::Coordinator::admit), or `admit_async`), then report its
    /// answer with [`Call::on_admission`].
    Admit(AdmissionRequest<'a>),
    /// Sleep this long, then call [`Call::step`].
    Sleep(Duration),
    /// Send this request and report the outcome with [`Call::on_response`].
    Send(HttpRequest),
    /// Hand this to the coordinator ([`Coordinator::feedback`](crate::admission::Coordinator::feedback), or `feedback_async`),
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
    /// The longest wait for a slot the call allows each time it asks.
    max_wait: Option<Duration>,
    /// When the call started (its first [`Call::step`]): the deadline counts from here.
    started: Option<Duration>,
    /// The call's own bound on the admission request out, and which limit set it.
    wait_limit: Option<(Duration, WaitLimit)>,
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
    /// A call at its start, before its first [`Call::step`].
    pub(super) fn new(
        core: &'a ClientCore,
        op: &'a O,
        cancel: Option<CancelToken>,
        policy: RetryPolicy,
        max_wait: Option<Duration>,
    ) -> Self {
        Call {
            core,
            op,
            cancel,
            policy,
            max_wait,
            started: None,
            wait_limit: None,
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
            State::Start | State::Backoff => {
                self.started.get_or_insert(now.monotonic);
                self.admit(now, None)
            }
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
        // The call's own limits (what is left of its deadline, its max_wait), then the
        // retry's (the ordering window): the coordinator refuses a slot beyond them.
        self.wait_limit = [
            self.deadline_left(now)
                .map(|left| (left, WaitLimit::Deadline)),
            self.max_wait.map(|max| (max, WaitLimit::MaxWait)),
        ]
        .into_iter()
        .flatten()
        .min_by_key(|(limit, _)| *limit);
        let retry_left = self
            .retry
            .as_ref()
            .and_then(|retry| retry.time_left(now.monotonic));
        request.max_wait = match (retry_left, self.wait_limit) {
            (Some(a), Some((b, _))) => Some(a.min(b)),
            (a, b) => a.or(b.map(|(limit, _)| limit)),
        };
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
                // A retry after ZEGO's rate-limit answer waits for that answer's sake.
                let reason = self
                    .last_failure
                    .as_ref()
                    .and_then(rate_limit_code)
                    .map_or(WaitReason::Slot, |code| WaitReason::RateLimitAnswer {
                        code,
                    });
                self.notify_wait(reason, delay);
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
                if let (None, Some((limit, limited_by))) = (&self.last_failure, self.wait_limit) {
                    // The first attempt: say when it could have been sent.
                    let kind = CallErrorKind::NotAdmittedInTime(NotAdmittedInTime::new(
                        self.op.rate_limit_group(),
                        self.op.quota_room().map(str::to_owned),
                        earliest,
                        limit,
                        limited_by,
                    ));
                    let reason = match limited_by {
                        WaitLimit::Deadline => StopReason::DeadlineExceeded,
                        _ => StopReason::NotRetryable,
                    };
                    return self.finish(Err(CallError::new(
                        self.op.action(),
                        kind,
                        self.attempts,
                        reason,
                    )));
                }
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
        let first_too_late = self.attempts == 0 && self.deadline_left(now) == Some(Duration::ZERO);
        let retry_too_late = self
            .retry
            .as_ref()
            .filter(|_| self.attempts > 0)
            .is_some_and(|retry| retry.time_left(now.monotonic) == Some(Duration::ZERO));
        if first_too_late || retry_too_late {
            let reason = self
                .retry
                .as_ref()
                .filter(|_| self.attempts > 0)
                .map_or(StopReason::DeadlineExceeded, RetryState::out_of_time);
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

    /// The retries start at the first send; the deadline counts from the call's start,
    /// so the time spent waiting for the first slot comes off it.
    fn begin_retries(&self, now: Now) -> RetryState {
        let sequenced = !matches!(self.op.sequencing(), Sequencing::None);
        let mut policy = self.policy.clone();
        policy.deadline = self.deadline_left(now);
        policy
            .begin(now.monotonic, sequenced)
            .with_budget(Arc::clone(&self.core.budget))
    }

    /// What is left at `now` of the call's deadline, counted from its start.
    fn deadline_left(&self, now: Now) -> Option<Duration> {
        let started = self.started.unwrap_or(now.monotonic);
        let elapsed = now.monotonic.saturating_sub(started);
        self.policy
            .deadline
            .map(|deadline| deadline.saturating_sub(elapsed))
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
                Some(Feedback::RateLimited {
                    key: self.key(),
                    code: rate_limit_code(&kind).unwrap_or(429),
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
                if let Some(code) = rate_limit_code(&kind) {
                    self.notify_wait(WaitReason::RateLimitAnswer { code }, delay);
                }
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

    /// Tells the client's wait observer, if any, that the driver is about to sleep.
    fn notify_wait(&self, reason: WaitReason, wait: Duration) {
        if let Some(observer) = &self.core.on_wait {
            observer(&WaitNotice {
                action: self.op.action(),
                group: self.op.rate_limit_group(),
                room: self.op.quota_room(),
                reason,
                wait,
            });
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

/// The code of a rate-limit answer (429 for an HTTP 429 page), `None` for other failures.
fn rate_limit_code(kind: &CallErrorKind) -> Option<i64> {
    match kind {
        CallErrorKind::Response(e) if e.class() == ErrorClass::RateLimited => Some(match e {
            ResponseError::Api(api) => api.code.code(),
            _ => 429,
        }),
        _ => None,
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}
