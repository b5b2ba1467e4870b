//! Bulk forbid/resume: splitting any number of stream IDs into valid batches of 20
//! ([`StreamBatches`]), the options of a run ([`BulkOptions`]), the driver-side control
//! of a run — concurrency sized by the measured latency, fail-fast, interruption, the
//! report — ([`BulkControl`]), and the journal that lets a killed run resume
//! ([`journal`]).
//!
//! The input is consumed lazily, so a bulk run over millions of IDs keeps only the
//! current batch and the failures in memory.

use serde_json::value::RawValue;

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
    /// A stream ID that can never be sent (empty, too long once prefixed, or with a
    /// character ZEGO does not allow). It fails alone instead of failing its whole batch.
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

    /// Checks one ID as the batches do (non-empty, at most 256 bytes once prefixed, only
    /// the characters ZEGO allows), so a caller can validate a whole input before sending
    /// any of it.
    ///
    /// ```
    /// use zego_proto::bulk::StreamBatches;
    /// use zego_proto::{AppId, Environment};
    /// let batches = StreamBatches::new(std::iter::empty(), AppId::new(1), Environment::Production);
    /// assert!(batches.check("cheater-1").is_ok());
    /// let err = batches.check("cheater 1").unwrap_err();
    /// assert!(err.to_string().contains("U+0020 at position 8"), "{err}");
    /// ```
    pub fn check(&self, id: &str) -> Result<(), ValidationError> {
        check_stream_id("StreamId[]", None, id, self.prefix.as_deref())
    }
}

mod control;
pub mod journal;
mod options;
mod report;

pub use control::BulkControl;
pub use options::{BatchCallback, BatchFilter, BatchOutcome, BulkOptions, FailFast};
pub use report::{BulkFailure, BulkReport, BulkStop};

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
    /// use zego_proto::{Operation, bulk::BulkAction};
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
}
