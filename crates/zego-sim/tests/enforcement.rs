//! The stand-in clients run into the bans: login and publish refused by user rules and RTC
//! stream forbids (control endpoints over HTTP and the handle methods), rules lapsing on the
//! simulator's manual clock, and the 200-rule cap (50123).

mod common;

use std::time::Duration;

use common::*;
use serde_json::Value;
use zego_sim::{Env, Refusal, SimHandle, LOGIN_FORBIDDEN_CODE, PUBLISH_FORBIDDEN_CODE};

fn post(sim: &SimHandle, path: &str) -> (u16, String) {
    let url = format!("{}{path}", sim.base_url());
    let mut resp = agent(None).post(&url).send_empty().expect("http");
    let status = resp.status().as_u16();
    (status, resp.body_mut().read_to_string().expect("body"))
}

/// (HTTP status, client code when refused) of a control call.
fn attempt(sim: &SimHandle, path: &str) -> (u16, Option<i64>) {
    let (status, body) = post(sim, path);
    let code = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["code"].as_i64());
    (status, code)
}

fn login(sim: &SimHandle, room: &str, user: &str) -> (u16, Option<i64>) {
    attempt(sim, &format!("/_sim/rooms/{room}/users/{user}/login"))
}

fn publish(sim: &SimHandle, room: &str, user: &str, stream: &str) -> (u16, Option<i64>) {
    attempt(
        sim,
        &format!("/_sim/streams/{stream}/publish?room_id={room}&user_id={user}"),
    )
}

fn user_rule(sim: &SimHandle, business: &str, secs: u32) -> i64 {
    code(
        sim,
        "SetForbidUserRule",
        &format!("{business}&EffectiveTime={secs}"),
    )
}

const LOGIN_REFUSED: (u16, Option<i64>) = (403, Some(LOGIN_FORBIDDEN_CODE));
const PUBLISH_REFUSED: (u16, Option<i64>) = (403, Some(PUBLISH_FORBIDDEN_CODE));
const OK: (u16, Option<i64>) = (200, None);

#[test]
fn a_login_rule_refuses_login_and_publish_until_it_lapses_on_the_clock() {
    let sim = start();
    assert_eq!(
        user_rule(
            &sim,
            "RuleType=4&RoomId=r1&UserId=u1&DisabledPrivilege%5B%5D=1",
            600
        ),
        0
    );
    assert_eq!(login(&sim, "r1", "u1"), LOGIN_REFUSED);
    // A publish logs a user in first: refused too, with the publisher's code.
    assert_eq!(publish(&sim, "r1", "u1", "s1"), PUBLISH_REFUSED);
    // Other rooms, other users: not covered by a type-4 rule.
    assert_eq!(login(&sim, "r2", "u1"), OK);
    assert_eq!(login(&sim, "r1", "u2"), OK);
    assert!(!sim
        .room(APP, Env::Production, "r1")
        .unwrap()
        .users
        .contains_key("u1"));
    assert_eq!(
        sim.try_login_user(APP, Env::Production, "r1", "u1", "U", 2),
        Err(Refusal::LoginForbidden { rule_type: 4 })
    );
    sim.clock().advance(Duration::from_secs(599));
    assert_eq!(login(&sim, "r1", "u1"), LOGIN_REFUSED);
    sim.clock().advance(Duration::from_secs(1));
    assert_eq!(login(&sim, "r1", "u1"), OK);
    assert_eq!(publish(&sim, "r1", "u1", "s1"), OK);
}

#[test]
fn a_publish_rule_lets_the_user_in_but_not_on_stage() {
    let sim = start();
    assert_eq!(
        user_rule(&sim, "RuleType=3&UserId=u1&DisabledPrivilege%5B%5D=2", 60),
        0
    );
    assert_eq!(login(&sim, "r1", "u1"), OK);
    assert_eq!(publish(&sim, "r1", "u1", "s1"), PUBLISH_REFUSED);
    assert_eq!(publish(&sim, "other-room", "u1", "s2"), PUBLISH_REFUSED);
    assert_eq!(
        sim.try_publish_stream(APP, Env::Production, "r1", "u1", "s1"),
        Err(Refusal::PublishForbiddenByRule { rule_type: 3 })
    );
    assert!(!sim.publish_stream(APP, Env::Production, "r1", "u1", "s1"));
    assert_eq!(publish(&sim, "r1", "u2", "s3"), OK);
    sim.clock().advance(Duration::from_secs(60));
    assert_eq!(publish(&sim, "r1", "u1", "s1"), OK);
}

#[test]
fn a_room_rule_keeps_everyone_out_and_a_deleted_rule_lets_them_in() {
    let sim = start();
    assert_eq!(
        user_rule(
            &sim,
            "RuleType=2&RoomId=r1&DisabledPrivilege%5B%5D=1&DisabledPrivilege%5B%5D=2",
            60
        ),
        0
    );
    assert_eq!(login(&sim, "r1", "anyone"), LOGIN_REFUSED);
    assert_eq!(login(&sim, "r2", "anyone"), OK);
    assert_eq!(code(&sim, "DelForbidUserRule", "RuleType=2&RoomId=r1"), 0);
    assert_eq!(login(&sim, "r1", "anyone"), OK);
}

#[test]
fn a_forbidden_stream_id_cannot_be_published_until_resumed() {
    let sim = start();
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=s1&Sequence=1"), 0);
    assert_eq!(publish(&sim, "r1", "u1", "s1"), PUBLISH_REFUSED);
    assert_eq!(
        sim.try_publish_stream(APP, Env::Production, "r1", "u1", "s1"),
        Err(Refusal::StreamForbidden)
    );
    assert_eq!(publish(&sim, "r1", "u1", "s2"), OK);
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=s1&Sequence=2"), 0);
    assert_eq!(publish(&sim, "r1", "u1", "s1"), OK);
    // Another user's stream ID stays a 409 conflict, not a ban.
    assert_eq!(publish(&sim, "r1", "u2", "s1").0, 409);
}

#[test]
fn the_201st_user_rule_of_a_type_is_refused_with_50123() {
    let sim = start();
    for i in 0..200 {
        let biz = format!("RuleType=3&UserId=u{i}&DisabledPrivilege%5B%5D=2");
        assert_eq!(user_rule(&sim, &biz, 600), 0, "rule {i}");
    }
    let past = "RuleType=3&UserId=late&DisabledPrivilege%5B%5D=2";
    assert_eq!(user_rule(&sim, past, 600), 50123);
    // Renewing a rule in force is not one more; other types have their own cap.
    assert_eq!(
        user_rule(&sim, "RuleType=3&UserId=u7&DisabledPrivilege%5B%5D=2", 600),
        0
    );
    assert_eq!(
        user_rule(
            &sim,
            "RuleType=4&RoomId=r&UserId=late&DisabledPrivilege%5B%5D=2",
            600
        ),
        0
    );
    assert_eq!(sim.state(APP, Env::Production).user_rules.len(), 201);
    // Once rules lapse, there is room again.
    sim.clock().advance(Duration::from_secs(600));
    assert_eq!(user_rule(&sim, past, 600), 0);
}

#[test]
fn the_ip_rule_cap_is_100() {
    let sim = start();
    for i in 0..100 {
        let biz = format!("RuleType=1&IP=10.0.0.{i}&DisabledPrivilege%5B%5D=1");
        assert_eq!(user_rule(&sim, &biz, 600), 0, "rule {i}");
    }
    assert_eq!(
        user_rule(
            &sim,
            "RuleType=1&IP=10.0.1.1&DisabledPrivilege%5B%5D=1",
            600
        ),
        50123
    );
}
