//! Bulk runs: whole runs, lazy input, and stopping.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_proto::bulk::{BulkAction, BulkOptions, BulkReport};
use zego_proto::Credentials;
use zego_sim::{Fault, FaultPlan, Simulator};

use super::{forbidden, ids, rate_limit_answers, setup, sim, MakeClient, Scenario, APP_ID, SECRET};
use crate::ClientUnderTest;

/// This theme's scenarios.
pub(super) fn scenarios<C: ClientUnderTest>() -> Vec<Scenario<C>> {
    register![
        bulk_forbid_of_1000_streams,
        bulk_input_is_consumed_lazily_and_every_stream_is_accounted_for,
        bulk_runs_stop_when_they_should,
        an_interrupted_bulk_run_reports_what_was_in_flight_as_unknown
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

/// An interrupted bulk run tells the truth (issue 20 item 1): every stream of the input is
/// succeeded, failed, not attempted or **unknown** (sent, and no definite answer when the run
/// stopped waiting), the totals equal the input, and nothing that may have been applied is
/// reported as failed. Two ways to be in flight at the cancel, against a simulator delaying
/// every answer by 3 s: a request out when the run's grace ends, and a request that timed out
/// and whose retry the cancel stopped.
pub fn an_interrupted_bulk_run_reports_what_was_in_flight_as_unknown<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    use zego_proto::bulk::BulkStop;
    const TOTAL: usize = 45;
    let delayed = || {
        Simulator::builder()
            .app(APP_ID, SECRET)
            .rate_limit(false)
            .faults(
                FaultPlan::new()
                    .seed(1)
                    .all(Fault::Delay(Duration::from_secs(3)), 1.0),
            )
            .start()
            .expect("the simulator starts")
    };
    let cancel_after = |token: zego_proto::CancelToken, after: Duration| {
        std::thread::spawn(move || {
            std::thread::sleep(after);
            token.cancel();
        })
    };
    let check_totals = |report: &BulkReport| {
        assert_eq!(report.total(), TOTAL, "{report:?}");
        let mut seen: Vec<&String> = report
            .succeeded_ids
            .iter()
            .chain(&report.unknown)
            .chain(report.failures.iter().flat_map(|f| &f.stream_ids))
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(
            seen.len() + report.not_attempted,
            TOTAL,
            "each stream once: {report:?}"
        );
    };

    // 1. The grace ends with the batches sent so far out: the run returns then, with them
    //    unknown.
    let sim = delayed();
    let client = make(setup(&sim).without_rate_limit());
    let token = zego_proto::CancelToken::new();
    let options = BulkOptions::default()
        .with_batch_size(2)
        .with_succeeded_ids(true)
        .with_cancel(token.clone())
        .with_cancel_grace(Duration::from_millis(300));
    let canceller = cancel_after(token, Duration::from_millis(500));
    let started = Instant::now();
    let report = client.bulk(
        BulkAction::Forbid,
        Box::new(ids("grace", TOTAL).into_iter()),
        &options,
    );
    let took = started.elapsed();
    canceller.join().unwrap();
    assert_eq!(report.stopped, Some(BulkStop::Interrupted));
    assert!(
        took < Duration::from_millis(2_700),
        "returned after the grace: {took:?}"
    );
    check_totals(&report);
    // The batches out (as many as the quota offered slots before the cancel) are unknown,
    // in input order; the rest was never sent.
    let out = report.unknown.len();
    assert!(out >= 4, "batches were out: {report:?}");
    assert_eq!(report.unknown, ids("grace", TOTAL)[..out], "in input order");
    assert_eq!(out + report.not_attempted, TOTAL, "{report:?}");
    assert!(report.failures.is_empty() && report.succeeded == 0);

    // 2. Each first attempt times out (1 s < 3 s); the cancel stops the retries. Nothing
    //    got a definite answer, so nothing is a failure: all unknown. (The old runner
    //    reported them failed, "cancelled before the next request was sent", while the
    //    simulator forbade every one.)
    let sim = delayed();
    let mut s = setup(&sim).without_rate_limit();
    s.request_timeout = Duration::from_secs(1);
    let client = make(s);
    let token = zego_proto::CancelToken::new();
    let options = BulkOptions::default()
        .with_batch_size(2)
        .with_succeeded_ids(true)
        .with_cancel(token.clone());
    let canceller = cancel_after(token, Duration::from_millis(700));
    let report = client.bulk(
        BulkAction::Forbid,
        Box::new(ids("retry", TOTAL).into_iter()),
        &options,
    );
    canceller.join().unwrap();
    assert_eq!(report.stopped, Some(BulkStop::Interrupted));
    check_totals(&report);
    assert_eq!(report.failed(), 0, "nothing failed for sure: {report:?}");
    assert!(report.unknown.len() >= 4, "{report:?}");
    assert!(
        report.requests >= report.unknown.len().div_ceil(2) as u64,
        "every unknown batch was sent: {report:?}"
    );
    // Whatever the simulator applies in the end was reported as succeeded or unknown.
    std::thread::sleep(Duration::from_secs(3));
    let reported: BTreeSet<String> = report
        .succeeded_ids
        .iter()
        .chain(&report.unknown)
        .cloned()
        .collect();
    let applied = forbidden(&sim);
    assert!(
        applied.is_subset(&reported),
        "applied {applied:?}, reported {report:?}"
    );
}
