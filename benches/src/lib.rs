//! Shared fixtures and baselines of the zego-rs benchmarks.
//!
//! Every figure is measured next to a baseline in the same criterion group and run, so a
//! ratio compares like with like on whatever machine runs it. `cargo xtask bench` runs
//! the benches and prints each figure with its baseline and target ratio; the pairing
//! and the targets live in one table, `FIGURES` in `xtask/src/bench.rs`.
//!
//! # Layout: one bench file per area
//!
//! | file | criterion groups | measured against |
//! |---|---|---|
//! | `benches/sign.rs` | `sign` | [`baseline::md5_hex`] of the same 68 bytes |
//! | `benches/prepare.rs` | `prepare_forbid_one`, `prepare_forbid_20` | [`baseline::md5_hex`] |
//! | `benches/parse.rs` | `parse_success`, `parse_describe` | [`baseline::Envelope`] through `serde_json` |
//! | `tests/allocations.rs` | (a counting allocator, not criterion) | at most 3 allocations |
//!
//! An area that needs more of the workspace gets its own file, `[[bench]]` entry and
//! dependency here, and its rows in `FIGURES`: the blocking transport against raw `ureq`,
//! the async transport against raw `reqwest`, the simulator's request handling, and the
//! bulk run of 2,000 streams. Fixtures they share with these go in [`fixtures`].

pub mod baseline;
pub mod fixtures;
