//! Rate limiting on the manual clock.

mod common;

use std::time::Duration;

use common::*;
use zego_sim::{Env, RateGroup};

#[test]
fn forbid_quota_20_per_second() {
    let sim = builder().start().unwrap();
    for i in 0..20 {
        assert_eq!(
            code(
                &sim,
                "ForbidRTCStream",
                &format!("StreamId=s{i}&Sequence=1")
            ),
            0,
            "{i}"
        );
    }
    assert_eq!(
        code(&sim, "ResumeRTCStream", "StreamId=z&Sequence=1"),
        30002
    );
    // A rate-limited request is not applied.
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStreams",
            &format!("{}&Sequence=1", ids(&["late"]))
        ),
        30002
    );
    assert!(!sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("late"));
    // Other groups have their own buckets.
    assert_eq!(
        code(&sim, "DescribeRTCStreamState", "StreamId=s1&Sequence=2"),
        41004
    );
    sim.clock().advance(Duration::from_secs(1));
    for i in 0..20 {
        assert_eq!(
            code(
                &sim,
                "ForbidRTCStream",
                &format!("StreamId=t{i}&Sequence=1")
            ),
            0,
            "{i}"
        );
    }
    assert_eq!(
        code(&sim, "ForbidRTCStream", "StreamId=u&Sequence=1"),
        30002
    );
}

#[test]
fn test_env_and_rule_quotas() {
    let sim = builder().start().unwrap();
    let tid = format!("zegotest-{APP}-s");
    for i in 0..5 {
        assert_eq!(
            code(
                &sim,
                "ForbidRTCStream",
                &format!("StreamId={tid}&Sequence={i}&IsTest=true")
            ),
            0
        );
    }
    assert_eq!(
        code(
            &sim,
            "ForbidRTCStream",
            &format!("StreamId={tid}&Sequence=9&IsTest=true")
        ),
        30002
    );
    // production bucket untouched
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1"), 0);
    for _ in 0..10 {
        assert_eq!(code(&sim, "DelForbidStreamRule", "RoomId=r&StreamId=s"), 0);
    }
    assert_eq!(code(&sim, "DescribeForbidUserRules", ""), 206);
    for _ in 0..20 {
        assert_eq!(code(&sim, "ResumeCDNLiveStream", "StreamId=s"), 0);
    }
    assert_eq!(code(&sim, "QueryForbidCDNLiveStream", "Vendor=ws"), 30002);
    for _ in 0..10 {
        assert_eq!(
            code(
                &sim,
                "DescribeRTCStreamState",
                &format!("StreamId={tid}&Sequence=1&IsTest=true")
            ),
            41004
        );
    }
    assert_eq!(
        code(
            &sim,
            "DescribeRTCStreamState",
            &format!("StreamId={tid}&Sequence=1&IsTest=true")
        ),
        30002
    );
    for _ in 0..40 {
        assert_eq!(
            code(&sim, "DescribeRTCStreamState", "StreamId=s&Sequence=1"),
            41004
        );
    }
    assert_eq!(
        code(&sim, "DescribeRTCStreamState", "StreamId=s&Sequence=1"),
        30002
    );
}

#[test]
fn disabled_and_overridden() {
    let sim = start(); // rate_limit(false)
    for i in 0..60 {
        assert_eq!(
            code(&sim, "ForbidRTCStream", &format!("StreamId=s&Sequence={i}")),
            0
        );
    }
    let sim = builder().quota(RateGroup::ForbidResume, 2).start().unwrap();
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=a&Sequence=1"), 0);
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=b&Sequence=1"), 0);
    assert_eq!(
        code(&sim, "ForbidRTCStream", "StreamId=c&Sequence=1"),
        30002
    );
    sim.clock().advance(Duration::from_millis(500));
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=c&Sequence=1"), 0);
}
