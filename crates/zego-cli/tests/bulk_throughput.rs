//! With ZEGO's real-world latency (200 ms injected by the simulator), a concurrent bulk run
//! keeps the 20 requests/s quota full instead of waiting for each answer in turn, and is
//! never rate-limited.

mod common;

use std::time::Instant;

use common::{json_of, temp_file, zego, APP, SECRET};
use zego_sim::{Env, FaultPlan, Simulator};

#[test]
fn bulk_with_200ms_latency_fills_the_quota_without_a_single_30002() {
    let sim = Simulator::builder()
        .app(APP, SECRET)
        .faults("delay=200ms".parse::<FaultPlan>().unwrap())
        .seed(1)
        .start()
        .unwrap();
    // 400 IDs = 20 batches. Serially: 20 x 200 ms = 4 s at the very least. With
    // concurrency the run is paced by the 20/s quota: about 1 s plus one round trip.
    let ids = (0..400)
        .map(|i| format!("stream-{i:04}"))
        .collect::<Vec<_>>()
        .join("\n");
    let file = temp_file("throughput.txt", &format!("# 400 streams\n{ids}\n"));
    let started = Instant::now();
    let out = zego(&sim)
        .args(["forbid", "--json", "--concurrency", "8", "--from-file"])
        .arg(&file)
        .output()
        .unwrap();
    let wall = started.elapsed();
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{out:?}");
    let doc = json_of(&out);
    assert_eq!(doc["succeeded"], 400, "{doc}");
    assert_eq!(doc["failed"], 0, "{doc}");
    let duration_ms = doc["duration_ms"].as_u64().unwrap();
    eprintln!(
        "bulk 400 IDs / 20 batches at 200 ms latency: {duration_ms} ms in bulk, {} ms wall \
         (serial >= 4000 ms; ideal at 20/s ~ 1200 ms); {} requests",
        wall.as_millis(),
        doc["requests"]
    );
    assert!(duration_ms < 3500, "took {duration_ms} ms: not concurrent");

    let log = sim.request_log();
    let rate_limited = log.iter().filter(|r| r.code == Some(30002)).count();
    assert_eq!(
        rate_limited, 0,
        "the sim answered 30002 {rate_limited} times"
    );
    assert_eq!(log.len(), 20, "one request per batch, no retries");
    assert_eq!(doc["requests"], 20);
    assert_eq!(sim.forbidden_rtc_streams(APP, Env::Production).len(), 400);
}
