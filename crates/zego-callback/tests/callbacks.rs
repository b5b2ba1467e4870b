//! Verified, typed callbacks (spec §6): both body encodings, every refusal, retries.

use proptest::prelude::*;
use serde_json::{json, Value};
use zego_callback::{
    callback_signature, CallbackError, CallbackEvent, CallbackSecret, CallbackVerifier, CloseReason,
};

const SECRET: &str = "cb-S3cr3t-never-printed";
const NOW: u64 = 1_700_000_000;

fn verifier() -> CallbackVerifier {
    CallbackVerifier::new(CallbackSecret::new(SECRET).unwrap())
}

/// A signed body: `fields` plus the common fields, signed with `secret`.
fn signed(secret: &str, event: &str, timestamp: &str, nonce: &str, fields: &Value) -> Value {
    let mut body = fields.clone();
    body["event"] = json!(event);
    body["appid"] = json!("1234567890");
    body["timestamp"] = json!(timestamp);
    body["nonce"] = json!(nonce);
    body["signature"] = json!(callback_signature(secret, timestamp, nonce));
    body
}

fn form_of(body: &Value) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in body.as_object().unwrap() {
        match v {
            Value::String(s) => {
                out.append_pair(k, s);
            }
            Value::Array(items) => {
                for item in items {
                    out.append_pair(k, item.as_str().unwrap());
                }
            }
            other => {
                out.append_pair(k, &other.to_string());
            }
        }
    }
    out.finish()
}

fn stream_create_fields() -> Value {
    json!({
        "room_id": "room-1", "room_session_id": "858223481458806785", "user_id": "alice",
        "user_name": "Alice A", "channel_id": "0", "stream_id": "stream-1", "stream_sid": "s-77",
        "title": "hello", "stream_alias": "alias-1", "stream_attr": "{\"cid\":0}", "stream_seq": "3",
        "create_time": "1700000000", "create_time_ms": "1700000000123", "extra_info": "x=1&y=2",
        "recreate": "0", "publish_id": "alice", "publish_name": "Alice A",
        "rtmp_url": ["rtmp://a.example/live/stream-1"], "hls_url": ["https://a.example/live/stream-1.m3u8"],
        "hdl_url": ["https://a.example/live/stream-1.flv", "https://b.example/live/stream-1.flv"],
        "pic_url": [],
    })
}

#[test]
fn stream_create_has_every_documented_field_from_json_and_form_bodies() {
    let body = signed(
        SECRET,
        "stream_create",
        "1700000000",
        "9501",
        &stream_create_fields(),
    );
    let from_json = verifier()
        .verify(body.to_string().as_bytes(), Some("application/json"), NOW)
        .unwrap();
    let from_form = verifier()
        .verify(
            form_of(&body).as_bytes(),
            Some("application/x-www-form-urlencoded"),
            NOW,
        )
        .unwrap();
    assert_eq!(from_json, from_form);
    let CallbackEvent::StreamCreate(e) = from_json else {
        panic!("{from_json:?}")
    };
    assert_eq!(e.header.event, "stream_create");
    assert_eq!(e.header.app_id(), Some(1234567890));
    assert_eq!(
        (e.header.timestamp, e.header.nonce.as_str()),
        (1_700_000_000, "9501")
    );
    let got = [
        &e.room_id,
        &e.room_session_id,
        &e.user_id,
        &e.user_name,
        &e.channel_id,
        &e.stream_id,
        &e.stream_sid,
        &e.title,
        &e.stream_alias,
        &e.stream_attr,
        &e.stream_seq,
        &e.create_time,
        &e.create_time_ms,
        &e.extra_info,
        &e.recreate,
        &e.publish_id,
        &e.publish_name,
    ];
    let names = [
        "room_id",
        "room_session_id",
        "user_id",
        "user_name",
        "channel_id",
        "stream_id",
        "stream_sid",
        "title",
        "stream_alias",
        "stream_attr",
        "stream_seq",
        "create_time",
        "create_time_ms",
        "extra_info",
        "recreate",
        "publish_id",
        "publish_name",
    ];
    for (name, value) in names.iter().zip(got) {
        assert_eq!(
            value,
            stream_create_fields()[name].as_str().unwrap(),
            "{name}"
        );
    }
    assert_eq!(e.rtmp_url, ["rtmp://a.example/live/stream-1"]);
    assert_eq!(e.hdl_url.len(), 2);
    assert!(e.pic_url.is_empty());
}

#[test]
fn stream_close_reads_every_type_and_keeps_unknown_ones() {
    let cases = [
        ("0", CloseReason::Normal),
        ("1", CloseReason::HeartbeatTimeout),
        ("2", CloseReason::Relogin),
        ("3", CloseReason::KickedOut),
        ("4", CloseReason::ConnectionDropped),
        ("5", CloseReason::RoomCleared),
        ("100", CloseReason::DeletedByServerApi),
        ("42", CloseReason::Unknown("42".into())),
    ];
    for (i, (kind, reason)) in cases.into_iter().enumerate() {
        let fields = json!({
            "room_id": "room-1", "room_session_id": "1", "user_id": "alice", "user_name": "A",
            "channel_id": "0", "type": kind, "stream_alias": "", "stream_id": "stream-1",
            "stream_sid": "s-77", "stream_seq": "4", "third_define_data": "td",
            "create_time_ms": "1700000000123", "destroy_timemillis": "1700000100456",
        });
        let body = signed(
            SECRET,
            "stream_close",
            "1700000001",
            &format!("n{i}"),
            &fields,
        );
        let event = verifier()
            .verify(body.to_string().as_bytes(), None, NOW)
            .unwrap();
        let CallbackEvent::StreamClose(e) = event else {
            panic!("{event:?}")
        };
        assert_eq!(e.reason, reason);
        assert_eq!(
            (e.stream_id.as_str(), e.third_define_data.as_str()),
            ("stream-1", "td")
        );
        assert_eq!(e.destroy_timemillis, "1700000100456");
    }
}

#[test]
fn other_events_keep_their_fields_but_not_the_signature() {
    let body = signed(
        SECRET,
        "room_create",
        "1700000000",
        "1",
        &json!({"room_id": "r9", "n": 5}),
    );
    let event = verifier()
        .verify(body.to_string().as_bytes(), None, NOW)
        .unwrap();
    let CallbackEvent::Other(e) = &event else {
        panic!("{event:?}")
    };
    assert_eq!((e.get("room_id"), e.get("n")), (Some("r9"), Some("5")));
    assert!(e.get("signature").is_none() && e.get("event").is_none());
    let shown = format!("{event:?}");
    assert!(
        !shown.contains(body["signature"].as_str().unwrap()),
        "{shown}"
    );
}

#[test]
fn a_numeric_timestamp_is_signed_as_its_text() {
    let mut body = signed(
        SECRET,
        "stream_create",
        "1700000000",
        "7",
        &json!({"stream_id": "s"}),
    );
    body["timestamp"] = json!(1_700_000_000);
    assert!(verifier()
        .verify(body.to_string().as_bytes(), None, NOW)
        .is_ok());
}

#[test]
fn bad_wrong_key_and_missing_signatures_are_401() {
    let body = signed(
        SECRET,
        "stream_create",
        "1700000000",
        "7",
        &json!({"stream_id": "s"}),
    );
    let mut tampered = body.clone();
    tampered["nonce"] = json!("8");
    let mut server_secret = body.clone();
    server_secret["signature"] = json!(callback_signature(
        "0123456789abcdef0123456789abcdef",
        "1700000000",
        "7"
    ));
    let mut missing = body.clone();
    missing.as_object_mut().unwrap().remove("signature");
    for bad in [tampered, server_secret, missing] {
        let err = verifier()
            .verify(bad.to_string().as_bytes(), None, NOW)
            .unwrap_err();
        assert_eq!(err, CallbackError::BadSignature);
        assert_eq!(err.http_status(), 401);
        assert!(err
            .to_string()
            .contains("CallbackSecret, not the ServerSecret"));
    }
}

#[test]
fn timestamps_more_than_ten_minutes_away_are_refused() {
    for (offset, accepted) in [(-601i64, false), (-600, true), (600, true), (601, false)] {
        let ts = (1_700_000_000 + offset).to_string();
        let body = signed(
            SECRET,
            "stream_create",
            &ts,
            "7",
            &json!({"stream_id": "s"}),
        );
        let result = verifier().verify(body.to_string().as_bytes(), None, NOW);
        assert_eq!(result.is_ok(), accepted, "{offset}: {result:?}");
        if !accepted {
            assert!(matches!(
                result,
                Err(CallbackError::Stale {
                    max_skew_secs: 600,
                    ..
                })
            ));
        }
    }
}

#[test]
fn a_repeated_delivery_is_a_duplicate_until_forgotten_or_without_a_cache() {
    let verifier = verifier();
    let body = signed(
        SECRET,
        "stream_create",
        "1700000000",
        "7",
        &json!({"stream_id": "s"}),
    );
    let bytes = body.to_string();
    let event = verifier.verify(bytes.as_bytes(), None, NOW).unwrap();
    let again = verifier
        .verify(bytes.as_bytes(), None, NOW + 2)
        .unwrap_err();
    assert_eq!(
        (again.clone(), again.http_status()),
        (CallbackError::Duplicate, 200)
    );
    // The same delivery as a form body is the same delivery.
    assert_eq!(
        verifier.verify(form_of(&body).as_bytes(), None, NOW + 4),
        Err(CallbackError::Duplicate)
    );
    verifier.forget(event.header()).unwrap();
    assert!(verifier.verify(bytes.as_bytes(), None, NOW + 8).is_ok());
    // Another nonce is another delivery.
    let other = signed(
        SECRET,
        "stream_create",
        "1700000000",
        "8",
        &json!({"stream_id": "s"}),
    );
    assert!(verifier
        .verify(other.to_string().as_bytes(), None, NOW)
        .is_ok());

    let no_cache = self::verifier().without_replay_cache();
    assert!(no_cache.verify(bytes.as_bytes(), None, NOW).is_ok());
    assert!(no_cache.verify(bytes.as_bytes(), None, NOW).is_ok());
}

#[test]
fn bad_bodies_are_400_naming_the_problem() {
    let v = verifier();
    let huge = vec![b' '; 70_000];
    let cases: [(&[u8], Option<&str>, u16); 5] = [
        (b"{not json", Some("application/json"), 400),
        (b"[1,2]", Some("application/json"), 400),
        (b"a=1", Some("multipart/form-data"), 415),
        (b"timestamp=1&nonce=2", None, 401),
        (&huge, None, 413),
    ];
    for (body, content_type, status) in cases {
        let err = v.verify(body, content_type, NOW).unwrap_err();
        assert_eq!(err.http_status(), status, "{err}");
    }
    let sig = callback_signature(SECRET, "1700000000", "7");
    let no_stream = format!("event=stream_create&timestamp=1700000000&nonce=7&signature={sig}");
    assert_eq!(
        v.verify(no_stream.as_bytes(), None, NOW),
        Err(CallbackError::MissingField { field: "stream_id" })
    );
    let no_nonce = format!("event=stream_create&timestamp=1700000000&signature={sig}");
    assert_eq!(
        v.verify(no_nonce.as_bytes(), None, NOW),
        Err(CallbackError::MissingField { field: "nonce" })
    );
    let sig = callback_signature(SECRET, "soon", "7");
    let bad_time = format!("event=x&timestamp=soon&nonce=7&signature={sig}");
    assert!(matches!(
        v.verify(bad_time.as_bytes(), None, NOW),
        Err(CallbackError::InvalidField {
            field: "timestamp",
            ..
        })
    ));
}

proptest! {
    #[test]
    fn arbitrary_bodies_never_panic_and_never_verify(
        body in proptest::collection::vec(any::<u8>(), 0..512),
        content_type in proptest::option::of("[a-z/+;= -]{0,40}"),
    ) {
        let result = verifier().verify(&body, content_type.as_deref(), NOW);
        prop_assert!(result.is_err());
    }

    #[test]
    fn correctly_signed_arbitrary_fields_parse_or_name_a_field(
        event in "[a-z_]{1,16}",
        nonce in "[0-9a-zA-Z]{1,16}",
        offset in -600i64..=600,
        fields in proptest::collection::btree_map("[a-z_]{1,12}", ".{0,40}", 0..12),
    ) {
        let ts = (1_700_000_000 + offset).to_string();
        let body = signed(SECRET, &event, &ts, &nonce, &serde_json::to_value(&fields).unwrap());
        for (bytes, content_type) in [
            (body.to_string(), Some("application/json")),
            (form_of(&body), Some("application/x-www-form-urlencoded")),
        ] {
            match verifier().verify(bytes.as_bytes(), content_type, NOW) {
                Ok(e) => prop_assert_eq!(&e.header().event, &event),
                Err(CallbackError::MissingField { field: "stream_id" }) => {
                    prop_assert!(event == "stream_create" || event == "stream_close");
                }
                Err(e) => prop_assert!(false, "{e}"),
            }
        }
    }
}

/// Issue 20 item 14: ZEGO's pages say the callback data "needs UrlDecode"; its older page
/// says the form values need it. A JSON string is used as received (a literal `%` or `+`
/// in a user name stays), a form value is decoded exactly once.
#[test]
fn json_values_are_not_url_decoded_and_form_values_are_decoded_once() {
    let fields = json!({
        "stream_id": "s-1", "user_id": "u%41", "user_name": "100% spam+eggs",
        "title": "a%2Bb", "extra_info": "x=1&y=%20",
    });
    let body = signed(SECRET, "stream_create", "1700000000", "31", &fields);
    let CallbackEvent::StreamCreate(from_json) = verifier()
        .verify(body.to_string().as_bytes(), Some("application/json"), NOW)
        .unwrap()
    else {
        panic!("not a stream_create")
    };
    assert_eq!(from_json.user_id, "u%41");
    assert_eq!(from_json.user_name, "100% spam+eggs");
    assert_eq!(from_json.title, "a%2Bb");
    assert_eq!(from_json.extra_info, "x=1&y=%20");
    // The same values form-encoded (once) come back the same: decoded once, not twice.
    let CallbackEvent::StreamCreate(from_form) = verifier()
        .verify(
            form_of(&body).as_bytes(),
            Some("application/x-www-form-urlencoded"),
            NOW,
        )
        .unwrap()
    else {
        panic!("not a stream_create")
    };
    assert_eq!(from_form, from_json);
}

/// Two verifiers (two instances of a fleet) sharing one replay cache: a delivery is
/// processed by one of them only.
#[test]
fn a_shared_replay_cache_spans_verifiers() {
    use std::sync::Arc;
    use zego_callback::MemoryReplayCache;
    let shared = Arc::new(MemoryReplayCache::new(16));
    let first = verifier().replay_cache(shared.clone());
    let second = verifier().replay_cache(shared.clone());
    let body = signed(
        SECRET,
        "stream_create",
        "1700000000",
        "77",
        &json!({"stream_id": "s"}),
    );
    let bytes = body.to_string();
    assert!(first.verify(bytes.as_bytes(), None, NOW).is_ok());
    assert_eq!(
        second.verify(bytes.as_bytes(), None, NOW + 1),
        Err(CallbackError::Duplicate)
    );
    assert_eq!(shared.len(), 1);
}

/// A replay cache that cannot answer: the callback is refused with 503 (ZEGO retries), not
/// processed unchecked.
#[test]
fn an_unavailable_replay_cache_is_a_503() {
    use std::sync::Arc;
    use zego_callback::{Delivery, ReplayCache, ReplayCacheError};
    #[derive(Debug)]
    struct Down;
    impl ReplayCache for Down {
        fn first_delivery(&self, _: &Delivery<'_>, _: i64) -> Result<bool, ReplayCacheError> {
            Err(ReplayCacheError::new("connection refused"))
        }
        fn forget(&self, _: &Delivery<'_>) -> Result<(), ReplayCacheError> {
            Err(ReplayCacheError::new("connection refused"))
        }
    }
    let v = verifier().replay_cache(Arc::new(Down));
    let body = signed(
        SECRET,
        "stream_create",
        "1700000000",
        "78",
        &json!({"stream_id": "s"}),
    );
    let err = v
        .verify(body.to_string().as_bytes(), None, NOW)
        .unwrap_err();
    assert_eq!(err.http_status(), 503);
    assert!(
        matches!(err, CallbackError::ReplayCacheUnavailable { ref reason } if reason.contains("connection refused"))
    );
}
