//! RTC forbid / resume (single and batch) and `DescribeRTCStreamState`.

use serde_json::{json, Value};

use super::{Ctx, Data, Reply, MAX_STREAM_ID_BYTES};
use crate::codes;
use crate::state::EnvState;

/// Checks one media-service stream ID: 30009 when empty or too long, 30004 without the test prefix
/// in the test environment.
pub(super) fn check_stream_id(ctx: &Ctx<'_>, id: &str) -> Result<(), i64> {
    if id.is_empty() || id.len() > MAX_STREAM_ID_BYTES {
        return Err(codes::BAD_STREAM_ID);
    }
    if !ctx.test_prefix_ok(id) {
        return Err(codes::IS_TEST_WRONG);
    }
    Ok(())
}

fn sequence<'a>(ctx: &Ctx<'a>) -> Result<&'a str, i64> {
    ctx.params
        .get("Sequence")
        .filter(|s| !s.is_empty())
        .ok_or(codes::BAD_PARAM)
}

fn apply(ctx: &Ctx<'_>, state: &mut EnvState, ids: &[&str], seq: &str, forbid: bool) -> Reply {
    let mut rejected = 0;
    let mut seen = std::collections::BTreeSet::new();
    for id in ids {
        if !seen.insert(*id) {
            continue;
        }
        if !state.accept_sequence(id, seq, ctx.now_ms) {
            rejected += 1;
            continue;
        }
        if forbid {
            state.forbidden.insert((*id).to_owned());
        } else {
            state.forbidden.remove(*id);
        }
    }
    Reply {
        sequence_rejected: rejected,
        ..Reply::ok(Data::Value(Value::Null))
    }
}

/// `ForbidRTCStreams` / `ResumeRTCStreams`.
pub(super) fn batch(ctx: &Ctx<'_>, state: &mut EnvState, forbid: bool) -> Result<Reply, i64> {
    let ids = ctx.params.array("StreamId");
    if ids.is_empty() || ids.len() > 20 {
        return Err(codes::BAD_STREAM_LIST);
    }
    for id in &ids {
        check_stream_id(ctx, id)?;
    }
    let seq = sequence(ctx)?;
    Ok(apply(ctx, state, &ids, seq, forbid))
}

/// `ForbidRTCStream` / `ResumeRTCStream`.
pub(super) fn single(ctx: &Ctx<'_>, state: &mut EnvState, forbid: bool) -> Result<Reply, i64> {
    let id = ctx.params.get("StreamId").unwrap_or("");
    check_stream_id(ctx, id)?;
    let seq = sequence(ctx)?;
    Ok(apply(ctx, state, &[id], seq, forbid))
}

/// `DescribeRTCStreamState`.
pub(super) fn stream_state(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    let id = ctx.params.get("StreamId").unwrap_or("");
    check_stream_id(ctx, id)?;
    sequence(ctx)?;
    let st = state.stream_states.get(id).ok_or(codes::STREAM_NOT_EXIST)?;
    Ok(Reply::ok(Data::Value(json!({
        "create_time": st.create_time.to_string(),
        "close_time": st.close_time.unwrap_or(0).to_string(),
    }))))
}
