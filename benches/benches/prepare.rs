//! Request building: `prepare_with_nonce` of `ForbidRTCStream` and of a 20-stream
//! `ForbidRTCStreams`, each against MD5 + hex of the 68-byte signed string.

use std::hint::black_box;

use criterion::Criterion;
use zego_benches::{baseline, fixtures};
use zego_proto::wire::prepare_with_nonce;
use zego_proto::Operation;

fn bench_prepare<O: Operation>(c: &mut Criterion, group: &str, op: &O) {
    let config = fixtures::config();
    let credentials = fixtures::credentials();
    let nonce = fixtures::nonce();
    let mut group = c.benchmark_group(group);
    group.bench_function("prepare_with_nonce", |b| {
        b.iter(|| {
            prepare_with_nonce(
                black_box(op),
                black_box(&config),
                black_box(&credentials),
                black_box(fixtures::TIMESTAMP),
                black_box(nonce),
            )
        });
    });
    group.bench_function("md5_hex_68_bytes", |b| {
        b.iter(|| baseline::md5_hex(black_box(fixtures::SIGNED_STRING)));
    });
    group.finish();
}

fn prepare(c: &mut Criterion) {
    bench_prepare(c, "prepare_forbid_one", &fixtures::forbid_one());
    bench_prepare(c, "prepare_forbid_20", &fixtures::forbid_20());
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    prepare(&mut c);
    c.final_summary();
}
