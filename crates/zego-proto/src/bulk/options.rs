//! The options of a bulk run, and what it reports as each batch finishes.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use crate::call::CancelToken;
use crate::call_error::{CallError, CallErrorKind};
use crate::ops::MAX_STREAMS_PER_BATCH;

/// One finished batch (or one ID refused before sending), as soon as it is known: what
/// [`BulkOptions::on_batch`] sees, and what a journal records.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchOutcome {
    /// The item's position among the run's batches (stable for the same input and batch
    /// size: a journal keys on it).
    pub index: usize,
    /// The batch's stream IDs, as given.
    pub stream_ids: Vec<String>,
    /// Requests sent for it, retries included (0: refused or cancelled before sending).
    pub attempts: u32,
    /// What happened.
    pub result: Result<(), CallError>,
}

impl BatchOutcome {
    /// An outcome.
    pub fn new(
        index: usize,
        stream_ids: Vec<String>,
        attempts: u32,
        result: Result<(), CallError>,
    ) -> Self {
        Self {
            index,
            stream_ids,
            attempts,
            result,
        }
    }

    /// Whether every stream of the batch succeeded.
    pub fn is_ok(&self) -> bool {
        self.result.is_ok()
    }

    /// Whether nobody knows if the batch was applied: a request was sent, and the run's
    /// cancellation ended the call before a definite answer (between a request that got no
    /// answer and its retry). Such a batch is neither succeeded nor failed: the report
    /// counts it in [`BulkReport::unknown`](crate::bulk::BulkReport::unknown), and a journal must
    /// not record it as done or as failed (a resumed run sends it again).
    ///
    /// ```
    /// use zego_proto::bulk::BatchOutcome;
    /// assert!(!BatchOutcome::new(0, vec!["a".into()], 1, Ok(())).is_unknown());
    /// ```
    pub fn is_unknown(&self) -> bool {
        self.attempts > 0
            && matches!(&self.result, Err(e) if matches!(e.kind(), CallErrorKind::Cancelled))
    }
}

/// The callback type of [`BulkOptions::on_batch`]: `ControlFlow::Break(())` stops the run
/// (no new batch starts; batches in flight finish).
pub type BatchCallback = Arc<dyn Fn(&BatchOutcome) -> ControlFlow<()> + Send + Sync>;

/// The filter type of [`BulkOptions::skip`]: `true` skips the batch at that index.
pub type BatchFilter = Arc<dyn Fn(usize) -> bool + Send + Sync>;

/// When a run stops by itself instead of sending batches that will fail too.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::bulk::FailFast;
/// let strict = FailFast::default().after_batches(1).rate_limit_budget(Duration::from_secs(10));
/// assert_eq!(strict.batches, 1);
/// assert!(FailFast::never().batches == u32::MAX);
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailFast {
    /// Stop after this many consecutive batches failed with an error that will fail every
    /// batch: authentication or configuration codes (a wrong secret, an unknown AppId), a
    /// clock error the retry's fresh signature did not cure, or — before any batch has
    /// succeeded — a connection that cannot be made at all (default 3).
    pub batches: u32,
    /// Stop when batches have kept failing with rate-limit answers for this long (each
    /// answer already pauses the whole run through the coordinator) (default 60 s).
    pub rate_limit_budget: Duration,
}

impl Default for FailFast {
    fn default() -> Self {
        Self {
            batches: 3,
            rate_limit_budget: Duration::from_secs(60),
        }
    }
}

impl FailFast {
    /// Never stop by itself.
    pub fn never() -> Self {
        Self {
            batches: u32::MAX,
            rate_limit_budget: Duration::MAX,
        }
    }

    /// Sets [`FailFast::batches`] (at least 1).
    #[must_use]
    pub fn after_batches(mut self, batches: u32) -> Self {
        self.batches = batches.max(1);
        self
    }

    /// Sets [`FailFast::rate_limit_budget`].
    #[must_use]
    pub fn rate_limit_budget(mut self, budget: Duration) -> Self {
        self.rate_limit_budget = budget;
        self
    }
}

/// Options of the transports' `Client::bulk`.
///
/// ```
/// use std::ops::ControlFlow;
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use zego_proto::bulk::BulkOptions;
/// let done = Arc::new(AtomicUsize::new(0));
/// let seen = Arc::clone(&done);
/// let options = BulkOptions::default()
///     .with_concurrency(16)
///     .with_batch_size(10)
///     .with_on_batch(move |batch| {
///         seen.fetch_add(batch.stream_ids.len(), Ordering::Relaxed);
///         ControlFlow::Continue(())
///     });
/// assert_eq!((options.concurrency, options.batch_size), (16, 10));
/// ```
#[non_exhaustive]
#[derive(Clone)]
pub struct BulkOptions {
    /// The most batches in flight at once (default 64; 0 counts as 1). The run keeps as
    /// many in flight as the measured round-trip time needs to send at the quota (the
    /// latency times the quota, plus two), up to this bound: a far region or a slow network
    /// does not slow the run, and loopback runs keep only a few in flight.
    pub concurrency: usize,
    /// Streams per request, 1 to 20 (default 20).
    pub batch_size: usize,
    /// Called as each batch finishes (from a worker thread, or the bulk task); may stop the
    /// run.
    pub on_batch: Option<BatchCallback>,
    /// Batches to skip (already done, per a journal): they are counted as skipped.
    pub skip: Option<BatchFilter>,
    /// When the run gives up by itself.
    pub fail_fast: FailFast,
    /// List the succeeded stream IDs in the report (off by default: a million-stream run
    /// stays in constant memory apart from its failures).
    pub keep_succeeded: bool,
    /// Stops the run from outside (e.g. on SIGINT): no new batch starts, and calls waiting
    /// for a slot are not sent; requests already out are answered, for at most
    /// [`BulkOptions::cancel_grace`].
    pub cancel: Option<CancelToken>,
    /// How long a cancelled run waits for the batches still in flight before it returns
    /// (default `None`: until they end). Those still out then are reported as
    /// [`BulkReport::unknown`](crate::bulk::BulkReport::unknown); the blocking client leaves their
    /// threads to finish on their own, the async client drops their requests.
    pub cancel_grace: Option<Duration>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 64,
            batch_size: MAX_STREAMS_PER_BATCH,
            on_batch: None,
            skip: None,
            fail_fast: FailFast::default(),
            keep_succeeded: false,
            cancel: None,
            cancel_grace: None,
        }
    }
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("concurrency", &self.concurrency)
            .field("batch_size", &self.batch_size)
            .field("on_batch", &self.on_batch.as_ref().map(|_| "Fn"))
            .field("skip", &self.skip.as_ref().map(|_| "Fn"))
            .field("fail_fast", &self.fail_fast)
            .field("keep_succeeded", &self.keep_succeeded)
            .field("cancel", &self.cancel)
            .field("cancel_grace", &self.cancel_grace)
            .finish()
    }
}

impl BulkOptions {
    /// Sets [`BulkOptions::concurrency`].
    #[must_use]
    pub fn with_concurrency(mut self, concurrency: usize) -> Self {
        self.concurrency = concurrency;
        self
    }

    /// Sets [`BulkOptions::batch_size`] (clamped to 1..=20).
    #[must_use]
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.clamp(1, MAX_STREAMS_PER_BATCH);
        self
    }

    /// Sets [`BulkOptions::on_batch`].
    #[must_use]
    pub fn with_on_batch(
        mut self,
        callback: impl Fn(&BatchOutcome) -> ControlFlow<()> + Send + Sync + 'static,
    ) -> Self {
        self.on_batch = Some(Arc::new(callback));
        self
    }

    /// Sets [`BulkOptions::skip`].
    #[must_use]
    pub fn with_skip(mut self, skip: impl Fn(usize) -> bool + Send + Sync + 'static) -> Self {
        self.skip = Some(Arc::new(skip));
        self
    }

    /// Sets [`BulkOptions::fail_fast`].
    #[must_use]
    pub fn with_fail_fast(mut self, fail_fast: FailFast) -> Self {
        self.fail_fast = fail_fast;
        self
    }

    /// Sets [`BulkOptions::keep_succeeded`].
    #[must_use]
    pub fn with_succeeded_ids(mut self, keep: bool) -> Self {
        self.keep_succeeded = keep;
        self
    }

    /// Sets [`BulkOptions::cancel`].
    #[must_use]
    pub fn with_cancel(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Sets [`BulkOptions::cancel_grace`].
    #[must_use]
    pub fn with_cancel_grace(mut self, grace: Duration) -> Self {
        self.cancel_grace = Some(grace);
        self
    }
}
