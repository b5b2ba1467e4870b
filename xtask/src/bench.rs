//! `cargo xtask bench`: run the criterion benches of `zego-benches`, then print one table
//! of every figure next to the baseline measured in the same run.
//!
//! [`FIGURES`] and [`ALLOCATIONS`] are the only place that says which bench is compared
//! with which baseline and what it must stay under. A new bench file in `benches/benches/`
//! (say the blocking round trip against raw ureq) gets its row here, naming its criterion
//! group and the two bench IDs inside it.

use std::fs;
use std::path::Path;
use std::time::SystemTime;

use crate::util::{self, cargo, Arg, Args, Error, Result, Stream};

/// What a figure must satisfy.
#[derive(Clone, Copy)]
enum Target {
    /// The figure's mean time divided by the baseline's must stay at or under this.
    MaxRatio(f64),
    /// Reported only.
    Report,
}

/// One row: a criterion group and two bench IDs in it.
struct Figure {
    /// The figure's name in the table.
    name: &'static str,
    /// The criterion group (`target/criterion/<group>/`).
    group: &'static str,
    /// The measured bench ID.
    bench: &'static str,
    /// The baseline bench ID, measured in the same group and run.
    baseline: &'static str,
    target: Target,
}

/// Every timed figure. Group and bench IDs are those of `benches/benches/*.rs`.
const FIGURES: &[Figure] = &[
    Figure {
        name: "sign",
        group: "sign",
        bench: "zego_proto_sign",
        baseline: "md5_hex_68_bytes",
        target: Target::MaxRatio(1.2),
    },
    Figure {
        name: "prepare_forbid_one",
        group: "prepare_forbid_one",
        bench: "prepare_with_nonce",
        baseline: "md5_hex_68_bytes",
        target: Target::MaxRatio(3.0),
    },
    Figure {
        name: "prepare_forbid_20",
        group: "prepare_forbid_20",
        bench: "prepare_with_nonce",
        baseline: "md5_hex_68_bytes",
        target: Target::Report,
    },
    Figure {
        name: "parse_success",
        group: "parse_success",
        bench: "parse_response",
        baseline: "serde_json_borrowed",
        target: Target::MaxRatio(1.5),
    },
    Figure {
        name: "parse_describe",
        group: "parse_describe",
        bench: "parse_response",
        baseline: "serde_json_borrowed",
        target: Target::MaxRatio(1.5),
    },
];

/// One allocation count, printed by the `allocations` test of `zego-benches` as
/// `zego-benches allocations <key>=<count>`.
struct Allocations {
    name: &'static str,
    key: &'static str,
    max: u64,
}

/// Every allocation count.
const ALLOCATIONS: &[Allocations] = &[Allocations {
    name: "prepare_forbid_one allocations",
    key: "prepare_forbid_one",
    max: 3,
}];

/// The prefix of the `allocations` test's machine-readable lines.
const ALLOCATIONS_PREFIX: &str = "zego-benches allocations ";

pub struct Options {
    quick: bool,
}

impl Options {
    pub fn parse(raw: &[String]) -> Result<Self> {
        let mut args = Args::new("bench", raw);
        let mut quick = false;
        while let Some(arg) = args.next() {
            match arg {
                Arg::Flag("quick", None) => quick = true,
                Arg::Flag(flag, _) => return Err(args.error(format!("unknown flag --{flag}"))),
                Arg::Positional(p) => return Err(args.error(format!("unexpected argument `{p}`"))),
            }
        }
        Ok(Self { quick })
    }
}

pub fn run(options: &Options) -> Result {
    let started = SystemTime::now();
    let mut bench = cargo(["bench", "--package", "zego-benches", "--benches"]);
    if options.quick {
        bench.args(["--", "--warm-up-time", "1", "--measurement-time", "2"]);
    }
    util::run(&mut bench)?;

    let mut allocations = cargo([
        "test",
        "--package",
        "zego-benches",
        "--release",
        "--test",
        "allocations",
    ]);
    let (status, lines) = util::run_tee(&mut allocations, Stream::Stdout, |_| true)?;
    util::check_status(status, &allocations)?;

    let criterion = util::target_dir().join("criterion");
    let mut rows = vec![[
        "figure",
        "time",
        "baseline",
        "baseline time",
        "ratio",
        "target",
        "result",
    ]
    .map(String::from)];
    let mut failed = Vec::new();
    for figure in FIGURES {
        let time = mean_ns(&criterion, figure.group, figure.bench, started);
        let base = mean_ns(&criterion, figure.group, figure.baseline, started);
        let ratio = match (&time, &base) {
            (Ok(t), Ok(b)) if *b > 0.0 => Some(t / b),
            _ => None,
        };
        let (target, verdict) = match (figure.target, ratio) {
            (Target::MaxRatio(max), Some(r)) if r <= max => (format!("<= {max:.2}x"), "pass"),
            (Target::MaxRatio(max), Some(_)) => (format!("<= {max:.2}x"), "FAIL"),
            (Target::MaxRatio(max), None) => (format!("<= {max:.2}x"), "MISSING"),
            (Target::Report, Some(_)) => ("report".to_owned(), "-"),
            (Target::Report, None) => ("report".to_owned(), "MISSING"),
        };
        if matches!(verdict, "FAIL" | "MISSING") {
            failed.push(figure.name);
        }
        rows.push([
            figure.name.to_owned(),
            time.as_ref().map_or_else(Clone::clone, |t| human_ns(*t)),
            figure.baseline.to_owned(),
            base.as_ref().map_or_else(Clone::clone, |b| human_ns(*b)),
            ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x")),
            target,
            verdict.to_owned(),
        ]);
    }
    for alloc in ALLOCATIONS {
        let count = allocation_count(&lines, alloc.key);
        let verdict = match count {
            Some(n) if n <= alloc.max => "pass",
            Some(_) => "FAIL",
            None => "MISSING",
        };
        if verdict != "pass" {
            failed.push(alloc.name);
        }
        rows.push([
            alloc.name.to_owned(),
            count.map_or_else(|| "missing".to_owned(), |n| format!("{n} allocs")),
            "-".to_owned(),
            "-".to_owned(),
            "-".to_owned(),
            format!("<= {}", alloc.max),
            verdict.to_owned(),
        ]);
    }

    println!(
        "\nzego-benches: mean point estimates{}",
        if options.quick { " (--quick)" } else { "" }
    );
    print_table(&rows);
    if failed.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "figures off target: {}",
            failed.join(", ")
        )))
    }
}

/// The mean point estimate (ns) of `group/bench`, written by this run.
fn mean_ns(
    criterion: &Path,
    group: &str,
    bench: &str,
    since: SystemTime,
) -> std::result::Result<f64, String> {
    let path = criterion
        .join(group)
        .join(bench)
        .join("new")
        .join("estimates.json");
    let fresh = fs::metadata(&path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since);
    if !fresh {
        return Err("missing".to_owned());
    }
    let text = fs::read_to_string(&path).map_err(|_| "unreadable".to_owned())?;
    mean_point_estimate(&text).ok_or_else(|| "unparsable".to_owned())
}

/// `mean.point_estimate` of criterion's `estimates.json`, without a JSON library: the
/// first `"point_estimate"` after the `"mean"` key (the nested confidence interval has none).
fn mean_point_estimate(json: &str) -> Option<f64> {
    let (_, after_mean) = json.split_once("\"mean\"")?;
    let (_, value) = after_mean.split_once("\"point_estimate\"")?;
    let value = value.trim_start().strip_prefix(':')?.trim_start();
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+')))
        .unwrap_or(value.len());
    value[..end].parse().ok()
}

fn allocation_count(lines: &[String], key: &str) -> Option<u64> {
    lines.iter().find_map(|line| {
        let (k, v) = line.strip_prefix(ALLOCATIONS_PREFIX)?.split_once('=')?;
        (k.trim() == key).then(|| v.trim().parse().ok())?
    })
}

fn human_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

fn print_table<const N: usize>(rows: &[[String; N]]) {
    let mut widths = [0usize; N];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("| {} |", cells.join(" | "));
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            println!("|-{}-|", rule.join("-|-"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_criterion_mean() {
        let json = r#"{"mean":{"confidence_interval":{"confidence_level":0.95,"lower_bound":95.1,"upper_bound":99.9},"point_estimate":97.25,"standard_error":1.2},"median":{"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":2.0},"point_estimate":1.5,"standard_error":0.1}}"#;
        assert_eq!(mean_point_estimate(json), Some(97.25));
        assert_eq!(
            mean_point_estimate(r#"{"mean":{"point_estimate":1.5e3}}"#),
            Some(1500.0)
        );
        assert_eq!(mean_point_estimate("{}"), None);
    }

    #[test]
    fn reads_allocation_lines() {
        let lines = [
            "running 1 test".to_owned(),
            "zego-benches allocations prepare_forbid_one=2".to_owned(),
        ];
        assert_eq!(allocation_count(&lines, "prepare_forbid_one"), Some(2));
        assert_eq!(allocation_count(&lines, "other"), None);
    }

    #[test]
    fn figures_are_unique() {
        for (i, a) in FIGURES.iter().enumerate() {
            assert!(FIGURES[i + 1..].iter().all(|b| b.name != a.name));
            assert_ne!(a.bench, a.baseline);
        }
    }
}
