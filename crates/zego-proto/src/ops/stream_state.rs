//! `DescribeRTCStreamState`: whether a stream is live.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::checks;
use crate::encode::ParamWriter;
use crate::error::ValidationError;
use crate::lenient::string_lenient;
use crate::operation::{Sequencing, TypedOperation};
use crate::response::{data_required, DataError};
use crate::sequence::Sequence;

/// `DescribeRTCStreamState`: when a stream was created and closed.
///
/// ```
/// use zego_proto::{Operation, Sequence, ops::{DescribeRtcStreamState, Sequencing}};
/// let op = DescribeRtcStreamState::new("rtc01")?.with_sequence(Sequence::new(5));
/// assert_eq!(op.sequencing(), Sequencing::Explicit(Sequence::new(5)));
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeRtcStreamState {
    stream_id: String,
    sequence: Option<Sequence>,
}

impl DescribeRtcStreamState {
    /// Describes `stream_id`. The client stamps the `Sequence` (the action takes one).
    pub fn new(stream_id: impl Into<String>) -> Result<Self, ValidationError> {
        Ok(Self {
            stream_id: checks::stream_id("StreamId", None, stream_id.into())?,
            sequence: None,
        })
    }

    /// Sends this `Sequence` instead of a stamped one.
    #[must_use]
    pub fn with_sequence(mut self, sequence: Sequence) -> Self {
        self.sequence = Some(sequence);
        self
    }
}

/// A stream's state: `{create_time, close_time}`, sent as strings in snake_case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StreamState {
    /// When the stream started, verbatim.
    #[serde(default, deserialize_with = "string_lenient")]
    pub create_time: String,
    /// When it closed, verbatim (empty or `0` while live).
    #[serde(default, deserialize_with = "string_lenient")]
    pub close_time: String,
}

impl StreamState {
    /// `create_time` as a number, when it is one.
    pub fn create_time_secs(&self) -> Option<i64> {
        self.create_time.trim().parse().ok()
    }

    /// `close_time` as a number, when it is one.
    pub fn close_time_secs(&self) -> Option<i64> {
        self.close_time.trim().parse().ok()
    }

    /// Whether the stream is live: created and not closed.
    pub fn is_live(&self) -> bool {
        self.create_time_secs().is_some_and(|t| t > 0) && self.close_time_secs().unwrap_or(0) == 0
    }
}

impl TypedOperation for DescribeRtcStreamState {
    type Output = StreamState;

    fn sequencing(&self) -> Sequencing<'_> {
        match self.sequence {
            Some(sequence) => Sequencing::Explicit(sequence),
            None => Sequencing::Stamped(std::slice::from_ref(&self.stream_id)),
        }
    }

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.stream_id("StreamId", None, &self.stream_id)?;
        w.sequence()
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<StreamState, DataError> {
        data_required(Self::ACTION, data)
    }
}
