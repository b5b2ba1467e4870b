//! `cargo xtask bench`: run the benches of `zego-benches`, then print one table of every
//! figure next to the baseline measured in the same run.
//!
//! [`FIGURES`], [`ALLOCATIONS`] and the bulk, peak-memory and Redis rows of [`run`] are the only
//! place that says which bench is compared with which baseline and what it must stay under.
//! Figures come from three places:
//! - criterion's `estimates.json` (mean) of two bench IDs in one group ([`Source::Criterion`]);
//! - the paired measurements the round-trip benches write to `target/zego-bench/<group>.json`
//!   (both IDs' calls alternate one by one; [`Source::Paired`]);
//! - the plain-`main` benches `bulk`, `peak_memory`, `redis_admission` and
//!   `redis_admission_throughput`, which time whole runs and write
//!   `target/zego-bench/bulk_2000.json`, `peak_memory.json`, `redis_admission.json` and
//!   `redis_admission_throughput.json`.
//!
//! Before the benches, the release `zego` binary is built for `peak_memory`.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::util::{self, cargo, Arg, Args, Error, Result, Stream};

/// What a figure must satisfy.
#[derive(Clone, Copy)]
enum Target {
    /// The figure divided by the baseline must stay at or under this.
    MaxRatio(f64),
    /// Reported only.
    Report,
}

/// Where a figure and its baseline are read from.
enum Source {
    /// Criterion's mean of `group/bench` and of `group/baseline`
    /// (`target/criterion/<group>/<id>/new/estimates.json`).
    Criterion {
        group: &'static str,
        bench: &'static str,
        baseline: &'static str,
    },
    /// `figure_ns` and `baseline_ns` of `target/zego-bench/<file>.json`: the means of the
    /// calls of both IDs of a criterion group, paired one by one (`loopback::Paired`).
    Paired {
        file: &'static str,
        baseline: &'static str,
    },
}

/// One timed row.
struct Figure {
    /// The figure's name in the table.
    name: &'static str,
    source: Source,
    target: Target,
}

/// Every timed figure. Group and bench IDs are those of `benches/benches/*.rs`.
const FIGURES: &[Figure] = &[
    Figure {
        name: "sign",
        source: Source::Criterion {
            group: "sign",
            bench: "zego_proto_sign",
            baseline: "md5_hex_68_bytes",
        },
        target: Target::MaxRatio(1.2),
    },
    Figure {
        name: "prepare_forbid_one",
        source: Source::Criterion {
            group: "prepare_forbid_one",
            bench: "prepare_with_nonce",
            baseline: "md5_hex_68_bytes",
        },
        target: Target::MaxRatio(3.0),
    },
    Figure {
        name: "prepare_forbid_20",
        source: Source::Criterion {
            group: "prepare_forbid_20",
            bench: "prepare_with_nonce",
            baseline: "md5_hex_68_bytes",
        },
        target: Target::Report,
    },
    Figure {
        name: "parse_success",
        source: Source::Criterion {
            group: "parse_success",
            bench: "parse_response",
            baseline: "serde_json_borrowed",
        },
        target: Target::MaxRatio(1.5),
    },
    Figure {
        name: "parse_describe",
        source: Source::Criterion {
            group: "parse_describe",
            bench: "parse_response",
            baseline: "serde_json_borrowed",
        },
        target: Target::MaxRatio(1.5),
    },
    Figure {
        name: "token_generate",
        source: Source::Criterion {
            group: "token_generate",
            bench: "zego_proto_token",
            baseline: "aes_gcm_seal",
        },
        target: Target::Report,
    },
    Figure {
        name: "callback_verify",
        source: Source::Criterion {
            group: "callback_verify",
            bench: "verify_stream_create_json",
            baseline: "sha1_hex_signature",
        },
        target: Target::Report,
    },
    Figure {
        name: "roundtrip_blocking (zego-sim)",
        source: Source::Paired {
            file: "roundtrip_blocking",
            baseline: "ureq_get_presigned",
        },
        target: Target::MaxRatio(1.10),
    },
    Figure {
        name: "roundtrip_blocking_minimal",
        source: Source::Paired {
            file: "roundtrip_blocking_minimal",
            baseline: "ureq_get_presigned",
        },
        target: Target::Report,
    },
    Figure {
        name: "roundtrip_async (zego-sim)",
        source: Source::Paired {
            file: "roundtrip_async",
            baseline: "reqwest_get_presigned",
        },
        target: Target::MaxRatio(1.10),
    },
    Figure {
        name: "roundtrip_async_minimal",
        source: Source::Paired {
            file: "roundtrip_async_minimal",
            baseline: "reqwest_get_presigned",
        },
        target: Target::Report,
    },
    Figure {
        name: "sim_handling",
        source: Source::Paired {
            file: "sim_handling",
            baseline: "minimal_hyper",
        },
        target: Target::Report,
    },
];

/// The bulk run's target: median time over the ideal ceil(N/20)/20 s.
const BULK_MAX_RATIO: f64 = 1.05;
/// A raid of user bans in one room (issue 22): wall time over the ideal ZEGO's quotas allow.
const BAN_RAID_MAX_RATIO: f64 = 1.10;
/// Bulk CPU per request over the single-call loop's (issue 23), both clients.
const BULK_CPU_MAX_RATIO: f64 = 1.3;
/// Threads a blocking bulk run of 10,000 IDs at loopback may start: the in-flight target
/// there (about 3) plus a small constant, and none per request.
const BULK_MAX_THREADS: f64 = 8.0;
/// Threads `zego forbid one` may start.
const FORBID_ONE_MAX_THREADS: f64 = 5.0;
/// The peak-memory run's target: at most this many MiB above the idle peak.
const PEAK_MAX_DELTA_MIB: f64 = 64.0;
/// Issue 21: admissions per second at 64 concurrent admitters at least half the bare
/// EVALSHA round trips per second on the same Redis, i.e. the time per admission at most
/// twice the time per EVALSHA.
const REDIS_THROUGHPUT_MAX_RATIO: f64 = 2.0;

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

/// The environment of the bench run: where the plain-`main` benches write their figures,
/// the short variant, and the `zego` binary (names as in `zego_benches::results` and
/// `benches/peak_memory.rs`).
const OUT_DIR_ENV: &str = "ZEGO_BENCH_OUT";
const QUICK_ENV: &str = "ZEGO_BENCH_QUICK";
const ZEGO_BIN_ENV: &str = "ZEGO_BENCH_ZEGO_BIN";

pub fn run(options: &Options) -> Result {
    let started = SystemTime::now();
    let target = util::target_dir();
    let out_dir = target.join("zego-bench");

    // The peak-memory bench runs the release CLI as a child process.
    util::run(&mut cargo([
        "build",
        "--release",
        "--package",
        "zego-cli",
        "--bin",
        "zego",
    ]))?;
    let zego = target
        .join("release")
        .join(format!("zego{}", std::env::consts::EXE_SUFFIX));

    let mut bench = cargo(["bench", "--package", "zego-benches", "--benches"]);
    bench
        .env(OUT_DIR_ENV, &out_dir)
        .env(ZEGO_BIN_ENV, &zego)
        .env(QUICK_ENV, if options.quick { "1" } else { "0" });
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

    let criterion = target.join("criterion");
    let results = Results {
        dir: out_dir,
        since: started,
    };
    let mut table = Table::default();
    for figure in FIGURES {
        let (time, base, baseline) = match &figure.source {
            Source::Criterion {
                group,
                bench,
                baseline,
            } => (
                mean_ns(&criterion, group, bench, started),
                mean_ns(&criterion, group, baseline, started),
                *baseline,
            ),
            Source::Paired { file, baseline } => {
                let json = results.read(file);
                let get = |key| json.clone().and_then(|j| field(&j, key));
                (get("figure_ns"), get("baseline_ns"), *baseline)
            }
        };
        let ratio = match (&time, &base) {
            (Ok(t), Ok(b)) if *b > 0.0 => Some(t / b),
            _ => None,
        };
        table.ratio_row(
            figure.name.to_owned(),
            [
                time.as_ref().map_or_else(Clone::clone, |t| human_ns(*t)),
                baseline.to_owned(),
                base.as_ref().map_or_else(Clone::clone, |b| human_ns(*b)),
            ],
            ratio,
            figure.target,
            true,
        );
    }
    bulk_rows(&mut table, &results);
    ban_raid_rows(&mut table, &results);
    bulk_cpu_rows(&mut table, &results);
    peak_memory_rows(&mut table, &results);
    redis_rows(&mut table, &results);
    for alloc in ALLOCATIONS {
        let count = allocation_count(&lines, alloc.key);
        table.check_row(
            alloc.name.to_owned(),
            count.map_or_else(|| "missing".to_owned(), |n| format!("{n} allocs")),
            format!("<= {}", alloc.max),
            count.map(|n| n <= alloc.max),
        );
    }

    println!(
        "\nzego-benches: criterion means, paired means, whole runs{}",
        if options.quick { " (--quick)" } else { "" }
    );
    print_table(&table.rows);
    if table.failed.is_empty() {
        Ok(())
    } else {
        Err(Error::msg(format!(
            "figures off target: {}",
            table.failed.join(", ")
        )))
    }
}

/// The figures of the plain-`main` benches, written during this run.
struct Results {
    dir: PathBuf,
    since: SystemTime,
}

impl Results {
    /// The text of `<dir>/<name>.json` if this run wrote it.
    fn read(&self, name: &str) -> std::result::Result<String, String> {
        let path = self.dir.join(format!("{name}.json"));
        if !fresh(&path, self.since) {
            return Err("missing".to_owned());
        }
        fs::read_to_string(&path).map_err(|_| "unreadable".to_owned())
    }
}

/// A number field of a results file.
fn field(json: &str, key: &str) -> std::result::Result<f64, String> {
    json_number(json, key).ok_or_else(|| format!("no {key}"))
}

/// The table being built, and the names of the rows off target.
struct Table {
    rows: Vec<[String; 7]>,
    failed: Vec<String>,
}

impl Default for Table {
    fn default() -> Self {
        Self {
            rows: vec![[
                "figure",
                "measured",
                "baseline",
                "baseline value",
                "ratio / delta",
                "target",
                "result",
            ]
            .map(String::from)],
            failed: Vec::new(),
        }
    }
}

impl Table {
    /// A row judged by a ratio (`valid` false fails it whatever the ratio, e.g. when a run
    /// did not complete).
    fn ratio_row(
        &mut self,
        name: String,
        [measured, baseline, baseline_value]: [String; 3],
        ratio: Option<f64>,
        target: Target,
        valid: bool,
    ) {
        let (target, verdict) = match (target, ratio) {
            (Target::MaxRatio(max), Some(r)) if r <= max && valid => {
                (format!("<= {max:.2}x"), "pass")
            }
            (Target::MaxRatio(max), Some(_)) => (format!("<= {max:.2}x"), "FAIL"),
            (Target::MaxRatio(max), None) => (format!("<= {max:.2}x"), "MISSING"),
            (Target::Report, Some(_)) => ("report".to_owned(), "-"),
            (Target::Report, None) => ("report".to_owned(), "MISSING"),
        };
        self.push(
            name,
            [
                measured,
                baseline,
                baseline_value,
                ratio.map_or_else(|| "-".to_owned(), |r| format!("{r:.2}x")),
                target,
            ],
            verdict,
        );
    }

    /// A row judged by a check of its own (`None`: the figure is missing).
    fn check_row(&mut self, name: String, measured: String, target: String, ok: Option<bool>) {
        let verdict = match ok {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "MISSING",
        };
        self.push(
            name,
            [measured, "-".into(), "-".into(), "-".into(), target],
            verdict,
        );
    }

    fn push(&mut self, name: String, cells: [String; 5], verdict: &str) {
        if matches!(verdict, "FAIL" | "MISSING") {
            self.failed.push(name.clone());
        }
        let [measured, baseline, value, ratio, target] = cells;
        self.rows.push([
            name,
            measured,
            baseline,
            value,
            ratio,
            target,
            verdict.to_owned(),
        ]);
    }
}

/// Bulk forbid of 2,000 streams at 20/s (`benches/bulk.rs`): the median run against the
/// ideal time, and the rate-limit answers the simulator gave (must be none).
fn bulk_rows(table: &mut Table, results: &Results) {
    bulk_run_rows(
        table,
        results,
        "bulk_2000",
        "at 20/s",
        "ideal ceil(N/20)/20 s",
    );
    bulk_run_rows(
        table,
        results,
        "bulk_raised",
        "100,000 IDs at a raised 500/s",
        "ideal 5,000/500 s",
    );
}

/// A whole bulk run against its ideal time, and its rate-limit answers (none allowed).
fn bulk_run_rows(table: &mut Table, results: &Results, file: &str, what: &str, ideal: &str) {
    let json = results.read(file);
    let get = |key| json.as_ref().ok().and_then(|j| json_number(j, key));
    let runs = get("runs").map_or_else(String::new, |r| format!(", median of {r}"));
    let name = format!("{file} {what}{runs}");
    let ratio = match (get("median_s"), get("ideal_s")) {
        (Some(t), Some(ideal)) if ideal > 0.0 => Some(t / ideal),
        _ => None,
    };
    let complete = get("failed").is_some_and(is_zero);
    table.ratio_row(
        name,
        [
            get("median_s").map_or_else(|| "missing".to_owned(), |t| format!("{t:.3} s")),
            ideal.to_owned(),
            get("ideal_s").map_or_else(|| "missing".to_owned(), |t| format!("{t:.3} s")),
        ],
        ratio,
        Target::MaxRatio(BULK_MAX_RATIO),
        complete,
    );
    let answers = get("rate_limit_answers");
    table.check_row(
        format!("{file} rate-limit answers"),
        answers.map_or_else(|| "missing".to_owned(), |n| format!("{n}")),
        "= 0".to_owned(),
        answers.map(is_zero),
    );
}

/// A raid of 1,000 user bans in one room across 4 workers (`benches/ban_raid.rs`): wall time
/// against the ideal its requests allow at ZEGO's quotas, and its rate-limit answers (none);
/// the fleet on one SQLite file and one in-process coordinator (keys as they are), then on
/// one Redis, each worker its own coordinator and store handle (keys prefixed `redis_`).
fn ban_raid_rows(table: &mut Table, results: &Results) {
    let json = results.read("ban_raid");
    for (variant, prefix) in [("", ""), (" on Redis", "redis_")] {
        let get = |key: &str| {
            json.as_ref()
                .ok()
                .and_then(|j| json_number(j, &format!("{prefix}{key}")))
        };
        let users = get("users").map_or_else(String::new, |n| format!("{n}"));
        let ratio = match (get("wall_s"), get("ideal_s")) {
            (Some(t), Some(ideal)) if ideal > 0.0 => Some(t / ideal),
            _ => None,
        };
        table.ratio_row(
            format!("ban_raid{variant} {users} user bans in one room, 4 workers"),
            [
                get("wall_s").map_or_else(|| "missing".to_owned(), |t| format!("{t:.3} s")),
                "ideal max(requests/quota) + extra listings x 10 s".to_owned(),
                get("ideal_s").map_or_else(|| "missing".to_owned(), |t| format!("{t:.3} s")),
            ],
            ratio,
            Target::MaxRatio(BAN_RAID_MAX_RATIO),
            get("failed").is_some_and(is_zero),
        );
        let answers = get("rate_limit_answers");
        table.check_row(
            format!("ban_raid{variant} rate-limit answers"),
            answers.map_or_else(|| "missing".to_owned(), |n| format!("{n}")),
            "= 0".to_owned(),
            answers.map(is_zero),
        );
    }
}

/// CPU per request of a bulk run of 10,000 IDs against single calls in a loop, both
/// clients, and the threads runs start (`benches/bulk_cpu.rs`); the CLI against the
/// official-style Python client is reported, not judged.
fn bulk_cpu_rows(table: &mut Table, results: &Results) {
    let json = results.read("bulk_cpu");
    let get = |key: &str| json.as_ref().ok().and_then(|j| json_number(j, key));
    let us = |key: &str| get(key).map_or_else(|| "missing".to_owned(), |t| format!("{t:.1} µs"));
    for (client, bulk, single) in [
        ("blocking", "blocking_bulk_cpu_us", "blocking_single_cpu_us"),
        ("async", "async_bulk_cpu_us", "async_single_cpu_us"),
    ] {
        let ratio = match (get(bulk), get(single)) {
            (Some(b), Some(s)) if s > 0.0 => Some(b / s),
            _ => None,
        };
        table.ratio_row(
            format!("bulk_cpu {client}: CPU/request, 10,000 IDs"),
            [us(bulk), "single execute loop".to_owned(), us(single)],
            ratio,
            Target::MaxRatio(BULK_CPU_MAX_RATIO),
            true,
        );
    }
    for (key, name, max) in [
        (
            "blocking_threads",
            "bulk_cpu blocking: threads started by a bulk run",
            BULK_MAX_THREADS,
        ),
        (
            "cli_threads_1",
            "bulk_cpu: threads started by zego forbid one",
            FORBID_ONE_MAX_THREADS,
        ),
    ] {
        let n = get(key);
        table.check_row(
            name.to_owned(),
            n.map_or_else(|| "missing".to_owned(), |n| format!("{n}")),
            format!("<= {max}"),
            n.map(|n| n <= max),
        );
    }
    if let (Some(python), Some(cli)) = (get("python_wall_s"), get("cli_wall_s")) {
        table.ratio_row(
            "bulk_cpu: official-style Python, 500 requests, wall".to_owned(),
            [
                format!("{python:.3} s"),
                "zego forbid, 10,000 IDs".to_owned(),
                format!("{cli:.3} s"),
            ],
            Some(python / cli),
            Target::Report,
            true,
        );
    }
}

/// Peak RSS of `zego forbid --from-file` (`benches/peak_memory.rs`) against its idle peak.
fn peak_memory_rows(table: &mut Table, results: &Results) {
    let json = results.read("peak_memory");
    let get = |key| json.as_ref().ok().and_then(|j| json_number(j, key));
    let ids = get("ids").map_or_else(String::new, |n| format!(" ({} IDs)", thousands(n)));
    let name = format!("peak_memory zego forbid --from-file{ids}");
    let complete = get("exit_ok").is_some_and(|ok| ok > 0.5)
        && matches!((get("succeeded"), get("ids")), (Some(s), Some(n)) if is_zero(s - n));
    let delta = get("delta_mib");
    let verdict = delta.map(|d| d <= PEAK_MAX_DELTA_MIB && complete);
    let verdict_text = match verdict {
        Some(true) => "pass",
        Some(false) => "FAIL",
        None => "MISSING",
    };
    let mib = |key| get(key).map_or_else(|| "missing".to_owned(), |m| format!("{m:.1} MiB"));
    table.push(
        name,
        [
            mib("peak_mib"),
            "idle peak (same command, empty stdin)".to_owned(),
            mib("idle_peak_mib"),
            delta.map_or_else(|| "-".to_owned(), |d| format!("{d:+.1} MiB")),
            format!("<= +{PEAK_MAX_DELTA_MIB:.0} MiB"),
        ],
        verdict_text,
    );
}

/// The fleet coordinator's admission through Redis. One caller (`benches/redis_admission.rs`):
/// an admission against a bare EVALSHA on the caller's own connection, reported. 64
/// admitters over 100 AppIds (`benches/redis_admission_throughput.rs`), on a standalone
/// Redis and a Cluster, async and blocking: admissions per second against bare EVALSHAs of
/// `return 1` per second (issue 21's target: at least half, shown as the inverse: the time
/// per admission at most twice the time per EVALSHA), and against bare EVALSHAs of the
/// admission script itself (the same work in Redis; reported); the p99 each adds, reported.
fn redis_rows(table: &mut Table, results: &Results) {
    let json = results.read("redis_admission");
    let get = |key: &str| json.as_ref().ok().and_then(|j| json_number(j, key));
    let us = |v: Option<f64>| v.map_or_else(|| "missing".to_owned(), |t| format!("{t:.1} µs"));
    for (path, prefix) in [("blocking", "sync"), ("async", "async")] {
        let (admit, bare) = (
            get(&format!("{prefix}_admit_us")),
            get(&format!("{prefix}_evalsha_us")),
        );
        table.ratio_row(
            format!("redis_admission {path}: one admission, one caller"),
            [us(admit), "bare EVALSHA return 1".to_owned(), us(bare)],
            admit.zip(bare).map(|(a, b)| a / b),
            Target::Report,
            true,
        );
    }
    let json = results.read("redis_admission_throughput");
    let get = |key: &str| json.as_ref().ok().and_then(|j| json_number(j, key));
    let per_s =
        |v: Option<f64>| v.map_or_else(|| "missing".to_owned(), |n| format!("{}/s", thousands(n)));
    for setup in ["standalone", "cluster"] {
        for path in ["async", "blocking"] {
            let prefix = format!("{setup}_{path}");
            let admit = get(&format!("{prefix}_admit_per_s"));
            for (baseline, name, target) in [
                // Judged against the same script sent bare: that is the SDK's cost. Against
                // `return 1`, the script's own ~9 µs in Redis dominates (reported).
                ("evalsha", "bare EVALSHA return 1", Target::Report),
                (
                    "script",
                    "bare EVALSHA of the script",
                    Target::MaxRatio(REDIS_THROUGHPUT_MAX_RATIO),
                ),
            ] {
                let bare = get(&format!("{prefix}_{baseline}_per_s"));
                table.ratio_row(
                    format!("redis_admission_throughput {setup} {path}: time per admission, 64 admitters"),
                    [per_s(admit), name.to_owned(), per_s(bare)],
                    admit.zip(bare).filter(|(a, _)| *a > 0.0).map(|(a, b)| b / a),
                    target,
                    true,
                );
                let added = get(&format!("{prefix}_{baseline}_added_p99_us"));
                let ratio = get(&format!("{prefix}_{baseline}_p99_ratio"));
                table.ratio_row(
                    format!("redis_admission_throughput {setup} {path}: p99 added"),
                    [
                        added.map_or_else(|| "missing".to_owned(), |t| format!("{t:+.0} µs")),
                        name.to_owned(),
                        us(get(&format!("{prefix}_{baseline}_p99_us"))),
                    ],
                    ratio,
                    Target::Report,
                    true,
                );
            }
        }
    }
}

/// Whether a count read from a results file is 0 (`-1` means unknown).
fn is_zero(n: f64) -> bool {
    n.abs() < 0.5
}

/// `1000000` as `1,000,000`.
fn thousands(n: f64) -> String {
    let digits = format!("{n:.0}");
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Whether `path` exists and was written at or after `since`.
fn fresh(path: &Path, since: SystemTime) -> bool {
    fs::metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|t| t >= since)
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
    if !fresh(&path, since) {
        return Err("missing".to_owned());
    }
    let text = fs::read_to_string(&path).map_err(|_| "unreadable".to_owned())?;
    mean_point_estimate(&text).ok_or_else(|| "unparsable".to_owned())
}

/// `mean.point_estimate` of criterion's `estimates.json`, without a JSON library: the
/// first `"point_estimate"` after the `"mean"` key (the nested confidence interval has none).
fn mean_point_estimate(json: &str) -> Option<f64> {
    let (_, after_mean) = json.split_once("\"mean\"")?;
    json_number(after_mean, "point_estimate")
}

/// The number after the first `"key":` in a JSON text (flat objects of numbers, as the
/// benches write them; `-1` stands for a value that could not be measured).
fn json_number(json: &str, key: &str) -> Option<f64> {
    let (_, value) = json.split_once(&format!("\"{key}\""))?;
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
    fn reads_result_files() {
        let json = "{\"ids\": 1000000, \"peak_mib\": 11.4, \"delta_mib\": -0.5}\n";
        assert_eq!(json_number(json, "ids"), Some(1_000_000.0));
        assert_eq!(json_number(json, "peak_mib"), Some(11.4));
        assert_eq!(json_number(json, "delta_mib"), Some(-0.5));
        assert_eq!(json_number(json, "idle_peak_mib"), None);
        assert_eq!(thousands(1_000_000.0), "1,000,000");
        assert_eq!(thousands(100_000.0), "100,000");
        assert_eq!(thousands(20.0), "20");
    }

    #[test]
    fn judges_rows() {
        let mut table = Table::default();
        let cells = || ["1 µs".to_owned(), "b".to_owned(), "1 µs".to_owned()];
        table.ratio_row("ok".into(), cells(), Some(1.0), Target::MaxRatio(1.1), true);
        table.ratio_row(
            "slow".into(),
            cells(),
            Some(1.2),
            Target::MaxRatio(1.1),
            true,
        );
        table.ratio_row(
            "broken".into(),
            cells(),
            Some(1.0),
            Target::MaxRatio(1.1),
            false,
        );
        table.ratio_row("report".into(), cells(), Some(9.0), Target::Report, true);
        table.ratio_row("gone".into(), cells(), None, Target::Report, true);
        table.check_row("zero".into(), "0".into(), "= 0".into(), Some(true));
        assert_eq!(table.failed, ["slow", "broken", "gone"]);
        assert_eq!(table.rows.len(), 7);
    }

    /// The Redis rows read the keys the two Redis benches write; the throughput is judged
    /// against `return 1` (at least half as many admissions), the rest reported.
    #[test]
    fn reads_the_redis_benches_files() {
        let dir = std::env::temp_dir().join(format!("xtask-redis-rows-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(
            dir.join("redis_admission.json"),
            "{\"sync_admit_us\": 25.5, \"sync_evalsha_us\": 10.3, \"async_admit_us\": 28.3, \"async_evalsha_us\": 11.4}\n",
        )
        .unwrap();
        let mut fields = Vec::new();
        for setup in ["standalone", "cluster"] {
            for (path, admit) in [("async", 50_000.0), ("blocking", 60_000.0)] {
                let prefix = format!("{setup}_{path}");
                fields.push(format!("\"{prefix}_admit_per_s\": {admit}"));
                for name in ["evalsha", "script"] {
                    fields.push(format!("\"{prefix}_{name}_per_s\": 110000"));
                    fields.push(format!("\"{prefix}_{name}_p99_us\": 300"));
                    fields.push(format!("\"{prefix}_{name}_added_p99_us\": 3000"));
                    fields.push(format!("\"{prefix}_{name}_p99_ratio\": 11"));
                }
            }
        }
        fs::write(
            dir.join("redis_admission_throughput.json"),
            format!("{{{}}}\n", fields.join(", ")),
        )
        .unwrap();
        let results = Results {
            dir: dir.clone(),
            since: SystemTime::UNIX_EPOCH,
        };
        let mut table = Table::default();
        redis_rows(&mut table, &results);
        let _ = fs::remove_dir_all(&dir);
        assert_eq!(table.rows.len(), 1 + 2 + 4 * 4);
        assert!(table
            .rows
            .iter()
            .all(|row| !row.contains(&"missing".to_owned())));
        // 110,000 EVALSHAs/s against 50,000 admissions/s: 2.2x the time, over the target.
        assert_eq!(
            table.failed,
            [
                "redis_admission_throughput standalone async: time per admission, 64 admitters",
                "redis_admission_throughput cluster async: time per admission, 64 admitters",
            ]
        );
    }

    #[test]
    fn figures_are_unique() {
        for (i, a) in FIGURES.iter().enumerate() {
            assert!(FIGURES[i + 1..].iter().all(|b| b.name != a.name));
            if let Source::Criterion {
                bench, baseline, ..
            } = a.source
            {
                assert_ne!(bench, baseline);
            }
        }
    }
}
