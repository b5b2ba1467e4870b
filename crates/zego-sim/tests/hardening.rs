//! A simulator that stays up: slow and idle sockets are closed, connections are capped,
//! anonymous requests cost little memory, and a request whose client gives up during a
//! delay is still applied and logged, as on a real server.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use common::{builder, enc, ids, query};
use zego_sim::{Env, Fault, FaultPlan};

/// Reads until the server closes the connection (or `limit` passes); how long that took.
fn time_to_close(stream: &mut TcpStream, limit: Duration) -> Duration {
    stream.set_read_timeout(Some(limit)).unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[test]
fn slow_headers_and_idle_connections_are_closed() {
    let sim = builder()
        .rate_limit(false)
        .header_read_timeout(Duration::from_millis(300))
        .start()
        .unwrap();
    // Slowloris: headers that never end.
    let mut slow = TcpStream::connect(sim.addr()).unwrap();
    write!(slow, "GET /_sim/health HTTP/1.1\r\nHost: x\r\n").unwrap();
    let took = time_to_close(&mut slow, Duration::from_secs(5));
    assert!(
        took < Duration::from_secs(3),
        "slow headers held for {took:?}"
    );
    // An idle kept-alive connection after one answer.
    let mut idle = TcpStream::connect(sim.addr()).unwrap();
    write!(idle, "GET /_sim/health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let took = time_to_close(&mut idle, Duration::from_secs(5));
    assert!(
        took < Duration::from_secs(3),
        "idle connection held for {took:?}"
    );
}

#[test]
fn connections_beyond_the_cap_are_closed_at_once() {
    let sim = builder()
        .rate_limit(false)
        .max_connections(2)
        .start()
        .unwrap();
    let held: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(sim.addr()).unwrap();
            write!(s, "GET /_sim/health HTTP/1.1\r\nHost: x\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(200));
    let mut third = TcpStream::connect(sim.addr()).unwrap();
    let took = time_to_close(&mut third, Duration::from_secs(5));
    assert!(
        took < Duration::from_secs(2),
        "the third connection was held {took:?}"
    );
    drop(held);
    // Once they are gone, new clients are served again.
    std::thread::sleep(Duration::from_millis(200));
    assert!(common::raw_http(&sim, "/_sim/health").contains("200 OK"));
}

#[test]
fn anonymous_requests_cost_little_memory_and_the_log_is_bounded_by_bytes() {
    let sim = builder()
        .rate_limit(false)
        .request_log_byte_capacity(200_000)
        .start()
        .unwrap();
    let big = "x".repeat(60_000);
    for _ in 0..50 {
        // No AppId: refused by the gateway, logged with truncated parameters.
        let response = common::raw_http(&sim, &format!("/?Action=ForbidRTCStream&StreamId={big}"));
        assert!(
            response.contains("200 OK"),
            "{}",
            &response[..100.min(response.len())]
        );
    }
    let log = sim.request_log();
    assert_eq!(log.len(), 50);
    let logged: usize = log
        .iter()
        .flat_map(|r| r.params.iter())
        .map(|(k, v)| k.len() + v.len())
        .sum();
    assert!(logged < 50 * 1_000, "{logged} bytes of parameters kept");
    // Signed requests keep their parameters in full, and the log stays under its budget.
    for i in 0..40 {
        let id = format!("{i}-{}", "y".repeat(200));
        let q = query(
            &sim,
            "ForbidRTCStreams",
            &format!("{}&Sequence={}", ids(&[&id]), i + 1),
        );
        common::get(&sim, &q);
    }
    let log = sim.request_log();
    let kept: usize = log
        .iter()
        .map(|r| {
            r.params
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
                + 128
        })
        .sum();
    assert!(kept <= 200_000, "{kept} bytes kept");
    assert!(log
        .iter()
        .any(|r| r.params.iter().any(|(_, v)| v.len() > 200)));
    // A request head beyond 64 KiB is refused before it is parsed or logged.
    let before = sim.request_log().len();
    let mut huge = TcpStream::connect(sim.addr()).unwrap();
    // The server may close the connection while the head is still being written.
    let _ = write!(
        huge,
        "GET /?Action=X&P={} HTTP/1.1\r\nHost: x\r\n\r\n",
        "z".repeat(100_000)
    );
    let _ = time_to_close(&mut huge, Duration::from_secs(5));
    assert_eq!(sim.request_log().len(), before);
}

#[test]
fn a_request_whose_client_gives_up_during_a_delay_is_still_applied_and_logged() {
    let sim = builder()
        .rate_limit(false)
        .faults(
            FaultPlan::new()
                .seed(1)
                .all(Fault::Delay(Duration::from_millis(600)), 1.0),
        )
        .start()
        .unwrap();
    let q = query(
        &sim,
        "ForbidRTCStream",
        &format!("StreamId={}&Sequence=1", enc("gone")),
    );
    let mut client = TcpStream::connect(sim.addr()).unwrap();
    write!(client, "GET /?{q} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    drop(client); // the client times out and hangs up
    let started = Instant::now();
    while sim.request_log().is_empty() && started.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sim.request_log().len(), 1, "logged as a real server would");
    assert!(sim
        .forbidden_rtc_streams(common::APP, Env::Production)
        .contains("gone"));
}
