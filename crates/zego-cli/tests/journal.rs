//! `--journal` against the simulator over real HTTP: a torn journal is cut before the
//! next record, a journal that cannot be written stops the run, and two runs cannot share
//! one journal.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{sim, APP, SECRET};
use zego_sim::SimHandle;

fn ids_file(name: &str, n: usize) -> PathBuf {
    let ids: Vec<String> = (0..n).map(|i| format!("journal-{i:05}")).collect();
    common::temp_file(name, &(ids.join("\n") + "\n"))
}

fn journal_path(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("zego-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

/// `zego [--json] forbid --from-file FILE --journal JOURNAL --batch-size 5` against `sim`.
fn forbid(sim: &SimHandle, file: &Path, journal: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zego"));
    cmd.env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .env_remove("ZEGO_ENDPOINT")
        .env_remove("ZEGO_REDIS_URL")
        .env_remove("ZEGO_CONFIG")
        .env("XDG_CONFIG_HOME", common::empty_config_home())
        .env("HOME", common::empty_config_home())
        .args([
            "--endpoint",
            &sim.base_url(),
            "--json",
            "forbid",
            "--from-file",
        ])
        .arg(file)
        .arg("--journal")
        .arg(journal)
        .args(["--batch-size", "5"]);
    cmd
}

fn run(mut cmd: Command) -> (Output, serde_json::Value) {
    let output = cmd.output().expect("zego runs");
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let report = serde_json::from_str(text.trim()).unwrap_or(serde_json::Value::Null);
    (output, report)
}

/// Every line of the journal parses as JSON: no record glued onto another.
fn assert_every_line_is_json(journal: &Path) -> usize {
    let text = std::fs::read_to_string(journal).unwrap();
    for (i, line) in text.lines().enumerate() {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "line {} of the journal is not JSON: {line:?}\n{text}",
            i + 1
        );
    }
    assert!(text.ends_with('\n'), "{text:?}");
    text.lines().count()
}

fn forbid_requests(sim: &SimHandle) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| r.action == "ForbidRTCStreams")
        .count()
}

#[test]
fn a_torn_journal_gets_no_record_glued_on_and_resumes_twice() {
    let sim = sim();
    let file = ids_file("torn-ids.txt", 100);
    let journal = journal_path("torn.journal");
    let (output, report) = run(forbid(&sim, &file, &journal));
    assert!(output.status.success(), "{report}");
    assert_eq!(assert_every_line_is_json(&journal), 21);

    // Torn by 10 bytes: the last record loses its end.
    let whole = std::fs::read(&journal).unwrap();
    std::fs::write(&journal, &whole[..whole.len() - 10]).unwrap();
    let (output, report) = run(forbid(&sim, &file, &journal));
    assert!(output.status.success(), "{report}");
    assert_eq!(report["skipped"], 95, "{report}");
    assert_eq!(report["succeeded"], 5, "{report}");
    assert_eq!(assert_every_line_is_json(&journal), 21);

    // And the journal is still usable: everything is done.
    let (output, report) = run(forbid(&sim, &file, &journal));
    assert!(
        output.status.success(),
        "{report} {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(report["skipped"], 100, "{report}");
    assert_eq!(forbid_requests(&sim), 21);
    let _ = std::fs::remove_file(&journal);
}

/// A full disk, as close as a test gets without mounting one: `ulimit -f` makes the
/// journal's writes past 512 bytes fail (EFBIG; SIGXFSZ ignored, as the shell passes an
/// ignored signal on to the command).
#[cfg(unix)]
#[test]
fn a_journal_that_cannot_be_written_stops_the_run() {
    let sim = sim();
    let file = ids_file("full-ids.txt", 200);
    let journal = journal_path("full.journal");
    let inner = forbid(&sim, &file, &journal);
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c")
        .arg("trap '' XFSZ; ulimit -f 1; exec \"$@\"")
        .arg("sh")
        .arg(inner.get_program())
        .args(inner.get_args())
        .args(["--concurrency", "1"]);
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let (output, report) = run(cmd);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{report} {stderr}");
    assert_eq!(report["stopped"], "journal_write_failed", "{report}");
    assert!(
        report["journal_error"]
            .as_str()
            .is_some_and(|e| e.contains("could not be written")),
        "{report}"
    );
    // Nothing more is sent after the failed write (one batch at a time: at most the one
    // whose record failed beyond those recorded).
    let recorded = std::fs::read_to_string(&journal).unwrap().lines().count() - 1;
    let sent = forbid_requests(&sim);
    assert!(sent < 40, "{sent} of 40 batches sent");
    assert!(sent <= recorded + 2, "{sent} sent, {recorded} recorded");

    // With room again, the same command finishes the run from the journal.
    let (output, report) = run(forbid(&sim, &file, &journal));
    assert!(output.status.success(), "{report}");
    assert_eq!(
        report["skipped"].as_u64().unwrap() + report["succeeded"].as_u64().unwrap(),
        200,
        "{report}"
    );
    assert_every_line_is_json(&journal);
    let _ = std::fs::remove_file(&journal);
}

#[test]
fn two_runs_cannot_share_one_journal() {
    let sim = sim();
    // 400 batches of 5 at 20 requests/s: the first run takes 20 s, far longer than needed.
    let file = ids_file("shared-ids.txt", 2_000);
    let journal = journal_path("shared.journal");
    let mut first = forbid(&sim, &file, &journal);
    let mut first = first
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("zego runs");
    let started = Instant::now();
    while std::fs::metadata(&journal).map_or(0, |m| m.len()) == 0
        && started.elapsed() < Duration::from_secs(30)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let (output, report) = run(forbid(&sim, &file, &journal));
    let still_running = first.try_wait().unwrap().is_none();
    let _ = first.kill();
    let _ = first.wait();
    assert!(still_running, "the first run ended too soon for this test");
    assert_eq!(output.status.code(), Some(2), "{report}");
    assert!(
        report["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains(&format!("in use by another run (process {})", first.id()))),
        "{report}"
    );
    let _ = std::fs::remove_file(&journal);
}
