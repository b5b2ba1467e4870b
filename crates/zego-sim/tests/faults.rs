//! Fault injection over real HTTP.

mod common;

use std::time::{Duration, Instant};

use common::*;
use zego_sim::{Env, Fault, FaultPlan};

fn outcomes(seed: u64) -> Vec<i64> {
    let sim = builder()
        .rate_limit(false)
        .faults(FaultPlan::new().seed(seed).all(Fault::TransientCode, 0.3))
        .start()
        .unwrap();
    (0..200)
        .map(|i| {
            code(
                &sim,
                "ForbidRTCStream",
                &format!("StreamId=s{i}&Sequence=1"),
            )
        })
        .collect()
}

#[test]
fn transient_rate_and_determinism() {
    let a = outcomes(7);
    let faulted = a.iter().filter(|c| **c != 0).count();
    assert!((30..=90).contains(&faulted), "{faulted}");
    assert!(a.iter().all(|c| [0, 1, 30003, 42003].contains(c)), "{a:?}");
    assert_eq!(a, outcomes(7));
    assert_ne!(a, outcomes(8));
}

#[test]
fn faulted_requests_do_not_change_state() {
    let sim = builder()
        .rate_limit(false)
        .faults(FaultPlan::new().seed(1).all(Fault::TransientCode, 0.5))
        .start()
        .unwrap();
    let mut applied = Vec::new();
    for i in 0..40 {
        let id = format!("s{i}");
        if code(
            &sim,
            "ForbidRTCStream",
            &format!("StreamId={id}&Sequence=1"),
        ) == 0
        {
            applied.push(id);
        }
    }
    let set = sim.forbidden_rtc_streams(APP, Env::Production);
    assert_eq!(set.into_iter().collect::<Vec<_>>(), {
        let mut v = applied.clone();
        v.sort();
        v
    });
    assert!(applied.len() < 40 && !applied.is_empty());
    // Room actions get room transient codes; a rule fault is not applied either.
    sim.set_faults(FaultPlan::new().all(Fault::TransientCode, 1.0));
    let c = code(
        &sim,
        "SetForbidStreamRule",
        "RoomId=r&StreamId=s&DisableAudio=1",
    );
    assert!(c == 1 || c == 123, "{c}");
    assert!(sim.state(APP, Env::Production).stream_rules.is_empty());
    sim.set_faults(FaultPlan::new().all(Fault::RateLimited, 1.0));
    assert_eq!(
        code(&sim, "DelForbidStreamRule", "RoomId=r&StreamId=s"),
        206
    );
    assert_eq!(
        code(&sim, "ForbidRTCStream", "StreamId=q&Sequence=1"),
        30002
    );
    sim.set_faults(FaultPlan::new().action("ForbidRTCStream", Fault::Code(42003), 1.0));
    assert_eq!(
        code(&sim, "ForbidRTCStream", "StreamId=q&Sequence=1"),
        42003
    );
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=q&Sequence=1"), 0);
    assert!(!sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("q"));
    let log = sim.request_log();
    assert_eq!(log[log.len() - 2].fault.as_deref(), Some("code:42003"));
    assert_eq!(log[log.len() - 1].fault, None);
}

#[test]
fn http_503_and_500() {
    let sim = builder()
        .faults("http503=1".parse().unwrap())
        .start()
        .unwrap();
    let (status, body) = get_raw(
        &sim,
        &query(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1"),
    );
    assert_eq!(status, 503);
    assert_eq!(body, "<html>Service Unavailable</html>");
    assert!(serde_json::from_str::<serde_json::Value>(&body).is_err());
    sim.set_faults(FaultPlan::new().all(Fault::Http500, 1.0));
    let (status, body) = get_raw(
        &sim,
        &query(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1"),
    );
    assert_eq!(status, 500);
    assert!(body.contains("\"Code\":1"));
    assert!(sim.forbidden_rtc_streams(APP, Env::Production).is_empty());
    // Gateway failures are never faulted.
    assert_eq!(code_of(&get(&sim, "Action=ForbidRTCStream")), 100_000_001);
    let log = sim.request_log();
    assert_eq!(log[0].http_status, Some(503));
    assert_eq!(log[0].fault.as_deref(), Some("http503"));
    assert_eq!(log[1].http_status, Some(500));
}

#[test]
fn dropped_connection_is_a_transport_error() {
    let sim = builder().faults("drop=1".parse().unwrap()).start().unwrap();
    let url = format!(
        "{}/?{}",
        sim.base_url(),
        query(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1")
    );
    let err = agent(Some(Duration::from_secs(5))).get(&url).call();
    assert!(err.is_err(), "expected a transport error");
    assert!(!matches!(err, Err(ureq::Error::Timeout(_))), "{err:?}");
    let resp = raw_http(
        &sim,
        &format!(
            "/?{}",
            query(&sim, "ForbidRTCStream", "StreamId=s&Sequence=2")
        ),
    );
    assert!(resp.is_empty(), "{resp}");
    assert!(sim.forbidden_rtc_streams(APP, Env::Production).is_empty());
    assert!(sim
        .request_log()
        .iter()
        .all(|e| e.http_status.is_none() && e.code.is_none()));
}

#[test]
fn hang_times_out_and_shutdown_frees_it() {
    let sim = builder()
        .faults("ForbidRTCStream:hang".parse().unwrap())
        .start()
        .unwrap();
    let url = format!(
        "{}/?{}",
        sim.base_url(),
        query(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1")
    );
    let started = Instant::now();
    let err = agent(Some(Duration::from_millis(300))).get(&url).call();
    assert!(matches!(err, Err(ureq::Error::Timeout(_))), "{err:?}");
    assert!(started.elapsed() >= Duration::from_millis(250));
    // Other actions are unaffected by the per-action entry.
    assert_eq!(code(&sim, "ResumeRTCStream", "StreamId=s&Sequence=2"), 0);
    sim.shutdown();
}

#[test]
fn delay_then_normal_processing() {
    let sim = builder()
        .faults("delay=150ms".parse().unwrap())
        .start()
        .unwrap();
    let started = Instant::now();
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1"), 0);
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(sim
        .forbidden_rtc_streams(APP, Env::Production)
        .contains("s"));
    assert_eq!(sim.request_log()[0].fault.as_deref(), Some("delay:150ms"));
}
