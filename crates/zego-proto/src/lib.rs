//! The sans-IO core of the ZEGO server API SDK.
//!
//! This crate knows everything about speaking to ZEGO's server API — credentials,
//! SignatureVersion 2.0 signing, one type per action, validation against every
//! documented limit, the exact URL encoding, the response envelope, typed return codes,
//! `Sequence` numbers, and the retry and rate-limit policies — and does no I/O at all:
//! no sockets, no sleeping, no clock reads. Time and randomness are passed in. The
//! transports (`zego-transport-blocking`, `zego-transport-async`) only send the requests
//! this crate prepares and sleep when its policies say so.
//!
//! # A complete round trip, without a network
//!
//! ```
//! use zego_proto::ops::{DescribeForbidStreamRules, ForbidRtcStreams};
//! use zego_proto::wire::{parse_response, prepare, HttpResponse};
//! use zego_proto::{Config, Credentials, Endpoint, Sequence};
//!
//! let credentials = Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?;
//! let config = Config::new(Endpoint::custom("http://127.0.0.1:8080")?);
//! let now_secs: u64 = 1_700_000_000; // your clock, passed in
//!
//! // 1. Build an operation: invalid input is refused here, naming the field and the limit.
//! //    A client stamps the Sequence itself; standalone, give one explicitly.
//! let op = ForbidRtcStreams::new(["cheater-1", "cheater-2"])?
//!     .with_sequence(Sequence::new(now_secs * 1000));
//!
//! // 2. Prepare the signed request; a transport sends exactly `request.url()`.
//! let request = prepare(&op, &config, &credentials, now_secs, &mut rand::rng())?;
//! assert!(request.url().starts_with(
//!     "http://127.0.0.1:8080/?Action=ForbidRTCStreams&StreamId%5B%5D=cheater-1&StreamId%5B%5D=cheater-2&Sequence="
//! ));
//!
//! // 3. Parse the answer into the operation's typed output.
//! let answer = HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"1929203990360298509","Data":null}"#);
//! let response = parse_response(&op, &answer)?;
//! assert_eq!(response.request_id, "1929203990360298509");
//!
//! // Typed Data for the operations that return some.
//! let describe = DescribeForbidStreamRules::new("room1", ["cheater-1"])?;
//! let answer = HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"1","Data":{"RoomId":"room1",
//!     "ForbidStreamRuleList":[{"StreamId":"cheater-1","DisableAudio":1,"DisableVideo":0,"CreateTime":1700000000,"EffectiveTime":3600}]}}"#);
//! let rules = parse_response(&describe, &answer)?.data;
//! assert!(rules.rules[0].disable_audio);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The map of this crate
//!
//! The root holds what application code needs (at most 30 names, each item at one path
//! only): credentials and configuration, the operation trait and [`Sequence`], responses
//! and the one error tree ([`CallError`], classified by [`ErrorClass`]), [`CallOptions`] and
//! [`CancelToken`]. Everything else lives in a module named for its audience:
//!
//! | module | for | what |
//! |---|---|---|
//! | [`ops`] | everyone | one type per ZEGO action, plus `RawOperation`; what an operation declares ([`ops::RateLimitGroup`], [`ops::Sequencing`]) |
//! | [`admission`] | fleets, coordinator authors | [`admission::Coordinator`] (rate-limit slots and `Sequence` stamping), the in-process [`admission::LocalCoordinator`] |
//! | [`driver`] | transport authors, sans-IO embedders | [`driver::ClientCore`], the call state machine ([`driver::Call`], [`driver::Step`]), [`driver::BuildClient`], transport errors and options |
//! | [`wire`] | transport authors, sans-IO embedders, tests | the request and answer a transport exchanges ([`wire::HttpRequest`], [`wire::HttpResponse`]), signing, `prepare`, `parse_response`, query encoding |
//! | [`retry`] | tuning | [`retry::RetryPolicy`], why a call stopped ([`retry::StopReason`]), the policy's state machine and budget |
//! | [`bulk`] | bulk runs | [`bulk::BulkOptions`], [`bulk::BulkReport`] and [`bulk::BulkFailure`], [`bulk::BulkAction`]; batching and report assembly for driver authors |
//! | [`clock`] | tests | time, passed in: [`clock::Clock`], [`clock::ManualClock`] |
//! | `token` (feature `token`, on by default) | servers that let users log in | Token04 login tokens: making and inspecting them |
//!
//! # Metrics (feature `metrics`)
//!
//! Every call records these through the [`metrics`](https://docs.rs/metrics) facade, so any
//! exporter (Prometheus, StatsD, ...) sees them: enable the feature and install a recorder.
//! Without the feature nothing is recorded and nothing is linked.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `zego_requests_total` | counter | `action` | requests sent (every attempt) |
//! | `zego_request_duration_seconds` | histogram | `action` | one request's round trip |
//! | `zego_retries_total` | counter | `action`, `reason` | retries decided, by the failure's class (`rate_limited`, `transient`, `clock`) |
//! | `zego_admission_wait_seconds` | histogram | `action` | the wait for a rate-limit slot before a request |
//! | `zego_calls_total` | counter | `action`, `outcome` | finished calls: `success`, or the error's class (`rate_limited`, `transient`, `clock`, `auth_or_config`, `bad_request`, `not_found`, `other`) |
//! | `zego_call_attempts` | histogram | `action` | requests per finished call |
//!
//! Labels are bounded: the action name, a class, nothing else. Stream IDs, room and user
//! IDs, AppIds and secrets are never labels (unbounded cardinality, and privacy).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod admission;
pub mod bulk;
mod call;
mod call_error;
mod client_builder;
pub mod clock;
mod codes;
mod config;
mod credentials;
mod encode;
mod error;
pub mod ids;
mod lenient;
mod metrics;
mod operation;
pub mod ops;
mod rate_limit;
mod request;
mod response;
pub mod retry;
mod scrub;
mod sequence;
mod server_time;
mod signature;
#[cfg(feature = "token")]
pub mod token;
mod transport_error;
mod transport_options;

// The root tier: what application code names. At most 30 names (modules included) and
// every item has exactly one public path; everything else lives in the module for its
// audience below. Add a name here only for application code, and count.
pub use call::{CallOptions, CancelToken};
pub use call_error::{CallError, CallErrorKind};
pub use codes::{ErrorClass, ReturnCode};
pub use config::{Config, Endpoint, Environment, Region};
pub use credentials::{AppId, Credentials, ServerSecret};
pub use error::{ConfigError, Problem, ValidationError};
pub use operation::Operation;
pub use response::{ApiError, ApiResponse};
pub use sequence::Sequence;

/// The seam between the sans-IO core and the drivers (transports) that do its I/O: the
/// call state machine, the builder every client shares, and the types a transport
/// exchanges with the core.
///
/// Every driver runs exactly this loop, which is why the transports cannot behave
/// differently (admission, signing, parsing, retries and backoff are all decided by
/// [`Call`](crate::driver::Call)):
///
/// ```text
/// let coordinator = core.coordinator();
/// let mut call = core.call(&op);
/// let mut step = call.step(core.now(), rng);
/// loop {
///     step = match step {
///         Step::Admit(request) => { let answer = coordinator.admit(&request); call.on_admission(answer, core.now(), rng) }
///         Step::Sleep(d) => { sleep(d); call.step(core.now(), rng) }
///         Step::Send(request) => { let answer = transport.send(request); call.on_response(answer, core.now(), rng) }
///         Step::Feedback(feedback) => { coordinator.feedback(&feedback); call.step(core.now(), rng) }
///         Step::Done(result) => return result,
///     }
/// }
/// ```
///
/// The requests and answers a transport exchanges are [`wire::HttpRequest`]
/// and [`wire::HttpResponse`].
pub mod driver {
    pub use crate::call::{AttemptOutcome, Call, ClientCore, Finished, Step};
    pub use crate::call_error::DriverError;
    pub use crate::client_builder::{BuildClient, ClientBuilder};
    pub use crate::transport_error::{TransportError, TransportErrorKind};
    pub use crate::transport_options::{TransportOptions, DEFAULT_USER_AGENT};
}

/// The wire format: signing, preparing requests, parsing answers, query encoding.
pub mod wire {
    pub use crate::codes::UnknownCode;
    pub use crate::encode::{decode_query, ParamWriter, MAX_STREAM_ID_BYTES};
    pub use crate::request::{
        prepare, prepare_stamped, prepare_with_nonce, test_stream_prefix, HttpRequest,
        HttpResponse, Method,
    };
    pub use crate::response::{parse_response, DataError, ResponseError, BODY_SNIPPET_BYTES};
    pub use crate::signature::{sign, Nonce, Signature, SIGNATURE_VERSION};
}

pub mod env;
