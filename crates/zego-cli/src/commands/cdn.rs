//! `zego cdn forbid|resume|list`: CDN forbids.

use std::fmt::Write as _;

use serde_json::json;
use zego_proto::ops::{
    CdnForbidResult, CdnVendor, ForbidCdnLiveStream, QueryForbidCdnLiveStream, ResumeCdnLiveStream,
};

use super::{request_id_note, Ctx};
use crate::cli::CdnCommand;
use crate::exit::CliError;
use crate::output::table;

/// Runs `zego cdn ...`.
pub fn run(ctx: &Ctx<'_>, command: CdnCommand) -> Result<(), CliError> {
    match command {
        CdnCommand::Forbid {
            stream_id,
            resume_at,
        } => {
            let mut op = ForbidCdnLiveStream::new(stream_id.clone())?;
            if let Some(at) = &resume_at {
                op = op.resume_at(at.clone())?;
            }
            let Some(response) = ctx.send(&op)? else {
                ctx.finish_dry_run();
                return Ok(());
            };
            let until = resume_at
                .as_deref()
                .map_or(String::new(), |t| format!(" until {t}"));
            print_results(
                ctx,
                ForbidCdnLiveStream::ACTION,
                &stream_id,
                &format!("Forbidden on the CDN{until}"),
                &response.data,
                &response.request_id,
            );
        }
        CdnCommand::Resume { stream_id } => {
            let op = ResumeCdnLiveStream::new(stream_id.clone())?;
            let Some(response) = ctx.send(&op)? else {
                ctx.finish_dry_run();
                return Ok(());
            };
            print_results(
                ctx,
                ResumeCdnLiveStream::ACTION,
                &stream_id,
                "Resumed on the CDN",
                &response.data,
                &response.request_id,
            );
        }
        CdnCommand::List { vendor: _ } => {
            let op = QueryForbidCdnLiveStream::new(CdnVendor::WangSu);
            let Some(response) = ctx.send(&op)? else {
                ctx.finish_dry_run();
                return Ok(());
            };
            let list = &response.data.ws.result_detail;
            ctx.out.result(
                || {
                    if list.is_empty() {
                        return format!("No stream is forbidden on the ws CDN{}", request_id_note(&response.request_id));
                    }
                    let rows: Vec<Vec<String>> = list
                        .iter()
                        .map(|d| vec![d.url.clone(), d.channel.clone(), d.start_time.clone(), d.end_time.clone()])
                        .collect();
                    format!(
                        "{}\n{}",
                        table(&["URL", "CHANNEL", "START", "END"], &rows),
                        request_id_note(&response.request_id).trim_start()
                    )
                },
                || {
                    let entries: Vec<_> = list
                        .iter()
                        .map(|d| json!({ "channel": d.channel, "url": d.url, "start_time": d.start_time, "end_time": d.end_time }))
                        .collect();
                    json!({
                        "ok": true,
                        "action": QueryForbidCdnLiveStream::ACTION,
                        "vendor": "ws",
                        "forbidden": entries,
                        "request_id": response.request_id,
                    })
                },
            );
        }
    }
    Ok(())
}

fn print_results(
    ctx: &Ctx<'_>,
    action: &str,
    stream_id: &str,
    what: &str,
    results: &[CdnForbidResult],
    request_id: &str,
) {
    ctx.out.result(
        || {
            let mut text = format!("{what}: {stream_id}{}", request_id_note(request_id));
            for r in results {
                let _ = write!(text, "\n  {}: {}", r.cdn_type, r.cdn_result);
            }
            text
        },
        || {
            let cdn: Vec<_> = results
                .iter()
                .map(|r| json!({ "cdn_type": r.cdn_type, "cdn_result": r.cdn_result }))
                .collect();
            json!({ "ok": true, "action": action, "stream_id": stream_id, "cdn_results": cdn, "request_id": request_id })
        },
    );
}
