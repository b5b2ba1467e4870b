//! [`RawOperation`]: any ZEGO action through the same signing, sending and parsing path.

use serde_json::value::RawValue;

use super::checks;
use crate::encode::ParamWriter;
use crate::error::{Problem, ValidationError};
use crate::operation::{Operation, RateLimitGroup, Sequencing};
use crate::response::DataError;
use crate::sequence::Sequence;

/// Parameters the SDK sets itself and a raw operation may not give.
const RESERVED: [&str; 7] = [
    "Action",
    "AppId",
    "SignatureNonce",
    "Timestamp",
    "Signature",
    "SignatureVersion",
    "IsTest",
];

/// Any action by name, with its business parameters in order. Array parameters are
/// repeated keys ending in `[]`. Values of `StreamId` and `StreamId[]` are treated as stream
/// IDs: they get the test-environment prefix and the 256-byte check, but not the character
/// check of the typed operations (a raw operation sends what it is given).
///
/// ```
/// use zego_proto::{Operation, ops::{RawOperation, RateLimitGroup}};
/// let op = RawOperation::new("DescribeUserNum")?
///     .param("RoomId[]", "room1")?
///     .param("RoomId[]", "room2")?
///     .rate_limit_group(RateLimitGroup::Rules);
/// assert_eq!(op.action(), "DescribeUserNum");
/// assert!(RawOperation::new("X")?.param("Signature", "forged").is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOperation {
    action: String,
    params: Vec<(String, String)>,
    group: RateLimitGroup,
    sequencing: RawSequencing,
}

/// Whether a raw operation sends a `Sequence`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RawSequencing {
    None,
    Stamped,
    Explicit(Sequence),
}

impl RawOperation {
    /// An action name: ASCII letters and digits.
    pub fn new(action: impl Into<String>) -> Result<Self, ValidationError> {
        let action = action.into();
        if action.is_empty() {
            return Err(ValidationError::new("Action", Problem::Empty));
        }
        if !action.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(ValidationError::new(
                "Action",
                Problem::Invalid {
                    expected: "ASCII letters and digits",
                },
            ));
        }
        Ok(Self {
            action,
            params: Vec::new(),
            group: RateLimitGroup::Unmetered,
            sequencing: RawSequencing::None,
        })
    }

    /// Appends a parameter. The key must be non-empty and not one the SDK sets itself;
    /// a `StreamId` or `StreamId[]` value must be 1 to 256 bytes (any characters).
    pub fn param(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        let key = key.into();
        if key.is_empty() {
            return Err(ValidationError::new("parameter name", Problem::Empty));
        }
        if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&key)) {
            return Err(ValidationError::new("parameter name", Problem::Reserved));
        }
        if key == "Sequence" {
            return Err(ValidationError::new(
                "Sequence",
                Problem::Invalid {
                    expected: "a Sequence given with RawOperation::sequence or RawOperation::stamped_sequence",
                },
            ));
        }
        let value = match key.as_str() {
            "StreamId" => checks::raw_stream_id("StreamId", None, value.into())?,
            "StreamId[]" => {
                checks::raw_stream_id("StreamId[]", Some(self.params.len()), value.into())?
            }
            _ => value.into(),
        };
        self.params.push((key, value));
        Ok(self)
    }

    /// Sends this `Sequence` (kept unchanged across retries).
    #[must_use]
    pub fn sequence(mut self, sequence: Sequence) -> Self {
        self.sequencing = RawSequencing::Explicit(sequence);
        self
    }

    /// Sends a `Sequence` stamped by the client when the call is admitted, like the typed
    /// sequenced operations (its ordering scope is the whole app).
    #[must_use]
    pub fn stamped_sequence(mut self) -> Self {
        self.sequencing = RawSequencing::Stamped;
        self
    }

    /// Draws from a client-side rate-limit group (default: unmetered).
    #[must_use]
    pub fn rate_limit_group(mut self, group: RateLimitGroup) -> Self {
        self.group = group;
        self
    }

    /// The parameters, in order.
    pub fn params(&self) -> &[(String, String)] {
        &self.params
    }
}

/// A raw operation's `Data`, as JSON (`Value::Null` when absent).
#[derive(Debug, Clone, PartialEq)]
pub struct RawOutput(pub serde_json::Value);

impl Operation for RawOperation {
    type Output = RawOutput;

    fn action(&self) -> &str {
        &self.action
    }

    fn rate_limit_group(&self) -> RateLimitGroup {
        self.group
    }

    fn sequencing(&self) -> Sequencing<'_> {
        match self.sequencing {
            RawSequencing::None => Sequencing::None,
            RawSequencing::Stamped => Sequencing::Stamped(&[]),
            RawSequencing::Explicit(sequence) => Sequencing::Explicit(sequence),
        }
    }

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        for (i, (key, value)) in self.params.iter().enumerate() {
            // Stream IDs get the test-environment prefix like those of typed operations.
            match key.as_str() {
                "StreamId" => w.raw_stream_id("StreamId", None, value)?,
                "StreamId[]" => w.raw_stream_id("StreamId[]", Some(i), value)?,
                _ => w.param(key, value),
            }
        }
        if self.sequencing != RawSequencing::None {
            w.sequence()?;
        }
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        self.params
            .iter()
            .map(|(k, v)| (k.len() + v.len()) * 3 + 2)
            .sum::<usize>()
            + 32
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<RawOutput, DataError> {
        match data {
            None => Ok(RawOutput(serde_json::Value::Null)),
            Some(raw) => serde_json::from_str(raw.get())
                .map(RawOutput)
                .map_err(|e| DataError::new(&self.action, e)),
        }
    }
}
