//! Bulk forbid/resume of any number of streams, as many batches in flight as the latency
//! needs.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};

use zego_proto::bulk::{BatchItem, BulkControl, StreamBatches};
use zego_proto::bulk::{BulkAction, BulkOptions, BulkReport};
use zego_proto::CallError;

use crate::client::Client;

impl Client {
    /// Forbids or resumes any number of streams, `options.batch_size` (20) per request.
    ///
    /// The input is consumed lazily (only the batches in flight are in memory); invalid IDs
    /// fail alone; every batch gets its own `Sequence` when it is admitted to be sent and is
    /// retried per the policy; all workers share the client's coordinator, so the quota is
    /// used fully but never exceeded; and as many batches are kept in flight as the measured
    /// round-trip time needs to send at the quota, up to `options.concurrency`
    /// ([`BulkControl`]). A worker thread is started only when a batch may start and no
    /// worker is idle, so a run starts as many threads as it ever has batches in flight
    /// (one for a single batch), and they end with the run. Each finished batch goes to
    /// `options.on_batch` at once, which may stop the run; the run also stops by itself
    /// when batches keep failing in a way that will fail every batch
    /// ([`FailFast`](zego_proto::bulk::FailFast)), or when `options.cancel` is cancelled
    /// (then it waits at most `options.cancel_grace` for the batches out, which are
    /// otherwise reported as unknown, their threads left to end on their own). Every stream
    /// ends up counted once: succeeded, in [`BulkReport::failures`] (in input order), not
    /// attempted, unknown, or skipped.
    ///
    /// ```
    /// use zego_proto::{Credentials, Endpoint};
    /// use zego_proto::bulk::{BulkAction, BulkOptions};
    /// use zego_transport_blocking::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let ids = (0..50).map(|i| format!("stream-{i}")).chain([String::new()]);
    /// let report = client.bulk(BulkAction::Forbid, ids, &BulkOptions::default());
    /// assert_eq!(report.succeeded, 50);
    /// assert_eq!(report.failed(), 1); // the empty ID, refused before sending
    /// assert_eq!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).len(), 50);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bulk(
        &self,
        action: BulkAction,
        stream_ids: impl IntoIterator<Item = String> + Send,
        options: &BulkOptions,
    ) -> BulkReport {
        let core = self.core();
        let now = || core.now().monotonic;
        let environment = core.config().environment();
        let mut batches = StreamBatches::new(stream_ids, core.credentials().app_id(), environment)
            .with_batch_size(options.batch_size)
            .enumerate();
        let control = Arc::new(BulkControl::for_client(options, action, core));
        let span = tracing::info_span!("zego_bulk", action = action.action());
        let _entered = span.enter();
        let mut workers = Workers::new(self, &control, action, &span);

        // This thread reads the input and hands each batch to an idle worker (or a new one)
        // when the control lets it start.
        while control.begin(now) {
            let Some((index, item)) = batches.next() else {
                control.abandon();
                break;
            };
            match item {
                BatchItem::Batch(ids) if control.skips(index) => {
                    control.abandon();
                    control.record_skipped(ids.len());
                }
                BatchItem::Batch(ids) => {
                    control.launch(index, &ids);
                    workers.start(index, ids);
                }
                BatchItem::Invalid { stream_id, error } => {
                    control.abandon();
                    control.record_invalid(index, stream_id, error);
                }
            }
        }
        if !control.wait_in_flight(now) {
            control.give_up_in_flight();
        }
        // Stopped early: what is left of the input was not attempted.
        for (_, item) in batches.by_ref() {
            control.record_not_attempted(match item {
                BatchItem::Batch(ids) => ids.len(),
                BatchItem::Invalid { .. } => 1,
            });
        }
        workers.finish();
        control.report()
    }
}

/// A batch for a worker, or `None`: the run is over, exit.
type Job = Option<(usize, Vec<String>)>;

/// The run's worker threads, started on demand. Each worker has its own one-slot channel,
/// and an idle worker puts its sender on the idle stack: handing out a batch is one push
/// and one pop under a lock nobody waits on while blocked (no shared receiver to queue on).
struct Workers<'r> {
    client: &'r Client,
    control: &'r Arc<BulkControl>,
    action: BulkAction,
    span: &'r tracing::Span,
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
    idle: Mutex<Idle>,
    /// A worker's panic, re-raised by the run's thread (as a scoped thread's would be).
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

#[derive(Default)]
struct Idle {
    senders: Vec<SyncSender<Job>>,
    /// The run is over: a worker that finishes exits instead of waiting for work.
    closed: bool,
}

impl<'r> Workers<'r> {
    fn new(
        client: &'r Client,
        control: &'r Arc<BulkControl>,
        action: BulkAction,
        span: &'r tracing::Span,
    ) -> Self {
        Self {
            client,
            control,
            action,
            span,
            shared: Arc::default(),
        }
    }

    /// Runs the batch on an idle worker, or on a new one if none is idle.
    fn start(&mut self, index: usize, ids: Vec<String>) {
        let mut job = Some((index, ids));
        loop {
            let idle = lock(&self.shared.idle).senders.pop();
            let Some(sender) = idle else { break };
            match sender.send(job) {
                Ok(()) => return,
                // That worker died (a panic): try the next one.
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        let (sender, receiver) = mpsc::sync_channel::<Job>(1);
        let _ = sender.send(job);
        let (client, control, shared, span) = (
            self.client.clone(),
            Arc::clone(self.control),
            Arc::clone(&self.shared),
            self.span.clone(),
        );
        let action = self.action;
        let spawned = std::thread::Builder::new()
            .name("zego-bulk".into())
            .spawn(move || {
                let _entered = span.enter();
                while let Ok(Some((index, ids))) = receiver.recv() {
                    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
                        run_batch(&client, &control, action, index, ids, || {
                            // Idle again before recording: the run's thread, woken by the
                            // record, finds this worker instead of starting another.
                            let mut idle = lock(&shared.idle);
                            if !idle.closed {
                                idle.senders.push(sender.clone());
                            }
                        });
                    }));
                    if let Err(payload) = ran {
                        control.record_lost(index);
                        lock(&shared.panic).get_or_insert(payload);
                        return;
                    }
                    if lock(&shared.idle).closed {
                        // The run returned while this batch was out (a cancelled run's
                        // grace ended): nobody will send this worker anything again.
                        return;
                    }
                }
            });
        if let Err(e) = spawned {
            // No thread could be started (the system's limit): the run stops, this batch
            // counted as unknown (the job went with the closure).
            tracing::error!(error = %e, "cannot start a bulk worker thread");
            self.control.record_lost(index);
        }
    }

    /// Ends the run: idle workers exit now, busy ones (a cancelled run's grace ended) when
    /// their batch ends; a worker's panic is re-raised here.
    fn finish(self) {
        let idle = {
            let mut idle = lock(&self.shared.idle);
            idle.closed = true;
            std::mem::take(&mut idle.senders)
        };
        for sender in idle {
            let _ = sender.send(None);
        }
        if let Some(payload) = lock(&self.shared.panic).take() {
            panic::resume_unwind(payload);
        }
    }
}

/// One batch on a worker: the call, then `idle` (the worker is free), then the record.
fn run_batch(
    client: &Client,
    control: &BulkControl,
    action: BulkAction,
    index: usize,
    ids: Vec<String>,
    idle: impl FnOnce(),
) {
    let (attempts, latency, result) = match action.batch(ids.clone()) {
        Ok(op) => {
            let run = client.run(&op, &control.call_options());
            (run.attempts, run.last_latency, run.result.map(drop))
        }
        Err(e) => (0, None, Err(CallError::validation(action.action(), e))),
    };
    idle();
    let now = client.core().now().monotonic;
    control.record(index, ids, attempts, latency, result, now);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
