//! `zego rule set|get|delete`: stream ban rules.

use serde_json::{json, Value};
use zego_proto::ops::{
    DelForbidStreamRule, DescribeForbidStreamRules, MediaBan, SetForbidStreamRule, StreamRule,
    MAX_STREAMS_PER_DESCRIBE,
};

use super::{request_id_note, Ctx};
use crate::cli::RuleCommand;
use crate::duration::{format_secs, format_unix, parse_effective_time};
use crate::exit::CliError;
use crate::output::table;

/// Runs `zego rule ...`.
pub fn run(ctx: &Ctx<'_>, command: RuleCommand) -> Result<(), CliError> {
    match command {
        RuleCommand::Set {
            room,
            stream,
            audio,
            video,
            duration,
        } => set(ctx, room, stream, audio, video, &duration),
        RuleCommand::Get { room, stream_ids } => get(ctx, &room, &stream_ids),
        RuleCommand::Delete { room, stream } => delete(ctx, &room, &stream),
    }
}

fn set(
    ctx: &Ctx<'_>,
    room: String,
    stream: String,
    audio: bool,
    video: bool,
    duration: &str,
) -> Result<(), CliError> {
    let effective = parse_effective_time(duration)
        .map_err(|m| CliError::usage(m, "give --duration as seconds or e.g. 90s, 30m, 6h, 1d"))?;
    let ban = MediaBan::from_flags(audio, video).map_err(|_| {
        CliError::usage(
            "nothing to ban: give --audio, --video or both",
            "e.g. zego rule set --room R --stream S --audio --duration 6h",
        )
    })?;
    let op = SetForbidStreamRule::new(room, stream, ban, effective)?;
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    let what = match ban {
        MediaBan::Audio => "audio",
        MediaBan::Video => "video",
        MediaBan::AudioAndVideo => "audio and video",
    };
    ctx.out.result(
        || {
            format!(
                "Rule set: {what} of stream {} in room {} banned for {}{}",
                op.stream_id(),
                op.room_id(),
                format_secs(i64::from(effective.as_secs())),
                request_id_note(&response.request_id)
            )
        },
        || {
            json!({
                "ok": true,
                "action": SetForbidStreamRule::ACTION,
                "room_id": op.room_id(),
                "stream_id": op.stream_id(),
                "disable_audio": ban.audio(),
                "disable_video": ban.video(),
                "effective_time": effective.as_secs(),
                "request_id": response.request_id,
            })
        },
    );
    Ok(())
}

fn get(ctx: &Ctx<'_>, room: &str, stream_ids: &[String]) -> Result<(), CliError> {
    let ops = stream_ids
        .chunks(MAX_STREAMS_PER_DESCRIBE)
        .map(|chunk| DescribeForbidStreamRules::new(room, chunk.iter().cloned()))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(responses) = ctx.send_all(&ops)? else {
        return Ok(());
    };
    let mut rules: Vec<StreamRule> = Vec::new();
    let mut request_ids = Vec::new();
    for response in responses {
        rules.extend(response.data.rules);
        request_ids.push(response.request_id);
    }
    ctx.out.result(
        || {
            format!(
                "{}\nRoom {room}{}",
                rules_table(&rules),
                request_id_note(&request_ids.join(", "))
            )
        },
        || {
            let rules: Vec<Value> = rules
                .iter()
                .map(|r| {
                    json!({
                        "stream_id": r.stream_id,
                        "has_rule": !r.is_empty(),
                        "disable_audio": r.disable_audio,
                        "disable_video": r.disable_video,
                        "create_time": r.create_time,
                        "effective_time": r.effective_time,
                    })
                })
                .collect();
            json!({
                "ok": true,
                "action": DescribeForbidStreamRules::ACTION,
                "room_id": room,
                "rules": rules,
                "request_id": request_ids.first(),
                "request_ids": request_ids,
            })
        },
    );
    Ok(())
}

/// The rules as a table; streams without a rule show "no rule".
pub fn rules_table(rules: &[StreamRule]) -> String {
    let rows: Vec<Vec<String>> = rules.iter().map(rule_row).collect();
    table(&["STREAM", "AUDIO", "VIDEO", "CREATED", "EFFECTIVE"], &rows)
}

fn rule_row(rule: &StreamRule) -> Vec<String> {
    if rule.is_empty() {
        return vec![
            rule.stream_id.clone(),
            "no rule".into(),
            "-".into(),
            "-".into(),
            "-".into(),
        ];
    }
    let banned = |b: bool| if b { "banned" } else { "allowed" }.to_owned();
    vec![
        rule.stream_id.clone(),
        banned(rule.disable_audio),
        banned(rule.disable_video),
        format_unix(rule.create_time),
        format_secs(rule.effective_time),
    ]
}

fn delete(ctx: &Ctx<'_>, room: &str, stream: &str) -> Result<(), CliError> {
    let op = DelForbidStreamRule::new(room, stream)?;
    let Some(response) = ctx.send(&op)? else {
        ctx.finish_dry_run();
        return Ok(());
    };
    ctx.out.result(
        || format!("Rule deleted: stream {stream} in room {room}{}", request_id_note(&response.request_id)),
        || json!({ "ok": true, "action": DelForbidStreamRule::ACTION, "room_id": room, "stream_id": stream, "request_id": response.request_id }),
    );
    Ok(())
}
