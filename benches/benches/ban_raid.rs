//! A raid (issue 22): 1,000 users, each publishing one live stream in one room, banned at
//! once (login and publish, one day), applied by a fleet of 4 workers. Each worker is a
//! thread with its own blocking client and its own `Engine`, in two variants (the same
//! run, one after the other, each against a fresh simulator):
//!
//! - `sqlite`: each worker its own connection to one SQLite store file; the 4 clients share
//!   one in-process `LocalCoordinator`: what a fleet of processes gets from the Redis
//!   coordinator (one GCRA bucket per quota group, the per-room spacing of the listing),
//!   without a Redis server in the measurement.
//! - `redis`: a fleet as deployed, on one `redis-server` the bench starts: each worker's
//!   client has its own `RedisCoordinator` (`fleet_size(4)`) and each worker its own
//!   `RedisStore` handle, so the quota, the bans and the room's listing are shared only
//!   through Redis. Threads, not processes: they share no coordinator, store handle or
//!   connection, only the process's Sequence generator (unique numbers; it paces nothing).
//!
//! zego-sim runs on the real clock with ZEGO's documented quotas (it answers 206/207/30002
//! to a request over them, refilling per second) and ZEGO's cap of 200 user rules per type
//! (50123 beyond it: those bans hold by their stream forbids, the kick and token refusal).
//!
//! The ideal is what the quotas allow for the requests the raid made: max over quota groups
//! of (requests in the group / the group's quota per second) — here the 1,000
//! `SetForbidUserRule` at 10/s = 100 s — plus the listing window: 10 s for every listing of
//! the room after the first (ZEGO allows one per 10 s per room; the first costs no wait).
//! The workers run from before the raid (ticking every 50 ms when idle); wall time runs from
//! the first ban stored to the last ban applied. Not criterion: one run
//! (`ZEGO_BENCH_QUICK=1`: 300 users). Figures: `target/zego-bench/ban_raid.json` (the Redis
//! variant's keys prefixed `redis_`).

#[path = "../../crates/zego-redis/tests/common/mod.rs"]
mod redis_server;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_benches::{fixtures, results};
use zego_moderation::{
    BanDuration, BanId, BanRequest, Enforcement, Engine, RedisStore, Scopes, SqliteStore, Store,
    Target,
};
use zego_proto::admission::{Coordinator, LocalCoordinator};
use zego_proto::{AppId, Endpoint};
use zego_sim::Env;
use zego_transport_blocking::Client;

const ROOM: &str = "raid";
const WORKERS: usize = 4;
/// ZEGO's rate-limit answers: 30002 (media service), 206 and 207 (room service, 207 the
/// per-room quota).
const RATE_LIMIT_CODES: [i64; 3] = [30002, 206, 207];
/// ZEGO's documented quotas of the groups the raid draws from (requests per second).
const QUOTAS: [(&str, f64); 4] = [
    ("DescribeSimpleStreamList", 50.0),
    ("ForbidRTCStreams", 20.0),
    ("KickoutUser", 50.0),
    ("SetForbidUserRule", 10.0),
];
/// ZEGO's listing window for one room, seconds.
const LISTING_WINDOW_S: f64 = 10.0;

/// Where the fleet keeps its bans and how its workers share ZEGO's quota.
enum Backend {
    /// One SQLite file; the workers' clients share one in-process coordinator.
    Sqlite {
        path: PathBuf,
        coordinator: Arc<LocalCoordinator>,
    },
    /// One Redis; each worker its own `RedisCoordinator` and `RedisStore` handle on it.
    Redis { url: String },
}

impl Backend {
    /// A new handle on the fleet's store (a worker's, or the moderator's).
    fn store(&self) -> Box<dyn Store> {
        match self {
            Backend::Sqlite { path, .. } => {
                Box::new(SqliteStore::open(path).expect("the store opens"))
            }
            Backend::Redis { url } => Box::new(
                RedisStore::builder(url, AppId::new(fixtures::APP_ID))
                    .expect("a loopback URL")
                    .connect()
                    .expect("the store connects"),
            ),
        }
    }

    /// A worker's coordinator: the shared in-process one, or its own on the fleet's Redis.
    fn coordinator(&self) -> Arc<dyn Coordinator> {
        match self {
            Backend::Sqlite { coordinator, .. } => Arc::clone(coordinator) as _,
            Backend::Redis { url } => Arc::new(
                zego_redis::RedisCoordinator::builder(url)
                    .expect("a loopback URL")
                    .fleet_size(u32::try_from(WORKERS).unwrap_or(1))
                    .connect()
                    .expect("the coordinator connects"),
            ),
        }
    }
}

/// The raid's bans, as a moderation backend stores them (not applied yet).
fn store_bans(store: &dyn Store, users: usize) -> Vec<BanId> {
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs(),
    )
    .unwrap_or(0);
    (0..users)
        .map(|i| {
            let request = BanRequest::new(
                Target::User {
                    user_id: format!("raider-{i:04}"),
                    room_id: Some(ROOM.into()),
                    scopes: Scopes::ALL,
                },
                BanDuration::For(Duration::from_secs(86_400)),
                "raid",
                "mod-1",
            )
            .expect("a valid ban");
            store.insert_ban(&request, now).expect("stored").id
        })
        .collect()
}

/// What the fleet did: when every ban was applied, and the pieces handed back.
struct FleetRun {
    ids: Vec<BanId>,
    stored_s: f64,
    elapsed_s: f64,
    handed_back: usize,
}

/// The fleet: `WORKERS` threads ticking (every 50 ms when idle, as `zego bans run` would)
/// from before the raid; then the raid's bans are stored, and the clock runs until
/// `moderator` sees every ban applied.
fn run_fleet(
    sim: &zego_sim::SimHandle,
    backend: &Backend,
    moderator: &dyn Store,
    users: usize,
) -> FleetRun {
    let endpoint = Endpoint::custom(&sim.base_url()).expect("a loopback URL");
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let (endpoint, done) = (&endpoint, &done);
                scope.spawn(move || {
                    let client = Client::builder(fixtures::credentials())
                        .endpoint(endpoint.clone())
                        .coordinator(backend.coordinator())
                        .build();
                    let store = backend.store();
                    let engine = Engine::new(&client, &*store, format!("worker-{w}"));
                    let mut handed_back = 0;
                    while !done.load(Ordering::Relaxed) {
                        match engine.tick() {
                            Ok(report) => handed_back += report.handed_back,
                            Err(e) => eprintln!("worker-{w}: {e}"),
                        }
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    handed_back
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(500)); // the workers are up and idle
        let started = Instant::now();
        let ids = store_bans(moderator, users);
        let stored_s = started.elapsed().as_secs_f64();
        let elapsed_s = loop {
            std::thread::sleep(Duration::from_millis(100));
            let pending = moderator
                .unlifted_bans()
                .expect("the store reads")
                .iter()
                .filter(|b| {
                    matches!(
                        b.enforcement,
                        Enforcement::Pending | Enforcement::Failing { .. }
                    )
                })
                .count();
            if pending == 0 {
                break started.elapsed().as_secs_f64();
            }
        };
        done.store(true, Ordering::Relaxed);
        let handed_back = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
        FleetRun {
            ids,
            stored_s,
            elapsed_s,
            handed_back,
        }
    })
}

/// The requests per action and the rate-limit answers in the simulator's log.
fn requests(sim: &zego_sim::SimHandle) -> (BTreeMap<String, usize>, usize) {
    let log = sim.request_log();
    let mut requests: BTreeMap<String, usize> = BTreeMap::new();
    for r in &log {
        *requests.entry(r.action.clone()).or_default() += 1;
    }
    let limited = log
        .iter()
        .filter(|r| r.code.is_some_and(|c| RATE_LIMIT_CODES.contains(&c)))
        .count();
    (requests, limited)
}

/// When the room was listed and when the bans' room parts (listing, stream forbid, kick)
/// were begun (`room_done_at`, the time of the tick that did them), in seconds after the
/// raid's first request: why a second listing came, if one did.
fn room_parts(
    sim: &zego_sim::SimHandle,
    bans: &[zego_moderation::StoredBan],
) -> (String, usize, i64) {
    let log = sim.request_log();
    let first_ms = log.iter().map(|r| r.time_ms).min().unwrap_or(0);
    let listed: Vec<String> = log
        .iter()
        .filter(|r| r.action == "DescribeSimpleStreamList")
        .map(|r| format!("+{} s", (r.time_ms - first_ms) / 1000))
        .collect();
    let first_s = first_ms / 1000;
    let within_window = bans
        .iter()
        .filter(|b| b.effects.room_done_at.is_some_and(|t| t - first_s < 10))
        .count();
    let last = bans
        .iter()
        .filter_map(|b| b.effects.room_done_at)
        .max()
        .map_or(0, |t| t - first_s);
    let text = format!(
        "listed at {}; room part begun for {within_window} bans within 10 s, the last at +{last} s",
        listed.join(", ")
    );
    (text, within_window, last)
}

/// One raid on a fresh simulator with `backend`'s fleet: its figures, keys as in the JSON.
fn raid(name: &str, backend: &Backend, users: usize) -> Vec<(&'static str, f64)> {
    let sim = zego_sim::Simulator::builder()
        .app(fixtures::APP_ID, fixtures::SECRET)
        .rate_limit(true)
        .start()
        .expect("the simulator starts");
    for i in 0..users {
        let user = format!("raider-{i:04}");
        let stream = format!("s-{user}");
        assert!(sim.publish_stream(fixtures::APP_ID, Env::Production, ROOM, &user, &stream));
    }
    let moderator = backend.store();

    let FleetRun {
        ids,
        stored_s,
        elapsed_s: elapsed,
        handed_back,
    } = run_fleet(&sim, backend, &*moderator, users);

    let (requests, rate_limit_answers) = requests(&sim);
    let count = |action: &str| requests.get(action).copied().unwrap_or(0);
    let listings = count("DescribeSimpleStreamList");
    #[allow(clippy::cast_precision_loss)] // small counts
    let quota_bound = QUOTAS
        .iter()
        .map(|(action, q)| count(action) as f64 / q)
        .fold(0.0, f64::max);
    #[allow(clippy::cast_precision_loss)]
    let ideal = quota_bound + listings.saturating_sub(1) as f64 * LISTING_WINDOW_S;
    let bans: Vec<_> = ids
        .iter()
        .map(|id| moderator.ban(*id).expect("a ban"))
        .collect();
    let full = bans
        .iter()
        .filter(|b| b.enforcement == Enforcement::Full)
        .count();
    let without_rule = bans
        .iter()
        .filter(|b| matches!(b.enforcement, Enforcement::WithoutRule { .. }))
        .count();
    let kicked = bans.iter().filter(|b| b.effects.kicked).count();
    let forbidden = sim
        .forbidden_rtc_streams(fixtures::APP_ID, Env::Production)
        .len();
    let audited = moderator
        .audit(&zego_moderation::AuditFilter::default())
        .expect("the audit reads")
        .iter()
        .filter(|e| e.action == "apply" && e.outcome == "ok")
        .count();
    let (room, room_parts_within_10s, room_part_last_s) = room_parts(&sim, &bans);
    sim.shutdown();

    println!("  {name}: requests: {requests:?}");
    println!("  {name}: storing {users} bans: {stored_s:.3} s (inside the wall time, the workers applying meanwhile)");
    println!("  {name}: applied: {full} with their rule, {without_rule} without (ZEGO's 200-rule cap: 50123), {kicked} kicked, {forbidden} streams forbidden, {audited} apply audits, {handed_back} pieces handed back");
    println!("  {name}: {room} (seconds after the raid's first request)");
    println!(
        "  {name}: wall {elapsed:.3} s, ideal {ideal:.3} s (quota bound {quota_bound:.3} s + {} extra listing(s) x 10 s) = {:.4}x (target <= 1.10x), {rate_limit_answers} rate-limit answer(s) (target 0)",
        listings.saturating_sub(1),
        elapsed / ideal
    );
    #[allow(clippy::cast_precision_loss)] // small counts
    let fields = vec![
        ("users", users as f64),
        ("workers", WORKERS as f64),
        ("wall_s", elapsed),
        ("stored_s", stored_s),
        ("ideal_s", ideal),
        ("quota_bound_s", quota_bound),
        ("ratio", elapsed / ideal),
        ("rate_limit_answers", rate_limit_answers as f64),
        ("listings", listings as f64),
        ("room_parts_within_10s", room_parts_within_10s as f64),
        ("room_part_last_s", room_part_last_s as f64),
        ("forbid_requests", count("ForbidRTCStreams") as f64),
        ("kick_requests", count("KickoutUser") as f64),
        ("rule_requests", count("SetForbidUserRule") as f64),
        ("applied_full", full as f64),
        ("applied_without_rule", without_rule as f64),
        ("kicked", kicked as f64),
        ("streams_forbidden", forbidden as f64),
        ("handed_back", handed_back as f64),
        ("failed", (users - full - without_rule) as f64),
    ];
    fields
}

fn main() {
    let users = if results::quick() { 300 } else { 1_000 };
    println!(
        "ban_raid: {users} users banned at once in one room, {WORKERS} workers, ZEGO's quotas"
    );

    let dir = std::env::temp_dir().join(format!("zego-ban-raid-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let sqlite = Backend::Sqlite {
        path: dir.join("bans.sqlite"),
        coordinator: Arc::new(LocalCoordinator::new()),
    };
    println!(" sqlite: one SQLite file, one in-process LocalCoordinator");
    let sqlite_fields = raid("sqlite", &sqlite, users);
    let _ = std::fs::remove_dir_all(&dir);

    let server = redis_server::RedisServer::start();
    let redis = Backend::Redis { url: server.url() };
    println!(" redis: one redis-server, each worker its own RedisCoordinator and RedisStore");
    let redis_fields = raid("redis", &redis, users);
    drop(server);

    // The SQLite variant's keys as they were; the Redis variant's prefixed `redis_`.
    let redis_keys: Vec<String> = redis_fields
        .iter()
        .map(|(key, _)| format!("redis_{key}"))
        .collect();
    let fields: Vec<(&str, f64)> = sqlite_fields
        .iter()
        .copied()
        .chain(
            redis_keys
                .iter()
                .zip(&redis_fields)
                .map(|(key, (_, value))| (key.as_str(), *value)),
        )
        .collect();
    match results::write("ban_raid", &fields) {
        Ok(path) => println!("  written to {}", path.display()),
        Err(e) => eprintln!("  could not write the figures: {e}"),
    }
}
