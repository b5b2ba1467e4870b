//! Quotas and sequences shared by several clients: no rate-limit answer, no reused `Sequence`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_proto::admission::{LocalCoordinator, Quotas, WaitLimit};
use zego_proto::bulk::{BulkAction, BulkOptions};
use zego_proto::clock::{Clock, ManualClock, SystemClock};
use zego_proto::ops::RateLimitGroup;
use zego_proto::ops::{
    DelForbidStreamRule, DescribeSimpleStreamList, DescribeUserList, ForbidRtcStream,
    ResumeRtcStream,
};
use zego_proto::retry::RetryPolicy;
use zego_proto::{CallErrorKind, CallOptions, Environment};
use zego_sim::{Env, RateGroup, Simulator};

use super::{
    code, forbidden, ids, rate_limit_answers, setup, sim, MakeClient, Scenario, APP_ID, SECRET,
};
use crate::{ClientUnderTest, CoordinatorSetup};

/// This theme's scenarios.
pub(super) fn scenarios<C: ClientUnderTest>() -> Vec<Scenario<C>> {
    register![
        burst_above_quota_gets_no_rate_limit_answers,
        two_clients_in_one_process_never_reuse_a_sequence,
        a_rate_limit_answer_delays_the_other_clients,
        listings_and_a_bulk_run_at_once_get_no_rate_limit_answers,
        a_raised_quota_is_used_in_full_and_never_exceeded,
        a_call_without_a_slot_in_time_fails_at_once
    ]
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

/// ZEGO raised the app's forbid/resume quota to 200/s: the client's builder is told
/// (`ClientBuilder::quotas`, through the default coordinator) and so is a simulator that
/// enforces it (`quota_named`). A bulk run of 300 requests uses the raised quota in full
/// (about 1.5 s, where ZEGO's default 20/s takes 15 s) and never exceeds it: no
/// rate-limit answer, and no faster than one request per 5 ms.
pub fn a_raised_quota_is_used_in_full_and_never_exceeded<C: ClientUnderTest>(
    make: MakeClient<'_, C>,
) {
    const RAISED: u32 = 200;
    let sim = Simulator::builder()
        .app(APP_ID, SECRET)
        .quota_named("stream_forbid", RAISED)
        .expect("a known group")
        .start()
        .expect("simulator");
    let mut setup = setup(&sim);
    setup.coordinator = CoordinatorSetup::ProcessDefault { rate_limit: true };
    setup.quotas = Some(Quotas::default().with(
        RateLimitGroup::StreamForbid,
        Environment::Production,
        RAISED,
    ));
    let client = make(setup);
    let started = Instant::now();
    let report = client.bulk(
        BulkAction::Forbid,
        Box::new((0..6000).map(|i| format!("raised-{i:04}"))),
        &BulkOptions::default(),
    );
    let took = started.elapsed();
    assert_eq!(
        (report.succeeded, report.requests),
        (6000, 300),
        "{report:?}"
    );
    assert_eq!(rate_limit_answers(&sim), 0);
    // 300 requests 5 ms apart: the last leaves at least 299 × 5 ms after the first.
    assert!(took >= Duration::from_millis(1495), "too fast: {took:?}");
    // Far below the 15 s of ZEGO's default quota (generous bound for a loaded machine).
    assert!(
        took < Duration::from_secs(8),
        "the raised quota was not used: {took:?}"
    );
    eprintln!("300 requests at a raised 200/s: {took:?} (ideal 1.5 s)");
}

/// A call whose rate-limit slot is beyond its deadline, or beyond the client's `max_wait`,
/// fails at once with the typed error saying when it could have been sent, and sends
/// nothing: a second listing of one room inside its 10-second quota. The client's clock
/// (and its coordinator's) is a frozen manual clock, so the slot is exactly one quota
/// interval away whatever the machine's speed.
pub fn a_call_without_a_slot_in_time_fails_at_once<C: ClientUnderTest>(make: MakeClient<'_, C>) {
    let sim = sim();
    let frozen = Arc::new(ManualClock::new(SystemClock.unix_time()));
    let coordinator = Arc::new(LocalCoordinator::new().with_clock(frozen.clone()));
    let mut s = setup(&sim);
    s.clock = Some(frozen.clone());
    s.coordinator = CoordinatorSetup::Custom(coordinator.clone());
    let client = make(s);
    let room = DescribeSimpleStreamList::new("quiet").unwrap();
    client
        .execute(&room)
        .expect("the first listing is admitted at once");
    let started = Instant::now();
    let deadline = CallOptions::new().with_deadline(Duration::from_secs(2));
    let err = client.execute_with(&room, &deadline).unwrap_err();
    let CallErrorKind::NotAdmittedInTime(late) = err.kind() else {
        panic!("{err:?}")
    };
    assert_eq!(late.limited_by, WaitLimit::Deadline);
    assert_eq!(late.room.as_deref(), Some("quiet"));
    assert!(late.earliest >= Duration::from_secs(10), "{late:?}");
    assert_eq!(err.attempts(), 0);
    // The same through the client's max_wait.
    let mut s = setup(&sim);
    s.clock = Some(frozen);
    s.coordinator = CoordinatorSetup::Custom(coordinator);
    s.max_wait = Some(Duration::from_secs(1));
    let err = make(s).execute(&room).unwrap_err();
    let CallErrorKind::NotAdmittedInTime(late) = err.kind() else {
        panic!("{err:?}")
    };
    assert_eq!(late.limited_by, WaitLimit::MaxWait);
    // Neither waited for the slot 10 s away (a generous bound), nor sent anything.
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(sim.request_log().len(), 1);
}
