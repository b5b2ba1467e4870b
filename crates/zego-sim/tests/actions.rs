//! Parameter validation codes and success data shapes of every action.

mod common;

use common::*;
use serde_json::json;
use zego_sim::{Env, Simulator};

#[test]
fn batch_forbid_codes() {
    let sim = start();
    for action in ["ForbidRTCStreams", "ResumeRTCStreams"] {
        assert_eq!(code(&sim, action, "Sequence=1"), 30006);
        // plain StreamId is not the batch array
        assert_eq!(code(&sim, action, "StreamId=a&Sequence=1"), 30006);
        let many: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            code(&sim, action, &format!("{}&Sequence=1", ids(&many))),
            30006
        );
        assert_eq!(
            code(&sim, action, &format!("{}&Sequence=1", ids(&["a", ""]))),
            30009
        );
        let long = "x".repeat(257);
        assert_eq!(
            code(&sim, action, &format!("{}&Sequence=1", ids(&[&long]))),
            30009
        );
        assert_eq!(code(&sim, action, &ids(&["a"])), 2);
        assert_eq!(code(&sim, action, &format!("{}&Sequence=", ids(&["a"]))), 2);
        assert_eq!(
            code(
                &sim,
                action,
                &format!("{}&Sequence=1&IsTest=maybe", ids(&["a"]))
            ),
            30004
        );
        assert_eq!(
            code(
                &sim,
                action,
                &format!("{}&Sequence=1&IsTest=true", ids(&["a"]))
            ),
            30004
        );
    }
    // 20 IDs of 256 bytes are fine.
    let ok: Vec<String> = (0..20).map(|i| format!("{i:0>256}")).collect();
    let ok: Vec<&str> = ok.iter().map(String::as_str).collect();
    let v = call(
        &sim,
        "ForbidRTCStreams",
        &format!("{}&Sequence=1", ids(&ok)),
    );
    assert_eq!(code_of(&v), 0);
    assert!(v["Data"].is_null());
    assert!(v.as_object().unwrap().contains_key("Data"));
    assert_eq!(sim.forbidden_rtc_streams(APP, Env::Production).len(), 20);
}

#[test]
fn single_forbid_and_state_codes() {
    let sim = start();
    for action in [
        "ForbidRTCStream",
        "ResumeRTCStream",
        "DescribeRTCStreamState",
    ] {
        assert_eq!(code(&sim, action, "Sequence=1"), 30009);
        assert_eq!(code(&sim, action, "StreamId=&Sequence=1"), 30009);
        assert_eq!(
            code(
                &sim,
                action,
                &format!("StreamId={}&Sequence=1", "y".repeat(257))
            ),
            30009
        );
        assert_eq!(code(&sim, action, "StreamId=a"), 2);
        assert_eq!(
            code(&sim, action, "StreamId=a&Sequence=1&IsTest=true"),
            30004
        );
    }
    assert_eq!(
        code(&sim, "DescribeRTCStreamState", "StreamId=nope&Sequence=1"),
        41004
    );
    sim.set_stream_live(APP, Env::Production, "live1", 1_699_999_000);
    let v = call(&sim, "DescribeRTCStreamState", "StreamId=live1&Sequence=2");
    assert_eq!(code_of(&v), 0);
    assert_eq!(
        v["Data"],
        json!({"create_time": "1699999000", "close_time": "0"})
    );
    sim.set_stream_closed(APP, Env::Production, "live1", 1_699_999_500);
    let v = call(&sim, "DescribeRTCStreamState", "StreamId=live1&Sequence=3");
    assert_eq!(
        v["Data"],
        json!({"create_time": "1699999000", "close_time": "1699999500"})
    );
    // Test env state is separate.
    let tid = format!("zegotest-{APP}-live1");
    assert_eq!(
        code(
            &sim,
            "DescribeRTCStreamState",
            &format!("StreamId={tid}&Sequence=1&IsTest=true")
        ),
        41004
    );
    sim.set_stream_live(APP, Env::Test, &tid, 5);
    assert_eq!(
        code(
            &sim,
            "DescribeRTCStreamState",
            &format!("StreamId={tid}&Sequence=1&IsTest=true")
        ),
        0
    );
}

#[test]
fn stream_rule_codes() {
    let sim = start();
    let a = "SetForbidStreamRule";
    assert_eq!(code(&sim, a, "StreamId=s&DisableAudio=1"), 2);
    assert_eq!(code(&sim, a, "RoomId=&StreamId=s&DisableAudio=1"), 2);
    assert_eq!(code(&sim, a, "RoomId=r&DisableAudio=1"), 2);
    assert_eq!(
        code(
            &sim,
            a,
            &format!("RoomId=r&StreamId={}&DisableAudio=1", "z".repeat(257))
        ),
        3
    );
    assert_eq!(
        code(
            &sim,
            a,
            &format!("RoomId=r&StreamId={}&DisableAudio=1", "z".repeat(256))
        ),
        0
    );
    assert_eq!(code(&sim, a, "RoomId=r&StreamId=s"), 2);
    assert_eq!(
        code(&sim, a, "RoomId=r&StreamId=s&DisableAudio=0&DisableVideo=0"),
        2
    );
    assert_eq!(code(&sim, a, "RoomId=r&StreamId=s&DisableAudio=2"), 2);
    assert_eq!(code(&sim, a, "RoomId=r&StreamId=s&DisableVideo=yes"), 2);
    assert_eq!(
        code(
            &sim,
            a,
            "RoomId=r&StreamId=s&DisableAudio=1&EffectiveTime=0"
        ),
        2
    );
    assert_eq!(
        code(
            &sim,
            a,
            "RoomId=r&StreamId=s&DisableAudio=1&EffectiveTime=-5"
        ),
        2
    );
    assert_eq!(
        code(
            &sim,
            a,
            "RoomId=r&StreamId=s&DisableAudio=1&EffectiveTime=1.5"
        ),
        2
    );
    assert_eq!(
        code(&sim, a, "RoomId=r&StreamId=s&DisableAudio=1&IsTest=true"),
        30004
    );
    let v = call(
        &sim,
        a,
        "RoomId=r&StreamId=s&DisableVideo=1&EffectiveTime=100000",
    );
    assert_eq!(code_of(&v), 0);
    assert!(!v.as_object().unwrap().contains_key("Data"), "{v}");
    let d = "DescribeForbidStreamRules";
    assert_eq!(code(&sim, d, "StreamId%5B%5D=s"), 2);
    assert_eq!(code(&sim, d, "RoomId=r"), 2);
    let eleven: Vec<String> = (0..11).map(|i| format!("s{i}")).collect();
    let eleven: Vec<&str> = eleven.iter().map(String::as_str).collect();
    assert_eq!(code(&sim, d, &format!("RoomId=r&{}", ids(&eleven))), 2);
    assert_eq!(
        code(&sim, d, &format!("RoomId=r&{}", ids(&eleven[..10]))),
        0
    );
    assert_eq!(code(&sim, d, &format!("RoomId=r&{}", ids(&[""]))), 2);
    assert_eq!(
        code(&sim, d, &format!("RoomId=r&{}", ids(&[&"q".repeat(257)]))),
        3
    );
    let v = call(&sim, d, "RoomId=r&StreamId%5B%5D=s&StreamId%5B%5D=unknown");
    assert_eq!(
        v["Data"],
        json!({"RoomId": "r", "ForbidStreamRuleList": [
            {"StreamId": "s", "DisableAudio": 0, "DisableVideo": 1, "CreateTime": 1_700_000_000, "EffectiveTime": 86400},
            {"StreamId": "unknown", "DisableAudio": 0, "DisableVideo": 0, "CreateTime": 0, "EffectiveTime": 0},
        ]})
    );
    let del = "DelForbidStreamRule";
    assert_eq!(code(&sim, del, "StreamId=s"), 2);
    assert_eq!(code(&sim, del, "RoomId=r"), 2);
    assert_eq!(
        code(&sim, del, &format!("RoomId=r&StreamId={}", "z".repeat(257))),
        3
    );
    assert_eq!(code(&sim, del, "RoomId=r&StreamId=never-set"), 0);
    let v = call(&sim, del, "RoomId=r&StreamId=s");
    assert_eq!(code_of(&v), 0);
    assert!(!v.as_object().unwrap().contains_key("Data"));
}

#[test]
fn cdn_codes_and_shapes() {
    let sim = start();
    assert_eq!(code(&sim, "ForbidCDNLiveStream", ""), 30009);
    assert_eq!(
        code(&sim, "ForbidCDNLiveStream", "StreamId=c&IsTest=true"),
        30004
    );
    assert_eq!(
        code(
            &sim,
            "ForbidCDNLiveStream",
            "StreamId=c&ResumeTime=tomorrow"
        ),
        2
    );
    assert_eq!(
        code(
            &sim,
            "ForbidCDNLiveStream",
            "StreamId=c&ResumeTime=2018-11-29T19%3A00%3A00Z"
        ),
        2
    );
    let v = call(
        &sim,
        "ForbidCDNLiveStream",
        "StreamId=c&ResumeTime=2023-11-15T00%3A00%3A00Z",
    );
    assert_eq!(code_of(&v), 0);
    assert_eq!(v["Data"][0]["CdnType"], "ws");
    assert!(v["Data"][0]["CdnResult"].is_string());
    assert_eq!(code(&sim, "ForbidCDNLiveStream", "StreamId=d"), 0);
    assert_eq!(code(&sim, "QueryForbidCDNLiveStream", ""), 2);
    assert_eq!(code(&sim, "QueryForbidCDNLiveStream", "Vendor=ali"), 2);
    let v = call(&sim, "QueryForbidCDNLiveStream", "Vendor=ws");
    let list = v["Data"]["Ws"]["ResultDetail"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["StartTime"], "1700000000");
    assert_eq!(list[0]["EndTime"], "1700006400");
    assert_eq!(list[1]["EndTime"], "1700086400");
    assert!(list[0]["Url"].as_str().unwrap().ends_with("/c"));
    assert!(list[0]["Channel"].is_string());
    assert_eq!(code(&sim, "ResumeCDNLiveStream", ""), 30009);
    let v = call(&sim, "ResumeCDNLiveStream", "StreamId=c");
    assert_eq!(v["Data"][0]["CdnType"], "ws");
    assert_eq!(sim.state(APP, Env::Production).cdn_forbids.len(), 1);
    // expiry at ResumeTime / default one day
    sim.clock().advance(std::time::Duration::from_secs(86_400));
    assert!(sim.state(APP, Env::Production).cdn_forbids.is_empty());
}

#[test]
fn user_rule_codes_and_shapes() {
    let sim = start();
    let s = "SetForbidUserRule";
    assert_eq!(code(&sim, s, "IP=1.2.3.4&DisabledPrivilege%5B%5D=1"), 2);
    assert_eq!(
        code(&sim, s, "RuleType=5&IP=1.2.3.4&DisabledPrivilege%5B%5D=1"),
        2
    );
    assert_eq!(code(&sim, s, "RuleType=1&DisabledPrivilege%5B%5D=1"), 2);
    assert_eq!(code(&sim, s, "RuleType=2&DisabledPrivilege%5B%5D=1"), 2);
    assert_eq!(
        code(&sim, s, "RuleType=3&RoomId=r&DisabledPrivilege%5B%5D=1"),
        2
    );
    assert_eq!(
        code(&sim, s, "RuleType=4&RoomId=r&DisabledPrivilege%5B%5D=1"),
        2
    );
    assert_eq!(code(&sim, s, "RuleType=1&IP=1.2.3.4"), 2);
    assert_eq!(
        code(&sim, s, "RuleType=1&IP=1.2.3.4&DisabledPrivilege%5B%5D=3"),
        2
    );
    assert_eq!(
        code(
            &sim,
            s,
            "RuleType=1&IP=1.2.3.4&DisabledPrivilege%5B%5D=1&EffectiveTime=0"
        ),
        2
    );
    let v = call(&sim, s, "RuleType=4&RoomId=r&UserId=u&DisabledPrivilege%5B%5D=2&DisabledPrivilege%5B%5D=1&EffectiveTime=60");
    assert_eq!(code_of(&v), 0);
    assert_eq!(v["Data"], json!({"ExpireTime": 1_700_000_060}));
    let v = call(&sim, s, "RuleType=1&IP=1.2.3.4&DisabledPrivilege%5B%5D=1");
    assert_eq!(v["Data"]["ExpireTime"], 1_700_021_600);
    let d = "DescribeForbidUserRules";
    assert_eq!(code(&sim, d, "RuleType=9"), 2);
    let v = call(&sim, d, "RuleType=4");
    assert_eq!(
        v["Data"],
        json!({"RuleList": [{"RuleType": 4, "IP": "", "RoomId": "r", "UserId": "u",
            "DisabledPrivilegeList": [1, 2], "ExpireTime": 1_700_000_060}]})
    );
    assert_eq!(
        call(&sim, d, "")["Data"]["RuleList"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let del = "DelForbidUserRule";
    assert_eq!(code(&sim, del, "RuleType=4&RoomId=r"), 2);
    assert_eq!(code(&sim, del, "RuleType=3&UserId=nobody"), 0);
    let v = call(&sim, del, "RuleType=1&IP=1.2.3.4");
    assert_eq!(code_of(&v), 0);
    assert!(!v.as_object().unwrap().contains_key("Data"));
    assert_eq!(sim.state(APP, Env::Production).user_rules.len(), 1);
    sim.clock().advance(std::time::Duration::from_secs(60));
    assert_eq!(call(&sim, d, "")["Data"]["RuleList"], json!([]));
}

#[test]
fn permission_not_enabled_is_9() {
    let sim = Simulator::builder()
        .app_without_rule_permission(APP, SECRET)
        .rate_limit(false)
        .clock(zego_sim::SimClock::manual(T0_MS))
        .start()
        .unwrap();
    for (a, biz) in [
        ("SetForbidStreamRule", "RoomId=r&StreamId=s&DisableAudio=1"),
        ("DescribeForbidStreamRules", "RoomId=r&StreamId%5B%5D=s"),
        ("DelForbidStreamRule", "RoomId=r&StreamId=s"),
        ("ForbidCDNLiveStream", "StreamId=s"),
        ("ResumeCDNLiveStream", "StreamId=s"),
        ("QueryForbidCDNLiveStream", "Vendor=ws"),
        (
            "SetForbidUserRule",
            "RuleType=3&UserId=u&DisabledPrivilege%5B%5D=1",
        ),
        ("DescribeForbidUserRules", ""),
        ("DelForbidUserRule", "RuleType=3&UserId=u"),
    ] {
        assert_eq!(code(&sim, a, biz), 9, "{a}");
    }
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1"), 0);
    assert!(sim.state(APP, Env::Production).stream_rules.is_empty());
}
