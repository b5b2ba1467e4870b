//! Counts the heap allocations of one `prepare_with_nonce(ForbidRtcStream)` with a counting
//! global allocator, prints the count and fails above the target.
//!
//! A test without the libtest harness: nothing but this `main` runs, so every allocation
//! counted is the one under test. `cargo xtask bench` reads the
//! `zego-benches allocations <key>=<count>` line.

use std::alloc::System;
use std::process::ExitCode;

use stats_alloc::{Region, StatsAlloc, INSTRUMENTED_SYSTEM};
use zego_benches::fixtures;
use zego_proto::wire::prepare_with_nonce;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// The most allocations one prepare may make.
const MAX_ALLOCATIONS: usize = 3;

fn main() -> ExitCode {
    let op = fixtures::forbid_one();
    let config = fixtures::config();
    let credentials = fixtures::credentials();
    let nonce = fixtures::nonce();

    let region = Region::new(GLOBAL);
    let request = prepare_with_nonce(&op, &config, &credentials, fixtures::TIMESTAMP, nonce);
    let stats = region.change();
    let request = request.expect("the fixture is valid");
    assert!(request.url().contains(fixtures::SIGNATURE));

    let count = stats.allocations + stats.reallocations;
    println!("zego-benches allocations prepare_forbid_one={count}");
    println!(
        "prepare_with_nonce(ForbidRtcStream): {} allocation(s) + {} reallocation(s), {} bytes \
         (target <= {MAX_ALLOCATIONS})",
        stats.allocations, stats.reallocations, stats.bytes_allocated
    );
    if count > MAX_ALLOCATIONS {
        eprintln!("allocations: {count} heap allocations, the target is <= {MAX_ALLOCATIONS}");
        return ExitCode::FAILURE;
    }
    println!("1 passed, 0 failed");
    ExitCode::SUCCESS
}
