//! User ban rules: `SetForbidUserRule`, `DescribeForbidUserRules`, `DelForbidUserRule`.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::checks;
use super::EffectiveTime;
use crate::encode::ParamWriter;
use crate::error::{Problem, ValidationError};
use crate::lenient::{i64_lenient, string_lenient, vec_i64_lenient};
use crate::operation::TypedOperation;
use crate::response::{data_or_default, DataError};

/// What a user ban rule matches (`RuleType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum UserRuleType {
    /// 1: a client IP.
    Ip,
    /// 2: a room.
    Room,
    /// 3: a user.
    User,
    /// 4: a user in a room.
    RoomUser,
}

impl UserRuleType {
    /// The `RuleType` number.
    pub fn code(self) -> u8 {
        match self {
            Self::Ip => 1,
            Self::Room => 2,
            Self::User => 3,
            Self::RoomUser => 4,
        }
    }

    /// The type for a `RuleType` number (1..=4).
    pub fn from_code(code: i64) -> Result<Self, ValidationError> {
        match code {
            1 => Ok(Self::Ip),
            2 => Ok(Self::Room),
            3 => Ok(Self::User),
            4 => Ok(Self::RoomUser),
            other => Err(ValidationError::new(
                "RuleType",
                Problem::OutOfRange {
                    min: 1,
                    max: 4,
                    actual: other,
                },
            )),
        }
    }
}

/// Whom a user ban rule applies to. Each variant carries exactly the fields its
/// `RuleType` needs, so a rule with a missing or stray field cannot be written.
///
/// ```
/// use zego_proto::ops::{UserRuleTarget, UserRuleType};
/// let target = UserRuleTarget::room_user("room1", "user9")?;
/// assert_eq!(target.rule_type(), UserRuleType::RoomUser);
/// assert!(UserRuleTarget::ip("not an ip").is_err());
/// // From loose fields (a CLI): type 4 needs RoomId and UserId.
/// assert!(UserRuleTarget::from_fields(4, None, Some("room1".into()), None).is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum UserRuleTarget {
    /// Rule type 1.
    Ip(String),
    /// Rule type 2.
    Room(String),
    /// Rule type 3.
    User(String),
    /// Rule type 4.
    RoomUser {
        /// The room.
        room_id: String,
        /// The user.
        user_id: String,
    },
}

impl UserRuleTarget {
    /// A client IP (IPv4 or IPv6).
    pub fn ip(ip: impl Into<String>) -> Result<Self, ValidationError> {
        let ip = checks::required("IP", ip.into())?;
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(ValidationError::new(
                "IP",
                Problem::Invalid {
                    expected: "an IPv4 or IPv6 address",
                },
            ));
        }
        Ok(Self::Ip(ip))
    }

    /// A room.
    pub fn room(room_id: impl Into<String>) -> Result<Self, ValidationError> {
        Ok(Self::Room(checks::room_id("RoomId", None, room_id.into())?))
    }

    /// A user.
    pub fn user(user_id: impl Into<String>) -> Result<Self, ValidationError> {
        Ok(Self::User(checks::user_id("UserId", None, user_id.into())?))
    }

    /// A user in a room.
    pub fn room_user(
        room_id: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        Ok(Self::RoomUser {
            room_id: checks::room_id("RoomId", None, room_id.into())?,
            user_id: checks::user_id("UserId", None, user_id.into())?,
        })
    }

    /// From a `RuleType` number and optional fields: the type's fields must be given and
    /// no other.
    pub fn from_fields(
        rule_type: i64,
        ip: Option<String>,
        room_id: Option<String>,
        user_id: Option<String>,
    ) -> Result<Self, ValidationError> {
        let rule_type = UserRuleType::from_code(rule_type)?;
        let needs = |field: &'static str, value: Option<String>| {
            value.ok_or(ValidationError::new(field, Problem::Empty))
        };
        let stray = |field: &'static str, value: &Option<String>| match value {
            Some(_) => Err(ValidationError::new(
                field,
                Problem::Invalid {
                    expected: "no value: this RuleType does not use it",
                },
            )),
            None => Ok(()),
        };
        match rule_type {
            UserRuleType::Ip => {
                stray("RoomId", &room_id)?;
                stray("UserId", &user_id)?;
                Self::ip(needs("IP", ip)?)
            }
            UserRuleType::Room => {
                stray("IP", &ip)?;
                stray("UserId", &user_id)?;
                Self::room(needs("RoomId", room_id)?)
            }
            UserRuleType::User => {
                stray("IP", &ip)?;
                stray("RoomId", &room_id)?;
                Self::user(needs("UserId", user_id)?)
            }
            UserRuleType::RoomUser => {
                stray("IP", &ip)?;
                Self::room_user(needs("RoomId", room_id)?, needs("UserId", user_id)?)
            }
        }
    }

    /// The rule's type.
    pub fn rule_type(&self) -> UserRuleType {
        match self {
            Self::Ip(_) => UserRuleType::Ip,
            Self::Room(_) => UserRuleType::Room,
            Self::User(_) => UserRuleType::User,
            Self::RoomUser { .. } => UserRuleType::RoomUser,
        }
    }

    fn write(&self, w: &mut ParamWriter<'_>) {
        w.param_int("RuleType", self.rule_type().code());
        match self {
            Self::Ip(ip) => w.param("IP", ip),
            Self::Room(room) => w.param("RoomId", room),
            Self::User(user) => w.param("UserId", user),
            Self::RoomUser { room_id, user_id } => {
                w.param("RoomId", room_id);
                w.param("UserId", user_id);
            }
        }
    }
}

/// A privilege a user ban rule takes away (`DisabledPrivilege[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DisabledPrivilege {
    /// 1: logging in to a room.
    Login,
    /// 2: publishing a stream.
    Publish,
}

impl DisabledPrivilege {
    /// The wire number.
    pub fn code(self) -> u8 {
        match self {
            Self::Login => 1,
            Self::Publish => 2,
        }
    }
}

/// `SetForbidUserRule`: ban an IP, room, user or user-in-room from logging in and/or
/// publishing for a while.
///
/// ```
/// use zego_proto::ops::{DisabledPrivilege, EffectiveTime, SetForbidUserRule, UserRuleTarget};
/// let op = SetForbidUserRule::new(
///     UserRuleTarget::user("cheater42")?,
///     [DisabledPrivilege::Login, DisabledPrivilege::Publish],
///     EffectiveTime::new(3600)?,
/// )?;
/// assert!(SetForbidUserRule::new(UserRuleTarget::user("u")?, [], EffectiveTime::default()).is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetForbidUserRule {
    target: UserRuleTarget,
    privileges: Vec<DisabledPrivilege>,
    effective_time: EffectiveTime,
}

impl SetForbidUserRule {
    /// A rule taking `privileges` (at least one; duplicates are sent once) from `target`.
    pub fn new(
        target: UserRuleTarget,
        privileges: impl IntoIterator<Item = DisabledPrivilege>,
        effective_time: EffectiveTime,
    ) -> Result<Self, ValidationError> {
        let mut privileges: Vec<_> = privileges.into_iter().collect();
        privileges.sort_unstable();
        privileges.dedup();
        if privileges.is_empty() {
            return Err(ValidationError::new("DisabledPrivilege[]", Problem::Empty));
        }
        Ok(Self {
            target,
            privileges,
            effective_time,
        })
    }

    /// Whom the rule applies to.
    pub fn target(&self) -> &UserRuleTarget {
        &self.target
    }
}

/// `SetForbidUserRule`'s `Data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserRuleExpiry {
    /// When the rule expires (Unix seconds).
    #[serde(rename = "ExpireTime", default, deserialize_with = "i64_lenient")]
    pub expire_time: i64,
}

impl TypedOperation for SetForbidUserRule {
    type Output = UserRuleExpiry;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        self.target.write(w);
        for p in &self.privileges {
            w.param_int("DisabledPrivilege[]", p.code());
        }
        w.param_int("EffectiveTime", self.effective_time.as_secs());
        Ok(())
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

/// `DescribeForbidUserRules`: list the user ban rules of one type.
///
/// ```
/// use zego_proto::ops::{DescribeForbidUserRules, UserRuleType};
/// let op = DescribeForbidUserRules::new(UserRuleType::User);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeForbidUserRules {
    rule_type: UserRuleType,
}

impl DescribeForbidUserRules {
    /// Lists the rules of `rule_type`.
    pub fn new(rule_type: UserRuleType) -> Self {
        Self { rule_type }
    }
}

/// `DescribeForbidUserRules`' `Data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserRules {
    /// The rules.
    #[serde(rename = "RuleList", default)]
    pub rules: Vec<UserRule>,
}

/// One user ban rule as the server reports it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserRule {
    /// `RuleType` (1..=4).
    #[serde(rename = "RuleType", default, deserialize_with = "i64_lenient")]
    pub rule_type: i64,
    /// The IP, for type 1.
    #[serde(rename = "IP", default, deserialize_with = "string_lenient")]
    pub ip: String,
    /// The room, for types 2 and 4.
    #[serde(rename = "RoomId", default, deserialize_with = "string_lenient")]
    pub room_id: String,
    /// The user, for types 3 and 4.
    #[serde(rename = "UserId", default, deserialize_with = "string_lenient")]
    pub user_id: String,
    /// The privileges taken away (1 login, 2 publish).
    #[serde(
        rename = "DisabledPrivilegeList",
        default,
        deserialize_with = "vec_i64_lenient"
    )]
    pub disabled_privileges: Vec<i64>,
    /// When the rule expires (Unix seconds).
    #[serde(rename = "ExpireTime", default, deserialize_with = "i64_lenient")]
    pub expire_time: i64,
}

impl TypedOperation for DescribeForbidUserRules {
    type Output = UserRules;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param_int("RuleType", self.rule_type.code());
        Ok(())
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

/// `DelForbidUserRule`: delete a user ban rule.
///
/// ```
/// use zego_proto::ops::{DelForbidUserRule, UserRuleTarget};
/// let op = DelForbidUserRule::new(UserRuleTarget::ip("203.0.113.7")?);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelForbidUserRule {
    target: UserRuleTarget,
}

impl DelForbidUserRule {
    /// Deletes the rule for `target`.
    pub fn new(target: UserRuleTarget) -> Self {
        Self { target }
    }
}

impl TypedOperation for DelForbidUserRule {
    type Output = ();

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        self.target.write(w);
        Ok(())
    }

    fn parse_data(&self, _data: Option<&RawValue>) -> Result<(), DataError> {
        Ok(())
    }
}
