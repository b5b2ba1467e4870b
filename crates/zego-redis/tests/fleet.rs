//! A fleet of four processes — two blocking and two async clients; two forbidding and two
//! resuming the same 1,000 streams — against one simulator: with a shared Redis they get
//! no rate-limit answer, no one-second window above the quota, at least 0.9x of the quota
//! while they compete, and no Sequence rejected. Without Redis (the negative control) the
//! same fleet gets rate-limit answers or rejections, so the checks can fail. And with Redis
//! killed and restarted in the middle, every operation still completes, no stream's
//! Sequence goes backwards, and no second sees more than the quota.
//!
//! The workers are this very test binary, started again with `ZEGO_FLEET_WORKER` set:
//! [`fleet_worker`] is the worker's entry point and does nothing in a normal run.

#![allow(clippy::cast_precision_loss)] // Counts and spans of a few thousand.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::RedisServer;
use zego_proto::{
    bulk::{BulkAction, BulkOptions},
    Credentials, Endpoint,
};
use zego_sim::{LoggedRequest, SimHandle, Simulator};

const APP_ID: u32 = 1234567890;
const SECRET: &str = "0123456789abcdef0123456789abcdef";
const STREAMS: usize = 1_000;
const QUOTA: usize = 20;
const RATE_LIMIT_CODES: [i64; 6] = [30002, 206, 207, 1010, 5007, 7];

/// The worker's entry point: runs one bulk job described by the environment and prints its
/// report. In a normal test run (no `ZEGO_FLEET_WORKER`) it returns at once.
#[test]
fn fleet_worker() {
    let Ok(role) = std::env::var("ZEGO_FLEET_WORKER") else {
        return;
    };
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let (action, blocking) = match role.as_str() {
        "forbid-blocking" => (BulkAction::Forbid, true),
        "resume-blocking" => (BulkAction::Resume, true),
        "forbid-async" => (BulkAction::Forbid, false),
        "resume-async" => (BulkAction::Resume, false),
        other => panic!("unknown worker role {other}"),
    };
    let redis_url = var("ZEGO_FLEET_REDIS");
    let coordinator: Option<Arc<dyn zego_proto::admission::Coordinator>> = (!redis_url.is_empty())
        .then(|| {
            Arc::new(
                zego_redis::RedisCoordinator::builder(&redis_url)
                    .expect("the test Redis URL")
                    .fleet_size(4)
                    // Generous for a loaded CI machine (production: 200 ms / 100 ms).
                    .connect_timeout(Duration::from_millis(500))
                    .response_timeout(Duration::from_millis(500))
                    .retry_interval(Duration::from_millis(300))
                    .build(),
            ) as Arc<dyn zego_proto::admission::Coordinator>
        });
    let credentials = Credentials::new(APP_ID, SECRET).unwrap();
    let endpoint = Endpoint::custom(&var("ZEGO_FLEET_SIM")).unwrap();
    let ids = (0..STREAMS).map(|i| format!("fleet-{i:04}"));
    let options = BulkOptions::default();
    // Line up the workers' starts, so that they compete from the first request.
    let start_at: u128 = var("ZEGO_FLEET_START_MS").parse().unwrap_or(0);
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    if start_at > now_ms {
        std::thread::sleep(Duration::from_millis(
            u64::try_from(start_at - now_ms).unwrap_or(0),
        ));
    }
    let report = if blocking {
        let mut builder = zego_transport_blocking::Client::builder(credentials).endpoint(endpoint);
        if let Some(c) = coordinator {
            builder = builder.coordinator(c);
        }
        builder.build().bulk(action, ids, &options)
    } else {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut builder = zego_transport_async::Client::builder(credentials).endpoint(endpoint);
        if let Some(c) = coordinator {
            builder = builder.coordinator(c);
        }
        let client = builder.build();
        runtime.block_on(client.bulk(action, ids, &options))
    };
    println!(
        "FLEET-REPORT succeeded={} failed={} requests={}",
        report.succeeded,
        report.failed(),
        report.requests
    );
}

/// Starts the four workers against `sim` (and `redis`, if any).
fn spawn_fleet(sim: &SimHandle, redis: Option<&str>) -> Vec<Child> {
    let exe = std::env::current_exe().expect("the test binary");
    let start_at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 1_500;
    [
        "forbid-blocking",
        "resume-blocking",
        "forbid-async",
        "resume-async",
    ]
    .into_iter()
    .map(|role| {
        Command::new(&exe)
            .args(["--exact", "fleet_worker", "--nocapture", "--test-threads=1"])
            .env("ZEGO_FLEET_WORKER", role)
            .env("ZEGO_FLEET_SIM", sim.base_url())
            .env("ZEGO_FLEET_REDIS", redis.unwrap_or(""))
            .env("ZEGO_FLEET_START_MS", start_at.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("a worker process")
    })
    .collect()
}

/// Waits for the workers; returns each one's `(succeeded, failed)`.
fn reports(workers: Vec<Child>) -> Vec<(usize, usize)> {
    workers
        .into_iter()
        .map(|mut child| {
            let stdout = child.stdout.take().expect("piped stdout");
            // Read to the end (the worker prints libtest's summary after its report).
            let lines: Vec<String> = BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
                .collect();
            let line = lines
                .iter()
                // libtest may print `test fleet_worker ... ` on the same line first.
                .find_map(|l| l.find("FLEET-REPORT").map(|at| l[at..].to_owned()))
                .expect("the worker's report");
            assert!(child.wait().expect("the worker exits").success());
            let field = |name: &str| -> usize {
                line.split_whitespace()
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_owned))
                    .and_then(|v| v.parse().ok())
                    .expect("a count")
            };
            (field("succeeded"), field("failed"))
        })
        .collect()
}

/// What the simulator saw of the forbid/resume traffic.
#[derive(Debug)]
struct Traffic {
    requests: usize,
    rate_limited: usize,
    busiest_second: usize,
    /// Requests per second over the span of the traffic, as a share of the quota.
    utilisation: f64,
    /// Positions in the log of requests whose Sequence was lower than an earlier one's for
    /// one of their streams.
    backwards: Vec<usize>,
}

fn traffic(log: &[LoggedRequest]) -> Traffic {
    let forbid_resume: Vec<&LoggedRequest> = log
        .iter()
        .filter(|r| r.action.ends_with("RTCStreams"))
        .collect();
    let times: Vec<i64> = forbid_resume.iter().map(|r| r.time_ms).collect();
    let busiest_second = times
        .iter()
        .map(|start| {
            times
                .iter()
                .filter(|t| **t >= *start && **t < start + 1000)
                .count()
        })
        .max()
        .unwrap_or(0);
    let span_ms = match (times.iter().min(), times.iter().max()) {
        (Some(first), Some(last)) if last > first => (last - first) as f64,
        _ => 1.0,
    };
    // N requests spaced at the quota span (N - 1) intervals.
    let utilisation = (times.len().saturating_sub(1)) as f64 / (span_ms / 1000.0) / QUOTA as f64;
    let mut last: HashMap<&str, u64> = HashMap::new();
    let mut backwards = Vec::new();
    for (position, request) in forbid_resume.iter().enumerate() {
        let Some(sequence) = request
            .params
            .iter()
            .find(|(k, _)| k == "Sequence")
            .and_then(|(_, v)| v.parse::<u64>().ok())
        else {
            continue;
        };
        for (_, stream) in request.params.iter().filter(|(k, _)| k == "StreamId[]") {
            let previous = last.entry(stream.as_str()).or_insert(0);
            if sequence < *previous && backwards.last() != Some(&position) {
                backwards.push(position);
            }
            *previous = (*previous).max(sequence);
        }
    }
    Traffic {
        requests: forbid_resume.len(),
        rate_limited: forbid_resume
            .iter()
            .filter(|r| r.code.is_some_and(|c| RATE_LIMIT_CODES.contains(&c)))
            .count(),
        busiest_second,
        utilisation,
        backwards,
    }
}

/// How many arrivals above the quota one second may show from scheduling jitter alone.
const ARRIVAL_JITTER: usize = 2;

/// The fleet tests run one at a time: eight worker processes at once on a two-core CI
/// machine would measure the machine, not the coordinator.
static ONE_FLEET_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn simulator() -> SimHandle {
    Simulator::builder()
        .app(APP_ID, SECRET)
        .start()
        .expect("the simulator starts")
}

#[test]
fn a_fleet_shares_one_quota_and_one_sequence_order_through_redis() {
    if std::env::var("ZEGO_FLEET_WORKER").is_ok() {
        return;
    }
    let _one = ONE_FLEET_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let redis = RedisServer::start();
    let sim = simulator();
    let results = reports(spawn_fleet(&sim, Some(&redis.url())));
    let seen = traffic(&sim.request_log());
    eprintln!(
        "fleet with Redis: {seen:?}, {} sequence rejections",
        sim.sequence_rejections()
    );
    for (succeeded, failed) in &results {
        assert_eq!((*succeeded, *failed), (STREAMS, 0), "{results:?}");
    }
    assert_eq!(seen.requests, 4 * STREAMS / 20, "no retries were needed");
    assert_eq!(seen.rate_limited, 0);
    // Admission spaces the sends exactly; their arrival times at the simulator also carry
    // the scheduling jitter of eight processes on a loaded two-core machine, which can put
    // one late arrival into the next second's window. The simulator's own quota (no
    // rate-limit answer above) is the strict judge.
    assert!(seen.busiest_second <= QUOTA + ARRIVAL_JITTER, "{seen:?}");
    assert!(seen.utilisation >= 0.9, "{seen:?}");
    assert_eq!(sim.sequence_rejections(), 0);
    assert!(seen.backwards.is_empty(), "{seen:?}");

    // The negative control: the same fleet, each process on its own quota and sequences.
    let sim = simulator();
    let results = reports(spawn_fleet(&sim, None));
    let seen = traffic(&sim.request_log());
    let rejections = sim.sequence_rejections();
    eprintln!("fleet without Redis: {seen:?}, {rejections} sequence rejections, {results:?}");
    assert!(
        seen.rate_limited > 0 || rejections > 0 || seen.busiest_second > QUOTA + ARRIVAL_JITTER,
        "the checks must be able to fail: {seen:?}"
    );
}

#[test]
fn a_redis_outage_mid_run_loses_nothing_and_keeps_the_quota_and_the_order() {
    if std::env::var("ZEGO_FLEET_WORKER").is_ok() {
        return;
    }
    let _one = ONE_FLEET_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut redis = RedisServer::start();
    let sim = simulator();
    let workers = spawn_fleet(&sim, Some(&redis.url()));
    // The workers start 1.5 s from now; let them run 3 s, take Redis away for 2 s.
    std::thread::sleep(Duration::from_millis(4_500));
    redis.kill();
    let killed_at = sim.request_log().len();
    std::thread::sleep(Duration::from_secs(2));
    redis.restart();
    let restarted_at = sim.request_log().len();
    eprintln!("Redis killed after {killed_at} requests, restarted after {restarted_at}");
    let results = reports(workers);
    let log = sim.request_log();
    if std::env::var("ZEGO_FLEET_DEBUG").is_ok() {
        let t0 = log.first().map_or(0, |r| r.time_ms);
        let marks: Vec<String> = log.iter().map(|r| format!("{}", r.time_ms - t0)).collect();
        eprintln!("arrivals (ms): {}", marks.join(" "));
    }
    let seen = traffic(&log);
    eprintln!(
        "fleet across a Redis outage: {seen:?}, {} sequence rejections",
        sim.sequence_rejections()
    );
    for (succeeded, failed) in &results {
        assert_eq!(
            (*succeeded, *failed),
            (STREAMS, 0),
            "every operation completes: {results:?}"
        );
    }
    // Across the two hand-overs (Redis to the local shares, and back) the fleet stays within
    // the quota plus two in any one-second window (measured: 20 to 22), and the simulator,
    // which meters like ZEGO, answers no rate limit.
    assert!(seen.busiest_second <= QUOTA + 2, "{seen:?}");
    assert_eq!(seen.rate_limited, 0, "{seen:?}");
    // While Redis answers, the order is Redis's: no stream's Sequence goes backwards before
    // the outage, nor once every instance is back (each comes back within its fallback
    // queue plus a retry interval: 3 s of traffic here). During the outage the local
    // shares order by the instances' clocks, which cannot order two instances that send
    // the same stream within the same millisecond (see `FailurePolicy::LocalShare`).
    let back = restarted_at + 3 * QUOTA;
    let outside: Vec<usize> = seen
        .backwards
        .iter()
        .copied()
        .filter(|p| *p < killed_at || *p > back)
        .collect();
    assert!(
        outside.is_empty(),
        "Sequence went backwards outside the outage: {outside:?} ({seen:?})"
    );
}

#[test]
fn a_flushall_mid_run_is_a_lost_bucket_the_fleet_paces_through() {
    if std::env::var("ZEGO_FLEET_WORKER").is_ok() {
        return;
    }
    let _one = ONE_FLEET_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let redis = RedisServer::start();
    let sim = simulator();
    let workers = spawn_fleet(&sim, Some(&redis.url()));
    // The workers start 1.5 s from now; let them run 3 s, then Redis loses every bucket
    // (and every sequence key) while it keeps answering.
    std::thread::sleep(Duration::from_millis(4_500));
    let mut admin = redis.connection();
    redis::cmd("FLUSHALL").query::<()>(&mut admin).unwrap();
    let flushed_at = sim.request_log().len();
    eprintln!("FLUSHALL after {flushed_at} requests");
    let results = reports(workers);
    let log = sim.request_log();
    if std::env::var("ZEGO_FLEET_DEBUG").is_ok() {
        let t0 = log.first().map_or(0, |r| r.time_ms);
        let marks: Vec<String> = log.iter().map(|r| format!("{}", r.time_ms - t0)).collect();
        eprintln!("arrivals (ms): {}", marks.join(" "));
    }
    let seen = traffic(&log);
    let rejections = sim.sequence_rejections();
    eprintln!("fleet across a FLUSHALL: {seen:?}, {rejections} sequence rejections");
    for (succeeded, failed) in &results {
        assert_eq!(
            (*succeeded, *failed),
            (STREAMS, 0),
            "every operation completes: {results:?}"
        );
    }
    assert!(seen.busiest_second <= QUOTA + 1, "{seen:?}");
    assert_eq!(seen.rate_limited, 0, "{seen:?}");
    // The Sequence is time-based and floored by each caller: with the keys gone, a stream's
    // next value is still above its last one, before, across and after the flush.
    assert!(seen.backwards.is_empty(), "{seen:?}");
    assert_eq!(rejections, 0);
}

#[test]
fn a_fleet_on_sentinel_follows_a_failover_without_breaking_the_quota_or_the_order() {
    if std::env::var("ZEGO_FLEET_WORKER").is_ok() {
        return;
    }
    let _one = ONE_FLEET_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut setup = common::SentinelSetup::start("fleet-primary");
    let sim = simulator();
    let workers = spawn_fleet(&sim, Some(&setup.url("fleet-primary")));
    std::thread::sleep(Duration::from_millis(4_500));
    setup.primary.kill();
    let killed_at = sim.request_log().len();
    // When the sentinels have promoted the replica.
    let started = std::time::Instant::now();
    let mut promoted_at = None;
    while started.elapsed() < Duration::from_secs(30) {
        let role = redis::cmd("ROLE").query::<redis::Value>(&mut setup.replica.connection());
        if matches!(&role, Ok(redis::Value::Array(items))
            if matches!(items.first(), Some(redis::Value::BulkString(r)) if r == b"master"))
        {
            promoted_at = Some(sim.request_log().len());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let promoted_at = promoted_at.expect("the sentinels promote the replica");
    eprintln!(
        "primary killed after {killed_at} requests, replica promoted after {promoted_at} ({:?})",
        started.elapsed()
    );
    let results = reports(workers);
    let seen = traffic(&sim.request_log());
    eprintln!(
        "fleet across a Sentinel failover: {seen:?}, {} sequence rejections",
        sim.sequence_rejections()
    );
    for (succeeded, failed) in &results {
        assert_eq!(
            (*succeeded, *failed),
            (STREAMS, 0),
            "every operation completes: {results:?}"
        );
    }
    assert!(seen.busiest_second <= QUOTA + 1, "{seen:?}");
    assert_eq!(seen.rate_limited, 0, "{seen:?}");
    // As across an outage (see the test above): Redis's order before the kill and once every
    // instance is back on the promoted replica; the local shares' clocks in between.
    let back = promoted_at + 3 * QUOTA;
    let outside: Vec<usize> = seen
        .backwards
        .iter()
        .copied()
        .filter(|p| *p < killed_at || *p > back)
        .collect();
    assert!(
        outside.is_empty(),
        "Sequence went backwards outside the failover: {outside:?} ({seen:?})"
    );
}

#[test]
fn a_fleet_on_a_cluster_shares_the_quota_and_follows_a_primary_failover() {
    if std::env::var("ZEGO_FLEET_WORKER").is_ok() {
        return;
    }
    let _one = ONE_FLEET_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut cluster = common::ClusterSetup::start();

    // The fleet test, unchanged, on three primaries and three replicas.
    let sim = simulator();
    let results = reports(spawn_fleet(&sim, Some(&cluster.url())));
    let seen = traffic(&sim.request_log());
    eprintln!(
        "fleet on a Cluster: {seen:?}, {} sequence rejections",
        sim.sequence_rejections()
    );
    for (succeeded, failed) in &results {
        assert_eq!((*succeeded, *failed), (STREAMS, 0), "{results:?}");
    }
    assert_eq!(seen.requests, 4 * STREAMS / 20, "no retries were needed");
    assert_eq!(seen.rate_limited, 0);
    assert!(seen.busiest_second <= QUOTA + ARRIVAL_JITTER, "{seen:?}");
    assert!(seen.utilisation >= 0.9, "{seen:?}");
    assert_eq!(sim.sequence_rejections(), 0);
    assert!(seen.backwards.is_empty(), "{seen:?}");

    // Again, with the primary of the app's slot killed mid-run.
    let epoch_key = format!("zego:prod:{{{APP_ID}}}:epoch:stream_forbid");
    let owner = cluster
        .owner_of(&epoch_key)
        .expect("a primary holds the app's keys");
    let sim = simulator();
    let workers = spawn_fleet(&sim, Some(&cluster.url()));
    std::thread::sleep(Duration::from_millis(4_500));
    cluster.nodes[owner].kill();
    let killed_at = sim.request_log().len();
    let started = std::time::Instant::now();
    let mut promoted_at = None;
    while started.elapsed() < Duration::from_secs(30) {
        if cluster.owner_of(&epoch_key).is_some_and(|n| n != owner) {
            promoted_at = Some(sim.request_log().len());
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let promoted_at = promoted_at.expect("the cluster promotes the replica");
    eprintln!(
        "slot primary killed after {killed_at} requests, replica promoted after {promoted_at} ({:?})",
        started.elapsed()
    );
    let results = reports(workers);
    let seen = traffic(&sim.request_log());
    eprintln!(
        "fleet across a Cluster failover: {seen:?}, {} sequence rejections",
        sim.sequence_rejections()
    );
    for (succeeded, failed) in &results {
        assert_eq!(
            (*succeeded, *failed),
            (STREAMS, 0),
            "every operation completes: {results:?}"
        );
    }
    assert!(seen.busiest_second <= QUOTA + 1, "{seen:?}");
    assert_eq!(seen.rate_limited, 0, "{seen:?}");
    let back = promoted_at + 3 * QUOTA;
    let outside: Vec<usize> = seen
        .backwards
        .iter()
        .copied()
        .filter(|p| *p < killed_at || *p > back)
        .collect();
    assert!(
        outside.is_empty(),
        "Sequence went backwards outside the failover: {outside:?} ({seen:?})"
    );
}
