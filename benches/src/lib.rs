//! Shared fixtures and baselines of the zego-rs benchmarks.
//!
//! Every figure is measured next to a baseline in the same criterion group and run, so a
//! ratio compares like with like on whatever machine runs it. `cargo xtask bench` runs
//! the benches and prints each figure with its baseline and target; the pairing and the
//! targets live in one table, `FIGURES` in `xtask/src/bench.rs`. Results: `BENCHMARKS.md`.
//!
//! # Layout: one bench file per area
//!
//! | file | criterion groups (or output) | measured against |
//! |---|---|---|
//! | `benches/sign.rs` | `sign` | [`baseline::md5_hex`] of the same 68 bytes |
//! | `benches/prepare.rs` | `prepare_forbid_one`, `prepare_forbid_20` | [`baseline::md5_hex`] |
//! | `benches/parse.rs` | `parse_success`, `parse_describe` | [`baseline::Envelope`] through `serde_json` |
//! | `benches/roundtrip_blocking.rs` | `roundtrip_blocking` (zego-sim), `roundtrip_blocking_minimal` ([`loopback::ConstJsonServer`]) | raw ureq GET of the same URL, [`loopback::ureq_agent`] |
//! | `benches/roundtrip_async.rs` | `roundtrip_async`, `roundtrip_async_minimal` | raw reqwest GET of the same URL, current-thread runtime |
//! | `benches/sim.rs` | `sim_handling` | [`loopback::ConstJsonServer`], one raw ureq agent for both |
//! | `benches/bulk.rs`, `benches/bulk_raised.rs` | (plain `main`, [`bulk_run`]) `target/zego-bench/bulk_2000.json`, `bulk_raised.json` | the ideal ceil(N/20) requests at the quota |
//! | `benches/peak_memory.rs` | (plain `main`) `target/zego-bench/peak_memory.json` | the same `zego forbid` idle on an empty stdin (server: [`loopback::ConstJsonServer`], or zego-sim) |
//! | `tests/allocations.rs` | (a counting allocator, not criterion) | at most 3 allocations |
//!
//! The two plain-`main` benches time whole runs (seconds, not microseconds), write their
//! figures with [`results::write`] and run their short variant under
//! `ZEGO_BENCH_QUICK=1` ([`results::quick`]); `cargo xtask bench` reads the files. Fixtures
//! the benches share go in [`fixtures`] and [`loopback`].

pub mod admission;
pub mod baseline;
pub mod bulk_run;
pub mod fixtures;
pub mod loopback;
pub mod peak_rss;
pub mod results;
