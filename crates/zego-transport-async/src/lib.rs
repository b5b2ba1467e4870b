//! An async client for the ZEGO server API (tokio + reqwest).
//!
//! [`Client`] runs the sans-IO core of [`zego_proto`] — admission (rate limiting and
//! `Sequence` stamping), signing, parsing and retry decisions all happen there — and does
//! only the I/O: it asks the core's coordinator for admission (`admit_async`), sends each
//! prepared request through an [`AsyncTransport`] (by default [`ReqwestTransport`]: reqwest,
//! rustls, pooled connections) and sleeps with `tokio::time::sleep` when the core says so.
//! It has the same entry points as `zego_transport_blocking::Client` ([`Client::execute`],
//! `bulk`), as `async fn`s whose futures are `Send`. It needs a tokio runtime with the
//! time driver enabled.
//!
//! ```
//! use zego_proto::{ops::ForbidRtcStream, Credentials, Endpoint};
//! use zego_sim::{Env, Simulator};
//! use zego_transport_async::Client;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A local simulator of the ZEGO API stands in for the real host here.
//! let sim = Simulator::builder().app(1234567890, "0123456789abcdef0123456789abcdef").start()?;
//! let client = Client::builder(Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?)
//!     .endpoint(Endpoint::custom(&sim.base_url())?) // default: Endpoint::Unified
//!     .build();
//! let answer = client.execute(&ForbidRtcStream::new("cheater-1")?).await?;
//! println!("forbidden, RequestId {}", answer.request_id);
//! assert!(sim.forbidden_rtc_streams(1234567890, Env::Production).contains("cheater-1"));
//!
//! // Failures are typed and tell the stage that failed.
//! let err = ForbidRtcStream::new("").unwrap_err();
//! assert_eq!(err.field(), "StreamId"); // refused before sending
//! # Ok(())
//! # }
//! ```
//!
//! # Bring your own transport
//!
//! Anything that turns an [`HttpRequest`] into an [`HttpResponse`] can carry the calls.
//! Here a transport that replays recorded answers and keeps a (redacted) log of what
//! it was asked to send — the core still signs, paces and retries:
//!
//! ```
//! use std::collections::VecDeque;
//! use std::sync::Mutex;
//! use async_trait::async_trait;
//! use zego_proto::{wire::{HttpRequest, HttpResponse}, driver::{TransportError, TransportErrorKind}};
//! use zego_proto::{ops::ForbidRtcStreams, Credentials};
//! use zego_transport_async::{AsyncTransport, Client};
//!
//! struct Replay {
//!     answers: Mutex<VecDeque<HttpResponse>>,
//!     sent: Mutex<Vec<String>>,
//! }
//!
//! #[async_trait]
//! impl AsyncTransport for Replay {
//!     async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
//!         self.sent.lock().unwrap().push(request.redacted_url());
//!         self.answers.lock().unwrap().pop_front()
//!             .ok_or_else(|| TransportError::new(TransportErrorKind::Connect, "no more recorded answers"))
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let replay = std::sync::Arc::new(Replay {
//!     answers: Mutex::new(VecDeque::from([
//!         HttpResponse::new(200, r#"{"Code":30003,"Message":"busy","RequestId":"1"}"#),
//!         HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"2"}"#),
//!     ])),
//!     sent: Mutex::new(Vec::new()),
//! });
//! let client = Client::builder(Credentials::new(1u32, "secret")?)
//!     .transport(std::sync::Arc::clone(&replay)) // an `Arc` of a transport is a transport
//!     .build();
//! // 30003 is transient: the core retries, freshly signed, with the same Sequence.
//! let answer = client.execute(&ForbidRtcStreams::new(["a", "b"])?).await?;
//! assert_eq!(answer.request_id, "2");
//! let sent = replay.sent.lock().unwrap();
//! assert_eq!(sent.len(), 2);
//! assert!(sent[0].contains("Signature=<redacted>"));
//! # Ok(())
//! # }
//! ```
//!
//! # Logging
//!
//! With a `tracing` subscriber installed, every call is a `zego_call` span (field
//! `action`) with one debug event per attempt (`attempt`, `http_status` and `code`, or
//! `transport_error`, and `latency_ms`); a bulk run is a `zego_bulk` span. URLs, signatures
//! and secrets are never logged, except the URL with its signature redacted at trace level.
//!
//! [`HttpRequest`]: zego_proto::wire::HttpRequest
//! [`HttpResponse`]: zego_proto::wire::HttpResponse
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bulk;
mod client;
mod pages;
mod transport;

pub use client::{Client, ClientBuilder};
pub use transport::{transport_fn, AsyncTransport, BoxedTransport, FnTransport, ReqwestTransport};

/// `async_trait`, re-exported to implement [`AsyncTransport`] without a direct dependency.
pub use async_trait::async_trait;
/// The core crate, re-exported for convenience.
pub use zego_proto;
