//! What a bulk run costs per request (issue 23 item 3): the process CPU time of a bulk
//! forbid of 10,000 IDs (500 requests) at loopback, against the CPU time of the same 500
//! requests sent as single `execute` calls in a loop, for both clients, in the same run; the
//! threads a bulk run starts; and the whole release CLI run against ZEGO's official-style
//! Python client on the same 500 requests.
//!
//! Not criterion: whole runs. The server is zego-sim with its rate limit off, in a child
//! process (this binary, re-run with `ZEGO_BENCH_SIM_CHILD` set), so the CPU measured is the
//! client's alone; the clients pace nothing (`no_rate_limit`). Runs alternate single loop and
//! bulk, 5 pairs (2 with `ZEGO_BENCH_QUICK=1`); medians are reported.
//!
//! - CPU: `CLOCK_PROCESS_CPUTIME_ID` around the run (every thread of this process, the dead
//!   ones included).
//! - Threads: a separate, untimed bulk run with a sampler reading `/proc/self/task` every
//!   100 µs; the threads seen that were not there before (the sampler excepted). Threads that
//!   live less than the interval can be missed: the CLI figures below come from
//!   `strace -f -c` instead, which counts every `clone`.
//! - The CLI (`target/release/zego`, or `ZEGO_BENCH_ZEGO_BIN`), against `zego sim
//!   --no-rate-limit` (what issue 23 measured against): `zego --no-rate-limit
//!   forbid --from-file` over 10,000 IDs against `/work/shared`'s
//!   `official_client.py --repeat 500` (or `ZEGO_BENCH_OFFICIAL_CLIENT`) sending the same
//!   20-stream `ForbidRTCStreams`, each under `/usr/bin/time` (wall, user + system CPU); and
//!   `strace -f -c` of `zego forbid` over 1, 200, 2,000 and 10,000 IDs (clone calls =
//!   threads started). Each part is skipped with a message when its tool is missing.
//!
//! Figures: `target/zego-bench/bulk_cpu.json`.
#![allow(clippy::cast_precision_loss)] // counts and nanoseconds far below 2^52

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zego_benches::{fixtures, results};
use zego_proto::bulk::{BulkAction, BulkOptions};
use zego_proto::ops::ForbidRtcStreams;
use zego_proto::Endpoint;

/// IDs of a run: 500 requests of 20.
const IDS: usize = 10_000;
const PER_REQUEST: usize = 20;
const REQUESTS: usize = IDS / PER_REQUEST;
/// Set in the child that serves the simulator.
const SIM_CHILD_ENV: &str = "ZEGO_BENCH_SIM_CHILD";
const BIN_ENV: &str = "ZEGO_BENCH_ZEGO_BIN";
const OFFICIAL_ENV: &str = "ZEGO_BENCH_OFFICIAL_CLIENT";

fn cpu_now() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ProcessCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// CPU and wall time of `f`.
fn measure(f: impl FnOnce()) -> (f64, f64) {
    let (cpu, wall) = (cpu_now(), Instant::now());
    f();
    (
        cpu_now().saturating_sub(cpu).as_secs_f64(),
        wall.elapsed().as_secs_f64(),
    )
}

/// The simulator in a child process: prints its base URL, serves until stdin closes.
fn serve_sim() {
    let sim = zego_sim::Simulator::builder()
        .app(fixtures::APP_ID, fixtures::SECRET)
        .rate_limit(false)
        .start()
        .expect("the simulator starts");
    println!("{}", sim.base_url());
    std::io::stdout().flush().expect("stdout");
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}

struct SimChild {
    child: Child,
    base_url: String,
}

impl SimChild {
    fn start() -> Self {
        let mut child = Command::new(std::env::current_exe().expect("this binary"))
            .env(SIM_CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the simulator child starts");
        let mut base_url = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut base_url)
            .expect("the base URL");
        Self {
            child,
            base_url: base_url.trim().to_owned(),
        }
    }
}

impl Drop for SimChild {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn ids(run: usize) -> impl Iterator<Item = String> + Send {
    (0..IDS).map(move |i| format!("cpu-{run}-{i:05}"))
}

/// The single-call loop's operations, built from the same IDs as a bulk run's inside the
/// measured time (each ID made and checked once, as the bulk run does).
fn batches(run: usize) -> impl Iterator<Item = ForbidRtcStreams> {
    let mut ids = ids(run);
    std::iter::from_fn(move || {
        let chunk: Vec<String> = ids.by_ref().take(PER_REQUEST).collect();
        (!chunk.is_empty()).then(|| ForbidRtcStreams::new(chunk).expect("valid IDs"))
    })
}

fn blocking_client(base_url: &str) -> zego_transport_blocking::Client {
    zego_transport_blocking::Client::builder(fixtures::credentials())
        .endpoint(Endpoint::custom(base_url).expect("a loopback URL"))
        .no_rate_limit()
        .build()
}

fn async_client(base_url: &str) -> zego_transport_async::Client {
    zego_transport_async::Client::builder(fixtures::credentials())
        .endpoint(Endpoint::custom(base_url).expect("a loopback URL"))
        .no_rate_limit()
        .build()
}

/// Threads this process starts while `f` runs (see the module docs).
fn threads_started(f: impl FnOnce()) -> usize {
    fn tids() -> BTreeSet<u64> {
        std::fs::read_dir("/proc/self/task")
            .map(|dir| {
                dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default()
    }
    let before = tids();
    let stop = Arc::new(AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(BTreeSet::new()));
    let sampler = {
        let (stop, seen) = (Arc::clone(&stop), Arc::clone(&seen));
        std::thread::spawn(move || {
            let me = tids();
            while !stop.load(Ordering::Relaxed) {
                seen.lock().expect("not poisoned").extend(tids());
                std::thread::sleep(Duration::from_micros(100));
            }
            me
        })
    };
    std::thread::sleep(Duration::from_millis(5));
    f();
    stop.store(true, Ordering::Relaxed);
    let at_sampler_start = sampler.join().expect("the sampler");
    let seen = seen.lock().expect("not poisoned");
    // The sampler is the one thread in its own first listing that was not there before.
    seen.iter()
        .filter(|t| !before.contains(t) && !at_sampler_start.contains(t))
        .count()
}

struct Pair {
    single_cpu: f64,
    single_wall: f64,
    bulk_cpu: f64,
    bulk_wall: f64,
}

/// One client's figures, the same way for both: `pairs` pairs (runs `first_run..`) of the
/// single-call loop (`single_loop`: every operation of `batches(run)`, one `execute` at a
/// time) and a bulk run (`bulk`: a bulk forbid of `ids(run)`, the number that succeeded),
/// each on a fresh client from `new_client`; then the threads one more bulk run starts.
/// Printed, and added to `fields` as `<name>_single_cpu_us`, `_bulk_cpu_us`, `_ratio`,
/// `_single_wall_s`, `_bulk_wall_s`, `_threads`.
fn measure_client<C>(
    name: &str,
    pairs: usize,
    first_run: usize,
    new_client: impl Fn() -> C,
    single_loop: impl Fn(&C, usize),
    bulk: impl Fn(&C, usize) -> usize,
    fields: &mut Vec<(String, f64)>,
) {
    let pairs: Vec<Pair> = (first_run..first_run + pairs)
        .map(|run| {
            let client = new_client();
            let (single_cpu, single_wall) = measure(|| single_loop(&client, run));
            let client = new_client();
            let (bulk_cpu, bulk_wall) = measure(|| {
                assert_eq!(bulk(&client, run + 1000), IDS, "every ID forbidden");
            });
            Pair {
                single_cpu,
                single_wall,
                bulk_cpu,
                bulk_wall,
            }
        })
        .collect();
    let (single, bulk_cpu, single_wall, bulk_wall) = medians(&pairs);
    println!(
        "  {name}: single loop {single:.1} µs CPU/request ({single_wall:.3} s), bulk {bulk_cpu:.1} µs CPU/request ({bulk_wall:.3} s): {:.2}x",
        bulk_cpu / single
    );
    let client = new_client();
    let threads = threads_started(|| {
        bulk(&client, first_run + 900);
    });
    println!("  {name}: threads started by one bulk run: {threads}");
    fields.extend(
        [
            ("single_cpu_us", single),
            ("bulk_cpu_us", bulk_cpu),
            ("ratio", bulk_cpu / single),
            ("single_wall_s", single_wall),
            ("bulk_wall_s", bulk_wall),
            ("threads", threads as f64),
        ]
        .map(|(figure, value)| (format!("{name}_{figure}"), value)),
    );
}

/// Medians of the pairs, per request: (single CPU µs, bulk CPU µs, single wall s, bulk wall s).
fn medians(pairs: &[Pair]) -> (f64, f64, f64, f64) {
    let per = |f: fn(&Pair) -> f64| results::median(&pairs.iter().map(f).collect::<Vec<_>>());
    (
        per(|p| p.single_cpu) / REQUESTS as f64 * 1e6,
        per(|p| p.bulk_cpu) / REQUESTS as f64 * 1e6,
        per(|p| p.single_wall),
        per(|p| p.bulk_wall),
    )
}

fn zego_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(BIN_ENV) {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("zego");
    candidate.exists().then_some(candidate)
}

/// `ZEGO_BENCH_OFFICIAL_CLIENT`, else `shared/bench/official_client.py` next to the
/// repository (the main checkout's `../shared`, or a worktree's `../../shared`).
fn official_client() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(OFFICIAL_ENV) {
        return Some(PathBuf::from(path));
    }
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?;
    repo.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join("shared/bench/official_client.py"))
        .find(|p| p.exists())
}

fn tool(name: &str) -> Option<PathBuf> {
    ["/usr/bin", "/bin", "/usr/local/bin"]
        .iter()
        .map(|dir| Path::new(dir).join(name))
        .find(|p| p.exists())
}

fn write_ids(path: &Path, count: usize, prefix: &str) {
    let text = (0..count).fold(String::new(), |mut text, i| {
        let _ = writeln!(text, "{prefix}-{i:05}");
        text
    });
    std::fs::write(path, text).expect("the ID file is written");
}

fn zego_forbid(bin: &Path, base_url: &str, file: &Path) -> Vec<String> {
    vec![
        bin.display().to_string(),
        "--endpoint".into(),
        base_url.into(),
        "--no-rate-limit".into(),
        "--json".into(),
        "forbid".into(),
        "--from-file".into(),
        file.display().to_string(),
    ]
}

/// `/usr/bin/time -f "%e %U %S"` of `argv`: (wall, CPU) seconds.
fn timed(time: &Path, argv: &[String]) -> (f64, f64) {
    let out = Command::new(time)
        .args(["-f", "TIMED %e %U %S", "--"])
        .args(argv)
        .env("ZEGO_APP_ID", fixtures::APP_ID.to_string())
        .env("ZEGO_SERVER_SECRET", fixtures::SECRET)
        .env_remove("ZEGO_ENDPOINT")
        .env_remove("ZEGO_PROFILE")
        .env_remove("ZEGO_CONFIG")
        .stdout(Stdio::null())
        .output()
        .expect("time runs");
    assert!(
        out.status.success(),
        "{argv:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("TIMED "))
        .expect("time's line");
    let v: Vec<f64> = line.split(' ').filter_map(|x| x.parse().ok()).collect();
    (v[0], v[1] + v[2])
}

/// Threads started by `argv` under `strace -f -c` (its `clone` and `clone3` calls).
fn strace_threads(strace: &Path, argv: &[String], dir: &Path) -> f64 {
    let out_file = dir.join("strace.txt");
    let status = Command::new(strace)
        .args(["-f", "-c", "-e", "trace=clone,clone3,futex", "-o"])
        .arg(&out_file)
        .args(argv)
        .env("ZEGO_APP_ID", fixtures::APP_ID.to_string())
        .env("ZEGO_SERVER_SECRET", fixtures::SECRET)
        .env_remove("ZEGO_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("strace runs");
    assert!(status.success(), "{argv:?} under strace failed");
    let text = std::fs::read_to_string(&out_file).unwrap_or_default();
    let calls = |name: &str| -> f64 {
        text.lines()
            .filter(|l| l.split_whitespace().last() == Some(name))
            .filter_map(|l| {
                let cols: Vec<&str> = l.split_whitespace().collect();
                // % time, seconds, usecs/call, calls, [errors,] syscall
                cols.get(3)?.parse::<f64>().ok()
            })
            .sum()
    };
    let futex = calls("futex");
    eprintln!(
        "    {}: {futex} futex calls",
        argv.last().map_or("", String::as_str)
    );
    calls("clone") + calls("clone3")
}

fn main() {
    if std::env::var_os(SIM_CHILD_ENV).is_some() {
        serve_sim();
        return;
    }
    let pairs = if results::quick() { 2 } else { 5 };
    let sim = SimChild::start();
    println!(
        "bulk_cpu: {IDS} IDs ({REQUESTS} requests) per run, zego-sim (rate limit off) in a child process, {pairs} pairs per client"
    );
    let mut fields: Vec<(String, f64)> = Vec::new();
    measure_client(
        "blocking",
        pairs,
        0,
        || blocking_client(&sim.base_url),
        |client, run| {
            for op in batches(run) {
                client.execute(&op).expect("forbidden");
            }
        },
        |client, run| {
            client
                .bulk(BulkAction::Forbid, ids(run), &BulkOptions::default())
                .succeeded
        },
        &mut fields,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    measure_client(
        "async",
        pairs,
        100,
        || runtime.block_on(async { async_client(&sim.base_url) }),
        |client, run| {
            runtime.block_on(async {
                for op in batches(run) {
                    client.execute(&op).await.expect("forbidden");
                }
            });
        },
        |client, run| {
            runtime
                .block_on(client.bulk(BulkAction::Forbid, ids(run), &BulkOptions::default()))
                .succeeded
        },
        &mut fields,
    );

    cli_runs(&mut fields);
    drop(sim);
    let fields: Vec<(&str, f64)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    match results::write("bulk_cpu", &fields) {
        Ok(path) => println!("  figures: {}", path.display()),
        Err(e) => println!("  figures not written: {e}"),
    }
}

/// `zego sim --no-rate-limit` (the demo app), as the issue measured against; stops when
/// dropped.
struct CliSim {
    child: Child,
    base_url: String,
}

impl CliSim {
    fn start(bin: &Path) -> Self {
        let mut child = Command::new(bin)
            .args(["sim", "--no-rate-limit"])
            .env_remove("ZEGO_SIM_APPS")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("zego sim starts");
        let mut base_url = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut base_url)
            .expect("the base URL");
        Self {
            child,
            base_url: base_url.trim().to_owned(),
        }
    }
}

impl Drop for CliSim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The release CLI against the Python client, both against `zego sim --no-rate-limit`, and
/// the CLI's threads under strace.
fn cli_runs(fields: &mut Vec<(String, f64)>) {
    let Some(bin) = zego_binary() else {
        println!(
            "  CLI: skipped, no zego binary (cargo build --release -p zego-cli, or {BIN_ENV})"
        );
        return;
    };
    let sim = CliSim::start(&bin);
    let base_url = sim.base_url.as_str();
    let dir = std::env::temp_dir().join(format!("zego-bench-bulk-cpu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let runs = if results::quick() { 1 } else { 5 };
    if let (Some(time), Some(python), Some(official)) =
        (tool("time"), tool("python3"), official_client())
    {
        let mut zego_runs = Vec::new();
        let mut python_runs = Vec::new();
        for run in 0..runs {
            let file = dir.join(format!("ids-{run}.txt"));
            write_ids(&file, IDS, &format!("cli-{run}"));
            zego_runs.push(timed(&time, &zego_forbid(&bin, base_url, &file)));
            let mut argv = vec![
                python.display().to_string(),
                official.display().to_string(),
                "--endpoint".into(),
                base_url.into(),
                "--app-id".into(),
                fixtures::APP_ID.to_string(),
                "--secret".into(),
                fixtures::SECRET.into(),
                "--repeat".into(),
                REQUESTS.to_string(),
                "ForbidRTCStreams".into(),
            ];
            argv.extend((0..PER_REQUEST).map(|i| format!("StreamId[]=py-{run}-{i}")));
            python_runs.push(timed(&time, &argv));
        }
        let med = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| {
            results::median(&v.iter().map(f).collect::<Vec<_>>())
        };
        let (zw, zc) = (med(&zego_runs, |r| r.0), med(&zego_runs, |r| r.1));
        let (pw, pc) = (med(&python_runs, |r| r.0), med(&python_runs, |r| r.1));
        println!(
            "  CLI, {IDS} IDs: zego {zw:.3} s wall, {zc:.3} s CPU; official-style Python, {REQUESTS} requests: {pw:.3} s wall, {pc:.3} s CPU; wall ratio {:.1}x (median of {runs})",
            pw / zw
        );
        fields.extend(
            [
                ("cli_wall_s", zw),
                ("cli_cpu_s", zc),
                ("python_wall_s", pw),
                ("python_cpu_s", pc),
                ("python_over_cli_wall", pw / zw),
            ]
            .map(|(key, value)| (key.to_owned(), value)),
        );
    } else {
        println!("  CLI against Python: skipped (needs /usr/bin/time, python3 and {OFFICIAL_ENV})");
    }
    if let Some(strace) = tool("strace") {
        let mut counts = Vec::new();
        for (key, n) in [
            ("cli_threads_1", 1),
            ("cli_threads_200", 200),
            ("cli_threads_2000", 2_000),
            ("cli_threads_10000", IDS),
        ] {
            let file = dir.join(format!("strace-{n}.txt"));
            write_ids(&file, n, &format!("strace-{n}"));
            let threads = strace_threads(&strace, &zego_forbid(&bin, base_url, &file), &dir);
            counts.push(format!("{n} ID(s): {threads}"));
            fields.push((key.to_owned(), threads));
        }
        println!(
            "  CLI threads started (strace -f -c, clone calls): {}",
            counts.join(", ")
        );
    } else {
        println!("  CLI threads: skipped, no strace");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
