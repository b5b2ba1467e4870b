//! Peak memory of `zego forbid --from-file` over 1,000,000 stream IDs (`ZEGO_BENCH_PEAK_IDS`
//! to change), against the same binary's idle peak. The run takes a couple of seconds, so
//! `ZEGO_BENCH_QUICK=1` runs it in full too.
//!
//! The release `zego` binary (`ZEGO_BENCH_ZEGO_BIN`, else `zego` next to this bench's
//! `deps/` directory, i.e. `target/release/zego`; `cargo xtask bench` builds it first) runs
//! as a child process with `--no-rate-limit`, against an in-process server that never
//! throttles. Its peak resident set is read from `VmHWM` in `/proc/<pid>/status` every
//! 10 ms until it exits ([`zego_benches::peak_rss`]).
//!
//! The server: by default zego-sim with its rate limit off, as the issue asks.
//! `ZEGO_BENCH_PEAK_SERVER=minimal` uses the constant-JSON hyper server of
//! [`zego_benches::loopback`] instead (zego-sim's HTTP stack, every batch answered Code 0).
//! What is measured is the client's memory, which does not depend on the server as long as
//! every batch succeeds: both give about +7 MiB.
//!
//! Idle baseline: the same command with `--from-file -`, left waiting on an empty stdin for
//! half a second (arguments parsed, client and bulk workers started, nothing read), then
//! given end-of-input. The difference is what the IDs cost: the run must stream its input
//! and keep only failures, so it stays within 64 MiB of idle. Figures:
//! `target/zego-bench/peak_memory.json`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zego_benches::{fixtures, loopback, peak_rss, results};

/// Where `cargo xtask bench` says the `zego` binary is.
const BIN_ENV: &str = "ZEGO_BENCH_ZEGO_BIN";
/// How long the idle baseline waits on its empty stdin.
const IDLE_FOR: Duration = Duration::from_millis(500);
/// `minimal` to run against the minimal server instead of zego-sim.
const SERVER_ENV: &str = "ZEGO_BENCH_PEAK_SERVER";
/// Another number of IDs than [`IDS`].
const IDS_ENV: &str = "ZEGO_BENCH_PEAK_IDS";
/// The IDs of the figure.
const IDS: usize = 1_000_000;

/// The server the child talks to; stops when dropped.
enum Server {
    Sim(zego_sim::SimHandle),
    Minimal(loopback::ConstJsonServer),
}

impl Server {
    fn start() -> Self {
        if std::env::var(SERVER_ENV).is_ok_and(|v| v == "minimal") {
            Self::Minimal(loopback::ConstJsonServer::start().expect("the minimal server starts"))
        } else {
            Self::Sim(
                zego_sim::Simulator::builder()
                    .app(fixtures::APP_ID, fixtures::SECRET)
                    .rate_limit(false)
                    .start()
                    .expect("the simulator starts"),
            )
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Sim(_) => "zego-sim, rate limit off",
            Self::Minimal(_) => "minimal constant-JSON hyper server",
        }
    }

    fn base_url(&self) -> String {
        match self {
            Self::Sim(sim) => sim.base_url(),
            Self::Minimal(server) => server.base_url(),
        }
    }
}

fn zego_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(BIN_ENV) {
        return Some(PathBuf::from(path));
    }
    // target/release/deps/peak_memory-HASH -> target/release/zego
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("zego");
    candidate.exists().then_some(candidate)
}

fn write_ids(path: &Path, count: usize) -> std::io::Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    for i in 0..count {
        writeln!(out, "mem-{i:07}")?;
    }
    out.flush()
}

fn zego(bin: &Path, base_url: &str, from_file: &str, stdout: &Path) -> Command {
    let mut cmd = Command::new(bin);
    cmd.args(["forbid", "--from-file", from_file])
        .args(["--endpoint", base_url, "--no-rate-limit", "--json"])
        .env("ZEGO_APP_ID", fixtures::APP_ID.to_string())
        .env("ZEGO_SERVER_SECRET", fixtures::SECRET)
        .env_remove("ZEGO_ENDPOINT")
        .env_remove("ZEGO_PROFILE")
        .env_remove("ZEGO_CONFIG")
        .stdout(File::create(stdout).expect("a temporary file"))
        .stderr(Stdio::null());
    cmd
}

/// The idle peak: `--from-file -` waiting on an open, empty stdin, then end-of-input.
fn idle_peak(bin: &Path, base_url: &str, stdout: &Path) -> peak_rss::Peak {
    let mut child: Child = zego(bin, base_url, "-", stdout)
        .stdin(Stdio::piped())
        .spawn()
        .expect("zego starts");
    let stdin = child.stdin.take();
    let started = Instant::now();
    let (mut floor, mut samples) = (0, 0);
    while started.elapsed() < IDLE_FOR {
        if let Some(kib) = peak_rss::vm_hwm_kib(child.id()) {
            floor = floor.max(kib);
            samples += 1;
        }
        std::thread::sleep(peak_rss::POLL_INTERVAL);
    }
    drop(stdin);
    let mut peak = peak_rss::poll_until_exit(&mut child, floor).expect("zego is waited for");
    peak.samples += samples;
    peak
}

/// `"key": <number>` in a JSON text, without a JSON library.
fn json_number(json: &str, key: &str) -> Option<f64> {
    let (_, rest) = json.split_once(&format!("\"{key}\":"))?;
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

#[allow(clippy::cast_precision_loss)] // KiB and ID counts, far below 2^52
fn main() {
    let ids = std::env::var(IDS_ENV)
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(IDS);
    let Some(bin) = zego_binary() else {
        println!(
            "peak_memory: skipped, no zego binary (run `cargo build -p zego-cli --release` \
             or set {BIN_ENV})"
        );
        return;
    };
    if !peak_rss::supported() {
        println!("peak_memory: skipped, /proc/<pid>/status has no VmHWM on this system");
        return;
    }
    let dir = std::env::temp_dir().join(format!("zego-bench-peak-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let input = dir.join("ids.txt");
    write_ids(&input, ids).expect("the ID file is written");
    let stdout = dir.join("stdout.json");

    let server = Server::start();
    let base_url = server.base_url();
    println!(
        "peak_memory: {} forbid --from-file over {ids} IDs, against the {}",
        bin.display(),
        server.name()
    );

    let idle = idle_peak(&bin, &base_url, &stdout);
    println!(
        "  idle: peak {:.1} MiB ({} samples, {:?})",
        idle.peak_kib as f64 / 1024.0,
        idle.samples,
        idle.status
    );

    let mut child = zego(
        &bin,
        &base_url,
        input.to_str().expect("a UTF-8 path"),
        &stdout,
    )
    .spawn()
    .expect("zego starts");
    let run = peak_rss::poll_until_exit(&mut child, 0).expect("zego is waited for");
    let summary = std::fs::read_to_string(&stdout).unwrap_or_default();
    let server_is_sim = matches!(server, Server::Sim(_));
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);

    let succeeded = json_number(&summary, "succeeded").unwrap_or(-1.0);
    let requests = json_number(&summary, "requests").unwrap_or(-1.0);
    let failed = json_number(&summary, "failed").unwrap_or(-1.0);
    let peak_mib = run.peak_kib as f64 / 1024.0;
    let idle_mib = idle.peak_kib as f64 / 1024.0;
    let delta_mib = peak_mib - idle_mib;
    println!(
        "  run: peak {peak_mib:.1} MiB ({} samples over {:.1} s, {:?}), {succeeded} succeeded, \
         {failed} failed, {requests} requests",
        run.samples,
        run.elapsed.as_secs_f64(),
        run.status
    );
    println!("  delta {delta_mib:+.1} MiB (target <= +64 MiB)");
    if !run.status.success() || (succeeded - ids as f64).abs() > 0.5 {
        eprintln!("  the run did not forbid every ID: {summary}");
    }
    let fields = [
        ("ids", ids as f64),
        ("peak_mib", peak_mib),
        ("idle_peak_mib", idle_mib),
        ("delta_mib", delta_mib),
        ("seconds", run.elapsed.as_secs_f64()),
        ("samples", run.samples as f64),
        ("succeeded", succeeded),
        ("failed", failed),
        ("requests", requests),
        ("exit_ok", if run.status.success() { 1.0 } else { 0.0 }),
        ("server_is_sim", if server_is_sim { 1.0 } else { 0.0 }),
    ];
    match results::write("peak_memory", &fields) {
        Ok(path) => println!("  written to {}", path.display()),
        Err(e) => eprintln!("  could not write the figures: {e}"),
    }
}
