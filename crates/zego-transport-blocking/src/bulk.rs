//! Bulk forbid/resume of any number of streams, as many batches in flight as the latency
//! needs.

use std::any::Any;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, SyncSender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};

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

        // This thread reads the input a few batches ahead into the ready queue, and starts
        // batches on idle (or new) workers while the control lets them start. A worker that
        // finishes a batch takes the next ready one itself: in the steady state a batch
        // costs no thread hand-off and no wake-up of this thread, which is woken only to
        // read ahead again, to grow the batches in flight, or when the run stops.
        let mut exhausted = false;
        loop {
            if !exhausted && control.stopped().is_none() {
                exhausted = workers.read_ahead(&mut batches);
            }
            while control.stopped().is_none() && workers.has_ready() {
                if !control.try_begin(now()) {
                    break;
                }
                workers.start_ready();
            }
            if control.stopped().is_some() || (exhausted && !workers.has_ready()) {
                break;
            }
            workers.wait_for_news(control.tick());
        }
        if !control.wait_in_flight(now) {
            control.give_up_in_flight();
        }
        // Stopped early: what is left of the input (read ahead or not) was not attempted.
        control.record_not_attempted(workers.take_ready());
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

/// Batches read ahead of the ones in flight: enough that a worker finishing a batch finds
/// the next one ready and the run's thread reads half of them at a time, few enough that the
/// input stays read lazily (160 IDs beyond those in flight).
const READ_AHEAD: usize = 8;

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
    pool: Mutex<Pool>,
    /// The run's thread waits here for a reason to read ahead or start a batch.
    news: Condvar,
    /// A worker's panic, re-raised by the run's thread (as a scoped thread's would be).
    panic: Mutex<Option<Box<dyn Any + Send>>>,
}

#[derive(Default)]
struct Pool {
    idle: Vec<SyncSender<Job>>,
    /// Batches read, not yet started.
    ready: VecDeque<(usize, Vec<String>)>,
    /// The run is over: a worker that finishes exits instead of waiting for work.
    closed: bool,
    /// Something happened that the run's thread may act on (set by workers).
    news: bool,
}

impl Shared {
    fn tell(&self, pool: &mut Pool) {
        pool.news = true;
        self.news.notify_one();
    }

    /// The next ready batch, started in `control` (`None`: none ready, or no start
    /// allowed). Tells the run's thread when the queue runs low, or when more batches may
    /// start than this one.
    fn next_batch(&self, control: &BulkControl, now: std::time::Duration) -> Job {
        if !control.try_begin(now) {
            return None;
        }
        let mut pool = lock(&self.pool);
        let Some((index, ids)) = pool.ready.pop_front() else {
            drop(pool);
            control.abandon();
            return None;
        };
        control.launch(index, &ids);
        if pool.ready.len() <= READ_AHEAD / 2 || control.in_flight() < control.target_in_flight(now)
        {
            self.tell(&mut pool);
        }
        Some((index, ids))
    }
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

    /// Reads the input until [`READ_AHEAD`] batches are ready; `true` once it is exhausted.
    /// Invalid IDs and skipped batches are recorded as they are read.
    fn read_ahead(&mut self, batches: &mut impl Iterator<Item = (usize, BatchItem)>) -> bool {
        let mut room = READ_AHEAD.saturating_sub(lock(&self.shared.pool).ready.len());
        let mut read = Vec::with_capacity(room);
        let exhausted = loop {
            if room == 0 {
                break false;
            }
            let Some((index, item)) = batches.next() else {
                break true;
            };
            match item {
                BatchItem::Batch(ids) if self.control.skips(index) => {
                    self.control.record_skipped(ids.len());
                }
                BatchItem::Batch(ids) => {
                    read.push((index, ids));
                    room -= 1;
                }
                BatchItem::Invalid { stream_id, error } => {
                    self.control.record_invalid(index, stream_id, error);
                }
            }
        };
        lock(&self.shared.pool).ready.extend(read);
        exhausted
    }

    fn has_ready(&self) -> bool {
        !lock(&self.shared.pool).ready.is_empty()
    }

    /// The streams of the batches read but not started (the run stopped), taken.
    fn take_ready(&self) -> usize {
        let ready = std::mem::take(&mut lock(&self.shared.pool).ready);
        ready.iter().map(|(_, ids)| ids.len()).sum()
    }

    /// Waits (at most `tick`, which lets the target grow with time and picks up a
    /// cancelled token) until a worker has news.
    fn wait_for_news(&self, tick: std::time::Duration) {
        let mut pool = lock(&self.shared.pool);
        if !pool.news {
            pool = self
                .shared
                .news
                .wait_timeout(pool, tick)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        pool.news = false;
    }

    /// Starts the next ready batch (a start the control allowed) on an idle worker, or on
    /// a new one if none is idle.
    fn start_ready(&mut self) {
        let mut pool = lock(&self.shared.pool);
        let Some((index, ids)) = pool.ready.pop_front() else {
            drop(pool);
            self.control.abandon();
            return;
        };
        self.control.launch(index, &ids);
        let mut job = Some((index, ids));
        while let Some(sender) = pool.idle.pop() {
            match sender.send(job) {
                Ok(()) => return,
                // That worker died (a panic): try the next one.
                Err(mpsc::SendError(back)) => job = back,
            }
        }
        drop(pool);
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
                let mut next = receiver.recv().ok().flatten();
                while let Some((index, ids)) = next {
                    let ran = panic::catch_unwind(AssertUnwindSafe(|| {
                        run_batch(&client, &control, action, index, ids);
                    }));
                    if let Err(payload) = ran {
                        control.record_lost(index);
                        lock(&shared.panic).get_or_insert(payload);
                        let mut pool = lock(&shared.pool);
                        shared.tell(&mut pool);
                        return;
                    }
                    // The next ready batch, if one may start; else idle until given one.
                    next = shared.next_batch(&control, client.core().now().monotonic);
                    if next.is_none() {
                        let mut pool = lock(&shared.pool);
                        if pool.closed {
                            // The run returned while this batch was out (a cancelled
                            // run's grace ended): nobody will send this worker anything.
                            return;
                        }
                        pool.idle.push(sender.clone());
                        shared.tell(&mut pool);
                        drop(pool);
                        next = receiver.recv().ok().flatten();
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
            let mut pool = lock(&self.shared.pool);
            pool.closed = true;
            std::mem::take(&mut pool.idle)
        };
        for sender in idle {
            let _ = sender.send(None);
        }
        if let Some(payload) = lock(&self.shared.panic).take() {
            panic::resume_unwind(payload);
        }
    }
}

/// One batch on a worker: the call, then the record.
fn run_batch(
    client: &Client,
    control: &BulkControl,
    action: BulkAction,
    index: usize,
    ids: Vec<String>,
) {
    let (attempts, latency, result) = match action.batch(ids.clone()) {
        Ok(op) => {
            let run = client.run(&op, &control.call_options());
            (run.attempts, run.last_latency, run.result.map(drop))
        }
        Err(e) => (0, None, Err(CallError::validation(action.action(), e))),
    };
    let now = client.core().now().monotonic;
    control.record(index, ids, attempts, latency, result, now);
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
