//! The room control endpoints (`/_sim/rooms/...`, `/_sim/streams/{id}/publish|close`): what a
//! client SDK would do (log in, log out, publish), for tests that drive the simulator
//! over HTTP.
//!
//! Each takes `app_id` (optional when one app is configured) and `env` (`production`,
//! the default, or `test`) in the query, answers HTTP 200 with a small JSON body, 400 for
//! bad input, 404 for an app the simulator was not started with or an unknown room, 409
//! for a stream another user publishes, 403 with the client SDK's error code for a login
//! or publish a ban refuses (`{"ok":false,"code":N,"message":...}`, see [`crate::Refusal`]), and 507 when the app's room state is at its bound
//! (`SimulatorBuilder::room_entries_per_app`).

use crate::actions::rooms::{check_room_id, check_user_id};
use crate::enforce::Refusal;
use crate::engine::{Engine, RoomAt};
use crate::env::Env;
use crate::query::{decode_component, Params};

/// An answer: HTTP status, content type and body.
pub(crate) type Answer = (u16, &'static str, String);

fn bad(reason: &str) -> Answer {
    (400, "text/plain", format!("bad request: {reason}"))
}

fn ok() -> Answer {
    (200, "application/json", "{\"ok\":true}".to_owned())
}

/// The app and environment of a control request.
fn app_env(engine: &Engine, params: &Params) -> Result<(u32, Env), Answer> {
    let app_id = match params.get("app_id") {
        Some(v) => v.parse().map_err(|_| bad("app_id is not a u32"))?,
        None => engine
            .only_app()
            .ok_or_else(|| bad("app_id is required when several apps are configured"))?,
    };
    if !engine.has_app(app_id) {
        return Err((
            404,
            "text/plain",
            format!(
                "unknown app_id {app_id}: the simulator serves only the apps it was started with"
            ),
        ));
    }
    let env = match params.get("env") {
        None | Some("production") => Env::Production,
        Some("test") => Env::Test,
        Some(_) => return Err(bad("env must be production or test")),
    };
    Ok((app_id, env))
}

/// Refuses a login or publish that would take the app's state past its bound: at most
/// three new entries (a room, a user, a stream).
fn room_for_more(engine: &Engine, app_id: u32, env: Env) -> Result<(), Answer> {
    if engine.has_room_for(app_id, env, 3) {
        return Ok(());
    }
    Err((
        507,
        "text/plain",
        "the simulator's room state for this app and environment is full (see room_entries_per_app)"
            .to_owned(),
    ))
}

fn segment(raw: &str) -> Result<String, Answer> {
    decode_component(raw).map_err(|_| bad("malformed path segment"))
}

fn room_ok(room: &str) -> Result<(), Answer> {
    check_room_id(room).map_err(|_| bad("room ID (1..=128 bytes of ZEGO's ID characters)"))
}

fn user_ok(user: &str) -> Result<(), Answer> {
    check_user_id(user).map_err(|_| bad("user ID (1..=64 bytes of ZEGO's ID characters)"))
}

/// A refused login or publish: 403 with `{"ok":false,"code":N,"message":...}` (the code a
/// client SDK reports), or 409 for a stream another user publishes (as before).
fn refused(why: &Refusal) -> Answer {
    match why.code() {
        Some(code) => (
            403,
            "application/json",
            serde_json::json!({"ok": false, "code": code, "message": why.to_string()}).to_string(),
        ),
        None => (409, "text/plain", why.to_string()),
    }
}

/// Serves a control path, or `None` if `path` is not one.
pub(crate) fn handle(engine: &Engine, post: bool, path: &str, query: &str) -> Option<Answer> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let answer = match parts.as_slice() {
        ["_sim", "rooms", room, "users", user, verb @ ("login" | "logout")] if post => {
            room_user(engine, room, user, verb, query)
        }
        ["_sim", "streams", stream, "publish"] if post => publish(engine, stream, query),
        ["_sim", "streams", stream, "close"] if post => close(engine, stream, query),
        ["_sim", "rooms", room] if !post => show_room(engine, room, query),
        _ => return None,
    };
    Some(answer.unwrap_or_else(|e| e))
}

fn room_user(
    engine: &Engine,
    room: &str,
    user: &str,
    verb: &str,
    query: &str,
) -> Result<Answer, Answer> {
    let params = Params::parse(query).map_err(|_| bad("malformed query"))?;
    let (app_id, env) = app_env(engine, &params)?;
    let (room, user) = (segment(room)?, segment(user)?);
    room_ok(&room)?;
    user_ok(&user)?;
    let at = RoomAt {
        app_id,
        env,
        room: &room,
    };
    if verb == "logout" {
        engine.logout_user(at, &user);
        return Ok(ok());
    }
    let role = match params.get("role") {
        None => crate::rooms::ROLE_AUDIENCE,
        Some(r) => match r.parse::<u8>() {
            Ok(role @ (1 | 2 | 4)) => role,
            _ => {
                return Err(bad(
                    "role must be 1 (host), 2 (audience) or 4 (administrator)",
                ))
            }
        },
    };
    let user_name = params.get("user_name").unwrap_or(&user).to_owned();
    room_for_more(engine, app_id, env)?;
    engine
        .login_user(at, &user, &user_name, role)
        .map_err(|why| refused(&why))?;
    Ok(ok())
}

fn publish(engine: &Engine, stream: &str, query: &str) -> Result<Answer, Answer> {
    let params = Params::parse(query).map_err(|_| bad("malformed query"))?;
    let (app_id, env) = app_env(engine, &params)?;
    let stream = segment(stream)?;
    if stream.is_empty() || stream.len() > crate::actions::MAX_STREAM_ID_BYTES {
        return Err(bad("stream ID (1..=256 bytes)"));
    }
    let room = params
        .get("room_id")
        .ok_or_else(|| bad("room_id is required"))?;
    let user = params
        .get("user_id")
        .ok_or_else(|| bad("user_id is required"))?;
    room_ok(room)?;
    user_ok(user)?;
    room_for_more(engine, app_id, env)?;
    engine
        .publish_stream(RoomAt { app_id, env, room }, user, &stream)
        .map_err(|why| refused(&why))?;
    Ok(ok())
}

fn close(engine: &Engine, stream: &str, query: &str) -> Result<Answer, Answer> {
    let params = Params::parse(query).map_err(|_| bad("malformed query"))?;
    let (app_id, env) = app_env(engine, &params)?;
    let stream = segment(stream)?;
    let close_type = match params.get("type") {
        None => 0,
        Some(t) => t.parse::<u32>().map_err(|_| {
            bad("type must be a decimal integer (0 normal, 1 heartbeat timeout, 2 re-login, 3 kicked out, 4 connection dropped, 5 room cleared, 100 DeleteStream)")
        })?,
    };
    if engine.close_stream(app_id, env, &stream, close_type) {
        Ok(ok())
    } else {
        Ok((404, "text/plain", "no room has this stream".to_owned()))
    }
}

fn show_room(engine: &Engine, room: &str, query: &str) -> Result<Answer, Answer> {
    let params = Params::parse(query).map_err(|_| bad("malformed query"))?;
    let (app_id, env) = app_env(engine, &params)?;
    let room = segment(room)?;
    match engine.room(RoomAt {
        app_id,
        env,
        room: &room,
    }) {
        Some(r) => Ok((
            200,
            "application/json",
            serde_json::to_string(&r).unwrap_or_else(|_| "{}".into()),
        )),
        None => Ok((404, "text/plain", "no such room".to_owned())),
    }
}
