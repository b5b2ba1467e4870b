//! Property tests: the HTTP-free entry point never panics on arbitrary queries.

use proptest::prelude::*;
use zego_sim::fuzzing::FuzzTarget;

const SIGNED: &str = "AppId=1234567890&SignatureNonce=a1b2c3d4e5f60718&Timestamp=1700000000\
                      &Signature=c90a56c08221a571fbf3007d1d7300d6&SignatureVersion=2.0";

proptest! {
    #[test]
    fn arbitrary_queries(q in ".{0,200}") {
        let t = FuzzTarget::new();
        prop_assert!(t.handle(&q).is_some());
    }

    #[test]
    fn signed_queries_with_arbitrary_business_params(
        action in prop::sample::select(vec![
            "ForbidRTCStreams", "ResumeRTCStreams", "ForbidRTCStream", "ResumeRTCStream",
            "SetForbidStreamRule", "DescribeForbidStreamRules", "DelForbidStreamRule",
            "ForbidCDNLiveStream", "ResumeCDNLiveStream", "QueryForbidCDNLiveStream",
            "DescribeRTCStreamState", "SetForbidUserRule", "DescribeForbidUserRules",
            "DelForbidUserRule",
        ]),
        extra in prop::collection::vec(
            (prop::sample::select(vec![
                "StreamId", "StreamId[]", "StreamId%5B%5D", "Sequence", "RoomId", "DisableAudio",
                "DisableVideo", "EffectiveTime", "ResumeTime", "Vendor", "RuleType", "IP",
                "UserId", "DisabledPrivilege[]", "IsTest",
            ]), "[-0-9a-zA-Z%+:.]{0,12}"),
            0..8,
        ),
    ) {
        let t = FuzzTarget::new();
        let biz: Vec<String> = extra.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let q = format!("Action={action}&{}&{SIGNED}", biz.join("&"));
        let body = t.handle(&q).unwrap();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        prop_assert!(v["Code"].is_i64());
    }
}
