//! Two instances of the example service behind one callback URL, sharing one Redis replay
//! cache: a delivery posted to both is processed once across the fleet (one forbid reaches
//! the simulator), and a Redis that does not answer makes the service answer 503 (ZEGO
//! retries) without forbidding anything.

#[allow(dead_code)] // The example's `main` is not used here.
#[path = "../examples/blocklist.rs"]
mod blocklist;

#[path = "../../zego-redis/tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Duration;

use blocklist::{app, callback_config, AppState, Blocklist};
use common::RedisServer;
use zego_callback::{callback_signature, CallbackSecret};
use zego_proto::clock::ManualClock;
use zego_proto::{AppId, Config, Credentials, Endpoint};
use zego_sim::{Env, SimHandle, Simulator};

const APP: u32 = 1_234_567;
const SERVER_SECRET: &str = "0123456789abcdef0123456789abcdef";
const CALLBACK_SECRET: &str = "cb-S3cr3t-of-the-test";
const NOW: u64 = 1_700_000_000;

/// One instance of the service, on its own port with its own client, against `sim`.
async fn instance(sim: &SimHandle, redis_url: &str) -> String {
    let client =
        zego_transport_async::Client::builder(Credentials::new(APP, SERVER_SECRET).unwrap())
            .config(Config::new(Endpoint::custom(&sim.base_url()).unwrap()))
            .build();
    let url = redis_url.to_owned();
    // The check connects (blocking, bounded): off the async workers.
    let callbacks = tokio::task::spawn_blocking(move || {
        callback_config(
            CallbackSecret::new(CALLBACK_SECRET).unwrap(),
            Some((&url, AppId::new(APP))),
        )
    })
    .await
    .unwrap()
    .unwrap()
    .clock(Arc::new(ManualClock::new(Duration::from_secs(NOW))));
    let state = AppState {
        callbacks,
        client,
        blocklist: Arc::new(Blocklist {
            streams: ["cheater-stream".to_owned()].into(),
            users: std::collections::HashSet::new(),
        }),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/zego/callback", listener.local_addr().unwrap());
    tokio::spawn(async move {
        blocklist::serve(listener, app(state), blocklist::ServerLimits::default()).await;
    });
    url
}

fn stream_create(nonce: &str, stream_id: &str) -> String {
    let timestamp = NOW.to_string();
    let signature = callback_signature(CALLBACK_SECRET, &timestamp, nonce);
    format!(
        r#"{{"event":"stream_create","appid":"{APP}","timestamp":"{timestamp}","nonce":"{nonce}","signature":"{signature}",
        "room_id":"room-1","user_id":"alice","stream_id":"{stream_id}"}}"#
    )
}

async fn post(http: &reqwest::Client, url: &str, body: String) -> (u16, String) {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn forbid_requests(sim: &SimHandle) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| r.action == "ForbidRTCStream")
        .count()
}

async fn simulator() -> SimHandle {
    let sim = Simulator::builder()
        .app(APP, SERVER_SECRET)
        .seed(7)
        .start_async()
        .await
        .unwrap();
    sim.set_stream_live(APP, Env::Production, "cheater-stream", 1_700_000_000);
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_delivery_posted_to_two_instances_is_processed_once() {
    let redis = RedisServer::start();
    let sim = simulator().await;
    let first = instance(&sim, &redis.url()).await;
    let second = instance(&sim, &redis.url()).await;
    let http = reqwest::Client::new();

    let body = stream_create("fleet-1", "cheater-stream");
    let (status, text) = post(&http, &first, body.clone()).await;
    assert_eq!((status, text.as_str()), (200, "forbidden cheater-stream"));
    // The same delivery at the other instance (ZEGO's retry, or a replay of a captured
    // body): a duplicate there too.
    let (status, text) = post(&http, &second, body).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("already received"), "{text}");
    assert_eq!(forbid_requests(&sim), 1, "one forbid across the fleet");

    // Both instances at once with a new delivery: still exactly one forbid.
    let body = stream_create("fleet-2", "cheater-stream");
    let (a, b) = tokio::join!(
        post(&http, &first, body.clone()),
        post(&http, &second, body)
    );
    let processed = [&a, &b]
        .iter()
        .filter(|(_, text)| text.starts_with("forbidden"))
        .count();
    assert_eq!((a.0, b.0, processed), (200, 200, 1), "{a:?} {b:?}");
    assert_eq!(forbid_requests(&sim), 2);

    // The key is under the AppId's hash tag and expires with the verifier's window.
    let mut connection = redis.connection();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("zego:cb:*")
        .query(&mut connection)
        .unwrap();
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(keys
        .iter()
        .all(|k| k.starts_with(&format!("zego:cb:{{{APP}}}:"))));
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&keys[0])
        .query(&mut connection)
        .unwrap();
    assert!((590_000..=600_000).contains(&ttl), "{ttl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_does_not_answer_is_503_and_nothing_is_forbidden() {
    let mut redis = RedisServer::start();
    let sim = simulator().await;
    let service = instance(&sim, &redis.url()).await;
    let http = reqwest::Client::new();
    redis.kill();

    let body = stream_create("down-1", "cheater-stream");
    let (status, text) = post(&http, &service, body.clone()).await;
    assert_eq!(status, 503, "{text}");
    assert_eq!(forbid_requests(&sim), 0);

    // Redis is back (empty): ZEGO's retry is processed, once.
    redis.restart();
    let (status, text) = post(&http, &service, body.clone()).await;
    assert_eq!((status, text.as_str()), (200, "forbidden cheater-stream"));
    let (status, _) = post(&http, &service, body).await;
    assert_eq!(status, 200);
    assert_eq!(forbid_requests(&sim), 1);
}
