//! Bulk runs: whole runs, lazy input, and stopping.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_proto::bulk::{BulkAction, BulkOptions};
use zego_proto::Credentials;
use zego_sim::Simulator;

use super::{forbidden, rate_limit_answers, setup, sim, MakeClient, Scenario, APP_ID, SECRET};
use crate::ClientUnderTest;

/// This theme's scenarios.
pub(super) fn scenarios<C: ClientUnderTest>() -> Vec<Scenario<C>> {
    register![
        bulk_forbid_of_1000_streams,
        bulk_input_is_consumed_lazily_and_every_stream_is_accounted_for,
        bulk_runs_stop_when_they_should
    ]
}

/// 1,000 streams in bulk, with both rate limiters on: exactly those streams end up
/// forbidden, with no rate-limit answer.
pub fn bulk_forbid_of_1000_streams<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    let started = Instant::now();
    let ids = Box::new((0..1000).map(|i| format!("bulk-{i:04}")));
    let report = client.bulk(BulkAction::Forbid, ids, &BulkOptions::default());
    let elapsed = started.elapsed();
    eprintln!("bulk forbid of 1000 streams: {elapsed:?} (ideal ceil(1000/20)/20 s = 2.5 s)");
    assert!(report.is_success(), "{:?}", report.failures);
    assert_eq!(report.succeeded, 1000);
    assert_eq!(report.requests, 50);
    let expected: BTreeSet<String> = (0..1000).map(|i| format!("bulk-{i:04}")).collect();
    assert_eq!(forbidden(&sim), expected);
    assert_eq!(rate_limit_answers(&sim), 0);
    assert_eq!(sim.sequence_rejections(), 0);
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// A bulk run over 4,000 IDs with invalid ones mixed in: the input is read only a bounded distance ahead of what was sent
/// (O(concurrency) batches, never O(input)); every stream is reported exactly once, as
/// succeeded or in a failure; invalid IDs fail alone, refused before sending; the
/// progress callback sees every stream.
pub fn bulk_input_is_consumed_lazily_and_every_stream_is_accounted_for<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const TOTAL: usize = 4_000;
    let sim = Arc::new(
        Simulator::builder()
            .app(APP_ID, SECRET)
            .rate_limit(false)
            .start()
            .expect("the simulator starts"),
    );
    let client = make(setup(&sim).without_rate_limit());
    let pulled = Arc::new(AtomicUsize::new(0));
    let max_ahead = Arc::new(AtomicUsize::new(0));
    let (counter, ahead) = (Arc::clone(&pulled), Arc::clone(&max_ahead));
    let sim_handle = Arc::clone(&sim);
    let ids = (0..TOTAL)
        .map(move |i| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            if n % 100 == 0 {
                // Streams the simulator has seen so far, against IDs read.
                let sent = 20 * sim_handle.request_log().len();
                ahead.fetch_max(n.saturating_sub(sent), Ordering::SeqCst);
            }
            match i {
                5 => String::new(),
                2_000 => "x".repeat(300),
                _ => format!("lazy-{i}"),
            }
        })
        .chain(["way-too-long-".repeat(30)]);
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&progress);
    let options = BulkOptions::default()
        .with_concurrency(4)
        .with_on_batch(move |batch| {
            seen.fetch_add(batch.stream_ids.len(), Ordering::SeqCst);
            std::ops::ControlFlow::Continue(())
        });
    let report = client.bulk(BulkAction::Forbid, Box::new(ids), &options);
    assert_eq!(report.total(), TOTAL + 1);
    assert_eq!(progress.load(Ordering::SeqCst), TOTAL + 1);
    assert_eq!(report.failures.len(), 3, "{:?}", report.failures);
    assert!(report
        .failures
        .iter()
        .all(|f| f.stream_ids.len() == 1 && f.error.attempts() == 0));
    assert!(
        report.failures[0].stream_ids[0].is_empty(),
        "failures are in input order"
    );
    assert_eq!(report.succeeded, TOTAL - 2);
    assert_eq!(forbidden(&sim).len(), TOTAL - 2);
    let ahead = max_ahead.load(Ordering::SeqCst);
    eprintln!("read at most {ahead} IDs ahead of the simulator");
    assert!(ahead <= 20 * 16, "read {ahead} IDs ahead of what was sent");
}

/// A bulk run stops by itself when every batch fails the same way (a wrong secret: it stops
/// within a few requests instead of sending all 100), when its callback says so, and when
/// its cancel token is cancelled; every stream is still counted once.
pub fn bulk_runs_stop_when_they_should<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    use std::ops::ControlFlow;
    use zego_proto::bulk::BulkStop;
    let ids = || Box::new((0..2_000).map(|i| format!("stop-{i}")));

    let sim = sim();
    let mut s = setup(&sim);
    s.credentials = Credentials::new(APP_ID, "ffffffffffffffffffffffffffffffff").unwrap();
    let wrong = make(s);
    let report = wrong.bulk(BulkAction::Forbid, ids(), &BulkOptions::default());
    eprintln!("wrong secret: stopped after {} requests", report.requests);
    assert_eq!(report.stopped, Some(BulkStop::FailFast));
    assert!(report.requests <= 20, "{} requests", report.requests);
    assert_eq!(report.total(), 2_000);
    assert!(report.not_attempted >= 1_800, "{}", report.not_attempted);
    assert_eq!(sim.request_log().len() as u64, report.requests);

    let sim = self::sim();
    let client = make(setup(&sim));
    // Stop at the third batch to finish, counted as they finish: with batches in flight
    // at once, the batch at input index 2 may finish first (and a batch taken before it
    // may then never start), so its index says nothing about how many were sent.
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let options = BulkOptions::default().with_on_batch(move |_| {
        if finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    let report = client.bulk(BulkAction::Forbid, ids(), &options);
    assert_eq!(report.stopped, Some(BulkStop::Callback));
    assert!(
        report.succeeded >= 60 && report.not_attempted > 0,
        "{report:?}"
    );
    assert_eq!(report.total(), 2_000);
    assert_eq!(forbidden(&sim).len(), report.succeeded);

    let token = zego_proto::CancelToken::new();
    token.cancel();
    let report = client.bulk(
        BulkAction::Forbid,
        ids(),
        &BulkOptions::default().with_cancel(token),
    );
    assert_eq!(report.stopped, Some(BulkStop::Interrupted));
    assert_eq!((report.requests, report.not_attempted), (0, 2_000));
}
