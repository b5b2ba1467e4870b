//! `zego ban`, `zego unban`, `zego bans list|audit|run|tick`: bans that hold, on
//! `zego_moderation`'s engine and store.

mod render;
mod store;
mod worker;

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use zego_moderation::{
    check_text, AuditFilter, BanDuration, BanId, BanRequest, Enforcement, Engine, EngineError,
    Scopes, StoredBan, Target,
};
use zego_proto::ids::{check_stream_id, check_user_id};

use super::Ctx;
use crate::cli::{BanCommand, BanTermArgs, BansCommand, Privilege, UnbanArgs};
use crate::duration::parse_secs;
use crate::exit::CliError;
use crate::output::write_stderr;

pub use store::open_store;

/// Runs `zego ban ...`.
pub fn ban(ctx: &Ctx<'_>, command: BanCommand) -> Result<(), CliError> {
    refuse_dry_run(ctx, "zego ban")?;
    let (target, term) = match command {
        BanCommand::User {
            user_id,
            room,
            scope,
            term,
        } => (
            Target::User {
                user_id,
                room_id: room,
                scopes: Scopes {
                    login: scope.contains(&Privilege::Login),
                    publish: scope.contains(&Privilege::Publish),
                },
            },
            term,
        ),
        BanCommand::Stream { stream_id, term } => (Target::Stream { stream_id }, term),
        BanCommand::Media {
            room,
            stream,
            audio,
            video,
            term,
        } => (
            Target::Media {
                room_id: room,
                stream_id: stream,
                audio,
                video,
            },
            term,
        ),
    };
    // Everything is checked before the store is opened: bad input stores and sends nothing.
    let request = BanRequest::new(
        target,
        parse_ban_duration(&term.duration)?,
        term.reason.as_str(),
        actor(term.actor.as_deref()),
    )?;
    run_ban(ctx, &term, &request)
}

fn run_ban(ctx: &Ctx<'_>, term: &BanTermArgs, request: &BanRequest) -> Result<(), CliError> {
    let opened = open_store(ctx, &term.store)?;
    let engine = Engine::new(ctx.client()?, &*opened.store, worker_name());
    let ban = engine.ban(request).map_err(engine_error)?;
    let now = engine.now();
    let failing = matches!(ban.enforcement, Enforcement::Failing { .. });
    ctx.out.result(
        || render::ban_lines("Banned", &ban),
        || with_ok(!failing, render::ban_json(&ban, now)),
    );
    if let Enforcement::WithoutRule { means } = &ban.enforcement {
        ctx.out.warn(format!(
            "{} is enforced WITHOUT its rule: ZEGO refused it for its cap of live rules (50123); it holds through {} only, and a worker (`zego bans run` or `zego bans tick`) retries the rule every 10 minutes",
            ban.id,
            if means.is_empty() { "nothing else".to_owned() } else { means.join(", ") }
        ));
    }
    if failing {
        report_failure(
            ctx,
            &format!("{} is stored but not in force yet", ban.id),
            "its work is retried once its 60 s lease runs out: keep `zego bans run` running, or run `zego bans tick`; `zego bans audit` shows what failed",
        );
        return Err(CliError::Reported);
    }
    Ok(())
}

/// Runs `zego unban ...`.
pub fn unban(ctx: &Ctx<'_>, args: &UnbanArgs) -> Result<(), CliError> {
    refuse_dry_run(ctx, "zego unban")?;
    let which = parse_unban_target(args)?;
    let actor = actor(args.actor.as_deref());
    check_text("actor", &actor)?;
    let opened = open_store(ctx, &args.store)?;
    let store = &*opened.store;
    let ids: Vec<BanId> = match &which {
        Unban::Id(id) => {
            let ban = store.ban(*id).map_err(|e| store_error(&e))?;
            if ban.enforcement == Enforcement::Lifted {
                ctx.out.result(
                    || format!("{id} was already lifted"),
                    || json!({ "ok": true, "count": 0, "already_lifted": [id.to_string()], "lifted": [] }),
                );
                return Ok(());
            }
            vec![*id]
        }
        other => store
            .unlifted_bans()
            .map_err(|e| store_error(&e))?
            .into_iter()
            .filter(|b| other.matches(b.request.target(), args.room.as_deref()))
            .map(|b| b.id)
            .collect(),
    };
    let mut lifted = Vec::new();
    if !ids.is_empty() {
        // Only a lift needs the client (and so the ServerSecret).
        let engine = Engine::new(ctx.client()?, store, worker_name());
        for id in ids {
            lifted.push(engine.unban(id, &actor).map_err(engine_error)?);
        }
    }
    let now = unix_now();
    let not_lifted: Vec<&StoredBan> = lifted
        .iter()
        .filter(|b| b.enforcement != Enforcement::Lifted)
        .collect();
    let what = which.describe(args.room.as_deref());
    ctx.out.result(
        || {
            if lifted.is_empty() {
                return format!("No ban in force on {what}: nothing lifted");
            }
            let mut text = format!(
                "Lifted {} ban(s) on {what}:",
                lifted.len() - not_lifted.len()
            );
            for b in &lifted {
                let _ = write!(
                    text,
                    "\n  {} {} ({})",
                    b.id,
                    render::target_text(b.request.target()),
                    render::enforcement_text(b)
                );
            }
            text
        },
        || {
            let list: Vec<_> = lifted.iter().map(|b| render::ban_json(b, now)).collect();
            json!({
                "ok": not_lifted.is_empty(),
                "count": lifted.len() - not_lifted.len(),
                "lifted": list,
            })
        },
    );
    if !not_lifted.is_empty() {
        let ids: Vec<String> = not_lifted.iter().map(|b| b.id.to_string()).collect();
        report_failure(
            ctx,
            &format!("{} not lifted yet", ids.join(", ")),
            "the lift is retried once its 60 s lease runs out by `zego bans run` or `zego bans tick`; `zego bans audit` shows what failed",
        );
        return Err(CliError::Reported);
    }
    Ok(())
}

/// Runs `zego bans ...`.
pub fn bans(ctx: &Ctx<'_>, command: BansCommand) -> Result<(), CliError> {
    refuse_dry_run(ctx, "zego bans")?;
    match command {
        BansCommand::List { all, store } => list(ctx, &open_store(ctx, &store)?, all),
        BansCommand::Audit {
            user,
            stream,
            store,
        } => {
            let mut filter = AuditFilter::default();
            filter.user_id = user;
            filter.stream_id = stream;
            audit(ctx, &open_store(ctx, &store)?, &filter)
        }
        BansCommand::Run { poll, grace, store } => {
            let poll = parse_secs(&poll)
                .map_err(|m| CliError::usage(format!("--poll: {m}"), "give e.g. 5s, 30s, 1m"))?;
            if poll == 0 {
                return Err(CliError::usage(
                    "--poll 0: the worker would never rest",
                    "give at least 1s",
                ));
            }
            let opened = open_store(ctx, &store)?;
            worker::run(
                ctx,
                &opened,
                Duration::from_secs(poll),
                Duration::from_secs(grace),
            )
        }
        BansCommand::Tick { store } => worker::tick_once(ctx, &open_store(ctx, &store)?),
    }
}

fn list(ctx: &Ctx<'_>, opened: &store::OpenStore, all: bool) -> Result<(), CliError> {
    let store = &*opened.store;
    let mut bans = store.unlifted_bans().map_err(|e| store_error(&e))?;
    if all {
        // Every ban has a `ban` audit entry: the store's bans are the audit's.
        let mut ids: Vec<BanId> = store
            .audit(&AuditFilter::default())
            .map_err(|e| store_error(&e))?
            .into_iter()
            .map(|e| e.ban)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids.retain(|id| !bans.iter().any(|b| b.id == *id));
        for id in ids {
            bans.push(store.ban(id).map_err(|e| store_error(&e))?);
        }
    }
    bans.sort_by_key(|b| b.id);
    let now = unix_now();
    ctx.out.result(
        || {
            if bans.is_empty() {
                return if all {
                    "No ban".into()
                } else {
                    "No ban in force".into()
                };
            }
            render::ban_table(&bans, now)
        },
        || {
            let list: Vec<_> = bans.iter().map(|b| render::ban_json(b, now)).collect();
            json!({ "ok": true, "bans": list })
        },
    );
    Ok(())
}

/// The audit log: a table, or with `--json` one JSON line per entry (not one document: it
/// streams into `jq` and log files).
fn audit(ctx: &Ctx<'_>, opened: &store::OpenStore, filter: &AuditFilter) -> Result<(), CliError> {
    let entries = opened.store.audit(filter).map_err(|e| store_error(&e))?;
    if ctx.out.json {
        for e in &entries {
            crate::output::write_stdout(&render::audit_json(e).to_string());
        }
    } else if entries.is_empty() {
        ctx.out.line("No audit entry");
    } else {
        ctx.out.line(render::audit_table(&entries));
    }
    Ok(())
}

/// Which bans `zego unban` lifts.
enum Unban {
    Id(BanId),
    User(String),
    Stream(String),
}

impl Unban {
    /// Whether a ban on `target` is one of those to lift (`room`: with `user`, only bans in it).
    fn matches(&self, target: &Target, room: Option<&str>) -> bool {
        match (self, target) {
            (
                Self::User(u),
                Target::User {
                    user_id, room_id, ..
                },
            ) => u == user_id && room.is_none_or(|r| room_id.as_deref() == Some(r)),
            (Self::Stream(s), Target::Stream { stream_id } | Target::Media { stream_id, .. }) => {
                s == stream_id
            }
            _ => false,
        }
    }

    fn describe(&self, room: Option<&str>) -> String {
        match (self, room) {
            (Self::Id(id), _) => id.to_string(),
            (Self::User(u), Some(r)) => format!("user {u} in room {r}"),
            (Self::User(u), None) => format!("user {u}"),
            (Self::Stream(s), _) => format!("stream {s}"),
        }
    }
}

const UNBAN_HINT: &str =
    "give a ban ID (b12, see `zego bans list`), `user USER_ID [--room ROOM_ID]` or `stream STREAM_ID`";

fn parse_unban_target(args: &UnbanArgs) -> Result<Unban, CliError> {
    let which = match args.target.as_slice() {
        [kind] if kind == "user" || kind == "stream" => {
            return Err(CliError::usage(
                format!(
                    "unban {kind}: the {} is missing",
                    kind.to_uppercase() + "_ID"
                ),
                UNBAN_HINT,
            ))
        }
        [id] => Unban::Id(parse_ban_id(id)?),
        [kind, user] if kind == "user" => {
            check_user_id(user)?;
            Unban::User(user.clone())
        }
        [kind, stream] if kind == "stream" => {
            check_stream_id(stream)?;
            Unban::Stream(stream.clone())
        }
        [kind, _] => {
            return Err(CliError::usage(
                format!("unban {kind:?}: expected `user` or `stream` before the ID"),
                UNBAN_HINT,
            ))
        }
        _ => return Err(CliError::usage("unban: nothing to lift given", UNBAN_HINT)),
    };
    if args.room.is_some() && !matches!(which, Unban::User(_)) {
        return Err(CliError::usage(
            "--room only applies to `zego unban user USER_ID`",
            UNBAN_HINT,
        ));
    }
    if let Some(room) = &args.room {
        zego_proto::ids::check_room_id(room)?;
    }
    Ok(which)
}

/// `b12` (or `12`) as a ban ID.
fn parse_ban_id(text: &str) -> Result<BanId, CliError> {
    text.strip_prefix('b')
        .unwrap_or(text)
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .map(BanId)
        .ok_or_else(|| {
            CliError::usage(
                format!("BAN_ID {text:?} is not a ban ID like b12"),
                UNBAN_HINT,
            )
        })
}

/// `--for`: the CLI's durations (`3600`, `90s`, `30m`, `3d`, `2w`, `1h30m`) or `forever`.
fn parse_ban_duration(text: &str) -> Result<BanDuration, CliError> {
    let hint = "give --for as seconds or e.g. 90s, 30m, 6h, 3d, 2w, or forever";
    if text.trim().eq_ignore_ascii_case("forever") {
        return Ok(BanDuration::Forever);
    }
    let secs = parse_secs(text).map_err(|m| CliError::usage(format!("--for: {m}"), hint))?;
    if secs == 0 {
        return Err(CliError::usage("--for 0: a ban lasts at least 1 s", hint));
    }
    // Far beyond any ban (and past i64 seconds), `forever` is meant.
    if secs > 100 * 365 * 86_400 {
        return Err(CliError::usage(
            format!("--for {text}: more than 100 years"),
            "give --for forever for a ban until it is lifted",
        ));
    }
    Ok(BanDuration::For(Duration::from_secs(secs)))
}

/// The actor: `--actor`, else the OS user name, else `cli`.
fn actor(given: Option<&str>) -> String {
    given.map_or_else(
        || {
            ["USER", "USERNAME", "LOGNAME"]
                .iter()
                .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
                .unwrap_or_else(|| "cli".to_owned())
        },
        str::to_owned,
    )
}

/// This worker's name in the fleet's leases: the host and the process.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_owned());
    format!("zego-cli@{host}:{}", std::process::id())
}

fn refuse_dry_run(ctx: &Ctx<'_>, name: &str) -> Result<(), CliError> {
    if ctx.dry_run() {
        return Err(CliError::usage(
            format!("{name} does not support --dry-run: a ban is stored, applied and renewed over time"),
            "leave out --dry-run; to see one request signed, try `zego --dry-run user-rule set ...`",
        ));
    }
    Ok(())
}

fn store_error(e: &zego_moderation::StoreError) -> CliError {
    let hint = match e {
        zego_moderation::StoreError::NoSuchBan(_) => {
            "see `zego bans list --all` for the bans of this store (and --bans-store / --redis for which store)"
        }
        _ => "check the ban store (--bans-store PATH, or --redis) and run the command again",
    };
    CliError::Failed {
        message: e.to_string(),
        hint: hint.into(),
    }
}

fn engine_error(e: EngineError) -> CliError {
    match e {
        EngineError::Store(e) => store_error(&e),
        EngineError::Call { source, .. } => CliError::Call(*source),
        EngineError::Validation(v) => CliError::Validation(v),
        other => CliError::Failed {
            message: other.to_string(),
            hint: "run the command again; `zego bans audit` shows what was done".into(),
        },
    }
}

/// `{"ok": ok, ...fields}`.
fn with_ok(ok: bool, mut value: serde_json::Value) -> serde_json::Value {
    if let Some(map) = value.as_object_mut() {
        let mut out = serde_json::Map::new();
        out.insert("ok".into(), json!(ok));
        out.extend(std::mem::take(map));
        return serde_json::Value::Object(out);
    }
    value
}

/// An error line and hint on stderr, for a failure whose result was printed (in JSON mode
/// the document's `"ok": false` says it).
fn report_failure(ctx: &Ctx<'_>, message: &str, hint: &str) {
    if !ctx.out.json {
        write_stderr(&format!("error: {message}"));
        write_stderr(&format!("  hint: {hint}"));
    }
}

/// Now, in Unix seconds (the client's clock is the system's).
fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_forever() {
        assert_eq!(parse_ban_duration("forever").unwrap(), BanDuration::Forever);
        assert_eq!(
            parse_ban_duration("3d").unwrap(),
            BanDuration::For(Duration::from_secs(3 * 86_400))
        );
        for bad in ["0", "", "soon", "5x", "1000y"] {
            let err = parse_ban_duration(bad).unwrap_err();
            assert!(err.to_string().contains("--for"), "{bad}: {err}");
        }
    }

    #[test]
    fn ban_ids() {
        assert_eq!(parse_ban_id("b12").unwrap(), BanId(12));
        assert_eq!(parse_ban_id("7").unwrap(), BanId(7));
        for bad in ["b", "b0", "bx", "user", "-3"] {
            assert!(parse_ban_id(bad).is_err(), "{bad}");
        }
    }
}
