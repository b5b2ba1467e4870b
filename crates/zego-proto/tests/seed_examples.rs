//! The vendor's own examples (the seed pages in `docs/spec/seeds/` and the wire
//! spec), reproduced through the public API: requests, answers, the test environment
//! and the known-answer signatures.

use rand::rngs::SmallRng;
use rand::SeedableRng;
use zego_proto::ops::{
    CdnForbidResult, CdnVendor, DelForbidStreamRule, DelForbidUserRule, DescribeForbidStreamRules,
    DescribeForbidUserRules, DescribeRtcStreamState, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan, QueryForbidCdnLiveStream,
    RawOperation, ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams, SetForbidStreamRule,
    SetForbidUserRule, StreamRule, UserRule, UserRuleTarget, UserRuleType,
};
use zego_proto::wire::{
    decode_query, parse_response, prepare, prepare_with_nonce, sign, test_stream_prefix,
    HttpRequest, HttpResponse, Nonce, ResponseError,
};
use zego_proto::{AppId, Config, Credentials, Endpoint, Environment, Operation, Sequence};

const SECRET: &str = "9193cc662a4c0ec135ec71fb57194b38";
const TIMESTAMP: u64 = 1_615_186_943;
/// The answer printed on the ForbidRTCStreams page.
const EXAMPLE_OK: &str =
    r#"{"Code":0,"Message":"ok","RequestId":"1929203990360298509","Data":null}"#;

type Params = Vec<(String, String)>;

fn creds(app_id: u32) -> Credentials {
    Credentials::new(app_id, SECRET).unwrap()
}

fn production() -> Config {
    Config::new(Endpoint::Unified)
}

fn test_env() -> Config {
    Config::new(Endpoint::Unified).with_environment(Environment::Test)
}

fn prepared<O: Operation>(op: &O, config: &Config, app_id: u32) -> HttpRequest {
    let mut rng = SmallRng::seed_from_u64(7);
    prepare(op, config, &creds(app_id), TIMESTAMP, &mut rng).unwrap()
}

fn params_of(request: &HttpRequest) -> Params {
    decode_query(request.url()).unwrap()
}

fn keys(params: &[(String, String)]) -> Vec<&str> {
    params.iter().map(|(k, _)| k.as_str()).collect()
}

fn pairs(list: &[(&str, &str)]) -> Params {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Checks the common parameters that follow the business ones and returns the business
/// parameters (everything from `Action` up to `AppId`).
fn split_common(params: &[(String, String)], app_id: u32, test: bool) -> Params {
    let app = params
        .iter()
        .position(|(k, _)| k == "AppId")
        .expect("AppId is sent");
    let (business, common) = params.split_at(app);
    let mut expected_keys = vec![
        "AppId",
        "SignatureNonce",
        "Timestamp",
        "Signature",
        "SignatureVersion",
    ];
    if test {
        expected_keys.push("IsTest");
    }
    assert_eq!(keys(common), expected_keys);
    assert_eq!(common[0].1, app_id.to_string());
    let nonce = &common[1].1;
    assert_eq!(nonce.len(), 16, "{nonce}");
    assert!(
        nonce
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
        "{nonce}"
    );
    assert_eq!(common[2].1, TIMESTAMP.to_string());
    let expected_signature = sign(
        AppId::new(app_id),
        &nonce.parse::<Nonce>().unwrap(),
        creds(app_id).secret(),
        TIMESTAMP,
    );
    assert_eq!(common[3].1, expected_signature.expose());
    assert_eq!(common[4].1, "2.0");
    if test {
        assert_eq!(common[5].1, "true");
    }
    business.to_vec()
}

// ---------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------

#[test]
fn forbid_rtc_streams_reproduces_the_vendor_example() {
    let op = ForbidRtcStreams::new(["rtc01", "rtc02"])
        .unwrap()
        .with_sequence(Sequence::new(1617249600001));
    let request = prepared(&op, &production(), 12345);
    assert!(
        request
            .url()
            .starts_with("https://rtc-api.zego.im/?Action=ForbidRTCStreams&"),
        "{}",
        request.url()
    );
    let params = params_of(&request);
    assert_eq!(
        keys(&params),
        [
            "Action",
            "StreamId[]",
            "StreamId[]",
            "Sequence",
            "AppId",
            "SignatureNonce",
            "Timestamp",
            "Signature",
            "SignatureVersion",
        ]
    );
    let business = split_common(&params, 12345, false);
    assert_eq!(
        business,
        pairs(&[
            ("Action", "ForbidRTCStreams"),
            ("StreamId[]", "rtc01"),
            ("StreamId[]", "rtc02"),
            ("Sequence", "1617249600001"),
        ])
    );

    // The vendor's example URL, brackets raw as printed on the page, decodes to the same
    // business parameters.
    let vendor = "https://rtc-api.zego.im/?Action=ForbidRTCStreams\
                  &StreamId[]=rtc01\
                  &StreamId[]=rtc02\
                  &Sequence=1617249600001";
    assert_eq!(decode_query(vendor).unwrap(), business);
    // The SDK percent-encodes the brackets (the spec's decision).
    assert!(request
        .url()
        .contains("&StreamId%5B%5D=rtc01&StreamId%5B%5D=rtc02&"));
}

#[test]
fn resume_and_single_stream_actions_follow_the_same_layout() {
    let seq = Sequence::new(1617249600002);
    let resume = ResumeRtcStreams::new(["rtc01", "rtc02"])
        .unwrap()
        .with_sequence(seq);
    let business = split_common(
        &params_of(&prepared(&resume, &production(), 12345)),
        12345,
        false,
    );
    assert_eq!(
        business,
        pairs(&[
            ("Action", "ResumeRTCStreams"),
            ("StreamId[]", "rtc01"),
            ("StreamId[]", "rtc02"),
            ("Sequence", "1617249600002"),
        ])
    );
    for (action, request) in [
        (
            "ForbidRTCStream",
            prepared(
                &ForbidRtcStream::new("rtc01").unwrap().with_sequence(seq),
                &production(),
                1,
            ),
        ),
        (
            "ResumeRTCStream",
            prepared(
                &ResumeRtcStream::new("rtc01").unwrap().with_sequence(seq),
                &production(),
                1,
            ),
        ),
        (
            "DescribeRTCStreamState",
            prepared(
                &DescribeRtcStreamState::new("rtc01")
                    .unwrap()
                    .with_sequence(seq),
                &production(),
                1,
            ),
        ),
    ] {
        assert_eq!(
            split_common(&params_of(&request), 1, false),
            pairs(&[
                ("Action", action),
                ("StreamId", "rtc01"),
                ("Sequence", "1617249600002"),
            ])
        );
    }
}

#[test]
fn set_forbid_stream_rule_example() {
    let op = SetForbidStreamRule::new(
        "room1",
        "stream1",
        MediaBan::Audio,
        EffectiveTime::new(3600).unwrap(),
    )
    .unwrap();
    let request = prepared(&op, &production(), 12345);
    assert!(request
        .url()
        .starts_with("https://rtc-api.zego.im/?Action=SetForbidStreamRule&"));
    let params = params_of(&request);
    assert_eq!(
        split_common(&params, 12345, false),
        pairs(&[
            ("Action", "SetForbidStreamRule"),
            ("RoomId", "room1"),
            ("StreamId", "stream1"),
            ("DisableAudio", "1"),
            ("DisableVideo", "0"),
            ("EffectiveTime", "3600"),
        ])
    );

    // Every ban maps to its two flags; the default duration is ZEGO's 21600 s.
    for (ban, audio, video) in [
        (MediaBan::Audio, "1", "0"),
        (MediaBan::Video, "0", "1"),
        (MediaBan::AudioAndVideo, "1", "1"),
    ] {
        let op =
            SetForbidStreamRule::new("room1", "stream1", ban, EffectiveTime::default()).unwrap();
        let business = split_common(
            &params_of(&prepared(&op, &production(), 12345)),
            12345,
            false,
        );
        assert_eq!(business[3], ("DisableAudio".to_owned(), audio.to_owned()));
        assert_eq!(business[4], ("DisableVideo".to_owned(), video.to_owned()));
        assert_eq!(
            business[5],
            ("EffectiveTime".to_owned(), "21600".to_owned())
        );
    }
    // The documented range ends.
    for secs in [1, 86_400] {
        let op =
            SetForbidStreamRule::new("r", "s", MediaBan::Video, EffectiveTime::new(secs).unwrap())
                .unwrap();
        let business = split_common(&params_of(&prepared(&op, &production(), 1)), 1, false);
        assert_eq!(business[5].1, secs.to_string());
    }
}

#[test]
#[allow(clippy::too_many_lines)] // One case per action.
fn the_other_actions_send_their_documented_parameters() {
    let cases: Vec<(HttpRequest, Params)> = vec![
        (
            prepared(
                &DescribeForbidStreamRules::new("room1", ["s1", "s2"]).unwrap(),
                &production(),
                9,
            ),
            pairs(&[
                ("Action", "DescribeForbidStreamRules"),
                ("RoomId", "room1"),
                ("StreamId[]", "s1"),
                ("StreamId[]", "s2"),
            ]),
        ),
        (
            prepared(
                &DelForbidStreamRule::new("room1", "s1").unwrap(),
                &production(),
                9,
            ),
            pairs(&[
                ("Action", "DelForbidStreamRule"),
                ("RoomId", "room1"),
                ("StreamId", "s1"),
            ]),
        ),
        (
            prepared(
                &ForbidCdnLiveStream::new("live1")
                    .unwrap()
                    .resume_at("2018-11-29T19:00:00Z")
                    .unwrap(),
                &production(),
                9,
            ),
            pairs(&[
                ("Action", "ForbidCDNLiveStream"),
                ("StreamId", "live1"),
                ("ResumeTime", "2018-11-29T19:00:00Z"),
            ]),
        ),
        (
            prepared(
                &ForbidCdnLiveStream::new("live1").unwrap(),
                &production(),
                9,
            ),
            pairs(&[("Action", "ForbidCDNLiveStream"), ("StreamId", "live1")]),
        ),
        (
            prepared(
                &ResumeCdnLiveStream::new("live1").unwrap(),
                &production(),
                9,
            ),
            pairs(&[("Action", "ResumeCDNLiveStream"), ("StreamId", "live1")]),
        ),
        (
            prepared(
                &QueryForbidCdnLiveStream::new(CdnVendor::WangSu),
                &production(),
                9,
            ),
            pairs(&[("Action", "QueryForbidCDNLiveStream"), ("Vendor", "ws")]),
        ),
        (
            prepared(
                &SetForbidUserRule::new(
                    UserRuleTarget::room_user("room1", "user9").unwrap(),
                    [
                        DisabledPrivilege::Publish,
                        DisabledPrivilege::Login,
                        DisabledPrivilege::Publish,
                    ],
                    EffectiveTime::new(600).unwrap(),
                )
                .unwrap(),
                &production(),
                9,
            ),
            pairs(&[
                ("Action", "SetForbidUserRule"),
                ("RuleType", "4"),
                ("RoomId", "room1"),
                ("UserId", "user9"),
                ("DisabledPrivilege[]", "1"),
                ("DisabledPrivilege[]", "2"),
                ("EffectiveTime", "600"),
            ]),
        ),
        (
            prepared(
                &DescribeForbidUserRules::new(UserRuleType::User),
                &production(),
                9,
            ),
            pairs(&[("Action", "DescribeForbidUserRules"), ("RuleType", "3")]),
        ),
        (
            prepared(
                &DelForbidUserRule::new(UserRuleTarget::ip("203.0.113.7").unwrap()),
                &production(),
                9,
            ),
            pairs(&[
                ("Action", "DelForbidUserRule"),
                ("RuleType", "1"),
                ("IP", "203.0.113.7"),
            ]),
        ),
    ];
    for (request, expected) in cases {
        assert_eq!(
            split_common(&params_of(&request), 9, false),
            expected,
            "{request:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Answers
// ---------------------------------------------------------------------------------------

fn ok_with(data: &str) -> HttpResponse {
    HttpResponse::new(
        200,
        format!(r#"{{"Code":0,"Message":"ok","RequestId":"1929203990360298509","Data":{data}}}"#),
    )
}

fn assert_unit_example<O: Operation<Output = ()>>(op: &O) {
    let example = HttpResponse::new(200, EXAMPLE_OK);
    let response = parse_response(op, &example).unwrap();
    assert_eq!(response.request_id, "1929203990360298509");
    assert_eq!(response.message, "ok");
    // `Data` absent (the rule actions answer without it) is the same success.
    let absent = HttpResponse::new(
        200,
        r#"{"Code":0,"Message":"success","RequestId":"1929203990360298509"}"#,
    );
    let response = parse_response(op, &absent).unwrap();
    assert_eq!(response.message, "success");
}

#[test]
fn the_example_answer_parses_for_every_action_without_data() {
    let seq = Sequence::new(1617249600001);
    assert_unit_example(
        &ForbidRtcStreams::new(["rtc01", "rtc02"])
            .unwrap()
            .with_sequence(seq),
    );
    assert_unit_example(
        &ResumeRtcStreams::new(["rtc01", "rtc02"])
            .unwrap()
            .with_sequence(seq),
    );
    assert_unit_example(&ForbidRtcStream::new("rtc01").unwrap().with_sequence(seq));
    assert_unit_example(&ResumeRtcStream::new("rtc01").unwrap().with_sequence(seq));
    assert_unit_example(
        &SetForbidStreamRule::new("room1", "s1", MediaBan::Video, EffectiveTime::default())
            .unwrap(),
    );
    assert_unit_example(&DelForbidStreamRule::new("room1", "s1").unwrap());
    assert_unit_example(&DelForbidUserRule::new(UserRuleTarget::user("u1").unwrap()));
}

#[test]
fn the_example_answer_with_a_failure_code_is_an_api_error() {
    let op = ForbidRtcStreams::new(["rtc01"])
        .unwrap()
        .with_sequence(Sequence::new(1));
    let body = r#"{"Code":30006,"Message":"invalid stream id list","RequestId":"1929203990360298509","Data":null}"#;
    match parse_response(&op, &HttpResponse::new(200, body)) {
        Err(ResponseError::Api(e)) => {
            assert_eq!(e.code.code(), 30006);
            assert_eq!(e.message, "invalid stream id list");
            assert_eq!(e.request_id, "1929203990360298509");
            assert_eq!(e.http_status, 200);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn describe_forbid_stream_rules_data() {
    let op = DescribeForbidStreamRules::new("room1", ["s1", "unknown"]).unwrap();
    let data = r#"{"RoomId":"room1","ForbidStreamRuleList":[
        {"StreamId":"s1","DisableAudio":1,"DisableVideo":0,"CreateTime":1700000000,"EffectiveTime":3600},
        {"StreamId":"unknown","DisableAudio":0,"DisableVideo":0,"CreateTime":0,"EffectiveTime":0}]}"#;
    let rules = parse_response(&op, &ok_with(data)).unwrap().data;
    assert_eq!(rules.room_id, "room1");
    assert_eq!(
        rules.rules,
        vec![
            StreamRule {
                stream_id: "s1".into(),
                disable_audio: true,
                disable_video: false,
                create_time: 1_700_000_000,
                effective_time: 3600,
            },
            StreamRule {
                stream_id: "unknown".into(),
                ..StreamRule::default()
            },
        ]
    );
    assert!(!rules.rules[0].is_empty());
    assert!(
        rules.rules[1].is_empty(),
        "an unknown stream's entry is all zero"
    );

    // Numbers sent as strings (and a numeric stream ID) mean the same.
    let strings = r#"{"RoomId":"room1","ForbidStreamRuleList":[
        {"StreamId":"s1","DisableAudio":"1","DisableVideo":"0","CreateTime":"1700000000","EffectiveTime":"3600"},
        {"StreamId":"unknown","DisableAudio":"0","DisableVideo":"0","CreateTime":"0","EffectiveTime":"0"}]}"#;
    assert_eq!(parse_response(&op, &ok_with(strings)).unwrap().data, rules);
    // Flags as booleans, and empty or null numbers, too.
    let loose = r#"{"RoomId":"room1","ForbidStreamRuleList":[
        {"StreamId":"s1","DisableAudio":true,"DisableVideo":false,"CreateTime":1700000000,"EffectiveTime":3600},
        {"StreamId":"unknown","DisableAudio":"","DisableVideo":null,"CreateTime":"","EffectiveTime":null}]}"#;
    assert_eq!(parse_response(&op, &ok_with(loose)).unwrap().data, rules);
    let numeric_id = r#"{"RoomId":42,"ForbidStreamRuleList":[{"StreamId":12345,"DisableAudio":0,"DisableVideo":1,"CreateTime":1,"EffectiveTime":2}]}"#;
    let parsed = parse_response(&op, &ok_with(numeric_id)).unwrap().data;
    assert_eq!(parsed.room_id, "42");
    assert_eq!(parsed.rules[0].stream_id, "12345");
    assert!(parsed.rules[0].disable_video && !parsed.rules[0].disable_audio);
    // A rule banning only video is not empty, even with zero times.
    let video_only = StreamRule {
        disable_video: true,
        ..StreamRule::default()
    };
    assert!(!video_only.is_empty());

    // `null` Data is an empty answer, not an error.
    assert!(parse_response(&op, &ok_with("null"))
        .unwrap()
        .data
        .rules
        .is_empty());
    // A shape that is not the documented one is a Data error carrying the RequestId.
    match parse_response(&op, &ok_with(r#"{"ForbidStreamRuleList":"nope"}"#)) {
        Err(ResponseError::Data { request_id, .. }) => {
            assert_eq!(request_id, "1929203990360298509");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cdn_forbid_and_resume_data() {
    let data = r#"[{"CdnType":"ws","CdnResult":"{\"result\":\"success\"}"},{"CdnType":"tx","CdnResult":"ok"}]"#;
    let expected = vec![
        CdnForbidResult {
            cdn_type: "ws".into(),
            cdn_result: r#"{"result":"success"}"#.into(),
        },
        CdnForbidResult {
            cdn_type: "tx".into(),
            cdn_result: "ok".into(),
        },
    ];
    let forbid = ForbidCdnLiveStream::new("live1").unwrap();
    let resume = ResumeCdnLiveStream::new("live1").unwrap();
    assert_eq!(
        parse_response(&forbid, &ok_with(data)).unwrap().data,
        expected
    );
    assert_eq!(
        parse_response(&resume, &ok_with(data)).unwrap().data,
        expected
    );
    // Numbers where strings were documented.
    let numbers = r#"[{"CdnType":1,"CdnResult":0}]"#;
    assert_eq!(
        parse_response(&forbid, &ok_with(numbers)).unwrap().data,
        vec![CdnForbidResult {
            cdn_type: "1".into(),
            cdn_result: "0".into()
        }]
    );
    assert!(parse_response(&resume, &ok_with("null"))
        .unwrap()
        .data
        .is_empty());
}

#[test]
fn query_forbid_cdn_live_stream_data() {
    let op = QueryForbidCdnLiveStream::new(CdnVendor::WangSu);
    let data = r#"{"Ws":{"ResultDetail":[
        {"Channel":"live.example.com/app/stream1","Url":"rtmp://live.example.com/app/stream1","StartTime":"2018-11-29 18:00:00","EndTime":"2018-11-29 19:00:00"}]}}"#;
    let list = parse_response(&op, &ok_with(data)).unwrap().data;
    assert_eq!(list.ws.result_detail.len(), 1);
    let detail = &list.ws.result_detail[0];
    assert_eq!(detail.channel, "live.example.com/app/stream1");
    assert_eq!(detail.url, "rtmp://live.example.com/app/stream1");
    assert_eq!(detail.start_time, "2018-11-29 18:00:00");
    assert_eq!(detail.end_time, "2018-11-29 19:00:00");
    // Times as Unix numbers are kept verbatim as text.
    let numbers = r#"{"Ws":{"ResultDetail":[{"Channel":"c","Url":"u","StartTime":1543514400,"EndTime":1543518000}]}}"#;
    let list = parse_response(&op, &ok_with(numbers)).unwrap().data;
    assert_eq!(list.ws.result_detail[0].start_time, "1543514400");
    assert_eq!(list.ws.result_detail[0].end_time, "1543518000");
    assert!(parse_response(&op, &ok_with("null"))
        .unwrap()
        .data
        .ws
        .result_detail
        .is_empty());
}

#[test]
fn describe_rtc_stream_state_data() {
    let op = DescribeRtcStreamState::new("rtc01")
        .unwrap()
        .with_sequence(Sequence::new(1));
    let live = parse_response(
        &op,
        &ok_with(r#"{"create_time":"1700000000","close_time":"0"}"#),
    )
    .unwrap()
    .data;
    assert_eq!(live.create_time, "1700000000");
    assert_eq!(live.create_time_secs(), Some(1_700_000_000));
    assert_eq!(live.close_time_secs(), Some(0));
    assert!(live.is_live());

    let closed = parse_response(
        &op,
        &ok_with(r#"{"create_time":1700000000,"close_time":1700000100}"#),
    )
    .unwrap()
    .data;
    assert_eq!(closed.create_time, "1700000000");
    assert_eq!(closed.close_time_secs(), Some(1_700_000_100));
    assert!(!closed.is_live());

    let never = parse_response(&op, &ok_with(r#"{"create_time":"0","close_time":"0"}"#))
        .unwrap()
        .data;
    assert!(!never.is_live());

    // The state is the whole point of the call: a missing Data is an error.
    for body in [
        ok_with("null"),
        HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"5"}"#),
    ] {
        assert!(
            matches!(parse_response(&op, &body), Err(ResponseError::Data { .. })),
            "{body:?}"
        );
    }
}

#[test]
fn set_forbid_user_rule_data() {
    let op = SetForbidUserRule::new(
        UserRuleTarget::user("cheater42").unwrap(),
        [DisabledPrivilege::Login],
        EffectiveTime::new(3600).unwrap(),
    )
    .unwrap();
    for data in [
        r#"{"ExpireTime":1700003600}"#,
        r#"{"ExpireTime":"1700003600"}"#,
    ] {
        assert_eq!(
            parse_response(&op, &ok_with(data))
                .unwrap()
                .data
                .expire_time,
            1_700_003_600,
            "{data}"
        );
    }
}

#[test]
fn describe_forbid_user_rules_data() {
    let op = DescribeForbidUserRules::new(UserRuleType::User);
    let data = r#"{"RuleList":[
        {"RuleType":3,"IP":"","RoomId":"","UserId":"cheater42","DisabledPrivilegeList":[1,2],"ExpireTime":1700003600},
        {"RuleType":1,"IP":"203.0.113.7","RoomId":"","UserId":"","DisabledPrivilegeList":[1],"ExpireTime":1700000600}]}"#;
    let expected = vec![
        UserRule {
            rule_type: 3,
            user_id: "cheater42".into(),
            disabled_privileges: vec![1, 2],
            expire_time: 1_700_003_600,
            ..UserRule::default()
        },
        UserRule {
            rule_type: 1,
            ip: "203.0.113.7".into(),
            disabled_privileges: vec![1],
            expire_time: 1_700_000_600,
            ..UserRule::default()
        },
    ];
    assert_eq!(
        parse_response(&op, &ok_with(data)).unwrap().data.rules,
        expected
    );
    // Scalars sent as strings, and ids sent as numbers.
    let strings = r#"{"RuleList":[
        {"RuleType":"3","IP":"","RoomId":"","UserId":"cheater42","DisabledPrivilegeList":[1,2],"ExpireTime":"1700003600"},
        {"RuleType":"1","IP":"203.0.113.7","RoomId":null,"UserId":null,"DisabledPrivilegeList":[1],"ExpireTime":"1700000600"}]}"#;
    assert_eq!(
        parse_response(&op, &ok_with(strings)).unwrap().data.rules,
        expected
    );
    let numeric_user =
        r#"{"RuleList":[{"RuleType":3,"UserId":42,"DisabledPrivilegeList":[2],"ExpireTime":5}]}"#;
    assert_eq!(
        parse_response(&op, &ok_with(numeric_user))
            .unwrap()
            .data
            .rules[0]
            .user_id,
        "42"
    );
    assert!(parse_response(&op, &ok_with("null"))
        .unwrap()
        .data
        .rules
        .is_empty());
}

#[test]
fn describe_forbid_user_rules_privileges_as_strings() {
    let op = DescribeForbidUserRules::new(UserRuleType::User);
    let data = r#"{"RuleList":[{"RuleType":3,"UserId":"u","DisabledPrivilegeList":["1","2"],"ExpireTime":5}]}"#;
    let rules = parse_response(&op, &ok_with(data)).unwrap().data.rules;
    assert_eq!(rules[0].disabled_privileges, vec![1, 2]);
}

#[test]
fn raw_operation_keeps_any_data() {
    let op = RawOperation::new("DescribeUserNum").unwrap();
    let data = r#"{"UserCountList":[{"RoomId":"r","UserCount":3}]}"#;
    let out = parse_response(&op, &ok_with(data)).unwrap().data;
    assert_eq!(out.0["UserCountList"][0]["UserCount"], 3);
    assert_eq!(
        parse_response(&op, &ok_with("null")).unwrap().data.0,
        serde_json::Value::Null
    );
}

// ---------------------------------------------------------------------------------------
// The test environment
// ---------------------------------------------------------------------------------------

/// The stream ID values a request sends (keys `StreamId` and `StreamId[]`).
fn sent_stream_ids(request: &HttpRequest) -> Vec<String> {
    params_of(request)
        .into_iter()
        .filter(|(k, _)| k == "StreamId" || k == "StreamId[]")
        .map(|(_, v)| v)
        .collect()
}

#[test]
fn the_test_environment_prefix_follows_the_vendor_example() {
    assert_eq!(test_stream_prefix(123_456_789), "zegotest-123456789-");
    let op = ForbidRtcStream::new("test")
        .unwrap()
        .with_sequence(Sequence::new(1));
    let request = prepared(&op, &test_env(), 123_456_789);
    assert_eq!(sent_stream_ids(&request), ["zegotest-123456789-test"]);
    let params = params_of(&request);
    assert_eq!(params.last().unwrap(), &("IsTest".into(), "true".into()));
    split_common(&params, 123_456_789, true);
    // The operation itself keeps the ID as given.
    assert_eq!(op.stream_id(), "test");
}

#[test]
fn the_test_environment_prefixes_every_stream_id_exactly_once() {
    const APP: u32 = 123_456_789;
    let prefix = "zegotest-123456789-";
    let seq = Sequence::new(1617249600001);
    let given = [
        "rtc01",
        "zegotest-123456789-rtc02",
        "zegotest-999-rtc03",
        "rtc04-zegotest-123456789-",
        "zegotest-123456789",
    ];
    let expected: Vec<String> = vec![
        format!("{prefix}rtc01"),
        "zegotest-123456789-rtc02".into(),
        format!("{prefix}zegotest-999-rtc03"),
        format!("{prefix}rtc04-zegotest-123456789-"),
        format!("{prefix}zegotest-123456789"),
    ];
    let batches: Vec<HttpRequest> = vec![
        prepared(
            &ForbidRtcStreams::new(given).unwrap().with_sequence(seq),
            &test_env(),
            APP,
        ),
        prepared(
            &ResumeRtcStreams::new(given).unwrap().with_sequence(seq),
            &test_env(),
            APP,
        ),
        prepared(
            &DescribeForbidStreamRules::new("room1", given).unwrap(),
            &test_env(),
            APP,
        ),
    ];
    for request in &batches {
        assert_eq!(sent_stream_ids(request), expected, "{request:?}");
    }
    for (id, wire) in given.iter().zip(&expected) {
        let singles: Vec<HttpRequest> = vec![
            prepared(
                &ForbidRtcStream::new(*id).unwrap().with_sequence(seq),
                &test_env(),
                APP,
            ),
            prepared(
                &ResumeRtcStream::new(*id).unwrap().with_sequence(seq),
                &test_env(),
                APP,
            ),
            prepared(
                &DescribeRtcStreamState::new(*id).unwrap().with_sequence(seq),
                &test_env(),
                APP,
            ),
            prepared(
                &SetForbidStreamRule::new("room1", *id, MediaBan::Audio, EffectiveTime::default())
                    .unwrap(),
                &test_env(),
                APP,
            ),
            prepared(
                &DelForbidStreamRule::new("room1", *id).unwrap(),
                &test_env(),
                APP,
            ),
            prepared(&ForbidCdnLiveStream::new(*id).unwrap(), &test_env(), APP),
            prepared(&ResumeCdnLiveStream::new(*id).unwrap(), &test_env(), APP),
        ];
        for request in &singles {
            assert_eq!(
                sent_stream_ids(request),
                std::slice::from_ref(wire),
                "{request:?}"
            );
        }
    }
    // Room IDs are not stream IDs: never prefixed.
    let request = prepared(
        &DelForbidStreamRule::new("room1", "s").unwrap(),
        &test_env(),
        APP,
    );
    assert!(params_of(&request).contains(&("RoomId".into(), "room1".into())));
}

#[test]
fn the_test_environment_marks_every_request_and_production_none() {
    let seq = Sequence::new(1);
    let check = |request: HttpRequest, test: bool| {
        let params = params_of(&request);
        assert_eq!(
            params.iter().any(|(k, _)| k == "IsTest"),
            test,
            "{request:?}"
        );
        if test {
            assert_eq!(params.last().unwrap(), &("IsTest".into(), "true".into()));
        } else {
            assert!(!request.url().contains("zegotest-"), "{request:?}");
        }
    };
    for (config, test) in [(test_env(), true), (production(), false)] {
        check(
            prepared(
                &ForbidRtcStreams::new(["a"]).unwrap().with_sequence(seq),
                &config,
                5,
            ),
            test,
        );
        check(
            prepared(&QueryForbidCdnLiveStream::default(), &config, 5),
            test,
        );
        check(
            prepared(&DescribeForbidUserRules::new(UserRuleType::Ip), &config, 5),
            test,
        );
        check(
            prepared(&RawOperation::new("Anything").unwrap(), &config, 5),
            test,
        );
    }
}

#[test]
fn the_prefix_counts_towards_the_256_byte_limit() {
    const APP: u32 = 123_456_789;
    let prefix = test_stream_prefix(APP);
    // 256 bytes as given: fine in production, too long once prefixed.
    let id = "x".repeat(256);
    let op = ForbidRtcStreams::new(["ok", id.as_str()])
        .unwrap()
        .with_sequence(Sequence::new(1));
    let mut rng = SmallRng::seed_from_u64(1);
    assert!(prepare(&op, &production(), &creds(APP), TIMESTAMP, &mut rng).is_ok());
    let err = prepare(&op, &test_env(), &creds(APP), TIMESTAMP, &mut rng).unwrap_err();
    assert_eq!(err.field(), "StreamId[]");
    assert_eq!(err.index(), Some(1));
    assert_eq!(
        err.problem(),
        &zego_proto::Problem::TooLong {
            max_bytes: 256,
            actual: 256 + prefix.len()
        }
    );
    // Already prefixed and exactly 256 bytes: accepted and sent unchanged.
    let full = format!("{prefix}{}", "y".repeat(256 - prefix.len()));
    let op = ForbidRtcStream::new(full.as_str())
        .unwrap()
        .with_sequence(Sequence::new(1));
    let request = prepare(&op, &test_env(), &creds(APP), TIMESTAMP, &mut rng).unwrap();
    assert_eq!(sent_stream_ids(&request), [full]);
    // One byte short of the limit once prefixed: accepted.
    let fits = "z".repeat(256 - prefix.len());
    let op = ForbidRtcStream::new(fits.as_str())
        .unwrap()
        .with_sequence(Sequence::new(1));
    assert!(prepare(&op, &test_env(), &creds(APP), TIMESTAMP, &mut rng).is_ok());
    let op = ForbidRtcStream::new(format!("{fits}z"))
        .unwrap()
        .with_sequence(Sequence::new(1));
    let err = prepare(&op, &test_env(), &creds(APP), TIMESTAMP, &mut rng).unwrap_err();
    assert_eq!((err.field(), err.index()), ("StreamId", None));
}

// ---------------------------------------------------------------------------------------
// Signatures (dry run)
// ---------------------------------------------------------------------------------------

/// The spec's known answers: AppId, nonce, secret, timestamp, signature.
const VECTORS: [(u32, &str, &str, u64, &str); 2] = [
    (
        12345,
        "4fd24687296dd9f3",
        "9193cc662a4c0ec135ec71fb57194b38",
        1_615_186_943,
        "43e5cfcca828314675f91b001390566a",
    ),
    (
        1_234_567_890,
        "a1b2c3d4e5f60718",
        "0123456789abcdef0123456789abcdef",
        1_700_000_000,
        "c90a56c08221a571fbf3007d1d7300d6",
    ),
];

fn vector_requests(
    app_id: u32,
    nonce: &str,
    secret: &str,
    ts: u64,
) -> Vec<(HttpRequest, Environment)> {
    let creds = Credentials::new(app_id, secret).unwrap();
    let nonce: Nonce = nonce.parse().unwrap();
    let op = ForbidRtcStreams::new(["rtc01", "rtc02"])
        .unwrap()
        .with_sequence(Sequence::new(1617249600001));
    let set = SetForbidStreamRule::new(
        "room1",
        "stream1",
        MediaBan::Audio,
        EffectiveTime::default(),
    )
    .unwrap();
    let mut out = Vec::new();
    for env in [Environment::Production, Environment::Test] {
        let config = Config::new(Endpoint::Unified).with_environment(env);
        out.push((
            prepare_with_nonce(&op, &config, &creds, ts, nonce).unwrap(),
            env,
        ));
        out.push((
            prepare_with_nonce(&set, &config, &creds, ts, nonce).unwrap(),
            env,
        ));
    }
    out
}

#[test]
fn dry_run_signatures_match_the_known_answers() {
    for (app_id, nonce, secret, ts, expected) in VECTORS {
        for (request, env) in vector_requests(app_id, nonce, secret, ts) {
            let params = params_of(&request);
            let get = |key: &str| {
                params
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.as_str())
            };
            assert_eq!(get("Signature"), Some(expected), "{env:?}");
            assert_eq!(get("SignatureNonce"), Some(nonce));
            assert_eq!(get("Timestamp"), Some(ts.to_string().as_str()));
            assert_eq!(get("AppId"), Some(app_id.to_string().as_str()));
            assert_eq!(get("SignatureVersion"), Some("2.0"));
            assert_eq!(params.iter().filter(|(k, _)| k == "Signature").count(), 1);
        }
    }
}

#[test]
fn the_first_vector_reproduces_the_whole_vendor_example_url() {
    let (app_id, nonce, secret, ts, expected) = VECTORS[0];
    let creds = Credentials::new(app_id, secret).unwrap();
    let op = ForbidRtcStreams::new(["rtc01", "rtc02"])
        .unwrap()
        .with_sequence(Sequence::new(1617249600001));
    let request =
        prepare_with_nonce(&op, &production(), &creds, ts, nonce.parse().unwrap()).unwrap();
    assert_eq!(
        request.url(),
        format!(
            "https://rtc-api.zego.im/?Action=ForbidRTCStreams&StreamId%5B%5D=rtc01\
             &StreamId%5B%5D=rtc02&Sequence=1617249600001&AppId=12345\
             &SignatureNonce=4fd24687296dd9f3&Timestamp=1615186943\
             &Signature={expected}&SignatureVersion=2.0"
        )
    );
    assert_eq!(request.method().as_str(), "GET");
}

#[test]
fn debug_and_redacted_url_never_show_the_signature_or_the_secret() {
    for (app_id, nonce, secret, ts, expected) in VECTORS {
        for (request, env) in vector_requests(app_id, nonce, secret, ts) {
            let debug = format!("{request:?}");
            let pretty = format!("{request:#?}");
            let redacted = request.redacted_url();
            for shown in [&debug, &pretty, &redacted] {
                assert!(!shown.contains(expected), "{env:?}: {shown}");
                assert!(!shown.contains(secret), "{env:?}: {shown}");
            }
            assert!(redacted.contains("&Signature=<redacted>&"), "{redacted}");
            // Only the signature is replaced: the rest is the URL as sent.
            assert_eq!(
                redacted,
                request.url().replace(expected, "<redacted>"),
                "{env:?}"
            );
            assert!(request.url().contains(expected));
            assert!(!request.url().contains(secret));
            assert_eq!(request.clone().into_url(), request.url());
        }
    }
}

#[test]
fn fresh_nonces_sign_differently_and_consistently() {
    let op = ForbidRtcStream::new("rtc01")
        .unwrap()
        .with_sequence(Sequence::new(1));
    let creds = creds(12345);
    let mut rng = SmallRng::seed_from_u64(99);
    let mut signatures = std::collections::HashSet::new();
    for _ in 0..50 {
        let request = prepare(&op, &production(), &creds, TIMESTAMP, &mut rng).unwrap();
        // split_common checks the signature against the nonce that was sent.
        split_common(&params_of(&request), 12345, false);
        let signature = params_of(&request)
            .into_iter()
            .find(|(k, _)| k == "Signature")
            .unwrap()
            .1;
        assert!(
            signatures.insert(signature),
            "a nonce or signature repeated"
        );
    }
}
