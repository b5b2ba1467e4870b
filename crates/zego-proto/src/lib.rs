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
//! use zego_proto::{
//!     parse_response, prepare, Config, Credentials, Endpoint, HttpResponse, SequenceGenerator,
//! };
//!
//! let credentials = Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?;
//! let config = Config::new(Endpoint::custom("http://127.0.0.1:8080")?);
//! let sequences = SequenceGenerator::new();
//! let now_ms: u64 = 1_700_000_000_000; // your clock, passed in
//!
//! // 1. Build an operation: invalid input is refused here, naming the field and the limit.
//! let op = ForbidRtcStreams::new(["cheater-1", "cheater-2"], sequences.next(now_ms))?;
//!
//! // 2. Prepare the signed request; a transport sends exactly `request.url()`.
//! let request = prepare(&op, &config, &credentials, now_ms / 1000, &mut rand::rng())?;
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
//! Errors are typed: [`ValidationError`] before sending, [`ResponseError`] after, with
//! [`ReturnCode`] and its [`ErrorClass`] deciding what a driver does next through
//! [`RetryPolicy`] and [`RateLimiter`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bulk;
mod call;
mod call_error;
pub mod callback;
mod clock;
mod codes;
mod config;
mod core_builder;
mod credentials;
mod encode;
mod error;
mod lenient;
mod operation;
pub mod ops;
mod rate_limit;
mod request;
mod response;
mod retry;
mod sequence;
mod signature;
mod transport_error;
mod transport_options;

pub use bulk::{
    BatchCallback, BatchItem, BatchProgress, BulkAction, BulkFailure, BulkOptions, BulkReport,
    RtcStreamBatch, StreamBatches,
};
pub use call::{AttemptOutcome, Call, ClientCore, Step};
pub use call_error::{CallError, CallErrorKind};
pub use clock::{Clock, ManualClock, Now, SystemClock};
pub use codes::{ErrorClass, ReturnCode};
pub use config::{Config, CustomUrl, Endpoint, Environment, Region};
pub use core_builder::ClientCoreBuilder;
pub use credentials::{AppId, Credentials, ServerSecret, APP_ID_ENV, SERVER_SECRET_ENV};
pub use encode::{decode_query, ParamWriter, MAX_STREAM_ID_BYTES};
pub use error::{ConfigError, Problem, ValidationError};
pub use operation::{Operation, RateLimitGroup};
pub use rate_limit::{Quotas, RateLimitKey, RateLimiter, TokenBucketLimiter};
pub use request::{
    prepare, prepare_with_nonce, test_stream_prefix, HttpRequest, HttpResponse, Method,
};
pub use response::{
    parse_response, ApiError, ApiResponse, DataError, ResponseError, BODY_SNIPPET_BYTES,
};
pub use retry::{
    AttemptFailure, RetryBudget, RetryDecision, RetryOn, RetryPolicy, RetryState, StopReason,
};
pub use sequence::{Sequence, SequenceGenerator};
pub use signature::{sign, Nonce, Signature, SIGNATURE_VERSION};
pub use transport_error::{TransportError, TransportErrorKind};
pub use transport_options::{TransportOptions, DEFAULT_USER_AGENT};
