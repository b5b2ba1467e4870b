//! `cargo xtask fuzz`: run the cargo-fuzz targets of `fuzz/` on the stable toolchain.
//!
//! Without a sanitizer (`-s none`) cargo-fuzz needs no nightly feature. `--asan` builds
//! with AddressSanitizer, which needs `-Zsanitizer`: `RUSTC_BOOTSTRAP=1` unlocks it on
//! stable. Inputs libFuzzer finds go to a scratch corpus under `fuzz/target/`, so the
//! committed seeds in `fuzz/corpus/<target>/` change only when someone copies (or
//! `cargo fuzz cmin`s) inputs there on purpose.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::util::{self, cargo, Arg, Args, Error, Result, Stream};

const DEFAULT_SECONDS: u64 = 60;

pub struct Options {
    target: Option<String>,
    seconds: u64,
    asan: bool,
    /// Hide libFuzzer's progress lines (`#1234 NEW ...`), as CI does.
    quiet: bool,
}

impl Options {
    pub fn parse(raw: &[String]) -> Result<Self> {
        let mut args = Args::new("fuzz", raw);
        let mut options = Self {
            target: None,
            seconds: DEFAULT_SECONDS,
            asan: false,
            quiet: false,
        };
        while let Some(arg) = args.next() {
            match arg {
                Arg::Flag("seconds", inline) => {
                    options.seconds = args.seconds("--seconds", inline)?;
                }
                Arg::Flag("asan", None) => options.asan = true,
                Arg::Flag(flag, _) => return Err(args.error(format!("unknown flag --{flag}"))),
                Arg::Positional(t) if options.target.is_none() => options.target = Some(t.into()),
                Arg::Positional(p) => return Err(args.error(format!("unexpected argument `{p}`"))),
            }
        }
        Ok(options)
    }

    /// Every target for `seconds` each, without a sanitizer and without progress lines
    /// (CI's smoke run).
    pub fn smoke(seconds: u64) -> Self {
        Self {
            target: None,
            seconds,
            asan: false,
            quiet: true,
        }
    }
}

fn fuzz_dir() -> PathBuf {
    util::root().join("fuzz")
}

/// The `[[bin]]` names of `fuzz/Cargo.toml`: every fuzz target.
fn targets() -> Result<Vec<String>> {
    let manifest = fuzz_dir().join("Cargo.toml");
    let text = fs::read_to_string(&manifest)
        .map_err(|e| Error::msg(format!("cannot read {}: {e}", manifest.display())))?;
    let mut targets = Vec::new();
    let mut in_bin = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if let (true, Some(value)) = (in_bin, line.strip_prefix("name")) {
            if let Some(name) = value.trim_start().strip_prefix('=') {
                targets.push(name.trim().trim_matches('"').to_owned());
            }
        }
    }
    if targets.is_empty() {
        return Err(Error::msg(format!(
            "no [[bin]] fuzz target in {}",
            manifest.display()
        )));
    }
    Ok(targets)
}

/// Installs cargo-fuzz unless `cargo fuzz --version` already works.
fn ensure_cargo_fuzz() -> Result {
    if util::succeeds(&mut cargo(["fuzz", "--version"])) {
        return Ok(());
    }
    eprintln!("cargo-fuzz is not installed: installing it (a few minutes, once)");
    util::run(&mut cargo(["install", "cargo-fuzz", "--locked"]))?;
    if util::succeeds(&mut cargo(["fuzz", "--version"])) {
        Ok(())
    } else {
        Err(Error::msg(
            "`cargo install cargo-fuzz` succeeded but `cargo fuzz` still fails: \
             is cargo's bin directory (usually ~/.cargo/bin) on PATH?",
        ))
    }
}

/// What one run reported.
struct Outcome {
    target: String,
    runs: Option<String>,
    coverage: Option<String>,
    corpus: usize,
}

pub fn run(options: &Options) -> Result {
    let all = targets()?;
    let chosen = match &options.target {
        Some(t) if all.contains(t) => vec![t.clone()],
        Some(t) => {
            return Err(Error::msg(format!(
                "unknown fuzz target `{t}`; the targets are: {}",
                all.join(", ")
            )))
        }
        None => all,
    };
    ensure_cargo_fuzz()?;
    let mut outcomes = Vec::new();
    for target in &chosen {
        eprintln!("\n--> fuzz target `{target}` for {} s", options.seconds);
        outcomes.push(run_one(target, options)?);
    }
    eprintln!(
        "\nfuzz summary ({} s per target, sanitizer: {}):",
        options.seconds,
        sanitizer(options)
    );
    eprintln!(
        "  {:<20} {:>12} {:>10} {:>8}",
        "target", "executions", "coverage", "corpus"
    );
    for o in &outcomes {
        eprintln!(
            "  {:<20} {:>12} {:>10} {:>8}",
            o.target,
            o.runs.as_deref().unwrap_or("?"),
            o.coverage.as_deref().unwrap_or("?"),
            o.corpus
        );
    }
    Ok(())
}

fn sanitizer(options: &Options) -> &'static str {
    if options.asan {
        "address"
    } else {
        "none"
    }
}

fn run_one(target: &str, options: &Options) -> Result<Outcome> {
    let seeds = fuzz_dir().join("corpus").join(target);
    let scratch = fuzz_dir().join("target").join("corpus").join(target);
    let artifacts = fuzz_dir().join("artifacts").join(target);
    fs::create_dir_all(&scratch)?;
    fs::create_dir_all(&artifacts)?;
    let started = SystemTime::now();

    let mut cmd = cargo([
        "fuzz",
        "run",
        target,
        "-s",
        sanitizer(options),
        "--release",
        "--debug-assertions",
    ]);
    cmd.current_dir(util::root());
    if options.asan {
        cmd.env("RUSTC_BOOTSTRAP", "1");
    }
    // libFuzzer writes new inputs to the first corpus directory only.
    cmd.arg(&scratch);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.arg("--");
    cmd.arg(format!("-max_total_time={}", options.seconds));
    cmd.arg("-print_final_stats=1");
    let dict = fuzz_dir().join("dicts").join(format!("{target}.dict"));
    if dict.is_file() {
        cmd.arg(format!("-dict={}", dict.display()));
    }

    let quiet = options.quiet;
    let (status, lines) = util::run_tee(&mut cmd, Stream::Stderr, |line| {
        !(quiet && is_progress(line))
    })?;
    if !status.success() {
        let found = new_files(&artifacts, started);
        if found.is_empty() {
            return Err(Error::msg(format!(
                "fuzz target `{target}` failed ({status}) without writing a reproducer to {}: \
                 see the output above (a build error?)",
                artifacts.display()
            )));
        }
        let mut message = format!("fuzz target `{target}` crashed ({status}); reproducer(s):");
        for path in &found {
            let shown = path.strip_prefix(util::root()).unwrap_or(path);
            let shown = shown.display();
            let _ = write!(
                message,
                "\n  {shown}\n    replay: {env}cargo fuzz run {target} -s {sanitizer} --release --debug-assertions {shown}\n    \
                 show the input: cargo fuzz fmt {target} {shown}",
                env = if options.asan { "RUSTC_BOOTSTRAP=1 " } else { "" },
                sanitizer = sanitizer(options),
            );
        }
        return Err(Error::msg(message));
    }

    let runs = stat(&lines, "stat::number_of_executed_units:");
    let coverage = lines
        .iter()
        .rev()
        .find_map(|l| l.split_once(" cov: "))
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .map(str::to_owned);
    let corpus = fs::read_dir(&scratch).map_or(0, Iterator::count);
    Ok(Outcome {
        target: target.to_owned(),
        runs,
        coverage,
        corpus,
    })
}

/// A libFuzzer progress line (`#4096 NEW cov: ...`), except the first and last.
fn is_progress(line: &str) -> bool {
    line.strip_prefix('#')
        .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        && !line.contains("INITED")
        && !line.contains("DONE")
}

/// The value of a `-print_final_stats` line.
fn stat(lines: &[String], key: &str) -> Option<String> {
    lines
        .iter()
        .rev()
        .find_map(|l| l.trim().strip_prefix(key))
        .map(|v| v.trim().to_owned())
}

/// Files in `dir` modified since `since`: what a failing run wrote.
fn new_files(dir: &Path, since: SystemTime) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = entries
        .filter_map(std::result::Result::ok)
        .filter(|e| {
            e.metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t >= since)
        })
        .map(|e| e.path())
        .collect();
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_are_told_apart() {
        assert!(is_progress(
            "#4096\tNEW    cov: 870 ft: 1067 corp: 29/2940b"
        ));
        assert!(is_progress("#262144\tpulse  cov: 2790 ft: 6860"));
        assert!(!is_progress("#30\tINITED cov: 870 ft: 1067 corp: 29/2940b"));
        assert!(!is_progress("#5216364\tDONE   cov: 2790 ft: 6860"));
        assert!(!is_progress("INFO: Seed: 1234"));
        assert!(!is_progress(
            "thread '<unnamed>' panicked at fuzz_targets/x.rs:3:9"
        ));
    }

    #[test]
    fn targets_come_from_the_fuzz_manifest() {
        let targets = targets().unwrap();
        assert!(targets.iter().any(|t| t == "parse_response"));
        assert!(!targets.iter().any(|t| t == "zego-fuzz"), "{targets:?}");
    }

    #[test]
    fn final_stats_are_read() {
        let lines = [
            "Done 5 runs in 1 second(s)".to_owned(),
            "stat::number_of_executed_units: 5".to_owned(),
        ];
        assert_eq!(
            stat(&lines, "stat::number_of_executed_units:").as_deref(),
            Some("5")
        );
    }
}
