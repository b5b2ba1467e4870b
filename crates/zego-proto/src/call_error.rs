//! The error of one operation's whole call, split by the stage that failed.

use std::fmt;

use crate::admission::{AdmissionError, NotAdmittedInTime};
use crate::codes::{ErrorClass, ReturnCode};
use crate::error::ValidationError;
use crate::response::{ApiError, ResponseError};
use crate::retry::{AttemptFailure, StopReason};
use crate::transport_error::{TransportError, TransportErrorKind};

/// The stage at which a call failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallErrorKind {
    /// The request was refused before sending.
    Validation(ValidationError),
    /// The coordinator could not admit the request: nothing was sent.
    Admission(AdmissionError),
    /// No rate-limit slot within the call's deadline or `max_wait`: the call failed at
    /// once instead of waiting; nothing was sent.
    NotAdmittedInTime(NotAdmittedInTime),
    /// No HTTP answer (connect, timeout, broken connection, oversized body).
    Transport(TransportError),
    /// An HTTP answer that is not a success: a ZEGO error code, a body that is not a ZEGO
    /// envelope, or a `Data` of the wrong shape.
    Response(ResponseError),
    /// The driver running the call broke the state machine's protocol (a bug in the
    /// transport crate or a custom driver, not a network problem).
    Driver(DriverError),
    /// The call's [`CancelToken`](crate::CancelToken) was cancelled before its next request
    /// was sent.
    Cancelled,
}

impl CallErrorKind {
    /// The failure as the retry policy sees it: the one classification behind both the
    /// policy's decisions and [`CallError::class`].
    pub fn attempt_failure(&self) -> AttemptFailure {
        match self {
            Self::Validation(_) => AttemptFailure::Answer(ErrorClass::BadRequest),
            Self::Admission(_) => AttemptFailure::Admission,
            // The quota has no slot in time: a rate limit, met before sending.
            Self::NotAdmittedInTime(_) => AttemptFailure::Answer(ErrorClass::RateLimited),
            Self::Transport(e) => match e.kind() {
                TransportErrorKind::Connect => AttemptFailure::Connect,
                TransportErrorKind::Timeout => AttemptFailure::Timeout,
                TransportErrorKind::Interrupted => AttemptFailure::Interrupted,
                // A refused certificate, an oversized body, a request the HTTP stack
                // refused, anything else: sending it again would fail the same way.
                _ => AttemptFailure::Answer(ErrorClass::Other),
            },
            Self::Response(e) => AttemptFailure::Answer(e.class()),
            Self::Driver(_) | Self::Cancelled => AttemptFailure::Answer(ErrorClass::Other),
        }
    }

    /// A short stable name of the stage, for logs and JSON.
    pub fn stage(&self) -> &'static str {
        match self {
            Self::Validation(_) => "validation",
            Self::Admission(_) | Self::NotAdmittedInTime(_) => "admission",
            Self::Transport(_) => "transport",
            Self::Response(ResponseError::Api(_)) => "api",
            Self::Response(ResponseError::NotAnEnvelope { .. }) => "http",
            Self::Response(_) => "data",
            Self::Driver(_) => "driver",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A driver broke the call state machine's protocol, e.g. called `step` while a request
/// was out.
///
/// ```
/// let err = zego_proto::driver::DriverError::new("step() called after the call was done");
/// assert_eq!(err.to_string(), "driver error: step() called after the call was done");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriverError {
    message: &'static str,
}

impl DriverError {
    /// An error described by `message`.
    pub const fn new(message: &'static str) -> Self {
        Self { message }
    }

    /// The description.
    pub fn message(&self) -> &'static str {
        self.message
    }
}

impl fmt::Display for DriverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "driver error: {}", self.message)
    }
}

impl std::error::Error for DriverError {}

/// An operation that did not succeed, after every attempt the retry policy allowed.
///
/// ```
/// use zego_proto::{CallError, ErrorClass, Problem, ValidationError};
/// let err = CallError::validation("ForbidRTCStreams", ValidationError::new("StreamId[]", Problem::Empty));
/// assert_eq!(err.attempts(), 0);
/// assert_eq!(err.class(), ErrorClass::BadRequest);
/// assert_eq!(err.to_string(), "ForbidRTCStreams: refused before sending: StreamId[]: must not be empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    action: String,
    kind: CallErrorKind,
    attempts: u32,
    stop: Option<StopReason>,
}

impl CallError {
    /// A validation failure: nothing was sent.
    pub fn validation(action: impl Into<String>, error: ValidationError) -> Self {
        Self {
            action: action.into(),
            kind: CallErrorKind::Validation(error),
            attempts: 0,
            stop: None,
        }
    }

    pub(crate) fn new(action: &str, kind: CallErrorKind, attempts: u32, stop: StopReason) -> Self {
        Self {
            action: action.to_owned(),
            kind,
            attempts,
            stop: Some(stop),
        }
    }

    /// The action that failed (empty for a [`ValidationError`] converted with `?`, which
    /// does not know its action).
    pub fn action(&self) -> &str {
        &self.action
    }

    /// What failed.
    pub fn kind(&self) -> &CallErrorKind {
        &self.kind
    }

    /// Requests sent (0 when refused before sending).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Why retrying stopped, if the call got that far.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop
    }

    /// The API error, if ZEGO answered with a non-zero code.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.kind {
            CallErrorKind::Response(ResponseError::Api(api)) => Some(api),
            _ => None,
        }
    }

    /// The return code, if ZEGO answered with one.
    pub fn code(&self) -> Option<ReturnCode> {
        self.api_error().map(|e| e.code)
    }

    /// The server's `RequestId`, if an answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match &self.kind {
            CallErrorKind::Response(ResponseError::Api(api)) => Some(api.request_id.as_str()),
            CallErrorKind::Response(ResponseError::Data { request_id, .. }) => {
                Some(request_id.as_str())
            }
            _ => None,
        }
        .filter(|id| !id.is_empty())
    }

    /// How to handle the failure. The same classification the retry policy decides
    /// from: [`ErrorClass::is_retryable`] is true exactly for the failures the default
    /// [`RetryPolicy`](crate::retry::RetryPolicy) retries (rate limits, transient codes, 5xx
    /// pages, connections that failed, timeouts, coordinator errors, clock errors), and
    /// false for oversized bodies, driver bugs and every permanent code.
    pub fn class(&self) -> ErrorClass {
        self.kind.attempt_failure().class()
    }
}

impl From<ValidationError> for CallError {
    /// A validation failure of an unnamed action (for `?` on an operation's constructor).
    fn from(error: ValidationError) -> Self {
        Self::validation(String::new(), error)
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.action.is_empty() {
            write!(f, "{}: ", self.action)?;
        }
        match &self.kind {
            CallErrorKind::Validation(e) => return write!(f, "refused before sending: {e}"),
            CallErrorKind::Admission(e) => write!(f, "{e}")?,
            CallErrorKind::NotAdmittedInTime(e) => write!(f, "{e}")?,
            CallErrorKind::Transport(e) => write!(f, "transport error: {e}")?,
            CallErrorKind::Response(e) => write!(f, "{e}")?,
            CallErrorKind::Driver(e) => write!(f, "{e}")?,
            CallErrorKind::Cancelled => {
                f.write_str("cancelled before the next request was sent")?;
            }
        }
        let plural = if self.attempts == 1 { "" } else { "s" };
        write!(f, " (after {} attempt{plural}", self.attempts)?;
        match self.stop {
            Some(StopReason::NotRetryable) | None => f.write_str(")"),
            Some(reason) => write!(f, "; stopped retrying: {})", reason.as_str()),
        }
    }
}

impl std::error::Error for CallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            CallErrorKind::Validation(e) => Some(e),
            CallErrorKind::Admission(e) => Some(e),
            CallErrorKind::NotAdmittedInTime(e) => Some(e),
            CallErrorKind::Transport(e) => Some(e),
            CallErrorKind::Response(e) => Some(e),
            CallErrorKind::Driver(e) => Some(e),
            CallErrorKind::Cancelled => None,
        }
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for CallError {
    /// One flat JSON object: `action`, `stage`, `class`, `retryable`, `attempts`,
    /// `stop_reason`, `message` (the `Display` text), and what the stage adds: `code`,
    /// `meaning`, `server_message`, `request_id`, `http_status` (API and HTTP answers),
    /// `field` (validation), `transport_kind` (transport), `earliest_ms`, `limit_ms` and
    /// `quota` (no slot in time).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("action", &self.action)?;
        map.serialize_entry("stage", self.kind.stage())?;
        map.serialize_entry("class", self.class().as_str())?;
        map.serialize_entry("retryable", &self.class().is_retryable())?;
        map.serialize_entry("attempts", &self.attempts)?;
        map.serialize_entry("stop_reason", &self.stop.map(StopReason::as_str))?;
        map.serialize_entry("message", &self.to_string())?;
        match &self.kind {
            CallErrorKind::Validation(e) => map.serialize_entry("field", e.field())?,
            CallErrorKind::Transport(e) => {
                map.serialize_entry("transport_kind", e.kind().as_str())?;
            }
            CallErrorKind::Response(ResponseError::Api(api)) => {
                map.serialize_entry("code", &api.code.code())?;
                map.serialize_entry("meaning", api.code.meaning())?;
                map.serialize_entry("server_message", &api.message)?;
                map.serialize_entry("request_id", &api.request_id)?;
                map.serialize_entry("http_status", &api.http_status)?;
            }
            CallErrorKind::Response(ResponseError::NotAnEnvelope { status, .. }) => {
                map.serialize_entry("http_status", status)?;
            }
            CallErrorKind::Response(ResponseError::Data { request_id, .. }) => {
                map.serialize_entry("request_id", request_id)?;
            }
            CallErrorKind::NotAdmittedInTime(e) => {
                map.serialize_entry("earliest_ms", &e.earliest.as_millis())?;
                map.serialize_entry("limit_ms", &e.limit.as_millis())?;
                map.serialize_entry("quota", e.group.as_str())?;
            }
            _ => {}
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Problem;
    use crate::retry::RetryPolicy;

    fn transport(kind: TransportErrorKind) -> CallErrorKind {
        CallErrorKind::Transport(TransportError::new(kind, "x"))
    }

    #[cfg(feature = "serde")]
    #[test]
    fn errors_serialize_flat_with_their_stage_and_code() {
        let api = crate::response::ApiError {
            code: ReturnCode::from_code(30002),
            message: "too fast".into(),
            request_id: "42".into(),
            http_status: 200,
        };
        let err = CallError::new(
            "ForbidRTCStreams",
            CallErrorKind::Response(ResponseError::Api(api)),
            3,
            StopReason::AttemptsExhausted,
        );
        let json = serde_json::to_value(&err).unwrap();
        assert_eq!(json["stage"], "api");
        assert_eq!(json["class"], "rate_limited");
        assert_eq!(json["retryable"], true);
        assert_eq!(json["code"], 30002);
        assert_eq!(json["request_id"], "42");
        assert_eq!(json["attempts"], 3);
        assert_eq!(json["stop_reason"], "attempts exhausted");
        assert_eq!(json["message"], err.to_string());
    }

    /// The classification and the default retry policy agree on every kind of failure.
    #[test]
    fn class_agrees_with_the_default_policy() {
        let kinds = [
            CallErrorKind::Validation(ValidationError::new("StreamId", Problem::Empty)),
            CallErrorKind::Admission(AdmissionError::new("down")),
            transport(TransportErrorKind::Connect),
            transport(TransportErrorKind::Timeout),
            transport(TransportErrorKind::Interrupted),
            transport(TransportErrorKind::BodyTooLarge { limit: 1 }),
            transport(TransportErrorKind::InvalidRequest),
            transport(TransportErrorKind::Other),
            CallErrorKind::Driver(DriverError::new("misuse")),
        ];
        let policy = RetryPolicy::default();
        let mut rng = rand::rng();
        for kind in kinds {
            let failure = kind.attempt_failure();
            let mut state = policy.begin(std::time::Duration::ZERO, false);
            let retried = matches!(
                state.on_failure(failure, std::time::Duration::ZERO, &mut rng),
                crate::retry::RetryDecision::RetryAfter(_)
            );
            let err = CallError::new("A", kind, 1, StopReason::NotRetryable);
            assert_eq!(err.class().is_retryable(), retried, "{err}");
        }
    }
}
