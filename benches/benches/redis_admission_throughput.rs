//! The fleet coordinator's admission throughput (issue 21): 64 concurrent admitters over
//! 100 AppIds, `RedisCoordinator` admissions per second against bare EVALSHA round trips
//! (`return 1` on the same app's key) per second at the same concurrency on the same Redis,
//! and the p99 latency each adds; on a standalone Redis and on a Cluster of three
//! primaries (and three replicas), for the async path (64 tasks) and the blocking path (64
//! threads).
//!
//! Each admission is a sequenced `ForbidRTCStreams`-like request (one script: Redis TIME,
//! the epoch check, the GCRA reservation, the stream's Sequence), the quota set out of reach
//! so the script does its whole work but never asks to wait. The bare clients are what a
//! caller would use without the coordinator: one multiplexed connection per node shared by
//! the 64 tasks, or a connection per node for each of the 64 threads. The bare and the
//! coordinator phases alternate, three rounds each; the throughput is the median round,
//! the p99 is over every call of the three.
//!
//! Starts its own `redis-server` processes on free loopback ports (stopped by PID).
//! Writes `target/zego-bench/redis_admission_throughput.json`.

#![allow(clippy::cast_precision_loss)] // Call counts and nanoseconds of a few seconds.

#[path = "../../crates/zego-redis/tests/common/mod.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use zego_benches::results;
use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, Quotas, RateLimitKey};
use zego_proto::{ops::RateLimitGroup, AppId, Environment};
use zego_redis::RedisCoordinator;

/// Concurrent admitters.
const ADMITTERS: usize = 64;
/// AppIds the admitters take turns over.
const APPS: u32 = 100;
/// Alternating rounds of each phase.
const ROUNDS: usize = 3;

fn app_key(app: u32) -> RateLimitKey {
    RateLimitKey {
        app_id: AppId::new(1000 + app),
        environment: Environment::Production,
        group: RateLimitGroup::StreamForbid,
    }
}

/// The key the bare EVALSHA names: the app's group key, so it goes to the node that serves
/// the app's slot, as the admission does.
fn bare_key(app: u32) -> String {
    format!("zego:prod:{{{}}}:rl:stream_forbid", 1000 + app)
}

fn unbounded() -> Quotas {
    Quotas::default().with(
        RateLimitGroup::StreamForbid,
        Environment::Production,
        1_000_000,
    )
}

fn now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Where the apps' keys live.
struct Setup {
    name: &'static str,
    /// The coordinator's URL.
    url: String,
    /// Each node's plain URL, for the bare clients.
    nodes: Vec<String>,
    /// The node that serves each app's slot.
    node_of_app: Vec<usize>,
}

/// One phase's calls: how many per second, and each one's latency.
struct Phase {
    per_second: f64,
    latencies_ns: Vec<u64>,
}

impl Phase {
    fn of(calls: Vec<Vec<u64>>, elapsed: Duration) -> Self {
        let latencies_ns: Vec<u64> = calls.into_iter().flatten().collect();
        Self {
            per_second: latencies_ns.len() as f64 / elapsed.as_secs_f64(),
            latencies_ns,
        }
    }
}

/// The figures of one path on one setup: the median round's throughput and the p99 over
/// every round, admission and bare.
struct Figures {
    admit_per_s: f64,
    bare_per_s: f64,
    admit_p99_us: f64,
    bare_p99_us: f64,
}

impl Figures {
    fn of(admit: &[Phase], bare: &[Phase]) -> Self {
        let median = |phases: &[Phase]| {
            results::median(&phases.iter().map(|p| p.per_second).collect::<Vec<_>>())
        };
        let p99 = |phases: &[Phase]| {
            let mut all: Vec<u64> = phases
                .iter()
                .flat_map(|p| p.latencies_ns.iter().copied())
                .collect();
            all.sort_unstable();
            let at = (all.len() * 99 / 100).min(all.len().saturating_sub(1));
            all.get(at).map_or(f64::NAN, |ns| *ns as f64 / 1000.0)
        };
        Self {
            admit_per_s: median(admit),
            bare_per_s: median(bare),
            admit_p99_us: p99(admit),
            bare_p99_us: p99(bare),
        }
    }

    fn print(&self, label: &str) {
        println!(
            "  {label:<20}: {:>8.0} admissions/s vs {:>8.0} EVALSHA/s = {:.2}x; \
             p99 {:.0} µs vs {:.0} µs: +{:.0} µs ({:.2}x)",
            self.admit_per_s,
            self.bare_per_s,
            self.admit_per_s / self.bare_per_s,
            self.admit_p99_us,
            self.bare_p99_us,
            self.admit_p99_us - self.bare_p99_us,
            self.admit_p99_us / self.bare_p99_us,
        );
    }

    fn fields(&self, prefix: &str) -> Vec<(String, f64)> {
        vec![
            (format!("{prefix}_admit_per_s"), self.admit_per_s),
            (format!("{prefix}_evalsha_per_s"), self.bare_per_s),
            (
                format!("{prefix}_ratio"),
                self.admit_per_s / self.bare_per_s,
            ),
            (format!("{prefix}_admit_p99_us"), self.admit_p99_us),
            (format!("{prefix}_evalsha_p99_us"), self.bare_p99_us),
            (
                format!("{prefix}_added_p99_us"),
                self.admit_p99_us - self.bare_p99_us,
            ),
            (
                format!("{prefix}_p99_ratio"),
                self.admit_p99_us / self.bare_p99_us,
            ),
        ]
    }
}

/// A coordinator for one path, the circuit kept open for the whole run after any failure
/// (an admission answered by the fallback would be timed as a fast one: checked after
/// each phase).
fn coordinator(setup: &Setup) -> Arc<RedisCoordinator> {
    Arc::new(
        RedisCoordinator::builder(&setup.url)
            .expect("a loopback URL")
            .quotas(unbounded())
            .response_timeout(Duration::from_secs(2))
            .retry_interval(Duration::from_secs(3600))
            .connect()
            .expect("the bench's Redis"),
    )
}

fn check_admitted(answer: &Admission) {
    assert!(
        matches!(answer, Admission::Go { sequence: Some(_) }),
        "{answer:?}"
    );
}

fn check_not_degraded(coordinator: &RedisCoordinator, setup: &Setup) {
    assert!(
        !coordinator.is_degraded(),
        "{}: Redis failed during the phase, admissions fell back to the local share",
        setup.name
    );
}

/// 64 tasks admitting through the coordinator for `length`.
async fn admit_async(coordinator: &Arc<RedisCoordinator>, length: Duration) -> Phase {
    let started = Instant::now();
    let until = started + length;
    let tasks: Vec<_> = (0..ADMITTERS)
        .map(|worker| {
            let coordinator = Arc::clone(coordinator);
            tokio::spawn(async move {
                let streams = vec![format!("stream-{worker}")];
                let mut latencies = Vec::new();
                let mut app = u32::try_from(worker).unwrap_or(0);
                while Instant::now() < until {
                    app = (app + 1) % APPS;
                    let request =
                        AdmissionRequest::new(app_key(app), now()).with_sequence_for(&streams);
                    let t = Instant::now();
                    let answer = coordinator.admit_async(&request).await.expect("admitted");
                    latencies.push(elapsed_ns(t));
                    check_admitted(&answer);
                }
                latencies
            })
        })
        .collect();
    let mut calls = Vec::new();
    for task in tasks {
        calls.push(task.await.expect("an admitter"));
    }
    Phase::of(calls, started.elapsed())
}

/// 64 tasks sending bare EVALSHAs over one multiplexed connection per node for `length`.
async fn bare_async(setup: &Setup, length: Duration) -> Phase {
    let mut connections = Vec::new();
    for node in &setup.nodes {
        let client = redis::Client::open(node.as_str()).expect("a loopback URL");
        connections.push(
            client
                .get_multiplexed_async_connection()
                .await
                .expect("a connection"),
        );
    }
    let script = Arc::new(redis::Script::new("return 1"));
    let node_of_app = Arc::new(setup.node_of_app.clone());
    let started = Instant::now();
    let until = started + length;
    let tasks: Vec<_> = (0..ADMITTERS)
        .map(|worker| {
            let mut connections = connections.clone();
            let script = Arc::clone(&script);
            let node_of_app = Arc::clone(&node_of_app);
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut app = u32::try_from(worker).unwrap_or(0);
                while Instant::now() < until {
                    app = (app + 1) % APPS;
                    let connection = &mut connections[node_of_app[app as usize]];
                    let t = Instant::now();
                    let one: i64 = script
                        .key(bare_key(app))
                        .invoke_async(connection)
                        .await
                        .expect("EVALSHA");
                    latencies.push(elapsed_ns(t));
                    assert_eq!(one, 1);
                }
                latencies
            })
        })
        .collect();
    let mut calls = Vec::new();
    for task in tasks {
        calls.push(task.await.expect("a caller"));
    }
    Phase::of(calls, started.elapsed())
}

/// 64 threads admitting through the coordinator for `length`.
fn admit_blocking(coordinator: &RedisCoordinator, length: Duration) -> Phase {
    let started = Instant::now();
    let until = started + length;
    let calls = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..ADMITTERS)
            .map(|worker| {
                scope.spawn(move || {
                    let streams = vec![format!("stream-{worker}")];
                    let mut latencies = Vec::new();
                    let mut app = u32::try_from(worker).unwrap_or(0);
                    while Instant::now() < until {
                        app = (app + 1) % APPS;
                        let request =
                            AdmissionRequest::new(app_key(app), now()).with_sequence_for(&streams);
                        let t = Instant::now();
                        let answer = coordinator.admit(&request).expect("admitted");
                        latencies.push(elapsed_ns(t));
                        check_admitted(&answer);
                    }
                    latencies
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("an admitter"))
            .collect()
    });
    Phase::of(calls, started.elapsed())
}

/// 64 threads, each with its own connection per node, sending bare EVALSHAs for `length`.
fn bare_blocking(setup: &Setup, length: Duration) -> Phase {
    let script = redis::Script::new("return 1");
    let connect = || -> Vec<redis::Connection> {
        setup
            .nodes
            .iter()
            .map(|node| {
                redis::Client::open(node.as_str())
                    .and_then(|c| c.get_connection())
                    .expect("a connection")
            })
            .collect()
    };
    let mut per_thread: Vec<Vec<redis::Connection>> = (0..ADMITTERS).map(|_| connect()).collect();
    let started = Instant::now();
    let until = started + length;
    let calls = std::thread::scope(|scope| {
        let threads: Vec<_> = per_thread
            .iter_mut()
            .enumerate()
            .map(|(worker, connections)| {
                let script = &script;
                scope.spawn(move || {
                    let mut latencies = Vec::new();
                    let mut app = u32::try_from(worker).unwrap_or(0);
                    while Instant::now() < until {
                        app = (app + 1) % APPS;
                        let connection = &mut connections[setup.node_of_app[app as usize]];
                        let t = Instant::now();
                        let one: i64 = script
                            .key(bare_key(app))
                            .invoke(connection)
                            .expect("EVALSHA");
                        latencies.push(elapsed_ns(t));
                        assert_eq!(one, 1);
                    }
                    latencies
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|t| t.join().expect("a caller"))
            .collect()
    });
    Phase::of(calls, started.elapsed())
}

fn elapsed_ns(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// Both paths on one setup, bare and coordinator phases alternating.
fn measure(setup: &Setup, length: Duration) -> (Figures, Figures) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let coordinator_async = coordinator(setup);
    let (mut admit, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare.push(runtime.block_on(bare_async(setup, length)));
        admit.push(runtime.block_on(admit_async(&coordinator_async, length)));
        check_not_degraded(&coordinator_async, setup);
    }
    let async_figures = Figures::of(&admit, &bare);
    drop(runtime);

    let coordinator_blocking = coordinator(setup);
    let (mut admit, mut bare) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare.push(bare_blocking(setup, length));
        admit.push(admit_blocking(&coordinator_blocking, length));
        check_not_degraded(&coordinator_blocking, setup);
    }
    (async_figures, Figures::of(&admit, &bare))
}

fn main() {
    let length = if results::quick() {
        Duration::from_millis(500)
    } else {
        Duration::from_secs(2)
    };
    let mut fields: Vec<(String, f64)> = vec![
        ("admitters".to_owned(), ADMITTERS as f64),
        ("apps".to_owned(), f64::from(APPS)),
        ("phase_s".to_owned(), length.as_secs_f64()),
    ];
    println!(
        "redis_admission_throughput ({ADMITTERS} admitters over {APPS} AppIds, \
         {ROUNDS} rounds of {length:?} per phase):"
    );

    let server = redis_server::RedisServer::start();
    let standalone = Setup {
        name: "standalone",
        url: server.url(),
        nodes: vec![server.url()],
        node_of_app: vec![0; APPS as usize],
    };
    let (async_figures, blocking_figures) = measure(&standalone, length);
    async_figures.print("standalone, async");
    blocking_figures.print("standalone, blocking");
    fields.extend(async_figures.fields("standalone_async"));
    fields.extend(blocking_figures.fields("standalone_blocking"));
    drop(server);

    let cluster = redis_server::ClusterSetup::start();
    let node_of_app = (0..APPS)
        .map(|app| {
            cluster
                .owner_of(&bare_key(app))
                .expect("a primary serves the app's slot")
        })
        .collect();
    let clustered = Setup {
        name: "cluster",
        url: cluster.url(),
        nodes: cluster
            .nodes
            .iter()
            .map(redis_server::RedisServer::url)
            .collect(),
        node_of_app,
    };
    let (async_figures, blocking_figures) = measure(&clustered, length);
    async_figures.print("cluster, async");
    blocking_figures.print("cluster, blocking");
    fields.extend(async_figures.fields("cluster_async"));
    fields.extend(blocking_figures.fields("cluster_blocking"));
    drop(cluster);

    let borrowed: Vec<(&str, f64)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    if let Ok(path) = results::write("redis_admission_throughput", &borrowed) {
        println!("  written to {}", path.display());
    }
}
