//! `zego kick`, `zego stream delete`, `zego room ...`, `zego users` against the simulator,
//! whose rooms change as ZEGO documents.

mod common;

use common::{json_of, sim, zego, APP};
use predicates::prelude::*;
use zego_sim::Env;

const P: Env = Env::Production;

#[test]
fn kick_sends_batches_of_five_and_the_users_streams_stop() {
    let sim = sim();
    let users: Vec<String> = (0..7).map(|i| format!("u{i}")).collect();
    for u in &users {
        sim.publish_stream(APP, P, "room1", u, &format!("s-{u}"));
    }
    sim.login_user(APP, P, "room1", "stays", "Stays");
    let out = zego(&sim)
        .args([
            "--json",
            "kick",
            "--room",
            "room1",
            "--reason",
            "spam & abuse",
        ])
        .args(&users)
        .assert()
        .success()
        .get_output()
        .clone();
    let v = json_of(&out);
    assert_eq!(v["user_ids"].as_array().unwrap().len(), 7);
    assert_eq!(
        v["request_ids"].as_array().unwrap().len(),
        2,
        "7 users in batches of 5"
    );
    let kicks: Vec<_> = sim
        .request_log()
        .into_iter()
        .filter(|r| r.action == "KickoutUser")
        .collect();
    assert_eq!(kicks.len(), 2);
    assert!(kicks.iter().all(|r| r.code == Some(0)));
    let room = sim.room(APP, P, "room1").unwrap();
    assert_eq!(room.users.keys().collect::<Vec<_>>(), ["stays"]);
    assert!(room.streams.is_empty());
    assert!(sim.state(APP, P).stream_states["s-u6"].close_time.is_some());
    // Human output.
    sim.login_user(APP, P, "room1", "x", "X");
    zego(&sim)
        .args(["kick", "--room", "room1", "x"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Kicked 1 user out of room room1: x",
        ));
}

#[test]
fn bad_input_is_exit_2_with_nothing_sent() {
    let sim = sim();
    let cases: Vec<Vec<&str>> = vec![
        vec!["kick", "--room", "room1", "ok", "not ok"],
        vec!["kick", "--room", "room?", "u"],
        vec![
            "kick",
            "--room",
            "r",
            "u",
            "--reason",
            // 257 bytes of text (the limit is on the reason's text: spec section 4b).
            &*Box::leak(" ".repeat(257).into_boxed_str()),
        ],
        vec![
            "stream",
            "delete",
            "--room",
            "r",
            "--user",
            "u",
            "--user-name",
            "",
            "s",
        ],
        vec![
            "stream",
            "delete",
            "--room",
            "r",
            "--user",
            "u é",
            "--user-name",
            "U",
            "s",
        ],
        vec!["room", "close", "r r"],
        vec!["room", "streams", ""],
        vec![
            "room",
            "users",
            &*Box::leak("r".repeat(129).into_boxed_str()),
        ],
        vec!["room", "count", "ok", "bad room"],
        vec![
            "users",
            "--room",
            "r",
            &*Box::leak("u".repeat(65).into_boxed_str()),
        ],
        vec!["kick", "--room", "r"],
    ];
    for args in cases {
        zego(&sim).args(&args).assert().code(2);
    }
    // The last batch's bad ID stops the first batch too.
    zego(&sim)
        .args([
            "kick", "--room", "r", "a", "b", "c", "d", "e", "f", "bad id",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("UserId[] (entry 1)"));
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
}

#[test]
fn stream_delete_keeps_the_user_and_a_missing_stream_is_138() {
    let sim = sim();
    sim.publish_stream(APP, P, "room1", "host", "s1");
    zego(&sim)
        .args([
            "stream",
            "delete",
            "--room",
            "room1",
            "--user",
            "host",
            "--user-name",
            "Host",
            "s1",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Stream s1 deleted from room room1",
        ));
    let room = sim.room(APP, P, "room1").unwrap();
    assert!(room.users.contains_key("host"));
    assert!(room.streams.is_empty());
    let out = zego(&sim)
        .args([
            "--json",
            "stream",
            "delete",
            "--room",
            "room1",
            "--user",
            "host",
            "--user-name",
            "Host",
            "s1",
        ])
        .assert()
        .code(1)
        .get_output()
        .clone();
    let v = json_of(&out);
    assert_eq!(v["ok"], false);
    assert!(v["error"].to_string().contains("138"), "{v}");
}

#[test]
fn room_close_streams_users_and_count() {
    let sim = sim();
    sim.publish_stream(APP, P, "room1", "host", "s1");
    sim.login_user(APP, P, "room1", "viewer", "Viewer");
    sim.login_user_with_role(APP, P, "room1", "rec", "Recorder", 4);
    let v = json_of(
        &zego(&sim)
            .args(["--json", "room", "streams", "room1"])
            .assert()
            .success()
            .get_output()
            .clone(),
    );
    assert_eq!(v["streams"][0]["stream_id"], "s1");
    assert_eq!(v["streams"][0]["user_id"], "host");
    zego(&sim)
        .args(["room", "count", "room1", "empty"])
        .assert()
        .success()
        .stdout(predicate::str::contains("room1  3      1"))
        .stdout(predicate::str::contains("empty  0      0"));
    let v = json_of(
        &zego(&sim)
            .args(["--json", "room", "users", "room1", "--newest-first"])
            .assert()
            .success()
            .get_output()
            .clone(),
    );
    let ids: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(v["pages"], 1);
    zego(&sim)
        .args(["users", "--room", "room1", "viewer", "nobody"])
        .assert()
        .success()
        .stdout(predicate::str::contains("viewer  yes"))
        .stdout(predicate::str::contains("nobody  no"));
    zego(&sim)
        .args([
            "room",
            "close",
            "room1",
            "--reason",
            "closed by moderation",
            "--callback",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Room room1 closed"));
    assert!(sim.room(APP, P, "room1").is_none());
    assert!(sim.state(APP, P).stream_states["s1"].close_time.is_some());
    let log = sim.request_log();
    let close = log.iter().find(|r| r.action == "CloseRoom").unwrap();
    assert!(close
        .params
        .iter()
        .any(|(k, v)| k == "RoomCloseCallback" && v == "true"));
    // Closing it again: the room no longer exists (5024), exit 1.
    zego(&sim)
        .args(["room", "close", "room1"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("5024"));
}

/// The README's moderation one-liner, run by `sh` against the simulator (needs `jq`; the
/// test says so and passes vacuously only where `jq` is missing).
#[test]
fn the_readme_moderation_one_liner_works() {
    if std::process::Command::new("jq")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("jq is not installed: skipping the README one-liner");
        return;
    }
    let readme = include_str!("../../../README.md");
    let line = readme
        .lines()
        .find(|l| l.starts_with("U=cheater42 R=room1;"))
        .expect("the one-liner is in the README");
    let sim = sim();
    sim.publish_stream(APP, P, "room1", "cheater42", "bad-1");
    sim.publish_stream(APP, P, "room1", "cheater42", "bad-2");
    sim.publish_stream(APP, P, "room1", "host", "good");
    let zego_bin = std::path::Path::new(env!("CARGO_BIN_EXE_zego"));
    let path = format!(
        "{}:{}",
        zego_bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let status = std::process::Command::new("sh")
        .args(["-c", line])
        .env("PATH", path)
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", common::SECRET)
        .env("ZEGO_ENDPOINT", sim.base_url())
        .env("XDG_CONFIG_HOME", common::empty_config_home())
        .env("HOME", common::empty_config_home())
        .status()
        .unwrap();
    assert!(status.success());
    let state = sim.state(APP, P);
    assert!(state.forbidden_rtc_streams.contains("bad-1"));
    assert!(state.forbidden_rtc_streams.contains("bad-2"));
    assert!(!state.forbidden_rtc_streams.contains("good"));
    assert!(!sim
        .room(APP, P, "room1")
        .unwrap()
        .users
        .contains_key("cheater42"));
    assert!(state
        .user_rules
        .iter()
        .any(|r| r.user_id == "cheater42" && r.disabled_privileges == [1, 2]));
}
#[test]
fn room_users_follows_every_page() {
    let sim = sim();
    for i in 0..450 {
        sim.login_user(APP, P, "big", &format!("u{i:03}"), "U");
    }
    let v = json_of(
        &zego(&sim)
            .args(["--json", "room", "users", "big"])
            .assert()
            .success()
            .get_output()
            .clone(),
    );
    assert_eq!(v["users"].as_array().unwrap().len(), 450);
    assert_eq!(v["pages"], 3);
    let rate_limited = sim
        .request_log()
        .iter()
        .filter(|r| matches!(r.code, Some(206 | 207)))
        .count();
    assert_eq!(rate_limited, 0, "the pages go at the room's quota");
}

/// A wait of more than a second for a rate limit is said on stderr, with the quota: here a
/// second process lists the room inside its 10-second quota, gets ZEGO's 207, and waits.
#[test]
fn a_long_wait_for_a_rate_limit_is_said_on_stderr_with_its_quota() {
    let sim = sim();
    assert!(sim.publish_stream(APP, Env::Production, "quiet", "host", "s1"));
    zego(&sim)
        .args(["room", "streams", "quiet"])
        .assert()
        .success();
    let out = zego(&sim)
        .args(["room", "streams", "quiet"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains(
            "note: DescribeSimpleStreamList: ZEGO answered 207 (rate limited): retrying in"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("(quota room_stream_list, room \"quiet\")"),
        "{stderr}"
    );
}
