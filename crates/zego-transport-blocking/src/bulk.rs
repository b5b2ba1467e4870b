//! Bulk forbid/resume of any number of streams, several batches in flight.

use std::sync::{mpsc, Mutex};

use zego_proto::bulk::{BatchItem, BatchProgress, BulkCollector, StreamBatches};
use zego_proto::{BulkAction, BulkOptions, BulkReport, CallError, CallOptions};

use crate::client::Client;

impl Client {
    /// Forbids or resumes any number of streams, 20 per request, `options.concurrency`
    /// batches in flight.
    ///
    /// The input is consumed lazily (only the batches in flight are in memory), invalid
    /// IDs fail alone, every batch gets its own fresh `Sequence` when it is admitted to be
    /// sent and is retried per the policy, and all workers share the client's coordinator,
    /// so the quota is used fully but never exceeded. Every stream ends up counted as succeeded
    /// or listed in [`BulkReport::failures`] (in input order).
    ///
    /// ```
    /// use zego_proto::{Credentials, Endpoint};
    /// use zego_proto::{BulkAction, BulkOptions};
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
        let batches = StreamBatches::new(
            stream_ids,
            core.credentials().app_id(),
            core.config().environment(),
        );
        let concurrency = options.concurrency.max(1);
        let span = tracing::info_span!("zego_bulk", action = action.action(), concurrency);
        let _entered = span.enter();
        let notify = |progress: BatchProgress| {
            if let Some(callback) = &options.on_batch {
                callback(&progress);
            }
        };

        // This thread reads the input and hands batches to the workers through a bounded
        // channel, so at most about `2 * concurrency` batches are in memory at once.
        let (sender, receiver) = mpsc::sync_channel::<(usize, Vec<String>)>(concurrency);
        let receiver = Mutex::new(receiver);
        let total = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..concurrency)
                .map(|_| {
                    let receiver = &receiver;
                    let notify = &notify;
                    let span = span.clone();
                    scope.spawn(move || {
                        let _entered = span.enter();
                        let mut partial = BulkCollector::default();
                        loop {
                            // Hold the lock only while taking the next batch.
                            let next = receiver.lock().map_or(None, |r| r.recv().ok());
                            let Some((index, ids)) = next else { break };
                            let (attempts, outcome) = self.send_batch(action, &ids);
                            notify(partial.record(index, ids, attempts, outcome));
                        }
                        partial
                    })
                })
                .collect();

            let mut own = BulkCollector::default();
            for (index, item) in batches.enumerate() {
                match item {
                    BatchItem::Batch(ids) => {
                        if sender.send((index, ids)).is_err() {
                            // Every worker is gone, which only a panic does: joining them
                            // below re-raises it, so nothing is dropped silently.
                            break;
                        }
                    }
                    BatchItem::Invalid { stream_id, error } => {
                        let error = CallError::validation(action.action(), error);
                        notify(own.record(index, vec![stream_id], 0, Err(error)));
                    }
                }
            }
            drop(sender);
            for worker in workers {
                // A panicking worker re-raises its panic here, like a panicking callback would.
                own.merge(
                    worker
                        .join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                );
            }
            own
        });
        total.finish()
    }

    /// Sends one batch; returns the requests sent and the outcome.
    fn send_batch(&self, action: BulkAction, ids: &[String]) -> (u32, Result<(), CallError>) {
        match action.batch(ids.to_vec()) {
            Ok(op) => {
                let (outcome, attempts) = self.run(&op, &CallOptions::default());
                (attempts, outcome.map(|_| ()))
            }
            Err(e) => (0, Err(CallError::validation(action.action(), e))),
        }
    }
}
