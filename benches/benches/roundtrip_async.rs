//! Async round trips over loopback: `zego_transport_async::Client::execute` of one
//! `ForbidRTCStream` against a raw reqwest GET of the same operation's URL, pre-signed once,
//! with a `reqwest::Client` configured like the SDK's, to the same server. Both run on the
//! same current-thread tokio runtime (the servers have their own threads).
//!
//! Groups as in `roundtrip_blocking.rs`: `roundtrip_async` against zego-sim (the target's
//! figure) and `roundtrip_async_minimal` against the constant-JSON hyper server (reported).
//! Calls are paired one by one and the pair's figures written to
//! `target/zego-bench/<group>.json` ([`loopback::Paired`]).

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;
use tokio::runtime::Runtime;
use zego_benches::fixtures;
use zego_benches::loopback::{self, Paired, Side};
use zego_proto::driver::TransportOptions;
use zego_proto::{retry::RetryPolicy, Endpoint};
use zego_transport_async::Client;

fn client(base_url: &str) -> Client {
    Client::builder(fixtures::credentials())
        .endpoint(Endpoint::custom(base_url).expect("a loopback URL"))
        .no_rate_limit()
        .retry_policy(RetryPolicy::never())
        .build()
}

/// Configured as `zego_transport_async::ReqwestTransport::new(&TransportOptions::default())`.
fn reqwest_client() -> reqwest::Client {
    let options = TransportOptions::default();
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .timeout(options.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(options.user_agent.clone())
        .build()
        .expect("the HTTP client builds")
}

async fn raw_get(client: &reqwest::Client, url: &str) -> bytes::Bytes {
    client
        .get(url)
        .send()
        .await
        .expect("the server answers")
        .bytes()
        .await
        .expect("the body arrives")
}

/// [`Paired::run`] for async calls: `iters` pairs inside one `block_on`, one call of each
/// side per iteration in alternating order; returns the time of `side`'s calls.
fn iter_paired<F, FFut, B, BFut>(
    runtime: &Runtime,
    pair: &Paired,
    iters: u64,
    side: Side,
    figure: F,
    baseline: B,
) -> Duration
where
    F: Fn() -> FFut,
    FFut: Future,
    B: Fn() -> BFut,
    BFut: Future,
{
    let (f, b) = runtime.block_on(async {
        let (mut f, mut b) = (Duration::ZERO, Duration::ZERO);
        for i in 0..iters {
            let baseline_first = i % 2 == 0;
            if baseline_first {
                let start = Instant::now();
                black_box(baseline().await);
                b += start.elapsed();
            }
            let start = Instant::now();
            black_box(figure().await);
            f += start.elapsed();
            if !baseline_first {
                let start = Instant::now();
                black_box(baseline().await);
                b += start.elapsed();
            }
        }
        (f, b)
    });
    pair.record(iters, f, b);
    match side {
        Side::Figure => f,
        Side::Baseline => b,
    }
}

fn round_trips(c: &mut Criterion, runtime: &Runtime, group: &str, base_url: &str) {
    // Built inside the runtime: reqwest's pool belongs to the runtime that drives it.
    let (client, raw) = runtime.block_on(async { (client(base_url), reqwest_client()) });
    let op = loopback::forbid_op();
    let url = loopback::presigned_url(base_url);
    runtime.block_on(async {
        client
            .execute(&op)
            .await
            .expect("the SDK's request succeeds");
        let body = raw_get(&raw, &url).await;
        assert!(std::str::from_utf8(&body)
            .expect("UTF-8")
            .contains("\"Code\":0"));
    });

    let sdk = || async { client.execute(black_box(&op)).await.expect("success") };
    let base = || raw_get(&raw, black_box(&url));
    // Each ID times its own side of calls paired one by one (see `loopback::Paired`).
    let pair = Paired::default();
    let mut g = c.benchmark_group(group);
    g.bench_function("zego_client_execute", |b| {
        b.iter_custom(|iters| iter_paired(runtime, &pair, iters, Side::Figure, sdk, base));
    });
    g.bench_function("reqwest_get_presigned", |b| {
        b.iter_custom(|iters| iter_paired(runtime, &pair, iters, Side::Baseline, sdk, base));
    });
    g.finish();
    pair.write(group);
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let sim = zego_sim::Simulator::builder()
        .app(fixtures::APP_ID, fixtures::SECRET)
        .rate_limit(false)
        .start()
        .expect("the simulator starts");
    round_trips(&mut c, &runtime, "roundtrip_async", &sim.base_url());
    sim.shutdown();
    let minimal = loopback::ConstJsonServer::start().expect("the minimal server starts");
    round_trips(
        &mut c,
        &runtime,
        "roundtrip_async_minimal",
        &minimal.base_url(),
    );
    c.final_summary();
}
