//! Blocking round trips over loopback: `zego_transport_blocking::Client::execute` of one
//! `ForbidRTCStream` against a raw ureq GET of the same operation's URL, pre-signed once,
//! sent to the same server with an agent configured like the SDK's.
//!
//! Two servers, two groups:
//! - `roundtrip_blocking`: zego-sim (the target's figure: the same URL to the same server);
//! - `roundtrip_blocking_minimal`: a constant-JSON hyper server, so the server's share is as
//!   small as it gets and the ratio shows the client overhead alone (reported).
//!
//! Client rate limiter off, no retries, simulator rate limit off. Both IDs of a group make
//! the same calls, one of each side per iteration, and time their own side
//! ([`loopback::Paired`]); the pair's means and ratio over both IDs go to
//! `target/zego-bench/<group>.json`, which `cargo xtask bench` reports.

use std::hint::black_box;
use std::io::Read;

use criterion::Criterion;
use zego_benches::fixtures;
use zego_benches::loopback::{self, Paired, Side};
use zego_proto::{retry::RetryPolicy, Endpoint};
use zego_transport_blocking::Client;

fn client(base_url: &str) -> Client {
    Client::builder(fixtures::credentials())
        .endpoint(Endpoint::custom(base_url).expect("a loopback URL"))
        .no_rate_limit()
        .retry_policy(RetryPolicy::never())
        .build()
}

fn raw_get(agent: &ureq::Agent, url: &str) -> Vec<u8> {
    let response = agent.get(url).call().expect("the server answers");
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .read_to_end(&mut body)
        .expect("the body arrives");
    body
}

fn round_trips(c: &mut Criterion, group: &str, base_url: &str) {
    let client = client(base_url);
    let op = loopback::forbid_op();
    let agent = loopback::ureq_agent();
    let url = loopback::presigned_url(base_url);
    // Both paths must succeed before they are timed.
    client.execute(&op).expect("the SDK's request succeeds");
    assert!(String::from_utf8(raw_get(&agent, &url))
        .expect("UTF-8")
        .contains("\"Code\":0"));

    let sdk = || {
        black_box(client.execute(black_box(&op)).expect("success"));
    };
    let raw = || {
        black_box(raw_get(&agent, black_box(&url)));
    };
    // Each ID times its own side of calls paired one by one (see `loopback::Paired`).
    let pair = Paired::default();
    let mut g = c.benchmark_group(group);
    g.bench_function("zego_client_execute", |b| {
        b.iter_custom(|iters| pair.run(iters, Side::Figure, sdk, raw));
    });
    g.bench_function("ureq_get_presigned", |b| {
        b.iter_custom(|iters| pair.run(iters, Side::Baseline, sdk, raw));
    });
    g.finish();
    pair.write(group);
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    let sim = zego_sim::Simulator::builder()
        .app(fixtures::APP_ID, fixtures::SECRET)
        .rate_limit(false)
        .start()
        .expect("the simulator starts");
    round_trips(&mut c, "roundtrip_blocking", &sim.base_url());
    sim.shutdown();
    let minimal = loopback::ConstJsonServer::start().expect("the minimal server starts");
    round_trips(&mut c, "roundtrip_blocking_minimal", &minimal.base_url());
    c.final_summary();
}
