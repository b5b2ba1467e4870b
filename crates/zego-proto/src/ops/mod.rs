//! One type per ZEGO action, plus [`RawOperation`] for any other action.
//!
//! Constructors validate everything that can be checked without knowing the
//! environment, so a value of these types is a request ZEGO will accept; the
//! test-environment stream prefix is added (and the final length checked) by
//! [`crate::wire::prepare`].
//!
//! Every action is one row of the `ops!` registry below, the one list of actions: its
//! type, its wire name, its quota group, whether it is sequenced, and one valid example.
//! The row generates the action's [`Action`] constants, its `ACTION` constant, its
//! re-export, its entry in [`CATALOG`] and its example in `testing::examples()` (feature
//! `testing`), which the property tests, the fuzz targets and the conformance suite
//! iterate: an action cannot be added without being covered.

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

pub use cdn::{CdnForbidList, CdnForbidResult, CdnVendor, WangSuForbidDetail, WangSuForbidList};
pub use paging::UserListCursor;
pub use raw::{RawOperation, RawOutput};
pub use room::{MAX_CUSTOM_REASON_BYTES, MAX_USERS_PER_KICK};
pub use room_stream::{RoomStream, RoomStreams, MAX_EXTRA_INFO_BYTES, MAX_STREAM_TITLE_BYTES};
pub use room_user::{
    RoomUser, RoomUserCount, RoomUserCounts, UserOrder, UserPage, UserStatus, UserStatuses,
    MAX_ROOMS_PER_COUNT, MAX_USERS_PER_DESCRIBE, MAX_USERS_PER_PAGE,
};
pub use rtc_forbid::MAX_STREAMS_PER_BATCH;
pub use stream_rule::{EffectiveTime, MediaBan, StreamRule, StreamRules, MAX_STREAMS_PER_DESCRIBE};
pub use stream_state::StreamState;
pub use user_rule::{
    DisabledPrivilege, UserRule, UserRuleExpiry, UserRuleTarget, UserRuleType, UserRules,
};

pub use crate::operation::{Action, TypedOperation};

#[cfg(test)]
mod tests;

/// One action of the catalog, as [`CATALOG`] lists it.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CatalogEntry {
    /// The `Action` parameter (case-sensitive).
    pub name: &'static str,
    /// The rate-limit group it draws from.
    pub group: RateLimitGroup,
    /// Whether it carries a `Sequence`.
    pub sequenced: bool,
}

/// Whether a catalog row says `sequenced` or `unsequenced`.
macro_rules! sequenced {
    (sequenced) => {
        true
    };
    (unsequenced) => {
        false
    };
}

/// The registry: one row per action (`Type in module => "WireName", Group, sequenced |
/// unsequenced, example: <expression of a valid value>;`).
macro_rules! ops {
    ($($ty:ident in $module:ident => $name:literal, $group:ident, $seq:ident,
       example: $example:expr;)*) => {
        $(
            pub use $module::$ty;

            impl $ty {
                /// The action name (the same as `<Self as Action>::ACTION`).
                pub const ACTION: &'static str = $name;
            }

            impl Action for $ty {
                const ACTION: &'static str = $name;
                const GROUP: RateLimitGroup = RateLimitGroup::$group;
                const SEQUENCED: bool = sequenced!($seq);
            }
        )*

        /// Every action of [`crate::ops`], in the registry's order: its name, quota group
        /// and sequencing. (`RawOperation` is not in it: its values are the caller's.)
        ///
        /// ```
        /// use zego_proto::ops::CATALOG;
        /// let kick = CATALOG.iter().find(|a| a.name == "KickoutUser").unwrap();
        /// assert_eq!(kick.group, zego_proto::ops::RateLimitGroup::RoomKick);
        /// assert!(CATALOG.iter().any(|a| a.name == "ForbidRTCStreams" && a.sequenced));
        /// ```
        pub const CATALOG: &[CatalogEntry] = &[
            $(CatalogEntry {
                name: $name,
                group: RateLimitGroup::$group,
                sequenced: sequenced!($seq),
            },)*
        ];

        /// One valid example of every catalogued action (feature `testing`), for the tests
        /// that must cover the whole catalog: generated from the registry's rows.
        #[cfg(any(test, feature = "testing"))]
        pub mod testing {
            use serde_json::value::RawValue;

            use super::*;
            use crate::encode::ParamWriter;
            use crate::error::ValidationError;
            use crate::operation::{Operation, Sequencing};
            use crate::response::DataError;

            /// Any catalogued operation (one variant per row of the registry).
            #[non_exhaustive]
            #[derive(Debug, Clone)]
            pub enum AnyOperation {
                $(
                    #[doc = concat!("`", $name, "`.")]
                    $ty($ty),
                )*
            }

            /// The output of an [`AnyOperation`]: the typed output, boxed.
            pub type AnyOutput = Box<dyn std::fmt::Debug + Send + Sync>;

            /// One valid value of every catalogued action, in [`CATALOG`]'s order.
            ///
            /// ```
            /// use zego_proto::{ops::{testing, CATALOG}, Operation};
            /// let examples = testing::examples();
            /// assert_eq!(examples.len(), CATALOG.len());
            /// assert!(examples.iter().zip(CATALOG).all(|(op, entry)| Operation::action(op) == entry.name));
            /// ```
            pub fn examples() -> Vec<AnyOperation> {
                vec![$(
                    AnyOperation::$ty(valid($name, || $example)),
                )*]
            }

            /// A registry row's example, which is valid by the row's promise.
            fn valid<T>(name: &str, make: impl FnOnce() -> Result<T, ValidationError>) -> T {
                make().unwrap_or_else(|e| panic!("the registry's example of {name} is invalid: {e}"))
            }

            impl Operation for AnyOperation {
                type Output = AnyOutput;

                fn action(&self) -> &str {
                    match self { $(Self::$ty(op) => Operation::action(op),)* }
                }

                fn rate_limit_group(&self) -> RateLimitGroup {
                    match self { $(Self::$ty(op) => Operation::rate_limit_group(op),)* }
                }

                fn sequencing(&self) -> Sequencing<'_> {
                    match self { $(Self::$ty(op) => Operation::sequencing(op),)* }
                }

                fn quota_room(&self) -> Option<&str> {
                    match self { $(Self::$ty(op) => Operation::quota_room(op),)* }
                }

                fn write_params(&self, params: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
                    match self { $(Self::$ty(op) => Operation::write_params(op, params),)* }
                }

                fn params_len_hint(&self) -> usize {
                    match self { $(Self::$ty(op) => Operation::params_len_hint(op),)* }
                }

                fn parse_data(&self, data: Option<&RawValue>) -> Result<AnyOutput, DataError> {
                    match self {
                        $(Self::$ty(op) => Operation::parse_data(op, data).map(|out| Box::new(out) as AnyOutput),)*
                    }
                }
            }
        }
    };
}

ops! {
    ForbidRtcStreams in rtc_forbid => "ForbidRTCStreams", StreamForbid, sequenced,
        example: ForbidRtcStreams::new(["rtc01", "rtc02"]);
    ResumeRtcStreams in rtc_forbid => "ResumeRTCStreams", StreamForbid, sequenced,
        example: ResumeRtcStreams::new(["rtc01"]);
    ForbidRtcStream in rtc_forbid => "ForbidRTCStream", StreamForbid, sequenced,
        example: ForbidRtcStream::new("rtc03");
    ResumeRtcStream in rtc_forbid => "ResumeRTCStream", StreamForbid, sequenced,
        example: ResumeRtcStream::new("rtc03");
    SetForbidStreamRule in stream_rule => "SetForbidStreamRule", Rules, unsequenced,
        example: SetForbidStreamRule::new("room1", "stream1", MediaBan::Audio, EffectiveTime::new(60)?);
    DescribeForbidStreamRules in stream_rule => "DescribeForbidStreamRules", Rules, unsequenced,
        example: DescribeForbidStreamRules::new("room1", ["stream1"]);
    DelForbidStreamRule in stream_rule => "DelForbidStreamRule", Rules, unsequenced,
        example: DelForbidStreamRule::new("room1", "stream1");
    ForbidCdnLiveStream in cdn => "ForbidCDNLiveStream", Cdn, unsequenced,
        example: ForbidCdnLiveStream::new("live1");
    ResumeCdnLiveStream in cdn => "ResumeCDNLiveStream", Cdn, unsequenced,
        example: ResumeCdnLiveStream::new("live1");
    QueryForbidCdnLiveStream in cdn => "QueryForbidCDNLiveStream", Cdn, unsequenced,
        example: Ok(QueryForbidCdnLiveStream::new(CdnVendor::WangSu));
    DescribeRtcStreamState in stream_state => "DescribeRTCStreamState", StreamState, sequenced,
        example: DescribeRtcStreamState::new("rtc01");
    SetForbidUserRule in user_rule => "SetForbidUserRule", Rules, unsequenced,
        example: SetForbidUserRule::new(
            UserRuleTarget::user("user9")?,
            [DisabledPrivilege::Login],
            EffectiveTime::new(60)?,
        );
    DescribeForbidUserRules in user_rule => "DescribeForbidUserRules", Rules, unsequenced,
        example: Ok(DescribeForbidUserRules::new(UserRuleType::User));
    DelForbidUserRule in user_rule => "DelForbidUserRule", Rules, unsequenced,
        example: Ok(DelForbidUserRule::new(UserRuleTarget::user("user9")?));
    KickoutUser in room => "KickoutUser", RoomKick, unsequenced,
        example: KickoutUser::new("room1", ["user1"]);
    CloseRoom in room => "CloseRoom", RoomClose, unsequenced,
        example: CloseRoom::new("room2");
    DeleteStream in room_stream => "DeleteStream", RoomStreams, unsequenced,
        example: DeleteStream::new("room1", "user2", "User 2", "stream2");
    AddStream in room_stream => "AddStream", RoomStreams, unsequenced,
        example: AddStream::new("room1", "admin", "Admin", "cdn-stream");
    DescribeSimpleStreamList in room_stream => "DescribeSimpleStreamList", RoomStreamList, unsequenced,
        example: DescribeSimpleStreamList::new("room1");
    DescribeUserList in room_user => "DescribeUserList", RoomUserList, unsequenced,
        example: DescribeUserList::new("room1");
    DescribeUsers in room_user => "DescribeUsers", RoomUsers, unsequenced,
        example: DescribeUsers::new("room1", ["user1"]);
    DescribeUserNum in room_user => "DescribeUserNum", RoomUserCount, unsequenced,
        example: DescribeUserNum::new(["room1"]);
}
