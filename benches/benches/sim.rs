//! zego-sim's request handling: one raw ureq agent GETs the same pre-signed
//! `ForbidRTCStream` path and query from zego-sim and from a minimal handler on the same
//! HTTP stack (hyper 1 + hyper-util, current-thread tokio runtime on its own thread) that
//! answers a constant JSON body. The difference is the simulator's work per request: query
//! decoding, gateway and signature checks, the rate-limit and `Sequence` bookkeeping, the
//! state update, the answer and the request log. Simulator rate limit off. Reported only.
//! Calls are paired one by one and the pair's figures written to
//! `target/zego-bench/sim_handling.json` ([`loopback::Paired`]).

use std::hint::black_box;
use std::io::Read;

use criterion::Criterion;
use zego_benches::fixtures;
use zego_benches::loopback::{self, Paired, Side};

fn get(agent: &ureq::Agent, url: &str) -> Vec<u8> {
    let response = agent.get(url).call().expect("the server answers");
    let mut body = Vec::new();
    response
        .into_body()
        .into_reader()
        .read_to_end(&mut body)
        .expect("the body arrives");
    body
}

fn sim_handling(c: &mut Criterion) {
    let sim = zego_sim::Simulator::builder()
        .app(fixtures::APP_ID, fixtures::SECRET)
        .rate_limit(false)
        .start()
        .expect("the simulator starts");
    let minimal = loopback::ConstJsonServer::start().expect("the minimal server starts");
    let sim_url = loopback::presigned_url(&sim.base_url());
    let minimal_url = loopback::rebase(&sim_url, &minimal.base_url());
    let agent = loopback::ureq_agent();
    for url in [&sim_url, &minimal_url] {
        let body = String::from_utf8(get(&agent, url)).expect("UTF-8");
        assert!(body.contains("\"Code\":0"), "{body}");
    }

    let to_sim = || {
        black_box(get(&agent, black_box(&sim_url)));
    };
    let to_minimal = || {
        black_box(get(&agent, black_box(&minimal_url)));
    };
    // Each ID times its own side of calls paired one by one (see `loopback::Paired`).
    let pair = Paired::default();
    let mut group = c.benchmark_group("sim_handling");
    group.bench_function("zego_sim", |b| {
        b.iter_custom(|iters| pair.run(iters, Side::Figure, to_sim, to_minimal));
    });
    group.bench_function("minimal_hyper", |b| {
        b.iter_custom(|iters| pair.run(iters, Side::Baseline, to_sim, to_minimal));
    });
    group.finish();
    pair.write("sim_handling");
    sim.shutdown();
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    sim_handling(&mut c);
    c.final_summary();
}
