//! A blocking client for the ZEGO server API.
//!
//! [`Client`] runs the sans-IO core of [`zego_proto`] — admission (rate limiting and
//! `Sequence` stamping), signing, parsing and retry decisions all happen there — and does
//! only the I/O: it asks the core's coordinator for admission, sends each prepared request
//! through a [`BlockingTransport`] (by default [`UreqTransport`]: ureq, rustls, keep-alive)
//! and sleeps with `std::thread::sleep` when the core says so. Every operation of
//! [`zego_proto::ops`] goes through the one entry point, [`Client::execute`].
//!
//! ```
//! use zego_proto::{ops::ForbidRtcStream, Credentials, Endpoint};
//! use zego_sim::{Env, Simulator};
//! use zego_transport_blocking::Client;
//!
//! // A local simulator of the ZEGO API stands in for the real host here.
//! let sim = Simulator::builder().app(1234567890, "0123456789abcdef0123456789abcdef").start()?;
//! let client = Client::builder(Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?)
//!     .endpoint(Endpoint::custom(&sim.base_url())?) // default: Endpoint::Unified
//!     .build();
//! let answer = client.execute(&ForbidRtcStream::new("cheater-1")?)?;
//! println!("forbidden, RequestId {}", answer.request_id);
//! assert!(sim.forbidden_rtc_streams(1234567890, Env::Production).contains("cheater-1"));
//!
//! // Failures are typed and tell the stage that failed.
//! let err = ForbidRtcStream::new("").unwrap_err();
//! assert_eq!(err.field(), "StreamId"); // refused before sending
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Bring your own transport
//!
//! Anything that turns an [`HttpRequest`](zego_proto::wire::HttpRequest) into an
//! [`HttpResponse`](zego_proto::wire::HttpResponse) can carry the calls: a closure
//! ([`transport_fn`]), a test double, or another HTTP stack. Here a tiny HTTP/1.1 transport over
//! `std::net::TcpStream`:
//!
//! ```
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use zego_proto::{wire::{HttpRequest, HttpResponse}, driver::{TransportError, TransportErrorKind}};
//! use zego_proto::{ops::ForbidRtcStreams, Credentials, Endpoint};
//! use zego_transport_blocking::{transport_fn, Client};
//!
//! fn tiny_http(request: HttpRequest) -> Result<HttpResponse, TransportError> {
//!     let io = |kind| move |e: std::io::Error| TransportError::new(kind, e.to_string());
//!     // The URL is http://HOST:PORT/?query; send its path and query byte for byte.
//!     let rest = request.url().strip_prefix("http://").expect("plain http only");
//!     let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
//!     let mut tcp = TcpStream::connect(host).map_err(io(TransportErrorKind::Connect))?;
//!     write!(tcp, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
//!         .map_err(io(TransportErrorKind::Interrupted))?;
//!     let mut raw = Vec::new();
//!     tcp.read_to_end(&mut raw).map_err(io(TransportErrorKind::Interrupted))?;
//!     let text = String::from_utf8_lossy(&raw);
//!     let status = text.get(9..12).and_then(|s| s.parse().ok())
//!         .ok_or_else(|| TransportError::new(TransportErrorKind::Interrupted, "no status line"))?;
//!     let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or_default();
//!     // (A real transport would decode chunked bodies; the simulator sends Content-Length.)
//!     Ok(HttpResponse::new(status, body))
//! }
//!
//! let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
//! let client = Client::builder(Credentials::new(7u32, "secret")?)
//!     .endpoint(Endpoint::custom(&sim.base_url())?)
//!     .transport(transport_fn(tiny_http))
//!     .build();
//! client.execute(&ForbidRtcStreams::new(["a", "b"])?)?;
//! assert_eq!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Logging
//!
//! With a `tracing` subscriber installed, every call is a `zego_call` span (field
//! `action`) with one debug event per attempt (`attempt`, `http_status` and `code`, or
//! `transport_error`, and `latency_ms`); a bulk run is a `zego_bulk` span. URLs, signatures
//! and secrets are never logged, except the URL with its signature redacted at trace level.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bulk;
mod client;
mod pages;
mod resolver;
mod transport;

pub use client::{Client, ClientBuilder};
pub use pages::UserPages;
pub use transport::{transport_fn, BlockingTransport, BoxedTransport, FnTransport, UreqTransport};

/// The core crate, re-exported for convenience.
pub use zego_proto;
