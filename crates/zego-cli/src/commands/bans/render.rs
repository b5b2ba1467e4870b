//! How bans, their enforcement and the audit log read: human lines and tables, and JSON.

use std::fmt::Write as _;

use serde_json::{json, Value};
use zego_moderation::{AuditEntry, Enforcement, StoredBan, Target, TickReport};

use crate::duration::{format_secs, format_unix};

/// What a ban holds down, in words: `user troll in room lobby (login, publish)`.
pub fn target_text(target: &Target) -> String {
    match target {
        Target::User {
            user_id,
            room_id,
            scopes,
        } => {
            let mut what = Vec::new();
            if scopes.login {
                what.push("login");
            }
            if scopes.publish {
                what.push("publish");
            }
            let where_ = room_id
                .as_ref()
                .map_or_else(|| "in every room".to_owned(), |r| format!("in room {r}"));
            format!("user {user_id} {where_} ({})", what.join(", "))
        }
        Target::Stream { stream_id } => format!("stream {stream_id}"),
        Target::Media {
            room_id,
            stream_id,
            audio,
            video,
        } => {
            let media = match (audio, video) {
                (true, true) => "audio and video",
                (true, false) => "audio",
                _ => "video",
            };
            format!("{media} of stream {stream_id} in room {room_id}")
        }
        other => format!("{other:?}"),
    }
}

/// How a ban is enforced, in words; a ban held without its rule says so loudly.
pub fn enforcement_text(ban: &StoredBan) -> String {
    match &ban.enforcement {
        Enforcement::Pending => "pending".into(),
        Enforcement::Full => {
            let mut parts = vec!["full".to_owned()];
            let e = &ban.effects;
            if let Some(expires) = e.rule_expires_at {
                parts.push(format!("rule until {}", format_unix(expires)));
            }
            if !e.forbidden_streams.is_empty() {
                parts.push(format!("forbade {}", e.forbidden_streams.join(" ")));
            }
            if e.kicked {
                parts.push("kicked".into());
            }
            parts.join("; ")
        }
        Enforcement::WithoutRule { means } => format!(
            "WITHOUT RULE (ZEGO's cap of live rules, 50123): held by {}; the rule is retried every 10 minutes",
            if means.is_empty() {
                "nothing else".to_owned()
            } else {
                means.join(", ")
            }
        ),
        Enforcement::Failing { reason } => format!("FAILING (retried): {reason}"),
        Enforcement::Lifted => "lifted".into(),
        other => format!("{other:?}"),
    }
}

/// When a ban ends, in words, at `now`.
pub fn ends_text(ban: &StoredBan, now: i64) -> String {
    match ban.ends_at {
        None => "never".into(),
        Some(end) if end <= now && ban.enforcement != Enforcement::Lifted => {
            format!("{} (ended; lift due)", format_unix(end))
        }
        Some(end) => format_unix(end),
    }
}

/// `b1: user troll in room lobby (login, publish) for 3d, until ...`, then how it is enforced.
pub fn ban_lines(verb: &str, ban: &StoredBan) -> String {
    let how_long = match ban.ends_at {
        None => "forever".to_owned(),
        Some(end) => format!(
            "for {}, until {}",
            format_secs(end - ban.created_at),
            format_unix(end)
        ),
    };
    format!(
        "{verb} {}: {} {how_long}\n  enforcement: {}",
        ban.id,
        target_text(ban.request.target()),
        enforcement_text(ban)
    )
}

/// A ban as a JSON object: ID, target, reason, actor, times, enforcement, effects.
pub fn ban_json(ban: &StoredBan, now: i64) -> Value {
    json!({
        "id": ban.id.to_string(),
        "target": ban.request.target(),
        "reason": ban.request.reason(),
        "actor": ban.request.actor(),
        "created_at": ban.created_at,
        "ends_at": ban.ends_at,
        "active": ban.is_active_at(now),
        "enforcement": ban.enforcement,
        "effects": ban.effects,
    })
}

/// The bans as a table.
pub fn ban_table(bans: &[StoredBan], now: i64) -> String {
    let rows: Vec<Vec<String>> = bans
        .iter()
        .map(|b| {
            vec![
                b.id.to_string(),
                target_text(b.request.target()),
                ends_text(b, now),
                enforcement_text(b),
                b.request.reason().to_owned(),
            ]
        })
        .collect();
    crate::output::table(&["ID", "TARGET", "ENDS", "ENFORCEMENT", "REASON"], &rows)
}

/// An audit entry as a JSON object (the ban as `b<N>`).
pub fn audit_json(entry: &AuditEntry) -> Value {
    json!({
        "at": entry.at,
        "ban": entry.ban.to_string(),
        "action": entry.action,
        "actor": entry.actor,
        "reason": entry.reason,
        "user_id": entry.user_id,
        "stream_id": entry.stream_id,
        "request_ids": entry.request_ids,
        "outcome": entry.outcome,
    })
}

/// Audit entries as a table.
pub fn audit_table(entries: &[AuditEntry]) -> String {
    let rows: Vec<Vec<String>> = entries.iter().map(audit_row).collect();
    crate::output::table(
        &[
            "AT",
            "BAN",
            "ACTION",
            "TARGET",
            "ACTOR",
            "OUTCOME",
            "REQUEST_IDS",
        ],
        &rows,
    )
}

fn audit_row(e: &AuditEntry) -> Vec<String> {
    let target = match (&e.user_id, &e.stream_id) {
        (Some(u), _) => format!("user {u}"),
        (None, Some(s)) => format!("stream {s}"),
        (None, None) => String::new(),
    };
    vec![
        format_unix(e.at),
        e.ban.to_string(),
        e.action.clone(),
        target,
        e.actor.clone(),
        e.outcome.clone(),
        e.request_ids.join(","),
    ]
}

/// One audit entry as a line: `2026-12-03 12:00:00 UTC b1 lift ok (RequestIds a,b)`.
pub fn audit_line(e: &AuditEntry) -> String {
    let ids = if e.request_ids.is_empty() {
        String::new()
    } else {
        format!(" (RequestIds {})", e.request_ids.join(","))
    };
    format!(
        "{} {} {}: {}{ids}",
        format_unix(e.at),
        e.ban,
        e.action,
        e.outcome
    )
}

/// A tick's counts in words.
pub fn tick_summary(report: &TickReport) -> String {
    let mut text = format!(
        "{} piece(s) of work done, {} failed",
        report.done, report.failed
    );
    if report.lost_leases > 0 {
        let _ = write!(
            text,
            ", {} finished after their lease went to another worker",
            report.lost_leases
        );
    }
    text
}
