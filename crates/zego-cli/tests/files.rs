//! Every file the command reads (a config, a ServerSecret file, a journal) is a regular
//! file within a bound: a FIFO or a device is refused at once (exit 2), never read
//! forever; and a profile's `fleet_size` gets the flag's check.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{bare, temp_file, APP, SECRET};

/// A FIFO nobody ever writes to: opening it for reading would block forever.
#[cfg(unix)]
fn fifo(name: &str) -> Option<PathBuf> {
    let path = std::env::temp_dir().join(format!("zego-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let made = std::process::Command::new("mkfifo").arg(&path).status();
    made.is_ok_and(|s| s.success()).then_some(path)
}

/// `zego ... rule get --room r1 s1` with the test credentials (it never gets as far as
/// sending: every case is refused first), killed after 20 s if it hangs.
fn rule_get(args: &[&str]) -> (Option<i32>, String) {
    let mut cmd = bare();
    cmd.env("ZEGO_APP_ID", APP.to_string());
    // The secret file is only read when no secret is given directly.
    if !args.contains(&"--server-secret-file") {
        cmd.env("ZEGO_SERVER_SECRET", SECRET);
    }
    cmd.args(["--endpoint", "http://127.0.0.1:9"])
        .args(args)
        .args(["rule", "get", "--room", "r1", "s1"])
        .timeout(Duration::from_secs(20));
    let output = cmd.output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn assert_refused(args: &[&str], expected: &str) {
    let (code, stderr) = rule_get(args);
    assert_eq!(code, Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(expected), "{args:?}: {stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
}

#[cfg(unix)]
#[test]
fn special_files_are_refused_at_once() {
    for (flag, path) in [
        ("--config", "/dev/zero"),
        ("--server-secret-file", "/dev/zero"),
        ("--config", "/dev/null"),
    ] {
        assert_refused(&[flag, path], "is a character device, not a regular file");
    }
    let Some(fifo) = fifo("secret.fifo") else {
        eprintln!("no mkfifo here: the FIFO cases are skipped");
        return;
    };
    let fifo = fifo.to_str().unwrap();
    assert_refused(
        &["--server-secret-file", fifo],
        "is a FIFO, not a regular file",
    );
    assert_refused(&["--config", fifo], "is a FIFO, not a regular file");
    let _ = std::fs::remove_file(fifo);
}

#[cfg(unix)]
#[test]
fn a_special_file_as_journal_is_refused_at_once() {
    let ids = temp_file("special-journal-ids.txt", "s1\ns2\n");
    let fifo = fifo("journal.fifo");
    let mut journals = vec![PathBuf::from("/dev/zero")];
    journals.extend(fifo.clone());
    for journal in journals {
        let mut cmd = bare();
        cmd.env("ZEGO_APP_ID", APP.to_string())
            .env("ZEGO_SERVER_SECRET", SECRET)
            .args(["--endpoint", "http://127.0.0.1:9", "forbid", "--from-file"])
            .arg(&ids)
            .arg("--journal")
            .arg(&journal)
            .timeout(Duration::from_secs(20));
        let output = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{}: {stderr}",
            journal.display()
        );
        assert!(stderr.contains("not a regular file"), "{stderr}");
    }
    if let Some(fifo) = fifo {
        let _ = std::fs::remove_file(fifo);
    }
}

#[test]
fn files_over_their_bound_are_refused() {
    // A 2 MiB config file: a config holds a few hundred bytes.
    let big = format!("# {}\n", "x".repeat(2 * 1024 * 1024));
    let config = temp_file("big-config.toml", &big);
    assert_refused(
        &["--config", config.to_str().unwrap()],
        "is larger than 1048576 bytes",
    );
    let secret = temp_file("big.secret", &"0".repeat(10_000));
    assert_refused(
        &["--server-secret-file", secret.to_str().unwrap()],
        "is larger than 4096 bytes",
    );
}

#[test]
fn a_profile_fleet_size_of_zero_is_refused_like_the_flag() {
    let config = temp_file(
        "fleet-zero.toml",
        "[profiles.default]\nredis = \"redis://127.0.0.1:9\"\nfleet_size = 0\n",
    );
    let (code, stderr) = rule_get(&["--config", config.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("fleet_size = 0: 0 is not in 1..=10000"),
        "{stderr}"
    );
    let (code, flag_stderr) = rule_get(&["--fleet-size", "0"]);
    assert_eq!(code, Some(2), "{flag_stderr}");
    assert!(
        flag_stderr.contains("0 is not in 1..=10000"),
        "{flag_stderr}"
    );
}
