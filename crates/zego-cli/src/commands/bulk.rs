//! `zego forbid` and `zego resume`: any number of streams, in batches of 20, concurrently.

use std::fmt::Write as _;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use zego_journal::WriteError;
use zego_proto::bulk::journal::JournalHeader;
use zego_proto::bulk::{BatchItem, BatchOutcome, BulkStop, FailFast, StreamBatches};
use zego_proto::ops::{ForbidRtcStreams, ResumeRtcStreams};
use zego_proto::{
    bulk::{BulkAction, BulkOptions, BulkReport},
    CancelToken,
};

use super::Ctx;
use crate::cli::BulkArgs;
use crate::exit::{self, call_exit_code, CliError};
use crate::ids::{self, IdSource, InputFile, ReadState};
use crate::output::Output;

/// Runs with more IDs than this get a progress bar (on a terminal).
const PROGRESS_THRESHOLD: u64 = 100;

/// How long after `--grace` an interrupted run has to return before the CLI prints what it
/// knows and exits anyway.
const RUN_RETURN_MARGIN: Duration = Duration::from_secs(3);

/// Forbid or resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `ForbidRTCStreams`.
    Forbid,
    /// `ResumeRTCStreams`.
    Resume,
}

impl Direction {
    fn action(self) -> &'static str {
        match self {
            Self::Forbid => ForbidRtcStreams::ACTION,
            Self::Resume => ResumeRtcStreams::ACTION,
        }
    }

    fn past(self) -> &'static str {
        match self {
            Self::Forbid => "forbidden",
            Self::Resume => "resumed",
        }
    }

    fn bulk_action(self) -> BulkAction {
        match self {
            Self::Forbid => BulkAction::Forbid,
            Self::Resume => BulkAction::Resume,
        }
    }
}

/// Runs `zego forbid` / `zego resume`.
pub fn run(ctx: &Ctx<'_>, direction: Direction, args: BulkArgs) -> Result<(), CliError> {
    let file = args
        .from_file
        .as_deref()
        .map(InputFile::classify)
        .transpose()?;
    if !ctx.dry_run() {
        check_every_id(ctx, &args.stream_ids)?;
    }
    // A regular file is read whole and checked before the first request, so a bad line
    // anywhere means nothing is sent (stdin and pipes cannot be read twice: they stop at
    // the bad line instead, and the report says what was sent).
    if let Some(file @ InputFile::Regular(_)) = &file {
        ids::validate_file(file, id_check(ctx)?)?;
    }
    let journal = match &args.journal {
        Some(path) if !ctx.dry_run() => {
            Some(open_journal(ctx, direction, &args, file.as_ref(), path)?)
        }
        _ => None,
    };
    let ids = IdSource::new(args.stream_ids, file.as_ref(), id_check(ctx)?)?;
    let read_state = ids.state_slot();
    if ctx.dry_run() {
        return dry_run(ctx, direction, ids, &read_state);
    }
    let client = ctx.client()?;
    let progress = Progress::new(ctx.out.progress_allowed());
    let cancel = CancelToken::new();
    let mut options = BulkOptions::default()
        .with_concurrency(usize::from(args.concurrency))
        .with_batch_size(usize::from(args.batch_size))
        .with_fail_fast(
            FailFast::default()
                .after_batches(args.fail_fast_after)
                .rate_limit_budget(Duration::from_secs(args.rate_limit_budget)),
        )
        .with_succeeded_ids(args.list_succeeded)
        .with_cancel(cancel.clone())
        .with_cancel_grace(Duration::from_secs(args.grace));
    let tally = Arc::new(Mutex::new(BulkReport::default()));
    let on_progress = progress.callback();
    let journal = journal.map(Arc::new);
    // The first journal write that failed: it stops the run (a run that cannot record
    // what it did must not go on).
    let journal_failure = Arc::new(Mutex::new(None::<WriteError>));
    let (record, failure) = (journal.clone(), Arc::clone(&journal_failure));
    let seen = Arc::clone(&tally);
    options.on_batch = Some(Arc::new(move |batch: &BatchOutcome| {
        let mut flow = ControlFlow::Continue(());
        // An unknown batch (out when the grace ended) is not recorded by `append`: a
        // resumed run sends it again.
        if let Some(Err(e)) = record.as_ref().map(|journal| journal.append(batch)) {
            failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .get_or_insert(e);
            flow = ControlFlow::Break(());
        }
        on_progress(batch);
        seen.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(batch);
        flow
    }));
    if let Some(journal) = journal {
        let skipped = journal.done().done_batches();
        if skipped > 0 {
            ctx.out.note(format!(
                "journal: {skipped} batch(es) already done will be skipped"
            ));
        }
        options.skip = Some(Arc::new(move |index| journal.done().is_done(index)));
    }
    // SIGINT/SIGTERM: stop taking batches; the run waits `--grace` for the requests out,
    // then returns with them counted as unknown. Only if it has not returned a while after
    // that (reading a stalled stdin, say) is what the batches told so far printed.
    let started = Instant::now();
    let interrupts = {
        let (out, tally) = (ctx.out, Arc::clone(&tally));
        let backstop = Duration::from_secs(args.grace) + RUN_RETURN_MARGIN;
        super::interrupt::Interrupts::watch(&cancel, backstop, move |signal| {
            let mut report = tally.lock().unwrap_or_else(PoisonError::into_inner).clone();
            report.stopped = Some(BulkStop::Interrupted);
            render_to(out, direction, &report, started.elapsed(), None, None);
            std::process::exit(128 + signal);
        })
    };
    let report = client.bulk(direction.bulk_action(), ids, &options);
    let signal = interrupts.finish();
    let elapsed = started.elapsed();
    progress.finish();
    let read = ids::read_state(&read_state);
    let journal_failure = journal_failure
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let stops = Stops {
        read,
        signal,
        journal_failure,
    };
    conclude(ctx, direction, &report, elapsed, &stops)
}

/// What, besides the report, says how the run ended.
struct Stops {
    /// The input's reading state (a bad line of stdin stops the run).
    read: ReadState,
    /// SIGINT or SIGTERM.
    signal: Option<i32>,
    /// The journal write that failed and stopped the run.
    journal_failure: Option<WriteError>,
}

/// Prints the report and picks the exit: 0, 1 (some failed, the journal could not be
/// written, or a bad line of stdin stopped the run after some were sent), 2 (a bad first
/// line: nothing sent), 3, 130/143.
fn conclude(
    ctx: &Ctx<'_>,
    direction: Direction,
    report: &BulkReport,
    elapsed: Duration,
    stops: &Stops,
) -> Result<(), CliError> {
    let (read, signal) = (&stops.read, stops.signal);
    if let Some(error) = &read.error {
        if report.total() == 0 && report.skipped == 0 {
            // The first line was bad: nothing was sent, so it is a plain usage error.
            return Err(CliError::usage(
                error.to_string(),
                "fix that line and run again; nothing was sent",
            ));
        }
    }
    render_to(
        ctx.out,
        direction,
        report,
        elapsed,
        read.error.is_some().then_some(read),
        stops.journal_failure.as_ref(),
    );
    if let Some(signal) = signal {
        return Err(CliError::Interrupted { signal });
    }
    if let Some(failure) = &stops.journal_failure {
        return Err(CliError::JournalWrite(failure.to_string()));
    }
    if read.error.is_some() {
        // Partly done: exit 1 like a run where some streams failed (the report printed
        // above says exactly what was sent).
        return Err(CliError::Partial {
            failed: report.failed(),
            all_transport: false,
        });
    }
    if report.is_success() {
        Ok(())
    } else {
        let all_transport = report.succeeded == 0
            && !report.failures.is_empty()
            && report
                .failures
                .iter()
                .all(|f| call_exit_code(&f.error) == exit::TRANSPORT);
        Err(CliError::Partial {
            failed: report.failed(),
            all_transport,
        })
    }
}

/// IDs given on the command line are few and all in memory already: every one is checked
/// before the first request, so a bad one is a validation error (exit 2) with nothing sent,
/// not a failed batch among sent ones (exit 1). A file's are checked by [`IdSource`].
fn check_every_id(ctx: &Ctx<'_>, stream_ids: &[String]) -> Result<(), CliError> {
    let check = id_check(ctx)?;
    for id in stream_ids {
        check(id)?;
    }
    Ok(())
}

/// The core's check of one stream ID for this app and environment (the test prefix
/// counts toward the length), as the bulk run's batches apply it.
fn id_check(ctx: &Ctx<'_>) -> Result<ids::IdCheck, CliError> {
    let credentials = ctx.credentials()?;
    let batches = StreamBatches::new(
        std::iter::empty(),
        credentials.app_id(),
        ctx.settings.config.environment(),
    );
    Ok(Box::new(move |id| batches.check(id)))
}

/// Opens `--journal` for this run: its header names the action, the AppId, the input
/// file's digest and the batch size.
fn open_journal(
    ctx: &Ctx<'_>,
    direction: Direction,
    args: &BulkArgs,
    file: Option<&InputFile>,
    path: &std::path::Path,
) -> Result<zego_journal::JournalFile, CliError> {
    let Some(InputFile::Regular(file)) = file else {
        return Err(CliError::usage(
            "--journal needs --from-file with a regular file (stdin or a pipe cannot be read again to resume)",
            "save the IDs to a file and give it with --from-file",
        ));
    };
    let credentials = ctx.credentials()?;
    let header = JournalHeader::new(
        direction.bulk_action(),
        credentials.app_id(),
        ctx.settings.config.environment(),
        super::journal::input_digest(&args.stream_ids, file)?,
        usize::from(args.batch_size),
    );
    super::journal::open(path, &header)
}

/// Prints the report: one text block, or one JSON document. `stopped_input` is the
/// reading state when a bad line of stdin (or a pipe) stopped the run; `journal_failure`
/// the journal write that stopped it.
fn render_to(
    out: Output,
    direction: Direction,
    report: &BulkReport,
    elapsed: Duration,
    stopped_input: Option<&ReadState>,
    journal_failure: Option<&WriteError>,
) {
    let secs = elapsed.as_secs_f64();
    out.result(
        || {
            let mut not_attempted = if report.not_attempted > 0 {
                format!(", {} not attempted", report.not_attempted)
            } else {
                String::new()
            };
            if !report.unknown.is_empty() {
                let _ = write!(not_attempted, ", {} unknown", report.unknown.len());
            }
            let mut text = format!(
                "{}: {} of {} stream(s) {}, {} failed{not_attempted}, {} request(s), {secs:.2} s",
                direction.action(),
                report.succeeded,
                report.total(),
                direction.past(),
                report.failed(),
                report.requests,
            );
            if report.skipped > 0 {
                let _ = write!(text, "; {} skipped (already done per the journal)", report.skipped);
            }
            match report.stopped {
                _ if journal_failure.is_some() => {
                    let _ = write!(text, "\nSTOPPED: {}; nothing more was sent", journal_failure.map(ToString::to_string).unwrap_or_default());
                }
                Some(BulkStop::Interrupted) => text.push_str("\nSTOPPED: interrupted; run the same command with --journal to go on"),
                Some(BulkStop::FailFast) => text.push_str("\nSTOPPED: every batch was failing the same way; the rest was not attempted"),
                Some(BulkStop::RateLimited) => text.push_str("\nSTOPPED: ZEGO kept answering rate limit (30002/206) beyond --rate-limit-budget; try again later"),
                Some(other) => { let _ = write!(text, "\nSTOPPED: {other}"); }
                None => {}
            }
            for failure in &report.failures {
                let err = CliError::Call(failure.error.clone());
                let _ = write!(
                    text,
                    "\nFAILED {}: {}\n  hint: {}",
                    failure.stream_ids.join(", "),
                    failure.error,
                    err.hint().unwrap_or_default()
                );
            }
            if !report.unknown.is_empty() {
                let _ = write!(
                    text,
                    "\nUNKNOWN (in flight when the run stopped waiting; may have been applied): {}\n  hint: {}",
                    report.unknown.join(", "),
                    UNKNOWN_HINT,
                );
            }
            if !report.succeeded_ids.is_empty() {
                let _ = write!(text, "\nSUCCEEDED: {}", report.succeeded_ids.join(", "));
            }
            if let Some(read) = stopped_input {
                let _ = write!(text, "\n{}", input_stop_text(direction, read, report));
            }
            text
        },
        || {
            let failures: Vec<Value> = report
                .failures
                .iter()
                .map(|f| json!({ "stream_ids": f.stream_ids, "error": CliError::Call(f.error.clone()).to_json() }))
                .collect();
            let mut doc = json!({
                "ok": report.is_success(),
                "action": direction.action(),
                "succeeded": report.succeeded,
                "failed": report.failed(),
                "not_attempted": report.not_attempted,
                "unknown": report.unknown.len(),
                "unknown_ids": report.unknown,
                "skipped": report.skipped,
                "total": report.total(),
                "stopped": report.stopped.map(BulkStop::as_str),
                "requests": report.requests,
                "duration_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                "failures": failures,
            });
            if !report.succeeded_ids.is_empty() {
                doc["succeeded_ids"] = json!(report.succeeded_ids);
            }
            if let Some(failure) = journal_failure {
                doc["ok"] = json!(false);
                doc["stopped"] = json!("journal_write_failed");
                doc["journal_error"] = json!(failure.to_string());
            }
            if let Some(read) = stopped_input {
                doc["ok"] = json!(false);
                doc["stopped"] = json!("invalid_input");
                doc["input_error"] = input_stop_json(read);
            }
            doc
        },
    );
}

/// What to do about streams whose fate is unknown.
const UNKNOWN_HINT: &str = "send them again (safe: the action is idempotent); with --journal, running the same command does";

/// The human account of a run that a bad line stopped: where, why, and what was sent.
fn input_stop_text(direction: Direction, read: &ReadState, report: &BulkReport) -> String {
    let Some(error) = &read.error else {
        return String::new();
    };
    let before = match &read.last {
        Some((id, line)) => format!(
            "{} ID(s) of the input before it were sent (the last: {id:?}, line {line})",
            read.ids_read
        ),
        None => "no ID of the input came before it".into(),
    };
    format!(
        "STOPPED at {error}\n  {before}; {} stream(s) {} in all, {} failed; nothing after it was read or sent\n  hint: {}",
        report.succeeded,
        direction.past(),
        report.failed(),
        input_stop_hint(error),
    )
}

/// What to do after a bad line stopped the run.
fn input_stop_hint(error: &ids::InputError) -> String {
    format!(
        "fix line {} and send the input from that line on again (what came before was sent)",
        error.line
    )
}

/// The JSON account of a run that a bad line stopped.
fn input_stop_json(read: &ReadState) -> Value {
    let error = read.error.as_ref();
    json!({
        "source": error.map(|e| e.source.clone()),
        "line": error.map(|e| e.line),
        "message": error.map(ToString::to_string),
        "ids_read_before": read.ids_read,
        "last_id": read.last.as_ref().map(|(id, _)| id),
        "last_line": read.last.as_ref().map(|(_, line)| line),
        "exit_code": exit::API_FAILURE,
        "hint": error.map(input_stop_hint),
    })
}

/// Prints one signed URL per batch of 20, with sequences stamped as a client would.
fn dry_run(
    ctx: &Ctx<'_>,
    direction: Direction,
    ids: IdSource,
    read_state: &ids::ReadStateSlot,
) -> Result<(), CliError> {
    let credentials = ctx.credentials()?;
    let mut first_invalid = None;
    for item in StreamBatches::new(ids, credentials.app_id(), ctx.settings.config.environment()) {
        match item {
            BatchItem::Batch(batch) => match direction {
                Direction::Forbid => ctx.print_dry_run(&ForbidRtcStreams::new(batch)?)?,
                Direction::Resume => ctx.print_dry_run(&ResumeRtcStreams::new(batch)?)?,
            },
            BatchItem::Invalid { stream_id, error } => {
                ctx.out
                    .warn(format!("skipping stream ID {stream_id:?}: {error}"));
                first_invalid.get_or_insert(error);
            }
        }
    }
    if let Some(error) = ids::read_state(read_state).error {
        return Err(CliError::usage(
            error.to_string(),
            "fix that line and run again (this was a dry run: nothing was sent)",
        ));
    }
    if let Some(error) = first_invalid {
        return Err(CliError::Validation(error));
    }
    ctx.finish_dry_run();
    Ok(())
}

/// A progress bar drawn on stderr only for long runs on a terminal.
struct Progress {
    bar: ProgressBar,
    allowed: bool,
}

impl Progress {
    fn new(allowed: bool) -> Self {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {human_pos} streams sent [{elapsed}] {msg}")
        {
            bar.set_style(style);
        }
        Self { bar, allowed }
    }

    fn callback(&self) -> impl Fn(&BatchOutcome) + Send + Sync + 'static {
        let bar = self.bar.clone();
        let allowed = self.allowed;
        let shown = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
        move |p: &BatchOutcome| {
            let count = p.stream_ids.len() as u64;
            bar.inc(count);
            if !p.is_ok() {
                let f = failed.fetch_add(count, Ordering::Relaxed) + count;
                bar.set_message(format!("{f} failed"));
            }
            if allowed
                && bar.position() > PROGRESS_THRESHOLD
                && !shown.swap(true, Ordering::Relaxed)
            {
                bar.set_draw_target(ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(200));
            }
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
