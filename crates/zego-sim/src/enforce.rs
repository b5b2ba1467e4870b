//! What the client SDKs' logins and publishes run into: the user ban rules
//! (`SetForbidUserRule`) and the RTC stream forbids (`ForbidRTCStream(s)`), checked by the
//! control endpoints and the [`crate::SimHandle`] methods that stand in for a client.
//!
//! ZEGO's `SetForbidUserRule` page: a rule only takes effect on the user's next request (a
//! user already in the room stays until kicked); a login rule (privilege 1, alone or with 2)
//! also stops a user still in the room from publishing; a publish rule (privilege 2) stops
//! publishing only. Rule type 2 (RoomId) covers every user of the room, 3 (UserId) the user in
//! every room, 4 (RoomId + UserId) the user in that room. Type 1 (IP) is stored and counted
//! but never matches here: the stand-in clients have no IP address.

use std::fmt;

use crate::state::EnvState;

/// The code a ZegoExpress publisher gets when its stream is forbidden (spec section 3:
/// "Forbid notifies the publishing ... clients (ZegoExpress: 1003025 publisher ...)"); the
/// simulator also answers it for a publish refused by a user rule, for which ZEGO's pages
/// give no separate code.
pub const PUBLISH_FORBIDDEN_CODE: i64 = 1_003_025;

/// The code the simulator answers for a login refused by a login rule. ZEGO's pages give
/// none for this case; this value is the simulator's choice (in ZegoExpress's room-login
/// range 1002xxx), not a documented ZEGO code.
pub const LOGIN_FORBIDDEN_CODE: i64 = 1_002_033;

/// Why a stand-in client's login or publish was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// A user rule with the login privilege covers this user in this room.
    LoginForbidden {
        /// The matching rule's type (2, 3 or 4).
        rule_type: u8,
    },
    /// A user rule covers publishing for this user in this room.
    PublishForbiddenByRule {
        /// The matching rule's type (2, 3 or 4).
        rule_type: u8,
    },
    /// The stream ID is forbidden on RTC (`ForbidRTCStream(s)`, until resumed).
    StreamForbidden,
    /// Another user already publishes this stream ID in the room.
    StreamOfAnotherUser,
}

impl Refusal {
    /// The client-SDK error code for this refusal (`None` for a stream of another user,
    /// which the simulator reports as a conflict).
    ///
    /// ```
    /// use zego_sim::{Env, Refusal};
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
    /// assert_eq!(sim.try_publish_stream(1, Env::Production, "r", "host", "s1"), Ok(()));
    /// let err = sim.try_publish_stream(1, Env::Production, "r", "other", "s1").unwrap_err();
    /// assert_eq!(err, Refusal::StreamOfAnotherUser);
    /// assert_eq!(err.code(), None);
    /// ```
    pub fn code(&self) -> Option<i64> {
        match self {
            Self::LoginForbidden { .. } => Some(LOGIN_FORBIDDEN_CODE),
            Self::PublishForbiddenByRule { .. } | Self::StreamForbidden => {
                Some(PUBLISH_FORBIDDEN_CODE)
            }
            Self::StreamOfAnotherUser => None,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LoginForbidden { rule_type } => {
                write!(f, "login forbidden by a user rule of type {rule_type}")
            }
            Self::PublishForbiddenByRule { rule_type } => {
                write!(f, "publishing forbidden by a user rule of type {rule_type}")
            }
            Self::StreamForbidden => f.write_str("the stream ID is forbidden on RTC"),
            Self::StreamOfAnotherUser => {
                f.write_str("another user publishes this stream in the room")
            }
        }
    }
}

impl std::error::Error for Refusal {}

/// Privilege numbers of `DisabledPrivilege`.
const LOGIN: u8 = 1;
const PUBLISH: u8 = 2;

impl EnvState {
    /// The type of the first rule in force at `now_secs` that covers `user` in `room` and
    /// disables one of `privileges`.
    fn covering_rule(
        &mut self,
        room: &str,
        user: &str,
        privileges: &[u8],
        now_secs: i64,
    ) -> Option<u8> {
        self.purge(now_secs);
        self.user_rules
            .values()
            .filter(|r| match r.rule_type {
                2 => r.room_id == room,
                3 => r.user_id == user,
                4 => r.room_id == room && r.user_id == user,
                _ => false,
            })
            .find(|r| r.disabled_privileges.iter().any(|p| privileges.contains(p)))
            .map(|r| r.rule_type)
    }

    /// Whether `user` may log into `room` at `now_secs`.
    pub(crate) fn check_login(
        &mut self,
        room: &str,
        user: &str,
        now_secs: i64,
    ) -> Result<(), Refusal> {
        match self.covering_rule(room, user, &[LOGIN], now_secs) {
            Some(rule_type) => Err(Refusal::LoginForbidden { rule_type }),
            None => Ok(()),
        }
    }

    /// Whether `user` may publish `stream` in `room` at `now_secs`: a forbidden stream ID,
    /// a publish rule, a login rule (ZEGO: "still in the room but cannot publish") and, for
    /// a user not yet in the room (the publish logs them in), a login rule refuse it.
    pub(crate) fn check_publish(
        &mut self,
        room: &str,
        user: &str,
        stream: &str,
        now_secs: i64,
    ) -> Result<(), Refusal> {
        if self.forbidden.contains(stream) {
            return Err(Refusal::StreamForbidden);
        }
        match self.covering_rule(room, user, &[LOGIN, PUBLISH], now_secs) {
            Some(rule_type) => Err(Refusal::PublishForbiddenByRule { rule_type }),
            None => Ok(()),
        }
    }
}
