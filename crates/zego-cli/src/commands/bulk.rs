//! `zego forbid` and `zego resume`: any number of streams, in batches of 20, concurrently.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{json, Value};
use zego_proto::bulk::{BatchItem, BatchProgress, StreamBatches};
use zego_proto::ops::{ForbidRtcStreams, ResumeRtcStreams};
use zego_proto::{BulkAction, BulkOptions, BulkReport};

use super::Ctx;
use crate::cli::BulkArgs;
use crate::exit::{self, call_exit_code, CliError};
use crate::ids::IdSource;

/// Runs with more IDs than this get a progress bar (on a terminal).
const PROGRESS_THRESHOLD: u64 = 100;

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
    let ids = IdSource::new(args.stream_ids, args.from_file.as_deref())?;
    let read_error = ids.error_slot();
    if ctx.dry_run() {
        return dry_run(ctx, direction, ids, &read_error);
    }
    let client = ctx.client()?;
    let progress = Progress::new(ctx.out.progress_allowed());
    let mut options = BulkOptions::default().with_concurrency(usize::from(args.concurrency));
    options.on_batch = Some(progress.callback());
    let started = Instant::now();
    let report = client.bulk(direction.bulk_action(), ids, &options);
    let elapsed = started.elapsed();
    progress.finish();
    render(ctx, direction, &report, elapsed);
    if let Some(message) = IdSource::take_error(&read_error) {
        return Err(CliError::usage(
            message,
            "only the IDs before that line were processed; fix the file and run again",
        ));
    }
    if report.is_success() {
        Ok(())
    } else {
        let all_transport = report.succeeded == 0
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

fn render(ctx: &Ctx<'_>, direction: Direction, report: &BulkReport, elapsed: Duration) {
    let secs = elapsed.as_secs_f64();
    ctx.out.result(
        || {
            let mut text = format!(
                "{}: {} of {} stream(s) {}, {} failed, {} request(s), {secs:.2} s",
                direction.action(),
                report.succeeded,
                report.total(),
                direction.past(),
                report.failed(),
                report.requests,
            );
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
            text
        },
        || {
            let failures: Vec<Value> = report
                .failures
                .iter()
                .map(|f| json!({ "stream_ids": f.stream_ids, "error": CliError::Call(f.error.clone()).to_json() }))
                .collect();
            json!({
                "ok": report.is_success(),
                "action": direction.action(),
                "succeeded": report.succeeded,
                "failed": report.failed(),
                "total": report.total(),
                "requests": report.requests,
                "duration_ms": u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
                "failures": failures,
            })
        },
    );
}

/// Prints one signed URL per batch of 20, with sequences stamped as a client would.
fn dry_run(
    ctx: &Ctx<'_>,
    direction: Direction,
    ids: IdSource,
    read_error: &crate::ids::ReadErrorSlot,
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
    if let Some(message) = IdSource::take_error(read_error) {
        return Err(CliError::usage(message, "fix the file and run again"));
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

    fn callback(&self) -> Arc<dyn Fn(&BatchProgress) + Send + Sync> {
        let bar = self.bar.clone();
        let allowed = self.allowed;
        let shown = Arc::new(AtomicBool::new(false));
        let failed = Arc::new(std::sync::atomic::AtomicU64::new(0));
        Arc::new(move |p: &BatchProgress| {
            let count = p.stream_count as u64;
            bar.inc(count);
            if !p.ok {
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
        })
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
