//! The ban model: what a ban targets, for how long, why and by whom, checked before anything
//! is stored or sent.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use zego_proto::ids::{check_room_id, check_stream_id, check_user_id};
use zego_proto::{Problem, ValidationError};

/// Longest reason and actor, in bytes (they go into the audit log, not to ZEGO).
pub const MAX_TEXT_BYTES: usize = 512;

/// What a user ban disables: logging in, publishing, or both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scopes {
    /// The user cannot log in (ZEGO `DisabledPrivilege` 1; a user already in is kicked).
    pub login: bool,
    /// The user cannot publish (ZEGO `DisabledPrivilege` 2; their live streams are forbidden).
    pub publish: bool,
}

impl Scopes {
    /// Login and publish.
    pub const ALL: Scopes = Scopes {
        login: true,
        publish: true,
    };
}

/// What a ban holds down.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Target {
    /// A user, in one room or (room `None`) app-wide.
    User {
        /// The user ID.
        user_id: String,
        /// The room, or `None` for every room.
        room_id: Option<String>,
        /// What the user may not do.
        scopes: Scopes,
    },
    /// A stream ID forbidden on RTC (`ForbidRTCStreams`), resumed when the ban ends.
    Stream {
        /// The stream ID.
        stream_id: String,
    },
    /// Audio and/or video of a stream in a room (`SetForbidStreamRule`, renewed).
    Media {
        /// The room.
        room_id: String,
        /// The stream.
        stream_id: String,
        /// Audio banned.
        audio: bool,
        /// Video banned.
        video: bool,
    },
}

/// How long a ban lasts: from 1 s to unlimited.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BanDuration {
    /// This long from the moment it is applied (at least 1 s).
    For(Duration),
    /// Until lifted.
    Forever,
}

/// A ban to apply: validated by [`BanRequest::new`], so a value of this type is always
/// acceptable to the store and to ZEGO.
///
/// ```
/// use std::time::Duration;
/// use zego_moderation::{BanDuration, BanRequest, Scopes, Target};
///
/// let ban = BanRequest::new(
///     Target::User { user_id: "troll".into(), room_id: Some("lobby".into()), scopes: Scopes::ALL },
///     BanDuration::For(Duration::from_secs(3 * 86_400)),
///     "spam",
///     "moderator-7",
/// )?;
/// assert_eq!(ban.reason(), "spam");
///
/// let err = BanRequest::new(
///     Target::Stream { stream_id: String::new() },
///     BanDuration::Forever,
///     "r",
///     "a",
/// ).unwrap_err();
/// assert_eq!(err.field(), "StreamId");
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanRequest {
    target: Target,
    duration: BanDuration,
    reason: String,
    actor: String,
}

/// Checks an audit text (a reason or an actor, for a ban or an unban): at most
/// [`MAX_TEXT_BYTES`] bytes, else an error naming `field` and the limit.
///
/// ```
/// use zego_moderation::{check_text, MAX_TEXT_BYTES};
/// assert!(check_text("actor", "moderator-7").is_ok());
/// let err = check_text("actor", &"x".repeat(MAX_TEXT_BYTES + 1)).unwrap_err();
/// assert_eq!(err.field(), "actor");
/// ```
pub fn check_text(field: &'static str, text: &str) -> Result<(), ValidationError> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(ValidationError::new(
            field,
            Problem::TooLong {
                max_bytes: MAX_TEXT_BYTES,
                actual: text.len(),
            },
        ));
    }
    Ok(())
}

impl BanRequest {
    /// Checks every field: IDs as ZEGO accepts them (fields `UserId`, `RoomId`, `StreamId`),
    /// scopes and media not empty (`scopes`, `media`), a duration of at least 1 s
    /// (`duration`), a reason and actor of at most [`MAX_TEXT_BYTES`] (`reason`, `actor`).
    pub fn new(
        target: Target,
        duration: BanDuration,
        reason: impl Into<String>,
        actor: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        match &target {
            Target::User {
                user_id,
                room_id,
                scopes,
            } => {
                check_user_id(user_id)?;
                if let Some(room) = room_id {
                    check_room_id(room)?;
                }
                if !scopes.login && !scopes.publish {
                    return Err(ValidationError::new("scopes", Problem::Empty));
                }
            }
            Target::Stream { stream_id } => check_stream_id(stream_id)?,
            Target::Media {
                room_id,
                stream_id,
                audio,
                video,
            } => {
                check_room_id(room_id)?;
                check_stream_id(stream_id)?;
                if !audio && !video {
                    return Err(ValidationError::new("media", Problem::NothingDisabled));
                }
            }
        }
        if let BanDuration::For(d) = duration {
            if d < Duration::from_secs(1) {
                let actual = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                return Err(ValidationError::new(
                    "duration",
                    Problem::OutOfRange {
                        min: 1,
                        max: i64::MAX,
                        actual,
                    },
                ));
            }
        }
        let (reason, actor) = (reason.into(), actor.into());
        check_text("reason", &reason)?;
        check_text("actor", &actor)?;
        Ok(Self {
            target,
            duration,
            reason,
            actor,
        })
    }

    /// What the ban holds down.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// How long it lasts.
    pub fn duration(&self) -> BanDuration {
        self.duration
    }

    /// Why (free text, for the audit log).
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Who (free text, for the audit log).
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// The Unix second the ban ends when applied at `now_secs` (`None`: never).
    pub fn ends_at(&self, now_secs: i64) -> Option<i64> {
        match self.duration {
            BanDuration::Forever => None,
            BanDuration::For(d) => {
                Some(now_secs.saturating_add(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
            }
        }
    }

    /// Whether this ban keeps `user_id` from logging into `room_id` (`None`: some room, as a
    /// token without a room privilege would allow).
    pub fn covers_login(&self, user_id: &str, room_id: Option<&str>) -> bool {
        match &self.target {
            Target::User {
                user_id: banned,
                room_id: banned_room,
                scopes,
            } => {
                scopes.login
                    && banned == user_id
                    && match (banned_room, room_id) {
                        (Some(b), Some(r)) => b == r,
                        // App-wide; or a token without a room privilege, which opens
                        // every room, the banned one included.
                        (None, _) | (Some(_), None) => true,
                    }
            }
            _ => false,
        }
    }
}
