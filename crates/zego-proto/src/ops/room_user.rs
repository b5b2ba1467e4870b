//! Users in rooms: `DescribeUserList`, `DescribeUsers`, `DescribeUserNum` (spec
//! section 4b).

use serde::Deserialize;
use serde_json::value::RawValue;

use super::checks;
use crate::encode::ParamWriter;
use crate::error::{Problem, ValidationError};
use crate::lenient::{i64_lenient, string_lenient};
use crate::operation::TypedOperation;
use crate::response::{data_or_default, DataError};

/// Most users one `DescribeUserList` page holds (`Limit`).
pub const MAX_USERS_PER_PAGE: u32 = 200;

/// Most users one `DescribeUsers` may name.
pub const MAX_USERS_PER_DESCRIBE: usize = 10;

/// Most rooms one `DescribeUserNum` may name.
pub const MAX_ROOMS_PER_COUNT: usize = 10;

/// The order of `DescribeUserList` (`Mode`): by login time.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum UserOrder {
    /// 0 (ZEGO's default): who logged in first comes first.
    #[default]
    OldestFirst,
    /// 1: who logged in last comes first.
    NewestFirst,
}

impl UserOrder {
    /// The `Mode` number.
    pub fn code(self) -> u8 {
        match self {
            Self::OldestFirst => 0,
            Self::NewestFirst => 1,
        }
    }
}

/// `DescribeUserList`: one page of a room's users. Follow [`UserPage::marker`] with
/// [`DescribeUserList::with_marker`] until it is empty.
///
/// Quota: 200/s per AppId and 1/s per room.
///
/// ```
/// use zego_proto::ops::{DescribeUserList, UserOrder};
/// let first = DescribeUserList::new("room1")?.with_order(UserOrder::NewestFirst).with_limit(100)?;
/// let next = first.clone().with_marker("1635940599950-user2");
/// assert_eq!(next.marker(), "1635940599950-user2");
/// assert!(DescribeUserList::new("room1")?.with_limit(201).is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeUserList {
    room_id: String,
    order: Option<UserOrder>,
    limit: Option<u32>,
    marker: String,
}

impl DescribeUserList {
    /// The first page of `room_id`'s users, in ZEGO's default order and size (200).
    pub fn new(room_id: impl Into<String>) -> Result<Self, ValidationError> {
        Ok(Self {
            room_id: checks::room_id("RoomId", None, room_id.into())?,
            order: None,
            limit: None,
            marker: String::new(),
        })
    }

    /// Orders by login time (`Mode`).
    #[must_use]
    pub fn with_order(mut self, order: UserOrder) -> Self {
        self.order = Some(order);
        self
    }

    /// At most `limit` users per page (`Limit`, 0..=200).
    pub fn with_limit(mut self, limit: u32) -> Result<Self, ValidationError> {
        if limit > MAX_USERS_PER_PAGE {
            return Err(ValidationError::new(
                "Limit",
                Problem::OutOfRange {
                    min: 0,
                    max: i64::from(MAX_USERS_PER_PAGE),
                    actual: i64::from(limit),
                },
            ));
        }
        self.limit = Some(limit);
        Ok(self)
    }

    /// The page after the one that answered `marker` (empty: the first page).
    #[must_use]
    pub fn with_marker(mut self, marker: impl Into<String>) -> Self {
        self.marker = marker.into();
        self
    }

    /// The room.
    pub fn room_id(&self) -> &str {
        &self.room_id
    }

    /// The paging cursor sent (empty for the first page).
    pub fn marker(&self) -> &str {
        &self.marker
    }
}

/// `DescribeUserList`'s `Data`: one page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserPage {
    /// The cursor of the next page; empty when this was the last one.
    #[serde(rename = "Marker", default, deserialize_with = "string_lenient")]
    pub marker: String,
    /// The users of this page.
    #[serde(rename = "UserList", default)]
    pub users: Vec<RoomUser>,
}

impl UserPage {
    /// Whether another page follows.
    pub fn has_more(&self) -> bool {
        !self.marker.is_empty()
    }
}

/// One user in a room.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RoomUser {
    /// The user.
    #[serde(rename = "UserId", default, deserialize_with = "string_lenient")]
    pub user_id: String,
    /// The user's nickname.
    #[serde(rename = "UserName", default, deserialize_with = "string_lenient")]
    pub user_name: String,
    /// 1 host, 2 audience, 4 administrator (LiveRoom only; ignore it with Express).
    #[serde(rename = "UserRole", default, deserialize_with = "i64_lenient")]
    pub user_role: i64,
}

impl TypedOperation for DescribeUserList {
    type Output = UserPage;

    fn quota_room(&self) -> Option<&str> {
        Some(&self.room_id)
    }

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("RoomId", &self.room_id);
        if let Some(order) = self.order {
            w.param_int("Mode", order.code());
        }
        if let Some(limit) = self.limit {
            w.param_int("Limit", limit);
        }
        if !self.marker.is_empty() {
            w.param("Marker", &self.marker);
        }
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        32 + 3 * (self.room_id.len() + self.marker.len())
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

/// `DescribeUsers`: whether 1..=10 users are in a room, their role and login time.
///
/// ```
/// use zego_proto::ops::DescribeUsers;
/// let op = DescribeUsers::new("room1", ["a", "b"])?;
/// assert_eq!(op.user_ids(), ["a", "b"]);
/// assert!(DescribeUsers::new("room1", Vec::<String>::new()).is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeUsers {
    room_id: String,
    user_ids: Vec<String>,
}

impl DescribeUsers {
    /// Describes `user_ids` (1..=10 valid user IDs) in `room_id`.
    pub fn new<I, S>(room_id: impl Into<String>, user_ids: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(Self {
            room_id: checks::room_id("RoomId", None, room_id.into())?,
            user_ids: checks::list(
                "UserId[]",
                user_ids,
                MAX_USERS_PER_DESCRIBE,
                checks::user_id,
            )?,
        })
    }

    /// The users asked about.
    pub fn user_ids(&self) -> &[String] {
        &self.user_ids
    }
}

/// `DescribeUsers`' `Data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserStatuses {
    /// One entry per user asked about.
    #[serde(rename = "UserStatusList", default)]
    pub users: Vec<UserStatus>,
}

/// Whether a user is in the room, and since when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserStatus {
    /// The user.
    #[serde(rename = "UserId", default, deserialize_with = "string_lenient")]
    pub user_id: String,
    /// 0 not in the room, 1 in the room.
    #[serde(rename = "Status", default, deserialize_with = "i64_lenient")]
    pub status: i64,
    /// When the user logged in (Unix milliseconds).
    #[serde(rename = "LoginTime", default, deserialize_with = "i64_lenient")]
    pub login_time: i64,
    /// 1 host, 2 audience, 4 administrator (LiveRoom only).
    #[serde(rename = "UserRole", default, deserialize_with = "i64_lenient")]
    pub user_role: i64,
}

impl UserStatus {
    /// Whether the user is in the room (`Status` 1).
    pub fn is_in_room(&self) -> bool {
        self.status == 1
    }
}

impl TypedOperation for DescribeUsers {
    type Output = UserStatuses;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        w.param("RoomId", &self.room_id);
        for user in &self.user_ids {
            w.param("UserId[]", user);
        }
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        8 + 3 * self.room_id.len() + checks::ids_len_hint(9, &self.user_ids)
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}

/// `DescribeUserNum`: how many users 1..=10 rooms hold (a room that does not exist
/// holds 0).
///
/// ```
/// use zego_proto::ops::DescribeUserNum;
/// let op = DescribeUserNum::new(["room1", "room2"])?;
/// assert_eq!(op.room_ids().len(), 2);
/// assert!(DescribeUserNum::new((0..11).map(|i| format!("r{i}"))).is_err());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescribeUserNum {
    room_ids: Vec<String>,
}

impl DescribeUserNum {
    /// Counts the users of `room_ids` (1..=10 valid room IDs).
    pub fn new<I, S>(room_ids: I) -> Result<Self, ValidationError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Ok(Self {
            room_ids: checks::list("RoomId[]", room_ids, MAX_ROOMS_PER_COUNT, checks::room_id)?,
        })
    }

    /// The rooms counted.
    pub fn room_ids(&self) -> &[String] {
        &self.room_ids
    }
}

/// `DescribeUserNum`'s `Data`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RoomUserCounts {
    /// One entry per room.
    #[serde(rename = "UserCountList", default)]
    pub rooms: Vec<RoomUserCount>,
}

/// A room's user count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RoomUserCount {
    /// The room.
    #[serde(rename = "RoomId", default, deserialize_with = "string_lenient")]
    pub room_id: String,
    /// Users in the room, administrators included.
    #[serde(rename = "UserCount", default, deserialize_with = "i64_lenient")]
    pub user_count: i64,
    /// Administrators (cloud recording, moderation) among them.
    #[serde(rename = "AdminUserCount", default, deserialize_with = "i64_lenient")]
    pub admin_user_count: i64,
}

impl TypedOperation for DescribeUserNum {
    type Output = RoomUserCounts;

    fn write_params(&self, w: &mut ParamWriter<'_>) -> Result<(), ValidationError> {
        for room in &self.room_ids {
            w.param("RoomId[]", room);
        }
        Ok(())
    }

    fn params_len_hint(&self) -> usize {
        checks::ids_len_hint(9, &self.room_ids)
    }

    fn parse_data(&self, data: Option<&RawValue>) -> Result<Self::Output, DataError> {
        data_or_default(Self::ACTION, data)
    }
}
