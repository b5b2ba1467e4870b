//! The ZEGO (ZEGOCLOUD) server API SDK in one crate: forbid and resume streams, ban audio or
//! video, kick users, close rooms — signed, validated before the wire, rate-limited at
//! ZEGO's quotas, retried without reordering — from a blocking or an async client, plus
//! everything around it, each behind a feature:
//!
//! | feature | what | path |
//! |---|---|---|
//! | `blocking` (default) | the blocking client, on ureq | [`blocking::Client`] |
//! | `async` | the async client, on reqwest and tokio | `zego::Client` |
//! | `redis` | one quota and one `Sequence` order for a fleet, through Redis | `zego::redis::RedisCoordinator` |
//! | `redis-tls` | `redis` over TLS: `rediss://`, `rediss+sentinel://`, `rediss+cluster://` (rustls) | |
//! | `axum` | the `ZegoCallback` extractor for ZEGO's callbacks | `zego::axum::ZegoCallback` |
//! | `token` (default) | Token04 login tokens | `zego::token` |
//! | `sim` | the ZEGO server simulator, for your tests | `zego::sim::Simulator` |
//! | `native-roots` | the platform's TLS roots besides Mozilla's, in both clients | |
//! | `serde`, `metrics` | `Serialize` for errors and reports; call metrics | |
//!
//! Always there: the core's root tier ([`Credentials`], [`Config`], [`Operation`],
//! [`CallError`], ...) and its modules ([`ops`] with one type per action, [`bulk`],
//! [`retry`], [`admission`], ...), and [`callback`], verifying and parsing ZEGO's
//! callbacks (sans-IO, for any web framework).
//!
//! The names follow reqwest's: the async client is `zego::Client`, the blocking one
//! [`zego::blocking::Client`](blocking::Client); everything else of a client (its builder,
//! its transports) is next to it.
//!
//! ```
//! use zego::ops::ForbidRtcStreams;
//! use zego::{CallErrorKind, Credentials, Endpoint};
//!
//! // Nothing is sent for an invalid operation: it is refused when built.
//! assert!(ForbidRtcStreams::new(Vec::<String>::new()).is_err());
//! let client = zego::blocking::Client::builder(Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?)
//!     .endpoint(Endpoint::custom("http://127.0.0.1:9")?) // nothing listens there
//!     .build();
//! let error = client.execute(&ForbidRtcStreams::new(["cheater-1"])?).unwrap_err();
//! assert!(matches!(error.kind(), CallErrorKind::Transport(_)), "{error}");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The crates behind it (`zego-proto`, the transports, `zego-redis`, `zego-callback`,
//! `zego-axum`, `zego-sim`) stay usable on their own; this crate only re-exports them.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The core's root tier and modules: credentials, configuration, operations, errors,
/// `Sequence`, and the `ops`, `bulk`, `retry`, `admission`, `driver`, `wire`, `clock`,
/// `env` (and `token`) modules.
pub use zego_proto::*;

/// Verifying and parsing the callbacks ZEGO posts to your server (sans-IO).
pub use zego_callback as callback;

/// The file side of a resumable bulk run: a journal under an exclusive lock, a torn tail
/// cut off before appending, one write per record; bounded reads of regular files. The
/// record format itself is [`bulk::journal`].
pub use zego_journal as journal;

/// The blocking client, on ureq (feature `blocking`, on by default).
#[cfg(feature = "blocking")]
pub mod blocking {
    pub use zego_transport_blocking::{
        transport_fn, BlockingTransport, BoxedTransport, Client, ClientBuilder, FnTransport,
        UreqTransport, UserPages,
    };
}

/// The async client, on reqwest and tokio (feature `async`).
#[cfg(feature = "async")]
pub use zego_transport_async::{Client, ClientBuilder};

/// The async client's transports: implement [`AsyncTransport`](async_transport::AsyncTransport)
/// to send through your own HTTP stack (feature `async`).
#[cfg(feature = "async")]
pub mod async_transport {
    pub use zego_transport_async::{
        async_trait, transport_fn, AsyncTransport, BoxedTransport, FnTransport, ReqwestTransport,
    };
}

/// The fleet's admission coordinator through Redis (feature `redis`).
#[cfg(feature = "redis")]
pub use zego_redis as redis;

/// The axum extractor for ZEGO's callbacks (feature `axum`).
#[cfg(feature = "axum")]
pub mod axum {
    pub use zego_axum::{CallbackConfig, CallbackRejection, ZegoCallback};
}

/// The ZEGO server simulator, for tests (feature `sim`).
#[cfg(feature = "sim")]
pub use zego_sim as sim;

/// Bans that hold (feature `moderation`, a preview): timed user, stream and media bans
/// renewed past ZEGO's 24-hour rules and lifted exactly, on an embedded SQLite store (and,
/// with feature `redis` too, a fleet store in Redis: `RedisStore`); a raid's bans applied in
/// batches. With feature `async` too, `AsyncEngine` on the async client.
/// With the `axum` feature's callbacks, `moderation::Engine::on_stream_event` forbids a banned
/// user's new stream at once and its `Sightings` spare the room listing.
#[cfg(feature = "moderation")]
pub use zego_moderation as moderation;

/// The README's Rust examples, compiled and run as doctests of this crate: they depend on
/// `zego` alone among the SDK's crates.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
