//! Bulk forbid of 2,000 streams when every request takes 0.2 s, 1 s or 2 s (the
//! simulator's `delay` fault): the run keeps as many batches in flight as the measured
//! latency needs, so it should take the quota's ideal — 99 intervals of 50 ms to send the
//! 100 batches, then the last answer's latency — whatever the latency. (A fixed 8 in
//! flight took 13.2 s at 1 s, 2.2x the ideal.)
//!
//! Not criterion: one run per latency (about 5 to 7 s each). Figures:
//! `target/zego-bench/bulk_latency.json` (`ratio_<ms>` = measured / ideal).

use std::time::{Duration, Instant};

use zego_benches::{fixtures, results};
use zego_proto::{
    bulk::{BulkAction, BulkOptions},
    Endpoint,
};
use zego_sim::{Env, Fault, FaultPlan};
use zego_transport_blocking::Client;

const STREAMS: usize = 2_000;
const BATCHES: u32 = 100;
const INTERVAL: Duration = Duration::from_millis(50);

fn run(latency: Duration) -> (f64, f64, usize) {
    let sim = zego_sim::Simulator::builder()
        .app(fixtures::APP_ID, fixtures::SECRET)
        .faults(FaultPlan::new().seed(1).all(Fault::Delay(latency), 1.0))
        .start()
        .expect("the simulator starts");
    let client = Client::builder(fixtures::credentials())
        .endpoint(Endpoint::custom(&sim.base_url()).expect("a loopback URL"))
        .build();
    let ids = (0..STREAMS).map(|i| format!("latency-{i:04}"));
    let started = Instant::now();
    let report = client.bulk(BulkAction::Forbid, ids, &BulkOptions::default());
    let seconds = started.elapsed().as_secs_f64();
    let rate_limited = sim
        .request_log()
        .iter()
        .filter(|r| r.code == Some(30002))
        .count();
    assert_eq!(report.succeeded, STREAMS, "{:?}", report.failures.first());
    assert_eq!(
        sim.forbidden_rtc_streams(fixtures::APP_ID, Env::Production)
            .len(),
        STREAMS
    );
    let ideal = (INTERVAL * (BATCHES - 1) + latency).as_secs_f64();
    (seconds, ideal, rate_limited)
}

fn main() {
    let mut fields = Vec::new();
    println!("bulk_latency: 2,000 streams (100 batches) at 20/s");
    for ms in [200u64, 1_000, 2_000] {
        let (seconds, ideal, rate_limited) = run(Duration::from_millis(ms));
        let ratio = seconds / ideal;
        println!(
            "  latency {ms:>4} ms: {seconds:.3} s vs ideal {ideal:.3} s = {ratio:.3}x, {rate_limited} rate-limit answers"
        );
        fields.push((format!("seconds_{ms}"), seconds));
        fields.push((format!("ideal_{ms}"), ideal));
        fields.push((format!("ratio_{ms}"), ratio));
    }
    let borrowed: Vec<(&str, f64)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    if let Ok(path) = results::write("bulk_latency", &borrowed) {
        println!("  written to {}", path.display());
    }
}
