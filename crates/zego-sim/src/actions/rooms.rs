//! The room actions: `KickoutUser`, `CloseRoom`, `DeleteStream`, `AddStream`,
//! `DescribeSimpleStreamList`, `DescribeUserList`, `DescribeUsers`, `DescribeUserNum`.

use serde_json::{json, Value};

use super::{Ctx, Data, Reply, MAX_STREAM_ID_BYTES};
use crate::codes;
use crate::query::decode_component;
use crate::rooms::{parse_marker, ROLE_ADMIN};
use crate::state::{close_type, EnvState};

/// Longest user ID, in bytes (spec section 7).
const MAX_USER_ID_BYTES: usize = 64;
/// Longest room ID, in bytes (spec section 7).
const MAX_ROOM_ID_BYTES: usize = 128;
/// Longest `CustomReason`, in bytes of its text (what is left once the caller's own
/// URL-encoding is undone: ZEGO limits the reason, not one encoder's spelling of it).
const MAX_REASON_BYTES: usize = 256;
/// Most users one `KickoutUser` names.
const MAX_KICK: usize = 5;
/// Most users one `DescribeUsers` names.
const MAX_DESCRIBE_USERS: usize = 10;
/// Most rooms one `DescribeUserNum` names.
const MAX_COUNT_ROOMS: usize = 10;
/// `DescribeUserList`'s largest and default `Limit`.
const MAX_PAGE: usize = 200;
/// `AddStream`'s longest `StreamTitle` (encoded form) and `ExtraInfo`.
const MAX_TITLE_BYTES: usize = 127;
const MAX_EXTRA_INFO_BYTES: usize = 1024;

/// Section 7's character set for user and room IDs.
fn id_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "~!@#$%^&*()_+=-`;',.<>/\\".contains(c)
}

/// A user or room ID: empty or a character outside the set → 2, too long → 3.
pub(crate) fn check_id(id: &str, max: usize) -> Result<(), i64> {
    if id.is_empty() || !id.chars().all(id_char_ok) {
        return Err(codes::BAD_PARAM);
    }
    if id.len() > max {
        return Err(codes::PARAM_TOO_LONG);
    }
    Ok(())
}

pub(crate) fn check_user_id(id: &str) -> Result<(), i64> {
    check_id(id, MAX_USER_ID_BYTES)
}

pub(crate) fn check_room_id(id: &str) -> Result<(), i64> {
    check_id(id, MAX_ROOM_ID_BYTES)
}

fn room_id<'a>(ctx: &Ctx<'a>) -> Result<&'a str, i64> {
    let room = ctx.params.get("RoomId").unwrap_or("");
    check_room_id(room)?;
    Ok(room)
}

fn user_id<'a>(ctx: &Ctx<'a>) -> Result<&'a str, i64> {
    let user = ctx.params.get("UserId").unwrap_or("");
    check_user_id(user)?;
    Ok(user)
}

/// `UserId[]` (or plain `UserId`): 1..=`max` valid IDs, more → 50011.
fn user_ids<'a>(ctx: &Ctx<'a>, max: usize) -> Result<Vec<&'a str>, i64> {
    let users = ctx.params.array_or_plain("UserId");
    if users.is_empty() {
        return Err(codes::BAD_PARAM);
    }
    if users.len() > max {
        return Err(codes::TOO_MANY_USERS);
    }
    for u in &users {
        check_user_id(u)?;
    }
    Ok(users)
}

/// A stream ID of a room action: empty → 2, too long → 3, test prefix missing → 30004.
fn stream_id<'a>(ctx: &Ctx<'a>) -> Result<&'a str, i64> {
    let id = ctx.params.get("StreamId").unwrap_or("");
    if id.is_empty() {
        return Err(codes::BAD_PARAM);
    }
    if id.len() > MAX_STREAM_ID_BYTES {
        return Err(codes::PARAM_TOO_LONG);
    }
    if !ctx.test_prefix_ok(id) {
        return Err(codes::IS_TEST_WRONG);
    }
    Ok(id)
}

/// A free-text field the caller URL-encodes itself: its encoded form (what arrives once
/// the query is decoded) at most `max` bytes → else 3; it must decode → else 2.
fn pre_encoded(ctx: &Ctx<'_>, key: &str, max: usize) -> Result<(), i64> {
    let Some(text) = ctx.params.get(key) else {
        return Ok(());
    };
    if text.len() > max {
        return Err(codes::PARAM_TOO_LONG);
    }
    decode_component(text).map_err(|_| codes::BAD_PARAM)?;
    Ok(())
}

/// A reason the caller URL-encodes itself (`CustomReason`): undone leniently, as real
/// clients send it encoded once, twice, with `+` for a space, or not at all (a `%` that
/// starts no escape is a literal `%`); its text at most `max` bytes → else 3; text that is
/// not UTF-8 → 2.
fn reason(ctx: &Ctx<'_>, key: &str, max: usize) -> Result<(), i64> {
    let Some(raw) = ctx.params.get(key) else {
        return Ok(());
    };
    let text = decode_lenient(raw).ok_or(codes::BAD_PARAM)?;
    if text.len() > max {
        return Err(codes::PARAM_TOO_LONG);
    }
    Ok(())
}

/// URL-decoding that keeps a `%` not followed by two hex digits as it is; `None` if the
/// result is not UTF-8.
fn decode_lenient(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let hex = |b: u8| {
        char::from(b)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escape = (bytes[i] == b'%')
            .then(|| Some(hex(*bytes.get(i + 1)?)? * 16 + hex(*bytes.get(i + 2)?)?))
            .flatten();
        match (escape, bytes[i]) {
            (Some(byte), _) => {
                out.push(byte);
                i += 3;
            }
            (None, b'+') => {
                out.push(b' ');
                i += 1;
            }
            (None, b) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

pub(super) fn kickout(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    let users = user_ids(ctx, MAX_KICK)?;
    reason(ctx, "CustomReason", MAX_REASON_BYTES)?;
    for user in users {
        state.leave_room(room, user, close_type::KICKED_OUT, ctx.now_ms);
    }
    Ok(Reply::ok(Data::Absent))
}

pub(super) fn close_room(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    reason(ctx, "CustomReason", MAX_REASON_BYTES)?;
    match ctx.params.get("RoomCloseCallback") {
        None => {}
        Some(v) if v.eq_ignore_ascii_case("true") || v.eq_ignore_ascii_case("false") => {}
        Some(_) => return Err(codes::BAD_PARAM),
    }
    let Some(closed) = state.rooms.remove(room) else {
        return Err(codes::ROOM_NOT_EXIST_CLOSE);
    };
    state.close_streams(
        room,
        closed.streams.into_iter().collect(),
        close_type::ROOM_CLEARED,
        ctx.now_ms,
    );
    Ok(Reply::ok(Data::Absent))
}

/// The room, user, user name and stream of `DeleteStream` and `AddStream`.
fn stream_target<'a>(ctx: &Ctx<'a>) -> Result<(&'a str, &'a str, &'a str, &'a str), i64> {
    let room = room_id(ctx)?;
    let user = user_id(ctx)?;
    let user_name = ctx.params.get("UserName").unwrap_or("");
    let stream = stream_id(ctx)?;
    Ok((room, user, user_name, stream))
}

pub(super) fn delete_stream(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let (room, user, _, stream) = stream_target(ctx)?;
    let Some(found) = state
        .rooms
        .get_mut(room)
        .filter(|r| r.streams.get(stream).is_some_and(|s| s.user_id == user))
        .and_then(|r| r.streams.remove(stream))
    else {
        return Err(codes::STREAM_INFO_NOT_EXIST);
    };
    state.close_streams(
        room,
        vec![(stream.to_owned(), found)],
        close_type::DELETED_BY_SERVER_API,
        ctx.now_ms,
    );
    Ok(Reply::ok(Data::Absent))
}

pub(super) fn add_stream(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let (room, user, user_name, stream) = stream_target(ctx)?;
    pre_encoded(ctx, "StreamTitle", MAX_TITLE_BYTES)?;
    if ctx
        .params
        .get("ExtraInfo")
        .is_some_and(|e| e.len() > MAX_EXTRA_INFO_BYTES)
    {
        return Err(codes::PARAM_TOO_LONG);
    }
    if !matches!(ctx.params.get("CensorFlag"), None | Some("0" | "1")) {
        return Err(codes::BAD_PARAM);
    }
    let Some(r) = state.rooms.get_mut(room) else {
        return Err(codes::ROOM_NOT_EXIST);
    };
    if !r.add_stream(stream, user, user_name, ctx.now_ms) {
        return Err(codes::STREAM_OTHER_USER);
    }
    Ok(Reply::ok(Data::Absent))
}

pub(super) fn stream_list(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    let list: Vec<Value> = state
        .rooms
        .get(room)
        .map(|r| {
            let mut streams: Vec<_> = r.streams.iter().collect();
            streams.sort_by_key(|(_, s)| s.stream_number_id);
            streams
                .into_iter()
                .map(|(id, s)| {
                    json!({
                        "StreamId": id,
                        "UserId": s.user_id,
                        "UserName": s.user_name,
                        "CreateTime": s.create_time_ms,
                        "StreamNumberId": s.stream_number_id,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Reply::ok(Data::Value(json!({"StreamList": list}))))
}

pub(super) fn user_list(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    let newest_first = match ctx.params.get("Mode") {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(codes::BAD_PARAM),
    };
    let limit = match ctx.params.get("Limit") {
        // 0 and absent are the default page, 200.
        None | Some("" | "0") => MAX_PAGE,
        Some(v) => match v.parse::<usize>() {
            Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) && n <= MAX_PAGE => n,
            _ => return Err(codes::BAD_PARAM),
        },
    };
    let marker = match ctx.params.get("Marker") {
        None | Some("") => None,
        Some(m) => Some(parse_marker(m).ok_or(codes::BAD_PARAM)?),
    };
    let (users, next) = state
        .rooms
        .get(room)
        .map(|r| {
            let (page, next) = r.page(newest_first, limit, marker);
            let users: Vec<Value> = page
                .into_iter()
                .map(|(id, m)| json!({"UserId": id, "UserName": m.user_name, "UserRole": m.role}))
                .collect();
            (users, next)
        })
        .unwrap_or_default();
    Ok(Reply::ok(Data::Value(
        json!({"Marker": next, "UserList": users}),
    )))
}

pub(super) fn users(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    let users = user_ids(ctx, MAX_DESCRIBE_USERS)?;
    let Some(r) = state.rooms.get(room) else {
        return Err(codes::ROOM_NOT_EXIST);
    };
    let list: Vec<Value> = users
        .into_iter()
        .map(|u| match r.users.get(u) {
            Some(m) => {
                json!({"UserId": u, "Status": 1, "LoginTime": m.login_time_ms, "UserRole": m.role})
            }
            None => json!({"UserId": u, "Status": 0, "LoginTime": 0, "UserRole": 0}),
        })
        .collect();
    Ok(Reply::ok(Data::Value(json!({"UserStatusList": list}))))
}

pub(super) fn user_num(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    let rooms = ctx.params.array_or_plain("RoomId");
    if rooms.is_empty() || rooms.len() > MAX_COUNT_ROOMS {
        return Err(codes::BAD_PARAM);
    }
    for room in &rooms {
        check_room_id(room)?;
    }
    let list: Vec<Value> = rooms
        .into_iter()
        .map(|room| {
            let (all, admins) = state.rooms.get(room).map_or((0, 0), |r| {
                let admins = r.users.values().filter(|m| m.role == ROLE_ADMIN).count();
                (r.users.len(), admins)
            });
            json!({"RoomId": room, "UserCount": all, "AdminUserCount": admins})
        })
        .collect();
    Ok(Reply::ok(Data::Value(json!({"UserCountList": list}))))
}
