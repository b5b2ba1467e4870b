//! The example service's server limits (issue 20 item 15): a client that stalls in its
//! request head or body is cut off, a body announced larger than any callback is refused at
//! once, and connections beyond the limit wait. Raw TCP clients, so that the misbehaviour
//! is exactly what is written; the bounds are generous multiples of the configured limits.

#[allow(dead_code)] // The example's `main` and `app` are not used here.
#[path = "../examples/blocklist.rs"]
mod blocklist;

use std::time::{Duration, Instant};

use axum::routing::post;
use axum::Router;
use blocklist::{serve, ServerLimits};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use zego_axum::{CallbackConfig, ZegoCallback};
use zego_callback::CallbackSecret;

/// Far above every limit below: a server without the limits keeps the client waiting
/// past it (the issue saw > 40 s), a server with them answers well before.
const PATIENCE: Duration = Duration::from_secs(20);

fn limits() -> ServerLimits {
    ServerLimits {
        header_read_timeout: Duration::from_secs(1),
        body_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(3),
        max_connections: 64,
        ..ServerLimits::default()
    }
}

/// A server whose one route is the callback extractor, under `limits`.
async fn start(limits: ServerLimits) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = CallbackConfig::new(CallbackSecret::new("cb-secret").unwrap());
    let router = Router::new()
        .route(
            "/zego/callback",
            post(|ZegoCallback(event): ZegoCallback| async move { event.header().event.clone() }),
        )
        .with_state(config);
    tokio::spawn(serve(listener, router, limits));
    addr
}

/// Everything the server sends until it closes the connection (or `PATIENCE` runs out,
/// which fails the test), and how long that took.
async fn read_until_closed(stream: &mut TcpStream) -> (String, Duration) {
    let started = Instant::now();
    let mut got = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(
        read.is_ok(),
        "the server kept a stalled client for more than {PATIENCE:?}"
    );
    (
        String::from_utf8_lossy(&got).into_owned(),
        started.elapsed(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partial_request_head_is_cut_off() {
    let addr = start(limits()).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"POST /zego/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
        .await
        .unwrap();
    let (_, took) = read_until_closed(&mut client).await;
    assert!(
        took >= Duration::from_millis(500),
        "closed too early: {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_content_length_is_refused_at_once() {
    let addr = start(limits()).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(
            b"POST /zego/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{",
        )
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_is_answered_408() {
    let addr = start(limits()).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(
            b"POST /zego/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ev",
        )
        .await
        .unwrap();
    let (answer, _) = read_until_closed(&mut client).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trickled_body_is_bounded_by_the_request_timeout() {
    let addr = start(limits()).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(
            b"POST /zego/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n",
        )
        .await
        .unwrap();
    // One byte every 300 ms: each inside the body read timeout, the whole far too slow.
    let (mut reader, mut writer) = client.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if writer.write_all(b" ").await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(PATIENCE, async {
        let mut buf = [0u8; 1024];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    })
    .await;
    trickle.abort();
    assert!(
        read.is_ok(),
        "a trickling client was served for more than {PATIENCE:?}"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_wait_for_a_free_slot() {
    let addr = start(ServerLimits {
        max_connections: 1,
        ..limits()
    })
    .await;
    // The one slot: a client that stalls in its body until the server gives up on it.
    let mut staller = TcpStream::connect(addr).await.unwrap();
    staller
        .write_all(
            b"POST /zego/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n{",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A well-behaved client meanwhile: it is only served once the staller is cut off,
    // which takes the body read timeout (1 s, of which 200 ms have passed). Without the
    // limit it is answered in milliseconds.
    let second = tokio::spawn(async move {
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(b"POST /zego/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
            .await
            .unwrap();
        read_until_closed(&mut client).await
    });
    let (first_answer, _) = read_until_closed(&mut staller).await;
    let (second_answer, second_took) = second.await.unwrap();
    assert!(first_answer.starts_with("HTTP/1.1 408"), "{first_answer}");
    // Served: the extractor read it and refused it for its missing signature.
    assert!(second_answer.starts_with("HTTP/1.1 401"), "{second_answer}");
    assert!(
        second_took >= Duration::from_millis(500),
        "the second client was served while the first held the only slot ({second_took:?})"
    );
}
