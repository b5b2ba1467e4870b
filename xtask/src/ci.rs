//! `cargo xtask ci`: every check CI runs, in order, stopping at the first failure.

use std::process::Command;
use std::time::Duration;

use crate::util::{self, cargo, Arg, Args, Error, Result};
use crate::{fuzz, msrv, tidy};

/// The default length of each fuzz target's smoke run.
const DEFAULT_FUZZ_SECONDS: u64 = 20;

pub struct Options {
    fuzz_seconds: Option<u64>,
}

impl Options {
    pub fn parse(raw: &[String]) -> Result<Self> {
        let mut args = Args::new("ci", raw);
        let mut no_fuzz = false;
        let mut seconds = DEFAULT_FUZZ_SECONDS;
        while let Some(arg) = args.next() {
            match arg {
                Arg::Flag("no-fuzz", None) => no_fuzz = true,
                Arg::Flag("fuzz-seconds", inline) => {
                    seconds = args.seconds("--fuzz-seconds", inline)?;
                }
                Arg::Flag(flag, _) => return Err(args.error(format!("unknown flag --{flag}"))),
                Arg::Positional(p) => return Err(args.error(format!("unexpected argument `{p}`"))),
            }
        }
        Ok(Self {
            fuzz_seconds: (!no_fuzz).then_some(seconds),
        })
    }
}

/// One CI step: a name and what it runs.
struct Step {
    name: &'static str,
    action: Action,
}

enum Action {
    /// A command, echoed and run with inherited output.
    Command(Command),
    /// A check written in Rust (in this xtask).
    Check(fn() -> Result),
}

impl Action {
    fn run(&mut self) -> Result {
        match self {
            Action::Command(command) => util::run(command),
            Action::Check(check) => check(),
        }
    }
}

fn step<const N: usize>(name: &'static str, args: [&str; N]) -> Step {
    Step {
        name,
        action: Action::Command(cargo(args)),
    }
}

/// The cargo steps, in order.
fn steps() -> Vec<Step> {
    let mut doc = cargo(["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", "-D warnings");
    vec![
        step("fmt", ["fmt", "--all", "--", "--check"]),
        // fuzz/ is its own workspace (cargo-fuzz layout), so `--all` does not reach it.
        step(
            "fmt (fuzz)",
            ["fmt", "--manifest-path", "fuzz/Cargo.toml", "--", "--check"],
        ),
        // `cargo metadata` only, no build: no dependency may need a newer Rust than ours.
        Step {
            name: "msrv",
            action: Action::Check(msrv::run),
        },
        // `cargo metadata` only: the layer rules (the simulator independent, the core
        // sans-IO, the transports apart), naming the edge that breaks one.
        Step {
            name: "tidy",
            action: Action::Check(tidy::run),
        },
        step(
            "clippy",
            [
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        step("test", ["test", "--workspace"]),
        // The optional features of the core (`metrics`; `serde` is on through the CLI).
        step(
            "test (zego-proto, all features)",
            ["test", "-p", "zego-proto", "--all-features", "--lib"],
        ),
        step(
            "clippy (zego-proto, all features)",
            [
                "clippy",
                "-p",
                "zego-proto",
                "--all-features",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        Step {
            name: "doc",
            action: Action::Command(doc),
        },
        step("bench build", ["bench", "--workspace", "--no-run"]),
    ]
}

/// The Redis fleet tests (`crates/zego-redis/tests`) start their own `redis-server`s: make
/// sure the binary is there, installing Debian's package on a fresh machine (as root).
fn ensure_redis_server() -> Result {
    if util::succeeds(Command::new("redis-server").arg("--version")) {
        return Ok(());
    }
    eprintln!("\n==> redis-server is missing: installing Debian's redis-server package");
    let apt = |args: &[&str]| {
        let mut cmd = Command::new("apt-get");
        cmd.args(["-o", "DPkg::Lock::Timeout=300", "-q"])
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive");
        util::run(&mut cmd)
    };
    apt(&["update"])?;
    apt(&["install", "-y", "redis-server"])?;
    if util::succeeds(Command::new("redis-server").arg("--version")) {
        Ok(())
    } else {
        Err(Error::msg(
            "redis-server could not be installed (run as root: apt-get update && apt-get install -y redis-server)",
        ))
    }
}

pub fn run(options: &Options) -> Result {
    ensure_redis_server()?;
    let mut steps = steps();
    let total = steps.len() + usize::from(options.fuzz_seconds.is_some());
    let mut done: Vec<(&str, Duration)> = Vec::new();
    for (i, step) in steps.iter_mut().enumerate() {
        eprintln!("\n==> [{}/{total}] {}", i + 1, step.name);
        let (result, took) = util::timed(|| step.action.run());
        if let Err(e) = result {
            summary(&done);
            return Err(Error::msg(format!(
                "CI step `{}` failed after {}: {e}",
                step.name,
                util::human_duration(took)
            )));
        }
        done.push((step.name, took));
    }
    if let Some(seconds) = options.fuzz_seconds {
        eprintln!("\n==> [{total}/{total}] fuzz smoke run ({seconds} s per target)");
        let fuzz = fuzz::Options::smoke(seconds);
        let (result, took) = util::timed(|| fuzz::run(&fuzz));
        if let Err(e) = result {
            summary(&done);
            return Err(Error::msg(format!(
                "CI step `fuzz` failed after {}: {e}",
                util::human_duration(took)
            )));
        }
        done.push(("fuzz", took));
    } else {
        eprintln!("\n(fuzz smoke run skipped: --no-fuzz)");
    }
    summary(&done);
    eprintln!("\nCI passed.");
    Ok(())
}

fn summary(done: &[(&str, Duration)]) {
    if done.is_empty() {
        return;
    }
    eprintln!("\nCI steps passed:");
    for (name, took) in done {
        eprintln!("  {name:<14} {:>8}", util::human_duration(*took));
    }
}
