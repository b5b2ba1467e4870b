//! The actions: one table of their names, groups and handlers, and the dispatcher.

mod cdn;
mod media;
pub(crate) mod rooms;
mod stream_rules;
mod user_rules;

use serde_json::Value;

use crate::codes;
use crate::env::Env;
use crate::faults::Service;
use crate::query::Params;
use crate::rate_limit::RateGroup;
use crate::state::EnvState;

/// Longest accepted stream ID, in bytes.
pub(crate) const MAX_STREAM_ID_BYTES: usize = 256;

/// Defines `Action`, its names, groups and handlers, and `SUPPORTED_ACTIONS`, from the
/// table's rows.
macro_rules! actions {
    ($($action:ident = $name:literal, $group:ident, $handler:expr;)*) => {
        /// A supported action.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Action {
            $($action,)*
        }

        /// The exact (case-sensitive) names of every action the simulator serves.
        ///
        /// ```
        /// assert!(zego_sim::SUPPORTED_ACTIONS.contains(&"ForbidRTCStreams"));
        /// assert!(!zego_sim::SUPPORTED_ACTIONS.contains(&"forbidrtcstreams"));
        /// ```
        pub const SUPPORTED_ACTIONS: &[&str] = &[$($name,)*];

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$action,)*];

            /// The exact (case-sensitive) wire name.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$action => $name,)*
                }
            }

            pub fn group(self) -> RateGroup {
                match self {
                    $(Action::$action => RateGroup::$group,)*
                }
            }

            /// The action's handler.
            fn handler(self) -> Handler {
                match self {
                    $(Action::$action => $handler,)*
                }
            }
        }
    };
}

/// Validates and applies one action's request.
type Handler = fn(&Ctx<'_>, &mut EnvState) -> Result<Reply, i64>;

actions! {
    ForbidRtcStreams = "ForbidRTCStreams", ForbidResume, |ctx, state| media::batch(ctx, state, true);
    ResumeRtcStreams = "ResumeRTCStreams", ForbidResume, |ctx, state| media::batch(ctx, state, false);
    ForbidRtcStream = "ForbidRTCStream", ForbidResume, |ctx, state| media::single(ctx, state, true);
    ResumeRtcStream = "ResumeRTCStream", ForbidResume, |ctx, state| media::single(ctx, state, false);
    SetForbidStreamRule = "SetForbidStreamRule", Rules, stream_rules::set;
    DescribeForbidStreamRules = "DescribeForbidStreamRules", Rules, |ctx, state| stream_rules::describe(ctx, state);
    DelForbidStreamRule = "DelForbidStreamRule", Rules, stream_rules::delete;
    ForbidCdnLiveStream = "ForbidCDNLiveStream", Cdn, cdn::forbid;
    ResumeCdnLiveStream = "ResumeCDNLiveStream", Cdn, cdn::resume;
    QueryForbidCdnLiveStream = "QueryForbidCDNLiveStream", Cdn, |ctx, state| cdn::query(ctx, state);
    DescribeRtcStreamState = "DescribeRTCStreamState", StreamState, |ctx, state| media::stream_state(ctx, state);
    SetForbidUserRule = "SetForbidUserRule", Rules, user_rules::set;
    DescribeForbidUserRules = "DescribeForbidUserRules", Rules, |ctx, state| user_rules::describe(ctx, state);
    DelForbidUserRule = "DelForbidUserRule", Rules, user_rules::delete;
    KickoutUser = "KickoutUser", Kickout, rooms::kickout;
    CloseRoom = "CloseRoom", CloseRoom, rooms::close_room;
    DeleteStream = "DeleteStream", DeleteStream, rooms::delete_stream;
    AddStream = "AddStream", AddStream, rooms::add_stream;
    DescribeSimpleStreamList = "DescribeSimpleStreamList", StreamList, |ctx, state| rooms::stream_list(ctx, state);
    DescribeUserList = "DescribeUserList", UserList, |ctx, state| rooms::user_list(ctx, state);
    DescribeUsers = "DescribeUsers", Users, |ctx, state| rooms::users(ctx, state);
    DescribeUserNum = "DescribeUserNum", UserNum, |ctx, state| rooms::user_num(ctx, state);
}

impl Action {
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// The room a per-room quota counts this request against (`RoomId`), if the action
    /// has one.
    pub fn quota_room(self, params: &Params) -> Option<&str> {
        self.group().room_interval_ms()?;
        params.get("RoomId")
    }

    pub fn service(self) -> Service {
        if self.group().is_room_service() {
            Service::Room
        } else {
            Service::Media
        }
    }

    /// Rule and CDN actions need ZEGO to enable them for the app (else Code 9).
    pub fn needs_permission(self) -> bool {
        matches!(self.group(), RateGroup::Rules | RateGroup::Cdn)
    }
}

/// What the request addresses, and when.
pub(crate) struct Ctx<'a> {
    pub app_id: u32,
    pub env: Env,
    pub now_ms: i64,
    pub params: &'a Params,
}

impl Ctx<'_> {
    pub fn now_secs(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }

    /// The prefix stream IDs must carry in the test environment.
    pub fn test_prefix_ok(&self, stream_id: &str) -> bool {
        self.env == Env::Production || stream_id.starts_with(&format!("zegotest-{}-", self.app_id))
    }
}

/// The `Data` member of a reply.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    /// No `Data` member at all.
    Absent,
    /// `Data` with this value (possibly `null`).
    Value(Value),
}

/// An action's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    pub code: i64,
    pub data: Data,
    /// How many operations were dropped by the `Sequence` rule.
    pub sequence_rejected: u64,
}

impl Reply {
    pub fn error(code: i64) -> Self {
        Self {
            code,
            data: Data::Value(Value::Null),
            sequence_rejected: 0,
        }
    }

    pub fn ok(data: Data) -> Self {
        Self {
            code: codes::OK,
            data,
            sequence_rejected: 0,
        }
    }
}

/// Validates and applies one authenticated, admitted request.
pub(crate) fn dispatch(action: Action, ctx: &Ctx<'_>, state: &mut EnvState) -> Reply {
    state.purge(ctx.now_secs());
    let result = (action.handler())(ctx, state);
    result.unwrap_or_else(Reply::error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for &a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(Action::from_name("forbidrtcstreams"), None);
    }
}
