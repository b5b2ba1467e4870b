//! Responses and return codes: any body parses or fails cleanly.

use super::*;

/// One value of every operation type, for parsing.
struct AllOps {
    forbid_batch: ForbidRtcStreams,
    resume_batch: ResumeRtcStreams,
    forbid: ForbidRtcStream,
    resume: ResumeRtcStream,
    set_stream_rule: SetForbidStreamRule,
    describe_stream_rules: DescribeForbidStreamRules,
    del_stream_rule: DelForbidStreamRule,
    forbid_cdn: ForbidCdnLiveStream,
    resume_cdn: ResumeCdnLiveStream,
    query_cdn: QueryForbidCdnLiveStream,
    stream_state: DescribeRtcStreamState,
    set_user_rule: SetForbidUserRule,
    describe_user_rules: DescribeForbidUserRules,
    del_user_rule: DelForbidUserRule,
    raw: RawOperation,
}

impl AllOps {
    fn new() -> Self {
        let seq = Sequence::new(1);
        Self {
            forbid_batch: ForbidRtcStreams::new(["a"]).unwrap().with_sequence(seq),
            resume_batch: ResumeRtcStreams::new(["a"]).unwrap().with_sequence(seq),
            forbid: ForbidRtcStream::new("a").unwrap().with_sequence(seq),
            resume: ResumeRtcStream::new("a").unwrap().with_sequence(seq),
            set_stream_rule: SetForbidStreamRule::new(
                "r",
                "a",
                MediaBan::Audio,
                EffectiveTime::default(),
            )
            .unwrap(),
            describe_stream_rules: DescribeForbidStreamRules::new("r", ["a"]).unwrap(),
            del_stream_rule: DelForbidStreamRule::new("r", "a").unwrap(),
            forbid_cdn: ForbidCdnLiveStream::new("a").unwrap(),
            resume_cdn: ResumeCdnLiveStream::new("a").unwrap(),
            query_cdn: QueryForbidCdnLiveStream::default(),
            stream_state: DescribeRtcStreamState::new("a").unwrap().with_sequence(seq),
            set_user_rule: SetForbidUserRule::new(
                UserRuleTarget::user("u").unwrap(),
                [DisabledPrivilege::Login],
                EffectiveTime::default(),
            )
            .unwrap(),
            describe_user_rules: DescribeForbidUserRules::new(UserRuleType::Room),
            del_user_rule: DelForbidUserRule::new(UserRuleTarget::room("r").unwrap()),
            raw: RawOperation::new("Anything").unwrap(),
        }
    }

    /// Parses `response` for every operation and checks `check` on each result, with
    /// the `Data` turned into a debug string.
    fn each(
        &self,
        response: &HttpResponse,
        mut check: impl FnMut(&str, Result<String, ResponseError>) -> Result<(), TestCaseError>,
    ) -> Result<(), TestCaseError> {
        fn one<O: Operation>(
            op: &O,
            response: &HttpResponse,
        ) -> (String, Result<String, ResponseError>)
        where
            O::Output: std::fmt::Debug,
        {
            (
                op.action().to_owned(),
                parse_response(op, response).map(|r| format!("{:?}", r.data)),
            )
        }
        for (action, result) in [
            one(&self.forbid_batch, response),
            one(&self.resume_batch, response),
            one(&self.forbid, response),
            one(&self.resume, response),
            one(&self.set_stream_rule, response),
            one(&self.describe_stream_rules, response),
            one(&self.del_stream_rule, response),
            one(&self.forbid_cdn, response),
            one(&self.resume_cdn, response),
            one(&self.query_cdn, response),
            one(&self.stream_state, response),
            one(&self.set_user_rule, response),
            one(&self.describe_user_rules, response),
            one(&self.del_user_rule, response),
            one(&self.raw, response),
        ] {
            check(&action, result)?;
        }
        Ok(())
    }
}

/// Arbitrary JSON.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        prop::sample::select(vec![
                            "RoomId",
                            "ForbidStreamRuleList",
                            "StreamId",
                            "DisableAudio",
                            "DisableVideo",
                            "CreateTime",
                            "EffectiveTime",
                            "CdnType",
                            "CdnResult",
                            "Ws",
                            "ResultDetail",
                            "Channel",
                            "Url",
                            "StartTime",
                            "EndTime",
                            "create_time",
                            "close_time",
                            "ExpireTime",
                            "RuleList",
                            "RuleType",
                            "IP",
                            "UserId",
                            "DisabledPrivilegeList",
                        ])
                        .prop_map(str::to_owned),
                        any_text(),
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// Data shaped like the documented answers, with every scalar of any JSON type.
fn shaped_data() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    let scalar = || {
        prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            any::<u64>().prop_map(serde_json::Value::from),
            any::<f64>().prop_map(serde_json::Value::from),
            any::<i64>().prop_map(|n| serde_json::Value::String(n.to_string())),
            any_text().prop_map(serde_json::Value::String),
        ]
    };
    prop_oneof![
        prop::collection::vec((scalar(), scalar(), scalar(), scalar(), scalar()), 0..4).prop_map(
            |rules| json!({"RoomId": "r", "ForbidStreamRuleList": rules.into_iter().map(|(s, a, v, c, e)| json!({
                "StreamId": s, "DisableAudio": a, "DisableVideo": v, "CreateTime": c, "EffectiveTime": e
            })).collect::<Vec<_>>()})
        ),
        prop::collection::vec((scalar(), scalar()), 0..4).prop_map(|r| serde_json::Value::Array(
            r.into_iter()
                .map(|(t, x)| json!({"CdnType": t, "CdnResult": x}))
                .collect()
        )),
        prop::collection::vec((scalar(), scalar(), scalar(), scalar()), 0..4).prop_map(|d| json!({
            "Ws": {"ResultDetail": d.into_iter().map(|(c, u, s, e)| json!({
                "Channel": c, "Url": u, "StartTime": s, "EndTime": e
            })).collect::<Vec<_>>()}
        })),
        (scalar(), scalar()).prop_map(|(c, x)| json!({"create_time": c, "close_time": x})),
        scalar().prop_map(|e| json!({"ExpireTime": e})),
        prop::collection::vec(
            (scalar(), scalar(), scalar(), prop::collection::vec(scalar(), 0..3), scalar()),
            0..3
        )
        .prop_map(|r| json!({"RuleList": r.into_iter().map(|(t, ip, u, p, e)| json!({
            "RuleType": t, "IP": ip, "RoomId": "r", "UserId": u, "DisabledPrivilegeList": p, "ExpireTime": e
        })).collect::<Vec<_>>()})),
    ]
}

#[derive(Debug, Clone)]
enum DataField {
    Absent,
    Json(serde_json::Value),
    Garbage(String),
}

fn envelope(
    code: i64,
    message: &serde_json::Value,
    request_id: &serde_json::Value,
    data: &DataField,
) -> String {
    let mut body = format!(r#"{{"Code":{code},"Message":{message},"RequestId":{request_id}"#);
    match data {
        DataField::Absent => {}
        DataField::Json(v) => write!(body, r#","Data":{v}"#).unwrap(),
        DataField::Garbage(g) => write!(body, r#","Data":{g}"#).unwrap(),
    }
    body.push('}');
    body
}

fn code_strategy() -> impl Strategy<Value = i64> {
    prop_oneof![
        2 => Just(0i64),
        2 => prop::sample::select(ReturnCode::TABLE.iter().map(|row| row.1).collect::<Vec<_>>()),
        1 => any::<i64>(),
        1 => i64::from(u32::MAX)..i64::MAX,
    ]
}

fn data_field() -> impl Strategy<Value = DataField> {
    prop_oneof![
        Just(DataField::Absent),
        Just(DataField::Json(serde_json::Value::Null)),
        json_value().prop_map(DataField::Json),
        shaped_data().prop_map(DataField::Json),
        any_text().prop_map(DataField::Garbage),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Arbitrary bytes never panic; what is not an envelope says so, with a bounded snippet.
    #[test]
    fn arbitrary_bodies_never_panic(
        body in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..600),
            any_text().prop_map(String::into_bytes),
        ],
        status in any::<u16>(),
    ) {
        let ops = AllOps::new();
        let response = HttpResponse::new(status, body.clone());
        let is_json_object = serde_json::from_slice::<serde_json::Value>(&body)
            .is_ok_and(|v| v.get("Code").is_some_and(serde_json::Value::is_i64));
        ops.each(&response, |action, result| {
            if let Err(ResponseError::NotAnEnvelope { status: s, snippet }) = &result {
                prop_assert_eq!(*s, status);
                // At most BODY_SNIPPET_BYTES bytes of the body (each lossily decoded to one
                // character at most), plus an ellipsis when cut.
                prop_assert!(snippet.chars().count() <= BODY_SNIPPET_BYTES + 1, "{}", snippet.len());
                if let Ok(text) = std::str::from_utf8(&body) {
                    if text.len() <= BODY_SNIPPET_BYTES {
                        prop_assert_eq!(snippet, text);
                    } else {
                        // Cut on a character boundary, as close to the limit as possible.
                        let shown = snippet.strip_suffix('…').expect("a cut snippet ends with …");
                        prop_assert!(text.starts_with(shown), "{:?} is not a prefix", snippet);
                        prop_assert!(shown.len() <= BODY_SNIPPET_BYTES && shown.len() + 4 > BODY_SNIPPET_BYTES);
                    }
                }
            } else {
                prop_assert!(is_json_object, "{}: {:?}", action, result);
            }
            Ok(())
        })?;
    }

    /// Arbitrary envelopes: a non-zero code is always an API error carrying that code;
    /// code 0 is never one.
    #[test]
    fn arbitrary_envelopes_never_panic(
        code in code_strategy(),
        message in prop_oneof![
            any_text().prop_map(serde_json::Value::String),
            any::<i64>().prop_map(serde_json::Value::from),
            Just(serde_json::Value::Null),
        ],
        request_id in prop_oneof![
            "[0-9]{0,19}".prop_map(serde_json::Value::String),
            any::<u64>().prop_map(serde_json::Value::from),
        ],
        data in data_field(),
        status in prop_oneof![Just(200u16), any::<u16>()],
    ) {
        let ops = AllOps::new();
        let body = envelope(code, &message, &request_id, &data);
        let response = HttpResponse::new(status, body.clone());
        let valid_json = serde_json::from_str::<serde_json::Value>(&body).is_ok();
        ops.each(&response, |action, result| {
            if !valid_json || matches!(data, DataField::Garbage(_)) {
                // Garbage may or may not make the body invalid JSON; either way no panic,
                // and an unparsable body is reported as such.
                if !valid_json {
                    prop_assert!(
                        matches!(result, Err(ResponseError::NotAnEnvelope { .. })),
                        "{}: {:?}", action, result
                    );
                }
                if matches!(result, Err(ResponseError::NotAnEnvelope { .. })) {
                    return Ok(());
                }
            }
            match (code, &result) {
                (0, Err(ResponseError::Api(e))) => {
                    return Err(TestCaseError::fail(format!("{action}: code 0 gave {e:?}")));
                }
                (0, Ok(_) | Err(ResponseError::Data { .. })) => {}
                (_, Err(ResponseError::Api(e))) => {
                    prop_assert_eq!(e.code.code(), code);
                    prop_assert_eq!(e.code, ReturnCode::from_code(code));
                    prop_assert_eq!(e.http_status, status);
                    prop_assert_eq!(e.class(), ReturnCode::from_code(code).class());
                    let shown = e.to_string();
                    prop_assert!(shown.contains(&code.to_string()), "{}", shown);
                }
                (_, other) => {
                    return Err(TestCaseError::fail(format!("{action}: code {code} gave {other:?}")));
                }
            }
            Ok(())
        })?;
    }

    /// Documented Data shapes with scalars of any JSON type parse or fail cleanly; those
    /// that do parse never lose the RequestId.
    #[test]
    fn shaped_data_never_panics(data in shaped_data(), id in "[0-9]{1,19}") {
        let ops = AllOps::new();
        let body = envelope(0, &serde_json::json!("ok"), &serde_json::json!(id), &DataField::Json(data));
        ops.each(&HttpResponse::new(200, body), |action, result| {
            match result {
                Ok(_) => {}
                Err(ResponseError::Data { request_id, source }) => {
                    prop_assert_eq!(&request_id, &id);
                    prop_assert!(source.to_string().contains(action), "{}", source);
                }
                Err(other) => return Err(TestCaseError::fail(format!("{action}: {other:?}"))),
            }
            Ok(())
        })?;
    }

    #[test]
    fn return_codes_round_trip(code in any::<i64>()) {
        let rc = ReturnCode::from_code(code);
        prop_assert_eq!(rc.code(), code);
        prop_assert_eq!(ReturnCode::from(code), rc);
        let known = ReturnCode::TABLE.iter().find(|row| row.1 == code);
        if let Some(&(variant, _, class, _)) = known {
            prop_assert_eq!(rc, variant);
            prop_assert_eq!(rc.class(), class);
        } else {
            prop_assert!(matches!(rc, ReturnCode::Unknown(u) if u.get() == code));
            prop_assert_eq!(rc.class(), ErrorClass::Other);
        }
        prop_assert_eq!(rc.is_success(), code == 0);
        prop_assert!(rc.to_string().starts_with(&code.to_string()));
    }
}

#[test]
fn every_table_code_round_trips() {
    for &(variant, code, class, _) in ReturnCode::TABLE {
        assert_eq!(ReturnCode::from_code(code), variant);
        assert_eq!(variant.code(), code);
        assert_eq!(variant.class(), class);
    }
}
