//! The ban store's cost per ban (issue 22): one ban's whole life in the store —
//! `insert_ban` + `claim_due` + `update_ban` + `complete` + `append_audit` — against the
//! bare operation underneath, timed pair by pair, alternating:
//!
//! - `SqliteStore` on a file against a bare `INSERT` of a same-shaped row into a
//!   same-shaped table in another file with the same settings (WAL, the busy timeout,
//!   `synchronous=NORMAL`, as `SqliteStore` sets), autocommit;
//! - `RedisStore` against a bare round trip on the same `redis-server`: `EVALSHA` of
//!   `return 1` through the same bounded connection (`zego_redis::RedisScriptRunner`), and
//!   `PING` and `EVALSHA` on a plain redis-rs connection of the caller.
//!
//! A ban takes five store calls, so five bare round trips (five commits for SQLite) are the
//! floor. Starts its own `redis-server` on a free loopback port. Writes
//! `target/zego-bench/ban_store.json`.

#![allow(clippy::cast_precision_loss)] // Nanosecond counts of a few seconds.

#[path = "../../crates/zego-redis/tests/common/mod.rs"]
mod redis_server;

use std::time::{Duration, Instant};

use zego_benches::results;
use zego_moderation::{
    AuditEntry, BanDuration, BanRequest, Enforcement, RedisStore, Scopes, SqliteStore, Store,
    Target,
};
use zego_proto::AppId;
use zego_redis::{RedisScript, RedisScriptRunner};

fn request(i: u32) -> BanRequest {
    BanRequest::new(
        Target::User {
            user_id: format!("user-{i}"),
            room_id: Some("room-1".into()),
            scopes: Scopes::ALL,
        },
        BanDuration::For(Duration::from_secs(3 * 86_400)),
        "spam in the chat",
        "moderator-7",
    )
    .expect("a valid ban")
}

/// One ban's life in `store`: stored, claimed, applied, completed, audited.
fn one_ban(store: &dyn Store, i: u32, now: i64) {
    let mut ban = store.insert_ban(&request(i), now).expect("insert_ban");
    let work = store.claim_due("bench", now, 60, 10).expect("claim_due");
    assert_eq!(work.len(), 1, "the apply of ban {i}");
    ban.enforcement = Enforcement::Full;
    ban.effects.kicked = true;
    ban.effects.user_rule = true;
    ban.effects.rule_expires_at = Some(now + 86_400);
    assert!(store.update_ban(&mut ban).expect("update_ban"));
    assert!(store.complete(&work[0], "bench").expect("complete"));
    store
        .append_audit(&AuditEntry {
            at: now,
            ban: ban.id,
            action: "apply".into(),
            actor: "moderator-7".into(),
            reason: "spam in the chat".into(),
            user_id: Some(format!("user-{i}")),
            stream_id: None,
            request_ids: vec!["1234567890123456789".into(), "1234567890123456790".into()],
            outcome: "ok".into(),
        })
        .expect("append_audit");
}

fn per_call_us(total_ns: u128, iterations: u32) -> f64 {
    total_ns as f64 / f64::from(iterations) / 1000.0
}

/// `(store µs per ban, bare INSERT µs)`.
fn sqlite(iterations: u32) -> (f64, f64) {
    let dir = std::env::temp_dir().join(format!("zego-bench-ban-store-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let store = SqliteStore::open(dir.join("bans.sqlite")).expect("the store");
    let bare = rusqlite::Connection::open(dir.join("bare.sqlite")).expect("the bare file");
    bare.busy_timeout(Duration::from_secs(10)).expect("busy");
    bare.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))
        .expect("WAL");
    bare.execute_batch("PRAGMA synchronous=NORMAL")
        .expect("synchronous");
    bare.execute_batch(
        "CREATE TABLE bans (id INTEGER PRIMARY KEY AUTOINCREMENT, request TEXT NOT NULL,
         created_at INTEGER NOT NULL, ends_at INTEGER, enforcement TEXT NOT NULL,
         effects TEXT NOT NULL, lifted INTEGER NOT NULL DEFAULT 0)",
    )
    .expect("the bare table");
    let row = serde_json::to_string(&request(0)).expect("JSON");
    let (mut store_ns, mut bare_ns) = (0u128, 0u128);
    for i in 0..iterations {
        let now = 1_700_000_000 + i64::from(i);
        let t = Instant::now();
        one_ban(&store, i, now);
        store_ns += t.elapsed().as_nanos();
        let t = Instant::now();
        bare.execute(
            "INSERT INTO bans (request, created_at, ends_at, enforcement, effects) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![row, now, now + 259_200, "{\"state\":\"pending\"}", "{}"],
        )
        .expect("INSERT");
        bare_ns += t.elapsed().as_nanos();
    }
    drop((store, bare));
    let _ = std::fs::remove_dir_all(&dir);
    (
        per_call_us(store_ns, iterations),
        per_call_us(bare_ns, iterations),
    )
}

/// `(store µs per ban, EVALSHA through the runner, PING and EVALSHA on a plain connection)`.
fn redis(iterations: u32) -> (f64, f64, f64, f64) {
    let server = redis_server::RedisServer::start();
    let store = RedisStore::builder(&server.url(), AppId::new(1))
        .expect("a loopback URL")
        .response_timeout(Duration::from_secs(2))
        .connect()
        .expect("the store");
    let runner = RedisScriptRunner::new(
        &server.url(),
        Duration::from_secs(1),
        Duration::from_secs(2),
    )
    .expect("a loopback URL");
    let bare = RedisScript::new("return 1");
    let plain = redis::Script::new("return 1");
    let route = vec!["zego:ban:{1}".to_owned()];
    let mut conn = server.connection();
    let (mut store_ns, mut runner_ns, mut ping_ns, mut plain_ns) = (0u128, 0u128, 0u128, 0u128);
    for i in 0..iterations {
        let now = 1_700_000_000 + i64::from(i);
        let t = Instant::now();
        one_ban(&store, i, now);
        store_ns += t.elapsed().as_nanos();
        let t = Instant::now();
        let one = runner.run(&bare, &route, &[]).expect("EVALSHA");
        runner_ns += t.elapsed().as_nanos();
        assert_eq!(one, redis::Value::Int(1));
        let t = Instant::now();
        let pong: String = redis::cmd("PING").query(&mut conn).expect("PING");
        ping_ns += t.elapsed().as_nanos();
        assert_eq!(pong, "PONG");
        let t = Instant::now();
        let one: i64 = plain.invoke(&mut conn).expect("EVALSHA");
        plain_ns += t.elapsed().as_nanos();
        assert_eq!(one, 1);
    }
    (
        per_call_us(store_ns, iterations),
        per_call_us(runner_ns, iterations),
        per_call_us(ping_ns, iterations),
        per_call_us(plain_ns, iterations),
    )
}

fn main() {
    let (sqlite_n, redis_n): (u32, u32) = if results::quick() {
        (200, 1_000)
    } else {
        (1_000, 5_000)
    };
    let (sqlite_ban, sqlite_insert) = sqlite(sqlite_n);
    let (redis_ban, runner_evalsha, plain_ping, plain_evalsha) = redis(redis_n);
    println!(
        "ban_store (one ban = insert_ban + claim_due + update_ban + complete + append_audit):"
    );
    println!(
        "  SQLite ({sqlite_n} bans): {sqlite_ban:.1} µs per ban vs bare INSERT {sqlite_insert:.1} µs = {:.2}x",
        sqlite_ban / sqlite_insert
    );
    println!(
        "  Redis ({redis_n} bans): {redis_ban:.1} µs per ban vs EVALSHA through the same connection {runner_evalsha:.1} µs = {:.2}x",
        redis_ban / runner_evalsha
    );
    println!(
        "                     vs plain PING {plain_ping:.1} µs = {:.2}x, plain EVALSHA {plain_evalsha:.1} µs = {:.2}x",
        redis_ban / plain_ping,
        redis_ban / plain_evalsha
    );
    let path = results::write(
        "ban_store",
        &[
            ("sqlite_ban_us", sqlite_ban),
            ("sqlite_insert_us", sqlite_insert),
            ("sqlite_ratio", sqlite_ban / sqlite_insert),
            ("redis_ban_us", redis_ban),
            ("redis_runner_evalsha_us", runner_evalsha),
            ("redis_ratio", redis_ban / runner_evalsha),
            ("redis_plain_ping_us", plain_ping),
            ("redis_plain_evalsha_us", plain_evalsha),
            ("redis_ratio_plain_evalsha", redis_ban / plain_evalsha),
        ],
    );
    if let Ok(path) = path {
        println!("  written to {}", path.display());
    }
}
