//! `zego stream-state`: when a stream started and whether it is live.

use serde_json::json;
use zego_proto::ops::DescribeRtcStreamState;

use super::{request_id_note, Ctx};
use crate::duration::format_unix;
use crate::exit::CliError;

/// Runs `zego stream-state ID`.
pub fn run(ctx: &Ctx<'_>, stream_id: &str) -> Result<(), CliError> {
    let op = DescribeRtcStreamState::new(stream_id)?;
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    let state = &response.data;
    let when = |raw: &str, secs: Option<i64>| match secs {
        Some(s) if s > 0 => format_unix(s),
        _ => raw.to_owned(),
    };
    ctx.out.result(
        || {
            let status = if state.is_live() {
                format!(
                    "live since {}",
                    when(&state.create_time, state.create_time_secs())
                )
            } else {
                format!(
                    "closed at {} (started {})",
                    when(&state.close_time, state.close_time_secs()),
                    when(&state.create_time, state.create_time_secs())
                )
            };
            format!(
                "Stream {stream_id}: {status}{}",
                request_id_note(&response.request_id)
            )
        },
        || {
            json!({
                "ok": true,
                "action": DescribeRtcStreamState::ACTION,
                "stream_id": stream_id,
                "live": state.is_live(),
                "create_time": state.create_time,
                "close_time": state.close_time,
                "request_id": response.request_id,
            })
        },
    );
    Ok(())
}
