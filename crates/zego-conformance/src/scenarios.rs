//! The scenarios. Each starts its own simulator (own port, own state) and its own
//! clients, so they run in parallel; none asserts on luck with the wall clock, only
//! generous upper bounds.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_proto::ops::{
    CdnVendor, DisabledPrivilege, EffectiveTime, ForbidCdnLiveStream, MediaBan, RawOperation,
    UserRuleTarget, UserRuleType,
};
use zego_proto::{
    CallError, CallErrorKind, Clock, Credentials, ManualClock, RetryPolicy, SystemClock,
    TransportErrorKind,
};
use zego_sim::{Env, Fault, FaultPlan, SimHandle, Simulator};

use crate::{ClientSetup, MakeClient};

/// The simulator app every scenario uses.
pub const APP_ID: u32 = 1234567890;
/// Its ServerSecret.
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn credentials() -> Credentials {
    Credentials::new(APP_ID, SECRET).expect("valid credentials")
}

fn sim() -> SimHandle {
    Simulator::builder()
        .app(APP_ID, SECRET)
        .start()
        .expect("the simulator starts")
}

fn setup(sim: &SimHandle) -> ClientSetup {
    ClientSetup::new(credentials(), sim.base_url())
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}-{i}")).collect()
}

fn forbidden(sim: &SimHandle) -> BTreeSet<String> {
    sim.forbidden_rtc_streams(APP_ID, Env::Production)
}

fn rate_limit_answers(sim: &SimHandle) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| {
            matches!(r.code, Some(30002 | 206 | 1010 | 5007 | 7 | 207)) && r.fault.is_none()
        })
        .count()
}

fn code(err: &CallError) -> Option<i64> {
    err.code().map(zego_proto::ReturnCode::code)
}

/// The four RTC forbid/resume actions change the forbidden set.
pub fn rtc_forbid_actions_change_the_state(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    client
        .forbid_rtc_streams(ids("batch", 3))
        .expect("ForbidRTCStreams");
    assert_eq!(forbidden(&sim), ids("batch", 3).into_iter().collect());
    client
        .resume_rtc_streams(vec!["batch-0".into(), "batch-2".into()])
        .expect("ResumeRTCStreams");
    assert_eq!(forbidden(&sim), BTreeSet::from(["batch-1".to_owned()]));
    let answer = client.forbid_rtc_stream("single").expect("ForbidRTCStream");
    assert!(!answer.request_id.is_empty());
    assert!(forbidden(&sim).contains("single"));
    client.resume_rtc_stream("single").expect("ResumeRTCStream");
    assert_eq!(forbidden(&sim), BTreeSet::from(["batch-1".to_owned()]));
    assert_eq!(sim.sequence_rejections(), 0);
    assert_eq!(sim.request_log().len(), 4);
}

/// Set, describe and delete a stream ban rule.
pub fn stream_rule_actions_change_the_state(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    client
        .set_forbid_stream_rule(
            "room-1",
            "s1",
            MediaBan::Audio,
            EffectiveTime::new(3600).unwrap(),
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
        .describe_forbid_stream_rules("room-1", vec!["s1".into(), "unknown".into()])
        .expect("DescribeForbidStreamRules")
        .data;
    assert_eq!(described.room_id, "room-1");
    assert_eq!(described.rules.len(), 2);
    assert!(described.rules[0].disable_audio && !described.rules[0].disable_video);
    assert_eq!(described.rules[0].effective_time, 3600);
    assert!(described.rules[1].is_empty());

    client
        .del_forbid_stream_rule("room-1", "s1")
        .expect("DelForbidStreamRule");
    assert!(sim.state(APP_ID, Env::Production).stream_rules.is_empty());
    // Deleting a missing rule succeeds.
    client
        .del_forbid_stream_rule("room-1", "s1")
        .expect("DelForbidStreamRule of a missing rule");
}

/// Forbid, query and resume a CDN live stream.
pub fn cdn_actions_change_the_state(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    let results = client
        .forbid_cdn_live_stream(&ForbidCdnLiveStream::new("live-1").unwrap())
        .expect("ForbidCDNLiveStream")
        .data;
    assert_eq!(results[0].cdn_type, "ws");
    assert!(sim
        .state(APP_ID, Env::Production)
        .cdn_forbids
        .contains_key("live-1"));
    let list = client
        .query_forbid_cdn_live_stream(CdnVendor::WangSu)
        .expect("QueryForbidCDNLiveStream")
        .data;
    assert_eq!(list.ws.result_detail.len(), 1);
    assert!(list.ws.result_detail[0].url.ends_with("/live-1"));
    client
        .resume_cdn_live_stream("live-1")
        .expect("ResumeCDNLiveStream");
    assert!(sim.state(APP_ID, Env::Production).cdn_forbids.is_empty());
}

/// `DescribeRTCStreamState` reads the stream's state.
pub fn stream_state_is_described(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    sim.set_stream_live(APP_ID, Env::Production, "live", 1_700_000_000);
    let state = client
        .describe_rtc_stream_state("live")
        .expect("DescribeRTCStreamState")
        .data;
    assert!(state.is_live());
    assert_eq!(state.create_time_secs(), Some(1_700_000_000));
    let err = client.describe_rtc_stream_state("never-seen").unwrap_err();
    assert_eq!(code(&err), Some(41004));
}

/// Set, describe and delete a user ban rule.
pub fn user_rule_actions_change_the_state(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    let target = UserRuleTarget::room_user("room-9", "user-9").unwrap();
    let expiry = client
        .set_forbid_user_rule(
            target.clone(),
            vec![DisabledPrivilege::Publish, DisabledPrivilege::Login],
            EffectiveTime::new(600).unwrap(),
        )
        .expect("SetForbidUserRule")
        .data;
    let state = sim.state(APP_ID, Env::Production);
    assert_eq!(state.user_rules.len(), 1);
    assert_eq!(state.user_rules[0].rule_type, 4);
    assert_eq!(state.user_rules[0].disabled_privileges, [1, 2]);
    assert_eq!(expiry.expire_time, state.user_rules[0].expire_time);

    let rules = client
        .describe_forbid_user_rules(UserRuleType::RoomUser)
        .expect("DescribeForbidUserRules")
        .data;
    assert_eq!(rules.rules.len(), 1);
    assert_eq!(rules.rules[0].user_id, "user-9");
    client
        .del_forbid_user_rule(target)
        .expect("DelForbidUserRule");
    assert!(sim.state(APP_ID, Env::Production).user_rules.is_empty());
}

/// A raw operation with a sequence is signed, sent and applied like a typed one.
pub fn raw_call_reaches_the_server(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    let op = RawOperation::new("ForbidRTCStream")
        .unwrap()
        .param("StreamId", "raw stream/1")
        .unwrap()
        .sequence(client.core().next_sequence(SystemClock.now()));
    let answer = client.call(&op).expect("raw ForbidRTCStream");
    assert!(answer.data.0.is_null());
    assert!(forbidden(&sim).contains("raw stream/1"));
    let unknown = RawOperation::new("NoSuchAction").unwrap();
    let err = client.call(&unknown).unwrap_err();
    assert_eq!(code(&err), Some(100000007));
    assert_eq!(err.attempts(), 1);
}

/// Every client-side validation error is raised before anything is sent.
pub fn validation_errors_are_raised_before_sending(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    let long = "x".repeat(257);
    let results: Vec<(&str, Result<(), CallError>)> = vec![
        ("no streams", client.forbid_rtc_streams(vec![]).map(drop)),
        (
            "21 streams",
            client.forbid_rtc_streams(ids("s", 21)).map(drop),
        ),
        (
            "empty id in batch",
            client
                .resume_rtc_streams(vec!["a".into(), String::new()])
                .map(drop),
        ),
        ("empty id", client.forbid_rtc_stream("").map(drop)),
        ("long id", client.resume_rtc_stream(&long).map(drop)),
        (
            "empty room",
            client
                .set_forbid_stream_rule("", "s", MediaBan::Video, EffectiveTime::default())
                .map(drop),
        ),
        (
            "long rule id",
            client
                .set_forbid_stream_rule("r", &long, MediaBan::Video, EffectiveTime::default())
                .map(drop),
        ),
        (
            "11 described",
            client
                .describe_forbid_stream_rules("r", ids("s", 11))
                .map(drop),
        ),
        (
            "none described",
            client.describe_forbid_stream_rules("r", vec![]).map(drop),
        ),
        (
            "del empty stream",
            client.del_forbid_stream_rule("r", "").map(drop),
        ),
        (
            "cdn resume empty",
            client.resume_cdn_live_stream("").map(drop),
        ),
        (
            "state empty",
            client.describe_rtc_stream_state("").map(drop),
        ),
        (
            "no privileges",
            client
                .set_forbid_user_rule(
                    UserRuleTarget::user("u").unwrap(),
                    vec![],
                    EffectiveTime::default(),
                )
                .map(drop),
        ),
    ];
    for (what, result) in results {
        let err = result.expect_err(what);
        assert!(
            matches!(err.kind(), CallErrorKind::Validation(_)),
            "{what}: {err}"
        );
        assert_eq!(err.attempts(), 0, "{what}");
    }
    // The constructors of the ops refuse the rest.
    assert!(ForbidCdnLiveStream::new("").is_err());
    assert!(EffectiveTime::new(0).is_err());
    assert!(UserRuleTarget::ip("not an ip").is_err());
    assert!(RawOperation::new("Bad Action").is_err());
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
}

/// A wrong ServerSecret surfaces 100000005 after one attempt.
pub fn bad_secret_is_reported_and_not_retried(make: MakeClient<'_>) {
    let sim = sim();
    let mut s = setup(&sim);
    s.credentials = Credentials::new(APP_ID, "ffffffffffffffffffffffffffffffff").unwrap();
    let client = make(s);
    let err = client.forbid_rtc_stream("s").unwrap_err();
    assert_eq!(code(&err), Some(100000005), "{err}");
    assert_eq!(
        err.attempts(),
        1,
        "authentication failures are never retried"
    );
    assert_eq!(sim.request_log().len(), 1);
    assert!(forbidden(&sim).is_empty());
}

/// A clock 20 minutes off surfaces 100000004; retries stay within the policy.
pub fn skewed_clock_is_reported_within_the_policy(make: MakeClient<'_>) {
    let sim = sim();
    let skewed = SystemClock
        .unix_time()
        .saturating_sub(Duration::from_secs(20 * 60));
    let policy = RetryPolicy {
        base_delay: Duration::from_millis(10),
        ..RetryPolicy::default()
    };
    let mut s = setup(&sim);
    s.clock = Some(Arc::new(ManualClock::new(skewed)));
    s.retry_policy = Some(policy.clone());
    s.rate_limit = false;
    let client = make(s);
    let err = client.forbid_rtc_streams(vec!["s".into()]).unwrap_err();
    assert_eq!(code(&err), Some(100000004), "{err}");
    assert!(err.attempts() >= 1 && err.attempts() <= policy.max_attempts);
    // Clock errors are retried at most once (freshly signed); the skew stays, so it fails.
    assert!(err.attempts() <= 2, "{err}");
    assert_eq!(sim.request_log().len(), err.attempts() as usize);
    assert!(forbidden(&sim).is_empty());
}

/// 60 forbid calls from 6 threads against a 20/s quota: the client's limiter spreads
/// them, so the server never answers 30002.
pub fn burst_above_quota_gets_no_rate_limit_answers(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..6 {
            let client = &client;
            scope.spawn(move || {
                for i in 0..10 {
                    client
                        .forbid_rtc_stream(&format!("burst-{t}-{i}"))
                        .expect("ForbidRTCStream");
                }
            });
        }
    });
    let elapsed = started.elapsed();
    eprintln!("burst of 60 forbids at 20/s: {elapsed:?} (ideal about 2 s)");
    assert_eq!(rate_limit_answers(&sim), 0);
    assert_eq!(sim.request_log().len(), 60);
    assert_eq!(forbidden(&sim).len(), 60);
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// 30 % injected faults (transient codes, HTTP 503, dropped connections): every operation
/// is retried to success, in order, and the final state is exactly as intended.
pub fn transient_faults_are_retried_in_order(make: MakeClient<'_>) {
    let sim = Simulator::builder()
        .app(APP_ID, SECRET)
        .faults(
            FaultPlan::new()
                .seed(7)
                .all(Fault::TransientCode, 0.1)
                .all(Fault::Http503, 0.1)
                .all(Fault::DropConnection, 0.1),
        )
        .start()
        .expect("the simulator starts");
    let mut s = setup(&sim);
    s.retry_policy = Some(RetryPolicy {
        max_attempts: 15,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(100),
        ..RetryPolicy::default()
    });
    let client = make(s);
    let streams = ids("f", 10);
    for round in 0..8 {
        client
            .forbid_rtc_streams(streams.clone())
            .unwrap_or_else(|e| panic!("round {round} forbid: {e}"));
        client
            .resume_rtc_streams(streams[..5].to_vec())
            .unwrap_or_else(|e| panic!("round {round} resume: {e}"));
        client
            .forbid_rtc_stream(&streams[0])
            .unwrap_or_else(|e| panic!("round {round} single forbid: {e}"));
        client
            .resume_rtc_stream(&streams[9])
            .unwrap_or_else(|e| panic!("round {round} single resume: {e}"));
    }
    let log = sim.request_log();
    let faulted = log.iter().filter(|r| r.fault.is_some()).count();
    eprintln!("{} requests, {faulted} faulted", log.len());
    assert!(faulted > 0, "the plan injected no fault");
    assert_eq!(sim.sequence_rejections(), 0);
    let expected: BTreeSet<String> = ["f-0", "f-5", "f-6", "f-7", "f-8"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(forbidden(&sim), expected);
}

/// A server that never answers: a Timeout within the configured bound.
pub fn hanging_server_times_out(make: MakeClient<'_>) {
    let sim = Simulator::builder()
        .app(APP_ID, SECRET)
        .faults(FaultPlan::new().seed(1).all(Fault::Hang, 1.0))
        .start()
        .expect("the simulator starts");
    let mut s = setup(&sim);
    s.request_timeout = Duration::from_millis(300);
    s.retry_policy = Some(RetryPolicy::never());
    let client = make(s);
    let started = Instant::now();
    let err = client.forbid_rtc_stream("s").unwrap_err();
    let elapsed = started.elapsed();
    eprintln!("hang answered after {elapsed:?} (timeout 300 ms)");
    assert!(
        matches!(err.kind(), CallErrorKind::Transport(t) if t.kind() == TransportErrorKind::Timeout),
        "{err}"
    );
    assert_eq!(err.attempts(), 1);
    assert!(elapsed >= Duration::from_millis(250), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

/// An answer larger than the cap fails with `BodyTooLarge` and is not retried.
pub fn oversized_body_is_refused(make: MakeClient<'_>) {
    let sim = sim();
    let mut s = setup(&sim);
    s.max_body_bytes = 16;
    let client = make(s);
    let err = client.forbid_rtc_stream("s").unwrap_err();
    assert!(
        matches!(err.kind(), CallErrorKind::Transport(t) if t.kind() == TransportErrorKind::BodyTooLarge { limit: 16 }),
        "{err}"
    );
    assert_eq!(err.attempts(), 1);
}

/// 1,000 streams in bulk, with both rate limiters on: exactly those streams end up
/// forbidden, with no rate-limit answer.
pub fn bulk_forbid_of_1000_streams(make: MakeClient<'_>) {
    let sim = sim();
    let client = make(setup(&sim));
    let started = Instant::now();
    let report = client.bulk_forbid(Box::new((0..1000).map(|i| format!("bulk-{i:04}"))));
    let elapsed = started.elapsed();
    eprintln!("bulk forbid of 1000 streams: {elapsed:?} (ideal ceil(1000/20)/20 s = 2.5 s)");
    assert!(report.is_success(), "{:?}", report.failures);
    assert_eq!(report.succeeded, 1000);
    assert_eq!(report.requests, 50);
    let expected: BTreeSet<String> = (0..1000).map(|i| format!("bulk-{i:04}")).collect();
    assert_eq!(forbidden(&sim), expected);
    assert_eq!(rate_limit_answers(&sim), 0);
    assert_eq!(sim.sequence_rejections(), 0);
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}
