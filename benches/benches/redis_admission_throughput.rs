//! The fleet coordinator's admission throughput (issue 21): 64 concurrent admitters over
//! 100 AppIds, `RedisCoordinator` admissions per second against bare EVALSHA round trips
//! per second at the same concurrency on the same Redis, and the p99 latency the
//! coordinator adds; on a standalone Redis and on a Cluster of three primaries (and three
//! replicas), for the async path (64 tasks) and the blocking path (64 threads).
//!
//! Two bare baselines: EVALSHA of `return 1` on the app's key (the round trip alone: the
//! issue's figure), and EVALSHA of the admission script itself with an admission's keys
//! and arguments (the same work in Redis, about 9 µs of Lua and six commands against
//! 0.6 µs: what remains between it and the coordinator is the coordinator's own cost).
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
use std::time::{Duration, Instant};

use zego_benches::admission::{unbounded_quotas, unix_now};
use zego_benches::results;
use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, RateLimitKey};
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
    format!("bare:prod:{{{}}}:rl:stream_forbid", 1000 + app)
}

/// The admission script's source, read from `zego-redis` (its one place) at build time.
fn admission_script() -> &'static str {
    const SOURCE: &str = include_str!("../../crates/zego-redis/src/script.rs");
    SOURCE
        .split_once("const ADMIT: &str = r\"\n")
        .and_then(|(_, rest)| rest.split_once("\n\";"))
        .map(|(script, _)| script)
        .expect("the ADMIT script in zego-redis/src/script.rs")
}

/// What a bare caller sends: `return 1` (a round trip through Redis's script engine, the
/// transport's ceiling), or the admission script itself with an admission's keys and
/// arguments (Redis's work of an admission: what remains is the coordinator's own cost).
#[derive(Clone, Copy)]
enum Bare {
    ReturnOne,
    AdmissionScript,
}

impl Bare {
    fn script(self) -> redis::Script {
        match self {
            Self::ReturnOne => redis::Script::new("return 1"),
            Self::AdmissionScript => redis::Script::new(admission_script()),
        }
    }

    /// The call for `app` by admitter `worker`: the admission's keys (under the prefix
    /// `bare`, the same slot) and arguments: a 1 µs interval, no maximum wait, no
    /// booking, a Sequence wanted, the caller's floor, a 60 s sequence TTL, no minimum
    /// wait, no room, no epoch known yet, a 1 s guard.
    fn invocation(
        self,
        script: &redis::Script,
        app: u32,
        worker: usize,
    ) -> redis::ScriptInvocation<'_> {
        let mut call = script.key(bare_key(app));
        if let Self::AdmissionScript = self {
            let tag = 1000 + app;
            call.key(format!("bare:prod:{{{tag}}}:seq:stream-{worker}"))
                .key(format!("bare:prod:{{{tag}}}:epoch:stream_forbid"))
                .arg(1)
                .arg(-1)
                .arg(0)
                .arg(1)
                .arg(u64::try_from(unix_now().as_millis()).unwrap_or(0))
                .arg(60_000)
                .arg(0)
                .arg(0)
                .arg(0)
                .arg(1_000_000);
        }
        call
    }

    fn check(self, reply: &redis::Value) {
        match (self, reply) {
            (Self::ReturnOne, redis::Value::Int(1)) => {}
            (Self::AdmissionScript, redis::Value::Array(fields))
                if fields.first() == Some(&redis::Value::Int(0)) => {}
            _ => panic!("unexpected bare reply {reply:?}"),
        }
    }
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
/// every round of the admissions, of bare `return 1` EVALSHAs and of bare admission-script
/// EVALSHAs.
struct Figures {
    admit: (f64, f64),
    bare: (f64, f64),
    script: (f64, f64),
}

/// `(calls per second of the median round, p99 µs over every round)`.
fn summary(phases: &[Phase]) -> (f64, f64) {
    let per_second = results::median(&phases.iter().map(|p| p.per_second).collect::<Vec<_>>());
    let mut all: Vec<u64> = phases
        .iter()
        .flat_map(|p| p.latencies_ns.iter().copied())
        .collect();
    all.sort_unstable();
    let at = (all.len() * 99 / 100).min(all.len().saturating_sub(1));
    let p99 = all.get(at).map_or(f64::NAN, |ns| *ns as f64 / 1000.0);
    (per_second, p99)
}

impl Figures {
    fn print(&self, label: &str) {
        let (admit, admit_p99) = self.admit;
        for (name, (per_s, p99)) in [
            ("EVALSHA return 1", self.bare),
            ("EVALSHA script", self.script),
        ] {
            println!(
                "  {label:<20}: {admit:>7.0} admissions/s vs {per_s:>7.0} {name}/s = {:.2}x; \
                 p99 {admit_p99:.0} µs vs {p99:.0} µs: +{:.0} µs ({:.2}x)",
                admit / per_s,
                admit_p99 - p99,
                admit_p99 / p99,
            );
        }
    }

    fn fields(&self, prefix: &str) -> Vec<(String, f64)> {
        let (admit, admit_p99) = self.admit;
        let mut fields = vec![
            (format!("{prefix}_admit_per_s"), admit),
            (format!("{prefix}_admit_p99_us"), admit_p99),
        ];
        for (name, (per_s, p99)) in [("evalsha", self.bare), ("script", self.script)] {
            fields.extend([
                (format!("{prefix}_{name}_per_s"), per_s),
                (format!("{prefix}_{name}_ratio"), admit / per_s),
                (format!("{prefix}_{name}_p99_us"), p99),
                (format!("{prefix}_{name}_added_p99_us"), admit_p99 - p99),
                (format!("{prefix}_{name}_p99_ratio"), admit_p99 / p99),
            ]);
        }
        fields
    }
}

/// A coordinator for one path, the circuit kept open for the whole run after any failure
/// (an admission answered by the fallback would be timed as a fast one: checked after
/// each phase).
fn coordinator(setup: &Setup) -> Arc<RedisCoordinator> {
    Arc::new(
        RedisCoordinator::builder(&setup.url)
            .expect("a loopback URL")
            .quotas(unbounded_quotas())
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
                        AdmissionRequest::new(app_key(app), unix_now()).with_sequence_for(&streams);
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
async fn bare_async(setup: &Setup, bare: Bare, length: Duration) -> Phase {
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
    let script = Arc::new(bare.script());
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
                    let reply: redis::Value = bare
                        .invocation(&script, app, worker)
                        .invoke_async(connection)
                        .await
                        .expect("EVALSHA");
                    latencies.push(elapsed_ns(t));
                    bare.check(&reply);
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
                        let request = AdmissionRequest::new(app_key(app), unix_now())
                            .with_sequence_for(&streams);
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
fn bare_blocking(setup: &Setup, bare: Bare, length: Duration) -> Phase {
    let script = bare.script();
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
                        let reply: redis::Value = bare
                            .invocation(script, app, worker)
                            .invoke(connection)
                            .expect("EVALSHA");
                        latencies.push(elapsed_ns(t));
                        bare.check(&reply);
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

/// Both paths on one setup, the bare and the coordinator phases alternating.
fn measure(setup: &Setup, length: Duration) -> (Figures, Figures) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let coordinator_async = coordinator(setup);
    let (mut admit, mut bare, mut script) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare.push(runtime.block_on(bare_async(setup, Bare::ReturnOne, length)));
        script.push(runtime.block_on(bare_async(setup, Bare::AdmissionScript, length)));
        admit.push(runtime.block_on(admit_async(&coordinator_async, length)));
        check_not_degraded(&coordinator_async, setup);
    }
    let async_figures = Figures {
        admit: summary(&admit),
        bare: summary(&bare),
        script: summary(&script),
    };
    drop(runtime);

    let coordinator_blocking = coordinator(setup);
    let (mut admit, mut bare, mut script) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare.push(bare_blocking(setup, Bare::ReturnOne, length));
        script.push(bare_blocking(setup, Bare::AdmissionScript, length));
        admit.push(admit_blocking(&coordinator_blocking, length));
        check_not_degraded(&coordinator_blocking, setup);
    }
    let blocking_figures = Figures {
        admit: summary(&admit),
        bare: summary(&bare),
        script: summary(&script),
    };
    (async_figures, blocking_figures)
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
