//! The [`Operation`] trait: what every ZEGO action (typed or raw) provides.

use serde_json::value::RawValue;

use crate::encode::ParamWriter;
use crate::error::ValidationError;
use crate::response::DataError;
use crate::sequence::Sequence;

/// The client-side rate-limit bucket an action draws from.
///
/// ZEGO's quotas are per AppId across all rooms. Where the documentation does not say
/// whether actions share a quota, they share one here: being conservative only ever
/// costs throughput, never a rate-limit answer.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RateLimitGroup {
    /// The four RTC forbid/resume actions: 20/s (test environment 5/s).
    StreamForbid,
    /// Stream ban rules and user ban rules: 10/s.
    Rules,
    /// CDN forbid, resume and query: 20/s.
    Cdn,
    /// `DescribeRTCStreamState`: 40/s (test environment 10/s).
    StreamState,
    /// `KickoutUser`: 50/s.
    RoomKick,
    /// `CloseRoom`: 1/s.
    RoomClose,
    /// `AddStream` and `DeleteStream` (documented alike, so shared): 10/s (test 1/s).
    RoomStreams,
    /// `DescribeSimpleStreamList`: 50/s per AppId (plus 1 per 10 s per room).
    RoomStreamList,
    /// `DescribeUserList`: 200/s per AppId (plus 1/s per room).
    RoomUserList,
    /// `DescribeUsers`: 10/s.
    RoomUsers,
    /// `DescribeUserNum`: 10/s (test 1/s).
    RoomUserCount,
    /// Actions outside this family (raw operations by default): no client-side limit.
    Unmetered,
}

impl RateLimitGroup {
    /// A short stable name for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StreamForbid => "stream_forbid",
            Self::Rules => "rules",
            Self::Cdn => "cdn",
            Self::StreamState => "stream_state",
            Self::RoomKick => "room_kick",
            Self::RoomClose => "room_close",
            Self::RoomStreams => "room_streams",
            Self::RoomStreamList => "room_stream_list",
            Self::RoomUserList => "room_user_list",
            Self::RoomUsers => "room_users",
            Self::RoomUserCount => "room_user_count",
            Self::Unmetered => "unmetered",
        }
    }
}

/// Whether an operation carries a `Sequence`, and where it comes from.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sequencing<'a> {
    /// The action takes no `Sequence`.
    None,
    /// The core stamps one when the call is admitted to be sent (and keeps it across
    /// retries); it orders these streams (empty: the whole app, for raw operations).
    Stamped(&'a [String]),
    /// The caller chose this one (`with_sequence`); the core sends it as is.
    Explicit(Sequence),
}

/// One ZEGO server API action with its parameters.
///
/// Implemented by every type in [`crate::ops`] and by [`crate::ops::RawOperation`] for any
/// other action. [`crate::wire::prepare`] turns an operation into a signed request and
/// [`crate::wire::parse_response`] turns the answer into [`Operation::Output`].
///
/// ```
/// use zego_proto::{Operation, ops::{DelForbidStreamRule, RateLimitGroup, Sequencing}};
/// let op = DelForbidStreamRule::new("room1", "stream1")?;
/// assert_eq!(op.action(), "DelForbidStreamRule");
/// assert_eq!(op.rate_limit_group(), RateLimitGroup::Rules);
/// assert_eq!(op.sequencing(), Sequencing::None);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
pub trait Operation {
    /// The typed `Data` of a successful answer.
    type Output;

    /// The `Action` parameter.
    fn action(&self) -> &str;

    /// The rate-limit group the action draws from.
    fn rate_limit_group(&self) -> RateLimitGroup;

    /// Whether the action carries a `Sequence`. A retry sends the same sequence again, so
    /// the server still orders it correctly.
    fn sequencing(&self) -> Sequencing<'_> {
        Sequencing::None
    }

    /// The room whose own quota the action also draws from (`DescribeSimpleStreamList`,
    /// `DescribeUserList`: ZEGO limits them per room on top of the AppId's quota);
    /// admission then waits for both. `None` (the default) for every other action.
    fn quota_room(&self) -> Option<&str> {
        None
    }

    /// Writes the business parameters (everything but `Action` and the common ones); a
    /// sequenced operation writes its `Sequence` with [`ParamWriter::sequence`].
    fn write_params(&self, params: &mut ParamWriter<'_>) -> Result<(), ValidationError>;

    /// Rough length of the encoded business parameters, to size the URL in one allocation.
    fn params_len_hint(&self) -> usize {
        64
    }

    /// Turns the envelope's `Data` (absent or `null` is `None`) into the output.
    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError>;
}
