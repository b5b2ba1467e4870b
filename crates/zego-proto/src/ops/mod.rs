//! One type per ZEGO action, plus [`RawOperation`] for any other action.
//!
//! Constructors validate everything that can be checked without knowing the
//! environment, so a value of these types is a request ZEGO will accept; the
//! test-environment stream prefix is added (and the final length checked) by
//! [`crate::wire::prepare`].

// What every operation declares about itself (its quota group, whether it carries a
// `Sequence`): named here, with the operations, not at the crate root.
pub use crate::operation::{RateLimitGroup, Sequencing};

mod cdn;
pub(crate) mod checks;
mod paging;
mod raw;
mod room;
mod room_stream;
mod room_user;
mod rtc_forbid;
mod stream_rule;
mod stream_state;
mod user_rule;

pub use cdn::{
    CdnForbidList, CdnForbidResult, CdnVendor, ForbidCdnLiveStream, QueryForbidCdnLiveStream,
    ResumeCdnLiveStream, WangSuForbidDetail, WangSuForbidList,
};
pub use paging::UserListCursor;
pub use raw::{RawOperation, RawOutput};
pub use room::{CloseRoom, KickoutUser, MAX_CUSTOM_REASON_BYTES, MAX_USERS_PER_KICK};
pub use room_stream::{
    AddStream, DeleteStream, DescribeSimpleStreamList, RoomStream, RoomStreams,
    MAX_EXTRA_INFO_BYTES, MAX_STREAM_TITLE_BYTES,
};
pub use room_user::{
    DescribeUserList, DescribeUserNum, DescribeUsers, RoomUser, RoomUserCount, RoomUserCounts,
    UserOrder, UserPage, UserStatus, UserStatuses, MAX_ROOMS_PER_COUNT, MAX_USERS_PER_DESCRIBE,
    MAX_USERS_PER_PAGE,
};
pub use rtc_forbid::{
    ForbidRtcStream, ForbidRtcStreams, ResumeRtcStream, ResumeRtcStreams, MAX_STREAMS_PER_BATCH,
};
pub use stream_rule::{
    DelForbidStreamRule, DescribeForbidStreamRules, EffectiveTime, MediaBan, SetForbidStreamRule,
    StreamRule, StreamRules, MAX_STREAMS_PER_DESCRIBE,
};
pub use stream_state::{DescribeRtcStreamState, StreamState};
pub use user_rule::{
    DelForbidUserRule, DescribeForbidUserRules, DisabledPrivilege, SetForbidUserRule, UserRule,
    UserRuleExpiry, UserRuleTarget, UserRuleType, UserRules,
};
