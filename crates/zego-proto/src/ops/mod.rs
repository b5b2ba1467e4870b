//! One type per ZEGO action, plus [`RawOperation`] for any other action.
//!
//! Constructors validate everything that can be checked without knowing the
//! environment, so a value of these types is a request ZEGO will accept; the
//! test-environment stream prefix is added (and the final length checked) by
//! [`crate::wire::prepare`].

mod cdn;
pub(crate) mod checks;
mod raw;
mod rtc_forbid;
mod stream_rule;
mod stream_state;
mod user_rule;

pub use cdn::{
    CdnForbidList, CdnForbidResult, CdnVendor, ForbidCdnLiveStream, QueryForbidCdnLiveStream,
    ResumeCdnLiveStream, WangSuForbidDetail, WangSuForbidList,
};
pub use raw::{RawOperation, RawOutput};
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
