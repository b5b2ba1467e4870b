//! `zego bans run` (a worker until SIGINT/SIGTERM) and `zego bans tick` (one pass, for cron).

use std::time::{Duration, Instant};

use serde_json::json;
use zego_moderation::{AuditEntry, AuditFilter, Engine, Store, TickReport, RENEWAL_MARGIN_SECS};
use zego_proto::CancelToken;

use super::render;
use super::store::OpenStore;
use super::{engine_error, report_failure, store_error, worker_name};
use crate::commands::interrupt::Interrupts;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::output::{write_stderr, write_stdout};

/// How finely the worker's rest is cut, so a signal is answered at once.
const WAKE_CHECK: Duration = Duration::from_millis(50);

/// The audit entries written since the last look: what the work just done did.
struct AuditCursor {
    seen: usize,
}

impl AuditCursor {
    fn new(store: &dyn Store) -> Result<Self, CliError> {
        Ok(Self {
            seen: store
                .audit(&AuditFilter::default())
                .map_err(|e| store_error(&e))?
                .len(),
        })
    }

    fn new_entries(&mut self, store: &dyn Store) -> Result<Vec<AuditEntry>, CliError> {
        let all = store
            .audit(&AuditFilter::default())
            .map_err(|e| store_error(&e))?;
        let new = all.get(self.seen..).unwrap_or_default().to_vec();
        self.seen = all.len();
        Ok(new)
    }
}

/// One pass of the due work; prints what it did (one JSON document with `--json`).
pub fn tick_once(ctx: &Ctx<'_>, opened: &OpenStore) -> Result<(), CliError> {
    let store = &*opened.store;
    let mut cursor = AuditCursor::new(store)?;
    let engine = Engine::new(ctx.client()?, store, worker_name());
    let report = engine.tick().map_err(engine_error)?;
    let done = cursor.new_entries(store)?;
    ctx.out.result(
        || {
            let mut text = format!("Tick: {}", render::tick_summary(&report));
            for e in &done {
                text.push_str("\n  ");
                text.push_str(&render::audit_line(e));
            }
            text
        },
        || {
            let actions: Vec<_> = done.iter().map(render::audit_json).collect();
            json!({
                "ok": report.failed == 0,
                "done": report.done,
                "failed": report.failed,
                "lost_leases": report.lost_leases,
                "actions": actions,
            })
        },
    );
    if report.failed > 0 {
        report_failure(
            ctx,
            &format!("{} piece(s) of work failed", report.failed),
            "each is retried at a later tick once its 60 s lease runs out; `zego bans audit` shows why",
        );
        return Err(CliError::Reported);
    }
    Ok(())
}

/// The worker: ticks, rests until the next due work (at most `poll`), until SIGINT/SIGTERM; the tick under way is finished
/// (within `grace`), then it exits 0.
pub fn run(
    ctx: &Ctx<'_>,
    opened: &OpenStore,
    poll: Duration,
    grace: Duration,
) -> Result<(), CliError> {
    let store = &*opened.store;
    let worker = worker_name();
    let engine = Engine::new(ctx.client()?, store, worker.as_str());
    let mut cursor = AuditCursor::new(store)?;
    let stop = CancelToken::new();
    let interrupts = Interrupts::watch(&stop, grace, |signal| {
        // The tick outlasted the grace: leave it; its lease hands the work to another worker.
        write_stderr(
            "zego bans run: the work under way outlasted the grace period; exiting (its lease lets another worker take it over)",
        );
        std::process::exit(128 + signal);
    });
    ctx.out.note(format!(
        "zego bans run: worker {worker} on {}, waking for due work, at least every {}; SIGINT/SIGTERM stops it",
        opened.description,
        crate::duration::format_secs(i64::try_from(poll.as_secs()).unwrap_or(i64::MAX))
    ));
    while !stop.is_cancelled() {
        match engine.tick() {
            Ok(report) => {
                if report != TickReport::default() {
                    print_pass(ctx, &report, &cursor.new_entries(store)?);
                }
            }
            // A store or network hiccup must not end the worker: the work stays due.
            Err(e) => ctx
                .out
                .warn(format!("this pass failed, retried in {poll:?}: {e}")),
        }
        let rest_until = Instant::now() + rest(store, poll);
        while !stop.is_cancelled() && Instant::now() < rest_until {
            std::thread::sleep(WAKE_CHECK);
        }
    }
    let signal = interrupts.finish();
    ctx.out.note(format!(
        "zego bans run: stopped{}; no work left half done",
        signal.map_or(String::new(), |s| format!(" by signal {s}"))
    ));
    Ok(())
}

/// How long to rest: until the next renewal or end a ban in the store announces, at most
/// `poll` (which also catches bans made meanwhile and work another worker dropped).
fn rest(store: &dyn Store, poll: Duration) -> Duration {
    let Ok(bans) = store.unlifted_bans() else {
        return poll;
    };
    let now_ms = i128::from(crate::commands::now_unix_millis());
    bans.iter()
        .flat_map(|b| {
            [
                b.ends_at,
                b.effects
                    .rule_expires_at
                    .map(|e| e.saturating_sub(RENEWAL_MARGIN_SECS)),
            ]
        })
        .flatten()
        .map(|due| i128::from(due) * 1000 - now_ms)
        // Work already due is another worker's (leased) or failed (retried after its
        // lease): the poll comes back for it.
        .filter(|ms| *ms > 0)
        .min()
        .map_or(poll, |ms| {
            poll.min(Duration::from_millis(u64::try_from(ms).unwrap_or(u64::MAX)))
        })
}

/// What one pass did: lines for humans, one JSON line per entry with `--json`.
fn print_pass(ctx: &Ctx<'_>, report: &TickReport, entries: &[AuditEntry]) {
    if ctx.out.json {
        for e in entries {
            write_stdout(&render::audit_json(e).to_string());
        }
        return;
    }
    ctx.out.line(render::tick_summary(report));
    for e in entries {
        ctx.out.line(format!("  {}", render::audit_line(e)));
    }
}
