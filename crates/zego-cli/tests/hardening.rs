//! Hostile servers and hostile environments (issue 12): what the CLI shows of
//! server-provided text, plain http, full disks, and options a command would ignore.

mod common;

use std::process::Stdio;

use common::{bare, json_of, sim, temp_file, APP, SECRET};
use predicates::prelude::*;
use zego_conformance::hostile::{HostileServer, Reply};

/// The value of `key` in a line holding a query, still percent-encoded.
fn query_value(line: &str, key: &str) -> String {
    line.split(['?', '&', ' ', '"'])
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .unwrap_or_default()
        .to_owned()
}

/// `zego` pointed at `endpoint` with the test app's credentials.
fn zego_at(endpoint: &str) -> assert_cmd::Command {
    let mut cmd = bare();
    cmd.env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args(["--endpoint", endpoint, "--retries", "0"]);
    cmd
}

fn all_output(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A server that echoes the signed URL back everywhere: in `Message`, `RequestId` and
/// `Data` on success (code 0) or failure (code 2), and an earlier request's URL too.
fn echo_server(code: i64) -> HostileServer {
    let earlier = "/?Action=X&Signature=feedfacefeedfacefeedfacefeedface";
    let template = format!(
        r#"{{"Code":{code},"Message":"you asked for {{target}} after {earlier}","RequestId":"{{target}}","Data":{{"echo":"{{target}}","earlier":"{earlier}"}}}}"#
    );
    HostileServer::start(vec![Reply::EchoInto {
        status: 200,
        template,
    }])
}

#[test]
fn signatures_echoed_by_a_server_never_reach_any_output() {
    let leaked = |out: &std::process::Output, signature: &str| {
        let text = all_output(out);
        assert!(!signature.is_empty());
        assert!(!text.contains(signature), "live signature shown: {text}");
        assert!(
            !text.contains("feedface"),
            "earlier signature shown: {text}"
        );
    };
    for code in [0, 2] {
        let server = echo_server(code);
        for json in [false, true] {
            let mut cmd = zego_at(&server.base_url());
            if json {
                cmd.arg("--json");
            }
            let out = cmd
                .args(["-vv", "call", "DescribeX", "K=v"])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(i32::from(code != 0)));
            let text = all_output(&out);
            assert!(text.contains("<redacted>"), "{text}");
            for line in text.lines() {
                let value = query_value(line, "Signature");
                assert!(
                    value.is_empty()
                        || value.starts_with("<redacted>")
                        || value.starts_with("%3Credacted"),
                    "code {code}, json {json}: a signature value is shown: {line}"
                );
            }
            leaked(&out, "feedface");
        }
    }
}

#[test]
fn server_strings_cannot_drive_the_terminal() {
    let body = serde_json::json!({
            "Code": 0,
            "Message": "ok",
            "RequestId": "1\u{1b}]0;pwned\u{7}\u{1b}[2J",
            "Data": {
                "RoomId": "r",
                "ForbidStreamRuleList": [{
                    "StreamId": "s\u{1b}[31mred\nforged row\u{202e}",
                    "DisableAudio": 1, "DisableVideo": 0,
                    "CreateTime": 1, "EffectiveTime": 60
                }]
            }
    });
    let server = HostileServer::start(vec![Reply::ok(body.to_string())]);
    let out = zego_at(&server.base_url())
        .args(["rule", "get", "--room", "r", "s"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    let text = all_output(&out);
    for raw in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(
            !text.contains(raw),
            "{raw:?} reached the terminal: {text:?}"
        );
    }
    assert!(text.contains("\\x1b[31mred"), "{text}");
    assert!(
        !text.contains("\nforged row"),
        "a server string forged a row: {text}"
    );
}

#[test]
fn plain_http_is_refused_unless_loopback_or_opted_in() {
    bare()
        .env("ZEGO_APP_ID", "1")
        .env("ZEGO_SERVER_SECRET", "x")
        .args([
            "--dry-run",
            "--endpoint",
            "http://rtc-api.zego.im",
            "forbid",
            "s1",
        ])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("plain http://"))
        .stderr(predicate::str::contains("--allow-insecure-http"));
    bare()
        .env("ZEGO_APP_ID", "1")
        .env("ZEGO_SERVER_SECRET", "x")
        .args([
            "--dry-run",
            "--allow-insecure-http",
            "--endpoint",
            "http://sim.staging.test:8080",
        ])
        .args(["forbid", "s1"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "http://sim.staging.test:8080/?",
        ));
    // In a profile: refused, then allowed by the profile's own opt-in.
    for (extra, code) in [("", 2), ("allow_insecure_http = true\n", 0)] {
        let config = temp_file(
            &format!("insecure-{code}.toml"),
            &format!("[profiles.default]\napp_id = 1\nserver_secret = \"x\"\nendpoint = \"http://10.1.2.3\"\n{extra}"),
        );
        bare()
            .arg("--config")
            .arg(&config)
            .args(["--dry-run", "forbid", "s1"])
            .assert()
            .code(code);
    }
    // Loopback needs no opt-in; an empty host is named as such.
    bare()
        .env("ZEGO_APP_ID", "1")
        .env("ZEGO_SERVER_SECRET", "x")
        .args([
            "--dry-run",
            "--endpoint",
            "http://localhost:9",
            "forbid",
            "s1",
        ])
        .assert()
        .success();
    bare()
        .env("ZEGO_APP_ID", "1")
        .env("ZEGO_SERVER_SECRET", "x")
        .args(["--dry-run", "--endpoint", "http://", "forbid", "s1"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no host"));
}

/// The plain `zego` process with a clean environment and demo credentials, for
/// redirecting its stdout or stderr (which `assert_cmd` does not allow).
fn zego_process(args: &[&str]) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zego"));
    for var in [
        "ZEGO_ENDPOINT",
        "ZEGO_CONFIG",
        "ZEGO_PROFILE",
        "ZEGO_REDIS_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", common::empty_config_home())
        .env("XDG_CONFIG_HOME", common::empty_config_home())
        .env("ZEGO_APP_ID", "1")
        .env("ZEGO_SERVER_SECRET", "x")
        .args(args)
        .stdin(Stdio::null());
    cmd
}

#[test]
fn a_full_disk_is_an_exit_code_not_a_panic_or_a_silent_success() {
    let dev_full = || std::fs::OpenOptions::new().write(true).open("/dev/full");
    if dev_full().is_err() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    // stderr on a full disk: the usage error still exits 2 (it panicked with 101).
    let status = zego_process(&["forbid", ""])
        .stdout(Stdio::null())
        .stderr(dev_full().unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(2));
    // stdout on a full disk: the result is lost, so not exit 0.
    let out = zego_process(&["--json", "--dry-run", "forbid", "s1"])
        .stdout(dev_full().unwrap())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not be written"));
    // Debug logs into a full stderr do not panic either.
    let status = zego_process(&["-vvv", "--dry-run", "forbid", "s1"])
        .stdout(Stdio::null())
        .stderr(dev_full().unwrap())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(0));
}

#[test]
fn the_simulator_command_refuses_what_it_would_ignore_and_warns_about_argv_secrets() {
    // A client option typed for `zego sim` is an error, not silently ignored.
    for flag in [
        vec!["--dry-run"],
        vec!["--endpoint", "http://127.0.0.1:9"],
        vec!["--retries", "2"],
    ] {
        bare()
            .arg("sim")
            .args(&flag)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!(
                "zego sim does not use {}",
                flag[0]
            )));
    }
    // An exported ZEGO_ENDPOINT (a previous simulator's) is not an error; a bad --log names the file.
    bare()
        .env("ZEGO_ENDPOINT", "http://127.0.0.1:9")
        .args(["sim", "--log", "/nonexistent-dir/x.jsonl"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "cannot open --log /nonexistent-dir/x.jsonl",
        ))
        .stderr(predicate::str::contains("--port").not());
    // A secret in argv gets a warning; the environment variable gets none.
    bare()
        .args([
            "sim",
            "--app",
            "42:argv-secret",
            "--log",
            "/nonexistent-dir/x",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ZEGO_SIM_APPS"))
        .stderr(predicate::str::contains("argv-secret").not());
    bare()
        .env("ZEGO_SIM_APPS", "42:env-secret,43:other")
        .args(["sim", "--log", "/nonexistent-dir/x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("warning").not());
    // Fault probabilities that cannot all happen are refused.
    bare()
        .args(["sim", "--faults", "transient=0.7,http503=0.5"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("above 1"));
}

#[test]
fn smaller_option_checks() {
    let env = |cmd: &mut assert_cmd::Command| {
        cmd.env("ZEGO_APP_ID", "1").env("ZEGO_SERVER_SECRET", "x");
    };
    // --sequence 0 was printed as Sequence=1.
    let mut cmd = bare();
    env(&mut cmd);
    cmd.args(["--dry-run", "--sequence", "0", "forbid", "s1"])
        .assert()
        .code(2)
        .stdout("");
    // --region over an exported ZEGO_ENDPOINT says so.
    let mut cmd = bare();
    env(&mut cmd);
    cmd.env("ZEGO_ENDPOINT", "http://127.0.0.1:9")
        .args(["--dry-run", "--region", "fra", "forbid", "s1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("https://rtc-api-fra.zego.im"))
        .stderr(predicate::str::contains(
            "--region fra overrides ZEGO_ENDPOINT",
        ));
    // A port out of range in an endpoint is named.
    let mut cmd = bare();
    env(&mut cmd);
    cmd.args([
        "--dry-run",
        "--endpoint",
        "http://127.0.0.1:70000",
        "forbid",
        "s1",
    ])
    .assert()
    .code(2)
    .stderr(predicate::str::contains("port"));
}

#[test]
fn a_simulator_reached_through_the_cli_still_works_with_the_checks() {
    // The checks above must not get in the way of the normal loopback workflow.
    let sim = sim();
    let out = zego_at(&sim.base_url())
        .args(["--json", "forbid", "ok-1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", all_output(&out));
    assert_eq!(json_of(&out)["ok"], true);
}
