//! The whole loop over real HTTP, nothing posted by hand: a stream is published on the
//! simulator, the simulator delivers its signed `stream_create` to the example moderation
//! service, the service verifies it and forbids the stream through the async client, and
//! the simulator shows the stream forbidden. Also: the core's `CallbackVerifier` accepts
//! what the simulator's own (independent) signer sends.

#[allow(dead_code)] // The example's `main` is not used here.
#[path = "../examples/blocklist.rs"]
mod blocklist;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use axum::Router;
use blocklist::{app, AppState, Blocklist};
use zego_axum::CallbackConfig;
use zego_callback::{CallbackEvent, CallbackSecret, CallbackVerifier, CloseReason};
use zego_proto::{Config, Credentials, Endpoint};
use zego_sim::{CallbackAttempt, Env, SimClock, SimHandle, Simulator};

const APP: u32 = 1_234_567;
const SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";
const CALLBACK_SECRET: &str = "cb-S3cr3t-of-the-loop";
/// Real HTTP on a shared machine: a generous bound, polled every few milliseconds.
const PATIENCE: Duration = Duration::from_secs(30);

/// A raw delivery: its `Content-Type` and body.
type Delivery = (Option<String>, Bytes);

/// Serves `router` on a free loopback port; returns its callback URL.
async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/zego/callback", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    url
}

/// Polls until `done` holds (bounded by [`PATIENCE`]).
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn delivered(log: &[CallbackAttempt], event: &str, stream: &str) -> bool {
    log.iter()
        .any(|a| a.event == event && a.stream_id == stream && a.outcome.is_delivered())
}

/// `POST /_sim/streams/{stream}/publish` over HTTP, as a client SDK would make it live.
async fn publish(http: &reqwest::Client, sim: &SimHandle, stream: &str, user: &str) {
    let url = format!(
        "{}/_sim/streams/{stream}/publish?room_id=room-1&user_id={user}",
        sim.base_url()
    );
    let response = http.post(url).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocklisted_stream_published_on_the_simulator_ends_up_forbidden() {
    // The service's URL must be known before the simulator starts, and the service's
    // client needs the simulator's: bind the service's socket first.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let callback_url = format!("http://{}/zego/callback", listener.local_addr().unwrap());
    // The system clock on both sides: the service checks the callbacks' timestamps against
    // its clock, and the simulator the client's requests against its own.
    let sim = Simulator::builder()
        .app(APP, SERVER_SECRET)
        .seed(11)
        .callback_url(&callback_url)
        .callback_secret(CALLBACK_SECRET)
        .start_async()
        .await
        .unwrap();
    let client =
        zego_transport_async::Client::builder(Credentials::new(APP, SERVER_SECRET).unwrap())
            .config(Config::new(Endpoint::custom(&sim.base_url()).unwrap()))
            .build();
    let state = AppState {
        callbacks: CallbackConfig::new(CallbackSecret::new(CALLBACK_SECRET).unwrap()),
        client,
        blocklist: Arc::new(Blocklist {
            streams: ["cheater-stream".to_owned()].into(),
            users: ["troll-7".to_owned()].into(),
        }),
    };
    tokio::spawn(async move {
        blocklist::serve(listener, app(state), blocklist::ServerLimits::default()).await;
    });

    let http = reqwest::Client::new();
    let started = Instant::now();
    publish(&http, &sim, "cheater-stream", "alice").await;
    eventually("cheater-stream forbidden", || {
        sim.forbidden_rtc_streams(APP, Env::Production)
            .contains("cheater-stream")
    })
    .await;
    let loop_time = started.elapsed();
    publish(&http, &sim, "troll-live", "troll-7").await;
    publish(&http, &sim, "good-stream", "alice").await;
    eventually("the three stream_create delivered", || {
        let log = sim.callback_log();
        ["cheater-stream", "troll-live", "good-stream"]
            .iter()
            .all(|s| delivered(&log, "stream_create", s))
    })
    .await;
    eventually("troll-live forbidden", || {
        sim.forbidden_rtc_streams(APP, Env::Production)
            .contains("troll-live")
    })
    .await;

    // The good stream was announced and answered 200 "allowed", and it is still live.
    assert_eq!(
        sim.forbidden_rtc_streams(APP, Env::Production)
            .into_iter()
            .collect::<Vec<_>>(),
        ["cheater-stream", "troll-live"]
    );
    let states = sim.state(APP, Env::Production).stream_states;
    assert_eq!(states["good-stream"].close_time, None);
    // Each callback went through on its first attempt: the service accepted the
    // simulator's signature every time, and forbade each blocked stream once.
    let log = sim.callback_log();
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(
        log.iter().all(|a| a.attempt == 1 && a.status == Some(200)),
        "{log:?}"
    );
    let forbids = sim
        .request_log()
        .iter()
        .filter(|r| r.action == "ForbidRTCStream")
        .count();
    assert_eq!(forbids, 2);
    eprintln!(
        "loop: publish to forbidden in {loop_time:?}; delivery attempts took {:?}",
        log.iter().map(|a| a.elapsed).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_core_s_verifier_accepts_what_the_simulator_signs() {
    // A receiver that keeps the raw deliveries, to verify them outside any extractor.
    let got: Arc<Mutex<Vec<Delivery>>> = Arc::default();
    let record = got.clone();
    let url = serve(Router::new().route(
        "/zego/callback",
        post(move |headers: HeaderMap, body: Bytes| {
            let record = record.clone();
            async move {
                let content_type = headers
                    .get("content-type")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                record.lock().unwrap().push((content_type, body));
                "ok"
            }
        }),
    ))
    .await;
    let now_secs: u64 = 1_700_000_000;
    let clock = SimClock::manual(1_700_000_000_000);
    let sim = Simulator::builder()
        .app(APP, SERVER_SECRET)
        .clock(clock.clone())
        .callback_url(url)
        .callback_secret(CALLBACK_SECRET)
        .start_async()
        .await
        .unwrap();
    assert!(sim.publish_stream(APP, Env::Production, "room-9", "bob", "s-9"));
    clock.advance(Duration::from_secs(5));
    assert!(sim.close_stream(APP, Env::Production, "s-9", 100));
    eventually("two deliveries", || got.lock().unwrap().len() == 2).await;

    let verifier = CallbackVerifier::new(CallbackSecret::new(CALLBACK_SECRET).unwrap());
    let deliveries = got.lock().unwrap().clone();
    let verify = |i: usize| {
        let (content_type, body) = &deliveries[i];
        verifier
            .verify(body, content_type.as_deref(), now_secs + 5)
            .unwrap_or_else(|e| panic!("refused: {e}"))
    };
    let CallbackEvent::StreamCreate(created) = verify(0) else {
        panic!("not a stream_create");
    };
    assert_eq!(created.header.app_id(), Some(APP));
    assert_eq!(created.header.timestamp, 1_700_000_000);
    assert_eq!(
        (
            created.room_id.as_str(),
            created.user_id.as_str(),
            created.stream_id.as_str()
        ),
        ("room-9", "bob", "s-9")
    );
    assert_eq!(created.create_time_ms, "1700000000000");
    assert_eq!(created.rtmp_url.len(), 1);
    let CallbackEvent::StreamClose(closed) = verify(1) else {
        panic!("not a stream_close");
    };
    assert_eq!(closed.reason, CloseReason::DeletedByServerApi);
    assert_eq!(closed.stream_id, "s-9");
    assert_eq!(closed.header.timestamp, 1_700_000_005);
    // The same body signed with another secret is refused: the check is real.
    let other = CallbackVerifier::new(CallbackSecret::new("another-callback-secret").unwrap());
    assert!(other
        .verify(&deliveries[0].1, deliveries[0].0.as_deref(), now_secs)
        .is_err());
}
