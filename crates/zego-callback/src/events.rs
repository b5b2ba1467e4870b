//! The typed callback events: `stream_create`, `stream_close`, and any other event.

use std::collections::BTreeMap;

use super::body::Fields;
use super::error::CallbackError;

/// A verified callback.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackEvent {
    /// `stream_create`: a stream started.
    StreamCreate(StreamCreate),
    /// `stream_close`: a stream stopped.
    StreamClose(StreamClose),
    /// Any other event, with its fields as strings.
    Other(GenericEvent),
}

impl CallbackEvent {
    /// The fields every callback carries.
    pub fn header(&self) -> &CallbackHeader {
        match self {
            Self::StreamCreate(e) => &e.header,
            Self::StreamClose(e) => &e.header,
            Self::Other(e) => &e.header,
        }
    }
}

/// The fields every callback carries (the signature is checked, not kept).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackHeader {
    /// The event's name, e.g. `stream_create`.
    pub event: String,
    /// The AppId, as ZEGO sent it (`appid`; empty if absent).
    pub appid: String,
    /// When ZEGO sent it (Unix seconds).
    pub timestamp: i64,
    /// The delivery's nonce.
    pub nonce: String,
}

impl CallbackHeader {
    /// The AppId as a number, if it is one.
    pub fn app_id(&self) -> Option<u32> {
        self.appid.parse().ok()
    }
}

/// `stream_create`: a stream started. Every field is ZEGO's string, empty when absent,
/// except the URL lists.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // The fields are ZEGO's, named as ZEGO names them.
pub struct StreamCreate {
    /// The common fields.
    pub header: CallbackHeader,
    pub room_id: String,
    pub room_session_id: String,
    pub user_id: String,
    pub user_name: String,
    pub channel_id: String,
    /// The stream (always present).
    pub stream_id: String,
    pub stream_sid: String,
    pub title: String,
    pub stream_alias: String,
    /// The stream's attributes as JSON text, e.g. `{"cid":0}`.
    pub stream_attr: String,
    pub stream_seq: String,
    /// Creation time, Unix seconds.
    pub create_time: String,
    /// Creation time, Unix milliseconds.
    pub create_time_ms: String,
    pub extra_info: String,
    pub recreate: String,
    pub publish_id: String,
    pub publish_name: String,
    /// RTMP playback URLs.
    pub rtmp_url: Vec<String>,
    /// HLS playback URLs.
    pub hls_url: Vec<String>,
    /// HDL (HTTP-FLV) playback URLs.
    pub hdl_url: Vec<String>,
    /// Snapshot URLs.
    pub pic_url: Vec<String>,
}

/// `stream_close`: a stream stopped. Every field is ZEGO's string, empty when absent,
/// except `type`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // The fields are ZEGO's, named as ZEGO names them.
pub struct StreamClose {
    /// The common fields.
    pub header: CallbackHeader,
    pub room_id: String,
    pub room_session_id: String,
    pub user_id: String,
    pub user_name: String,
    pub channel_id: String,
    /// Why it stopped (ZEGO's `type`).
    pub reason: CloseReason,
    pub stream_alias: String,
    /// The stream (always present).
    pub stream_id: String,
    pub stream_sid: String,
    pub stream_seq: String,
    pub third_define_data: String,
    /// Creation time, Unix milliseconds.
    pub create_time_ms: String,
    /// When it stopped, Unix milliseconds.
    pub destroy_timemillis: String,
}

/// Why a stream stopped: `type` of `stream_close`.
///
/// ```
/// use zego_callback::CloseReason;
/// assert_eq!(CloseReason::from_type("3"), CloseReason::KickedOut);
/// assert_eq!(CloseReason::from_type("7"), CloseReason::Unknown("7".into()));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// 0: closed normally.
    Normal,
    /// 1: the client's heartbeat timed out.
    HeartbeatTimeout,
    /// 2: the user logged in again.
    Relogin,
    /// 3: the user was kicked out.
    KickedOut,
    /// 4: the TCP connection dropped.
    ConnectionDropped,
    /// 5: the room was cleared.
    RoomCleared,
    /// 100: closed by the DeleteStream server API.
    DeletedByServerApi,
    /// A `type` this SDK does not know (or none), as sent.
    Unknown(String),
}

impl CloseReason {
    /// The reason for a `type` value.
    pub fn from_type(value: &str) -> Self {
        match value.trim() {
            "0" => Self::Normal,
            "1" => Self::HeartbeatTimeout,
            "2" => Self::Relogin,
            "3" => Self::KickedOut,
            "4" => Self::ConnectionDropped,
            "5" => Self::RoomCleared,
            "100" => Self::DeletedByServerApi,
            _ => Self::Unknown(value.to_owned()),
        }
    }
}

/// Any other event: the common fields and every other field, as strings.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericEvent {
    /// The common fields.
    pub header: CallbackHeader,
    /// Every other field (not `signature`), with all its values.
    pub fields: BTreeMap<String, Vec<String>>,
}

impl GenericEvent {
    /// The (first) value of a field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.get(name)?.first().map(String::as_str)
    }
}

/// Names that are the header's (or the signature), not an event's own fields.
const HEADER_FIELDS: [&str; 5] = ["event", "appid", "timestamp", "nonce", "signature"];

/// Builds the typed event from verified fields.
pub(crate) fn event(
    header: CallbackHeader,
    mut fields: Fields,
) -> Result<CallbackEvent, CallbackError> {
    for name in HEADER_FIELDS {
        fields.remove(name);
    }
    let mut take = |name: &str| {
        fields
            .remove(name)
            .and_then(|v| v.into_iter().next())
            .unwrap_or_default()
    };
    Ok(match header.event.as_str() {
        "stream_create" => {
            let stream_id = required(take("stream_id"))?;
            CallbackEvent::StreamCreate(StreamCreate {
                room_id: take("room_id"),
                room_session_id: take("room_session_id"),
                user_id: take("user_id"),
                user_name: take("user_name"),
                channel_id: take("channel_id"),
                stream_id,
                stream_sid: take("stream_sid"),
                title: take("title"),
                stream_alias: take("stream_alias"),
                stream_attr: take("stream_attr"),
                stream_seq: take("stream_seq"),
                create_time: take("create_time"),
                create_time_ms: take("create_time_ms"),
                extra_info: take("extra_info"),
                recreate: take("recreate"),
                publish_id: take("publish_id"),
                publish_name: take("publish_name"),
                rtmp_url: urls(fields.remove("rtmp_url")),
                hls_url: urls(fields.remove("hls_url")),
                hdl_url: urls(fields.remove("hdl_url")),
                pic_url: urls(fields.remove("pic_url")),
                header,
            })
        }
        "stream_close" => {
            let stream_id = required(take("stream_id"))?;
            CallbackEvent::StreamClose(StreamClose {
                room_id: take("room_id"),
                room_session_id: take("room_session_id"),
                user_id: take("user_id"),
                user_name: take("user_name"),
                channel_id: take("channel_id"),
                reason: CloseReason::from_type(&take("type")),
                stream_alias: take("stream_alias"),
                stream_id,
                stream_sid: take("stream_sid"),
                stream_seq: take("stream_seq"),
                third_define_data: take("third_define_data"),
                create_time_ms: take("create_time_ms"),
                destroy_timemillis: take("destroy_timemillis"),
                header,
            })
        }
        _ => CallbackEvent::Other(GenericEvent { header, fields }),
    })
}

fn required(stream_id: String) -> Result<String, CallbackError> {
    if stream_id.is_empty() {
        return Err(CallbackError::MissingField { field: "stream_id" });
    }
    Ok(stream_id)
}

/// A URL list: the values of a JSON array or a repeated form field; a single value that is
/// itself a JSON array of strings (a list sent as text) is unpacked; empty values dropped.
fn urls(values: Option<Vec<String>>) -> Vec<String> {
    let values = values.unwrap_or_default();
    if let [single] = values.as_slice() {
        if let Ok(list) = serde_json::from_str::<Vec<String>>(single) {
            return list.into_iter().filter(|u| !u.is_empty()).collect();
        }
    }
    values.into_iter().filter(|u| !u.is_empty()).collect()
}
