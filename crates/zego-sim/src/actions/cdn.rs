//! CDN forbid / resume / query (WangSu).

use serde_json::{json, Value};

use super::media::check_stream_id;
use super::{Ctx, Data, Reply};
use crate::codes;
use crate::state::{CdnForbid, EnvState};

/// Default CDN forbid duration when no `ResumeTime` is given: one day.
const DEFAULT_SECS: i64 = 86_400;
/// Longest CDN forbid: 30 days.
const MAX_SECS: i64 = 30 * 86_400;
/// The channel (domain) reported by `QueryForbidCDNLiveStream`.
pub(crate) const CDN_CHANNEL: &str = "publish.sim.zego.invalid";

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (UTC) to Unix seconds.
#[allow(clippy::many_single_char_names)]
pub(crate) fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
        || b[19] != b'Z'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = s.get(r)?;
        if part.bytes().all(|c| c.is_ascii_digit()) {
            part.parse().ok()
        } else {
            None
        }
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || se > 59
    {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se)
}

/// `ForbidCDNLiveStream`.
pub(super) fn forbid(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let id = ctx.params.get("StreamId").unwrap_or("");
    check_stream_id(ctx, id)?;
    let now = ctx.now_secs();
    let resume_time = match ctx.params.get("ResumeTime").filter(|s| !s.is_empty()) {
        None => now + DEFAULT_SECS,
        Some(t) => {
            let t = parse_utc(t).ok_or(codes::BAD_PARAM)?;
            if t <= now {
                return Err(codes::BAD_PARAM);
            }
            t.min(now + MAX_SECS)
        }
    };
    state.cdn.insert(
        id.to_owned(),
        CdnForbid {
            start_time: now,
            resume_time,
        },
    );
    Ok(Reply::ok(Data::Value(json!([
        {"CdnType": "ws", "CdnResult": "success append purge tasks."}
    ]))))
}

/// `ResumeCDNLiveStream`.
pub(super) fn resume(ctx: &Ctx<'_>, state: &mut EnvState) -> Result<Reply, i64> {
    let id = ctx.params.get("StreamId").unwrap_or("");
    check_stream_id(ctx, id)?;
    state.cdn.remove(id);
    Ok(Reply::ok(Data::Value(json!([
        {"CdnType": "ws", "CdnResult": "Resume tasks added successfully."}
    ]))))
}

/// `QueryForbidCDNLiveStream`.
pub(super) fn query(ctx: &Ctx<'_>, state: &EnvState) -> Result<Reply, i64> {
    if ctx.params.get("Vendor") != Some("ws") {
        return Err(codes::BAD_PARAM);
    }
    let detail: Vec<Value> = state
        .cdn
        .iter()
        .map(|(id, f)| {
            json!({
                "Channel": CDN_CHANNEL,
                "Url": format!("rtmp://{CDN_CHANNEL}/live/{id}"),
                "StartTime": f.start_time.to_string(),
                "EndTime": f.resume_time.to_string(),
            })
        })
        .collect();
    Ok(Reply::ok(Data::Value(
        json!({"Ws": {"ResultDetail": detail}}),
    )))
}

#[cfg(test)]
mod tests {
    use super::parse_utc;

    #[test]
    fn utc() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2018-11-29T19:00:00Z"), Some(1_543_518_000));
        assert_eq!(parse_utc("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_utc("2024-02-29T00:00:00Z"), Some(1_709_164_800));
        assert_eq!(parse_utc("2023-02-29T00:00:00Z"), None);
        assert_eq!(parse_utc("2023-13-01T00:00:00Z"), None);
        assert_eq!(parse_utc("2023-01-01T24:00:00Z"), None);
        assert_eq!(parse_utc("2023-01-01 00:00:00Z"), None);
        assert_eq!(parse_utc("2023-01-01T00:00:00+08:00"), None);
        assert_eq!(parse_utc("+023-01-01T00:00:00Z"), None);
        assert_eq!(parse_utc("2023-01-01T00:00:0éZ"), None);
        assert_eq!(parse_utc(""), None);
    }
}
