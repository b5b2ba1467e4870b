//! A hostile or misconfigured Redis. A scripted loopback server that answers the connection's
//! handshake and then misbehaves on the admission script (a huge bulk length followed by
//! 64 KiB chunks, a huge array, a reply trickled one byte every 50 ms, garbage) is an outage
//! for the failure policy, on the blocking and the async path alike: every call ends within
//! the configured timeouts, and the process's memory stays bounded. A wrong password, a
//! missing ACL permission, or an address where something other than Redis answers is a
//! configuration error naming the problem, never the password (tested on a real
//! `redis-server --requirepass`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::RedisServer;
use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, RateLimitKey};
use zego_proto::{ops::RateLimitGroup, AppId, Environment};
use zego_redis::{FailurePolicy, RedisConfigError, RedisCoordinator};

const CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(300);
/// What one call may take beyond its timeouts on a loaded two-core machine: far below the
/// 30 s a trickling Redis held a call for when the timeout applied to each read.
const SLACK: Duration = Duration::from_secs(2);

/// How the fake answers the admission script (the handshake it answers as Redis does).
#[derive(Debug, Clone, Copy)]
enum Misbehaviour {
    /// `$2000000000` and then 64 KiB chunks for as long as the client reads.
    HugeBulk,
    /// `*2000000000` and then `:1` elements for as long as the client reads.
    HugeArray,
    /// A well-formed 200-byte bulk string, one byte every 50 ms (10 s in all).
    Trickle,
    /// Bytes that are not RESP.
    Garbage,
    /// An HTTP server: whatever is asked, an HTTP error page.
    NotRedis,
}

/// The scripted server: one thread per connection, stopped when dropped.
struct FakeRedis {
    port: u16,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl FakeRedis {
    fn start(misbehaviour: Misbehaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let accept = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let stop = Arc::clone(&stop);
                            std::thread::spawn(move || serve(stream, misbehaviour, &stop));
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(5)),
                    }
                }
            })
        };
        Self {
            port,
            stop,
            accept: Some(accept),
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for FakeRedis {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Reads one RESP command (an array of bulk strings); `None` at the end of the stream.
fn read_command(reader: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let count: usize = line.trim().strip_prefix('*')?.parse().ok()?;
    let mut parts = Vec::with_capacity(count.min(64));
    for _ in 0..count {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let len: usize = line.trim().strip_prefix('$')?.parse().ok()?;
        let mut data = vec![0; len + 2];
        reader.read_exact(&mut data).ok()?;
        data.truncate(len);
        parts.push(String::from_utf8_lossy(&data).into_owned());
    }
    Some(parts)
}

fn serve(stream: TcpStream, misbehaviour: Misbehaviour, stop: &AtomicBool) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    // Nothing runs longer than this, whatever the client does.
    let give_up = Instant::now() + Duration::from_secs(20);
    let alive = || !stop.load(Ordering::Relaxed) && Instant::now() < give_up;
    while let Some(command) = read_command(&mut reader) {
        let name = command
            .first()
            .map(|c| c.to_ascii_uppercase())
            .unwrap_or_default();
        let scripted = matches!(name.as_str(), "EVALSHA" | "EVAL" | "SCRIPT");
        if let Misbehaviour::NotRedis = misbehaviour {
            let _ = writer.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            return;
        }
        if !scripted {
            if writer.write_all(b"+OK\r\n").is_err() {
                return;
            }
            continue;
        }
        match misbehaviour {
            Misbehaviour::HugeBulk => {
                let chunk = vec![b'x'; 64 * 1024];
                let _ = writer.write_all(b"$2000000000\r\n");
                while alive() && writer.write_all(&chunk).is_ok() {}
            }
            Misbehaviour::HugeArray => {
                let chunk = b":1\r\n".repeat(16 * 1024);
                let _ = writer.write_all(b"*2000000000\r\n");
                while alive() && writer.write_all(&chunk).is_ok() {}
            }
            Misbehaviour::Trickle => {
                let reply = [&b"$200\r\n"[..], &[b'x'; 200], b"\r\n"].concat();
                for byte in reply {
                    if !alive() || writer.write_all(&[byte]).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            }
            Misbehaviour::Garbage => {
                let _ = writer.write_all(b"\x00\xffnot resp at all\r\n\r\n");
            }
            Misbehaviour::NotRedis => {}
        }
        return;
    }
}

fn key() -> RateLimitKey {
    RateLimitKey {
        app_id: AppId::new(9),
        environment: Environment::Production,
        group: RateLimitGroup::StreamForbid,
    }
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

fn coordinator(url: &str, policy: FailurePolicy) -> RedisCoordinator {
    RedisCoordinator::builder(url)
        .unwrap()
        .connect_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
        // Every call below goes to Redis again.
        .retry_interval(Duration::ZERO)
        .failure_policy(policy)
        .build()
}

/// The process's resident set, in KiB (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Admits `calls` requests on both paths against `misbehaviour`: each ends within the
/// timeouts (plus slack) with the failure policy's answer; returns the RSS growth in KiB.
fn admit_against(misbehaviour: Misbehaviour, calls: usize) -> u64 {
    let fake = FakeRedis::start(misbehaviour);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let before = rss_kib();
    let streams = vec!["s1".to_owned()];
    for policy in [FailurePolicy::LocalShare, FailurePolicy::FailClosed] {
        let c = coordinator(&fake.url(), policy);
        for call in 0..calls {
            let request = AdmissionRequest::new(key(), now()).with_sequence_for(&streams);
            let started = Instant::now();
            let answer = if call % 2 == 0 {
                c.admit(&request)
            } else {
                runtime.block_on(c.admit_async(&request))
            };
            let took = started.elapsed();
            assert!(
                took <= CONNECT_TIMEOUT + RESPONSE_TIMEOUT + SLACK,
                "{misbehaviour:?}: call {call} took {took:?}"
            );
            match policy {
                FailurePolicy::LocalShare => assert!(
                    matches!(answer, Ok(Admission::Go { .. } | Admission::Wait { .. })),
                    "{misbehaviour:?}: the local share admits: {answer:?}"
                ),
                _ => assert!(answer.is_err(), "{misbehaviour:?}: fail-closed refuses"),
            }
        }
    }
    rss_kib().saturating_sub(before)
}

/// Far above what the bounds allow (256 KiB of unread reply per connection, a few MiB of
/// runtime and stacks), far below the 1.9 GB one huge bulk string took before.
const RSS_GROWTH_BOUND_KIB: u64 = 64 * 1024;

#[test]
fn a_huge_bulk_string_is_an_outage_and_memory_stays_bounded() {
    let growth = admit_against(Misbehaviour::HugeBulk, 6);
    eprintln!("huge bulk: RSS grew by {growth} KiB");
    assert!(growth < RSS_GROWTH_BOUND_KIB, "RSS grew by {growth} KiB");
}

#[test]
fn a_huge_array_is_an_outage_and_memory_stays_bounded() {
    let growth = admit_against(Misbehaviour::HugeArray, 6);
    eprintln!("huge array: RSS grew by {growth} KiB");
    assert!(growth < RSS_GROWTH_BOUND_KIB, "RSS grew by {growth} KiB");
}

#[test]
fn a_trickled_reply_ends_within_the_response_timeout() {
    admit_against(Misbehaviour::Trickle, 4);
}

#[test]
fn garbage_after_the_handshake_is_an_outage() {
    admit_against(Misbehaviour::Garbage, 4);
}

#[test]
fn an_address_that_is_not_redis_is_a_configuration_error() {
    let fake = FakeRedis::start(Misbehaviour::NotRedis);
    let error = RedisCoordinator::builder(&fake.url())
        .unwrap()
        .connect_timeout(CONNECT_TIMEOUT)
        .response_timeout(RESPONSE_TIMEOUT)
        .connect()
        .expect_err("an HTTP server is not Redis");
    assert!(
        matches!(error, RedisConfigError::NotRedis { .. }),
        "{error:?}"
    );
    assert!(
        error
            .to_string()
            .contains("does not answer as a Redis server"),
        "{error}"
    );
    // An admission finds it too, and fails instead of degrading.
    let c = coordinator(&fake.url(), FailurePolicy::LocalShare);
    let answer = c.admit(&AdmissionRequest::new(key(), now()));
    assert!(answer.is_err(), "{answer:?}");
    assert!(!c.is_degraded(), "a configuration error is not an outage");
}

#[test]
fn a_wrong_or_missing_password_is_a_configuration_error_without_the_password() {
    let redis = RedisServer::start_with(&["--requirepass", "right-pw-4711"]);
    let port = redis.port();
    for url in [
        format!("redis://:hunter2-secret@127.0.0.1:{port}/"),
        format!("redis://127.0.0.1:{port}/"),
        format!("redis://nobody:hunter2-secret@127.0.0.1:{port}/"),
    ] {
        let error = RedisCoordinator::builder(&url)
            .unwrap()
            .connect_timeout(Duration::from_secs(2))
            .response_timeout(Duration::from_secs(2))
            .connect()
            .expect_err("the credentials are refused");
        assert!(
            matches!(error, RedisConfigError::Authentication { .. }),
            "{url}: {error:?}"
        );
        let shown = format!("{error} {error:?}");
        assert!(!shown.contains("hunter2-secret"), "{shown}");
        assert!(shown.contains("refused the credentials"), "{shown}");

        // Each admission finds it as well: the call fails, nothing degrades silently.
        let c = coordinator(&url, FailurePolicy::LocalShare);
        let streams = vec!["s1".to_owned()];
        let request = AdmissionRequest::new(key(), now()).with_sequence_for(&streams);
        let error = c
            .admit(&request)
            .expect_err(&format!("{url}: not admitted by the local share"));
        assert!(
            error.message().contains("refused the credentials"),
            "{error}"
        );
        assert!(!error.message().contains("hunter2-secret"), "{error}");
        assert!(!c.is_degraded(), "a configuration error is not an outage");
    }
    // The right password connects.
    let c = RedisCoordinator::builder(&redis.url())
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(2))
        .connect()
        .expect("the right password");
    assert!(!c.is_degraded());
}

#[test]
fn an_acl_user_without_the_script_commands_is_a_configuration_error() {
    let redis = RedisServer::start();
    let mut admin = redis.connection();
    redis::cmd("ACL")
        .arg(&[
            "SETUSER",
            "limited",
            "on",
            ">limited-pw",
            "~*",
            "+@all",
            "-@scripting",
        ])
        .query::<()>(&mut admin)
        .unwrap();
    let url = format!("redis://limited:limited-pw@127.0.0.1:{}/", redis.port());
    let error = RedisCoordinator::builder(&url)
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(2))
        .connect()
        .expect_err("no permission for SCRIPT");
    assert!(
        matches!(error, RedisConfigError::Permission { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("limited-pw"), "{error}");
    let c = coordinator(&url, FailurePolicy::LocalShare);
    let streams = vec!["s1".to_owned()];
    let request = AdmissionRequest::new(key(), now()).with_sequence_for(&streams);
    let error = c.admit(&request).expect_err("EVALSHA is denied too");
    assert!(error.message().contains("denies a command"), "{error}");
}
