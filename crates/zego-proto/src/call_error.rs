//! The error of one operation's whole call, split by the stage that failed.

use std::fmt;

use crate::codes::{ErrorClass, ReturnCode};
use crate::error::ValidationError;
use crate::response::{ApiError, DataError, ResponseError};
use crate::retry::StopReason;
use crate::transport_error::TransportError;

/// The stage at which a call failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallErrorKind {
    /// The request was refused before sending.
    Validation(ValidationError),
    /// No HTTP answer (connect, timeout, broken connection, oversized body).
    Transport(TransportError),
    /// An HTTP answer that is not a ZEGO envelope.
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        snippet: String,
    },
    /// ZEGO answered with a non-zero code.
    Api(ApiError),
    /// Code 0 with a `Data` of the wrong shape.
    Data {
        /// What was wrong.
        error: DataError,
        /// The server's `RequestId`.
        request_id: String,
    },
}

impl From<ResponseError> for CallErrorKind {
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(api) => Self::Api(api),
            ResponseError::NotAnEnvelope { status, snippet } => Self::Http { status, snippet },
            ResponseError::Data { source, request_id } => Self::Data {
                error: source,
                request_id,
            },
        }
    }
}

/// An operation that did not succeed, after every attempt the retry policy allowed.
///
/// ```
/// use zego_proto::{CallError, CallErrorKind, ErrorClass, Problem, ValidationError};
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

    /// The action that failed.
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

    /// Why retrying stopped, if anything was sent.
    pub fn stop_reason(&self) -> Option<StopReason> {
        self.stop
    }

    /// The API error, if ZEGO answered with a non-zero code.
    pub fn api_error(&self) -> Option<&ApiError> {
        match &self.kind {
            CallErrorKind::Api(api) => Some(api),
            _ => None,
        }
    }

    /// The return code, if ZEGO answered with one.
    pub fn code(&self) -> Option<ReturnCode> {
        self.api_error().map(|e| e.code)
    }

    /// How to handle the failure: validation errors are `BadRequest`, transport failures
    /// and 5xx pages `Transient`, API errors their code's class.
    pub fn class(&self) -> ErrorClass {
        match &self.kind {
            CallErrorKind::Validation(_) => ErrorClass::BadRequest,
            CallErrorKind::Transport(_) => ErrorClass::Transient,
            CallErrorKind::Http { status, .. } if *status >= 500 => ErrorClass::Transient,
            CallErrorKind::Http { status: 429, .. } => ErrorClass::RateLimited,
            CallErrorKind::Api(api) => api.class(),
            CallErrorKind::Http { .. } | CallErrorKind::Data { .. } => ErrorClass::Other,
        }
    }
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: ", self.action)?;
        match &self.kind {
            CallErrorKind::Validation(e) => return write!(f, "refused before sending: {e}"),
            CallErrorKind::Transport(e) => write!(f, "transport error: {e}")?,
            CallErrorKind::Http { status, snippet } => {
                write!(
                    f,
                    "HTTP {status} with a body that is not a ZEGO response: {snippet:?}"
                )?;
            }
            CallErrorKind::Api(e) => write!(f, "{e}")?,
            CallErrorKind::Data { error, request_id } => {
                write!(f, "{error} (RequestId: {request_id})")?;
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
            CallErrorKind::Transport(e) => Some(e),
            CallErrorKind::Api(e) => Some(e),
            CallErrorKind::Data { error, .. } => Some(error),
            CallErrorKind::Http { .. } => None,
        }
    }
}
