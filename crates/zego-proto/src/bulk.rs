//! Bulk forbid/resume: splitting any number of stream IDs into valid batches of 20, and
//! the report of what happened to each stream.
//!
//! The input is consumed lazily, so a bulk run over millions of IDs keeps only the
//! current batch and the failures in memory.

use std::fmt;
use std::sync::Arc;

use serde_json::value::RawValue;

use crate::call_error::CallError;
use crate::config::Environment;
use crate::credentials::AppId;
use crate::encode::{check_stream_id, ParamWriter};
use crate::error::ValidationError;
use crate::operation::{Operation, RateLimitGroup, Sequencing};
use crate::ops::MAX_STREAMS_PER_BATCH;
use crate::ops::{ForbidRtcStreams, ResumeRtcStreams};
use crate::request::test_stream_prefix;
use crate::response::DataError;

/// One item of [`StreamBatches`]: a batch to send, or an ID refused on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchItem {
    /// 1 to 20 valid stream IDs.
    Batch(Vec<String>),
    /// A stream ID that can never be sent (empty, or too long once prefixed). It fails
    /// alone instead of failing its whole batch.
    Invalid {
        /// The ID as given.
        stream_id: String,
        /// Why.
        error: ValidationError,
    },
}

/// Splits stream IDs into batches of at most 20, setting invalid IDs apart.
///
/// ```
/// use zego_proto::bulk::{BatchItem, StreamBatches};
/// use zego_proto::{AppId, Environment};
/// let ids = (0..45).map(|i| format!("s{i}")).chain([String::new()]);
/// let items: Vec<_> = StreamBatches::new(ids, AppId::new(1), Environment::Production).collect();
/// let sizes: Vec<usize> = items.iter().map(|i| match i {
///     BatchItem::Batch(b) => b.len(),
///     BatchItem::Invalid { .. } => 0,
/// }).collect();
/// assert_eq!(sizes, [20, 20, 5, 0]); // the empty ID fails alone
/// ```
#[derive(Debug)]
pub struct StreamBatches<I> {
    ids: I,
    batch_size: usize,
    prefix: Option<String>,
    pending_invalid: Option<BatchItem>,
}

impl<I: Iterator<Item = String>> StreamBatches<I> {
    /// Batches of 20 for `app_id` in `environment` (the test prefix counts toward the
    /// 256-byte limit).
    pub fn new(
        ids: impl IntoIterator<IntoIter = I>,
        app_id: AppId,
        environment: Environment,
    ) -> Self {
        Self {
            ids: ids.into_iter(),
            batch_size: MAX_STREAMS_PER_BATCH,
            prefix: environment
                .is_test()
                .then(|| test_stream_prefix(app_id.get())),
            pending_invalid: None,
        }
    }

    /// Smaller batches (clamped to `1..=20`).
    #[must_use]
    pub fn with_batch_size(mut self, size: usize) -> Self {
        self.batch_size = size.clamp(1, MAX_STREAMS_PER_BATCH);
        self
    }

    fn check(&self, id: &str) -> Result<(), ValidationError> {
        check_stream_id("StreamId[]", None, id, self.prefix.as_deref())
    }
}

impl<I: Iterator<Item = String>> Iterator for StreamBatches<I> {
    type Item = BatchItem;

    fn next(&mut self) -> Option<BatchItem> {
        if let Some(item) = self.pending_invalid.take() {
            return Some(item);
        }
        let mut batch = Vec::with_capacity(self.batch_size);
        while batch.len() < self.batch_size {
            let Some(id) = self.ids.next() else { break };
            if let Err(error) = self.check(&id) {
                let invalid = BatchItem::Invalid {
                    stream_id: id,
                    error,
                };
                if batch.is_empty() {
                    return Some(invalid);
                }
                // Send what is gathered first, so IDs keep their input order.
                self.pending_invalid = Some(invalid);
                break;
            }
            batch.push(id);
        }
        (!batch.is_empty()).then_some(BatchItem::Batch(batch))
    }
}

/// What a bulk run does to every stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkAction {
    /// `ForbidRTCStreams`, 20 streams per request.
    Forbid,
    /// `ResumeRTCStreams`, 20 streams per request.
    Resume,
}

impl BulkAction {
    /// The action name sent.
    pub fn action(self) -> &'static str {
        match self {
            Self::Forbid => ForbidRtcStreams::ACTION,
            Self::Resume => ResumeRtcStreams::ACTION,
        }
    }
}

/// What happened to one batch (or one invalid ID), reported to
/// [`BulkOptions::on_batch`] as soon as it is known.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchProgress {
    /// Streams in the batch (1 for an ID refused before sending).
    pub stream_count: usize,
    /// Whether they all succeeded.
    pub ok: bool,
    /// Requests sent for the batch, retries included (0 when refused before sending).
    pub attempts: u32,
}

impl BatchProgress {
    /// The progress of a batch of `stream_count` streams after `attempts` requests.
    pub fn new(stream_count: usize, ok: bool, attempts: u32) -> Self {
        Self {
            stream_count,
            ok,
            attempts,
        }
    }
}

/// The callback type of [`BulkOptions::on_batch`].
pub type BatchCallback = Arc<dyn Fn(&BatchProgress) + Send + Sync>;

/// Options of the transports' `Client::bulk`.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use zego_proto::BulkOptions;
/// let done = Arc::new(AtomicUsize::new(0));
/// let seen = Arc::clone(&done);
/// let options = BulkOptions::default()
///     .with_concurrency(4)
///     .with_on_batch(move |p| { seen.fetch_add(p.stream_count, Ordering::Relaxed); });
/// assert_eq!(options.concurrency, 4);
/// ```
#[non_exhaustive]
#[derive(Clone)]
pub struct BulkOptions {
    /// Batches in flight at once (default 8; 0 counts as 1). All of them draw from the
    /// client's shared rate limiter, so more concurrency hides latency without exceeding
    /// the quota.
    pub concurrency: usize,
    /// Called after every batch (from a worker thread or the bulk task), e.g. to drive a
    /// progress bar.
    pub on_batch: Option<BatchCallback>,
}

impl Default for BulkOptions {
    fn default() -> Self {
        Self {
            concurrency: 8,
            on_batch: None,
        }
    }
}

impl fmt::Debug for BulkOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BulkOptions")
            .field("concurrency", &self.concurrency)
            .field("on_batch", &self.on_batch.as_ref().map(|_| "Fn"))
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

    /// Sets [`BulkOptions::on_batch`].
    #[must_use]
    pub fn with_on_batch(
        mut self,
        callback: impl Fn(&BatchProgress) + Send + Sync + 'static,
    ) -> Self {
        self.on_batch = Some(Arc::new(callback));
        self
    }
}

/// One batch of a bulk run as an operation: `ForbidRTCStreams` or `ResumeRTCStreams`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RtcStreamBatch {
    /// Forbid the batch.
    Forbid(ForbidRtcStreams),
    /// Resume the batch.
    Resume(ResumeRtcStreams),
}

impl BulkAction {
    /// The operation for one batch (its `Sequence` is stamped when it is admitted).
    ///
    /// ```
    /// use zego_proto::{BulkAction, Operation};
    /// let op = BulkAction::Resume.batch(vec!["a".into(), "b".into()])?;
    /// assert_eq!(op.action(), "ResumeRTCStreams");
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    pub fn batch(self, stream_ids: Vec<String>) -> Result<RtcStreamBatch, ValidationError> {
        Ok(match self {
            Self::Forbid => RtcStreamBatch::Forbid(ForbidRtcStreams::new(stream_ids)?),
            Self::Resume => RtcStreamBatch::Resume(ResumeRtcStreams::new(stream_ids)?),
        })
    }
}

impl Operation for RtcStreamBatch {
    type Output = ();

    fn action(&self) -> &str {
        match self {
            Self::Forbid(op) => op.action(),
            Self::Resume(op) => op.action(),
        }
    }

    fn rate_limit_group(&self) -> RateLimitGroup {
        RateLimitGroup::StreamForbid
    }

    fn sequencing(&self) -> Sequencing<'_> {
        match self {
            Self::Forbid(op) => op.sequencing(),
            Self::Resume(op) => op.sequencing(),
        }
    }

    fn write_params(&self, params: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        match self {
            Self::Forbid(op) => op.write_params(params),
            Self::Resume(op) => op.write_params(params),
        }
    }

    fn params_len_hint(&self) -> usize {
        match self {
            Self::Forbid(op) => op.params_len_hint(),
            Self::Resume(op) => op.params_len_hint(),
        }
    }

    fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
        Ok(())
    }
}

/// Streams that failed together, with the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkFailure {
    /// The streams of the failed batch (or the one invalid ID).
    pub stream_ids: Vec<String>,
    /// Why they failed.
    pub error: CallError,
}

/// What a bulk forbid or resume did: every stream is either counted as succeeded or
/// listed in a failure; nothing is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Streams in batches that succeeded.
    pub succeeded: usize,
    /// Requests sent, retries included.
    pub requests: u64,
    /// The failures, in input order.
    pub failures: Vec<BulkFailure>,
}

impl BulkReport {
    /// Streams that failed.
    pub fn failed(&self) -> usize {
        self.failures.iter().map(|f| f.stream_ids.len()).sum()
    }

    /// Streams handled in all.
    pub fn total(&self) -> usize {
        self.succeeded + self.failed()
    }

    /// Whether every stream succeeded.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Assembles a [`BulkReport`] from batch outcomes that finish in any order: for the
/// drivers' bulk runs (each worker may keep its own and [`BulkCollector::merge`] them).
///
/// ```
/// use zego_proto::bulk::BulkCollector;
/// let mut collector = BulkCollector::default();
/// let progress = collector.record(1, vec!["b".into()], 1, Ok(()));
/// assert!(progress.ok);
/// collector.record(0, vec!["a".into()], 0, Err(zego_proto::CallError::validation(
///     "ForbidRTCStreams", zego_proto::ValidationError::new("StreamId[]", zego_proto::Problem::Empty))));
/// let report = collector.finish();
/// assert_eq!((report.succeeded, report.failed()), (1, 1));
/// ```
#[derive(Debug, Default)]
pub struct BulkCollector {
    succeeded: usize,
    requests: u64,
    failures: Vec<(usize, BulkFailure)>,
}

impl BulkCollector {
    /// Records the outcome of the item at input position `index` (a batch, or an ID
    /// refused before sending with `attempts` 0), returning its progress report.
    pub fn record(
        &mut self,
        index: usize,
        stream_ids: Vec<String>,
        attempts: u32,
        outcome: Result<(), CallError>,
    ) -> BatchProgress {
        let count = stream_ids.len();
        self.requests += u64::from(attempts);
        let ok = outcome.is_ok();
        match outcome {
            Ok(()) => self.succeeded += count,
            Err(error) => self
                .failures
                .push((index, BulkFailure { stream_ids, error })),
        }
        BatchProgress::new(count, ok, attempts)
    }

    /// Folds another collector (e.g. a parallel worker's) into this one.
    pub fn merge(&mut self, other: BulkCollector) {
        self.succeeded += other.succeeded;
        self.requests += other.requests;
        self.failures.extend(other.failures);
    }

    /// The report, failures in input order.
    pub fn finish(mut self) -> BulkReport {
        self.failures.sort_by_key(|(index, _)| *index);
        BulkReport {
            succeeded: self.succeeded,
            requests: self.requests,
            failures: self.failures.into_iter().map(|(_, f)| f).collect(),
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for BulkFailure {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("BulkFailure", 2)?;
        s.serialize_field("stream_ids", &self.stream_ids)?;
        s.serialize_field("error", &self.error)?;
        s.end()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for BulkReport {
    /// `{"succeeded", "failed", "total", "requests", "failures": [{"stream_ids", "error"}]}`.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("BulkReport", 5)?;
        s.serialize_field("succeeded", &self.succeeded)?;
        s.serialize_field("failed", &self.failed())?;
        s.serialize_field("total", &self.total())?;
        s.serialize_field("requests", &self.requests)?;
        s.serialize_field("failures", &self.failures)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn batches(ids: Vec<String>, env: Environment) -> Vec<BatchItem> {
        StreamBatches::new(ids, AppId::new(7), env).collect()
    }

    #[test]
    fn every_id_lands_in_exactly_one_item_in_order() {
        let ids: Vec<String> = (0..1001).map(|i| format!("s{i}")).collect();
        let items = batches(ids.clone(), Environment::Production);
        assert_eq!(items.len(), 51);
        let flat: Vec<String> = items
            .into_iter()
            .flat_map(|i| match i {
                BatchItem::Batch(b) => b,
                BatchItem::Invalid { .. } => panic!(),
            })
            .collect();
        assert_eq!(flat, ids);
    }

    #[test]
    fn invalid_ids_fail_alone() {
        let ids = vec![
            "a".into(),
            String::new(),
            "b".into(),
            "x".repeat(257),
            "c".into(),
        ];
        let items = batches(ids, Environment::Production);
        assert!(matches!(&items[0], BatchItem::Batch(b) if b == &["a"]));
        assert!(matches!(&items[1], BatchItem::Invalid { stream_id, .. } if stream_id.is_empty()));
        assert!(matches!(&items[2], BatchItem::Batch(b) if b == &["b"]));
        assert!(matches!(&items[3], BatchItem::Invalid { .. }));
        assert!(matches!(&items[4], BatchItem::Batch(b) if b == &["c"]));
        assert_eq!(items.len(), 5);
    }

    #[test]
    fn the_test_prefix_counts_toward_the_limit() {
        let id = "x".repeat(250);
        assert!(matches!(
            &batches(vec![id.clone()], Environment::Production)[0],
            BatchItem::Batch(_)
        ));
        assert!(matches!(
            &batches(vec![id], Environment::Test)[0],
            BatchItem::Invalid { .. }
        ));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn reports_serialize_with_their_counts_and_failures() {
        let mut collector = BulkCollector::default();
        collector.record(0, vec!["a".into(), "b".into()], 2, Ok(()));
        collector.record(
            1,
            vec![String::new()],
            0,
            Err(CallError::validation(
                "ForbidRTCStreams",
                ValidationError::new("StreamId[]", crate::error::Problem::Empty),
            )),
        );
        let json = serde_json::to_value(collector.finish()).unwrap();
        assert_eq!(json["succeeded"], 2);
        assert_eq!(json["failed"], 1);
        assert_eq!(json["total"], 3);
        assert_eq!(json["requests"], 2);
        assert_eq!(json["failures"][0]["stream_ids"][0], "");
        assert_eq!(json["failures"][0]["error"]["stage"], "validation");
        assert_eq!(json["failures"][0]["error"]["field"], "StreamId[]");
    }

    #[test]
    fn report_counts_every_stream() {
        let mut collector = BulkCollector::default();
        collector.record(0, vec!["a".into(), "b".into()], 1, Ok(()));
        collector.record(
            1,
            vec![String::new()],
            0,
            Err(CallError::validation(
                "ForbidRTCStreams",
                ValidationError::new("StreamId[]", crate::error::Problem::Empty),
            )),
        );
        let report = collector.finish();
        assert_eq!(
            (report.succeeded, report.failed(), report.total()),
            (2, 1, 3)
        );
        assert!(!report.is_success());
    }
}
