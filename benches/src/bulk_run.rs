//! The whole-run bulk benches at a quota (`benches/bulk.rs` at ZEGO's 20/s,
//! `benches/bulk_raised.rs` at a raised 500/s): forbid N streams through the blocking client
//! against zego-sim with its rate limiter on, time the run against the ideal
//! ceil(N/20) requests at the quota, check every stream was forbidden and that no answer
//! was a rate-limit one, and write the figures.
//!
//! Each run gets a fresh simulator and client, so runs are independent; 3 runs (1 with
//! `ZEGO_BENCH_QUICK=1`), min and median printed.

use std::time::Instant;

use zego_proto::bulk::{BulkAction, BulkOptions};
use zego_proto::ops::RateLimitGroup;
use zego_proto::Endpoint;
use zego_sim::{Env, RateGroup};
use zego_transport_blocking::Client;

use crate::{fixtures, results};

/// `ForbidRTCStreams`: 20 IDs per request.
const PER_REQUEST: usize = 20;
/// ZEGO's default quota of the forbid/resume group, requests per second.
const DEFAULT_QUOTA: u32 = 20;
/// ZEGO's rate-limit codes (30002 for stream actions, 206 for rule actions).
const RATE_LIMIT_CODES: [i64; 2] = [30002, 206];

/// One whole-run bulk bench.
#[derive(Debug, Clone, Copy)]
pub struct BulkBench {
    /// The figures' name (`target/zego-bench/<name>.json`) and the prefix of its messages.
    pub name: &'static str,
    /// Streams per run.
    pub streams: usize,
    /// A raised quota for the client and the simulator alike; `None`: the defaults (20/s).
    pub raised_quota: Option<u32>,
    /// The stream IDs are `<id_prefix>-<run>-<i>`, `i` zero-padded to `id_digits`.
    pub id_prefix: &'static str,
    /// The width of `i` in the stream IDs.
    pub id_digits: usize,
}

/// What one run measured.
struct Run {
    seconds: f64,
    requests: u64,
    rate_limit_answers: usize,
    failed: usize,
}

impl BulkBench {
    /// The quota the run paces to, requests per second.
    fn quota(&self) -> u32 {
        self.raised_quota.unwrap_or(DEFAULT_QUOTA)
    }

    fn run_once(&self, index: usize) -> Run {
        let mut sim = zego_sim::Simulator::builder()
            .app(fixtures::APP_ID, fixtures::SECRET)
            .rate_limit(true);
        let mut client = Client::builder(fixtures::credentials());
        if let Some(quota) = self.raised_quota {
            sim = sim.quota(RateGroup::ForbidResume, quota);
            client = client.quota(RateLimitGroup::StreamForbid, quota);
        }
        let sim = sim.start().expect("the simulator starts");
        let client = client
            .endpoint(Endpoint::custom(&sim.base_url()).expect("a loopback URL"))
            .build();
        let (prefix, digits) = (self.id_prefix, self.id_digits);
        let ids = (0..self.streams).map(move |i| format!("{prefix}-{index}-{i:0digits$}"));
        let started = Instant::now();
        let report = client.bulk(BulkAction::Forbid, ids, &BulkOptions::default());
        let seconds = started.elapsed().as_secs_f64();

        let rate_limit_answers = sim
            .request_log()
            .iter()
            .filter(|r| r.code.is_some_and(|c| RATE_LIMIT_CODES.contains(&c)))
            .count();
        let forbidden = sim
            .forbidden_rtc_streams(fixtures::APP_ID, Env::Production)
            .len();
        sim.shutdown();
        if forbidden != self.streams {
            eprintln!(
                "{} run {index}: the simulator holds {forbidden} forbidden streams, not {}",
                self.name, self.streams
            );
        }
        Run {
            seconds,
            requests: report.requests,
            rate_limit_answers,
            failed: report.failed() + self.streams.saturating_sub(forbidden),
        }
    }

    /// Runs the bench (`about`: what the headline says it does), prints each run and the
    /// summary, and writes the figures: `streams`, `runs`, `ideal_s`, `min_s`, `median_s`,
    /// `rate_limit_answers`, `failed`, `max_requests`.
    pub fn run(&self, about: &str) {
        let runs: u8 = if results::quick() { 1 } else { 3 };
        let requests = self.streams.div_ceil(PER_REQUEST);
        #[allow(clippy::cast_precision_loss)] // a few thousand requests
        let ideal = requests as f64 / f64::from(self.quota());
        println!("{}: {about}, {runs} run(s), ideal {ideal:.2} s", self.name);

        let mut times = Vec::new();
        let mut rate_limit_answers = 0;
        let mut failed = 0;
        let mut max_requests = 0;
        for index in 0..usize::from(runs) {
            let run = self.run_once(index);
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
            ("streams", self.streams as f64),
            ("runs", f64::from(runs)),
            ("ideal_s", ideal),
            ("min_s", min),
            ("median_s", median),
            ("rate_limit_answers", rate_limit_answers as f64),
            ("failed", failed as f64),
            ("max_requests", max_requests as f64),
        ];
        match results::write(self.name, &fields) {
            Ok(path) => println!("  written to {}", path.display()),
            Err(e) => eprintln!("  could not write the figures: {e}"),
        }
    }
}
