//! The room moderation actions (spec section 4b): the parameters each sends, the limits
//! each refuses before the wire, and the example answers of ZEGO's OpenAPI files.

use rand::rngs::SmallRng;
use rand::SeedableRng;
use zego_proto::ops::{
    AddStream, CloseRoom, DeleteStream, DescribeSimpleStreamList, DescribeUserList,
    DescribeUserNum, DescribeUsers, KickoutUser, RoomStream, RoomUser, RoomUserCount, UserOrder,
    UserStatus,
};
use zego_proto::wire::{decode_query, parse_response, prepare, HttpResponse};
use zego_proto::{Config, Credentials, Endpoint, Environment, Operation, Problem};

const APP: u32 = 123_456_789;

fn business<O: Operation>(op: &O, environment: Environment) -> Vec<(String, String)> {
    let config = Config::new(Endpoint::Unified).with_environment(environment);
    let creds = Credentials::new(APP, "9193cc662a4c0ec135ec71fb57194b38").unwrap();
    let request = prepare(
        op,
        &config,
        &creds,
        1_615_186_943,
        &mut SmallRng::seed_from_u64(1),
    )
    .unwrap();
    let params = decode_query(request.url()).unwrap();
    let app = params.iter().position(|(k, _)| k == "AppId").unwrap();
    params[..app].to_vec()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn every_action_sends_its_documented_parameters() {
    let prod = Environment::Production;
    assert_eq!(
        business(
            &KickoutUser::new("room1", ["u1", "u2"])
                .unwrap()
                .with_reason("spam & abuse")
                .unwrap(),
            prod
        ),
        pairs(&[
            ("Action", "KickoutUser"),
            ("RoomId", "room1"),
            ("UserId[]", "u1"),
            ("UserId[]", "u2"),
            // Encoded once by the operation, once more by the query: decoded once here.
            ("CustomReason", "spam%20%26%20abuse"),
        ])
    );
    assert_eq!(
        business(
            &CloseRoom::new("room1")
                .unwrap()
                .with_room_close_callback(true),
            prod
        ),
        pairs(&[
            ("Action", "CloseRoom"),
            ("RoomId", "room1"),
            ("RoomCloseCallback", "true")
        ])
    );
    assert_eq!(
        business(
            &DeleteStream::new("room1", "u1", "User One", "s1").unwrap(),
            prod
        ),
        pairs(&[
            ("Action", "DeleteStream"),
            ("RoomId", "room1"),
            ("UserId", "u1"),
            ("UserName", "User One"),
            ("StreamId", "s1"),
        ])
    );
    assert_eq!(
        business(
            &AddStream::new("room1", "admin", "Admin", "cdn1")
                .unwrap()
                .with_title("Movie night")
                .unwrap()
                .with_extra_info("x=1")
                .unwrap()
                .with_censor(false),
            prod
        ),
        pairs(&[
            ("Action", "AddStream"),
            ("RoomId", "room1"),
            ("UserId", "admin"),
            ("UserName", "Admin"),
            ("StreamId", "cdn1"),
            ("StreamTitle", "Movie%20night"),
            ("ExtraInfo", "x=1"),
            ("CensorFlag", "1"),
        ])
    );
}

#[test]
fn the_describe_actions_send_their_documented_parameters() {
    let prod = Environment::Production;
    assert_eq!(
        business(&DescribeSimpleStreamList::new("room1").unwrap(), prod),
        pairs(&[("Action", "DescribeSimpleStreamList"), ("RoomId", "room1")])
    );
    assert_eq!(
        business(
            &DescribeUserList::new("room1")
                .unwrap()
                .with_order(UserOrder::NewestFirst)
                .with_limit(0)
                .unwrap()
                .with_marker("1635940599950-user2"),
            prod
        ),
        pairs(&[
            ("Action", "DescribeUserList"),
            ("RoomId", "room1"),
            ("Mode", "1"),
            ("Limit", "0"),
            ("Marker", "1635940599950-user2"),
        ])
    );
    assert_eq!(
        business(&DescribeUserList::new("room1").unwrap(), prod),
        pairs(&[("Action", "DescribeUserList"), ("RoomId", "room1")])
    );
    assert_eq!(
        business(&DescribeUsers::new("room1", ["a", "b"]).unwrap(), prod),
        pairs(&[
            ("Action", "DescribeUsers"),
            ("RoomId", "room1"),
            ("UserId[]", "a"),
            ("UserId[]", "b"),
        ])
    );
    assert_eq!(
        business(&DescribeUserNum::new(["room1", "room2"]).unwrap(), prod),
        pairs(&[
            ("Action", "DescribeUserNum"),
            ("RoomId[]", "room1"),
            ("RoomId[]", "room2")
        ])
    );
}

#[test]
fn the_test_environment_prefixes_the_stream_ids_and_no_user_or_room_id() {
    let prefix = format!("zegotest-{APP}-");
    let params = business(
        &DeleteStream::new("room1", "u1", "U", "s1").unwrap(),
        Environment::Test,
    );
    assert!(params.contains(&("StreamId".to_owned(), format!("{prefix}s1"))));
    assert!(params.contains(&("RoomId".to_owned(), "room1".to_owned())));
    assert!(params.contains(&("UserId".to_owned(), "u1".to_owned())));
    let params = business(
        &AddStream::new("room1", "u1", "U", format!("{prefix}s1")).unwrap(),
        Environment::Test,
    );
    assert!(params.contains(&("StreamId".to_owned(), format!("{prefix}s1"))));
}

#[test]
fn list_and_id_limits_are_checked_before_the_wire() {
    let problem = |e: zego_proto::ValidationError| (e.field(), e.index(), e.problem().clone());
    // List sizes.
    let six: Vec<String> = (0..6).map(|i| format!("u{i}")).collect();
    assert_eq!(
        problem(KickoutUser::new("r", six).unwrap_err()),
        (
            "UserId[]",
            None,
            Problem::Count {
                min: 1,
                max: 5,
                actual: 6
            }
        )
    );
    assert!(KickoutUser::new("r", Vec::<String>::new()).is_err());
    let eleven: Vec<String> = (0..11).map(|i| format!("x{i}")).collect();
    assert_eq!(
        problem(DescribeUsers::new("r", eleven.clone()).unwrap_err()).2,
        Problem::Count {
            min: 1,
            max: 10,
            actual: 11
        }
    );
    assert_eq!(
        problem(DescribeUserNum::new(eleven).unwrap_err()).2,
        Problem::Count {
            min: 1,
            max: 10,
            actual: 11
        }
    );
    // User and room IDs (spec section 7): length and characters, with the entry named.
    let err = KickoutUser::new("r", ["ok", "not ok"]).unwrap_err();
    assert_eq!((err.field(), err.index()), ("UserId[]", Some(1)));
    assert!(matches!(
        err.problem(),
        Problem::Character {
            character: ' ',
            position: 4,
        }
    ));
    assert_eq!(
        problem(DescribeUsers::new("r", ["u".repeat(65)]).unwrap_err()),
        (
            "UserId[]",
            Some(0),
            Problem::TooLong {
                max_bytes: 64,
                actual: 65
            }
        )
    );
    assert_eq!(
        problem(CloseRoom::new("r".repeat(129)).unwrap_err()),
        (
            "RoomId",
            None,
            Problem::TooLong {
                max_bytes: 128,
                actual: 129
            }
        )
    );
    assert!(DescribeSimpleStreamList::new("room?").is_err());
    assert!(DescribeUserNum::new(["ok", "é"]).is_err());
    assert!(DeleteStream::new("r", "u", "", "s").is_err());
    assert!(DeleteStream::new("r", "u", "U", "s".repeat(257)).is_err());
}

#[test]
fn text_and_number_limits_are_checked_before_the_wire() {
    let problem = |e: zego_proto::ValidationError| (e.field(), e.index(), e.problem().clone());
    // CustomReason: 256 bytes of text, before the URL-encoding the SDK applies (spec 4b).
    assert!(KickoutUser::new("r", ["u"])
        .unwrap()
        .with_reason(&"a".repeat(256))
        .is_ok());
    assert!(CloseRoom::new("r")
        .unwrap()
        .with_reason(&" ".repeat(256))
        .is_ok());
    assert_eq!(
        problem(
            CloseRoom::new("r")
                .unwrap()
                .with_reason(&" ".repeat(257))
                .unwrap_err()
        ),
        (
            "CustomReason",
            None,
            Problem::TooLong {
                max_bytes: 256,
                actual: 257
            }
        )
    );
    // 129 two-byte characters: 258 bytes of text.
    assert!(CloseRoom::new("r")
        .unwrap()
        .with_reason(&"é".repeat(129))
        .is_err());
    // Limit 0..=200.
    assert!(DescribeUserList::new("r").unwrap().with_limit(200).is_ok());
    assert_eq!(
        problem(
            DescribeUserList::new("r")
                .unwrap()
                .with_limit(201)
                .unwrap_err()
        ),
        (
            "Limit",
            None,
            Problem::OutOfRange {
                min: 0,
                max: 200,
                actual: 201
            }
        )
    );
    // AddStream's title (127 bytes encoded) and extra info (1024 bytes).
    let add = || AddStream::new("r", "u", "U", "s").unwrap();
    assert!(add().with_title(&"t".repeat(127)).is_ok());
    assert!(add().with_title(&"é".repeat(22)).is_err());
    assert!(add().with_extra_info(&"e".repeat(1024)).is_ok());
    assert!(add().with_extra_info(&"e".repeat(1025)).is_err());
}

fn ok_with(data: &str) -> HttpResponse {
    HttpResponse::new(
        200,
        format!(r#"{{"Code":0,"Message":"success","RequestId":"1","Data":{data}}}"#),
    )
}

#[test]
fn describe_user_list_parses_the_openapi_example() {
    let op = DescribeUserList::new("room1").unwrap();
    let page = parse_response(
        &op,
        &ok_with(
            r#"{"Marker":"1635940599950-user2","UserList":[
                {"UserId":"user1","UserName":"user1","UserRole":1},
                {"UserId":"user2","UserName":"user2","UserRole":2}]}"#,
        ),
    )
    .unwrap()
    .data;
    assert!(page.has_more());
    assert_eq!(page.marker, "1635940599950-user2");
    assert_eq!(
        page.users[1],
        RoomUser {
            user_id: "user2".into(),
            user_name: "user2".into(),
            user_role: 2
        }
    );
    // The last page: no Marker (absent, null or empty).
    let last = parse_response(&op, &ok_with(r#"{"Marker":"","UserList":[]}"#))
        .unwrap()
        .data;
    assert!(!last.has_more());
    assert!(!parse_response(&op, &ok_with("null"))
        .unwrap()
        .data
        .has_more());
}

#[test]
fn describe_users_parses_the_openapi_example() {
    let op = DescribeUsers::new("room1", ["a", "b"]).unwrap();
    let users = parse_response(
        &op,
        &ok_with(
            r#"{"UserStatusList":[
                {"UserId":"a","Status":1,"LoginTime":1675674019365,"UserRole":1},
                {"UserId":"b","Status":"0","LoginTime":"1675674019455","UserRole":1}]}"#,
        ),
    )
    .unwrap()
    .data
    .users;
    assert_eq!(
        users[0],
        UserStatus {
            user_id: "a".into(),
            status: 1,
            login_time: 1_675_674_019_365,
            user_role: 1
        }
    );
    assert!(users[0].is_in_room());
    assert!(!users[1].is_in_room());
    assert_eq!(users[1].login_time, 1_675_674_019_455);
}

#[test]
fn describe_user_num_parses_the_openapi_example() {
    let op = DescribeUserNum::new(["room1", "room2"]).unwrap();
    let rooms = parse_response(
        &op,
        &ok_with(
            r#"{"UserCountList":[{"RoomId":"room1","UserCount":2,"AdminUserCount":0},
                {"RoomId":"room2","UserCount":3,"AdminUserCount":1}]}"#,
        ),
    )
    .unwrap()
    .data
    .rooms;
    assert_eq!(
        rooms[1],
        RoomUserCount {
            room_id: "room2".into(),
            user_count: 3,
            admin_user_count: 1
        }
    );
}

#[test]
fn describe_simple_stream_list_parses_the_openapi_fields() {
    let op = DescribeSimpleStreamList::new("room1").unwrap();
    let streams = parse_response(
        &op,
        &ok_with(
            r#"{"StreamList":[{"StreamId":"stream_demo","UserId":"user_demo",
                "UserName":"user_name_demo","CreateTime":1642045110123,"StreamNumberId":10}]}"#,
        ),
    )
    .unwrap()
    .data
    .streams;
    assert_eq!(
        streams,
        vec![RoomStream {
            stream_id: "stream_demo".into(),
            user_id: "user_demo".into(),
            user_name: "user_name_demo".into(),
            create_time: 1_642_045_110_123,
            stream_number_id: 10,
        }]
    );
    // A wrong shape is a typed data error, not a panic.
    assert!(parse_response(&op, &ok_with(r#"{"StreamList":7}"#)).is_err());
}

#[test]
fn the_room_codes_have_their_classes() {
    use zego_proto::{ErrorClass, ReturnCode};
    let body = r#"{"Code":50011,"Message":"user list too long","RequestId":"1"}"#;
    let err = parse_response(
        &KickoutUser::new("r", ["u"]).unwrap(),
        &HttpResponse::new(200, body),
    )
    .unwrap_err();
    assert_eq!(err.class(), ErrorClass::BadRequest);
    assert_eq!(ReturnCode::from_code(138).class(), ErrorClass::NotFound);
    assert_eq!(ReturnCode::from_code(50001).class(), ErrorClass::NotFound);
}

/// Section 7's set for user and room IDs, written out again here (not taken from the
/// crate) so the test checks the crate against the spec.
const ID_PUNCTUATION: &str = "~!@#$%^&*()_+=-`;',.<>/\\";

fn id_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || ID_PUNCTUATION.contains(c)
}

proptest::proptest! {
    /// Any user ID is accepted exactly when it is 1..=64 bytes of section 7's characters;
    /// a refusal names the first bad character and its position (after the length check).
    #[test]
    fn user_ids_are_accepted_exactly_per_section_7(id in "\\PC{0,70}|[a-zA-Z0-9~!@#$%^&*()_+=`;',.<>/\\\\-]{0,70}") {
        let result = DescribeUsers::new("room1", [id.clone()]);
        let valid = !id.is_empty() && id.len() <= 64 && id.chars().all(id_char_ok);
        proptest::prop_assert_eq!(result.is_ok(), valid, "{:?}", id);
        if let Err(e) = result {
            if let Problem::Character { character, position } = e.problem() {
                // Positions count characters from 1.
                let first_bad = id.chars().enumerate().find(|(_, c)| !id_char_ok(*c));
                proptest::prop_assert_eq!(first_bad, Some((*position - 1, *character)));
            }
        }
    }

    /// Room IDs: the same characters, 1..=128 bytes.
    #[test]
    fn room_ids_are_accepted_exactly_per_section_7(id in "[a-zA-Z0-9~!@#$%^&*()_+=`;',.<>/\\\\ ?é-]{0,140}") {
        let valid = !id.is_empty() && id.len() <= 128 && id.chars().all(id_char_ok);
        proptest::prop_assert_eq!(DescribeUserNum::new([id.clone()]).is_ok(), valid, "{:?}", id);
        proptest::prop_assert_eq!(CloseRoom::new(id.clone()).is_ok(), valid);
    }
}
