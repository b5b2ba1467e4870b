//! Server plumbing: endpoints, request log file, runtimes, shutdown.

mod common;

use common::*;
use zego_sim::{Env, SimClock, Simulator};

#[test]
fn health_state_and_unknown_paths() {
    let sim = start();
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1"), 0);
    let (mut st, mut body);
    {
        let mut r = agent(None)
            .get(&format!("{}/_sim/health", sim.base_url()))
            .call()
            .unwrap();
        st = r.status().as_u16();
        body = r.body_mut().read_to_string().unwrap();
    }
    assert_eq!((st, body.as_str()), (200, "{\"status\":\"ok\"}"));
    {
        let mut r = agent(None)
            .get(&format!("{}/_sim/state", sim.base_url()))
            .call()
            .unwrap();
        st = r.status().as_u16();
        body = r.body_mut().read_to_string().unwrap();
    }
    assert_eq!(st, 200);
    assert!(!body.contains(SECRET));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let arr = v.as_array().unwrap();
    assert_eq!(arr.len(), 2);
    assert_eq!(arr[0]["forbidden_rtc_streams"], serde_json::json!(["s"]));
    let r = agent(None)
        .get(&format!("{}/other", sim.base_url()))
        .call()
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

#[test]
fn request_log_file_redacts_signature() {
    let path = std::env::temp_dir().join(format!("zego-sim-test-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let sim = builder().request_log_path(&path).start().unwrap();
    let q = query(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1");
    let sig = q
        .split("Signature=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(code_of(&get(&sim, &q)), 0);
    assert_eq!(code_of(&get(&sim, "Action=X")), 100_000_001);
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert!(!text.contains(&sig) && !text.contains(SECRET));
    assert!(text.contains("<redacted>"));
    let first = &lines[0];
    assert_eq!(first["action"], "ForbidRTCStream");
    assert_eq!(first["app_id"], APP);
    assert_eq!(first["code"], 0);
    assert_eq!(first["http_status"], 200);
    assert_eq!(first["time_ms"], T0_MS);
    assert_eq!(first["sequence_rejected"], false);
    assert!(first["fault"].is_null());
    assert!(first["params"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p[0] == "Signature" && p[1] == "<redacted>"));
    let mem = sim.request_log();
    assert_eq!(mem.len(), 2);
    assert!(mem[0]
        .params
        .iter()
        .all(|(k, v)| k != "Signature" || v == "<redacted>"));
    drop(sim);
    let _ = std::fs::remove_file(&path);
}

#[test]
fn starts_inside_a_current_thread_runtime() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = builder().rate_limit(false).start_async().await.unwrap();
        // A blocking client on another thread while this runtime is busy: no deadlock.
        let q = query(&sim, "ForbidRTCStream", "StreamId=rt&Sequence=1");
        let url = format!("{}/?{q}", sim.base_url());
        let body = std::thread::spawn(move || {
            agent(None)
                .get(&url)
                .call()
                .unwrap()
                .body_mut()
                .read_to_string()
                .unwrap()
        })
        .join()
        .unwrap();
        assert!(body.contains("\"Code\":0"));
        assert!(sim
            .forbidden_rtc_streams(APP, Env::Production)
            .contains("rt"));
        drop(sim);
    });
}

#[test]
fn shutdown_closes_the_port_and_handle_is_send_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<zego_sim::SimHandle>();
    let sim = Simulator::builder()
        .app(1, "s")
        .clock(SimClock::system())
        .start()
        .unwrap();
    let addr = sim.addr();
    assert!(sim.base_url().starts_with("http://127.0.0.1:") && !sim.base_url().ends_with('/'));
    sim.shutdown();
    sim.wait();
    assert!(std::net::TcpStream::connect(addr).is_err());
}

#[test]
fn system_clock_signing_works() {
    let sim = Simulator::builder().app(APP, SECRET).start().unwrap();
    assert_eq!(code(&sim, "ForbidRTCStream", "StreamId=s&Sequence=1"), 0);
}

#[test]
fn fuzz_entry_point_never_panics() {
    let t = zego_sim::fuzzing::FuzzTarget::new();
    for q in [
        "",
        "&",
        "=",
        "%",
        "%%",
        "Action",
        "Action=ForbidRTCStreams&StreamId[]=%",
        "a=b=c&&&",
    ] {
        assert!(t.handle(q).is_some());
    }
    let body = zego_sim::fuzzing::handle_query(
        "Action=ForbidRTCStream&StreamId=s1&Sequence=1&AppId=1234567890&SignatureNonce=a1b2c3d4e5f60718\
         &Timestamp=1700000000&Signature=c90a56c08221a571fbf3007d1d7300d6&SignatureVersion=2.0",
    )
    .unwrap();
    assert!(body.contains("\"Code\":0"), "{body}");
}

#[test]
fn the_in_memory_request_log_keeps_only_the_most_recent_requests() {
    let sim = builder()
        .rate_limit(false)
        .request_log_capacity(3)
        .start()
        .unwrap();
    for i in 0..5 {
        assert_eq!(
            code(
                &sim,
                "ForbidRTCStream",
                &format!("StreamId=s{i}&Sequence=1")
            ),
            0
        );
    }
    let log = sim.request_log();
    assert_eq!(log.len(), 3);
    let streams: Vec<String> = log
        .iter()
        .map(|r| {
            r.params
                .iter()
                .find(|(k, _)| k == "StreamId")
                .map(|(_, v)| v.clone())
                .unwrap()
        })
        .collect();
    assert_eq!(streams, ["s2", "s3", "s4"]);
    // Every stream was still applied.
    assert_eq!(sim.forbidden_rtc_streams(APP, Env::Production).len(), 5);
}
