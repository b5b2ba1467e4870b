//! An interrupted `zego forbid` tells the truth (issue 20 item 1): a real SIGINT to the CLI
//! while the simulator delays every answer; every stream of the input is in exactly one of
//! succeeded, failed, not attempted or unknown, and the journal never calls an unknown batch
//! failed.

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{APP, SECRET};
use zego_sim::{Env, Fault, FaultPlan, Simulator};

#[test]
fn sigint_with_batches_in_flight_reports_them_as_unknown_and_does_not_journal_them() {
    const TOTAL: usize = 45;
    let sim = Simulator::builder()
        .app(APP, SECRET)
        .faults(
            FaultPlan::new()
                .seed(1)
                .all(Fault::Delay(Duration::from_secs(8)), 1.0),
        )
        .start()
        .unwrap();
    let ids: Vec<String> = (0..TOTAL).map(|i| format!("late-{i:02}")).collect();
    let file = common::temp_file("interrupted-ids.txt", &(ids.join("\n") + "\n"));
    let journal =
        std::env::temp_dir().join(format!("zego-journal-interrupted-{}", std::process::id()));
    let _ = std::fs::remove_file(&journal);
    let mut child = Command::new(env!("CARGO_BIN_EXE_zego"))
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .env_remove("ZEGO_ENDPOINT")
        .env_remove("ZEGO_REDIS_URL")
        .env("XDG_CONFIG_HOME", common::empty_config_home())
        .env("HOME", common::empty_config_home())
        .args(["--endpoint", &sim.base_url()])
        .args(["--json", "forbid", "--batch-size", "2", "--grace", "1"])
        .arg("--journal")
        .arg(&journal)
        .arg("--from-file")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("zego runs");
    std::thread::sleep(Duration::from_secs(2));
    let interrupted = Instant::now();
    assert!(Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    let waited = interrupted.elapsed();
    let mut stdout = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut stdout)
        .unwrap();
    let text = String::from_utf8_lossy(&stdout);
    let report: serde_json::Value = serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {text}"));
    assert_eq!(status.code(), Some(130), "{report}");
    assert!(
        waited < Duration::from_secs(5),
        "returned after the 1 s grace: {waited:?}"
    );
    assert_eq!(report["stopped"], "interrupted", "{report}");
    let count = |key: &str| {
        report[key]
            .as_u64()
            .unwrap_or_else(|| panic!("{key}: {report}"))
    };
    assert_eq!(
        count("total"),
        TOTAL as u64,
        "totals equal the input: {report}"
    );
    assert_eq!(
        count("succeeded") + count("failed") + count("not_attempted") + count("unknown"),
        TOTAL as u64,
        "{report}"
    );
    assert_eq!(count("failed"), 0, "nothing failed for sure: {report}");
    assert!(
        count("unknown") > 0,
        "batches were out at the SIGINT: {report}"
    );
    let unknown = report["unknown_ids"].as_array().unwrap();
    assert_eq!(unknown.len() as u64, count("unknown"));
    // The journal names no batch failed (and, with 8 s answers, none done either).
    let lines = std::fs::read_to_string(&journal).unwrap();
    assert!(
        !lines.contains("\"ok\":false"),
        "an unknown batch journaled as failed:\n{lines}"
    );
    // What the simulator applies in the end is what was sent: the unknown ones.
    std::thread::sleep(Duration::from_secs(8));
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(
        forbidden.len() as u64 <= count("unknown") + count("succeeded"),
        "applied {} but reported {report}",
        forbidden.len()
    );
    let _ = std::fs::remove_file(&journal);
}
