//! `SetForbidStreamRule`, `DescribeForbidStreamRules`, `DelForbidStreamRule`.

use serde_json::{json, Value};

use super::{Ctx, Data, Reply, MAX_STREAM_ID_BYTES};
use crate::codes;
use crate::gateway::parse_int;
use crate::state::{EnvState, StreamRule};

/// Default rule duration (s).
pub(crate) const DEFAULT_EFFECTIVE_SECS: i64 = 21_600;
/// Longest rule duration (s); larger values are clamped to it.
pub(crate) const MAX_EFFECTIVE_SECS: i64 = 86_400;
/// Most streams one `DescribeForbidStreamRules` may name.
const MAX_DESCRIBE: usize = 10;

fn room_id<'a>(ctx: &Ctx<'a>) -> Result<&'a str, i64> {
    ctx.params
        .get("RoomId")
        .filter(|s| !s.is_empty())
        .ok_or(codes::BAD_PARAM)
}

/// Room-service stream ID check: 2 when empty, 3 when too long, 30004 without the test prefix.
fn check_stream_id(ctx: &Ctx<'_>, id: &str) -> Result<(), i64> {
    if id.is_empty() {
        return Err(codes::BAD_PARAM);
    }
    if id.len() > MAX_STREAM_ID_BYTES {
        return Err(codes::PARAM_TOO_LONG);
    }
    if !ctx.test_prefix_ok(id) {
        return Err(codes::IS_TEST_WRONG);
    }
    Ok(())
}

/// `0`/`1` flag, absent meaning 0.
fn flag(ctx: &Ctx<'_>, key: &str) -> Result<bool, i64> {
    match ctx.params.get(key) {
        None | Some("0") => Ok(false),
        Some("1") => Ok(true),
        Some(_) => Err(codes::BAD_PARAM),
    }
}

/// `EffectiveTime`: default 21600, < 1 or not an integer -> 2, > 86400 clamped to 86400.
pub(super) fn effective_time(ctx: &Ctx<'_>) -> Result<i64, i64> {
    match ctx.params.get("EffectiveTime") {
        None => Ok(DEFAULT_EFFECTIVE_SECS),
        Some(v) => {
            let v = parse_int(v).ok_or(codes::BAD_PARAM)?;
            if v < 1 {
                return Err(codes::BAD_PARAM);
            }
            Ok(v.min(MAX_EFFECTIVE_SECS))
        }
    }
}

pub(super) fn set(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    let stream = ctx.params.get("StreamId").unwrap_or("");
    check_stream_id(ctx, stream)?;
    let audio = flag(ctx, "DisableAudio")?;
    let video = flag(ctx, "DisableVideo")?;
    if !audio && !video {
        return Err(codes::BAD_PARAM);
    }
    let effective = effective_time(ctx)?;
    state.stream_rules.insert(
        (room.to_owned(), stream.to_owned()),
        StreamRule {
            room_id: room.to_owned(),
            stream_id: stream.to_owned(),
            disable_audio: audio,
            disable_video: video,
            create_time: ctx.now_secs(),
            effective_time: effective,
        },
    );
    Ok(Reply::ok(Data::Absent))
}

pub(super) fn describe(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    let ids = ctx.params.array_or_plain("StreamId");
    if ids.is_empty() || ids.len() > MAX_DESCRIBE {
        return Err(codes::BAD_PARAM);
    }
    for id in &ids {
        check_stream_id(ctx, id)?;
    }
    let list: Vec<Value> = ids
        .iter()
        .map(
            |id| match state.stream_rules.get(&(room.to_owned(), (*id).to_owned())) {
                Some(r) => json!({
                    "StreamId": id,
                    "DisableAudio": i32::from(r.disable_audio),
                    "DisableVideo": i32::from(r.disable_video),
                    "CreateTime": r.create_time,
                    "EffectiveTime": r.effective_time,
                }),
                None => json!({
                    "StreamId": id,
                    "DisableAudio": 0,
                    "DisableVideo": 0,
                    "CreateTime": 0,
                    "EffectiveTime": 0,
                }),
            },
        )
        .collect();
    Ok(Reply::ok(Data::Value(
        json!({"RoomId": room, "ForbidStreamRuleList": list}),
    )))
}

pub(super) fn delete(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let room = room_id(ctx)?;
    let stream = ctx.params.get("StreamId").unwrap_or("");
    check_stream_id(ctx, stream)?;
    state
        .stream_rules
        .remove(&(room.to_owned(), stream.to_owned()));
    Ok(Reply::ok(Data::Absent))
}
