//! The simulator's callbacks over real loopback HTTP: what it sends, how it signs, and
//! ZEGO's retry schedule measured on the simulator's (manual) clock.

mod common;

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{agent, builder, APP, T0_MS};
use serde_json::Value;
use sha1::{Digest, Sha1};
use zego_sim::{CallbackAttempt, CallbackOutcome, Env, SimError, SimHandle};

const CALLBACK_SECRET: &str = "cb-secret-0f-the-test";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    content_type: String,
    body: String,
}

/// A loopback HTTP receiver that answers each request with the next scripted status (200
/// once the script is used up) and records what it got.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/zego/callback", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<_>>()));
        let record = got.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let mut reader = BufReader::new(stream);
                let (mut content_type, mut length) = (String::new(), 0usize);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    let lower = line.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    } else if let Some(v) = lower.strip_prefix("content-type:") {
                        v.trim().clone_into(&mut content_type);
                    }
                }
                let mut body = vec![0; length];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                record.lock().unwrap().push(Received {
                    content_type,
                    body: String::from_utf8_lossy(&body).into_owned(),
                });
                let status = script.lock().unwrap().pop_front().unwrap_or(200);
                let mut stream = reader.into_inner();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                );
            }
        });
        Self { url, got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn sim_for(receiver: &Receiver) -> SimHandle {
    builder()
        .callback_url(&receiver.url)
        .callback_secret(CALLBACK_SECRET)
        .start()
        .unwrap()
}

/// ZEGO's signature, computed here from spec §6 (not by the simulator's code).
fn expected_signature(timestamp: &str, nonce: &str) -> String {
    let mut parts = [CALLBACK_SECRET, timestamp, nonce];
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

/// Polls (in real time, bounded) until the log has `n` attempts.
fn wait_for_attempts(sim: &SimHandle, n: usize) -> Vec<CallbackAttempt> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = sim.callback_log();
        if log.len() >= n {
            return log;
        }
        assert!(
            Instant::now() < deadline,
            "only {} attempts: {log:?}",
            log.len()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn post(url: &str) -> u16 {
    agent(None)
        .post(url)
        .send(&[][..])
        .unwrap()
        .status()
        .as_u16()
}

#[test]
fn a_publish_delivers_a_signed_stream_create_and_a_close_a_stream_close_with_its_type() {
    let receiver = Receiver::start(&[]);
    let sim = sim_for(&receiver);
    let base = sim.base_url();
    assert_eq!(
        post(&format!(
            "{base}/_sim/streams/stream-1/publish?room_id=room-1&user_id=alice"
        )),
        200
    );
    let log = wait_for_attempts(&sim, 1);
    assert_eq!(
        (
            log[0].event.as_str(),
            log[0].stream_id.as_str(),
            log[0].attempt
        ),
        ("stream_create", "stream-1", 1)
    );
    assert_eq!(
        (log[0].status, &log[0].outcome),
        (Some(200), &CallbackOutcome::Delivered)
    );

    let got = receiver.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].content_type, "application/json");
    let create: Value = serde_json::from_str(&got[0].body).unwrap();
    let field = |v: &Value, k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("{k}: {v}"))
            .to_owned()
    };
    let (ts, nonce) = (field(&create, "timestamp"), field(&create, "nonce"));
    assert_eq!(field(&create, "signature"), expected_signature(&ts, &nonce));
    assert_eq!(ts, (T0_MS / 1000).to_string());
    assert_eq!(nonce, log[0].nonce);
    for (key, want) in [
        ("event", "stream_create"),
        ("appid", &APP.to_string()),
        ("room_id", "room-1"),
        ("user_id", "alice"),
        ("stream_id", "stream-1"),
        ("stream_alias", "stream-1"),
        ("create_time", &(T0_MS / 1000).to_string()),
        ("create_time_ms", &T0_MS.to_string()),
        ("stream_seq", "1"),
    ] {
        assert_eq!(field(&create, key), want, "{key}");
    }
    assert!(create["rtmp_url"].is_array());
    // Publishing a live stream again announces nothing new.
    assert!(sim.publish_stream(APP, Env::Production, "room-1", "alice", "stream-1"));

    sim.clock().advance(Duration::from_secs(30));
    assert_eq!(
        post(&format!("{base}/_sim/streams/stream-1/close?type=3")),
        200
    );
    let log = wait_for_attempts(&sim, 2);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (log[1].event.as_str(), log[1].status),
        ("stream_close", Some(200))
    );
    let close: Value = serde_json::from_str(&receiver.received()[1].body).unwrap();
    let (ts, nonce) = (field(&close, "timestamp"), field(&close, "nonce"));
    assert_eq!(field(&close, "signature"), expected_signature(&ts, &nonce));
    assert_ne!(nonce, log[0].nonce);
    assert_eq!(field(&close, "type"), "3");
    assert_eq!(field(&close, "stream_id"), "stream-1");
    assert_eq!(field(&close, "user_id"), "alice");
    assert_eq!(
        field(&close, "destroy_timemillis"),
        (T0_MS + 30_000).to_string()
    );
    // Closed for DescribeRTCStreamState, gone from the room; closing again is a 404.
    let state = &sim.state(APP, Env::Production).stream_states["stream-1"];
    assert_eq!(state.close_time, Some(T0_MS / 1000 + 30));
    assert!(sim
        .room(APP, Env::Production, "room-1")
        .unwrap()
        .streams
        .is_empty());
    assert_eq!(post(&format!("{base}/_sim/streams/stream-1/close")), 404);
    assert_eq!(
        post(&format!("{base}/_sim/streams/stream-1/close?type=x")),
        400
    );
    // Nothing in the log or the handle's Debug gives the secret away.
    assert!(!format!("{:?} {sim:?}", sim.callback_log()).contains(CALLBACK_SECRET));
}

#[test]
fn a_receiver_that_fails_three_times_gets_the_fourth_attempt_2_4_and_8_s_apart() {
    // A 500, a 404 and a 302 (no redirect is followed): none of them is a 2xx.
    let receiver = Receiver::start(&[500, 404, 302]);
    let sim = sim_for(&receiver);
    assert!(sim.publish_stream(APP, Env::Production, "room-1", "alice", "s1"));
    let mut log = wait_for_attempts(&sim, 1);
    for (gap, attempt) in [(2u64, 2usize), (4, 3), (8, 4)] {
        // Just before the gap is over: no attempt (the worker polls every 10 ms; 100 ms is
        // ten chances to be early).
        sim.clock().advance(Duration::from_millis(gap * 1000 - 1));
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(sim.callback_log().len(), attempt - 1, "early retry");
        sim.clock().advance(Duration::from_millis(1));
        log = wait_for_attempts(&sim, attempt);
    }
    let attempts: Vec<_> = log
        .iter()
        .map(|a| (a.attempt, a.status, a.time_ms - T0_MS))
        .collect();
    assert_eq!(
        attempts,
        [
            (1, Some(500), 0),
            (2, Some(404), 2_000),
            (3, Some(302), 6_000),
            (4, Some(200), 14_000)
        ]
    );
    assert_eq!(
        log[0].outcome,
        CallbackOutcome::Retrying {
            next_attempt_ms: T0_MS + 2_000
        }
    );
    assert_eq!(log[3].outcome, CallbackOutcome::Delivered);
    // Every attempt is the same delivery: the same body, signature and nonce included.
    let bodies: Vec<String> = receiver.received().into_iter().map(|r| r.body).collect();
    assert_eq!(bodies.len(), 4);
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    assert!(log.iter().all(|a| a.nonce == log[0].nonce));
}

#[test]
fn six_failures_drop_the_callback_after_five_retries() {
    let receiver = Receiver::start(&[503; 10]);
    let sim = sim_for(&receiver);
    assert!(sim.publish_stream(APP, Env::Production, "room-1", "alice", "s1"));
    wait_for_attempts(&sim, 1);
    for (secs, attempts) in [(2, 2), (4, 3), (8, 4), (16, 5), (32, 6)] {
        sim.clock().advance(Duration::from_secs(secs));
        wait_for_attempts(&sim, attempts);
    }
    // Long after: no seventh attempt.
    sim.clock().advance(Duration::from_secs(3_600));
    std::thread::sleep(Duration::from_millis(100));
    let log = sim.callback_log();
    assert_eq!(log.len(), 6, "{log:?}");
    let gaps: Vec<i64> = log
        .windows(2)
        .map(|w| w[1].time_ms - w[0].time_ms)
        .collect();
    assert_eq!(gaps, [2_000, 4_000, 8_000, 16_000, 32_000]);
    assert!(log[..5]
        .iter()
        .all(|a| matches!(a.outcome, CallbackOutcome::Retrying { .. })));
    assert_eq!(
        (log[5].attempt, &log[5].outcome),
        (6, &CallbackOutcome::Dropped)
    );
    assert_eq!(receiver.received().len(), 6);
}

#[test]
fn a_receiver_that_is_not_there_counts_as_a_failed_attempt() {
    // Bind and drop: nothing listens on this port any more.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sim = builder()
        .callback_url(format!("http://127.0.0.1:{port}/cb"))
        .callback_secret(CALLBACK_SECRET)
        .start()
        .unwrap();
    assert!(sim.publish_stream(APP, Env::Production, "room-1", "alice", "s1"));
    let log = wait_for_attempts(&sim, 1);
    assert_eq!(log[0].status, None);
    assert!(log[0].error.is_some(), "{log:?}");
    assert!(matches!(log[0].outcome, CallbackOutcome::Retrying { .. }));
}

#[test]
fn a_remote_callback_url_is_refused_without_the_opt_in() {
    let start = |url: &str, allow: bool| {
        builder()
            .callback_url(url)
            .callback_secret(CALLBACK_SECRET)
            .allow_remote_callbacks(allow)
            .start()
    };
    let Err(SimError::InvalidConfig(message)) = start("https://callbacks.example.com/zego", false)
    else {
        panic!("a remote URL was accepted without the opt-in");
    };
    assert!(message.contains("callbacks.example.com"), "{message}");
    assert!(message.contains("allow_remote_callbacks"), "{message}");
    assert!(!message.contains(CALLBACK_SECRET));
    // With the opt-in it starts (and sends nothing until a stream is published).
    let sim = start("https://callbacks.example.com/zego", true).unwrap();
    assert!(sim.callback_log().is_empty());
    // A URL without its secret, and a secret without a URL, are configuration errors.
    assert!(builder()
        .callback_url("http://127.0.0.1:1/")
        .start()
        .is_err());
    assert!(builder().callback_secret("s").start().is_err());
    assert!(start("not a url", true).is_err());
}

#[test]
fn without_a_callback_url_publishing_and_closing_still_work() {
    let sim = builder().start().unwrap();
    assert!(sim.publish_stream(APP, Env::Production, "room-1", "alice", "s1"));
    assert!(sim.close_stream(APP, Env::Production, "s1", 0));
    assert!(sim.callback_log().is_empty());
}

#[test]
fn kick_delete_stream_close_room_and_logout_deliver_stream_close_with_zego_s_types() {
    let receiver = Receiver::start(&[]);
    let sim = sim_for(&receiver);
    let prod = Env::Production;
    for (user, stream) in [
        ("kicked", "s-kick"),
        ("deleted", "s-del"),
        ("leaver", "s-out"),
    ] {
        assert!(sim.publish_stream(APP, prod, "room-1", user, stream));
    }
    assert!(sim.publish_stream(APP, prod, "room-2", "host", "s-room"));
    let call = |action: &str, business: &str| {
        let v = common::call(&sim, action, business);
        assert_eq!(common::code_of(&v), 0, "{action}: {v}");
    };
    call("KickoutUser", "RoomId=room-1&UserId%5B%5D=kicked");
    call(
        "DeleteStream",
        "RoomId=room-1&UserId=deleted&StreamId=s-del",
    );
    call("CloseRoom", "RoomId=room-2");
    sim.logout_user(APP, prod, "room-1", "leaver");
    let log = wait_for_attempts(&sim, 8);
    assert!(log.iter().all(|a| a.outcome.is_delivered()), "{log:?}");
    let closes: Vec<(String, String)> = receiver
        .received()
        .iter()
        .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
        .filter(|v| v["event"] == "stream_close")
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap().to_owned();
            (s("stream_id"), s("type"))
        })
        .collect();
    let want = [
        ("s-kick", "3"),
        ("s-del", "100"),
        ("s-room", "5"),
        ("s-out", "0"),
    ];
    assert_eq!(closes, want.map(|(s, t)| (s.to_owned(), t.to_owned())));
    // Each is closed for DescribeRTCStreamState too.
    let states = sim.state(APP, prod).stream_states;
    assert!(want.iter().all(|(s, _)| states[*s].close_time.is_some()));
}

/// Issue 20 item 14: ZEGO's pages say callback data "needs UrlDecode", which is the form
/// encoding's percent-decoding; a JSON body carries its values as they are. The simulator
/// sends JSON with plain values, and the SDK's verifier (zego-callback) reads them back
/// unchanged: a user name with a literal `%` and `+` survives the trip.
#[test]
fn json_callback_values_are_sent_plain_and_verified_unchanged() {
    use zego_callback::{CallbackEvent, CallbackSecret, CallbackVerifier};
    let receiver = Receiver::start(&[]);
    let sim = sim_for(&receiver);
    let user_name = "100% spam+eggs %41";
    sim.login_user(APP, Env::Production, "room-1", "alice", user_name);
    assert!(sim.publish_stream(APP, Env::Production, "room-1", "alice", "stream-9"));
    wait_for_attempts(&sim, 1);
    let got = receiver.received();
    assert!(got[0].body.contains(user_name), "{}", got[0].body);
    let verifier = CallbackVerifier::new(CallbackSecret::new(CALLBACK_SECRET).unwrap());
    let event = verifier
        .verify(
            got[0].body.as_bytes(),
            Some(&got[0].content_type),
            u64::try_from(T0_MS / 1000).unwrap(),
        )
        .unwrap();
    let CallbackEvent::StreamCreate(created) = event else {
        panic!("not a stream_create: {event:?}")
    };
    assert_eq!(created.user_name, user_name);
    assert_eq!(created.publish_name, user_name);
    assert_eq!(created.stream_id, "stream-9");
}
