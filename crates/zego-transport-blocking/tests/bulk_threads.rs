//! The blocking bulk run's threads (issue 23 item 1): started as batches need them, not a
//! fixed pool, and all gone once the run is over — also the ones a cancelled run stopped
//! waiting for. Its own test binary, so no other test's threads are counted.

use std::time::{Duration, Instant};

use zego_proto::bulk::{BulkAction, BulkOptions};
use zego_proto::{CancelToken, Credentials, Endpoint};
use zego_sim::{Fault, FaultPlan, Simulator};
use zego_transport_blocking::Client;

const APP: u32 = 7;
const SECRET: &str = "secret";

/// Live threads named like the bulk workers.
fn bulk_workers() -> usize {
    std::fs::read_dir("/proc/self/task").map_or(0, |dir| {
        dir.filter_map(Result::ok)
            .filter(|t| {
                std::fs::read_to_string(t.path().join("comm"))
                    .is_ok_and(|name| name.trim() == "zego-bulk")
            })
            .count()
    })
}

/// Waits (generously) for the workers to exit.
fn no_workers_within(bound: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < bound {
        if bulk_workers() == 0 {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn client(base_url: &str) -> Client {
    Client::builder(Credentials::new(APP, SECRET).unwrap())
        .endpoint(Endpoint::custom(base_url).unwrap())
        .no_rate_limit()
        .build()
}

#[test]
fn workers_follow_the_work_and_end_with_the_run_even_when_abandoned() {
    if !std::path::Path::new("/proc/self/task").exists() {
        eprintln!("skipped: no /proc");
        return;
    }
    // 1. At loopback a run of 2,000 IDs needs a few batches in flight: a few workers, not
    //    `concurrency` (64) of them; none outlives the run.
    let sim = Simulator::builder()
        .app(APP, SECRET)
        .rate_limit(false)
        .start()
        .unwrap();
    let client = client(&sim.base_url());
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = std::sync::Arc::clone(&peak);
    let options = BulkOptions::default().with_on_batch(move |_| {
        seen.fetch_max(bulk_workers(), std::sync::atomic::Ordering::Relaxed);
        std::ops::ControlFlow::Continue(())
    });
    let ids = (0..2_000).map(|i| format!("t-{i}"));
    let report = client.bulk(BulkAction::Forbid, ids, &options);
    assert_eq!(report.succeeded, 2_000);
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("peak bulk workers: {peak}");
    assert!(
        (1..=16).contains(&peak),
        "{peak} workers for a loopback run"
    );
    assert!(
        no_workers_within(Duration::from_secs(5)),
        "workers outlived the run"
    );

    // 2. A cancelled run whose grace ends with batches out returns without them; their
    //    workers end when their requests do, instead of waiting for work forever.
    let slow = Simulator::builder()
        .app(APP, SECRET)
        .rate_limit(false)
        .faults(
            FaultPlan::new()
                .seed(1)
                .all(Fault::Delay(Duration::from_secs(1)), 1.0),
        )
        .start()
        .unwrap();
    let client = self::client(&slow.base_url());
    let token = CancelToken::new();
    let options = BulkOptions::default()
        .with_cancel(token.clone())
        .with_cancel_grace(Duration::from_millis(100));
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        token.cancel();
    });
    let ids = (0..200).map(|i| format!("s-{i}"));
    let report = client.bulk(BulkAction::Forbid, ids, &options);
    canceller.join().unwrap();
    assert!(!report.unknown.is_empty(), "{report:?}");
    assert!(
        bulk_workers() > 0,
        "the abandoned batches' workers are still in their requests"
    );
    assert!(
        no_workers_within(Duration::from_secs(10)),
        "{} abandoned workers never ended",
        bulk_workers()
    );
}
