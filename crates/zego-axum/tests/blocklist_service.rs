//! The example moderation service end to end over real HTTP: a signed `stream_create`
//! callback posted to the service makes it forbid the stream through the async client on a
//! simulator, and the simulator's state shows the stream forbidden.

#[allow(dead_code)] // The example's `main` is not used here.
#[path = "../examples/blocklist.rs"]
mod blocklist;

use std::sync::Arc;
use std::time::Duration;

use blocklist::{app, AppState, Blocklist};
use zego_axum::CallbackConfig;
use zego_callback::{callback_signature, CallbackSecret};
use zego_proto::clock::ManualClock;
use zego_proto::{Config, Credentials, Endpoint};
use zego_sim::{Env, SimHandle, Simulator};

const APP: u32 = 1_234_567;
const SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";
const CALLBACK_SECRET: &str = "cb-S3cr3t-of-the-test";
/// The service's clock (a manual one: nothing depends on the wall clock).
const NOW: u64 = 1_700_000_000;

struct Service {
    sim: SimHandle,
    url: String,
    http: reqwest::Client,
}

async fn start() -> Service {
    let sim = Simulator::builder()
        .app(APP, SERVER_SECRET)
        .seed(7)
        .start_async()
        .await
        .unwrap();
    let client =
        zego_transport_async::Client::builder(Credentials::new(APP, SERVER_SECRET).unwrap())
            .config(Config::new(Endpoint::custom(&sim.base_url()).unwrap()))
            .build();
    let state = AppState {
        callbacks: CallbackConfig::new(CallbackSecret::new(CALLBACK_SECRET).unwrap())
            .clock(Arc::new(ManualClock::new(Duration::from_secs(NOW)))),
        client,
        blocklist: Arc::new(Blocklist {
            streams: ["cheater-stream".to_owned()].into(),
            users: ["troll-7".to_owned()].into(),
        }),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/zego/callback", listener.local_addr().unwrap());
    tokio::spawn(async move {
        blocklist::serve(listener, app(state), blocklist::ServerLimits::default()).await;
    });
    Service {
        sim,
        url,
        http: reqwest::Client::new(),
    }
}

/// A `stream_create` body as ZEGO sends it, signed with `secret`.
fn stream_create(secret: &str, nonce: &str, stream_id: &str, user_id: &str) -> String {
    let timestamp = NOW.to_string();
    let signature = callback_signature(secret, &timestamp, nonce);
    format!(
        r#"{{"event":"stream_create","appid":"{APP}","timestamp":"{timestamp}","nonce":"{nonce}","signature":"{signature}",
        "room_id":"room-1","room_session_id":"1","user_id":"{user_id}","user_name":"{user_id}","channel_id":"0",
        "stream_id":"{stream_id}","stream_sid":"sid","title":"","stream_alias":"","stream_attr":"{{\"cid\":0}}",
        "stream_seq":"1","create_time":"{timestamp}","create_time_ms":"{timestamp}000","extra_info":"",
        "recreate":"0","publish_id":"{user_id}","publish_name":"{user_id}",
        "rtmp_url":["rtmp://example.com/live/{stream_id}"],"hls_url":[],"hdl_url":[],"pic_url":[]}}"#
    )
}

impl Service {
    async fn post(&self, body: String, content_type: &str) -> (u16, String) {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    fn forbidden(&self) -> std::collections::BTreeSet<String> {
        self.sim.forbidden_rtc_streams(APP, Env::Production)
    }

    fn forbid_requests(&self) -> usize {
        self.sim
            .request_log()
            .iter()
            .filter(|r| r.action == "ForbidRTCStream")
            .count()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_stream_is_forbidden_when_zego_reports_it() {
    let service = start().await;
    service
        .sim
        .set_stream_live(APP, Env::Production, "cheater-stream", 1_700_000_000);
    assert!(service.forbidden().is_empty());

    let body = stream_create(CALLBACK_SECRET, "n1", "cheater-stream", "alice");
    let (status, text) = service.post(body.clone(), "application/json").await;
    assert_eq!((status, text.as_str()), (200, "forbidden cheater-stream"));
    assert!(service.forbidden().contains("cheater-stream"));
    assert_eq!(service.forbid_requests(), 1);

    // ZEGO's retry of the same delivery: answered 200, not forbidden a second time.
    let (status, _) = service.post(body, "application/json").await;
    assert_eq!(status, 200);
    assert_eq!(service.forbid_requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_user_s_new_stream_is_forbidden_and_others_are_not() {
    let service = start().await;
    let (status, _) = service
        .post(
            stream_create(CALLBACK_SECRET, "n2", "fresh-stream", "troll-7"),
            "application/json",
        )
        .await;
    assert_eq!(status, 200);
    let (status, text) = service
        .post(
            stream_create(CALLBACK_SECRET, "n3", "good-stream", "alice"),
            "application/json",
        )
        .await;
    assert_eq!((status, text.as_str()), (200, "allowed"));
    assert_eq!(
        service.forbidden().into_iter().collect::<Vec<_>>(),
        ["fresh-stream"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_signatures_are_401_and_bad_bodies_400_and_nothing_is_forbidden() {
    let service = start().await;
    // Signed with the ServerSecret instead of the CallbackSecret.
    let wrong_key = stream_create(SERVER_SECRET, "n4", "cheater-stream", "alice");
    let (status, text) = service.post(wrong_key, "application/json").await;
    assert_eq!(status, 401, "{text}");
    assert!(!text.contains(SERVER_SECRET) && !text.contains(CALLBACK_SECRET));
    // Tampered: the signature is for another nonce.
    let tampered =
        stream_create(CALLBACK_SECRET, "n5", "cheater-stream", "alice").replace("\"n5\"", "\"n6\"");
    assert_eq!(service.post(tampered, "application/json").await.0, 401);
    // Not JSON at all, and a JSON body without a stream ID.
    assert_eq!(
        service.post("{oops".into(), "application/json").await.0,
        400
    );
    let signature = callback_signature(CALLBACK_SECRET, &NOW.to_string(), "n7");
    let no_stream = format!("event=stream_create&timestamp={NOW}&nonce=n7&signature={signature}");
    assert_eq!(
        service
            .post(no_stream, "application/x-www-form-urlencoded")
            .await
            .0,
        400
    );
    // Larger than any callback, and a content type ZEGO does not send.
    assert_eq!(
        service.post(" ".repeat(70_000), "application/json").await.0,
        413
    );
    assert_eq!(
        service.post("a=1".into(), "multipart/form-data").await.0,
        415
    );
    // Correctly signed, but sent 11 minutes before the service's clock.
    let stale_ts = (NOW - 660).to_string();
    let stale = stream_create(CALLBACK_SECRET, "n9", "cheater-stream", "alice")
        .replace(&NOW.to_string(), &stale_ts)
        .replace(
            &callback_signature(CALLBACK_SECRET, &NOW.to_string(), "n9"),
            &callback_signature(CALLBACK_SECRET, &stale_ts, "n9"),
        );
    let (status, text) = service.post(stale, "application/json").await;
    assert_eq!(status, 401, "{text}");
    assert!(text.contains("timestamp"), "{text}");
    assert!(service.forbidden().is_empty());
    assert_eq!(service.forbid_requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_body_works_too() {
    let service = start().await;
    let signature = callback_signature(CALLBACK_SECRET, &NOW.to_string(), "n8");
    let form = format!(
        "event=stream_create&appid={APP}&timestamp={NOW}&nonce=n8&signature={signature}&room_id=r&user_id=alice&stream_id=cheater-stream"
    );
    let (status, text) = service
        .post(form, "application/x-www-form-urlencoded")
        .await;
    assert_eq!((status, text.as_str()), (200, "forbidden cheater-stream"));
    assert!(service.forbidden().contains("cheater-stream"));
}
