//! Stream ban rules: `SetForbidStreamRule`, `DescribeForbidStreamRules`,
//! `DelForbidStreamRule`.

use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::checks;
use crate::encode::ParamWriter;
use crate::error::{Problem, ValidationError};
use crate::lenient::{flag_lenient, i64_lenient, string_lenient};
use crate::operation::TypedOperation;
use crate::response::{data_or_default, DataError};

/// Most stream IDs one `DescribeForbidStreamRules` call accepts.
pub const MAX_STREAMS_PER_DESCRIBE: usize = 10;

/// How long a ban rule lasts (`EffectiveTime`): 1 to 86,400 seconds.
///
/// ZEGO silently turns larger values into 86,400. The SDK does not: [`EffectiveTime::new`]
/// rejects them, so a caller asking for a week learns it gets a day.
/// [`EffectiveTime::saturating`] clamps explicitly, as the server would.
///
/// ```
/// use zego_proto::ops::EffectiveTime;
/// assert_eq!(EffectiveTime::default().as_secs(), 21_600);
/// assert!(EffectiveTime::new(86_401).is_err());
/// assert_eq!(EffectiveTime::saturating(604_800).as_secs(), 86_400);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EffectiveTime(u32);

impl EffectiveTime {
    /// The shortest accepted duration.
    pub const MIN_SECS: u32 = 1;
    /// The longest accepted duration (24 hours).
    pub const MAX_SECS: u32 = 86_400;
    /// ZEGO's default (6 hours).
    pub const DEFAULT_SECS: u32 = 21_600;

    /// A duration in seconds within `1..=86400`.
    pub fn new(secs: u64) -> Result<Self, ValidationError> {
        match u32::try_from(secs) {
            Ok(s) if (Self::MIN_SECS..=Self::MAX_SECS).contains(&s) => Ok(Self(s)),
            _ => Err(ValidationError::new(
                "EffectiveTime",
                Problem::OutOfRange {
                    min: i64::from(Self::MIN_SECS),
                    max: i64::from(Self::MAX_SECS),
                    actual: i64::try_from(secs).unwrap_or(i64::MAX),
                },
            )),
        }
    }

    /// A duration clamped into `1..=86400`.
    pub fn saturating(secs: u64) -> Self {
        let clamped = secs.clamp(u64::from(Self::MIN_SECS), u64::from(Self::MAX_SECS));
        Self(u32::try_from(clamped).unwrap_or(Self::MAX_SECS))
    }

    /// From a [`Duration`], rounded down to whole seconds.
    pub fn from_duration(duration: Duration) -> Result<Self, ValidationError> {
        Self::new(duration.as_secs())
    }

    /// The duration in seconds.
    pub fn as_secs(self) -> u32 {
        self.0
    }
}

impl Default for EffectiveTime {
    fn default() -> Self {
        Self(Self::DEFAULT_SECS)
    }
}

/// What a stream ban rule disables. At least one of audio and video must be banned,
/// so a rule that bans nothing cannot be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaBan {
    /// `DisableAudio=1`, `DisableVideo=0`.
    Audio,
    /// `DisableAudio=0`, `DisableVideo=1`.
    Video,
    /// Both set to 1.
    AudioAndVideo,
}

impl MediaBan {
    /// From two flags, as a CLI or config file gives them.
    ///
    /// ```
    /// use zego_proto::ops::MediaBan;
    /// assert_eq!(MediaBan::from_flags(true, false)?, MediaBan::Audio);
    /// assert!(MediaBan::from_flags(false, false).is_err());
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    pub fn from_flags(audio: bool, video: bool) -> Result<Self, ValidationError> {
        match (audio, video) {
            (true, false) => Ok(Self::Audio),
            (false, true) => Ok(Self::Video),
            (true, true) => Ok(Self::AudioAndVideo),
            (false, false) => Err(ValidationError::new(
                "DisableAudio/DisableVideo",
                Problem::NothingDisabled,
            )),
        }
    }

    /// Whether audio is banned.
    pub fn audio(self) -> bool {
        matches!(self, Self::Audio | Self::AudioAndVideo)
    }

    /// Whether video is banned.
    pub fn video(self) -> bool {
        matches!(self, Self::Video | Self::AudioAndVideo)
    }
}

/// `SetForbidStreamRule`: ban a stream's audio, video or both in a room for a while.
/// Calling it again for the same stream replaces the rule.
///
/// ```
/// use zego_proto::ops::{EffectiveTime, MediaBan, SetForbidStreamRule};
/// let op = SetForbidStreamRule::new("room1", "stream1", MediaBan::Audio, EffectiveTime::new(3600)?)?;
/// assert_eq!(op.ban(), MediaBan::Audio);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetForbidStreamRule {
    room_id: String,
    stream_id: String,
    ban: MediaBan,
    effective_time: EffectiveTime,
}

impl SetForbidStreamRule {
    /// A rule for `stream_id` in `room_id`.
    pub fn new(
        room_id: impl Into<String>,
        stream_id: impl Into<String>,
        ban: MediaBan,
        effective_time: EffectiveTime,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            room_id: checks::room_id("RoomId", None, room_id.into())?,
            stream_id: checks::stream_id("StreamId", None, stream_id.into())?,
            ban,
            effective_time,
        })
    }

    /// The room.
    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    /// The stream.
    pub fn stream_id(&self) -> &str {
        &self.stream_id
    }

    /// What is banned.
    pub fn ban(&self) -> MediaBan {
        self.ban
    }

    /// For how long.
    pub fn effective_time(&self) -> EffectiveTime {
        self.effective_time
    }
}

impl TypedOperation for SetForbidStreamRule {
    type Output = ();

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("RoomId", &self.room_id);
        w.stream_id("StreamId", None, &self.stream_id)?;
        w.param_int("DisableAudio", u8::from(self.ban.audio()));
        w.param_int("DisableVideo", u8::from(self.ban.video()));
        w.param_int("EffectiveTime", self.effective_time.as_secs());
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        (self.room_id.len() + self.stream_id.len()) * 3 + 80
    }

    fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
        Ok(())
    }
}

/// `DescribeForbidStreamRules`: read the ban rules of up to 10 streams in a room.
///
/// ```
/// use zego_proto::ops::DescribeForbidStreamRules;
/// let op = DescribeForbidStreamRules::new("room1", ["s1", "s2"])?;
/// assert_eq!(op.stream_ids().len(), 2);
/// assert!(DescribeForbidStreamRules::new("room1", (0..11).map(|i| i.to_string())).is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeForbidStreamRules {
    room_id: String,
    stream_ids: Vec<String>,
}

impl DescribeForbidStreamRules {
    /// The rules of 1 to 10 streams in `room_id`.
    pub fn new<I, S>(room_id: impl Into<String>, stream_ids: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(Self {
            room_id: checks::room_id("RoomId", None, room_id.into())?,
            stream_ids: checks::stream_ids("StreamId[]", stream_ids, MAX_STREAMS_PER_DESCRIBE)?,
        })
    }

    /// The room.
    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    /// The streams.
    pub fn stream_ids(&self) -> &[String] {
        &self.stream_ids
    }
}

/// The rules `DescribeForbidStreamRules` returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StreamRules {
    /// The room.
    #[serde(rename = "RoomId", default, deserialize_with = "string_lenient")]
    pub room_id: String,
    /// One entry per stream asked about.
    #[serde(rename = "ForbidStreamRuleList", default)]
    pub rules: Vec<StreamRule>,
}

/// One stream's ban rule. A stream without a rule comes back with every number 0
/// (see [`StreamRule::is_empty`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StreamRule {
    /// The stream.
    #[serde(rename = "StreamId", default, deserialize_with = "string_lenient")]
    pub stream_id: String,
    /// Whether audio is banned.
    #[serde(rename = "DisableAudio", default, deserialize_with = "flag_lenient")]
    pub disable_audio: bool,
    /// Whether video is banned.
    #[serde(rename = "DisableVideo", default, deserialize_with = "flag_lenient")]
    pub disable_video: bool,
    /// When the rule was created (Unix seconds).
    #[serde(rename = "CreateTime", default, deserialize_with = "i64_lenient")]
    pub create_time: i64,
    /// ZEGO documents this as a Unix time but its example shows `3600`, a duration in
    /// seconds. It is kept raw: compare it with `create_time` to tell which reading the
    /// server used (a duration is far smaller than any Unix time).
    #[serde(rename = "EffectiveTime", default, deserialize_with = "i64_lenient")]
    pub effective_time: i64,
}

impl StreamRule {
    /// Whether this is the all-zero entry of a stream with no rule.
    pub fn is_empty(&self) -> bool {
        !self.disable_audio
            && !self.disable_video
            && self.create_time == 0
            && self.effective_time == 0
    }
}

impl TypedOperation for DescribeForbidStreamRules {
    type Output = StreamRules;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("RoomId", &self.room_id);
        for (i, id) in self.stream_ids.iter().enumerate() {
            w.stream_id("StreamId[]", Some(i), id)?;
        }
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        self.room_id.len() * 3 + checks::ids_len_hint(14, &self.stream_ids) + 16
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<StreamRules, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

/// `DelForbidStreamRule`: delete a stream's ban rule. Deleting a missing rule succeeds.
///
/// ```
/// use zego_proto::ops::DelForbidStreamRule;
/// let op = DelForbidStreamRule::new("room1", "stream1")?;
/// assert!(DelForbidStreamRule::new("", "stream1").is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelForbidStreamRule {
    room_id: String,
    stream_id: String,
}

impl DelForbidStreamRule {
    /// Deletes the rule of `stream_id` in `room_id`.
    pub fn new(
        room_id: impl Into<String>,
        stream_id: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            room_id: checks::room_id("RoomId", None, room_id.into())?,
            stream_id: checks::stream_id("StreamId", None, stream_id.into())?,
        })
    }
}

impl TypedOperation for DelForbidStreamRule {
    type Output = ();

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("RoomId", &self.room_id);
        w.stream_id("StreamId", None, &self.stream_id)
    }

    fn params_len_hint(&self) -> usize {
        (self.room_id.len() + self.stream_id.len()) * 3 + 24
    }

    fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
        Ok(())
    }
}
