//! `zego ban`, `zego unban`, `zego bans list|audit|tick|run` against the simulator over
//! real HTTP, each test with its own store: the embedded one (ZEGO_BANS_STORE), and for the
//! main flows also a Redis started by the test (ZEGO_REDIS_URL).

mod common;
#[path = "../../zego-redis/tests/common/mod.rs"]
mod redis_server;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use common::{json_of, sim, zego, APP, SECRET};
use serde_json::Value;
use zego_sim::{Env, SimHandle};

/// A fresh store path for one test (the file does not exist yet).
fn store_path(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zego-cli-bans-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("bans.sqlite3")
}

/// Where a test keeps its bans.
enum TestStore {
    /// The embedded store, this file.
    Sqlite(PathBuf),
    /// The fleet store, in this Redis (stopped by PID when dropped).
    Redis(redis_server::RedisServer),
}

/// `zego --endpoint <sim>` on the test's store.
fn bans(sim: &SimHandle, store: &TestStore) -> Command {
    let mut cmd = zego(sim);
    match store {
        TestStore::Sqlite(path) => cmd.env("ZEGO_BANS_STORE", path),
        TestStore::Redis(redis) => cmd.env("ZEGO_REDIS_URL", redis.url()),
    };
    cmd
}

fn sqlite(test: &str) -> TestStore {
    TestStore::Sqlite(store_path(test))
}

fn redis() -> TestStore {
    TestStore::Redis(redis_server::RedisServer::start())
}

fn json_lines(output: &std::process::Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

fn forbidden(sim: &SimHandle) -> std::collections::BTreeSet<String> {
    sim.forbidden_rtc_streams(APP, Env::Production)
}

fn can_login(sim: &SimHandle, room: &str, user: &str) -> bool {
    sim.try_login_user(APP, Env::Production, room, user, user, 2)
        .is_ok()
}

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

#[test]
fn ban_list_audit_and_unban_by_id_in_json_and_text() {
    ban_list_audit_and_unban_by_id(&sqlite("by-id"));
}

#[test]
fn ban_list_audit_and_unban_by_id_in_json_and_text_on_redis() {
    ban_list_audit_and_unban_by_id(&redis());
}

fn ban_list_audit_and_unban_by_id(store: &TestStore) {
    let sim = sim();
    sim.try_publish_stream(APP, Env::Production, "room1", "troll", "s-troll")
        .unwrap();
    sim.try_publish_stream(APP, Env::Production, "room1", "host", "s-host")
        .unwrap();

    let out = bans(&sim, store)
        .args(["--json", "ban", "user", "troll", "--room", "room1"])
        .args(["--for", "3d", "--reason", "spam", "--actor", "mod-1"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let ban = json_of(&out);
    assert_eq!(ban["ok"], true);
    assert_eq!(ban["id"], "b1");
    assert_eq!(ban["target"]["kind"], "user");
    assert_eq!(ban["target"]["user_id"], "troll");
    assert_eq!(ban["target"]["scopes"]["login"], true);
    assert_eq!(ban["enforcement"]["state"], "full");
    assert_eq!(ban["effects"]["forbidden_streams"][0], "s-troll");
    assert_eq!(ban["effects"]["kicked"], true);
    assert_eq!(ban["effects"]["user_rule"], true);
    assert_eq!(
        ban["ends_at"].as_i64().unwrap() - ban["created_at"].as_i64().unwrap(),
        3 * 86_400
    );
    assert_eq!(ban["actor"], "mod-1");
    assert!(forbidden(&sim).contains("s-troll"));
    assert!(!forbidden(&sim).contains("s-host"));
    assert!(
        !can_login(&sim, "room1", "troll"),
        "the rule keeps troll out"
    );

    // Text: the ban and how it is enforced.
    let out = bans(&sim, store)
        .args(["ban", "stream", "s9", "--for", "30m", "--reason", "nsfw"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Banned b2: stream s9 for 30m, until "),
        "{text}"
    );
    assert!(text.contains("enforcement: full"), "{text}");
    assert!(forbidden(&sim).contains("s9"));

    let out = bans(&sim, store)
        .args(["bans", "list", "--json"])
        .output()
        .unwrap();
    let list = json_of(&out);
    let ids: Vec<&str> = list["bans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b1", "b2"]);
    assert_eq!(list["bans"][0]["active"], true);
    let out = bans(&sim, store).args(["bans", "list"]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(table.starts_with("ID  TARGET"), "{table}");
    assert!(
        table.contains("user troll in room room1 (login, publish)"),
        "{table}"
    );
    assert!(table.contains("forbade s-troll; kicked"), "{table}");

    audit_shows_the_ban_and_its_application(&sim, store);
    unban_by_id_undoes_it(&sim, store);
}

fn audit_shows_the_ban_and_its_application(sim: &SimHandle, store: &TestStore) {
    // The audit log as JSON lines: the ban, then its application with ZEGO's RequestIds.
    let out = bans(sim, store)
        .args(["bans", "audit", "--user", "troll", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let entries = json_lines(&out);
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["ban", "apply"]);
    assert!(entries
        .iter()
        .all(|e| e["ban"] == "b1" && e["reason"] == "spam"));
    // List, forbid, kick, rule.
    assert_eq!(entries[1]["request_ids"].as_array().unwrap().len(), 4);
}

fn unban_by_id_undoes_it(sim: &SimHandle, store: &TestStore) {
    // Unban by ID: the stream resumed, the rule deleted.
    let out = bans(sim, store)
        .args(["--json", "unban", "b1", "--actor", "mod-2"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let unban = json_of(&out);
    assert_eq!(unban["count"], 1);
    assert_eq!(unban["lifted"][0]["enforcement"]["state"], "lifted");
    assert!(!forbidden(sim).contains("s-troll"));
    assert!(can_login(sim, "room1", "troll"));

    let out = bans(sim, store).args(["unban", "b1"]).output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "b1 was already lifted\n"
    );

    let active = json_of(
        &bans(sim, store)
            .args(["--json", "bans", "list"])
            .output()
            .unwrap(),
    );
    assert_eq!(active["bans"].as_array().unwrap().len(), 1);
    let all = json_of(
        &bans(sim, store)
            .args(["--json", "bans", "list", "--all"])
            .output()
            .unwrap(),
    );
    assert_eq!(all["bans"].as_array().unwrap().len(), 2);
    assert_eq!(all["bans"][0]["active"], false);

    let out = bans(sim, store)
        .args(["bans", "audit", "--user", "troll"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("unban") && text.contains("mod-2"), "{text}");
    assert!(text.contains("lift"), "{text}");
    assert!(!format!("{out:?}").contains(SECRET));
}

#[test]
fn tick_lifts_a_ban_once_it_has_ended() {
    tick_lifts_an_ended_ban(&sqlite("tick"));
}

#[test]
fn tick_lifts_a_ban_once_it_has_ended_on_redis() {
    tick_lifts_an_ended_ban(&redis());
}

fn tick_lifts_an_ended_ban(store: &TestStore) {
    let sim = sim();
    let out = bans(&sim, store)
        .args([
            "--json", "ban", "stream", "s1", "--for", "1s", "--reason", "r",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let ends_at = json_of(&out)["ends_at"].as_i64().unwrap();
    assert!(forbidden(&sim).contains("s1"));

    // Wait until the ban's end has passed on this clock (the CLI's and the simulator's):
    // a bound read from the ban, not a guess.
    let deadline = Instant::now() + Duration::from_secs(30);
    while unix_now() <= ends_at {
        assert!(Instant::now() < deadline, "the clock does not move");
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = bans(&sim, store)
        .args(["bans", "tick", "--json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let tick = json_of(&out);
    assert_eq!(tick["ok"], true);
    assert_eq!(tick["done"], 1);
    assert_eq!(tick["actions"][0]["action"], "lift");
    assert_eq!(tick["actions"][0]["ban"], "b1");
    assert!(!forbidden(&sim).contains("s1"), "resumed at the end");

    // Nothing left: a quiet pass, in text.
    let out = bans(&sim, store).args(["bans", "tick"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "Tick: 0 piece(s) of work done, 0 failed\n"
    );
    let list = json_of(
        &bans(&sim, store)
            .args(["--json", "bans", "list"])
            .output()
            .unwrap(),
    );
    assert_eq!(list["bans"], serde_json::json!([]));
}

#[test]
fn unban_user_lifts_every_ban_on_the_user_and_says_how_many() {
    let sim = sim();
    let store = sqlite("by-user");
    for (room, reason) in [("room-a", "spam"), ("room-b", "flood")] {
        bans(&sim, &store)
            .args(["ban", "user", "troll", "--room", room, "--for", "1d"])
            .args(["--reason", reason, "--scope", "publish"])
            .assert()
            .success();
    }
    bans(&sim, &store)
        .args(["ban", "user", "other", "--for", "forever", "--reason", "x"])
        .assert()
        .success();

    let out = bans(&sim, &store)
        .args(["unban", "user", "troll", "--room", "room-zzz"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "No ban in force on user troll in room room-zzz: nothing lifted\n"
    );

    let out = bans(&sim, &store)
        .args(["--json", "unban", "user", "troll"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let unban = json_of(&out);
    assert_eq!(unban["count"], 2);
    let ids: Vec<&str> = unban["lifted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["b1", "b2"]);

    let list = json_of(
        &bans(&sim, &store)
            .args(["--json", "bans", "list"])
            .output()
            .unwrap(),
    );
    assert_eq!(list["bans"].as_array().unwrap().len(), 1);
    assert_eq!(list["bans"][0]["target"]["user_id"], "other");
    assert_eq!(list["bans"][0]["ends_at"], Value::Null);

    let out = bans(&sim, &store)
        .args(["unban", "user", "other"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("Lifted 1 ban(s) on user other:\n  b3 user other in every room"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2_naming_the_field_and_stores_and_sends_nothing() {
    let sim = sim();
    let path = store_path("bad");
    let store = TestStore::Sqlite(path.clone());
    let long_user = "u".repeat(65);
    let long_reason = "r".repeat(513);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["ban", "user", &long_user, "--for", "1d", "--reason", "x"],
            "UserId",
        ),
        (
            vec!["ban", "user", "a b", "--for", "1d", "--reason", "x"],
            "UserId",
        ),
        (
            vec![
                "ban", "user", "u1", "--room", "", "--for", "1d", "--reason", "x",
            ],
            "RoomId",
        ),
        (
            vec!["ban", "user", "u1", "--for", "soon", "--reason", "x"],
            "--for",
        ),
        (
            vec!["ban", "user", "u1", "--for", "0", "--reason", "x"],
            "--for",
        ),
        (
            vec![
                "ban",
                "stream",
                "s1",
                "--for",
                "1d",
                "--reason",
                &long_reason,
            ],
            "reason",
        ),
        (
            vec!["ban", "stream", "s 1", "--for", "1d", "--reason", "x"],
            "StreamId",
        ),
        (
            vec![
                "ban", "media", "--room", "r", "--stream", "s", "--for", "1d", "--reason", "x",
            ],
            "--audio",
        ),
        (vec!["ban", "stream", "s1", "--reason", "x"], "--for"),
        (vec!["unban", "b0"], "BAN_ID"),
        (vec!["unban", "user"], "USER_ID is missing"),
        (vec!["unban", "stream", "s1", "--room", "r"], "--room"),
        (vec!["unban", "user", &long_user], "UserId"),
        (vec!["bans", "run", "--poll", "0"], "--poll"),
    ];
    for (args, field) in cases {
        let out = bans(&sim, &store).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(field),
            "{args:?} should name {field}: {stderr}"
        );
    }
    // In JSON, the error document names it too.
    let out = bans(&sim, &store)
        .args([
            "--json", "ban", "user", &long_user, "--for", "1d", "--reason", "x",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let error = json_of(&out);
    assert_eq!(error["ok"], false);
    assert_eq!(error["error"]["kind"], "validation");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap()
        .contains("UserId"));

    assert!(!path.exists(), "nothing stored: the store was never opened");
    assert!(sim.request_log().is_empty(), "nothing sent");
}

#[test]
fn the_worker_does_due_work_and_exits_0_on_sigterm() {
    let sim = sim();
    let path = store_path("run");
    let store = TestStore::Sqlite(path.clone());
    bans(&sim, &store)
        .args(["ban", "stream", "s-run", "--for", "1s", "--reason", "r"])
        .assert()
        .success();

    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zego"))
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", common::empty_config_home())
        .env("XDG_CONFIG_HOME", common::empty_config_home())
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .env("ZEGO_BANS_STORE", &path)
        .args([
            "--endpoint",
            &sim.base_url(),
            "--json",
            "bans",
            "run",
            "--poll",
            "10m",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // The ban ends a second after it was made: the worker rests until then, not for its
    // 10-minute poll, and lifts it.
    let lifted = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the worker reports the lift");
        let entry: Value = serde_json::from_str(&line).unwrap();
        if entry["action"] == "lift" {
            break entry;
        }
    };
    assert_eq!(lifted["ban"], "b1");
    assert!(!forbidden(&sim).contains("s-run"));

    let kill = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the worker did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("stopped by signal 15"), "{stderr}");
    assert!(!stderr.contains(SECRET));
}

#[test]
fn a_ban_past_zegos_rule_cap_says_how_it_is_enforced() {
    use zego_proto::ops::{DisabledPrivilege, EffectiveTime, SetForbidUserRule, UserRuleTarget};
    use zego_proto::{Credentials, Endpoint};
    let sim = zego_sim::Simulator::builder()
        .app(APP, SECRET)
        .rate_limit(false)
        .start()
        .unwrap();
    let store = sqlite("cap");
    // ZEGO's cap: 200 user rules of one type in force; the simulator answers 50123 beyond.
    let client = zego_transport_blocking::Client::builder(Credentials::new(APP, SECRET).unwrap())
        .endpoint(Endpoint::custom(&sim.base_url()).unwrap())
        .no_rate_limit()
        .build();
    for i in 0..200 {
        let op = SetForbidUserRule::new(
            UserRuleTarget::room_user("other", format!("u{i}")).unwrap(),
            [DisabledPrivilege::Publish],
            EffectiveTime::new(3600).unwrap(),
        )
        .unwrap();
        client.execute(&op).unwrap();
    }
    sim.try_publish_stream(APP, Env::Production, "room1", "troll", "s-troll")
        .unwrap();

    let out = bans(&sim, &store)
        .args(["--json", "ban", "user", "troll", "--room", "room1"])
        .args(["--for", "1d", "--reason", "raid"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let ban = json_of(&out);
    assert_eq!(ban["enforcement"]["state"], "without_rule");
    assert_eq!(
        ban["enforcement"]["means"],
        serde_json::json!(["stream forbids", "kick", "token refusal"])
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WITHOUT its rule") && stderr.contains("50123"),
        "{stderr}"
    );
    assert!(
        forbidden(&sim).contains("s-troll"),
        "held by the stream forbid"
    );

    let out = bans(&sim, &store).args(["bans", "list"]).output().unwrap();
    let table = String::from_utf8(out.stdout).unwrap();
    assert!(
        table.contains("WITHOUT RULE (ZEGO's cap of live rules, 50123): held by stream forbids, kick, token refusal"),
        "{table}"
    );
}

#[test]
fn a_ban_stored_but_not_in_force_exits_1_and_says_so() {
    let sim = sim();
    let store = sqlite("failing");
    // A secret ZEGO (the simulator) does not accept: every call of the ban fails.
    let out = bans(&sim, &store)
        .env("ZEGO_SERVER_SECRET", "ffffffffffffffffffffffffffffffff")
        .args(["ban", "stream", "s1", "--for", "1h", "--reason", "r"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("enforcement: FAILING (retried)"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("b1 is stored but not in force yet"),
        "{stderr}"
    );

    let out = bans(&sim, &store)
        .env("ZEGO_SERVER_SECRET", "ffffffffffffffffffffffffffffffff")
        .args([
            "--json", "ban", "stream", "s2", "--for", "1h", "--reason", "r",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let ban = json_of(&out);
    assert_eq!(ban["ok"], false);
    assert_eq!(ban["enforcement"]["state"], "failing");
    // The audit log keeps the failure.
    let entries = json_lines(
        &bans(&sim, &store)
            .args(["bans", "audit", "--stream", "s1", "--json"])
            .output()
            .unwrap(),
    );
    assert_eq!(entries.len(), 2);
    assert_ne!(entries[1]["outcome"], "ok");
}
