//! What is refused before sending, and what a wrong secret or a skewed clock gets.

use std::sync::Arc;
use std::time::Duration;

use zego_proto::clock::{Clock, ManualClock, SystemClock};
use zego_proto::ops::{
    DelForbidStreamRule, DescribeForbidStreamRules, DescribeRtcStreamState, DisabledPrivilege,
    EffectiveTime, ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan, RawOperation,
    ResumeCdnLiveStream, ResumeRtcStream, ResumeRtcStreams, SetForbidStreamRule, SetForbidUserRule,
    UserRuleTarget,
};
use zego_proto::{CallErrorKind, Credentials, Environment};

use super::{code, forbidden, ids, setup, sim, MakeClient, Scenario, APP_ID};
use crate::ClientUnderTest;

/// This theme's scenarios.
pub(super) fn scenarios<C: ClientUnderTest>() -> Vec<Scenario<C>> {
    register![
        validation_errors_are_raised_before_sending,
        bad_secret_is_reported_and_not_retried,
        skewed_clock_is_corrected_from_the_date_header
    ]
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
