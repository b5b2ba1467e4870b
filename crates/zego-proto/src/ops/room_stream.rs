//! Streams in a room: `AddStream`, `DeleteStream`, `DescribeSimpleStreamList`
//! (spec section 4b).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::checks;
use crate::encode::ParamWriter;
use crate::error::{Problem, ValidationError};
use crate::lenient::{i64_lenient, string_lenient};
use crate::operation::TypedOperation;
use crate::response::{data_or_default, DataError};

/// Most bytes of a `StreamTitle` once the caller's own URL-encoding is applied.
pub const MAX_STREAM_TITLE_BYTES: usize = 127;

/// Most bytes of an `ExtraInfo`.
pub const MAX_EXTRA_INFO_BYTES: usize = 1024;

/// The room, user and stream a room-stream action names, checked once.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoomStreamTarget {
    room_id: String,
    user_id: String,
    user_name: String,
    stream_id: String,
}

impl RoomStreamTarget {
    fn new(
        room_id: String,
        user_id: String,
        user_name: String,
        stream_id: String,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            room_id: checks::room_id("RoomId", None, room_id)?,
            user_id: checks::user_id("UserId", None, user_id)?,
            user_name: checks::required("UserName", user_name)?,
            stream_id: checks::stream_id("StreamId", None, stream_id)?,
        })
    }

    fn write(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("RoomId", &self.room_id);
        w.param("UserId", &self.user_id);
        w.param("UserName", &self.user_name);
        w.stream_id("StreamId", None, &self.stream_id)
    }

    fn len_hint(&self) -> usize {
        40 + 3 * (self.room_id.len() + self.user_id.len() + self.user_name.len())
            + 3 * self.stream_id.len()
    }
}

/// `DeleteStream`: remove a stream from a room ("take the mic away"); the user stays in
/// the room.
///
/// ZEGO's spec table lists `UserName` as a parameter of its own and its OpenAPI file marks
/// it optional; the SDK always sends it, so it is required here.
///
/// ```
/// use zego_proto::ops::DeleteStream;
/// let op = DeleteStream::new("room1", "host-7", "Host 7", "stream-7")?;
/// assert_eq!(op.stream_id(), "stream-7");
/// assert!(DeleteStream::new("room1", "host 7", "Host 7", "stream-7").is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteStream {
    target: RoomStreamTarget,
}

impl DeleteStream {
    /// Deletes `stream_id`, published by `user_id` (called `user_name`), from `room_id`.
    pub fn new(
        room_id: impl Into<String>,
        user_id: impl Into<String>,
        user_name: impl Into<String>,
        stream_id: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            target: RoomStreamTarget::new(
                room_id.into(),
                user_id.into(),
                user_name.into(),
                stream_id.into(),
            )?,
        })
    }

    /// The stream.
    pub fn stream_id(&self) -> &str {
        &self.target.stream_id
    }
}

impl TypedOperation for DeleteStream {
    type Output = ();

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        self.target.write(w)
    }

    fn params_len_hint(&self) -> usize {
        self.target.len_hint()
    }

    fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
        Ok(())
    }
}

/// `AddStream`: announce a stream in a room (e.g. a CDN stream to watch together). It
/// publishes nothing itself, and cannot create the room.
///
/// ```
/// use zego_proto::ops::AddStream;
/// let op = AddStream::new("room1", "Server-Administrator", "Server", "cdn-movie")?
///     .with_title("Movie night")?
///     .with_extra_info("{\"seat\":1}")?
///     .with_censor(false);
/// assert!(AddStream::new("room1", "u", "U", "s")?.with_title(&"t".repeat(128)).is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddStream {
    target: RoomStreamTarget,
    /// Already URL-encoded once.
    title: Option<String>,
    extra_info: Option<String>,
    censor: Option<bool>,
}

impl AddStream {
    /// Adds `stream_id`, in the name of `user_id` (called `user_name`), to `room_id`.
    pub fn new(
        room_id: impl Into<String>,
        user_id: impl Into<String>,
        user_name: impl Into<String>,
        stream_id: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            target: RoomStreamTarget::new(
                room_id.into(),
                user_id.into(),
                user_name.into(),
                stream_id.into(),
            )?,
            title: None,
            extra_info: None,
            censor: None,
        })
    }

    /// `StreamTitle`: at most 127 bytes once URL-encoded (the operation encodes it, as
    /// ZEGO asks).
    pub fn with_title(mut self, title: &str) -> Result<Self, ValidationError> {
        self.title = Some(checks::pre_encoded_text(
            "StreamTitle",
            title,
            MAX_STREAM_TITLE_BYTES,
        )?);
        Ok(self)
    }

    /// `ExtraInfo`: at most 1024 bytes.
    pub fn with_extra_info(mut self, extra_info: &str) -> Result<Self, ValidationError> {
        let extra_info = checks::text("ExtraInfo", extra_info.to_owned(), MAX_EXTRA_INFO_BYTES)?;
        if extra_info.is_empty() {
            return Err(ValidationError::new("ExtraInfo", Problem::Empty));
        }
        self.extra_info = Some(extra_info);
        Ok(self)
    }

    /// `CensorFlag`: whether moderation may pull this stream (`true`, ZEGO's default, is
    /// 0 on the wire; `false` is 1).
    #[must_use]
    pub fn with_censor(mut self, allowed: bool) -> Self {
        self.censor = Some(allowed);
        self
    }

    /// The stream.
    pub fn stream_id(&self) -> &str {
        &self.target.stream_id
    }
}

impl TypedOperation for AddStream {
    type Output = ();

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        self.target.write(w)?;
        if let Some(title) = &self.title {
            w.param("StreamTitle", title);
        }
        if let Some(extra_info) = &self.extra_info {
            w.param("ExtraInfo", extra_info);
        }
        if let Some(allowed) = self.censor {
            w.param_int("CensorFlag", u8::from(!allowed));
        }
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        self.target.len_hint()
            + self.title.as_ref().map_or(0, |t| 13 + 3 * t.len())
            + self.extra_info.as_ref().map_or(0, |e| 11 + 3 * e.len())
            + 14
    }

    fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
        Ok(())
    }
}

/// `DescribeSimpleStreamList`: the streams in a room.
///
/// Quota: 50/s per AppId and 1 per 10 s per room.
///
/// ```
/// use zego_proto::ops::DescribeSimpleStreamList;
/// let op = DescribeSimpleStreamList::new("room1")?;
/// assert_eq!(op.room_id(), "room1");
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeSimpleStreamList {
    room_id: String,
}

impl DescribeSimpleStreamList {
    /// Lists the streams of `room_id`.
    pub fn new(room_id: impl Into<String>) -> Result<Self, ValidationError> {
        Ok(Self {
            room_id: checks::room_id("RoomId", None, room_id.into())?,
        })
    }

    /// The room.
    pub fn room_id(&self) -> &str {
        &self.room_id
    }
}

/// `DescribeSimpleStreamList`'s `Data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RoomStreams {
    /// The streams, in ZEGO's order.
    #[serde(rename = "StreamList", default)]
    pub streams: Vec<RoomStream>,
}

/// One stream in a room.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RoomStream {
    /// The stream (with the `zegotest-` prefix in the test environment).
    #[serde(rename = "StreamId", default, deserialize_with = "string_lenient")]
    pub stream_id: String,
    /// The publishing user.
    #[serde(rename = "UserId", default, deserialize_with = "string_lenient")]
    pub user_id: String,
    /// The user's nickname.
    #[serde(rename = "UserName", default, deserialize_with = "string_lenient")]
    pub user_name: String,
    /// When the stream was created (Unix milliseconds).
    #[serde(rename = "CreateTime", default, deserialize_with = "i64_lenient")]
    pub create_time: i64,
    /// The stream's sequence number in the room.
    #[serde(rename = "StreamNumberId", default, deserialize_with = "i64_lenient")]
    pub stream_number_id: i64,
}

impl TypedOperation for DescribeSimpleStreamList {
    type Output = RoomStreams;

    fn quota_room(&self) -> Option<&str> {
        Some(&self.room_id)
    }

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("RoomId", &self.room_id);
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        8 + self.room_id.len() * 3
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}
