//! Bulk forbid/resume: splitting any number of stream IDs into valid batches of 20, and
//! the report of what happened to each stream.
//!
//! The input is consumed lazily, so a bulk run over millions of IDs keeps only the
//! current batch and the failures in memory.

use crate::call_error::CallError;
use crate::config::Environment;
use crate::credentials::AppId;
use crate::encode::MAX_STREAM_ID_BYTES;
use crate::error::{Problem, ValidationError};
use crate::ops::MAX_STREAMS_PER_BATCH;
use crate::request::test_stream_prefix;

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
/// use zego_proto::{AppId, BatchItem, Environment, StreamBatches};
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
        let prefix_len = match &self.prefix {
            Some(p) if !id.starts_with(p.as_str()) => p.len(),
            _ => 0,
        };
        if id.is_empty() {
            return Err(ValidationError::new("StreamId[]", Problem::Empty));
        }
        let actual = prefix_len + id.len();
        if actual > MAX_STREAM_ID_BYTES {
            return Err(ValidationError::new(
                "StreamId[]",
                Problem::TooLong {
                    max_bytes: MAX_STREAM_ID_BYTES,
                    actual,
                },
            ));
        }
        Ok(())
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

    /// Records a batch's outcome.
    pub fn record(
        &mut self,
        stream_ids: Vec<String>,
        attempts: u32,
        outcome: Result<(), CallError>,
    ) {
        self.requests += u64::from(attempts);
        match outcome {
            Ok(()) => self.succeeded += stream_ids.len(),
            Err(error) => self.failures.push(BulkFailure { stream_ids, error }),
        }
    }

    /// Records an ID refused before sending.
    pub fn record_invalid(&mut self, action: &str, stream_id: String, error: ValidationError) {
        self.failures.push(BulkFailure {
            stream_ids: vec![stream_id],
            error: CallError::validation(action, error),
        });
    }

    /// Folds another report (e.g. from a parallel worker) into this one.
    pub fn merge(&mut self, other: BulkReport) {
        self.succeeded += other.succeeded;
        self.requests += other.requests;
        self.failures.extend(other.failures);
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

    #[test]
    fn report_counts_every_stream() {
        let mut report = BulkReport::default();
        report.record(vec!["a".into(), "b".into()], 1, Ok(()));
        report.record_invalid(
            "ForbidRTCStreams",
            String::new(),
            ValidationError::new("StreamId[]", Problem::Empty),
        );
        assert_eq!(
            (report.succeeded, report.failed(), report.total()),
            (2, 1, 3)
        );
        assert!(!report.is_success());
    }
}
