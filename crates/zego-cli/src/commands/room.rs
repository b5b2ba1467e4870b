//! `zego room close|streams|users|count`.

use serde_json::{json, Value};
use zego_proto::ops::{
    CloseRoom, DescribeSimpleStreamList, DescribeUserList, DescribeUserNum, RoomUser, UserOrder,
    MAX_ROOMS_PER_COUNT,
};

use super::moderation::role_name;
use super::{request_id_note, Ctx};
use crate::cli::RoomCommand;
use crate::duration::format_unix;
use crate::exit::CliError;
use crate::output::table;

/// Runs `zego room ...`.
pub fn run(ctx: &Ctx<'_>, command: RoomCommand) -> Result<(), CliError> {
    match command {
        RoomCommand::Close {
            room,
            reason,
            callback,
        } => close(ctx, &room, reason.as_deref(), callback),
        RoomCommand::Streams { room } => streams(ctx, &room),
        RoomCommand::Users { room, newest_first } => users(ctx, &room, newest_first),
        RoomCommand::Count { rooms } => count(ctx, &rooms),
    }
}

fn close(ctx: &Ctx<'_>, room: &str, reason: Option<&str>, callback: bool) -> Result<(), CliError> {
    let mut op = CloseRoom::new(room)?;
    if let Some(reason) = reason {
        op = op.with_reason(reason)?;
    }
    if callback {
        op = op.with_room_close_callback(true);
    }
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    ctx.out.result(
        || {
            format!(
                "Room {room} closed{}",
                request_id_note(&response.request_id)
            )
        },
        || {
            json!({
                "ok": true,
                "action": CloseRoom::ACTION,
                "room_id": room,
                "room_close_callback": callback,
                "request_id": response.request_id,
            })
        },
    );
    Ok(())
}

fn streams(ctx: &Ctx<'_>, room: &str) -> Result<(), CliError> {
    let op = DescribeSimpleStreamList::new(room)?;
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    let streams = &response.data.streams;
    ctx.out.result(
        || {
            let rows: Vec<Vec<String>> = streams
                .iter()
                .map(|s| {
                    vec![
                        s.stream_id.clone(),
                        s.user_id.clone(),
                        s.user_name.clone(),
                        format_unix(s.create_time.div_euclid(1000)),
                    ]
                })
                .collect();
            format!(
                "{}\nRoom {room}: {} stream{}{}",
                table(&["STREAM", "USER", "USER NAME", "CREATED"], &rows),
                streams.len(),
                if streams.len() == 1 { "" } else { "s" },
                request_id_note(&response.request_id)
            )
        },
        || {
            let list: Vec<Value> = streams
                .iter()
                .map(|s| {
                    json!({
                        "stream_id": s.stream_id,
                        "user_id": s.user_id,
                        "user_name": s.user_name,
                        "create_time_ms": s.create_time,
                        "stream_number_id": s.stream_number_id,
                    })
                })
                .collect();
            json!({
                "ok": true,
                "action": DescribeSimpleStreamList::ACTION,
                "room_id": room,
                "streams": list,
                "request_id": response.request_id,
            })
        },
    );
    Ok(())
}

/// Every page of `room`'s users, following `Marker` (a dry run prints the first page's URL).
fn users(ctx: &Ctx<'_>, room: &str, newest_first: bool) -> Result<(), CliError> {
    let order = if newest_first {
        UserOrder::NewestFirst
    } else {
        UserOrder::OldestFirst
    };
    let first = DescribeUserList::new(room)?.with_order(order);
    if ctx.dry_run() {
        ctx.print_dry_run(&first)?;
        ctx.finish_dry_run();
        return Ok(());
    }
    let client = ctx.client()?;
    let mut users: Vec<RoomUser> = Vec::new();
    let mut pages = 0usize;
    for page in client.pages(first) {
        let page = page?;
        pages += 1;
        users.extend(page.data.users);
    }
    ctx.out.result(
        || {
            let rows: Vec<Vec<String>> = users
                .iter()
                .map(|u| vec![u.user_id.clone(), u.user_name.clone(), role_name(u.user_role)])
                .collect();
            format!(
                "{}\nRoom {room}: {} user{} ({pages} page{})",
                table(&["USER", "USER NAME", "ROLE"], &rows),
                users.len(),
                if users.len() == 1 { "" } else { "s" },
                if pages == 1 { "" } else { "s" },
            )
        },
        || {
            let list: Vec<Value> = users
                .iter()
                .map(|u| json!({"user_id": u.user_id, "user_name": u.user_name, "user_role": u.user_role}))
                .collect();
            json!({
                "ok": true,
                "action": DescribeUserList::ACTION,
                "room_id": room,
                "newest_first": newest_first,
                "users": list,
                "pages": pages,
            })
        },
    );
    Ok(())
}

fn count(ctx: &Ctx<'_>, rooms: &[String]) -> Result<(), CliError> {
    let ops = rooms
        .chunks(MAX_ROOMS_PER_COUNT)
        .map(|chunk| DescribeUserNum::new(chunk.iter().cloned()))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(responses) = ctx.send_all(&ops)? else {
        return Ok(());
    };
    let mut counts = Vec::new();
    let mut request_ids = Vec::new();
    for response in responses {
        counts.extend(response.data.rooms);
        request_ids.push(response.request_id);
    }
    ctx.out.result(
        || {
            let rows: Vec<Vec<String>> = counts
                .iter()
                .map(|c| {
                    vec![
                        c.room_id.clone(),
                        c.user_count.to_string(),
                        c.admin_user_count.to_string(),
                    ]
                })
                .collect();
            format!(
                "{}{}",
                table(&["ROOM", "USERS", "ADMINS"], &rows),
                request_id_note(&request_ids.join(", "))
            )
        },
        || {
            let list: Vec<Value> = counts
                .iter()
                .map(|c| json!({"room_id": c.room_id, "user_count": c.user_count, "admin_user_count": c.admin_user_count}))
                .collect();
            json!({
                "ok": true,
                "action": DescribeUserNum::ACTION,
                "rooms": list,
                "request_ids": request_ids,
            })
        },
    );
    Ok(())
}
