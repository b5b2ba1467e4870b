//! Shared helpers for the integration tests: signing, encoding and a small ureq client.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use md5::{Digest, Md5};
use serde_json::Value;
use zego_sim::{SimClock, SimHandle, Simulator, SimulatorBuilder};

pub const APP: u32 = 1_234_567_890;
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";
/// 2023-11-14T22:13:20Z.
pub const T0_MS: i64 = 1_700_000_000_000;

static NONCE: AtomicU64 = AtomicU64::new(1);

pub fn md5_hex(s: &str) -> String {
    Md5::digest(s.as_bytes())
        .iter()
        .fold(String::new(), |mut acc, b| {
            use std::fmt::Write;
            let _ = write!(acc, "{b:02x}");
            acc
        })
}

pub fn sign(app: u32, nonce: &str, secret: &str, ts: i64) -> String {
    md5_hex(&format!("{app}{nonce}{secret}{ts}"))
}

/// RFC 3986 percent-encoding (unreserved kept).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            use std::fmt::Write;
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub fn builder() -> SimulatorBuilder {
    Simulator::builder()
        .app(APP, SECRET)
        .clock(SimClock::manual(T0_MS))
        .seed(1)
}

/// A simulator with rate limiting off (validation tests send bursts).
pub fn start() -> SimHandle {
    builder().rate_limit(false).start().expect("start")
}

pub fn nonce() -> String {
    format!("{:016x}", NONCE.fetch_add(1, Ordering::SeqCst))
}

/// Common params signed for `app`/`secret` at `ts`.
pub fn common(app: u32, secret: &str, ts: i64) -> String {
    let n = nonce();
    let sig = sign(app, &n, secret, ts);
    format!("AppId={app}&SignatureNonce={n}&Timestamp={ts}&Signature={sig}&SignatureVersion=2.0")
}

/// A full signed query for `APP` at the sim's current time; `business` is already encoded.
pub fn query(sim: &SimHandle, action: &str, business: &str) -> String {
    let ts = sim.clock().now_secs();
    let mut q = format!("Action={action}");
    if !business.is_empty() {
        q.push('&');
        q.push_str(business);
    }
    q.push('&');
    q.push_str(&common(APP, SECRET, ts));
    q
}

pub fn agent(timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(timeout.or(Some(Duration::from_secs(10))))
        .build()
        .into()
}

/// GET `/?{query}`; returns (status, body text).
pub fn get_raw(sim: &SimHandle, query: &str) -> (u16, String) {
    let url = format!("{}/?{query}", sim.base_url());
    let mut resp = agent(None).get(&url).call().expect("http");
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().expect("body");
    (status, body)
}

/// GET and parse the envelope.
pub fn get(sim: &SimHandle, query: &str) -> Value {
    let (status, body) = get_raw(sim, query);
    assert_eq!(status, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("json envelope");
    let rid = v["RequestId"].as_str().expect("RequestId");
    assert_eq!(rid.len(), 19, "{rid}");
    assert!(rid.bytes().all(|b| b.is_ascii_digit()));
    assert!(v["Message"].is_string());
    v
}

pub fn code_of(v: &Value) -> i64 {
    v["Code"].as_i64().expect("Code")
}

/// Signed call of `action` with encoded `business` params; returns the envelope.
pub fn call(sim: &SimHandle, action: &str, business: &str) -> Value {
    get(sim, &query(sim, action, business))
}

pub fn code(sim: &SimHandle, action: &str, business: &str) -> i64 {
    code_of(&call(sim, action, business))
}

/// Sends a raw request line over TCP (bytes exactly as given); returns the whole response.
pub fn raw_http(sim: &SimHandle, target: &str) -> String {
    let mut s = std::net::TcpStream::connect(sim.addr()).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out
}

/// Encoded `StreamId[]` list with percent-encoded brackets.
pub fn ids(list: &[&str]) -> String {
    list.iter()
        .map(|s| format!("StreamId%5B%5D={}", enc(s)))
        .collect::<Vec<_>>()
        .join("&")
}
