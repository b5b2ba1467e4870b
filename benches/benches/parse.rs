//! Response parsing: `parse_response` of the success envelope and of a Describe answer,
//! each against `serde_json` into a minimal borrowed struct of the same body.

use std::hint::black_box;

use criterion::Criterion;
use zego_benches::{baseline, fixtures};
use zego_proto::wire::{parse_response, HttpResponse};

fn parse_success(c: &mut Criterion) {
    let op = fixtures::forbid_one();
    let response = HttpResponse::new(200, fixtures::SUCCESS_BODY);
    let mut group = c.benchmark_group("parse_success");
    group.bench_function("parse_response", |b| {
        b.iter(|| parse_response(black_box(&op), black_box(&response)));
    });
    group.bench_function("serde_json_borrowed", |b| {
        b.iter(|| baseline::parse_success(black_box(&response.body)));
    });
    group.finish();
}

fn parse_describe(c: &mut Criterion) {
    let op = fixtures::describe();
    let response = HttpResponse::new(200, fixtures::describe_body());
    let mut group = c.benchmark_group("parse_describe");
    group.bench_function("parse_response", |b| {
        b.iter(|| parse_response(black_box(&op), black_box(&response)));
    });
    group.bench_function("serde_json_borrowed", |b| {
        b.iter(|| baseline::parse_describe(black_box(&response.body)));
    });
    group.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    parse_success(&mut c);
    parse_describe(&mut c);
    c.final_summary();
}
