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

    /// [`Client::bulk`] with [`BulkAction::Forbid`] and default options.
    pub async fn bulk_forbid(
        &self,
        stream_ids: impl IntoIterator<Item = String> + Send,
    ) -> BulkReport {
        self.bulk(BulkAction::Forbid, stream_ids, &BulkOptions::default())
            .await
    }

    /// [`Client::bulk`] with [`BulkAction::Resume`] and default options.
    pub async fn bulk_resume(
        &self,
        stream_ids: impl IntoIterator<Item = String> + Send,
    ) -> BulkReport {
        self.bulk(BulkAction::Resume, stream_ids, &BulkOptions::default())
            .await
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use zego_proto::driver::{HttpRequest, HttpResponse};
    use zego_proto::wire::decode_query;
    use zego_proto::{Credentials, RetryPolicy};

    use crate::transport_fn;

    fn ok() -> HttpResponse {
        HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"1"}"#)
    }

    #[tokio::test]
    async fn input_is_consumed_lazily_and_every_stream_is_accounted_for() {
        let pulled = Arc::new(AtomicUsize::new(0));
        let sent = Arc::new(AtomicUsize::new(0));
        let max_ahead = Arc::new(AtomicUsize::new(0));
        let (p, s, m) = (
            Arc::clone(&pulled),
            Arc::clone(&sent),
            Arc::clone(&max_ahead),
        );
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .retry_policy(RetryPolicy::never())
            .transport(transport_fn(move |req: HttpRequest| {
                let streams = decode_query(req.url())
                    .unwrap()
                    .into_iter()
                    .filter(|(k, _)| k == "StreamId[]")
                    .count();
                let done = s.fetch_add(streams, Ordering::SeqCst) + streams;
                let ahead = p.load(Ordering::SeqCst).saturating_sub(done);
                m.fetch_max(ahead, Ordering::SeqCst);
                // Batch containing "bad-..." IDs answers a non-retryable code.
                let answer = if req.url().contains("bad-") {
                    HttpResponse::new(200, r#"{"Code":30006,"Message":"bad","RequestId":"1"}"#)
                } else {
                    ok()
                };
                async move { Ok(answer) }
            }))
            .build();
        let counter = Arc::clone(&pulled);
        let ids = (0..20_000)
            .map(move |i| {
                counter.fetch_add(1, Ordering::SeqCst);
                match i {
                    5 => String::new(),
                    19_990 => "bad-1".to_owned(),
                    _ => format!("s{i}"),
                }
            })
            .chain(["x".repeat(300)]);
        let progress = Arc::new(AtomicUsize::new(0));
        let seen = Arc::clone(&progress);
        let options = BulkOptions::default()
            .with_concurrency(4)
            .with_on_batch(move |p| {
                seen.fetch_add(p.stream_count, Ordering::SeqCst);
            });
        let report = client.bulk(BulkAction::Forbid, ids, &options).await;
        assert_eq!(report.total(), 20_001);
        assert_eq!(progress.load(Ordering::SeqCst), 20_001);
        assert_eq!(report.failures.len(), 3);
        assert!(report.failures[0].stream_ids[0].is_empty());
        assert!(report.failures[1].stream_ids.contains(&"bad-1".to_owned()));
        assert_eq!(report.failures[2].stream_ids[0].len(), 300);
        assert_eq!(
            report.succeeded,
            20_001 - 1 - 1 - report.failures[1].stream_ids.len()
        );
        // Only a bounded number of IDs is read ahead of what was sent.
        let ahead = max_ahead.load(Ordering::SeqCst);
        assert!(ahead <= 20 * (4 + 2), "read {ahead} IDs ahead");
    }
}
