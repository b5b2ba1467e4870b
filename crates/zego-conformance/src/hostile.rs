//! A scripted, hostile HTTP server on loopback: it answers each request with the next
//! entry of its script — any status, headers and body, or no answer at all — so the
//! scenarios can play the servers and proxies that misbehave in ways the simulator does
//! not (a hung first attempt, `Retry-After`, a page that is not an envelope).
//!
//! Plain `std::net`, one thread per connection, `Connection: close` on every answer so
//! each attempt arrives on a connection of its own.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

/// What the server does with one request.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Reply {
    /// Answers with this status, these headers and this body (`Content-Length` and
    /// `Connection: close` are added).
    Answer {
        /// The status code.
        status: u16,
        /// Extra headers, as sent.
        headers: Vec<(String, String)>,
        /// The body.
        body: String,
    },
    /// Answers with this status and an HTML page that echoes the request target (the
    /// signed query included), as some proxies' error pages do.
    EchoTarget {
        /// The status code.
        status: u16,
    },
    /// Answers with this status and `template`, every `{target}` in it replaced by the
    /// request target: a server that echoes the signed URL into `Message`, `RequestId` or
    /// `Data` of an envelope.
    EchoInto {
        /// The status code.
        status: u16,
        /// The body, with `{target}` placeholders.
        template: String,
    },
    /// Reads the request and never answers, holding the connection open until the
    /// server is dropped (or a minute has passed).
    Hang,
}

impl Reply {
    /// A `200` answer with this body and no extra headers.
    pub fn ok(body: impl Into<String>) -> Self {
        Self::status(200, body)
    }

    /// An answer with this status and body, and no extra headers.
    pub fn status(status: u16, body: impl Into<String>) -> Self {
        Self::Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header to an [`Reply::Answer`] (no effect on [`Reply::Hang`]).
    #[must_use]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        if let Self::Answer { headers, .. } = &mut self {
            headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }
}

/// A ZEGO envelope of success.
pub const SUCCESS: &str = r#"{"Code":0,"Message":"success","RequestId":"4242","Data":null}"#;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    /// When its head had been read.
    pub at: Instant,
    /// The request target (`/?Action=...`), as sent.
    pub target: String,
}

/// The running server; it stops (and releases hung connections) when dropped.
#[derive(Debug)]
pub struct HostileServer {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl HostileServer {
    /// Starts a server on 127.0.0.1 (an ephemeral port) playing `script`: the n-th
    /// request gets `script[n]`, and every request after the script's end its last entry.
    ///
    /// # Panics
    ///
    /// If no loopback port can be bound, or `script` is empty.
    pub fn start(script: Vec<Reply>) -> Self {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("a bound address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let script = Arc::new(script);
        {
            let (received, stop) = (Arc::clone(&received), Arc::clone(&stop));
            thread::spawn(move || {
                for tcp in listener.incoming().flatten() {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let (received, stop, script) = (
                        Arc::clone(&received),
                        Arc::clone(&stop),
                        Arc::clone(&script),
                    );
                    thread::spawn(move || drop(serve(tcp, &script, &received, &stop)));
                }
            });
        }
        Self {
            port,
            received,
            stop,
        }
    }

    /// The base URL, `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The requests received so far, in order.
    pub fn received(&self) -> Vec<Received> {
        self.received
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the accept loop so it sees the flag.
        drop(TcpStream::connect(("127.0.0.1", self.port)));
    }
}

fn serve(
    mut tcp: TcpStream,
    script: &[Reply],
    received: &Mutex<Vec<Received>>,
    stop: &AtomicBool,
) -> io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tcp.read(&mut buf)?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buf[..n]);
    }
    let target = String::from_utf8_lossy(&head)
        .split_whitespace()
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    let reply = {
        let mut received = received.lock().unwrap_or_else(PoisonError::into_inner);
        received.push(Received {
            at: Instant::now(),
            target: target.clone(),
        });
        let reply = script[(received.len() - 1).min(script.len() - 1)].clone();
        match reply {
            Reply::EchoTarget { status } => Reply::status(
                status,
                format!("<html><body>No route for {target}</body></html>"),
            ),
            Reply::EchoInto { status, template } => {
                Reply::status(status, template.replace("{target}", &target))
            }
            other => other,
        }
    };
    match reply {
        Reply::Hang | Reply::EchoTarget { .. } | Reply::EchoInto { .. } => {
            let until = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::Acquire) && Instant::now() < until {
                thread::sleep(Duration::from_millis(20));
            }
            Ok(())
        }
        Reply::Answer {
            status,
            headers,
            body,
        } => {
            let mut out = Vec::new();
            write!(out, "HTTP/1.1 {status} Scripted\r\n")?;
            for (name, value) in headers {
                write!(out, "{name}: {value}\r\n")?;
            }
            write!(
                out,
                "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )?;
            tcp.write_all(&out)?;
            tcp.flush()
        }
    }
}
