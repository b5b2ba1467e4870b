//! [axum] integration of zego-rs: the [`ZegoCallback`] extractor verifies and parses the
//! callbacks ZEGO posts to your server.
//!
//! The extractor reads the body (at most [`MAX_BODY_BYTES`](zego_callback::MAX_BODY_BYTES))
//! and its `Content-Type`, and hands them with the time to the
//! [`CallbackVerifier`](zego_callback::CallbackVerifier) of the [`CallbackConfig`] in your state. The key is the
//! **CallbackSecret** of ZEGO's console, **not the ServerSecret**. A refused callback never
//! reaches your handler: the [`CallbackRejection`] answers 401 for a bad signature or a stale
//! timestamp, 400 for a bad body (413, 415 for a body too large or of a type ZEGO does not
//! send), and 200 for ZEGO's retry of a delivery already received, so ZEGO stops retrying it.
//!
//! ```
//! use axum::{routing::post, Router};
//! use zego_axum::{CallbackConfig, ZegoCallback};
//! use zego_callback::{CallbackEvent, CallbackSecret};
//!
//! async fn on_callback(ZegoCallback(event): ZegoCallback) -> &'static str {
//!     match event {
//!         CallbackEvent::StreamCreate(created) => println!("{} started {}", created.user_id, created.stream_id),
//!         CallbackEvent::StreamClose(closed) => println!("{} stopped: {:?}", closed.stream_id, closed.reason),
//!         _ => {}
//!     }
//!     "ok"
//! }
//!
//! let config = CallbackConfig::new(CallbackSecret::new("my-callback-secret")?);
//! let app: Router = Router::new().route("/zego/callback", post(on_callback)).with_state(config);
//! # Ok::<(), zego_callback::CallbackSecretError>(())
//! ```
//!
//! With a state of your own, implement [`FromRef`](axum::extract::FromRef) for
//! [`CallbackConfig`] (the `blocklist` example does).
//!
//! [axum]: https://docs.rs/axum
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod extract;

pub use config::CallbackConfig;
pub use extract::{CallbackRejection, ZegoCallback};
/// The callback crate, re-exported: the events, the secret, the verifier and its replay cache.
pub use zego_callback;
/// The core crate, re-exported for its clock.
pub use zego_proto;

/// The README's Rust example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
