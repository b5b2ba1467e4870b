//! Every action changes (or reads) the simulator's state as ZEGO documents.

use std::collections::BTreeSet;

use zego_proto::ops::{
    AddStream, CdnVendor, CloseRoom, DelForbidStreamRule, DelForbidUserRule, DeleteStream,
    DescribeForbidStreamRules, DescribeForbidUserRules, DescribeRtcStreamState,
    DescribeSimpleStreamList, DescribeUserList, DescribeUserNum, DescribeUsers, DisabledPrivilege,
    EffectiveTime, ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, KickoutUser, MediaBan,
    QueryForbidCdnLiveStream, RawOperation, ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams,
    SetForbidStreamRule, SetForbidUserRule, UserOrder, UserRuleTarget, UserRuleType,
};
use zego_proto::Environment;
use zego_sim::Env;

use super::{
    code, forbidden, ids, ids_numbered, rate_limit_answers, setup, sim, MakeClient, Scenario,
    APP_ID,
};
use crate::ClientUnderTest;

/// This theme's scenarios.
pub(super) fn scenarios<C: ClientUnderTest>() -> Vec<Scenario<C>> {
    register![
        every_catalogued_action_is_served,
        rtc_forbid_actions_change_the_state,
        stream_rule_actions_change_the_state,
        cdn_actions_change_the_state,
        stream_state_is_described,
        user_rule_actions_change_the_state,
        raw_call_reaches_the_server,
        room_actions_change_the_state,
        room_stream_actions_use_the_test_prefix,
        user_list_pages_follow_the_marker
    ]
}

/// One valid example of every action of the core's catalog (`ops::testing::examples()`)
/// is signed, sent and answered with success, in both environments: an action added to
/// the catalog is covered here without touching this suite.
pub fn every_catalogued_action_is_served<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    for environment in [Environment::Production, Environment::Test] {
        let env = if environment.is_test() {
            Env::Test
        } else {
            Env::Production
        };
        // The example rooms have the example users and streams (`room1`: `user1`, and
        // `user2` who publishes `stream2`; `room3`: `user4` who publishes `rtc01`).
        let stream = |id: &str| {
            if environment.is_test() {
                format!("zegotest-{APP_ID}-{id}")
            } else {
                id.to_owned()
            }
        };
        sim.login_user(APP_ID, env, "room1", "user1", "User 1");
        assert!(sim.publish_stream(APP_ID, env, "room1", "user2", &stream("stream2")));
        assert!(sim.publish_stream(APP_ID, env, "room3", "user4", &stream("rtc01")));
        sim.login_user(APP_ID, env, "room2", "user3", "User 3");
        let mut setup = setup(&sim);
        setup.environment = environment;
        let client = make(setup);
        let examples = zego_proto::ops::testing::examples();
        assert_eq!(examples.len(), zego_proto::ops::CATALOG.len());
        for op in &examples {
            if let Err(e) = client.execute(op) {
                panic!(
                    "{} ({environment:?}): {e}",
                    zego_proto::Operation::action(op)
                );
            }
        }
    }
    assert_eq!(rate_limit_answers(&sim), 0);
}

/// The four RTC forbid/resume actions change the forbidden set.
pub fn rtc_forbid_actions_change_the_state<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    client
        .execute(&ForbidRtcStreams::new(ids("batch", 3)).unwrap())
        .expect("ForbidRTCStreams");
    assert_eq!(forbidden(&sim), ids("batch", 3).into_iter().collect());
    client
        .execute(&ResumeRtcStreams::new(["batch-0", "batch-2"]).unwrap())
        .expect("ResumeRTCStreams");
    assert_eq!(forbidden(&sim), BTreeSet::from(["batch-1".to_owned()]));
    let answer = client
        .execute(&ForbidRtcStream::new("single").unwrap())
        .expect("ForbidRTCStream");
    assert!(!answer.request_id.is_empty());
    assert!(forbidden(&sim).contains("single"));
    client
        .execute(&ResumeRtcStream::new("single").unwrap())
        .expect("ResumeRTCStream");
    assert_eq!(forbidden(&sim), BTreeSet::from(["batch-1".to_owned()]));
    assert_eq!(sim.sequence_rejections(), 0);
    assert_eq!(sim.request_log().len(), 4);
}

/// Set, describe and delete a stream ban rule.
pub fn stream_rule_actions_change_the_state<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    client
        .execute(
            &SetForbidStreamRule::new(
                "room-1",
                "s1",
                MediaBan::Audio,
                EffectiveTime::new(3600).unwrap(),
            )
            .unwrap(),
        )
        .expect("SetForbidStreamRule");
    let state = sim.state(APP_ID, Env::Production);
    assert_eq!(state.stream_rules.len(), 1);
    let rule = &state.stream_rules[0];
    assert_eq!(
        (rule.room_id.as_str(), rule.stream_id.as_str()),
        ("room-1", "s1")
    );
    assert!(rule.disable_audio && !rule.disable_video);
    assert_eq!(rule.effective_time, 3600);

    let described = client
        .execute(&DescribeForbidStreamRules::new("room-1", ["s1", "unknown"]).unwrap())
        .expect("DescribeForbidStreamRules")
        .data;
    assert_eq!(described.room_id, "room-1");
    assert_eq!(described.rules.len(), 2);
    assert!(described.rules[0].disable_audio && !described.rules[0].disable_video);
    assert_eq!(described.rules[0].effective_time, 3600);
    assert!(described.rules[1].is_empty());

    let delete = DelForbidStreamRule::new("room-1", "s1").unwrap();
    client.execute(&delete).expect("DelForbidStreamRule");
    assert!(sim.state(APP_ID, Env::Production).stream_rules.is_empty());
    // Deleting a missing rule succeeds.
    client
        .execute(&delete)
        .expect("DelForbidStreamRule of a missing rule");
}

/// Forbid, query and resume a CDN live stream.
pub fn cdn_actions_change_the_state<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    let results = client
        .execute(&ForbidCdnLiveStream::new("live-1").unwrap())
        .expect("ForbidCDNLiveStream")
        .data;
    assert_eq!(results[0].cdn_type, "ws");
    assert!(sim
        .state(APP_ID, Env::Production)
        .cdn_forbids
        .contains_key("live-1"));
    let list = client
        .execute(&QueryForbidCdnLiveStream::new(CdnVendor::WangSu))
        .expect("QueryForbidCDNLiveStream")
        .data;
    assert_eq!(list.ws.result_detail.len(), 1);
    assert!(list.ws.result_detail[0].url.ends_with("/live-1"));
    client
        .execute(&ResumeCdnLiveStream::new("live-1").unwrap())
        .expect("ResumeCDNLiveStream");
    assert!(sim.state(APP_ID, Env::Production).cdn_forbids.is_empty());
}

/// `DescribeRTCStreamState` reads the stream's state.
pub fn stream_state_is_described<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    sim.set_stream_live(APP_ID, Env::Production, "live", 1_700_000_000);
    let state = client
        .execute(&DescribeRtcStreamState::new("live").unwrap())
        .expect("DescribeRTCStreamState")
        .data;
    assert!(state.is_live());
    assert_eq!(state.create_time_secs(), Some(1_700_000_000));
    let err = client
        .execute(&DescribeRtcStreamState::new("never-seen").unwrap())
        .unwrap_err();
    assert_eq!(code(&err), Some(41004));
}

/// Set, describe and delete a user ban rule.
pub fn user_rule_actions_change_the_state<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    let target = UserRuleTarget::room_user("room-9", "user-9").unwrap();
    let expiry = client
        .execute(
            &SetForbidUserRule::new(
                target.clone(),
                [DisabledPrivilege::Publish, DisabledPrivilege::Login],
                EffectiveTime::new(600).unwrap(),
            )
            .unwrap(),
        )
        .expect("SetForbidUserRule")
        .data;
    let state = sim.state(APP_ID, Env::Production);
    assert_eq!(state.user_rules.len(), 1);
    assert_eq!(state.user_rules[0].rule_type, 4);
    assert_eq!(state.user_rules[0].disabled_privileges, [1, 2]);
    assert_eq!(expiry.expire_time, state.user_rules[0].expire_time);

    let rules = client
        .execute(&DescribeForbidUserRules::new(UserRuleType::RoomUser))
        .expect("DescribeForbidUserRules")
        .data;
    assert_eq!(rules.rules.len(), 1);
    assert_eq!(rules.rules[0].user_id, "user-9");
    client
        .execute(&DelForbidUserRule::new(target))
        .expect("DelForbidUserRule");
    assert!(sim.state(APP_ID, Env::Production).user_rules.is_empty());
}

/// A raw operation with a sequence is signed, sent and applied like a typed one.
pub fn raw_call_reaches_the_server<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    let op = RawOperation::new("ForbidRTCStream")
        .unwrap()
        .param("StreamId", "raw stream/1")
        .unwrap()
        .stamped_sequence();
    let answer = client.execute(&op).expect("raw ForbidRTCStream");
    assert!(answer.data.0.is_null());
    assert!(forbidden(&sim).contains("raw stream/1"));
    let unknown = RawOperation::new("NoSuchAction").unwrap();
    let err = client.execute(&unknown).unwrap_err();
    assert_eq!(code(&err), Some(100000007));
    assert_eq!(err.attempts(), 1);
}

/// The room actions change the simulator's rooms as ZEGO documents: kick takes the user
/// and their streams, delete stream leaves the user, close room takes everything; the
/// lookups describe what is there.
pub fn room_actions_change_the_state<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    let p = Env::Production;
    assert!(sim.publish_stream(APP_ID, p, "room1", "host", "s-host"));
    assert!(sim.publish_stream(APP_ID, p, "room1", "cheater", "s-cheat"));
    sim.login_user(APP_ID, p, "room1", "viewer", "Viewer");

    let counts = client
        .execute(&DescribeUserNum::new(["room1", "empty"]).unwrap())
        .expect("DescribeUserNum")
        .data
        .rooms;
    assert_eq!(
        counts.iter().map(|c| c.user_count).collect::<Vec<_>>(),
        [3, 0]
    );
    let statuses = client
        .execute(&DescribeUsers::new("room1", ["viewer", "nobody"]).unwrap())
        .expect("DescribeUsers")
        .data
        .users;
    assert!(statuses[0].is_in_room() && !statuses[1].is_in_room());
    assert!(statuses[0].login_time > 0);
    client
        .execute(
            &AddStream::new("room1", "Server-Administrator", "Server", "cdn-1")
                .unwrap()
                .with_title("Movie night")
                .unwrap(),
        )
        .expect("AddStream");
    let streams = client
        .execute(&DescribeSimpleStreamList::new("room1").unwrap())
        .expect("DescribeSimpleStreamList")
        .data
        .streams;
    assert_eq!(
        streams
            .iter()
            .map(|s| s.stream_id.as_str())
            .collect::<Vec<_>>(),
        ["s-host", "s-cheat", "cdn-1"]
    );

    client
        .execute(
            &KickoutUser::new("room1", ["cheater"])
                .unwrap()
                .with_reason("spam & abuse")
                .unwrap(),
        )
        .expect("KickoutUser");
    let room = sim.room(APP_ID, p, "room1").unwrap();
    assert!(!room.users.contains_key("cheater"));
    assert!(!room.streams.contains_key("s-cheat"));
    kick_with_reasons_real_clients_send(&client);
    assert!(sim.state(APP_ID, p).stream_states["s-cheat"]
        .close_time
        .is_some());

    client
        .execute(&DeleteStream::new("room1", "host", "Host", "s-host").unwrap())
        .expect("DeleteStream");
    let err = client
        .execute(&DeleteStream::new("room1", "host", "Host", "s-host").unwrap())
        .unwrap_err();
    assert_eq!(code(&err), Some(138));
    assert_eq!(err.class(), zego_proto::ErrorClass::NotFound);
    let room = sim.room(APP_ID, p, "room1").unwrap();
    assert!(room.users.contains_key("host"), "the user stays");
    assert!(!room.streams.contains_key("s-host"));

    let page = client
        .execute(
            &DescribeUserList::new("room1")
                .unwrap()
                .with_order(UserOrder::NewestFirst),
        )
        .expect("DescribeUserList")
        .data;
    assert!(!page.has_more());
    assert_eq!(
        page.users
            .iter()
            .map(|u| u.user_id.as_str())
            .collect::<Vec<_>>(),
        ["viewer", "host"]
    );

    client
        .execute(
            &CloseRoom::new("room1")
                .unwrap()
                .with_room_close_callback(true),
        )
        .expect("CloseRoom");
    assert!(sim.room(APP_ID, p, "room1").is_none());
    let err = client
        .execute(&CloseRoom::new("room1").unwrap())
        .unwrap_err();
    assert_eq!(code(&err), Some(5024));
    // Nothing was rate limited, and a not-found answer was not retried.
    assert_eq!(rate_limit_answers(&sim), 0, "{:?}", sim.request_log());
    assert_eq!(sim.request_log().len(), 10 + 2); // + the two kicks with reasons
}

/// A reason with a literal '%', and one of the longest text (256 spaces: 768 bytes once
/// encoded), both encoded by the SDK: the simulator takes them (spec section 4b).
fn kick_with_reasons_real_clients_send<C: ClientUnderTest>(client: &C) {
    for reason in ["100% spam".to_owned(), " ".repeat(256)] {
        client
            .execute(
                &KickoutUser::new("room1", ["nobody"])
                    .unwrap()
                    .with_reason(&reason)
                    .unwrap(),
            )
            .unwrap_or_else(|e| panic!("{reason:?}: {e}"));
    }
}

/// In the test environment the room-stream actions carry the `zegotest-<AppId>-` prefix,
/// added by the core; user and room IDs do not.
pub fn room_stream_actions_use_the_test_prefix<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let mut s = setup(&sim);
    s.environment = Environment::Test;
    let client = make(s);
    let prefixed = format!("zegotest-{APP_ID}-s1");
    assert!(sim.publish_stream(APP_ID, Env::Test, "room1", "host", &prefixed));
    client
        .execute(&DeleteStream::new("room1", "host", "Host", "s1").unwrap())
        .expect("DeleteStream in the test environment");
    assert!(sim
        .room(APP_ID, Env::Test, "room1")
        .unwrap()
        .streams
        .is_empty());
}

/// Every page of a room's users through the client's paginator, following `Marker`.
pub fn user_list_pages_follow_the_marker<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    for i in 0..25 {
        sim.login_user(APP_ID, Env::Production, "big", &format!("u{i:02}"), "U");
    }
    let pages = client.user_pages(
        DescribeUserList::new("big")
            .unwrap()
            .with_limit(10)
            .unwrap(),
    );
    let pages: Vec<_> = pages.into_iter().map(|p| p.expect("a page")).collect();
    assert_eq!(pages.len(), 3);
    let users: Vec<String> = pages
        .iter()
        .flat_map(|p| p.data.users.iter().map(|u| u.user_id.clone()))
        .collect();
    assert_eq!(users, ids_numbered("u", 25));
    assert!(!pages[2].data.has_more());
    // The pages went at the room's quota (1/s): no rate-limit answer.
    assert_eq!(rate_limit_answers(&sim), 0);
}
