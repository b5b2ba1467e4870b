//! Signing: `zego_proto::sign` against MD5 + hex of the same 68-byte string.

use std::hint::black_box;

use criterion::Criterion;
use zego_benches::{baseline, fixtures};

fn sign(c: &mut Criterion) {
    let (app_id, nonce, secret, timestamp) = fixtures::signing_inputs();
    let mut group = c.benchmark_group("sign");
    group.bench_function("zego_proto_sign", |b| {
        b.iter(|| {
            zego_proto::wire::sign(
                black_box(app_id),
                black_box(&nonce),
                black_box(&secret),
                black_box(timestamp),
            )
        });
    });
    group.bench_function("md5_hex_68_bytes", |b| {
        b.iter(|| baseline::md5_hex(black_box(fixtures::SIGNED_STRING)));
    });
    group.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    sign(&mut c);
    c.final_summary();
}
