//! Misbehaving servers: transient faults, hangs, oversized or non-envelope bodies, `Retry-After`, untrusted certificates.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_proto::driver::TransportErrorKind;
use zego_proto::ops::{
    DelForbidStreamRule, ForbidRtcStream, ForbidRtcStreams, ResumeRtcStream, ResumeRtcStreams,
};
use zego_proto::retry::RetryPolicy;
use zego_proto::CallErrorKind;
use zego_sim::{Fault, FaultPlan, Simulator};

use super::{credentials, forbidden, ids, setup, sim, MakeClient, Scenario, APP_ID, SECRET};
use crate::hostile::{HostileServer, Reply, SUCCESS};
use crate::{ClientSetup, ClientUnderTest};

/// This theme's scenarios.
pub(super) fn scenarios<C: ClientUnderTest>() -> Vec<Scenario<C>> {
    register![
        transient_faults_are_retried_in_order,
        hanging_server_times_out,
        oversized_body_is_refused,
        a_hung_forbid_is_retried_inside_the_window,
        retry_after_is_honoured,
        an_untrusted_certificate_is_not_retried,
        a_body_that_is_not_an_envelope_is_reported_as_such
    ]
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
        Some(zego_proto::retry::StopReason::RetryAfterTooLate),
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

fn hostile_setup(server: &HostileServer) -> ClientSetup {
    ClientSetup::new(credentials(), server.base_url()).without_rate_limit()
}
