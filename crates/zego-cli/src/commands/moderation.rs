//! `zego kick`, `zego stream delete`, `zego users`: acting on users and streams in a room.

use serde_json::{json, Value};
use zego_proto::ops::{
    DeleteStream, DescribeUsers, KickoutUser, MAX_USERS_PER_DESCRIBE, MAX_USERS_PER_KICK,
};

use super::{request_id_note, Ctx};
use crate::cli::{KickArgs, StreamCommand};
use crate::duration::format_unix;
use crate::exit::CliError;
use crate::output::table;

/// A `UserRole` as a word (1 host, 2 audience, 4 admin; anything else as its number).
pub fn role_name(role: i64) -> String {
    match role {
        1 => "host".to_owned(),
        2 => "audience".to_owned(),
        4 => "admin".to_owned(),
        other => other.to_string(),
    }
}

/// Runs `zego kick --room R USER...`: every batch of 5 is built (and so checked) before
/// the first is sent.
pub fn kick(ctx: &Ctx<'_>, args: &KickArgs) -> Result<(), CliError> {
    let ops = args
        .user_ids
        .chunks(MAX_USERS_PER_KICK)
        .map(|chunk| {
            let op = KickoutUser::new(&args.room, chunk.iter().cloned())?;
            match &args.reason {
                Some(reason) => op.with_reason(reason),
                None => Ok(op),
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut kicked: Vec<&str> = Vec::new();
    let mut request_ids = Vec::new();
    for op in &ops {
        match ctx.send(op) {
            Ok(Some(response)) => {
                kicked.extend(op.user_ids().iter().map(String::as_str));
                request_ids.push(response.request_id);
            }
            Ok(None) => {}
            Err(e) => {
                if !kicked.is_empty() {
                    ctx.out
                        .note(format!("kicked before the failure: {}", kicked.join(" ")));
                }
                return Err(e);
            }
        }
    }
    if ctx.dry_run() {
        ctx.finish_dry_run();
        return Ok(());
    }
    let room = &args.room;
    ctx.out.result(
        || {
            let s = if kicked.len() == 1 { "" } else { "s" };
            format!(
                "Kicked {} user{s} out of room {room}: {}{}",
                kicked.len(),
                kicked.join(" "),
                request_id_note(&request_ids.join(", "))
            )
        },
        || {
            json!({
                "ok": true,
                "action": KickoutUser::ACTION,
                "room_id": room,
                "user_ids": kicked,
                "request_ids": request_ids,
            })
        },
    );
    Ok(())
}

/// Runs `zego stream ...`.
pub fn stream(ctx: &Ctx<'_>, command: StreamCommand) -> Result<(), CliError> {
    match command {
        StreamCommand::Delete {
            room,
            user,
            user_name,
            stream_id,
        } => {
            let op = DeleteStream::new(&room, &user, user_name, &stream_id)?;
            let Some(response) = ctx.send(&op)? else {
                ctx.finish_dry_run();
                return Ok(());
            };
            ctx.out.result(
                || {
                    format!(
                        "Stream {stream_id} deleted from room {room} (user {user} stays in the room){}",
                        request_id_note(&response.request_id)
                    )
                },
                || {
                    json!({
                        "ok": true,
                        "action": DeleteStream::ACTION,
                        "room_id": room,
                        "user_id": user,
                        "stream_id": stream_id,
                        "request_id": response.request_id,
                    })
                },
            );
            Ok(())
        }
    }
}

/// Runs `zego users --room R USER...`: 10 users per request, all checked first.
pub fn users(ctx: &Ctx<'_>, room: &str, user_ids: &[String]) -> Result<(), CliError> {
    let ops = user_ids
        .chunks(MAX_USERS_PER_DESCRIBE)
        .map(|chunk| DescribeUsers::new(room, chunk.iter().cloned()))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(responses) = ctx.send_all(&ops)? else {
        return Ok(());
    };
    let mut users = Vec::new();
    let mut request_ids = Vec::new();
    for response in responses {
        users.extend(response.data.users);
        request_ids.push(response.request_id);
    }
    ctx.out.result(
        || {
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| {
                    if u.is_in_room() {
                        vec![
                            u.user_id.clone(),
                            "yes".into(),
                            format_unix(u.login_time.div_euclid(1000)),
                            role_name(u.user_role),
                        ]
                    } else {
                        vec![u.user_id.clone(), "no".into(), "-".into(), "-".into()]
                    }
                })
                .collect();
            format!(
                "{}\nRoom {room}{}",
                table(&["USER", "IN ROOM", "LOGGED IN", "ROLE"], &rows),
                request_id_note(&request_ids.join(", "))
            )
        },
        || {
            let list: Vec<Value> = users
                .iter()
                .map(|u| {
                    json!({
                        "user_id": u.user_id,
                        "in_room": u.is_in_room(),
                        "login_time_ms": u.login_time,
                        "user_role": u.user_role,
                    })
                })
                .collect();
            json!({
                "ok": true,
                "action": DescribeUsers::ACTION,
                "room_id": room,
                "users": list,
                "request_ids": request_ids,
            })
        },
    );
    Ok(())
}
