//! End-to-end tests of the `zego` binary against the simulator.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{bare, json_of, sim, temp_file, zego, APP, SECRET};
use predicates::prelude::*;
use zego_sim::{Env, Fault, FaultPlan, Simulator};

#[test]
fn dry_run_matches_the_spec_known_answer_vectors() {
    let out = bare()
        .env("ZEGO_APP_ID", "12345")
        .env("ZEGO_SERVER_SECRET", "9193cc662a4c0ec135ec71fb57194b38")
        .args([
            "--dry-run",
            "--nonce",
            "4fd24687296dd9f3",
            "--timestamp",
            "1615186943",
        ])
        .args(["--sequence", "1617249600001", "forbid", "rtc01", "rtc02"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "https://rtc-api.zego.im/?Action=ForbidRTCStreams&StreamId%5B%5D=rtc01&StreamId%5B%5D=rtc02\
         &Sequence=1617249600001&AppId=12345&SignatureNonce=4fd24687296dd9f3&Timestamp=1615186943\
         &Signature=43e5cfcca828314675f91b001390566a&SignatureVersion=2.0\n"
    );

    // Flags after the command work too.
    let out = bare()
        .env("ZEGO_APP_ID", "1234567890")
        .env("ZEGO_SERVER_SECRET", "0123456789abcdef0123456789abcdef")
        .args([
            "forbid",
            "rtc01",
            "--dry-run",
            "--nonce",
            "a1b2c3d4e5f60718",
        ])
        .args(["--timestamp", "1700000000", "--sequence", "1"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "https://rtc-api.zego.im/?Action=ForbidRTCStreams&StreamId%5B%5D=rtc01&Sequence=1\
         &AppId=1234567890&SignatureNonce=a1b2c3d4e5f60718&Timestamp=1700000000\
         &Signature=c90a56c08221a571fbf3007d1d7300d6&SignatureVersion=2.0\n"
    );
}

#[test]
fn dry_run_sends_nothing_and_prints_one_url_per_batch() {
    let sim = sim();
    let ids: String = (0..45).fold(String::new(), |acc, i| acc + &format!("s{i}\n"));
    let out = zego(&sim)
        .args([
            "--dry-run",
            "--sequence",
            "100",
            "--test-env",
            "resume",
            "--from-file",
            "-",
        ])
        .write_stdin(ids)
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    for (line, seq) in lines.iter().zip([100, 101, 102]) {
        assert!(
            line.starts_with(&format!(
                "{}/?Action=ResumeRTCStreams&StreamId%5B%5D=zegotest-{APP}-s",
                sim.base_url()
            )),
            "{line}"
        );
        assert!(
            line.contains(&format!("&Sequence={seq}&AppId={APP}&SignatureNonce=")),
            "{line}"
        );
        assert!(
            line.ends_with("&SignatureVersion=2.0&IsTest=true"),
            "{line}"
        );
    }
    assert!(sim.request_log().is_empty());

    // JSON mode: one document with the URLs; fresh nonces differ between runs.
    let out = zego(&sim)
        .args(["--dry-run", "--json", "rule", "get", "--room", "r", "a"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["dry_run"], true);
    assert!(doc["urls"][0]
        .as_str()
        .unwrap()
        .contains("Action=DescribeForbidStreamRules&RoomId=r&StreamId%5B%5D=a"));
    assert!(sim.request_log().is_empty());

    // --nonce without --dry-run is refused.
    zego(&sim)
        .args(["--nonce", "4fd24687296dd9f3", "forbid", "a"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--dry-run"));
}

#[test]
fn forbid_and_resume_from_arguments_file_and_stdin() {
    let sim = sim();
    zego(&sim)
        .args(["forbid", "a1", "a2", "a3"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "3 of 3 stream(s) forbidden, 0 failed, 1 request(s)",
        ));
    let file = temp_file(
        "ids.txt",
        "# streams to forbid\n\n  f1  \nf2\n# f3\n\n\r\nf4\r\n",
    );
    zego(&sim)
        .arg("forbid")
        .arg("--from-file")
        .arg(&file)
        .assert()
        .success();
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    let expected: std::collections::BTreeSet<String> = ["a1", "a2", "a3", "f1", "f2", "f4"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(forbidden, expected);

    let out = zego(&sim)
        .args(["resume", "--json", "--from-file", "-", "a1"])
        .write_stdin("a2\n# comment\n\nf1\n")
        .assert()
        .success()
        .get_output()
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["action"], "ResumeRTCStreams");
    assert_eq!(doc["succeeded"], 3);
    assert_eq!(doc["failed"], 0);
    assert_eq!(doc["requests"], 1);
    assert!(doc["duration_ms"].is_u64());
    assert_eq!(doc["failures"], serde_json::json!([]));
    let left: Vec<String> = sim
        .forbidden_rtc_streams(APP, Env::Production)
        .into_iter()
        .collect();
    assert_eq!(left, ["a3", "f2", "f4"]);
    let _ = std::fs::remove_file(file);
}

#[test]
fn a_partial_failure_lists_the_failed_ids_and_exits_1() {
    // ZEGO refuses some batches (a seeded fault, one stream per batch, one batch at a
    // time, so which ones is fixed): the others go ahead, and the failed IDs are listed.
    let sim = Simulator::builder()
        .app(APP, SECRET)
        .seed(7)
        .faults(
            FaultPlan::new()
                .seed(5)
                .action("ForbidRTCStreams", Fault::Code(30006), 0.5)
                .action("ResumeRTCStreams", Fault::Code(30006), 0.5),
        )
        .start()
        .unwrap();
    let ids = (0..12).fold(String::new(), |acc, i| acc + &format!("ok-{i}\n"));
    let file = temp_file("partial-ids", &ids);
    let out = zego(&sim)
        .args([
            "forbid",
            "--batch-size",
            "1",
            "--concurrency",
            "1",
            "--from-file",
        ])
        .arg(&file)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production).len();
    assert!(forbidden > 0 && forbidden < 12, "{forbidden}: {stdout}");
    assert!(
        stdout.contains(&format!(
            "{forbidden} of 12 stream(s) forbidden, {} failed",
            12 - forbidden
        )),
        "{stdout}"
    );
    assert!(stdout.contains("FAILED ok-"), "{stdout}");
    assert!(stdout.contains("30006"), "{stdout}");

    let out = zego(&sim)
        .args([
            "--json",
            "resume",
            "--batch-size",
            "1",
            "--concurrency",
            "1",
            "--from-file",
        ])
        .arg(&file)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["ok"], false);
    let failed = doc["failed"].as_u64().unwrap();
    assert!(failed > 0 && failed < 12, "{doc}");
    assert_eq!(doc["succeeded"].as_u64().unwrap() + failed, 12, "{doc}");
    assert_eq!(doc["failures"][0]["error"]["code"], 30006, "{doc}");
    let _ = std::fs::remove_file(file);
}

/// The streams forbidden on the simulator, as a sorted list.
fn forbidden(sim: &zego_sim::SimHandle) -> Vec<String> {
    sim.forbidden_rtc_streams(APP, Env::Production)
        .into_iter()
        .collect()
}

/// A temporary file with these bytes.
fn temp_bytes(name: &str, content: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("zego-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path
}

#[test]
fn a_utf8_bom_is_skipped_so_the_first_id_is_the_real_one() {
    // Issue 12 #2: the BOM became part of the first ID, "\u{feff}bom1" was forbidden and
    // bom1 left live, exit 0.
    let sim = sim();
    let file = temp_bytes("bom.txt", b"\xEF\xBB\xBFbom1\r\nbom2\r\n");
    zego(&sim)
        .arg("forbid")
        .arg("--from-file")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(forbidden(&sim), ["bom1", "bom2"]);
    let _ = std::fs::remove_file(file);
}

#[test]
fn utf16_files_and_ids_with_control_characters_or_spaces_are_refused_with_nothing_sent() {
    // Issue 12 #2: a UTF-16LE file "forbade 3 of 3" NUL-laden IDs; IDs with NUL, ESC,
    // spaces or lone CRs were sent.
    let sim = sim();
    let utf16le: Vec<u8> = "s1\ns2\ns3\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let mut utf16le_bom = vec![0xFF, 0xFE];
    utf16le_bom.extend_from_slice(&utf16le);
    let cases: [(&str, &[u8], &str); 8] = [
        ("utf16le", &utf16le, "line 1: NUL byte"),
        ("utf16le-bom", &utf16le_bom, "UTF-16/UTF-32 byte-order mark"),
        ("nul", b"ok-1\nab\x00c\n", "line 2: NUL byte"),
        (
            "esc",
            b"ok-1\nab\x1b[31mc\n",
            "line 2: StreamId[]: character U+001B at position 3",
        ),
        (
            "space",
            b"ok-1\nstream 1\n",
            "line 2: StreamId[]: character U+0020 at position 7",
        ),
        (
            "lone-cr",
            b"ok-1\na\rb\n",
            "line 2: StreamId[]: character U+000D at position 2",
        ),
        (
            "non-ascii",
            "ok-1\nstréam\n".as_bytes(),
            "character U+00E9 at position 4",
        ),
        (
            "latin1",
            b"ok-1\nstr\xe9am\n",
            "line 2: not UTF-8 (at byte 4)",
        ),
    ];
    for (name, bytes, expected) in cases {
        let file = temp_bytes(name, bytes);
        let out = zego(&sim)
            .arg("forbid")
            .arg("--from-file")
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            !stderr.contains('\x1b'),
            "{name}: the ESC reached the terminal: {stderr:?}"
        );
        assert!(out.stdout.is_empty(), "{name}: {out:?}");
        let _ = std::fs::remove_file(file);
    }
    // On the command line too (nothing sent: the first, valid ID neither).
    // (A NUL cannot be in an argument: argv strings end at it.)
    for bad in ["a b", "a\rb", "a\u{1b}b", "a\tb"] {
        zego(&sim)
            .args(["forbid", "fine-id", bad])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("is not allowed"));
    }
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
}

#[test]
fn an_endless_line_is_refused_after_a_bounded_read() {
    // Issue 12 #1: lines were read whole (/dev/zero aborted at 1.1 GB; a 100 MB line was
    // held and echoed whole). A 50 MB line through a pipe: exit 2 with a short message
    // (a bounded, escaped prefix of the line), and nothing sent.
    let sim = sim();
    let line = vec![b'x'; 50 * 1024 * 1024];
    let out = zego(&sim)
        .args(["forbid", "--from-file", "-"])
        .write_stdin(line)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("stdin line 1: longer than 4096 bytes"),
        "{stderr}"
    );
    assert!(
        stderr.len() < 1024,
        "the line was echoed: {} bytes",
        stderr.len()
    );
    assert!(
        out.stdout.len() < 1024,
        "{} bytes on stdout",
        out.stdout.len()
    );

    // /dev/zero: NUL bytes, refused in the first 4 KiB (and under a memory limit, the
    // process neither aborts nor grows).
    if std::path::Path::new("/dev/zero").exists() {
        let out = zego(&sim)
            .args(["--json", "forbid", "--from-file", "/dev/zero"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let doc = json_of(&out);
        assert!(
            doc["error"]["message"]
                .as_str()
                .unwrap()
                .contains("/dev/zero line 1: NUL byte"),
            "{doc}"
        );
    }
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
}

#[test]
fn a_bad_line_in_the_middle_of_a_file_means_nothing_is_sent_and_one_document() {
    // Issue 12 #3: the lines before the bad one were forbidden, exit 2 said nothing was
    // sent, and --json printed two documents (the first "ok": true).
    let sim = sim();
    let mut ids = (0..45).fold(String::new(), |acc, i| acc + &format!("ok-{i}\n"));
    ids.push_str("bad id\n");
    ids.push_str("ok-last\n");
    let file = temp_file("middle-bad", &ids);
    for direction in ["forbid", "resume"] {
        let out = zego(&sim)
            .args(["--json", direction, "--from-file"])
            .arg(&file)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let doc = json_of(&out); // exactly one document
        assert_eq!(doc["ok"], false, "{doc}");
        assert_eq!(doc["error"]["exit_code"], 2, "{doc}");
        let message = doc["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("line 46: StreamId[]: character U+0020 at position 4"),
            "{doc}"
        );
        assert!(
            doc["error"]["hint"]
                .as_str()
                .unwrap()
                .contains("nothing was sent"),
            "{doc}"
        );
    }
    // A too-long ID is a bad line as well, wherever it is.
    let long = "x".repeat(300);
    let file2 = temp_file("middle-long", &format!("ok-1\n{long}\nok-2\n"));
    zego(&sim)
        .arg("forbid")
        .arg("--from-file")
        .arg(&file2)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "line 2: StreamId[]: is 300 bytes long, ZEGO accepts at most 256",
        ));
    // With --journal: refused before the journal is even created.
    let journal = std::env::temp_dir().join(format!("zego-cli-{}-bad.journal", std::process::id()));
    zego(&sim)
        .arg("forbid")
        .arg("--from-file")
        .arg(&file)
        .arg("--journal")
        .arg(&journal)
        .assert()
        .code(2);
    assert!(!journal.exists());
    // A directory: one clear error, one document.
    let out = zego(&sim)
        .args(["--json", "forbid", "--from-file"])
        .arg(std::env::temp_dir())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let doc = json_of(&out);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("is a directory"),
        "{doc}"
    );
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
    // The same file, fixed, then goes through whole.
    std::fs::write(&file, ids.replace("bad id", "good-id")).unwrap();
    zego(&sim)
        .arg("forbid")
        .arg("--from-file")
        .arg(&file)
        .assert()
        .success();
    assert_eq!(forbidden(&sim).len(), 47);
    let _ = std::fs::remove_file(file);
    let _ = std::fs::remove_file(file2);
}

#[test]
fn stdin_stops_at_the_bad_line_and_reports_what_was_sent_in_one_document() {
    // Issue 12 #3, stdin: it cannot be read twice, so the run stops at the bad line and the
    // one document says exactly what was sent; exit 1 (partly done), not 0 or 2.
    let sim = sim();
    let mut input = (1..=25).fold(String::new(), |acc, i| acc + &format!("s{i}\n"));
    input.push_str("# a comment\nbad\u{1b}id\ns26\n");
    let out = zego(&sim)
        .args(["--json", "forbid", "--from-file", "-", "arg-1"])
        .write_stdin(input.clone())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc = json_of(&out); // exactly one document
    assert_eq!(doc["ok"], false, "{doc}");
    assert_eq!(doc["stopped"], "invalid_input", "{doc}");
    assert_eq!(doc["succeeded"], 26, "{doc}");
    assert_eq!(doc["failed"], 0, "{doc}");
    let stop = &doc["input_error"];
    assert_eq!(stop["source"], "stdin", "{doc}");
    assert_eq!(stop["line"], 27, "{doc}");
    assert_eq!(stop["ids_read_before"], 25, "{doc}");
    assert_eq!(stop["last_id"], "s25", "{doc}");
    assert_eq!(stop["last_line"], 25, "{doc}");
    assert_eq!(stop["exit_code"], 1, "{doc}");
    assert!(
        stop["hint"].as_str().unwrap().contains("fix line 27"),
        "{doc}"
    );
    assert!(
        stop["message"]
            .as_str()
            .unwrap()
            .contains("U+001B at position 4"),
        "{doc}"
    );
    let mut expected: Vec<String> = (1..=25).map(|i| format!("s{i}")).collect();
    expected.push("arg-1".into());
    expected.sort();
    assert_eq!(forbidden(&sim), expected);

    // Human output: the same account, the ESC escaped.
    let out = zego(&sim)
        .args(["resume", "--from-file", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("25 of 25 stream(s) resumed"), "{stdout}");
    assert!(
        stdout.contains("STOPPED at stdin line 27: StreamId[]: character U+001B"),
        "{stdout}"
    );
    assert!(
        stdout.contains("25 ID(s) of the input before it were sent (the last: \"s25\", line 25)"),
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert_eq!(forbidden(&sim), ["arg-1"]);

    // A pipe named by a path (`<(cmd)`, /dev/stdin) is read once, like stdin, and cannot
    // be journaled.
    let out = zego(&sim)
        .args(["--json", "forbid", "--from-file", "/dev/stdin"])
        .write_stdin("p1\np 2\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let doc = json_of(&out);
    assert_eq!(doc["succeeded"], 1, "{doc}");
    assert_eq!(doc["input_error"]["source"], "/dev/stdin", "{doc}");
    zego(&sim)
        .args([
            "forbid",
            "--from-file",
            "/dev/stdin",
            "--journal",
            "/nonexistent/j",
        ])
        .write_stdin("p1\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--journal needs --from-file with a regular file",
        ));
    assert_eq!(forbidden(&sim), ["arg-1", "p1"]);

    // A bad first line: nothing was sent, so it is a plain exit 2 with one document.
    let out = zego(&sim)
        .args(["--json", "forbid", "--from-file", "-"])
        .write_stdin("bad id\ns1\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let doc = json_of(&out);
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("stdin line 1"),
        "{doc}"
    );
    assert_eq!(forbidden(&sim), ["arg-1", "p1"]);
}

#[test]
fn stream_rules_set_get_delete() {
    let sim = sim();
    zego(&sim)
        .args([
            "rule",
            "set",
            "--room",
            "r1",
            "--stream",
            "s1",
            "--audio",
            "--duration",
            "90m",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Rule set: audio of stream s1 in room r1 banned for 1h30m (RequestId ",
        ));
    let out = zego(&sim)
        .args(["rule", "get", "--room", "r1", "s1", "s2"])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("STREAM") && text.contains("EFFECTIVE"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("s1") && l.contains("banned") && l.contains("1h30m")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.starts_with("s2") && l.contains("no rule")),
        "{text}"
    );

    let out = zego(&sim)
        .args(["--json", "rule", "get", "--room", "r1", "s1", "s2"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["room_id"], "r1");
    assert_eq!(doc["rules"][0]["stream_id"], "s1");
    assert_eq!(doc["rules"][0]["has_rule"], true);
    assert_eq!(doc["rules"][0]["disable_audio"], true);
    assert_eq!(doc["rules"][0]["disable_video"], false);
    assert_eq!(doc["rules"][0]["effective_time"], 5400);
    assert_eq!(doc["rules"][1]["has_rule"], false);
    assert!(doc["request_id"].as_str().is_some_and(|r| !r.is_empty()));

    let out = zego(&sim)
        .args(["--json", "rule", "delete", "--room", "r1", "--stream", "s1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(json_of(&out)["action"], "DelForbidStreamRule");
    zego(&sim)
        .args(["rule", "get", "--room", "r1", "s1"])
        .assert()
        .success()
        .stdout(predicate::str::contains("no rule"));
}

#[test]
fn rule_durations_are_checked_before_sending() {
    let sim = sim();
    zego(&sim)
        .args([
            "rule",
            "set",
            "--room",
            "r",
            "--stream",
            "s",
            "--audio",
            "--duration",
            "2d",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("86400"));
    zego(&sim)
        .args([
            "rule",
            "set",
            "--room",
            "r",
            "--stream",
            "s",
            "--duration",
            "1h",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--audio, --video"));
    assert!(sim.request_log().is_empty());
}

#[test]
fn cdn_forbid_resume_list() {
    let sim = sim();
    zego(&sim)
        .args([
            "cdn",
            "forbid",
            "live1",
            "--resume-at",
            "2099-11-29T19:00:00Z",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Forbidden on the CDN until 2099-11-29T19:00:00Z: live1",
        ));
    let out = zego(&sim).args(["cdn", "list", "--json"]).output().unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["vendor"], "ws");
    assert!(doc["forbidden"][0]["url"]
        .as_str()
        .unwrap()
        .ends_with("/live1"));
    let out = zego(&sim)
        .args(["--json", "cdn", "resume", "live1"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["action"], "ResumeCDNLiveStream");
    assert_eq!(doc["cdn_results"][0]["cdn_type"], "ws");
    zego(&sim).args(["cdn", "list"]).assert().success();
    zego(&sim)
        .args(["cdn", "forbid", "live1", "--resume-at", "tomorrow"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("YYYY-MM-DDTHH:MM:SSZ"));
}

#[test]
fn user_rules_set_get_delete() {
    let sim = sim();
    zego(&sim)
        .args([
            "user-rule",
            "set",
            "--type",
            "3",
            "--user",
            "u9",
            "--privilege",
            "login",
            "--privilege",
            "publish",
            "--duration",
            "1d",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "User rule set: user u9 may not login or publish for 1d",
        ));
    let out = zego(&sim)
        .args(["--json", "user-rule", "get", "--type", "3"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["rules"][0]["user_id"], "u9");
    assert_eq!(
        doc["rules"][0]["disabled_privileges"],
        serde_json::json!(["login", "publish"])
    );
    zego(&sim)
        .args(["user-rule", "get", "--type", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("u9"));
    zego(&sim)
        .args(["user-rule", "delete", "--type", "3", "--user", "u9"])
        .assert()
        .success();
    zego(&sim)
        .args(["user-rule", "get", "--type", "3"])
        .assert()
        .success()
        .stdout(predicate::str::contains("No user rule of type 3"));
    // Type 4 needs both --room and --user.
    zego(&sim)
        .args([
            "user-rule",
            "set",
            "--type",
            "4",
            "--room",
            "r",
            "--privilege",
            "login",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("UserId"));
}

#[test]
fn stream_state_and_the_api_error_exit_code() {
    let sim = sim();
    sim.set_stream_live(APP, Env::Production, "live-1", 1_700_000_000);
    zego(&sim)
        .args(["stream-state", "live-1"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Stream live-1: live since 2023-11-14 22:13:20 UTC",
        ));
    let out = zego(&sim)
        .args(["stream-state", "live-1", "--json"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["live"], true);
    assert_eq!(doc["create_time"], "1700000000");

    // Unknown stream: ZEGO answers 41004 -> exit 1, with the meaning.
    zego(&sim)
        .args(["stream-state", "nobody"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("41004")
                .and(predicate::str::contains("StreamId does not exist")),
        );
}

#[test]
fn call_prints_raw_data() {
    let sim = sim();
    sim.set_stream_live(APP, Env::Production, "s1", 1_700_000_000);
    let out = zego(&sim)
        .args([
            "call",
            "DescribeRTCStreamState",
            "StreamId=s1",
            "Sequence=5",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("RequestId: "))
        .get_output()
        .clone();
    let data: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(data["create_time"], "1700000000");
    zego(&sim)
        .args([
            "call",
            "ForbidRTCStreams",
            "StreamId[]=c1",
            "StreamId[]=c2",
            "Sequence=9",
        ])
        .assert()
        .success();
    assert!(sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("c2"));
    let out = zego(&sim)
        .args(["--json", "call", "QueryForbidCDNLiveStream", "Vendor=ws"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert!(doc["data"]["Ws"].is_object(), "{doc}");
    zego(&sim)
        .args(["call", "X", "Key=1", "Key=2"])
        .assert()
        .code(2);
    zego(&sim)
        .args(["call", "NoSuchAction"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("100000007"));
}

#[test]
fn api_errors_as_json_with_code_meaning_class_request_id_attempts() {
    let sim = sim();
    let out = bare()
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", "wrong-secret")
        .args([
            "--endpoint",
            &sim.base_url(),
            "--json",
            "stream-state",
            "s1",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let doc = json_of(&out);
    let e = &doc["error"];
    assert_eq!(doc["ok"], false);
    assert_eq!(e["kind"], "api");
    assert_eq!(e["code"], 100000005);
    assert_eq!(e["class"], "auth_or_config");
    assert_eq!(e["attempts"], 1);
    assert!(e["meaning"].as_str().unwrap().contains("invalid signature"));
    assert!(
        e["request_id"].as_str().is_some_and(|r| r.len() == 19),
        "{e}"
    );
    assert!(e["hint"].as_str().unwrap().contains("ZEGO_SERVER_SECRET"));
    assert!(e["message"].as_str().is_some());

    // Human mode: the meaning, the RequestId and what to do.
    bare()
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", "wrong-secret")
        .args(["--endpoint", &sim.base_url(), "forbid", "x"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("100000005").and(predicate::str::contains("RequestId")))
        .stdout(predicate::str::contains(
            "check ZEGO_APP_ID / ZEGO_SERVER_SECRET",
        ));
}

#[test]
fn a_bad_id_on_the_command_line_is_exit_2_with_nothing_sent() {
    // Issue 12 #4: a valid ID before the bad one must not be sent either, and the one JSON
    // document says exit 2 like the process does.
    let sim = sim();
    let too_long = "a".repeat(257);
    for bad in ["", too_long.as_str()] {
        for direction in ["forbid", "resume"] {
            let out = zego(&sim)
                .args(["--json", direction, "fine-id", bad])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{direction} {bad:?}: {out:?}");
            let doc = json_of(&out);
            assert_eq!(doc["error"]["kind"], "validation", "{doc}");
            assert_eq!(doc["error"]["exit_code"], 2, "{doc}");
        }
    }
    zego(&sim)
        .args(["forbid", &too_long])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("at most 256"));
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
}

#[test]
fn exit_codes_for_usage_and_transport_errors() {
    // 2: usage (clap), missing credentials, bad endpoint.
    bare().args(["forbid"]).assert().code(2);
    bare().args(["no-such-command"]).assert().code(2);
    bare()
        .args(["stream-state", "s"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ZEGO_APP_ID"));
    bare()
        .env("ZEGO_APP_ID", "1")
        .env("ZEGO_SERVER_SECRET", "x")
        .args(["--endpoint", "ftp://nope", "stream-state", "s"])
        .assert()
        .code(2);
    // AppId 0 is never issued: refused before anything is signed.
    bare()
        .env("ZEGO_APP_ID", "0")
        .env("ZEGO_SERVER_SECRET", "x")
        .args(["--dry-run", "forbid", "s"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("AppId 0"));
    bare()
        .args(["sim", "--app", "0:secret"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("AppId 0"));
    let out = bare()
        .args(["--json", "stream-state", "s"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert_eq!(json_of(&out)["error"]["kind"], "usage");

    // 3: nothing listens on the port.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let closed = format!("http://127.0.0.1:{port}");
    let run = |args: &[&str]| {
        let mut cmd = bare();
        cmd.env("ZEGO_APP_ID", "1")
            .env("ZEGO_SERVER_SECRET", "x")
            .args(["--endpoint", &closed, "--retries", "0"])
            .args(args);
        cmd
    };
    run(&["stream-state", "s"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("could not connect"));
    let out = run(&["--json", "rule", "delete", "--room", "r", "--stream", "s"])
        .assert()
        .code(3)
        .get_output()
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["error"]["kind"], "transport");
    assert_eq!(doc["error"]["class"], "transient");
    run(&["forbid", "a", "b"]).assert().code(3);
}

#[test]
fn the_secret_never_appears_in_any_output_even_at_debug_level() {
    let sim = sim();
    sim.set_stream_live(APP, Env::Production, "s1", 1_700_000_000);
    let commands: Vec<Vec<&str>> = vec![
        vec!["forbid", "a", "b"],
        vec!["resume", "a"],
        vec!["forbid", ""],
        vec!["rule", "set", "--room", "r", "--stream", "s", "--video"],
        vec!["rule", "get", "--room", "r", "s"],
        vec!["rule", "delete", "--room", "r", "--stream", "s"],
        vec!["cdn", "forbid", "c"],
        vec!["cdn", "resume", "c"],
        vec!["cdn", "list"],
        vec![
            "user-rule",
            "set",
            "--type",
            "2",
            "--room",
            "r",
            "--privilege",
            "login",
        ],
        vec!["user-rule", "get", "--type", "2"],
        vec!["user-rule", "delete", "--type", "2", "--room", "r"],
        vec!["stream-state", "s1"],
        vec!["stream-state", "missing"],
        vec![
            "call",
            "DescribeRTCStreamState",
            "StreamId=s1",
            "Sequence=1",
        ],
        vec!["--dry-run", "forbid", "a"],
    ];
    for args in &commands {
        for json in [false, true] {
            let mut cmd = zego(&sim);
            cmd.arg("-vv").args(args);
            if json {
                cmd.arg("--json");
            }
            let out = cmd.output().unwrap();
            let all = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!all.contains(SECRET), "{args:?} printed the secret:\n{all}");
            assert!(!all.contains("S3cr3t"), "{args:?}");
        }
    }
    // Given on the command line: a warning, still no echo; nor in --help.
    let out = bare()
        .args([
            "-vv",
            "--app-id",
            &APP.to_string(),
            "--server-secret",
            SECRET,
            "--endpoint",
            &sim.base_url(),
            "forbid",
            "z",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("visible to other users"), "{stderr}");
    assert!(!format!("{stderr}{}", String::from_utf8_lossy(&out.stdout)).contains(SECRET));
    let out = zego(&sim).args(["forbid", "--help"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains(SECRET));
    // A wrong secret is not echoed either.
    let out = bare()
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", "Wr0ng-S3cr3t-value")
        .args(["-vv", "--endpoint", &sim.base_url(), "forbid", "z"])
        .output()
        .unwrap();
    assert!(!format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
    .contains("Wr0ng"));
}

#[test]
fn profiles_and_precedence() {
    let sim = sim();
    let config = temp_file(
        "config.toml",
        &format!(
            "[profiles.default]\napp_id = 1\nserver_secret = \"not-it\"\n\n\
             [profiles.sim]\napp_id = {APP}\nserver_secret = \"{SECRET}\"\nendpoint = \"{}\"\n",
            sim.base_url()
        ),
    );
    // The named profile alone is enough.
    bare()
        .arg("--config")
        .arg(&config)
        .args(["--profile", "sim", "forbid", "p1"])
        .assert()
        .success();
    assert!(sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("p1"));
    // The environment beats the default profile's wrong credentials.
    bare()
        .arg("--config")
        .arg(&config)
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args(["--endpoint", &sim.base_url(), "forbid", "p2"])
        .assert()
        .success();
    // Flags beat the environment.
    bare()
        .arg("--config")
        .arg(&config)
        .env("ZEGO_APP_ID", "999")
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args([
            "--app-id",
            &APP.to_string(),
            "--endpoint",
            &sim.base_url(),
            "forbid",
            "p3",
        ])
        .assert()
        .success();
    // An unknown profile is a usage error naming the known ones.
    bare()
        .arg("--config")
        .arg(&config)
        .args(["--profile", "nope", "forbid", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("default, sim"));
    // A broken file: the line is named, the secret is not quoted.
    let broken = temp_file(
        "broken.toml",
        &format!("[profiles.default]\nserver_secret = \"{SECRET}\nx = 1\n"),
    );
    let out = bare()
        .arg("--config")
        .arg(&broken)
        .args(["forbid", "x"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2"), "{stderr}");
    assert!(!stderr.contains(SECRET), "{stderr}");
    let _ = std::fs::remove_file(config);
    let _ = std::fs::remove_file(broken);
}

#[test]
fn demo_runs_every_step_and_exits_0() {
    let out = bare().arg("demo").assert().success().get_output().clone();
    let text = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "1. Forbid three streams",
        "forbidden on RTC: cheater-1, cheater-2, cheater-3",
        "3. Resume one of them",
        "forbidden on RTC now: cheater-1, cheater-3",
        "4. Ban the audio",
        "cheater-1  banned",
        "no rule",
        "live-1 is live",
        "100000005",
        "check ZEGO_APP_ID / ZEGO_SERVER_SECRET",
        "refused before sending",
        "requests sent: 0",
        "RequestId: ",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let out = bare()
        .args(["demo", "--json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["steps"].as_array().unwrap().len(), 9);
    assert_eq!(doc["steps"][7]["code"], 100000005);
}

#[test]
fn sim_command_serves_in_the_foreground() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zego"))
        .args([
            "sim",
            "--app",
            &format!("{APP}:{SECRET}"),
            "--no-rate-limit",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let base_url = first.trim().to_owned();
    assert!(base_url.starts_with("http://127.0.0.1:"), "{base_url}");
    let mut second = String::new();
    stdout.read_line(&mut second).unwrap();
    assert_eq!(second.trim(), format!("app {APP}"));
    let result = bare()
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args(["--endpoint", &base_url, "forbid", "x"])
        .output()
        .unwrap();
    child.kill().unwrap();
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut stdout, &mut rest);
    let _ = child.wait();
    assert!(result.status.success(), "{result:?}");
    assert!(!rest.contains(SECRET) && !first.contains(SECRET));

    // Without --app: the demo app, with its public example secret in an export line.
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zego"))
        .arg("sim")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..4 {
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        lines.push(line);
    }
    child.kill().unwrap();
    let _ = child.wait();
    assert!(lines[1].contains("app 1234567890"));
    assert!(
        lines[3].contains("export ZEGO_ENDPOINT=http://127.0.0.1:"),
        "{lines:?}"
    );

    bare().args(["sim", "--faults", "bogus"]).assert().code(2);
    bare().args(["sim", "--app", "12"]).assert().code(2);
}

#[test]
fn help_documents_examples_and_exit_codes() {
    bare().arg("--help").assert().success().stdout(
        predicate::str::contains("Exit codes:").and(predicate::str::contains("3  transport error")),
    );
    for sub in [
        vec!["forbid"],
        vec!["resume"],
        vec!["rule", "set"],
        vec!["rule", "get"],
        vec!["rule", "delete"],
        vec!["cdn", "forbid"],
        vec!["cdn", "resume"],
        vec!["cdn", "list"],
        vec!["user-rule", "set"],
        vec!["user-rule", "get"],
        vec!["user-rule", "delete"],
        vec!["stream-state"],
        vec!["call"],
        vec!["sim"],
        vec!["demo"],
    ] {
        bare()
            .args(&sub)
            .arg("--help")
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

/// The CLI reads the region and the test environment from the environment variables
/// `zego_proto::env` names, with the library's switch words; a typed flag wins.
#[test]
fn the_region_and_test_environment_come_from_the_environment_too() {
    let dry = |vars: &[(&str, &str)], args: &[&str]| {
        let mut cmd = bare();
        cmd.env("ZEGO_APP_ID", APP.to_string())
            .env("ZEGO_SERVER_SECRET", SECRET);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd
            .args(args)
            .args(["--dry-run", "forbid", "s1"])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let url = dry(&[("ZEGO_REGION", "sgp"), ("ZEGO_TEST_ENV", "1")], &[]);
    assert!(url.starts_with("https://rtc-api-sgp.zego.im/"), "{url}");
    assert!(url.contains("IsTest=true"), "{url}");
    let url = dry(&[("ZEGO_TEST_ENV", "off")], &[]);
    assert!(!url.contains("IsTest"), "{url}");
    let url = dry(
        &[("ZEGO_REGION", "sgp")],
        &["--endpoint", "http://127.0.0.1:9"],
    );
    assert!(url.starts_with("http://127.0.0.1:9/"), "{url}");
}
