//! Bulk forbid/resume of any number of streams, several batches in flight.

use futures::stream::{self, StreamExt};
use tracing::Instrument;

use zego_proto::bulk::{BatchItem, BatchProgress, BulkCollector, StreamBatches};
use zego_proto::{BulkAction, BulkOptions, BulkReport, CallError, CallOptions};

use crate::client::Client;

impl Client {
    /// Forbids or resumes any number of streams, 20 per request, `options.concurrency`
    /// batches in flight (on the calling task: nothing is spawned).
    ///
    /// The input is consumed lazily (only the batches in flight are in memory), invalid
    /// IDs fail alone, every batch gets its own fresh `Sequence` when it is admitted to be
    /// sent and is retried per the policy, and all batches share the client's coordinator,
    /// so the quota is used fully but never exceeded. Every stream ends up counted as succeeded
    /// or listed in [`BulkReport::failures`] (in input order). The future is `Send` when
    /// the input's iterator is.
    ///
    /// ```
    /// use zego_proto::{Credentials, Endpoint};
    /// use zego_proto::{BulkAction, BulkOptions};
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
        let batches = StreamBatches::new(
            stream_ids,
            core.credentials().app_id(),
            core.config().environment(),
        );
        let concurrency = options.concurrency.max(1);
        let span = tracing::info_span!("zego_bulk", action = action.action(), concurrency);
        let notify = |progress: BatchProgress| {
            if let Some(callback) = &options.on_batch {
                callback(&progress);
            }
        };
        let run = async {
            let mut outcomes = stream::iter(batches.enumerate())
                .map(|(index, item)| async move {
                    match item {
                        BatchItem::Batch(ids) => {
                            let (attempts, outcome) = self.send_batch(action, &ids).await;
                            (index, ids, attempts, outcome)
                        }
                        BatchItem::Invalid { stream_id, error } => (
                            index,
                            vec![stream_id],
                            0,
                            Err(CallError::validation(action.action(), error)),
                        ),
                    }
                })
                .buffer_unordered(concurrency);
            let mut collector = BulkCollector::default();
            while let Some((index, ids, attempts, outcome)) = outcomes.next().await {
                notify(collector.record(index, ids, attempts, outcome));
            }
            collector.finish()
        };
        run.instrument(span).await
    }

    /// Sends one batch; returns the requests sent and the outcome.
    async fn send_batch(&self, action: BulkAction, ids: &[String]) -> (u32, Result<(), CallError>) {
        let (outcome, attempts) = match action.batch(ids.to_vec()) {
            Ok(op) => self.run(&op, &CallOptions::default()).await,
            Err(e) => return (0, Err(CallError::validation(action.action(), e))),
        };
        (attempts, outcome.map(|_| ()))
    }
}
