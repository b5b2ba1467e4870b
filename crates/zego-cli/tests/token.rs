//! `zego token`: making and inspecting Token04 login tokens.

mod common;

use common::{bare, json_of, APP, SECRET};
use zego_proto::token::{decode_token, TokenLayout};
use zego_proto::ServerSecret;

fn zego() -> assert_cmd::Command {
    let mut cmd = bare();
    cmd.env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET);
    cmd
}

fn secret() -> ServerSecret {
    ServerSecret::new(SECRET).unwrap()
}

#[test]
fn prints_the_token_alone_and_it_decodes_to_the_options_given() {
    let out = zego()
        .args(["token", "--user-id", "alice", "--ttl", "1h"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let token = stdout.strip_suffix('\n').expect("one line");
    assert!(!token.contains(char::is_whitespace), "{stdout:?}");
    let decoded = decode_token(token, &secret()).unwrap();
    assert_eq!(decoded.layout, TokenLayout::Gcm);
    assert_eq!((decoded.app_id, decoded.user_id.as_str()), (APP, "alice"));
    assert_eq!(decoded.expire - decoded.ctime, 3600);
    assert_eq!(decoded.privilege, None);

    let out = zego()
        .args([
            "token",
            "--user-id",
            "bob",
            "--ttl",
            "90s",
            "--room-id",
            "room-1",
        ])
        .args(["--privilege", "publish", "--privilege", "login"])
        .args(["--stream-id", "s1", "--stream-id", "s2"])
        .assert()
        .success()
        .get_output()
        .clone();
    let token = String::from_utf8(out.stdout).unwrap();
    let decoded = decode_token(token.trim(), &secret()).unwrap();
    assert_eq!(decoded.expire - decoded.ctime, 90);
    let room = decoded.privilege.unwrap();
    assert_eq!(room.room_id(), "room-1");
    assert!(room.can_login() && room.can_publish());
    assert_eq!(room.stream_ids().unwrap(), ["s1", "s2"]);

    // --privilege defaults to login only.
    let out = zego()
        .args(["token", "--user-id", "c", "--ttl", "60", "--room-id", "r"])
        .output()
        .unwrap();
    let room = decode_token(String::from_utf8(out.stdout).unwrap().trim(), &secret())
        .unwrap()
        .privilege
        .unwrap();
    assert!(room.can_login() && !room.can_publish() && room.stream_ids().is_none());
}

#[test]
fn two_tokens_for_the_same_user_differ() {
    let make = || {
        zego()
            .args(["token", "--user-id", "alice", "--ttl", "1h"])
            .output()
            .unwrap()
            .stdout
    };
    assert_ne!(make(), make());
}

#[test]
fn inspect_prints_the_fields_in_text_and_json() {
    let out = zego()
        .args([
            "token",
            "--user-id",
            "alice",
            "--ttl",
            "2h",
            "--room-id",
            "room-1",
        ])
        .args(["--privilege", "login,publish", "--stream-id", "s1"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let out = zego()
        .args(["token", "inspect", &token])
        .assert()
        .success()
        .get_output()
        .clone();
    let text = String::from_utf8(out.stdout).unwrap();
    for expected in [
        "layout:   gcm",
        &format!("app_id:   {APP}"),
        "user_id:  alice",
        "room_id:  room-1",
        "login:    allowed",
        "publish:  allowed",
        "streams:  s1",
        ", valid)",
    ] {
        assert!(
            text.contains(expected),
            "{expected:?} missing from:\n{text}"
        );
    }
    let out = zego()
        .args(["--json", "token", "inspect", &token])
        .assert()
        .success()
        .get_output()
        .clone();
    let doc = json_of(&out);
    assert_eq!(doc["user_id"], "alice");
    assert_eq!(doc["expired"], false);
    assert_eq!(doc["privilege"]["stream_ids"][0], "s1");
    assert_eq!(
        doc["expire"].as_i64().unwrap() - doc["ctime"].as_i64().unwrap(),
        7200
    );
}

#[test]
fn bad_secret_user_id_ttl_and_tokens_exit_2_and_print_no_secret() {
    /// Arguments after `token`, extra environment, a text stderr must contain.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (&["--user-id", "alice", "--ttl", "0"], &[], "Validity"),
        (&["--user-id", "alice", "--ttl", "31d"], &[], "Validity"),
        (
            &["--user-id", "alice", "--ttl", "soon"],
            &[],
            "invalid duration",
        ),
        (
            &["--user-id", &"u".repeat(65), "--ttl", "1h"],
            &[],
            "UserId",
        ),
        (&["--user-id", "", "--ttl", "1h"], &[], "UserId"),
        (&["--user-id", "a b", "--ttl", "1h"], &[], "UserId"),
        (
            &["--user-id", "alice", "--ttl", "1h", "--room-id", ""],
            &[],
            "RoomId",
        ),
        (
            &["--user-id", "alice", "--ttl", "1h", "--privilege", "login"],
            &[],
            "--room-id",
        ),
        (
            &[
                "--user-id",
                "alice",
                "--ttl",
                "1h",
                "--room-id",
                "r",
                "--stream-id",
                "s",
            ],
            &[],
            "--privilege publish",
        ),
        (
            &["--user-id", "alice", "--ttl", "1h"],
            &[("ZEGO_SERVER_SECRET", "S3cr3t-0f-the-t3sts-but-too-long!")],
            "ServerSecret: is 33 bytes long, it must be exactly 32",
        ),
        (&["--user-id", "alice"], &[], "--ttl"),
    ];
    for (args, env, expected) in cases {
        let mut cmd = zego();
        for (k, v) in *env {
            cmd.env(k, v);
        }
        let out = cmd.arg("token").args(*args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: stdout {:?}", out.stdout);
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("S3cr3t"), "{args:?}: {stderr}");
    }
}

#[test]
fn inspect_refuses_a_bad_token_or_the_wrong_secret_with_exit_2() {
    let out = zego()
        .args(["token", "--user-id", "alice", "--ttl", "1h"])
        .output()
        .unwrap();
    let token = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    let other = "0123456789abcdef0123456789abcdef";
    let out = zego()
        .env("ZEGO_SERVER_SECRET", other)
        .args(["token", "inspect", &token])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("does not open with this ServerSecret"),
        "{stderr}"
    );
    assert!(!stderr.contains(other), "{stderr}");
    for bad in ["", "garbage", "04!!!", "04AAAA"] {
        let out = zego().args(["token", "inspect", bad]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(out.stdout.is_empty());
    }
    // No credentials: exit 2 with the usual hint.
    let out = bare().args(["token", "inspect", &token]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A Token04 as ZEGO's official PHP generator writes a privilege token with no stream
/// limit: `"stream_id_list":[]` (made with `tests/fixtures/token04.py` of zego-proto, the
/// independent implementation: app 424242, user alice, room-1, login and publish, ctime
/// 1700000000, one hour, this suite's secret).
const PHP_EMPTY_STREAM_LIST: &str = "04AAAAAGVT/xAADAABAgMEBQYHCAkKCwC/NBvsw8xxPLB93frkBa+sKcs+6hAyyfKatOh9f3q8C8coMsVAhHD8oYau3wQuE+FHvZfgdjyx1ABN1DUNVfxQ8j93dbLhu6NGs/lPareJmbdatT4hrVI1UenNo5/EYmDIjV0XscFDMpB/XIcGXJwG3WWfkleWYtZ2hdjBAUiPCZSYJJqiYOBkHOAJ/45GujuvEaFas4pcP6bJBGkbG+aDmLRbY/Q+TE1FHMdJjhbETy7j9vtrjcOvGaVegezwcz0B";

#[test]
fn inspect_needs_only_the_secret_and_shows_an_empty_stream_list_as_any() {
    // No ZEGO_APP_ID: the token holds its AppId.
    let out = bare()
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args(["token", "inspect", PHP_EMPTY_STREAM_LIST])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("app_id:   424242"), "{stdout}");
    assert!(stdout.contains("streams:  any"), "{stdout}");
    let out = bare()
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args(["--json", "token", "inspect", PHP_EMPTY_STREAM_LIST])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let json = json_of(&out);
    assert_eq!(json["privilege"]["stream_ids"], serde_json::Value::Null);
    assert_eq!(json["app_id"], 424242);
}
