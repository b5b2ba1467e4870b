//! The twenty-two actions: their names, groups, and the dispatcher.

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

/// A supported action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Action {
    ForbidRtcStreams,
    ResumeRtcStreams,
    ForbidRtcStream,
    ResumeRtcStream,
    SetForbidStreamRule,
    DescribeForbidStreamRules,
    DelForbidStreamRule,
    ForbidCdnLiveStream,
    ResumeCdnLiveStream,
    QueryForbidCdnLiveStream,
    DescribeRtcStreamState,
    SetForbidUserRule,
    DescribeForbidUserRules,
    DelForbidUserRule,
    KickoutUser,
    CloseRoom,
    DeleteStream,
    AddStream,
    DescribeSimpleStreamList,
    DescribeUserList,
    DescribeUsers,
    DescribeUserNum,
}

impl Action {
    pub const ALL: [Action; 22] = [
        Action::ForbidRtcStreams,
        Action::ResumeRtcStreams,
        Action::ForbidRtcStream,
        Action::ResumeRtcStream,
        Action::SetForbidStreamRule,
        Action::DescribeForbidStreamRules,
        Action::DelForbidStreamRule,
        Action::ForbidCdnLiveStream,
        Action::ResumeCdnLiveStream,
        Action::QueryForbidCdnLiveStream,
        Action::DescribeRtcStreamState,
        Action::SetForbidUserRule,
        Action::DescribeForbidUserRules,
        Action::DelForbidUserRule,
        Action::KickoutUser,
        Action::CloseRoom,
        Action::DeleteStream,
        Action::AddStream,
        Action::DescribeSimpleStreamList,
        Action::DescribeUserList,
        Action::DescribeUsers,
        Action::DescribeUserNum,
    ];

    /// The exact (case-sensitive) wire name.
    pub fn name(self) -> &'static str {
        match self {
            Action::ForbidRtcStreams => "ForbidRTCStreams",
            Action::ResumeRtcStreams => "ResumeRTCStreams",
            Action::ForbidRtcStream => "ForbidRTCStream",
            Action::ResumeRtcStream => "ResumeRTCStream",
            Action::SetForbidStreamRule => "SetForbidStreamRule",
            Action::DescribeForbidStreamRules => "DescribeForbidStreamRules",
            Action::DelForbidStreamRule => "DelForbidStreamRule",
            Action::ForbidCdnLiveStream => "ForbidCDNLiveStream",
            Action::ResumeCdnLiveStream => "ResumeCDNLiveStream",
            Action::QueryForbidCdnLiveStream => "QueryForbidCDNLiveStream",
            Action::DescribeRtcStreamState => "DescribeRTCStreamState",
            Action::SetForbidUserRule => "SetForbidUserRule",
            Action::DescribeForbidUserRules => "DescribeForbidUserRules",
            Action::DelForbidUserRule => "DelForbidUserRule",
            Action::KickoutUser => "KickoutUser",
            Action::CloseRoom => "CloseRoom",
            Action::DeleteStream => "DeleteStream",
            Action::AddStream => "AddStream",
            Action::DescribeSimpleStreamList => "DescribeSimpleStreamList",
            Action::DescribeUserList => "DescribeUserList",
            Action::DescribeUsers => "DescribeUsers",
            Action::DescribeUserNum => "DescribeUserNum",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    pub fn group(self) -> RateGroup {
        match self {
            Action::ForbidRtcStreams
            | Action::ResumeRtcStreams
            | Action::ForbidRtcStream
            | Action::ResumeRtcStream => RateGroup::ForbidResume,
            Action::ForbidCdnLiveStream
            | Action::ResumeCdnLiveStream
            | Action::QueryForbidCdnLiveStream => RateGroup::Cdn,
            Action::DescribeRtcStreamState => RateGroup::StreamState,
            Action::SetForbidStreamRule
            | Action::DescribeForbidStreamRules
            | Action::DelForbidStreamRule
            | Action::SetForbidUserRule
            | Action::DescribeForbidUserRules
            | Action::DelForbidUserRule => RateGroup::Rules,
            Action::KickoutUser => RateGroup::Kickout,
            Action::CloseRoom => RateGroup::CloseRoom,
            Action::DeleteStream => RateGroup::DeleteStream,
            Action::AddStream => RateGroup::AddStream,
            Action::DescribeSimpleStreamList => RateGroup::StreamList,
            Action::DescribeUserList => RateGroup::UserList,
            Action::DescribeUsers => RateGroup::Users,
            Action::DescribeUserNum => RateGroup::UserNum,
        }
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
    let result = match action {
        Action::ForbidRtcStreams => media::batch(ctx, state, true),
        Action::ResumeRtcStreams => media::batch(ctx, state, false),
        Action::ForbidRtcStream => media::single(ctx, state, true),
        Action::ResumeRtcStream => media::single(ctx, state, false),
        Action::DescribeRtcStreamState => media::stream_state(ctx, state),
        Action::SetForbidStreamRule => stream_rules::set(ctx, state),
        Action::DescribeForbidStreamRules => stream_rules::describe(ctx, state),
        Action::DelForbidStreamRule => stream_rules::delete(ctx, state),
        Action::ForbidCdnLiveStream => cdn::forbid(ctx, state),
        Action::ResumeCdnLiveStream => cdn::resume(ctx, state),
        Action::QueryForbidCdnLiveStream => cdn::query(ctx, state),
        Action::SetForbidUserRule => user_rules::set(ctx, state),
        Action::DescribeForbidUserRules => user_rules::describe(ctx, state),
        Action::DelForbidUserRule => user_rules::delete(ctx, state),
        Action::KickoutUser => rooms::kickout(ctx, state),
        Action::CloseRoom => rooms::close_room(ctx, state),
        Action::DeleteStream => rooms::delete_stream(ctx, state),
        Action::AddStream => rooms::add_stream(ctx, state),
        Action::DescribeSimpleStreamList => rooms::stream_list(ctx, state),
        Action::DescribeUserList => rooms::user_list(ctx, state),
        Action::DescribeUsers => rooms::users(ctx, state),
        Action::DescribeUserNum => rooms::user_num(ctx, state),
    };
    result.unwrap_or_else(Reply::error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roundtrip() {
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(Action::from_name("forbidrtcstreams"), None);
    }
}
