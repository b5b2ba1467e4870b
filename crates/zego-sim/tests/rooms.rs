//! Rooms: users and streams put in through the control endpoints (as client SDKs would),
//! changed by the room actions as ZEGO documents, paged with a stable `Marker`, under the
//! per-room quotas.

mod common;

use std::time::Duration;

use common::*;
use serde_json::{json, Value};
use zego_sim::{Env, SimHandle};

fn post(sim: &SimHandle, path: &str) -> (u16, String) {
    let url = format!("{}{path}", sim.base_url());
    let mut resp = agent(None).post(&url).send_empty().expect("http");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

fn login(sim: &SimHandle, room: &str, user: &str) {
    let (status, body) = post(sim, &format!("/_sim/rooms/{room}/users/{user}/login"));
    assert_eq!(status, 200, "{body}");
}

fn publish(sim: &SimHandle, room: &str, user: &str, stream: &str) {
    let (status, body) = post(
        sim,
        &format!("/_sim/streams/{stream}/publish?room_id={room}&user_id={user}"),
    );
    assert_eq!(status, 200, "{body}");
}

/// `&Key%5B%5D=x0&Key%5B%5D=x1...`, `n` entries.
fn repeated(key: &str, n: usize) -> String {
    use std::fmt::Write;
    (0..n).fold(String::new(), |mut s, i| {
        let _ = write!(s, "&{key}%5B%5D=x{i}");
        s
    })
}

fn data(v: &Value) -> &Value {
    assert_eq!(code_of(v), 0, "{v}");
    &v["Data"]
}

fn user_ids(v: &Value) -> Vec<String> {
    data(v)["UserList"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["UserId"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn control_endpoints_log_in_and_publish() {
    let sim = start();
    login(&sim, "room1", "alice");
    publish(&sim, "room1", "bob", "s-bob");
    let room = sim.room(APP, Env::Production, "room1").unwrap();
    assert_eq!(room.users.keys().collect::<Vec<_>>(), ["alice", "bob"]);
    assert_eq!(room.users["bob"].role, 1, "a publisher logs in as a host");
    assert_eq!(room.streams["s-bob"].user_id, "bob");
    assert!(sim.state(APP, Env::Production).stream_states["s-bob"]
        .close_time
        .is_none());
    // Another user cannot publish the same stream ID in the room.
    let (status, _) = post(
        &sim,
        "/_sim/streams/s-bob/publish?room_id=room1&user_id=alice",
    );
    assert_eq!(status, 409);
    // Bad input is refused.
    assert_eq!(post(&sim, "/_sim/rooms/room%20x/users/u/login").0, 400);
    assert_eq!(post(&sim, "/_sim/streams/s/publish?room_id=r").0, 400);
    assert_eq!(post(&sim, "/_sim/rooms/r/users/u/login?env=staging").0, 400);
    assert_eq!(post(&sim, "/_sim/rooms/r/users/u/login?role=3").0, 400);
    // The room is visible over HTTP too.
    let (status, body) = get_raw_path(&sim, "/_sim/rooms/room1");
    assert_eq!(status, 200);
    let room: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(room["streams"]["s-bob"]["user_id"], "bob");
    assert_eq!(get_raw_path(&sim, "/_sim/rooms/none").0, 404);
}

fn get_raw_path(sim: &SimHandle, path: &str) -> (u16, String) {
    let url = format!("{}{path}", sim.base_url());
    let mut resp = agent(None).get(&url).call().expect("http");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

#[test]
fn kick_stops_the_users_streams_and_an_empty_room_goes() {
    let sim = start();
    publish(&sim, "room1", "cheater", "s-cheat");
    publish(&sim, "room1", "host", "s-host");
    let v = call(
        &sim,
        "KickoutUser",
        "RoomId=room1&UserId%5B%5D=cheater&CustomReason=spam%2520bot",
    );
    assert_eq!(code_of(&v), 0, "{v}");
    assert!(v.get("Data").is_none());
    let room = sim.room(APP, Env::Production, "room1").unwrap();
    assert_eq!(room.users.keys().collect::<Vec<_>>(), ["host"]);
    assert_eq!(room.streams.keys().collect::<Vec<_>>(), ["s-host"]);
    let state = sim.state(APP, Env::Production);
    assert_eq!(
        state.stream_states["s-cheat"].close_time,
        Some(T0_MS / 1000)
    );
    // DescribeRTCStreamState sees the stream closed.
    let v = call(
        &sim,
        "DescribeRTCStreamState",
        "StreamId=s-cheat&Sequence=1",
    );
    assert_ne!(data(&v)["close_time"], "0");
    // Kicking a user who is not there succeeds; the last user kicked takes the room.
    assert_eq!(
        code(&sim, "KickoutUser", "RoomId=room1&UserId%5B%5D=ghost"),
        0
    );
    assert_eq!(
        code(&sim, "KickoutUser", "RoomId=room1&UserId%5B%5D=host"),
        0
    );
    assert!(sim.room(APP, Env::Production, "room1").is_none());
}

#[test]
fn kick_codes() {
    let sim = start();
    let six: String = repeated("UserId", 6);
    assert_eq!(code(&sim, "KickoutUser", &format!("RoomId=r{six}")), 50011);
    assert_eq!(code(&sim, "KickoutUser", "RoomId=r"), 2);
    assert_eq!(code(&sim, "KickoutUser", "UserId%5B%5D=u"), 2);
    assert_eq!(code(&sim, "KickoutUser", "RoomId=r&UserId%5B%5D=a%20b"), 2);
    let long = "u".repeat(65);
    assert_eq!(
        code(
            &sim,
            "KickoutUser",
            &format!("RoomId=r&UserId%5B%5D={long}")
        ),
        3
    );
    let long_room = "r".repeat(129);
    assert_eq!(
        code(
            &sim,
            "KickoutUser",
            &format!("RoomId={long_room}&UserId%5B%5D=u")
        ),
        3
    );
    // CustomReason: 256 bytes of its text, however the caller spelled its own encoding
    // (spec section 4b): 256 spaces pre-encoded as %20 (768 bytes encoded) pass, 257 fail.
    let kick = |reason: &str| {
        code(
            &sim,
            "KickoutUser",
            &format!("RoomId=r&UserId%5B%5D=u&CustomReason={reason}"),
        )
    };
    assert_eq!(kick(&"%2520".repeat(256)), 0);
    assert_eq!(kick(&"%2520".repeat(257)), 3);
    assert_eq!(kick(&"+".repeat(256)), 0); // spaces sent raw
    assert_eq!(kick(&"%252B".repeat(256)), 0); // '+' pre-encoded as %2B: 256 text bytes
    assert_eq!(kick(&"a".repeat(257)), 3);
    // "100% spam", pre-encoded as ZEGO asks, or only query-encoded by a client that did not.
    assert_eq!(kick("100%2525%2520spam"), 0);
    assert_eq!(kick("100%25%20spam"), 0);
    // Text that is not UTF-8 once decoded.
    assert_eq!(kick("%25FF"), 2);
    // The plain key is accepted as well as the bracketed one.
    assert_eq!(code(&sim, "KickoutUser", "RoomId=r&UserId=u"), 0);
}

#[test]
fn delete_stream_keeps_the_user_and_close_room_takes_everything() {
    let sim = start();
    publish(&sim, "room1", "host", "s1");
    publish(&sim, "room1", "guest", "s2");
    let del = |user: &str, stream: &str| {
        code(
            &sim,
            "DeleteStream",
            &format!("RoomId=room1&UserId={user}&UserName=N&StreamId={stream}"),
        )
    };
    assert_eq!(del("guest", "s1"), 138, "s1 is not guest's");
    assert_eq!(del("host", "nope"), 138);
    assert_eq!(del("host", "s1"), 0);
    assert_eq!(del("host", "s1"), 138);
    let room = sim.room(APP, Env::Production, "room1").unwrap();
    assert!(room.users.contains_key("host"));
    assert_eq!(room.streams.keys().collect::<Vec<_>>(), ["s2"]);
    assert!(sim.state(APP, Env::Production).stream_states["s1"]
        .close_time
        .is_some());
    assert_eq!(
        code(&sim, "DeleteStream", "RoomId=room1&UserId=host&StreamId="),
        2
    );

    assert_eq!(
        code(
            &sim,
            "CloseRoom",
            "RoomId=room1&CustomReason=bye&RoomCloseCallback=true"
        ),
        0
    );
    assert!(sim.room(APP, Env::Production, "room1").is_none());
    assert!(sim.state(APP, Env::Production).stream_states["s2"]
        .close_time
        .is_some());
    assert_eq!(code(&sim, "CloseRoom", "RoomId=room1"), 5024);
    assert_eq!(
        code(&sim, "CloseRoom", "RoomId=r&RoomCloseCallback=maybe"),
        2
    );
}

#[test]
fn add_stream_and_the_stream_list() {
    let sim = start();
    let add = |room: &str, user: &str, stream: &str| {
        code(&sim, "AddStream", &format!("RoomId={room}&UserId={user}&UserName=Admin&StreamId={stream}&StreamTitle=Movie%2520night&CensorFlag=1"))
    };
    assert_eq!(
        add("room1", "admin", "cdn1"),
        50001,
        "AddStream cannot create a room"
    );
    publish(&sim, "room1", "host", "s1");
    assert_eq!(add("room1", "admin", "cdn1"), 0);
    assert_eq!(
        add("room1", "admin", "cdn1"),
        0,
        "adding again is the same stream"
    );
    assert_eq!(add("room1", "admin", "s1"), 1012, "s1 is host's");
    assert_eq!(
        code(
            &sim,
            "AddStream",
            "RoomId=room1&UserId=a&StreamId=x&CensorFlag=2"
        ),
        2
    );
    let v = call(&sim, "DescribeSimpleStreamList", "RoomId=room1");
    assert_eq!(
        data(&v)["StreamList"],
        json!([
            {"StreamId": "s1", "UserId": "host", "UserName": "host", "CreateTime": T0_MS, "StreamNumberId": 1},
            {"StreamId": "cdn1", "UserId": "admin", "UserName": "Admin", "CreateTime": T0_MS, "StreamNumberId": 2},
        ])
    );
    let v = call(&sim, "DescribeSimpleStreamList", "RoomId=empty");
    assert_eq!(data(&v)["StreamList"], json!([]));
}

#[test]
fn user_list_pages_follow_a_stable_marker() {
    let sim = start();
    for i in 0..5 {
        login(&sim, "room1", &format!("u{i}"));
        sim.clock().advance(Duration::from_millis(10));
    }
    let page = |extra: &str| {
        call(
            &sim,
            "DescribeUserList",
            &format!("RoomId=room1&Limit=2{extra}"),
        )
    };
    let first = page("");
    assert_eq!(user_ids(&first), ["u0", "u1"]);
    let marker = data(&first)["Marker"].as_str().unwrap().to_owned();
    assert_eq!(marker, format!("{}-u1", T0_MS + 10));
    // Users come and go between pages: the next page still starts after u1.
    sim.logout_user(APP, Env::Production, "room1", "u2");
    login(&sim, "room1", "late");
    let second = page(&format!("&Marker={marker}"));
    assert_eq!(user_ids(&second), ["u3", "u4"]);
    let marker = data(&second)["Marker"].as_str().unwrap().to_owned();
    let last = page(&format!("&Marker={marker}"));
    assert_eq!(user_ids(&last), ["late"]);
    assert_eq!(data(&last)["Marker"], "");
    // Newest first, the default page size, and the limits.
    let v = call(&sim, "DescribeUserList", "RoomId=room1&Mode=1");
    assert_eq!(user_ids(&v), ["late", "u4", "u3", "u1", "u0"]);
    assert_eq!(data(&v)["UserList"][0]["UserRole"], 2);
    assert_eq!(
        user_ids(&call(&sim, "DescribeUserList", "RoomId=room1&Limit=0")).len(),
        5
    );
    assert_eq!(code(&sim, "DescribeUserList", "RoomId=room1&Limit=201"), 2);
    assert_eq!(code(&sim, "DescribeUserList", "RoomId=room1&Mode=2"), 2);
    assert_eq!(
        code(&sim, "DescribeUserList", "RoomId=room1&Marker=garbage"),
        2
    );
    let v = call(&sim, "DescribeUserList", "RoomId=nobody");
    assert_eq!(data(&v), &json!({"Marker": "", "UserList": []}));
}

#[test]
fn describe_users_and_user_num() {
    let sim = start();
    login(&sim, "room1", "a");
    sim.login_user_with_role(APP, Env::Production, "room1", "rec", "Recorder", 4);
    let v = call(
        &sim,
        "DescribeUsers",
        "RoomId=room1&UserId%5B%5D=a&UserId%5B%5D=b",
    );
    assert_eq!(
        data(&v)["UserStatusList"],
        json!([
            {"UserId": "a", "Status": 1, "LoginTime": T0_MS, "UserRole": 2},
            {"UserId": "b", "Status": 0, "LoginTime": 0, "UserRole": 0},
        ])
    );
    assert_eq!(
        code(&sim, "DescribeUsers", "RoomId=none&UserId%5B%5D=a"),
        50001
    );
    let eleven: String = repeated("UserId", 11);
    assert_eq!(
        code(&sim, "DescribeUsers", &format!("RoomId=room1{eleven}")),
        50011
    );
    let v = call(
        &sim,
        "DescribeUserNum",
        "RoomId%5B%5D=room1&RoomId%5B%5D=none",
    );
    assert_eq!(
        data(&v)["UserCountList"],
        json!([
            {"RoomId": "room1", "UserCount": 2, "AdminUserCount": 1},
            {"RoomId": "none", "UserCount": 0, "AdminUserCount": 0},
        ])
    );
    let eleven: String = repeated("RoomId", 11);
    assert_eq!(code(&sim, "DescribeUserNum", &eleven[1..]), 2);
    assert_eq!(code(&sim, "DescribeUserNum", ""), 2);
}

#[test]
fn rooms_are_per_app_and_environment() {
    let sim = start();
    sim.login_user(APP, Env::Test, "room1", "t", "T");
    login(&sim, "room1", "p");
    let v = call(&sim, "DescribeUserList", "RoomId=room1");
    assert_eq!(user_ids(&v), ["p"]);
    let v = call(&sim, "DescribeUserList", "RoomId=room1&IsTest=true");
    assert_eq!(user_ids(&v), ["t"]);
    assert!(sim.room(APP + 1, Env::Production, "room1").is_none());
    // The test environment needs the stream prefix on room-stream actions too.
    assert_eq!(
        code(
            &sim,
            "DeleteStream",
            "RoomId=room1&UserId=t&UserName=T&StreamId=s&IsTest=true"
        ),
        30004
    );
}

#[test]
fn per_room_quotas_answer_207_and_the_app_quota_206() {
    let sim = builder().start().unwrap();
    login(&sim, "room1", "a");
    login(&sim, "room2", "b");
    // DescribeUserList: 1/s per room.
    assert_eq!(code(&sim, "DescribeUserList", "RoomId=room1"), 0);
    assert_eq!(code(&sim, "DescribeUserList", "RoomId=room1"), 207);
    assert_eq!(code(&sim, "DescribeUserList", "RoomId=room2"), 0);
    sim.clock().advance(Duration::from_secs(1));
    assert_eq!(code(&sim, "DescribeUserList", "RoomId=room1"), 0);
    // DescribeSimpleStreamList: 1 per 10 s per room.
    assert_eq!(code(&sim, "DescribeSimpleStreamList", "RoomId=room1"), 0);
    sim.clock().advance(Duration::from_millis(9_999));
    assert_eq!(code(&sim, "DescribeSimpleStreamList", "RoomId=room1"), 207);
    sim.clock().advance(Duration::from_millis(1));
    assert_eq!(code(&sim, "DescribeSimpleStreamList", "RoomId=room1"), 0);
    // CloseRoom: 1/s per AppId, answered 206.
    assert_eq!(code(&sim, "CloseRoom", "RoomId=room1"), 0);
    assert_eq!(code(&sim, "CloseRoom", "RoomId=room2"), 206);
}

/// The control endpoints and `/_sim/state` serve only the apps the simulator was started
/// with: an unknown `app_id` is answered 404 and leaves no state behind.
#[test]
fn unknown_apps_are_refused_and_leave_no_state() {
    let sim = start();
    for unknown in 1..=50u32 {
        let app = APP + unknown;
        for path in [
            format!("/_sim/rooms/r/users/u/login?app_id={app}"),
            format!("/_sim/rooms/r/users/u/logout?app_id={app}"),
            format!("/_sim/streams/s/publish?room_id=r&user_id=u&app_id={app}"),
            format!("/_sim/streams/s/close?app_id={app}"),
        ] {
            let (status, body) = post(&sim, &path);
            assert_eq!(status, 404, "{path}: {body}");
            assert!(body.contains("unknown app_id"), "{path}: {body}");
        }
        let (status, _) = get_raw_path(&sim, &format!("/_sim/rooms/r?app_id={app}"));
        assert_eq!(status, 404);
    }
    let (status, body) = get_raw_path(&sim, "/_sim/state");
    assert_eq!(status, 200);
    let states: Value = serde_json::from_str(&body).unwrap();
    let apps: Vec<u64> = states
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["app_id"].as_u64().unwrap())
        .collect();
    assert_eq!(
        apps,
        [u64::from(APP), u64::from(APP)],
        "production and test of the one app"
    );
}

/// The room state the control endpoints build is bounded per app and environment.
#[test]
fn the_room_state_of_an_app_is_bounded() {
    let sim = builder()
        .rate_limit(false)
        .room_entries_per_app(10)
        .start()
        .expect("start");
    let mut refused = None;
    for i in 0..10 {
        let (status, body) = post(&sim, &format!("/_sim/rooms/room-{i}/users/u/login"));
        if status != 200 {
            refused = Some((i, status, body));
            break;
        }
    }
    let (i, status, body) = refused.expect("a bound");
    assert_eq!(status, 507, "{body}");
    // Each login adds a room and a user: 2 entries; the bound keeps room for 3 more.
    assert_eq!(i, 4);
    let held: usize = sim
        .state(APP, Env::Production)
        .rooms
        .values()
        .map(|r| 1 + r.users.len() + r.streams.len())
        .sum();
    assert!(held <= 10, "{held}");
    // The other environment has its own bound.
    assert_eq!(post(&sim, "/_sim/rooms/r/users/u/login?env=test").0, 200);
}
