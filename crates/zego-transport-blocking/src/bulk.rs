//! Bulk forbid/resume of any number of streams, as many batches in flight as the latency
//! needs.

use std::sync::{mpsc, Mutex};

use zego_proto::bulk::{BatchItem, BulkControl, StreamBatches};
use zego_proto::bulk::{BulkAction, BulkOptions, BulkReport};

use crate::client::Client;

impl Client {
    /// Forbids or resumes any number of streams, `options.batch_size` (20) per request.
    ///
    /// The input is consumed lazily (only the batches in flight are in memory); invalid IDs
    /// fail alone; every batch gets its own `Sequence` when it is admitted to be sent and is
    /// retried per the policy; all workers share the client's coordinator, so the quota is
    /// used fully but never exceeded; and as many batches are kept in flight as the measured
    /// round-trip time needs to send at the quota, up to `options.concurrency`
    /// ([`BulkControl`]). Each finished batch goes to `options.on_batch` at once, which may
    /// stop the run; the run also stops by itself when batches keep failing in a way that
    /// will fail every batch ([`FailFast`](zego_proto::bulk::FailFast)), or when
    /// `options.cancel` is cancelled. Every stream ends up counted once: succeeded, in
    /// [`BulkReport::failures`] (in input order), not attempted, or skipped.
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
        let environment = core.config().environment();
        let batches = StreamBatches::new(stream_ids, core.credentials().app_id(), environment)
            .with_batch_size(options.batch_size);
        let control = BulkControl::new(options, action, environment);
        let workers = options.concurrency.max(1);
        let span = tracing::info_span!("zego_bulk", action = action.action(), workers);
        let _entered = span.enter();

        // This thread reads the input and hands batches to the workers through a bounded
        // channel; a worker starts its batch when the control lets it (the run goes on and
        // fewer than the latency's target are in flight).
        let (sender, receiver) = mpsc::sync_channel::<(usize, Vec<String>)>(1);
        let receiver = Mutex::new(receiver);
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let (receiver, control, span) = (&receiver, &control, span.clone());
                scope.spawn(move || {
                    let _entered = span.enter();
                    loop {
                        // Hold the lock only while taking the next batch.
                        let next = receiver.lock().map_or(None, |r| r.recv().ok());
                        let Some((index, ids)) = next else { break };
                        if !control.begin(|| core.now().monotonic) {
                            control.record_not_attempted(ids.len());
                            continue;
                        }
                        let (attempts, latency, result) = match action.batch(ids.clone()) {
                            Ok(op) => {
                                let run = self.run(&op, &control.call_options());
                                (run.attempts, run.last_latency, run.result.map(drop))
                            }
                            Err(e) => (
                                0,
                                None,
                                Err(zego_proto::CallError::validation(action.action(), e)),
                            ),
                        };
                        let now = core.now().monotonic;
                        control.record(index, ids, attempts, latency, result, now);
                    }
                });
            }
            for (index, item) in batches.enumerate() {
                match item {
                    BatchItem::Batch(ids) if control.stopped().is_some() => {
                        control.record_not_attempted(ids.len());
                    }
                    BatchItem::Batch(ids) if control.skips(index) => {
                        control.record_skipped(ids.len());
                    }
                    BatchItem::Batch(ids) => {
                        if sender.send((index, ids)).is_err() {
                            // Every worker is gone, which only a panic does: the scope
                            // re-raises it, so nothing is dropped silently.
                            break;
                        }
                    }
                    BatchItem::Invalid { .. } if control.stopped().is_some() => {
                        control.record_not_attempted(1);
                    }
                    BatchItem::Invalid { stream_id, error } => {
                        control.record_invalid(index, stream_id, error);
                    }
                }
            }
            drop(sender);
        });
        control.finish()
    }
}
