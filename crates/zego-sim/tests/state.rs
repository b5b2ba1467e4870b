//! State semantics: Sequence rule, rule replacement and expiry, isolation, encodings.

mod common;

use std::time::Duration;

use common::*;
use serde_json::json;
use zego_sim::Env;

#[test]
fn forbid_resume_and_sequence_rule() {
    let sim = start();
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStreams",
            &format!("{}&Sequence=100", ids(&["a", "b", "a"]))
        ),
        0
    );
    let set = sim.forbidden_rtc_streams(APP, Env::Production);
    assert_eq!(set.iter().collect::<Vec<_>>(), vec!["a", "b"]);
    assert_eq!(sim.sequence_rejections(), 0);
    // Stale sequence within 10 s: answered 0, not applied, counted, logged.
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=a&Sequence=100"), 0);
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=a&Sequence=99"), 0);
    assert!(sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("a"));
    assert_eq!(sim.sequence_rejections(), 2);
    let log = sim.request_log();
    assert!(log[log.len() - 1].sequence_rejected);
    assert!(!log[0].sequence_rejected);
    // Integer comparison, not lexicographic: 1000 > 999.
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=a&Sequence=1000"), 0);
    assert!(!sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("a"));
    // Batch applies per stream: b (last 100) accepts 101, a (last 1000) rejects it.
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStreams",
            &format!("{}&Sequence=101", ids(&["a", "b", "c"]))
        ),
        0
    );
    let set = sim.forbidden_rtc_streams(APP, Env::Production);
    assert_eq!(set.iter().collect::<Vec<_>>(), vec!["b", "c"]);
    assert_eq!(sim.sequence_rejections(), 3);
    // 9.999 s later still enforced; at 10 s any sequence is accepted.
    sim.clock().advance(Duration::from_millis(9_999));
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=b&Sequence=1"), 0);
    assert!(sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("b"));
    sim.clock().advance(Duration::from_millis(1));
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=b&Sequence=1"), 0);
    assert!(!sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("b"));
    assert_eq!(sim.sequence_rejections(), 4);
    assert_eq!(sim.state(APP, Env::Production).sequences["b"].sequence, "1");
}

#[test]
fn rule_replacement_and_expiry() {
    let sim = start();
    let set = "SetForbidStreamRule";
    assert_eq!(
        code(
            &sim,
            set,
            "RoomId=r&StreamId=s&DisableAudio=1&EffectiveTime=100"
        ),
        0
    );
    sim.clock().advance(Duration::from_secs(50));
    assert_eq!(
        code(
            &sim,
            set,
            "RoomId=r&StreamId=s&DisableVideo=1&EffectiveTime=100"
        ),
        0
    );
    let d = call(&sim, "DescribeForbidStreamRules", "RoomId=r&StreamId=s");
    assert_eq!(
        d["Data"]["ForbidStreamRuleList"],
        json!([{"StreamId": "s", "DisableAudio": 0, "DisableVideo": 1, "CreateTime": 1_700_000_050, "EffectiveTime": 100}])
    );
    // Same stream in another room is a different rule.
    let other = call(&sim, "DescribeForbidStreamRules", "RoomId=r2&StreamId[]=s");
    assert_eq!(other["Data"]["ForbidStreamRuleList"][0]["CreateTime"], 0);
    sim.clock().advance(Duration::from_secs(99));
    assert_eq!(sim.state(APP, Env::Production).stream_rules.len(), 1);
    sim.clock().advance(Duration::from_secs(1));
    assert!(sim.state(APP, Env::Production).stream_rules.is_empty());
    let d = call(&sim, "DescribeForbidStreamRules", "RoomId=r&StreamId=s");
    assert_eq!(d["Data"]["ForbidStreamRuleList"][0]["DisableVideo"], 0);
    // Default duration 21600.
    assert_eq!(code(&sim, set, "RoomId=r&StreamId=s&DisableAudio=1"), 0);
    assert_eq!(
        sim.state(APP, Env::Production).stream_rules[0].effective_time,
        21_600
    );
}

#[test]
fn test_and_production_are_isolated() {
    let sim = start();
    let tid = format!("zegotest-{APP}-x");
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStream",
            &format!("StreamId={tid}&Sequence=1&IsTest=true")
        ),
        0
    );
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStream",
            "StreamId=x&Sequence=1&IsTest=false"
        ),
        0
    );
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStream",
            &format!("StreamId={}&Sequence=1&IsTest=true", "zegotest-1-x")
        ),
        30004
    );
    let test = sim.forbidden_rtc_streams(APP, Env::Test);
    let prod = sim.forbidden_rtc_streams(APP, Env::Production);
    assert_eq!(test.iter().collect::<Vec<_>>(), vec![&tid]);
    assert_eq!(prod.iter().collect::<Vec<_>>(), vec!["x"]);
    // Sequences are per environment too.
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStream",
            &format!("StreamId={tid}&Sequence=1")
        ),
        0
    );
    assert_eq!(sim.sequence_rejections(), 0);
}

#[test]
fn raw_and_encoded_brackets_both_work() {
    let sim = start();
    let q = query(
        &sim,
        "ForbidRTCStreams",
        "StreamId[]=raw1&StreamId%5B%5D=enc1&Sequence=5",
    );
    let resp = raw_http(&sim, &format!("/?{q}"));
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert!(resp.contains("\"Code\":0"), "{resp}");
    let set = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(set.contains("raw1") && set.contains("enc1"), "{set:?}");
    // Values are percent-decoded; '+' and %20 both mean a space.
    assert_eq!(
        code(&sim, "ForbidRTCStream", "StreamId=a%20b&Sequence=1"),
        0
    );
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=c+d&Sequence=1"), 0);
    assert_eq!(
        code(&sim, "ForbidRTCStream", "StreamId=%E4%B8%AD&Sequence=1"),
        0
    );
    let set = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(
        set.contains("a b") && set.contains("c d") && set.contains("中"),
        "{set:?}"
    );
}

#[test]
fn post_is_accepted() {
    let sim = start();
    let q = query(&sim, "ForbidRTCStream", "StreamId=p&Sequence=1");
    let url = format!("{}/?{q}", sim.base_url());
    let mut resp = agent(None).post(&url).send("").unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let body = resp.body_mut().read_to_string().unwrap();
    assert!(body.contains("\"Code\":0"));
    assert!(sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("p"));
}
