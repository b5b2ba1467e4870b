//! The fleet coordinator's cost per admission: `RedisCoordinator::admit` of a sequenced
//! `ForbidRTCStreams`-like request (one script: Redis TIME, the GCRA reservation, the
//! stream's Sequence) against a bare EVALSHA round trip (`return 1`) on the same Redis, each
//! pair timed call by call, alternating; sync and async. The quota is set out of reach, so
//! the script does its whole work but never asks to wait.
//!
//! Starts its own `redis-server` on a free loopback port. Writes
//! `target/zego-bench/redis_admission.json`.

#![allow(clippy::cast_precision_loss)] // Nanosecond counts of a few seconds.

#[path = "../../crates/zego-redis/tests/common/mod.rs"]
mod redis_server;

use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_benches::admission::{unbounded_quotas, unix_now};
use zego_benches::results;
use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, RateLimitKey};
use zego_proto::{ops::RateLimitGroup, AppId, Environment};

fn request_key() -> RateLimitKey {
    RateLimitKey {
        app_id: AppId::new(1),
        environment: Environment::Production,
        group: RateLimitGroup::StreamForbid,
    }
}

fn main() {
    let iterations: u32 = if results::quick() { 5_000 } else { 20_000 };
    let server = redis_server::RedisServer::start();
    let coordinator = Arc::new(
        zego_redis::RedisCoordinator::builder(&server.url())
            .expect("a loopback URL")
            .quotas(unbounded_quotas())
            .response_timeout(Duration::from_secs(2))
            .build(),
    );
    let streams = vec!["bench-stream".to_owned()];
    let bare = redis::Script::new("return 1");
    let mut conn = server.connection();

    // Sync, paired call by call.
    let (mut admit_ns, mut bare_ns) = (0u128, 0u128);
    for _ in 0..iterations {
        let request = AdmissionRequest::new(request_key(), unix_now()).with_sequence_for(&streams);
        let t = Instant::now();
        let answer = coordinator.admit(&request).expect("admitted");
        admit_ns += t.elapsed().as_nanos();
        assert!(
            matches!(answer, Admission::Go { sequence: Some(_) }),
            "{answer:?}"
        );
        let t = Instant::now();
        let one: i64 = bare.invoke(&mut conn).expect("EVALSHA");
        bare_ns += t.elapsed().as_nanos();
        assert_eq!(one, 1);
    }
    let sync_admit = admit_ns as f64 / f64::from(iterations) / 1000.0;
    let sync_bare = bare_ns as f64 / f64::from(iterations) / 1000.0;

    // Async, the same pairs through multiplexed connections.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (async_admit, async_bare) = runtime.block_on(async {
        let client = redis::Client::open(server.url()).expect("a loopback URL");
        let mut manager = redis::aio::ConnectionManager::new(client)
            .await
            .expect("a connection manager");
        let (mut admit_ns, mut bare_ns) = (0u128, 0u128);
        for _ in 0..iterations {
            let request =
                AdmissionRequest::new(request_key(), unix_now()).with_sequence_for(&streams);
            let t = Instant::now();
            let answer = coordinator.admit_async(&request).await.expect("admitted");
            admit_ns += t.elapsed().as_nanos();
            assert!(matches!(answer, Admission::Go { sequence: Some(_) }));
            let t = Instant::now();
            let one: i64 = bare.invoke_async(&mut manager).await.expect("EVALSHA");
            bare_ns += t.elapsed().as_nanos();
            assert_eq!(one, 1);
        }
        (
            admit_ns as f64 / f64::from(iterations) / 1000.0,
            bare_ns as f64 / f64::from(iterations) / 1000.0,
        )
    });

    // Redis's own time per script call (`INFO commandstats`), each measured alone: what
    // of the admission is the script's work rather than the client's.
    let mut stats = server.connection();
    let server_admit = server_us_per_evalsha(&mut stats, || {
        let request = AdmissionRequest::new(request_key(), unix_now()).with_sequence_for(&streams);
        coordinator.admit(&request).expect("admitted");
    });
    let server_bare = server_us_per_evalsha(&mut stats, || {
        let _: i64 = bare.invoke(&mut conn).expect("EVALSHA");
    });

    println!("redis_admission ({iterations} pairs each):");
    println!(
        "  sync : admit {sync_admit:.1} µs vs bare EVALSHA {sync_bare:.1} µs = {:.2}x",
        sync_admit / sync_bare
    );
    println!(
        "  async: admit {async_admit:.1} µs vs bare EVALSHA {async_bare:.1} µs = {:.2}x",
        async_admit / async_bare
    );
    println!("  in Redis: admission script {server_admit:.1} µs vs `return 1` {server_bare:.1} µs");
    let path = results::write(
        "redis_admission",
        &[
            ("sync_admit_us", sync_admit),
            ("sync_evalsha_us", sync_bare),
            ("sync_ratio", sync_admit / sync_bare),
            ("async_admit_us", async_admit),
            ("async_evalsha_us", async_bare),
            ("async_ratio", async_admit / async_bare),
            ("server_admit_us", server_admit),
            ("server_evalsha_us", server_bare),
        ],
    );
    if let Ok(path) = path {
        println!("  written to {}", path.display());
    }
}

/// Redis's mean time per EVALSHA (`INFO commandstats`) over 1,000 calls of `call`.
fn server_us_per_evalsha(conn: &mut redis::Connection, mut call: impl FnMut()) -> f64 {
    redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query::<()>(conn)
        .expect("CONFIG RESETSTAT");
    for _ in 0..1_000 {
        call();
    }
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(conn)
        .expect("INFO commandstats");
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:"))
        .and_then(|fields| {
            fields
                .split(',')
                .find_map(|field| field.strip_prefix("usec_per_call="))
        })
        .and_then(|value| value.parse().ok())
        .unwrap_or(f64::NAN)
}
