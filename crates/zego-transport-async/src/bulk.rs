//! Bulk forbid/resume of any number of streams, as many batches in flight as the latency
//! needs.

use futures::stream::{FuturesUnordered, StreamExt};
use tracing::Instrument;

use zego_proto::bulk::{BatchItem, BulkControl, StreamBatches};
use zego_proto::{
    bulk::{BulkAction, BulkOptions, BulkReport},
    CallError,
};

use crate::client::Client;

/// Sleeps until `at`, or forever when there is no such time.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Client {
    /// Forbids or resumes any number of streams, `options.batch_size` (20) per request, on
    /// the calling task (nothing is spawned).
    ///
    /// The same run as `zego_transport_blocking::Client::bulk`, decided by the same
    /// [`BulkControl`]: lazy input, invalid IDs failing alone, a `Sequence` per batch at
    /// admission, the client's coordinator pacing every batch, as many batches in flight as
    /// the measured round-trip time needs (up to `options.concurrency`), `options.on_batch`
    /// told of each batch as it finishes (it may stop the run), fail-fast, and
    /// `options.cancel` (after which it waits at most `options.cancel_grace` for the batches
    /// out, then drops their requests and reports their streams as unknown). The future is
    /// `Send` when the input's iterator is.
    ///
    /// ```
    /// use zego_proto::{Credentials, Endpoint};
    /// use zego_proto::bulk::{BulkAction, BulkOptions};
    /// use zego_transport_async::Client;
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let ids = (0..50).map(|i| format!("stream-{i}")).chain([String::new()]);
    /// let report = client.bulk(BulkAction::Forbid, ids, &BulkOptions::default()).await;
    /// assert_eq!(report.succeeded, 50);
    /// assert_eq!(report.failed(), 1); // the empty ID, refused before sending
    /// assert_eq!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).len(), 50);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn bulk(
        &self,
        action: BulkAction,
        stream_ids: impl IntoIterator<Item = String> + Send,
        options: &BulkOptions,
    ) -> BulkReport {
        let core = self.core();
        let environment = core.config().environment();
        let mut batches = StreamBatches::new(stream_ids, core.credentials().app_id(), environment)
            .with_batch_size(options.batch_size)
            .enumerate();
        let control = &BulkControl::for_client(options, action, core);
        let span = tracing::info_span!("zego_bulk", action = action.action());
        let run = async {
            let mut in_flight = FuturesUnordered::new();
            let mut exhausted = false;
            // Set once the run is cancelled: when it stops waiting for the batches out.
            let mut grace_ends: Option<tokio::time::Instant> = None;
            loop {
                // Start batches while the control lets them start.
                while !exhausted && control.try_begin(core.now().monotonic) {
                    let Some((index, item)) = batches.next() else {
                        control.abandon();
                        exhausted = true;
                        break;
                    };
                    match item {
                        BatchItem::Batch(ids) if control.skips(index) => {
                            control.abandon();
                            control.record_skipped(ids.len());
                        }
                        BatchItem::Batch(ids) => in_flight.push(async move {
                            control.launch(index, &ids);
                            let outcome = match action.batch(ids.clone()) {
                                Ok(op) => {
                                    let run = self.run(&op, &control.call_options()).await;
                                    (run.attempts, run.last_latency, run.result.map(drop))
                                }
                                Err(e) => (0, None, Err(CallError::validation(action.action(), e))),
                            };
                            (index, ids, outcome)
                        }),
                        BatchItem::Invalid { stream_id, error } => {
                            control.abandon();
                            control.record_invalid(index, stream_id, error);
                        }
                    }
                }
                if in_flight.is_empty() {
                    if exhausted || control.stopped().is_some() {
                        break;
                    }
                    continue;
                }
                if grace_ends.is_none() {
                    let now = core.now().monotonic;
                    grace_ends = control
                        .grace_deadline(now)
                        .map(|until| tokio::time::Instant::now() + until.saturating_sub(now));
                }
                // A batch finishing, or a tick: the target grows with time before the
                // first answer (and a cancellation is seen).
                tokio::select! {
                    finished = in_flight.next() => {
                        if let Some((index, ids, (attempts, latency, result))) = finished {
                            control.record(index, ids, attempts, latency, result, core.now().monotonic);
                        }
                    }
                    () = tokio::time::sleep(control.tick()), if grace_ends.is_none() && (!exhausted || options.cancel_grace.is_some()) => {}
                    () = sleep_until(grace_ends) => {
                        // The grace ended: the requests still out are dropped with the
                        // futures, their streams counted as unknown.
                        control.give_up_in_flight();
                        break;
                    }
                }
            }
            drop(in_flight);
            // Stopped early: what is left of the input was not attempted.
            for (_, item) in batches {
                control.record_not_attempted(match item {
                    BatchItem::Batch(ids) => ids.len(),
                    BatchItem::Invalid { .. } => 1,
                });
            }
        };
        run.instrument(span).await;
        control.report()
    }
}
