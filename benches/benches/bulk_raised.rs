//! Bulk forbid of 100,000 streams at a raised quota of 500 requests/s (issue 23): the
//! client built with `quota(StreamForbid, 500)` (its default token bucket paces to it), and
//! zego-sim set to the same quota (`quota(ForbidResume, 500)`, which answers 30002 to a
//! request over it). The raised quota must be used in full and never exceeded.
//!
//! Not criterion: one run takes about 10 s. Each run gets a fresh simulator and client, so
//! runs are independent; 3 runs (1 with `ZEGO_BENCH_QUICK=1`), min and median printed. The
//! baseline is the ideal time, ceil(N/20) requests at 500/s = 5,000 / 500 s = 10 s. Every
//! stream must be forbidden, and the simulator's log must hold no rate-limit answer.
//! Figures: `target/zego-bench/bulk_raised.json`.

use std::time::Instant;

use zego_benches::{fixtures, results};
use zego_proto::bulk::{BulkAction, BulkOptions};
use zego_proto::ops::RateLimitGroup;
use zego_proto::Endpoint;
use zego_sim::{Env, RateGroup};
use zego_transport_blocking::Client;

/// Streams per run.
const STREAMS: usize = 100_000;
/// `ForbidRTCStreams`: 20 IDs per request; the raised quota, requests per second.
const PER_REQUEST: usize = 20;
const QUOTA: u32 = 500;
const PER_SECOND: f64 = QUOTA as f64;
/// ZEGO's rate-limit codes (30002 for stream actions, 206 for rule actions).
const RATE_LIMIT_CODES: [i64; 2] = [30002, 206];

struct Run {
    seconds: f64,
    requests: u64,
    rate_limit_answers: usize,
    failed: usize,
}

fn run_once(index: usize) -> Run {
    let sim = zego_sim::Simulator::builder()
        .app(fixtures::APP_ID, fixtures::SECRET)
        .rate_limit(true)
        .quota(RateGroup::ForbidResume, QUOTA)
        .start()
        .expect("the simulator starts");
    let client = Client::builder(fixtures::credentials())
        .endpoint(Endpoint::custom(&sim.base_url()).expect("a loopback URL"))
        .quota(RateLimitGroup::StreamForbid, QUOTA)
        .build();
    let ids = (0..STREAMS).map(move |i| format!("raised-{index}-{i:06}"));
    let started = Instant::now();
    let report = client.bulk(BulkAction::Forbid, ids, &BulkOptions::default());
    let seconds = started.elapsed().as_secs_f64();

    let log = sim.request_log();
    let rate_limit_answers = log
        .iter()
        .filter(|r| r.code.is_some_and(|c| RATE_LIMIT_CODES.contains(&c)))
        .count();
    let forbidden = sim
        .forbidden_rtc_streams(fixtures::APP_ID, Env::Production)
        .len();
    sim.shutdown();
    if forbidden != STREAMS {
        eprintln!(
            "bulk_raised run {index}: the simulator holds {forbidden} forbidden streams, not {STREAMS}"
        );
    }
    Run {
        seconds,
        requests: report.requests,
        rate_limit_answers,
        failed: report.failed() + STREAMS.saturating_sub(forbidden),
    }
}

fn main() {
    let quick = results::quick();
    let runs: u8 = if quick { 1 } else { 3 };
    let requests = STREAMS.div_ceil(PER_REQUEST);
    #[allow(clippy::cast_precision_loss)] // 5,000
    let ideal = requests as f64 / PER_SECOND;
    println!("bulk_raised: forbid {STREAMS} streams at a raised {QUOTA}/s, client and simulator at the same quota, {runs} run(s), ideal {ideal:.2} s");

    let mut times = Vec::new();
    let mut rate_limit_answers = 0;
    let mut failed = 0;
    let mut max_requests = 0;
    for index in 0..usize::from(runs) {
        let run = run_once(index);
        println!(
            "  run {}: {:.3} s ({:.4}x ideal), {} request(s), {} rate-limit answer(s), {} failed",
            index + 1,
            run.seconds,
            run.seconds / ideal,
            run.requests,
            run.rate_limit_answers,
            run.failed,
        );
        times.push(run.seconds);
        rate_limit_answers += run.rate_limit_answers;
        failed += run.failed;
        max_requests = max_requests.max(run.requests);
    }
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let median = results::median(&times);
    println!(
        "  min {min:.3} s, median {median:.3} s = {:.4}x ideal (target <= 1.05x, zero rate-limit answers)",
        median / ideal
    );
    #[allow(clippy::cast_precision_loss)] // small counts
    let fields = [
        ("streams", STREAMS as f64),
        ("runs", f64::from(runs)),
        ("ideal_s", ideal),
        ("min_s", min),
        ("median_s", median),
        ("rate_limit_answers", rate_limit_answers as f64),
        ("failed", failed as f64),
        ("max_requests", max_requests as f64),
    ];
    match results::write("bulk_raised", &fields) {
        Ok(path) => println!("  written to {}", path.display()),
        Err(e) => eprintln!("  could not write the figures: {e}"),
    }
}
