//! [`BulkControl`]: every decision of a bulk run that is not I/O — how many batches to keep
//! in flight, when to stop (fail-fast, rate limits, the callback, a cancellation), and the
//! report — shared by the drivers, so the blocking and async runs decide alike.

use std::collections::BTreeMap;
use std::ops::ControlFlow;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::options::{BatchOutcome, BulkOptions};
use super::report::{BulkFailure, BulkReport, BulkStop};
use crate::call::ClientCore;
use crate::call::{CallOptions, CancelToken};
use crate::call_error::{CallError, CallErrorKind};
use crate::codes::ErrorClass;
use crate::config::Environment;
use crate::error::ValidationError;
use crate::operation::RateLimitGroup;
use crate::rate_limit::{Quotas, RateLimitKey};
use crate::transport_error::TransportErrorKind;

use super::BulkAction;

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    stop: Option<BulkStop>,
    succeeded_batches: u64,
    consecutive_fatal: u32,
    rate_limited_since: Option<Duration>,
    latency: Option<Duration>,
    /// Unmetered runs: the fastest round trip seen, and the batches in flight now allowed
    /// ([`unmetered_limit`]).
    fastest: Option<Duration>,
    unmetered_limit: usize,
    /// When the first batch started (monotonic).
    started: Option<Duration>,
    report: BulkReport,
    failures: Vec<(usize, BulkFailure)>,
    /// The batches out, by index ([`BulkControl::launch`]): at most the target in flight.
    launched: BTreeMap<usize, Vec<String>>,
    /// Batches that may or may not have been applied, by index.
    unknown: Vec<(usize, Vec<String>)>,
    /// The run stopped waiting for what was in flight ([`BulkControl::give_up_in_flight`]):
    /// what ends later is not recorded, so the report and the callback stay as returned.
    gave_up: bool,
}

/// The driver-side control of one bulk run (see the module docs). Drivers:
///
/// 1. ask [`BulkControl::begin`] (blocking) or [`BulkControl::try_begin`] (async) before
///    starting a batch — it says no once the run has stopped, and keeps the number in flight
///    at what the measured latency needs;
/// 2. name the batch started with [`BulkControl::launch`] (until it is recorded, a report
///    counts it as unknown), run it with [`BulkControl::call_options`] (which carry the
///    run's cancel token);
/// 3. report it with [`BulkControl::record`] (with the last request's latency), or an
///    invalid ID with [`BulkControl::record_invalid`], a skipped batch with
///    [`BulkControl::record_skipped`], a batch never started with
///    [`BulkControl::record_not_attempted`];
/// 4. wait for the batches out with [`BulkControl::wait_in_flight`] (blocking) or up to
///    [`BulkControl::grace_deadline`] (async), and [`BulkControl::give_up_in_flight`] if the
///    grace of a cancelled run ended first;
/// 5. take the report with [`BulkControl::finish`].
///
/// ```
/// use std::time::Duration;
/// use zego_proto::bulk::{BatchOutcome, BulkControl};
/// use zego_proto::{Environment, bulk::{BulkAction, BulkOptions}};
/// let options = BulkOptions::default();
/// let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
/// assert!(control.try_begin(Duration::ZERO));
/// control.launch(0, &["a".to_owned()]);
/// control.record(0, vec!["a".into()], 1, Some(Duration::from_millis(900)), Ok(()), Duration::ZERO);
/// // 900 ms round trips at 20/s need 18 batches in flight, plus two.
/// assert_eq!(control.target_in_flight(Duration::ZERO), 20);
/// assert_eq!(control.finish().succeeded, 1);
/// ```
pub struct BulkControl {
    options: BulkOptions,
    action: BulkAction,
    cancel: CancelToken,
    interval: Option<Duration>,
    state: Mutex<State>,
    changed: Condvar,
}

impl std::fmt::Debug for BulkControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkControl")
            .field("action", &self.action)
            .field("interval", &self.interval)
            .field("state", &*self.lock())
            .finish_non_exhaustive()
    }
}

/// Whether a failure will fail every other batch too.
fn fails_every_batch(error: &CallError, nothing_succeeded_yet: bool) -> bool {
    match error.kind() {
        CallErrorKind::Transport(t) => {
            nothing_succeeded_yet && t.kind() == TransportErrorKind::Connect
        }
        CallErrorKind::Admission(_) => nothing_succeeded_yet,
        _ => matches!(error.class(), ErrorClass::AuthOrConfig | ErrorClass::Clock),
    }
}

/// Batches an unmetered run keeps in flight before its first answers.
const UNMETERED_START: usize = 2;

/// The next in-flight limit of an unmetered run, after an answer, when round trips take
/// `sample` on average (the weighted mean, so one lucky answer does not grow it) and the
/// fastest took `fastest` (a Vegas-style rule). Without a quota nothing says how many
/// batches the server takes at once, so the run measures it: `limit x (1 - fastest /
/// sample)` estimates how many of its batches wait in a queue somewhere rather than being
/// served. While fewer than two wait, one more batch may go; beyond four, one fewer. A
/// loopback server on a busy host settles at a few (more would only queue); a far or
/// parallel one grows towards [`BulkOptions::concurrency`].
fn unmetered_limit(limit: usize, fastest: Duration, sample: Duration) -> usize {
    let sample = sample.as_nanos().max(1);
    let queued = limit as u128 * sample.saturating_sub(fastest.as_nanos()) / sample;
    match queued {
        0..=1 => limit.saturating_add(1),
        2..=4 => limit,
        _ => limit.saturating_sub(1).max(UNMETERED_START),
    }
}

impl BulkControl {
    /// Controls a run of `action` in `environment` (whose quota sizes the concurrency). It
    /// keeps a copy of `options` (their callbacks are shared), so a driver may move it to
    /// threads of its own.
    ///
    /// This sizes the batches in flight to ZEGO's documented quota; a client's run uses
    /// [`BulkControl::for_client`], which sizes them to the quota the client really has.
    pub fn new(options: &BulkOptions, action: BulkAction, environment: Environment) -> Self {
        Self {
            options: options.clone(),
            action,
            cancel: options.cancel.clone().unwrap_or_default(),
            interval: None,
            state: Mutex::new(State::default()),
            changed: Condvar::new(),
        }
        .with_quota(Quotas::default().per_second(RateLimitGroup::StreamForbid, environment))
    }

    /// Controls a run of `action` by the client `core`: the batches in flight follow the
    /// quota its coordinator admits ([`Coordinator::quota_per_second`]) — a raised quota
    /// keeps more in flight, an unmetered client (`no_rate_limit`) up to
    /// [`BulkOptions::concurrency`]. Both transports' `bulk` start here.
    ///
    /// [`Coordinator::quota_per_second`]: crate::admission::Coordinator::quota_per_second
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::bulk::{BulkAction, BulkControl, BulkOptions};
    /// use zego_proto::{driver::ClientCore, ops::RateLimitGroup, Credentials};
    /// let core = ClientCore::builder(Credentials::new(1u32, "secret")?)
    ///     .quota(RateLimitGroup::StreamForbid, 500)
    ///     .build();
    /// let control = BulkControl::for_client(&BulkOptions::default(), BulkAction::Forbid, &core);
    /// assert!(control.try_begin(Duration::ZERO));
    /// control.launch(0, &["a".to_owned()]);
    /// control.record(0, vec!["a".into()], 1, Some(Duration::from_millis(100)), Ok(()), Duration::ZERO);
    /// // 100 ms round trips at 500/s need 50 batches in flight, plus two.
    /// assert_eq!(control.target_in_flight(Duration::ZERO), 52);
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    pub fn for_client(options: &BulkOptions, action: BulkAction, core: &ClientCore) -> Self {
        let key = RateLimitKey {
            app_id: core.credentials().app_id(),
            environment: core.config().environment(),
            group: RateLimitGroup::StreamForbid,
        };
        Self::new(options, action, key.environment)
            .with_quota(core.coordinator().quota_per_second(key))
    }

    /// Sizes the batches in flight to `per_second` requests a second (`None`: unmetered,
    /// [`BulkOptions::concurrency`] at once).
    #[must_use]
    pub fn with_quota(mut self, per_second: Option<u32>) -> Self {
        self.interval = per_second
            .filter(|q| *q > 0)
            .map(|q| Duration::from_nanos(1_000_000_000u64.div_ceil(u64::from(q))));
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The options each batch's call runs with: the run's cancel token.
    pub fn call_options(&self) -> CallOptions {
        CallOptions::new().with_cancel(self.cancel.clone())
    }

    /// Why the run stopped, if it did (a cancelled token counts as interrupted).
    pub fn stopped(&self) -> Option<BulkStop> {
        let mut state = self.lock();
        self.check_cancel(&mut state);
        state.stop
    }

    fn check_cancel(&self, state: &mut State) {
        if state.stop.is_none() && self.cancel.is_cancelled() {
            state.stop = Some(BulkStop::Interrupted);
        }
    }

    fn stop(&self, state: &mut State, why: BulkStop) {
        if state.stop.is_none() {
            state.stop = Some(why);
        }
        self.cancel.cancel();
        self.changed.notify_all();
    }

    /// Cancels the run (no new batch starts; requests out are answered).
    pub fn interrupt(&self) {
        let mut state = self.lock();
        self.stop(&mut state, BulkStop::Interrupted);
    }

    /// How many batches to keep in flight at monotonic time `now`: enough to send at the
    /// quota during one round trip (the latency divided by the quota's interval, plus two),
    /// bounded by [`BulkOptions::concurrency`]. Before the first answer, as many as the
    /// quota has offered slots since the run started (plus two): a far region is not slowed
    /// down while its latency is measured, and a run that fails at once has booked little.
    /// Unmetered (no quota to size by): two at first, then one more per answer while the
    /// round trips do not grow with the batches out, up to the bound.
    pub fn target_in_flight(&self, now: Duration) -> usize {
        let state = self.lock();
        self.target(&state, now)
    }

    fn target(&self, state: &State, now: Duration) -> usize {
        let max = self.options.concurrency.max(1);
        let Some(interval) = self.interval else {
            return state.unmetered_limit.max(UNMETERED_START).min(max);
        };
        let span = match state.latency {
            Some(latency) => latency,
            None => now.saturating_sub(state.started.unwrap_or(now)),
        };
        let per_span = span.as_nanos().div_ceil(interval.as_nanos().max(1));
        usize::try_from(per_span)
            .unwrap_or(usize::MAX)
            .saturating_add(2)
            .min(max)
    }

    /// Starts a batch at monotonic time `now` if the run goes on and fewer than the target
    /// are in flight; `false` if the run stopped or the target is reached (for async
    /// drivers, which try again when a batch finishes or after [`BulkControl::tick`]).
    pub fn try_begin(&self, now: Duration) -> bool {
        let mut state = self.lock();
        self.check_cancel(&mut state);
        state.started.get_or_insert(now);
        if state.stop.is_some() || state.in_flight >= self.target(&state, now) {
            return false;
        }
        state.in_flight += 1;
        true
    }

    /// How often the target may grow while no batch finishes: the quota's interval.
    pub fn tick(&self) -> Duration {
        self.interval.unwrap_or(Duration::from_millis(50))
    }

    /// Waits until a batch may start (`now` reads the driver's monotonic clock); `false` if
    /// the run stopped (for blocking drivers).
    pub fn begin(&self, now: impl Fn() -> Duration) -> bool {
        let mut state = self.lock();
        loop {
            self.check_cancel(&mut state);
            if state.stop.is_some() {
                return false;
            }
            let at = now();
            state.started.get_or_insert(at);
            if state.in_flight < self.target(&state, at) {
                state.in_flight += 1;
                return true;
            }
            // Woken by every finished batch; the timeout lets the target grow with time
            // and picks up a cancelled token.
            state = self
                .changed
                .wait_timeout(state, self.tick())
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Gives back a start taken with [`BulkControl::try_begin`] that was not used (the input
    /// ended, or the item was skipped or invalid).
    pub fn abandon(&self) {
        let mut state = self.lock();
        state.in_flight = state.in_flight.saturating_sub(1);
        self.changed.notify_all();
    }

    /// Names the batch just started (after [`BulkControl::begin`] or
    /// [`BulkControl::try_begin`]): until [`BulkControl::record`] hears of it, a report
    /// counts its streams as unknown.
    pub fn launch(&self, index: usize, stream_ids: &[String]) {
        self.lock().launched.insert(index, stream_ids.to_vec());
    }

    /// Until when, at monotonic time `now`, a driver waits for the batches in flight: `None`
    /// (until they end) unless the run was cancelled and [`BulkOptions::cancel_grace`] is
    /// set, then `now` plus the grace. Call it again once the run is cancelled.
    pub fn grace_deadline(&self, now: Duration) -> Option<Duration> {
        let mut state = self.lock();
        self.check_cancel(&mut state);
        let grace = self.options.cancel_grace?;
        (state.stop == Some(BulkStop::Interrupted)).then(|| now.saturating_add(grace))
    }

    /// Waits until no batch is in flight (`true`), or until the grace of a cancelled run
    /// ends (`false`; see [`BulkControl::grace_deadline`]); `now` reads the driver's
    /// monotonic clock. For blocking drivers.
    pub fn wait_in_flight(&self, now: impl Fn() -> Duration) -> bool {
        let mut until = None;
        loop {
            if self.in_flight() == 0 {
                return true;
            }
            let at = now();
            if until.is_none() {
                until = self.grace_deadline(at);
            }
            if until.is_some_and(|until| at >= until) {
                return false;
            }
            let wait = until.map_or(self.tick(), |until| {
                until.saturating_sub(at).min(self.tick())
            });
            let state = self.lock();
            if state.in_flight == 0 {
                continue;
            }
            // Woken by every finished batch; without a grace nothing else matters, with one
            // the timeout picks up a cancelled token and the grace's end.
            if self.options.cancel_grace.is_none() {
                drop(
                    self.changed
                        .wait(state)
                        .unwrap_or_else(PoisonError::into_inner),
                );
            } else {
                drop(
                    self.changed
                        .wait_timeout(state, wait)
                        .unwrap_or_else(PoisonError::into_inner),
                );
            }
        }
    }

    /// Stops waiting for the batches in flight (a cancelled run's grace ended): they are
    /// counted as unknown, and their outcomes, when they come, are not recorded.
    pub fn give_up_in_flight(&self) {
        let mut state = self.lock();
        state.gave_up = true;
        state.in_flight = 0;
        let launched = std::mem::take(&mut state.launched);
        state.unknown.extend(launched);
        self.changed.notify_all();
    }

    /// Records a batch whose driver failed (a panic in its thread or task) before it was
    /// recorded: counted as unknown; the run stops.
    pub fn record_lost(&self, index: usize) {
        let mut state = self.lock();
        if let Some(ids) = state.launched.remove(&index) {
            state.in_flight = state.in_flight.saturating_sub(1);
            state.unknown.push((index, ids));
        }
        self.stop(&mut state, BulkStop::Interrupted);
    }

    /// Number of batches in flight.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// Records a batch that [`BulkControl::begin`] started: its requests, the latency of
    /// its last request, and its result, at monotonic time `now`. Applies fail-fast and the
    /// callback.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        index: usize,
        stream_ids: Vec<String>,
        attempts: u32,
        latency: Option<Duration>,
        result: Result<(), CallError>,
        now: Duration,
    ) {
        let mut state = self.lock();
        if state.gave_up {
            // The run already returned its report without this batch's answer.
            return;
        }
        state.launched.remove(&index);
        state.in_flight = state.in_flight.saturating_sub(1);
        if let Some(sample) = latency.filter(|_| attempts > 0) {
            // An exponentially weighted mean: one slow answer does not swing the target.
            state.latency = Some(match state.latency {
                Some(mean) => (mean * 7 + sample) / 8,
                None => sample,
            });
            if self.interval.is_none() {
                let fastest = state.fastest.map_or(sample, |f| f.min(sample));
                state.fastest = Some(fastest);
                let limit = state.unmetered_limit.max(UNMETERED_START);
                state.unmetered_limit =
                    unmetered_limit(limit, fastest, state.latency.unwrap_or(sample))
                        .min(self.options.concurrency.max(1));
            }
        }
        if let Err(error) = &result {
            if matches!(error.kind(), CallErrorKind::Cancelled) && attempts == 0 {
                // Cancelled before its first request: not attempted, not a failure.
                state.report.not_attempted += stream_ids.len();
                self.changed.notify_all();
                return;
            }
        }
        let outcome = BatchOutcome::new(index, stream_ids, attempts, result);
        if outcome.is_unknown() {
            // Sent, then cancelled before a definite answer: maybe applied, maybe not.
            state.report.requests += u64::from(outcome.attempts);
            if let Some(callback) = &self.options.on_batch {
                // The run is stopping already; the callback is told, not asked.
                let _ = callback(&outcome);
            }
            state.unknown.push((outcome.index, outcome.stream_ids));
            self.changed.notify_all();
            return;
        }
        match &outcome.result {
            Ok(()) => {
                state.succeeded_batches += 1;
                state.consecutive_fatal = 0;
                state.rate_limited_since = None;
            }
            Err(error) if error.class() == ErrorClass::RateLimited => {
                let since = *state.rate_limited_since.get_or_insert(now);
                if now.saturating_sub(since) >= self.options.fail_fast.rate_limit_budget {
                    self.stop(&mut state, BulkStop::RateLimited);
                }
            }
            Err(error) if fails_every_batch(error, state.succeeded_batches == 0) => {
                state.consecutive_fatal += 1;
                if state.consecutive_fatal >= self.options.fail_fast.batches {
                    self.stop(&mut state, BulkStop::FailFast);
                }
            }
            Err(_) => state.consecutive_fatal = 0,
        }
        self.account(&mut state, outcome);
        self.changed.notify_all();
    }

    /// Records an ID refused before sending (it fails alone; nothing was in flight).
    pub fn record_invalid(&self, index: usize, stream_id: String, error: ValidationError) {
        let mut state = self.lock();
        let error = CallError::validation(self.action.action(), error);
        self.account(
            &mut state,
            BatchOutcome::new(index, vec![stream_id], 0, Err(error)),
        );
    }

    /// Records streams never started because the run stopped.
    pub fn record_not_attempted(&self, streams: usize) {
        self.lock().report.not_attempted += streams;
    }

    /// Records a batch skipped by [`BulkOptions::skip`].
    pub fn record_skipped(&self, streams: usize) {
        self.lock().report.skipped += streams;
    }

    /// Whether [`BulkOptions::skip`] skips the batch at `index`.
    pub fn skips(&self, index: usize) -> bool {
        self.options.skip.as_ref().is_some_and(|skip| skip(index))
    }

    fn account(&self, state: &mut State, outcome: BatchOutcome) {
        state.report.requests += u64::from(outcome.attempts);
        if let Some(callback) = &self.options.on_batch {
            if callback(&outcome) == ControlFlow::Break(()) {
                self.stop(state, BulkStop::Callback);
            }
        }
        match outcome.result {
            Ok(()) => {
                state.report.succeeded += outcome.stream_ids.len();
                if self.options.keep_succeeded {
                    state.report.succeeded_ids.extend(outcome.stream_ids);
                }
            }
            Err(error) => state.failures.push((
                outcome.index,
                BulkFailure {
                    stream_ids: outcome.stream_ids,
                    error,
                },
            )),
        }
    }

    /// The report: failures in input order, why the run stopped.
    pub fn finish(self) -> BulkReport {
        self.report()
    }

    /// The report so far (the run may go on): failures in input order, why it stopped.
    pub fn report(&self) -> BulkReport {
        let mut state = self.lock();
        self.check_cancel(&mut state);
        let mut failures = state.failures.clone();
        failures.sort_by_key(|(index, _)| *index);
        let mut report = state.report.clone();
        report.failures = failures.into_iter().map(|(_, f)| f).collect();
        // What is still out counts as unknown too: a report taken mid-run is complete.
        let mut unknown: Vec<(usize, &Vec<String>)> = state
            .unknown
            .iter()
            .map(|(index, ids)| (*index, ids))
            .chain(state.launched.iter().map(|(index, ids)| (*index, ids)))
            .collect();
        unknown.sort_by_key(|(index, _)| *index);
        report.unknown = unknown
            .into_iter()
            .flat_map(|(_, ids)| ids.clone())
            .collect();
        report.stopped = state.stop;
        report
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::ReturnCode;
    use crate::response::{ApiError, ResponseError};
    use crate::retry::StopReason;

    fn api(code: i64) -> CallError {
        CallError::new(
            "ForbidRTCStreams",
            CallErrorKind::Response(ResponseError::Api(ApiError {
                code: ReturnCode::from_code(code),
                message: String::new(),
                request_id: String::new(),
                http_status: 200,
            })),
            1,
            StopReason::NotRetryable,
        )
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("s{i}")).collect()
    }

    #[test]
    fn a_wrong_secret_stops_the_run_after_three_batches() {
        let options = BulkOptions::default();
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        for i in 0..3 {
            assert!(control.try_begin(Duration::ZERO));
            control.record(i, ids(20), 1, None, Err(api(100000005)), Duration::ZERO);
        }
        assert_eq!(control.stopped(), Some(BulkStop::FailFast));
        assert!(!control.try_begin(Duration::ZERO));
        control.record_not_attempted(100);
        let report = control.finish();
        assert_eq!((report.failed(), report.not_attempted), (60, 100));
        assert_eq!(report.total(), 160);
        assert_eq!(report.stopped, Some(BulkStop::FailFast));
    }

    #[test]
    fn a_different_failure_resets_the_count_and_transient_ones_never_stop() {
        let options = BulkOptions::default();
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        for i in 0..10 {
            let code = if i % 2 == 0 { 100000005 } else { 30003 };
            control.try_begin(Duration::ZERO);
            control.record(i, ids(1), 5, None, Err(api(code)), Duration::ZERO);
        }
        assert_eq!(control.stopped(), None);
    }

    #[test]
    fn sustained_rate_limits_stop_when_the_budget_is_spent() {
        let options = BulkOptions::default().with_fail_fast(
            super::super::FailFast::default().rate_limit_budget(Duration::from_secs(10)),
        );
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        for (i, t) in [0u64, 4, 8, 11].into_iter().enumerate() {
            control.try_begin(Duration::ZERO);
            control.record(i, ids(1), 5, None, Err(api(30002)), Duration::from_secs(t));
        }
        assert_eq!(control.stopped(), Some(BulkStop::RateLimited));
    }

    #[test]
    fn the_callback_can_stop_the_run_and_cancellation_interrupts_it() {
        let options = BulkOptions::default().with_on_batch(|b| {
            if b.index == 1 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        control.try_begin(Duration::ZERO);
        control.record(0, ids(2), 1, None, Ok(()), Duration::ZERO);
        assert_eq!(control.stopped(), None);
        control.try_begin(Duration::ZERO);
        control.record(1, ids(2), 1, None, Ok(()), Duration::ZERO);
        assert_eq!(control.stopped(), Some(BulkStop::Callback));

        let token = CancelToken::new();
        let options = BulkOptions::default().with_cancel(token.clone());
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        token.cancel();
        assert!(
            !control.begin(|| Duration::ZERO),
            "a cancelled run starts nothing"
        );
        assert_eq!(control.finish().stopped, Some(BulkStop::Interrupted));
    }

    fn cancelled_after_sending() -> CallError {
        CallError::new(
            "ForbidRTCStreams",
            CallErrorKind::Cancelled,
            2,
            StopReason::Cancelled,
        )
    }

    #[test]
    fn an_interrupted_run_counts_every_stream_once_with_what_was_out_as_unknown() {
        let token = CancelToken::new();
        let seen = std::sync::Arc::new(Mutex::new(Vec::new()));
        let log = std::sync::Arc::clone(&seen);
        let options = BulkOptions::default()
            .with_cancel(token.clone())
            .with_cancel_grace(Duration::from_secs(1))
            .with_on_batch(move |b| {
                log.lock()
                    .unwrap()
                    .push((b.index, b.is_unknown(), b.is_ok()));
                ControlFlow::Continue(())
            });
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        let batch = |i: usize| vec![format!("a{i}"), format!("b{i}")];
        for i in 0..4 {
            assert!(control.try_begin(Duration::from_millis(100 * i as u64)));
            control.launch(i, &batch(i));
        }
        control.record(0, batch(0), 1, None, Ok(()), Duration::ZERO);
        token.cancel();
        assert_eq!(
            control.grace_deadline(Duration::from_secs(5)),
            Some(Duration::from_secs(6))
        );
        // Batch 1: a request went out, got no answer, and the retry was cancelled.
        control.record(
            1,
            batch(1),
            1,
            None,
            Err(cancelled_after_sending()),
            Duration::ZERO,
        );
        // Batch 2: cancelled while waiting for its slot, nothing sent.
        let never_sent = CallError::new(
            "ForbidRTCStreams",
            CallErrorKind::Cancelled,
            0,
            StopReason::Cancelled,
        );
        control.record(2, batch(2), 0, None, Err(never_sent), Duration::ZERO);
        // A report taken now counts batch 3, still out, as unknown.
        let mid = control.report();
        assert_eq!(mid.unknown, ["a1", "b1", "a3", "b3"]);
        assert_eq!(mid.total(), 8);
        // The grace ends with batch 3 still out; its answer, coming later, changes nothing.
        let clock = std::sync::atomic::AtomicU64::new(100);
        let ticking =
            || Duration::from_secs(clock.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        assert!(!control.wait_in_flight(ticking));
        control.give_up_in_flight();
        control.record(3, batch(3), 1, None, Ok(()), Duration::ZERO);
        control.record_not_attempted(10);
        let report = control.finish();
        assert_eq!(
            (
                report.succeeded,
                report.failed(),
                report.not_attempted,
                report.unknown.len()
            ),
            (2, 0, 12, 4)
        );
        assert_eq!(report.unknown, ["a1", "b1", "a3", "b3"]);
        assert_eq!(report.total(), 18);
        assert_eq!(report.requests, 2);
        assert!(!report.is_success());
        assert_eq!(
            *seen.lock().unwrap(),
            [(0, false, true), (1, true, false)],
            "the callback hears of the unknown batch as unknown, never as failed"
        );
    }

    #[test]
    fn without_a_grace_the_run_waits_for_every_batch_out() {
        let token = CancelToken::new();
        let options = BulkOptions::default().with_cancel(token.clone());
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        assert!(control.try_begin(Duration::ZERO));
        control.launch(0, &ids(1));
        token.cancel();
        assert_eq!(control.grace_deadline(Duration::ZERO), None);
        std::thread::scope(|scope| {
            scope.spawn(|| control.record(0, ids(1), 1, None, Ok(()), Duration::ZERO));
            assert!(control.wait_in_flight(|| Duration::ZERO));
        });
        assert_eq!(control.finish().succeeded, 1);
    }

    #[test]
    fn concurrency_follows_the_latency_within_the_bound() {
        let options = BulkOptions::default().with_concurrency(30);
        let control = BulkControl::new(&options, BulkAction::Forbid, Environment::Production);
        assert!(control.try_begin(Duration::ZERO));
        assert_eq!(control.target_in_flight(Duration::ZERO), 2, "at first, two");
        assert_eq!(
            control.target_in_flight(Duration::from_millis(500)),
            12,
            "before the first answer: the slots offered so far"
        );
        control.record(
            0,
            ids(1),
            1,
            Some(Duration::from_millis(1)),
            Ok(()),
            Duration::ZERO,
        );
        assert_eq!(
            control.target_in_flight(Duration::from_secs(9)),
            3,
            "loopback: a few"
        );
        for i in 1..40 {
            control.try_begin(Duration::ZERO);
            control.record(
                i,
                ids(1),
                1,
                Some(Duration::from_secs(2)),
                Ok(()),
                Duration::ZERO,
            );
        }
        assert_eq!(
            control.target_in_flight(Duration::from_secs(9)),
            30,
            "2 s round trips need 42: the bound"
        );
    }

    #[test]
    fn in_flight_follows_the_quota_the_client_really_has() {
        use crate::clock::{Clock, ManualClock};
        use crate::credentials::Credentials;
        use crate::ops::RateLimitGroup;
        use std::sync::Arc;

        let clock = Arc::new(ManualClock::new(Duration::from_secs(1_700_000_000)));
        let builder =
            || ClientCore::builder(Credentials::new(1u32, "secret").unwrap()).clock(clock.clone());
        let options = BulkOptions::default().with_concurrency(64);
        // `answers` answers, the i-th taking `latency(i)`: the target before the first
        // and after the last.
        let run = |core: &ClientCore, answers: usize, latency: &dyn Fn(usize) -> Duration| {
            let control = BulkControl::for_client(&options, BulkAction::Forbid, core);
            let start = clock.monotonic();
            assert!(control.try_begin(start));
            let before_answer = control.target_in_flight(start);
            for i in 0..answers {
                control.try_begin(clock.monotonic());
                control.record(i, ids(1), 1, Some(latency(i)), Ok(()), clock.monotonic());
            }
            clock.advance(Duration::from_millis(10));
            (before_answer, control.target_in_flight(clock.monotonic()))
        };
        let ten_ms = |_| Duration::from_millis(10);
        assert_eq!(
            run(&builder().build(), 1, &ten_ms),
            (2, 3),
            "ZEGO's 20/s: a few"
        );
        let raised = builder().quota(RateLimitGroup::StreamForbid, 500).build();
        assert_eq!(
            run(&raised, 1, &ten_ms),
            (2, 7),
            "500/s over 10 ms: 5, plus two"
        );
        // A custom coordinator's own quota counts, not the builder's default.
        let own = crate::admission::LocalCoordinator::new().with_quotas(Quotas::default().with(
            RateLimitGroup::StreamForbid,
            Environment::Production,
            1000,
        ));
        let own = builder().coordinator(Arc::new(own)).build();
        assert_eq!(
            run(&own, 1, &ten_ms),
            (2, 12),
            "1000/s over 10 ms: 10, plus two"
        );

        // Unmetered: round trips that stay flat as more go out (a far, parallel server)
        // grow the target to the bound; ones that grow with them (a busy loopback server)
        // keep it at a few.
        let unmetered = builder().no_rate_limit().build();
        assert_eq!(
            run(&unmetered, 100, &ten_ms),
            (2, 64),
            "a far server: the bound"
        );
        let queueing = |i: usize| Duration::from_micros(100 * (i.min(3) as u64 + 1));
        let (first, settled) = run(&unmetered, 100, &queueing);
        assert_eq!(first, 2);
        assert!(
            (2..=8).contains(&settled),
            "a server that queues: a few, not {settled}"
        );
    }
}
