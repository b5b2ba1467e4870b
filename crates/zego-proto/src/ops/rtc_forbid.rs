//! Forbid and resume RTC stream publishing: `ForbidRTCStreams`, `ResumeRTCStreams`,
//! `ForbidRTCStream`, `ResumeRTCStream`.

use serde_json::value::RawValue;

use super::checks;
use crate::encode::ParamWriter;
use crate::error::ValidationError;
use crate::operation::{Sequencing, TypedOperation};
use crate::response::DataError;
use crate::sequence::Sequence;

/// Most stream IDs one `ForbidRTCStreams` / `ResumeRTCStreams` call accepts.
pub const MAX_STREAMS_PER_BATCH: usize = 20;

/// Defines a batch forbid/resume operation; the two differ only in their action name.
macro_rules! batch_operation {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            stream_ids: Vec<String>,
            sequence: Option<Sequence>,
        }

        impl $name {

            /// 1 to 20 stream IDs, each non-empty and at most 256 bytes. The client stamps
            /// the `Sequence` when the call is admitted to be sent.
            pub fn new<I, S>(stream_ids: I) -> Result<Self, ValidationError>
            where
                I: IntoIterator<Item = S>,
                S: Into<String>,
            {
                Ok(Self {
                    stream_ids: checks::stream_ids("StreamId[]", stream_ids, MAX_STREAMS_PER_BATCH)?,
                    sequence: None,
                })
            }

            /// Sends this `Sequence` instead of a stamped one (a dry run, or an order you
            /// keep yourself).
            #[must_use]
            pub fn with_sequence(mut self, sequence: Sequence) -> Self {
                self.sequence = Some(sequence);
                self
            }

            /// The stream IDs, as given (without any test-environment prefix).
            pub fn stream_ids(&self) -> &[String] {
                &self.stream_ids
            }
        }

        impl TypedOperation for $name {
            type Output = ();

            fn sequencing(&self) -> Sequencing<'_> {
                match self.sequence {
                    Some(sequence) => Sequencing::Explicit(sequence),
                    None => Sequencing::Stamped(&self.stream_ids),
                }
            }

            fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
                for (i, id) in self.stream_ids.iter().enumerate() {
                    w.stream_id("StreamId[]", Some(i), id)?;
                }
                w.sequence()
            }

            fn params_len_hint(&self) -> usize {
                checks::ids_len_hint(14, &self.stream_ids) + 32
            }

            fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
                // Documented as `null`; anything else carries nothing we use.
                Ok(())
            }
        }
    };
}

/// Defines a single-stream forbid/resume operation.
macro_rules! single_operation {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            stream_id: String,
            sequence: Option<Sequence>,
        }

        impl $name {

            /// A stream ID (non-empty, at most 256 bytes). The client stamps the
            /// `Sequence` when the call is admitted to be sent.
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

            /// The stream ID, as given.
            pub fn stream_id(&self) -> &str {
                &self.stream_id
            }
        }

        impl TypedOperation for $name {
            type Output = ();

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

            fn params_len_hint(&self) -> usize {
                self.stream_id.len() * 3 + 48
            }

            fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
                Ok(())
            }
        }
    };
}

batch_operation!(
    /// `ForbidRTCStreams`: stop up to 20 streams from publishing to RTC.
    ///
    /// Streams that do not exist are recorded and the call succeeds; publishers and
    /// players are notified (ZegoExpress 1003025 / 1004025, LiveRoom 12301011).
    ///
    /// ```
    /// use zego_proto::{Operation, Sequence, ops::{ForbidRtcStreams, Sequencing}};
    /// let op = ForbidRtcStreams::new(["rtc01", "rtc02"])?;
    /// assert_eq!(op.action(), "ForbidRTCStreams");
    /// assert!(matches!(op.sequencing(), Sequencing::Stamped(streams) if streams.len() == 2));
    /// let dry = op.with_sequence(Sequence::new(1617249600001));
    /// assert_eq!(dry.sequencing(), Sequencing::Explicit(Sequence::new(1617249600001)));
    /// assert!(ForbidRtcStreams::new(Vec::<String>::new()).is_err());
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    ForbidRtcStreams
);

batch_operation!(
    /// `ResumeRTCStreams`: allow up to 20 streams to publish again.
    ///
    /// ```
    /// use zego_proto::ops::ResumeRtcStreams;
    /// let op = ResumeRtcStreams::new(["rtc01"])?;
    /// assert_eq!(op.stream_ids(), ["rtc01"]);
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    ResumeRtcStreams
);

single_operation!(
    /// `ForbidRTCStream`: stop one stream from publishing to RTC.
    ///
    /// ```
    /// use zego_proto::ops::ForbidRtcStream;
    /// let op = ForbidRtcStream::new("rtc01")?;
    /// assert_eq!(op.stream_id(), "rtc01");
    /// assert!(ForbidRtcStream::new("x".repeat(257)).is_err());
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    ForbidRtcStream
);

single_operation!(
    /// `ResumeRTCStream`: allow one stream to publish again.
    ///
    /// ```
    /// use zego_proto::{ops::ResumeRtcStream, Sequence};
    /// let op = ResumeRtcStream::new("rtc01")?.with_sequence(Sequence::new(2));
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    ResumeRtcStream
);
