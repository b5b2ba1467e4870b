//! Maintainer tasks of the zego-rs workspace, in the cargo-xtask style: plain Rust run
//! through the `cargo xtask` alias (`.cargo/config.toml`), so they need nothing but cargo.
//!
//! ```text
//! cargo xtask ci    [--no-fuzz] [--fuzz-seconds N]   everything CI checks, in order
//! cargo xtask fuzz  [TARGET] [--seconds N] [--asan]  run one or every fuzz target
//! cargo xtask bench [--quick]                        every benchmark, then one table
//! cargo xtask package                                cargo package + verify of every publishable crate
//! cargo xtask tidy                                   the layer rules, from `cargo metadata`
//! ```

mod bench;
mod ci;
mod fuzz;
mod json;
mod msrv;
mod package;
mod tidy;
mod util;

use std::process::ExitCode;

use util::{Error, Result};

const USAGE: &str = "\
usage: cargo xtask <task> [options]

tasks:
  ci [--no-fuzz] [--fuzz-seconds N]
      fmt check, MSRV check and layer rules (tidy) of the dependency graph, clippy (-D warnings), tests, docs (-D warnings), bench build, then
      every fuzz target for N seconds (default 20); stops at the first failure.
  fuzz [TARGET] [--seconds N] [--asan]
      installs cargo-fuzz if missing and runs TARGET (default: every target) for
      N seconds (default 60) on the stable toolchain, without a sanitizer unless
      --asan is given. New inputs go to fuzz/target/corpus/TARGET/; the committed
      seeds in fuzz/corpus/TARGET/ are only read.
  bench [--quick]
      builds zego-cli (release), runs every bench of zego-benches (criterion
      micro-benches, paired loopback round trips, the 2,000-stream bulk run at the
      20/s quota, the CLI's peak memory over 1,000,000 IDs, the allocation count;
      --quick: 1 s warm-up, 2 s measurement, one bulk run) and prints ONE table of
      each figure next to its baseline and target; fails if a target is missed.
  tidy
      the layer rules of ARCHITECTURE.md on the dependency graph (`cargo metadata`):
      zego-sim depends on no zego-* crate; zego-proto and zego-callback on no HTTP
      library, async runtime or Redis client; the transports not on each other.
      Normal and build dependencies count, dev-dependencies do not. A step of `ci`.
  package
      `cargo package --workspace` of every publishable crate, each verified by building
      its tarball against its siblings' tarballs (not a step of `ci`: it rebuilds the
      whole tree once more).
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nxtask error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result {
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return Err(Error::msg("no task given"));
    };
    match task.as_str() {
        "ci" => ci::run(&ci::Options::parse(rest)?),
        "fuzz" => fuzz::run(&fuzz::Options::parse(rest)?),
        "bench" => bench::run(&bench::Options::parse(rest)?),
        // Hidden (a step of `ci`): no dependency may need a newer Rust than the workspace.
        "msrv" if rest.is_empty() => msrv::run(),
        "tidy" if rest.is_empty() => tidy::run(),
        "package" if rest.is_empty() => package::run(),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprint!("{USAGE}");
            Err(Error::msg(format!("unknown task `{other}`")))
        }
    }
}
