//! The scenarios. Each starts its own simulator (own port, own state) and its own
//! clients, so they run in parallel; none asserts on luck with the wall clock, only
//! generous upper bounds.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_proto::admission::LocalCoordinator;
use zego_proto::clock::{Clock, ManualClock, SystemClock};
use zego_proto::driver::TransportErrorKind;
use zego_proto::ops::{
    AddStream, CloseRoom, DeleteStream, DescribeSimpleStreamList, DescribeUserList,
    DescribeUserNum, DescribeUsers, KickoutUser, UserOrder,
};
use zego_proto::ops::{
    CdnVendor, DelForbidStreamRule, DelForbidUserRule, DescribeForbidStreamRules,
    DescribeForbidUserRules, DescribeRtcStreamState, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan, QueryForbidCdnLiveStream,
    RawOperation, ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams, SetForbidStreamRule,
    SetForbidUserRule, UserRuleTarget, UserRuleType,
};
use zego_proto::{
    BulkAction, BulkOptions, BulkReport, CallError, CallErrorKind, Credentials, Environment,
    RetryPolicy,
};
use zego_sim::{Env, Fault, FaultPlan, RateGroup, SimHandle, Simulator};

use crate::hostile::{HostileServer, Reply, SUCCESS};
use crate::{ClientSetup, ClientUnderTest, CoordinatorSetup};

/// How a scenario makes its clients.
pub type MakeClient<'a, C> = &'a dyn Fn(ClientSetup) -> C;

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

/// Every client-side validation error is raised before anything is sent: by the
/// operations' constructors, and by the core for what depends on the client's settings
/// (the test-environment prefix counts toward the 256-byte limit).
pub fn validation_errors_are_raised_before_sending<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let long = "x".repeat(257);
    let refused: Vec<(&str, Option<zego_proto::ValidationError>)> = vec![
        (
            "no streams",
            ForbidRtcStreams::new(Vec::<String>::new()).err(),
        ),
        ("21 streams", ForbidRtcStreams::new(ids("s", 21)).err()),
        ("empty id in batch", ResumeRtcStreams::new(["a", ""]).err()),
        ("empty id", ForbidRtcStream::new("").err()),
        ("long id", ResumeRtcStream::new(long.clone()).err()),
        (
            "empty room",
            SetForbidStreamRule::new("", "s", MediaBan::Video, EffectiveTime::default()).err(),
        ),
        (
            "long rule id",
            SetForbidStreamRule::new("r", long.clone(), MediaBan::Video, EffectiveTime::default())
                .err(),
        ),
        (
            "11 described",
            DescribeForbidStreamRules::new("r", ids("s", 11)).err(),
        ),
        (
            "none described",
            DescribeForbidStreamRules::new("r", Vec::<String>::new()).err(),
        ),
        ("del empty stream", DelForbidStreamRule::new("r", "").err()),
        ("cdn forbid empty", ForbidCdnLiveStream::new("").err()),
        ("cdn resume empty", ResumeCdnLiveStream::new("").err()),
        ("state empty", DescribeRtcStreamState::new("").err()),
        (
            "no privileges",
            SetForbidUserRule::new(
                UserRuleTarget::user("u").unwrap(),
                Vec::<DisabledPrivilege>::new(),
                EffectiveTime::default(),
            )
            .err(),
        ),
        ("no duration", EffectiveTime::new(0).err()),
        ("bad ip", UserRuleTarget::ip("not an ip").err()),
        ("bad action", RawOperation::new("Bad Action").err()),
    ];
    for (what, error) in refused {
        assert!(error.is_some(), "{what} was accepted");
    }
    // Valid on its own, too long once the client adds the test-environment prefix: the
    // core refuses it through the one entry point, before sending.
    let mut s = setup(&sim);
    s.environment = Environment::Test;
    let client = make(s);
    let err = client
        .execute(&ForbidRtcStream::new("x".repeat(250)).unwrap())
        .unwrap_err();
    assert!(matches!(err.kind(), CallErrorKind::Validation(_)), "{err}");
    assert_eq!(err.attempts(), 0);
    assert_eq!(err.action(), "ForbidRTCStream");
    assert!(sim.request_log().is_empty(), "{:?}", sim.request_log());
}

/// A wrong ServerSecret surfaces 100000005 after one attempt.
pub fn bad_secret_is_reported_and_not_retried<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let mut s = setup(&sim);
    s.credentials = Credentials::new(APP_ID, "ffffffffffffffffffffffffffffffff").unwrap();
    let client = make(s);
    let err = client
        .execute(&ForbidRtcStream::new("s").unwrap())
        .unwrap_err();
    assert_eq!(code(&err), Some(100000005), "{err}");
    assert_eq!(
        err.attempts(),
        1,
        "authentication failures are never retried"
    );
    assert_eq!(sim.request_log().len(), 1);
    assert!(forbidden(&sim).is_empty());
}

/// A clock 20 minutes off: the first attempt gets 100000004, whose `Date` header shows
/// ZEGO's time; the retry is signed with the measured offset and succeeds, and so are the
/// client's later calls, on their first attempt.
pub fn skewed_clock_is_corrected_from_the_date_header<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let skew = Duration::from_secs(20 * 60);
    let skewed = SystemClock.unix_time().saturating_sub(skew);
    let mut s = setup(&sim);
    s.clock = Some(Arc::new(ManualClock::new(skewed)));
    let client = make(s.without_rate_limit());
    assert_eq!(client.core().clock_offset_millis(), None);
    client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .expect("re-signed with the server's time");
    let log = sim.request_log();
    assert_eq!(log.len(), 2, "one refused attempt, one retry");
    assert_eq!(log[0].code, Some(100000004));
    let offset = client.core().clock_offset_millis().expect("measured");
    let expected = i64::try_from(skew.as_millis()).unwrap();
    eprintln!("measured clock offset: {offset} ms (skew {expected} ms)");
    assert!((offset - expected).abs() < 60_000, "{offset} ms");
    client
        .execute(&ResumeRtcStreams::new(["s"]).unwrap())
        .expect("a later call");
    assert_eq!(sim.request_log().len(), 3, "signed right the first time");
    assert!(forbidden(&sim).is_empty());
}

/// 60 forbid calls from 6 threads against a 20/s quota: the client's limiter spreads
/// them, so the server never answers 30002.
pub fn burst_above_quota_gets_no_rate_limit_answers<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..6 {
            let client = &client;
            scope.spawn(move || {
                for i in 0..10 {
                    client
                        .execute(&ForbidRtcStream::new(format!("burst-{t}-{i}")).unwrap())
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
pub fn transient_faults_are_retried_in_order<C: ClientUnderTest>(make: MakeClient<'_, C>) {
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
            .execute(&ForbidRtcStreams::new(streams.clone()).unwrap())
            .unwrap_or_else(|e| panic!("round {round} forbid: {e}"));
        client
            .execute(&ResumeRtcStreams::new(streams[..5].to_vec()).unwrap())
            .unwrap_or_else(|e| panic!("round {round} resume: {e}"));
        client
            .execute(&ForbidRtcStream::new(&streams[0]).unwrap())
            .unwrap_or_else(|e| panic!("round {round} single forbid: {e}"));
        client
            .execute(&ResumeRtcStream::new(&streams[9]).unwrap())
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
pub fn hanging_server_times_out<C: ClientUnderTest>(make: MakeClient<'_, C>) {
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
    let err = client
        .execute(&ForbidRtcStream::new("s").unwrap())
        .unwrap_err();
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
pub fn oversized_body_is_refused<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let mut s = setup(&sim);
    s.max_body_bytes = 16;
    let client = make(s);
    let err = client
        .execute(&ForbidRtcStream::new("s").unwrap())
        .unwrap_err();
    assert!(
        matches!(err.kind(), CallErrorKind::Transport(t) if t.kind() == TransportErrorKind::BodyTooLarge { limit: 16 }),
        "{err}"
    );
    assert_eq!(err.attempts(), 1);
}

/// 1,000 streams in bulk, with both rate limiters on: exactly those streams end up
/// forbidden, with no rate-limit answer.
pub fn bulk_forbid_of_1000_streams<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let client = make(setup(&sim));
    let started = Instant::now();
    let ids = Box::new((0..1000).map(|i| format!("bulk-{i:04}")));
    let report = client.bulk(BulkAction::Forbid, ids, &BulkOptions::default());
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

/// Two clients in one process (say, two retry policies), alternating forbid and resume
/// on the same streams with client-side rate limiting off, on a clock that stands still
/// (the worst case for millisecond sequences): with the process's default coordinator
/// the simulator rejects no `Sequence`, and the final state is exactly the last operation
/// of each stream. The same run on two independent coordinators (as two processes
/// without a shared store would be) gets sequences rejected: the check can fail.
pub fn two_clients_in_one_process_never_reuse_a_sequence<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    let frozen: Arc<dyn Clock> = Arc::new(ManualClock::new(SystemClock.unix_time()));
    let run = |coordinators: [CoordinatorSetup; 2]| {
        let sim = sim();
        let [a, b] = coordinators.map(|coordinator| {
            let mut s = setup(&sim);
            s.clock = Some(Arc::clone(&frozen));
            s.coordinator = coordinator;
            make(s)
        });
        for round in 0..60 {
            let stream = format!("alt-{}", round % 6);
            let (first, second) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
            first
                .execute(&ForbidRtcStream::new(stream.as_str()).unwrap())
                .expect("forbid");
            second
                .execute(&ResumeRtcStream::new(stream.as_str()).unwrap())
                .expect("resume");
        }
        (sim.sequence_rejections(), forbidden(&sim))
    };
    let default = CoordinatorSetup::ProcessDefault { rate_limit: false };
    let (rejections, still_forbidden) = run([default.clone(), default]);
    assert_eq!(
        rejections, 0,
        "the shared default must never reuse a Sequence"
    );
    assert!(still_forbidden.is_empty(), "{still_forbidden:?}");

    let independent = || CoordinatorSetup::Custom(Arc::new(LocalCoordinator::new().unlimited()));
    let (rejections, still_forbidden) = run([independent(), independent()]);
    eprintln!("independent coordinators: {rejections} sequence rejections");
    assert!(rejections > 0, "the negative control must show rejections");
    assert!(
        !still_forbidden.is_empty(),
        "rejected resumes leave streams forbidden"
    );
}

/// Two clients share a coordinator; the simulator's quota is lower than the client's (1/s
/// for rules). When one client gets a rate-limit answer (206), the coordinator pushes the
/// group back, so the other client's next request waits instead of being refused too.
/// Without the shared coordinator, the other client is refused: the check can fail.
pub fn a_rate_limit_answer_delays_the_other_clients<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let run = |shared: bool| {
        let sim = Simulator::builder()
            .app(APP_ID, SECRET)
            .quota(RateGroup::Rules, 1)
            .start()
            .expect("the simulator starts");
        let coordinator: Arc<dyn zego_proto::admission::Coordinator> =
            Arc::new(LocalCoordinator::new());
        let client = |own: bool| {
            let mut s = setup(&sim);
            s.retry_policy = Some(RetryPolicy::never());
            if !own {
                s.coordinator = CoordinatorSetup::Custom(Arc::clone(&coordinator));
            }
            make(s)
        };
        let (a, b) = (client(false), client(!shared));
        let op = DelForbidStreamRule::new("room", "s").unwrap();
        a.execute(&op)
            .expect("the first request of the second is allowed");
        let refused = a.execute(&op).unwrap_err();
        assert_eq!(code(&refused), Some(206), "{refused}");
        let other = b.execute(&op);
        let log = sim.request_log();
        let gap = log[2].time_ms - log[1].time_ms;
        (other, gap)
    };
    let (other, gap) = run(true);
    assert!(other.is_ok(), "{other:?}");
    assert!(gap >= 900, "the other client waited only {gap} ms");
    let (other, gap) = run(false);
    eprintln!("without a shared coordinator: {other:?} after {gap} ms");
    assert_eq!(other.map_err(|e| code(&e)).unwrap_err(), Some(206));
}

/// A bulk run over 4,000 IDs with invalid ones mixed in: the input is read only a bounded distance ahead of what was sent
/// (O(concurrency) batches, never O(input)); every stream is reported exactly once, as
/// succeeded or in a failure; invalid IDs fail alone, refused before sending; the
/// progress callback sees every stream.
pub fn bulk_input_is_consumed_lazily_and_every_stream_is_accounted_for<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const TOTAL: usize = 4_000;
    let sim = Arc::new(
        Simulator::builder()
            .app(APP_ID, SECRET)
            .rate_limit(false)
            .start()
            .expect("the simulator starts"),
    );
    let client = make(setup(&sim).without_rate_limit());
    let pulled = Arc::new(AtomicUsize::new(0));
    let max_ahead = Arc::new(AtomicUsize::new(0));
    let (counter, ahead) = (Arc::clone(&pulled), Arc::clone(&max_ahead));
    let sim_handle = Arc::clone(&sim);
    let ids = (0..TOTAL)
        .map(move |i| {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            if n % 100 == 0 {
                // Streams the simulator has seen so far, against IDs read.
                let sent = 20 * sim_handle.request_log().len();
                ahead.fetch_max(n.saturating_sub(sent), Ordering::SeqCst);
            }
            match i {
                5 => String::new(),
                2_000 => "x".repeat(300),
                _ => format!("lazy-{i}"),
            }
        })
        .chain(["way-too-long-".repeat(30)]);
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&progress);
    let options = BulkOptions::default()
        .with_concurrency(4)
        .with_on_batch(move |batch| {
            seen.fetch_add(batch.stream_ids.len(), Ordering::SeqCst);
            std::ops::ControlFlow::Continue(())
        });
    let report = client.bulk(BulkAction::Forbid, Box::new(ids), &options);
    assert_eq!(report.total(), TOTAL + 1);
    assert_eq!(progress.load(Ordering::SeqCst), TOTAL + 1);
    assert_eq!(report.failures.len(), 3, "{:?}", report.failures);
    assert!(report
        .failures
        .iter()
        .all(|f| f.stream_ids.len() == 1 && f.error.attempts() == 0));
    assert!(
        report.failures[0].stream_ids[0].is_empty(),
        "failures are in input order"
    );
    assert_eq!(report.succeeded, TOTAL - 2);
    assert_eq!(forbidden(&sim).len(), TOTAL - 2);
    let ahead = max_ahead.load(Ordering::SeqCst);
    eprintln!("read at most {ahead} IDs ahead of the simulator");
    assert!(ahead <= 20 * 16, "read {ahead} IDs ahead of what was sent");
}

/// A bulk run stops by itself when every batch fails the same way (a wrong secret: it stops
/// within a few requests instead of sending all 100), when its callback says so, and when
/// its cancel token is cancelled; every stream is still counted once.
pub fn bulk_runs_stop_when_they_should<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    use std::ops::ControlFlow;
    use zego_proto::bulk::BulkStop;
    let ids = || Box::new((0..2_000).map(|i| format!("stop-{i}")));

    let sim = sim();
    let mut s = setup(&sim);
    s.credentials = Credentials::new(APP_ID, "ffffffffffffffffffffffffffffffff").unwrap();
    let wrong = make(s);
    let report = wrong.bulk(BulkAction::Forbid, ids(), &BulkOptions::default());
    eprintln!("wrong secret: stopped after {} requests", report.requests);
    assert_eq!(report.stopped, Some(BulkStop::FailFast));
    assert!(report.requests <= 20, "{} requests", report.requests);
    assert_eq!(report.total(), 2_000);
    assert!(report.not_attempted >= 1_800, "{}", report.not_attempted);
    assert_eq!(sim.request_log().len() as u64, report.requests);

    let sim = self::sim();
    let client = make(setup(&sim));
    // Stop at the third batch to finish, counted as they finish: with batches in flight
    // at once, the batch at input index 2 may finish first (and a batch taken before it
    // may then never start), so its index says nothing about how many were sent.
    let finished = std::sync::atomic::AtomicUsize::new(0);
    let options = BulkOptions::default().with_on_batch(move |_| {
        if finished.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 2 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    let report = client.bulk(BulkAction::Forbid, ids(), &options);
    assert_eq!(report.stopped, Some(BulkStop::Callback));
    assert!(
        report.succeeded >= 60 && report.not_attempted > 0,
        "{report:?}"
    );
    assert_eq!(report.total(), 2_000);
    assert_eq!(forbidden(&sim).len(), report.succeeded);

    let token = zego_proto::CancelToken::new();
    token.cancel();
    let report = client.bulk(
        BulkAction::Forbid,
        ids(),
        &BulkOptions::default().with_cancel(token),
    );
    assert_eq!(report.stopped, Some(BulkStop::Interrupted));
    assert_eq!((report.requests, report.not_attempted), (0, 2_000));
}

fn hostile_setup(server: &HostileServer) -> ClientSetup {
    ClientSetup::new(credentials(), server.base_url()).without_rate_limit()
}

/// With every default (a 10 s request timeout, the default policy), a forbid whose first
/// attempt hangs is retried inside ZEGO's 10-second ordering window and succeeds: the
/// sequenced attempt is bounded by the policy's 3 s, not the transport's 10 s.
pub fn a_hung_forbid_is_retried_inside_the_window<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let server = HostileServer::start(vec![Reply::Hang, Reply::ok(SUCCESS)]);
    let client = make(hostile_setup(&server));
    let started = Instant::now();
    let answer = client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .expect("the retry succeeds");
    let elapsed = started.elapsed();
    eprintln!("hung first attempt, then success after {elapsed:?}");
    assert_eq!(answer.request_id, "4242");
    let received = server.received();
    assert_eq!(received.len(), 2);
    let sequence = |target: &str| {
        zego_proto::wire::decode_query(target.trim_start_matches("/?"))
            .unwrap()
            .into_iter()
            .find(|(k, _)| k == "Sequence")
            .map(|(_, v)| v)
    };
    assert_eq!(
        sequence(&received[0].target),
        sequence(&received[1].target),
        "the retry keeps its Sequence"
    );
    let gap = received[1].at - received[0].at;
    assert!(gap >= Duration::from_secs(2), "{gap:?}");
    assert!(gap < Duration::from_secs(8), "{gap:?}");
}

/// A `503` with `Retry-After: 2` is retried no sooner than 2 s later; one whose wait
/// would end after a forbid's window stops with `RetryAfterTooLate`, and a date form is
/// read too.
pub fn retry_after_is_honoured<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let busy = |after: &str| {
        Reply::status(503, "<html><body>Service Unavailable</body></html>")
            .header("Retry-After", after)
    };
    let server = HostileServer::start(vec![busy("2"), Reply::ok(SUCCESS)]);
    let client = make(hostile_setup(&server));
    client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .expect("retried after the wait");
    let received = server.received();
    assert_eq!(received.len(), 2);
    let gap = received[1].at - received[0].at;
    eprintln!("Retry-After: 2 → retried after {gap:?}");
    assert!(gap >= Duration::from_millis(1900), "{gap:?}");

    let server = HostileServer::start(vec![busy("9"), Reply::ok(SUCCESS)]);
    let client = make(hostile_setup(&server));
    let err = client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .unwrap_err();
    assert_eq!(
        err.stop_reason(),
        Some(zego_proto::StopReason::RetryAfterTooLate),
        "{err}"
    );
    assert_eq!(err.attempts(), 1);
    assert_eq!(server.received().len(), 1);

    // The HTTP-date form, counted from the answer's own Date.
    let date = "Tue, 14 Nov 2023 22:13:20 GMT";
    let later = "Tue, 14 Nov 2023 22:13:22 GMT";
    let server = HostileServer::start(vec![
        Reply::status(429, "slow down")
            .header("Date", date)
            .header("Retry-After", later),
        Reply::ok(SUCCESS),
    ]);
    let client = make(hostile_setup(&server));
    client
        .execute(&DelForbidStreamRule::new("room", "s").unwrap())
        .expect("retried after the wait");
    let received = server.received();
    let gap = received[1].at - received[0].at;
    assert!(gap >= Duration::from_millis(1900), "{gap:?}");
}

/// A server whose certificate no trusted root signed: a `Tls` error after one attempt.
pub fn an_untrusted_certificate_is_not_retried<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let ca = crate::tls::private_ca("zego-conformance untrusted CA");
    let port = crate::tls::serve(Arc::clone(&ca.server));
    let client = make(ClientSetup::new(
        credentials(),
        format!("https://localhost:{port}"),
    ));
    let err = client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .unwrap_err();
    assert!(
        matches!(err.kind(), CallErrorKind::Transport(t) if t.kind() == TransportErrorKind::Tls),
        "{err}"
    );
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );
    assert_eq!(err.attempts(), 1, "{err}");
    assert!(!err.class().is_retryable());
}

/// Bodies that are not envelopes (a `"Code"` as a string, a proxy's HTML page echoing the
/// URL) are reported as such, with the status and a bounded snippet free of the
/// signature; a 2xx one is not resent, a 5xx one is (inside the window, same Sequence).
pub fn a_body_that_is_not_an_envelope_is_reported_as_such<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    let string_code = r#"{"Code":"0","Message":"success","RequestId":"1"}"#;
    let server = HostileServer::start(vec![Reply::ok(string_code)]);
    let client = make(hostile_setup(&server));
    let err = client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .unwrap_err();
    match err.kind() {
        CallErrorKind::Response(zego_proto::wire::ResponseError::NotAnEnvelope {
            status,
            snippet,
        }) => {
            assert_eq!(*status, 200);
            assert!(snippet.contains(r#""Code":"0""#), "{snippet}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.attempts(),
        1,
        "a 2xx answer may have been applied: not resent"
    );
    assert_eq!(server.received().len(), 1);

    // A proxy page echoing the signed URL.
    let server = HostileServer::start(vec![Reply::EchoTarget { status: 404 }]);
    let client = make(hostile_setup(&server));
    let err = client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    let target = &server.received()[0].target;
    let signature = zego_proto::wire::decode_query(target.trim_start_matches("/?"))
        .unwrap()
        .into_iter()
        .find(|(k, _)| k == "Signature")
        .map(|(_, v)| v)
        .unwrap();
    assert!(shown.contains("HTTP 404"), "{shown}");
    assert!(shown.contains("No route for"), "{shown}");
    assert!(!shown.contains(&signature), "{shown}");
    assert_eq!(err.attempts(), 1);

    // A 10 KB page: the snippet is bounded.
    let page = format!("<html>{}</html>", "x".repeat(10_000));
    let server = HostileServer::start(vec![Reply::status(200, page)]);
    let client = make(hostile_setup(&server));
    let err = client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .unwrap_err();
    assert!(
        err.to_string().len() < 1024,
        "{} bytes",
        err.to_string().len()
    );

    let server = HostileServer::start(vec![
        Reply::status(502, "<html>Bad Gateway</html>"),
        Reply::ok(SUCCESS),
    ]);
    let client = make(hostile_setup(&server));
    client
        .execute(&ForbidRtcStreams::new(["s"]).unwrap())
        .expect("a 5xx page is retried");
    assert_eq!(server.received().len(), 2);
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
    assert_eq!(rate_limit_answers(&sim), 0);
    assert_eq!(sim.request_log().len(), 10);
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

/// A paginated listing (DescribeUserList, 1/s per room), a stream listing (1 per 10 s per
/// room) and a bulk forbid run at once: the per-room quotas and the AppId's are all kept,
/// so the simulator answers no request with a rate-limit code.
pub fn listings_and_a_bulk_run_at_once_get_no_rate_limit_answers<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    let sim = sim();
    for i in 0..12 {
        sim.login_user(APP_ID, Env::Production, "big", &format!("u{i:02}"), "U");
    }
    sim.publish_stream(APP_ID, Env::Production, "big", "u00", "s-u00");
    let client = make(setup(&sim));
    let started = Instant::now();
    std::thread::scope(|scope| {
        let listing = scope.spawn(|| {
            client.user_pages(DescribeUserList::new("big").unwrap().with_limit(4).unwrap())
        });
        let streams = scope.spawn(|| {
            (0..2)
                .map(|_| client.execute(&DescribeSimpleStreamList::new("big").unwrap()))
                .collect::<Vec<_>>()
        });
        let other_rooms = scope.spawn(|| {
            (0..3)
                .map(|i| client.execute(&DescribeUserList::new(format!("room-{i}")).unwrap()))
                .collect::<Vec<_>>()
        });
        let report = client.bulk(
            BulkAction::Forbid,
            Box::new(ids("bulk", 200).into_iter()),
            &BulkOptions::default(),
        );
        assert_eq!(report.succeeded, 200, "{report:?}");
        let pages = listing.join().unwrap();
        assert_eq!(pages.len(), 3);
        assert!(pages.iter().all(Result::is_ok), "{pages:?}");
        assert!(streams.join().unwrap().iter().all(Result::is_ok));
        assert!(other_rooms.join().unwrap().iter().all(Result::is_ok));
    });
    eprintln!("listings and bulk run took {:?}", started.elapsed());
    assert_eq!(
        rate_limit_answers(&sim),
        0,
        "{:?}",
        sim.request_log()
            .iter()
            .filter(|r| r.code != Some(0))
            .collect::<Vec<_>>()
    );
    // Every request reached the simulator once: nothing was retried.
    assert_eq!(sim.request_log().len(), 10 + 3 + 2 + 3);
}

fn ids_numbered(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:02}")).collect()
}

/// An interrupted bulk run tells the truth (issue 20 item 1): every stream of the input is
/// succeeded, failed, not attempted or **unknown** (sent, and no definite answer when the run
/// stopped waiting), the totals equal the input, and nothing that may have been applied is
/// reported as failed. Two ways to be in flight at the cancel, against a simulator delaying
/// every answer by 3 s: a request out when the run's grace ends, and a request that timed out
/// and whose retry the cancel stopped.
pub fn an_interrupted_bulk_run_reports_what_was_in_flight_as_unknown<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    use zego_proto::bulk::BulkStop;
    const TOTAL: usize = 45;
    let delayed = || {
        Simulator::builder()
            .app(APP_ID, SECRET)
            .rate_limit(false)
            .faults(
                FaultPlan::new()
                    .seed(1)
                    .all(Fault::Delay(Duration::from_secs(3)), 1.0),
            )
            .start()
            .expect("the simulator starts")
    };
    let cancel_after = |token: zego_proto::CancelToken, after: Duration| {
        std::thread::spawn(move || {
            std::thread::sleep(after);
            token.cancel();
        })
    };
    let check_totals = |report: &BulkReport| {
        assert_eq!(report.total(), TOTAL, "{report:?}");
        let mut seen: Vec<&String> = report
            .succeeded_ids
            .iter()
            .chain(&report.unknown)
            .chain(report.failures.iter().flat_map(|f| &f.stream_ids))
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(
            seen.len() + report.not_attempted,
            TOTAL,
            "each stream once: {report:?}"
        );
    };

    // 1. The grace ends with the batches sent so far out: the run returns then, with them
    //    unknown.
    let sim = delayed();
    let client = make(setup(&sim).without_rate_limit());
    let token = zego_proto::CancelToken::new();
    let options = BulkOptions::default()
        .with_batch_size(2)
        .with_succeeded_ids(true)
        .with_cancel(token.clone())
        .with_cancel_grace(Duration::from_millis(300));
    let canceller = cancel_after(token, Duration::from_millis(500));
    let started = Instant::now();
    let report = client.bulk(
        BulkAction::Forbid,
        Box::new(ids("grace", TOTAL).into_iter()),
        &options,
    );
    let took = started.elapsed();
    canceller.join().unwrap();
    assert_eq!(report.stopped, Some(BulkStop::Interrupted));
    assert!(
        took < Duration::from_millis(2_700),
        "returned after the grace: {took:?}"
    );
    check_totals(&report);
    // The batches out (as many as the quota offered slots before the cancel) are unknown,
    // in input order; the rest was never sent.
    let out = report.unknown.len();
    assert!(out >= 4, "batches were out: {report:?}");
    assert_eq!(report.unknown, ids("grace", TOTAL)[..out], "in input order");
    assert_eq!(out + report.not_attempted, TOTAL, "{report:?}");
    assert!(report.failures.is_empty() && report.succeeded == 0);

    // 2. Each first attempt times out (1 s < 3 s); the cancel stops the retries. Nothing
    //    got a definite answer, so nothing is a failure: all unknown. (The old runner
    //    reported them failed, "cancelled before the next request was sent", while the
    //    simulator forbade every one.)
    let sim = delayed();
    let mut s = setup(&sim).without_rate_limit();
    s.request_timeout = Duration::from_secs(1);
    let client = make(s);
    let token = zego_proto::CancelToken::new();
    let options = BulkOptions::default()
        .with_batch_size(2)
        .with_succeeded_ids(true)
        .with_cancel(token.clone());
    let canceller = cancel_after(token, Duration::from_millis(700));
    let report = client.bulk(
        BulkAction::Forbid,
        Box::new(ids("retry", TOTAL).into_iter()),
        &options,
    );
    canceller.join().unwrap();
    assert_eq!(report.stopped, Some(BulkStop::Interrupted));
    check_totals(&report);
    assert_eq!(report.failed(), 0, "nothing failed for sure: {report:?}");
    assert!(report.unknown.len() >= 4, "{report:?}");
    assert!(
        report.requests >= report.unknown.len().div_ceil(2) as u64,
        "every unknown batch was sent: {report:?}"
    );
    // Whatever the simulator applies in the end was reported as succeeded or unknown.
    std::thread::sleep(Duration::from_secs(3));
    let reported: BTreeSet<String> = report
        .succeeded_ids
        .iter()
        .chain(&report.unknown)
        .cloned()
        .collect();
    let applied = forbidden(&sim);
    assert!(
        applied.is_subset(&reported),
        "applied {applied:?}, reported {report:?}"
    );
}
