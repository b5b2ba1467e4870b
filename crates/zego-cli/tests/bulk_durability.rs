//! Bulk runs that survive crashes, stop when they should, and fill the quota at any
//! latency — `zego forbid` over real HTTP against the simulator.
#![allow(clippy::cast_precision_loss)] // Request counts.

mod common;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{sim, APP, SECRET};
use zego_sim::{Env, Fault, FaultPlan, SimHandle, Simulator};

fn ids_file(name: &str, n: usize) -> std::path::PathBuf {
    let ids: Vec<String> = (0..n).map(|i| format!("bulk-{i:05}")).collect();
    common::temp_file(name, &(ids.join("\n") + "\n"))
}

fn zego(sim: &SimHandle, secret: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zego"));
    cmd.env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", secret)
        .env_remove("ZEGO_ENDPOINT")
        .env_remove("ZEGO_REDIS_URL")
        .env("XDG_CONFIG_HOME", common::empty_config_home())
        .env("HOME", common::empty_config_home())
        .args(["--endpoint", &sim.base_url()]);
    cmd
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zego runs")
}

fn json_of(stdout: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {text}"))
}

fn journal_records(path: &std::path::Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count().saturating_sub(1))
}

fn forbid_requests(sim: &SimHandle) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| r.action == "ForbidRTCStreams")
        .count()
}

#[test]
fn a_killed_run_resumes_from_its_journal_and_resends_at_most_what_was_in_flight() {
    let sim = sim();
    let file = ids_file("kill-ids.txt", 2_000);
    let journal = std::env::temp_dir().join(format!("zego-journal-kill-{}", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let mut first = zego(&sim, SECRET);
    first
        .args(["forbid", "--from-file"])
        .arg(&file)
        .arg("--journal")
        .arg(&journal);
    let mut child = spawn(first);
    let started = Instant::now();
    while journal_records(&journal) < 30 && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    let done_before = journal_records(&journal);
    let sent_before = forbid_requests(&sim);
    assert!(
        (30..100).contains(&done_before),
        "{done_before} batches journaled"
    );

    let mut again = zego(&sim, SECRET);
    again
        .args(["--json", "forbid", "--from-file"])
        .arg(&file)
        .arg("--journal")
        .arg(&journal);
    let output = again.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report = json_of(&output.stdout);
    let skipped = report["skipped"].as_u64().unwrap();
    assert_eq!(skipped, 20 * done_before as u64, "{report}");
    assert_eq!(
        report["succeeded"].as_u64().unwrap() + skipped,
        2_000,
        "{report}"
    );
    assert_eq!(sim.forbidden_rtc_streams(APP, Env::Production).len(), 2_000);
    let resent = forbid_requests(&sim) - 100;
    eprintln!(
        "killed after {sent_before} requests ({done_before} journaled); {resent} batch(es) sent twice"
    );
    assert!(resent <= sent_before - done_before + 1, "resent {resent}");
    let _ = std::fs::remove_file(&journal);
}

#[test]
fn sigint_stops_the_run_with_one_report_and_exit_130() {
    let sim = sim();
    let file = ids_file("sigint-ids.txt", 2_000);
    let mut cmd = zego(&sim, SECRET);
    cmd.args(["--json", "forbid", "--from-file"]).arg(&file);
    let mut child = spawn(cmd);
    std::thread::sleep(Duration::from_millis(1_500));
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap()
        .success());
    let started = Instant::now();
    let status = child.wait().unwrap();
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    assert_eq!(status.code(), Some(130));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopped within the grace period"
    );
    let report = json_of(&stdout);
    assert_eq!(report["stopped"], "interrupted", "{report}");
    let (succeeded, failed, not_attempted, total) = (
        report["succeeded"].as_u64().unwrap(),
        report["failed"].as_u64().unwrap(),
        report["not_attempted"].as_u64().unwrap(),
        report["total"].as_u64().unwrap(),
    );
    assert_eq!(succeeded + failed + not_attempted, total);
    assert_eq!(total, 2_000);
    assert!(not_attempted > 0);
    assert_eq!(
        usize::try_from(succeeded).unwrap(),
        sim.forbidden_rtc_streams(APP, Env::Production).len()
    );
}

#[test]
fn a_wrong_secret_over_10000_streams_stops_within_20_requests() {
    let sim = sim();
    let file = ids_file("wrong-secret-ids.txt", 10_000);
    let mut cmd = zego(&sim, "ffffffffffffffffffffffffffffffff");
    cmd.args(["--json", "forbid", "--from-file"]).arg(&file);
    let output = cmd.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report = json_of(&output.stdout);
    assert_eq!(report["stopped"], "fail_fast", "{report}");
    assert_eq!(report["total"], 10_000);
    let requests = sim.request_log().len();
    eprintln!("wrong secret: {requests} requests before stopping");
    assert!(requests <= 20, "{requests} requests");
    assert!(report["not_attempted"].as_u64().unwrap() >= 9_000);
    let failures = report["failures"].as_array().unwrap();
    assert_eq!(failures[0]["error"]["code"], 100000005);
}

#[test]
fn a_permanent_rate_limit_gives_up_in_bounded_time_with_a_clear_message() {
    let sim = Simulator::builder()
        .app(APP, SECRET)
        .faults(FaultPlan::new().seed(3).all(Fault::RateLimited, 1.0))
        .start()
        .unwrap();
    let file = ids_file("ratelimit-ids.txt", 1_000);
    let started = Instant::now();
    let mut cmd = zego(&sim, SECRET);
    cmd.args(["forbid", "--rate-limit-budget", "2", "--from-file"])
        .arg(&file);
    let output = cmd.output().unwrap();
    let elapsed = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout);
    eprintln!(
        "permanent 30002: gave up after {elapsed:?}, {} requests",
        sim.request_log().len()
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout.contains("STOPPED: ZEGO kept answering rate limit"),
        "{stdout}"
    );
    assert!(elapsed < Duration::from_secs(40), "{elapsed:?}");
    // Every rate-limit answer paused the whole run; it never went above the quota.
    let requests = sim.request_log().len() as f64;
    assert!(
        requests <= 20.0 * elapsed.as_secs_f64(),
        "{requests} requests in {elapsed:?}"
    );
}

#[test]
fn a_journal_of_another_run_is_refused() {
    let sim = sim();
    let file = ids_file("journal-ids.txt", 40);
    let other_file = ids_file("journal-other-ids.txt", 41);
    let journal = std::env::temp_dir().join(format!("zego-journal-other-{}", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let mut cmd = zego(&sim, SECRET);
    cmd.args(["forbid", "--from-file"])
        .arg(&file)
        .arg("--journal")
        .arg(&journal);
    assert!(cmd.output().unwrap().status.success());
    for (action, input) in [("resume", &file), ("forbid", &other_file)] {
        let mut cmd = zego(&sim, SECRET);
        cmd.args([action, "--from-file"])
            .arg(input)
            .arg("--journal")
            .arg(&journal);
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("belongs to another run"), "{stderr}");
    }
    // stdin cannot be resumed.
    let mut cmd = zego(&sim, SECRET);
    cmd.args(["forbid", "--from-file", "-", "--journal"])
        .arg(&journal);
    assert_eq!(cmd.output().unwrap().status.code(), Some(2));
    let _ = std::fs::remove_file(&journal);
}

#[test]
fn at_one_second_of_latency_the_run_still_fills_the_quota() {
    let sim = Simulator::builder()
        .app(APP, SECRET)
        .faults(
            FaultPlan::new()
                .seed(1)
                .all(Fault::Delay(Duration::from_secs(1)), 1.0),
        )
        .start()
        .unwrap();
    let file = ids_file("latency-ids.txt", 2_000);
    let started = Instant::now();
    let mut cmd = zego(&sim, SECRET);
    cmd.args(["--json", "forbid", "--from-file"]).arg(&file);
    let output = cmd.output().unwrap();
    let elapsed = started.elapsed();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rate_limited = sim
        .request_log()
        .iter()
        .filter(|r| matches!(r.code, Some(30002)))
        .count();
    // Ideal: 99 intervals of 50 ms, then the last answer 1 s later (5.95 s). A fixed 8 in
    // flight took 13.2 s; the figure itself is in BENCHMARKS.md (benches/bulk_latency).
    eprintln!("2,000 streams at 1 s latency: {elapsed:?} (ideal 5.95 s)");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
    assert_eq!(rate_limited, 0);
    assert_eq!(sim.forbidden_rtc_streams(APP, Env::Production).len(), 2_000);
}
