//! The error a transport reports when it got no HTTP answer: the one error type both
//! transports share, so no HTTP library type reaches the public API.

use std::fmt;

/// What kind of transport failure happened. Retrying is decided from this.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// No connection could be made (refused, DNS, unreachable): nothing was sent.
    Connect,
    /// The TLS handshake failed, most often because the server's certificate is not
    /// trusted (a private CA, a TLS-inspecting proxy, a wrong host, an attacker): nothing
    /// was sent. Not retried, since the same roots would refuse it again.
    Tls,
    /// No complete answer within the timeout.
    Timeout,
    /// The connection broke after the request may have been sent.
    Interrupted,
    /// The answer's body is larger than the configured cap.
    BodyTooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The request could not be handed to the HTTP stack (e.g. an unparseable URL).
    InvalidRequest,
    /// Anything else.
    Other,
}

impl TransportErrorKind {
    /// A short stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Tls => "tls",
            Self::Timeout => "timeout",
            Self::Interrupted => "interrupted",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::InvalidRequest => "invalid_request",
            Self::Other => "other",
        }
    }
}

/// A request that got no usable HTTP answer.
///
/// The message must not carry the request URL (it holds the signature); the core also
/// scrubs the signature from it before the error reaches the caller.
///
/// ```
/// use zego_proto::driver::{TransportError, TransportErrorKind};
/// let err = TransportError::new(TransportErrorKind::Timeout, "no answer within 5s");
/// assert_eq!(err.to_string(), "timeout: no answer within 5s");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportError {
    kind: TransportErrorKind,
    message: String,
}

impl TransportError {
    /// An error of `kind` described by `message`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
        }
    }

    /// The kind.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }

    /// The description.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Removes the live signature, and anything shaped like a signature parameter, from
    /// the message.
    #[must_use]
    pub(crate) fn scrub(mut self, live: Option<&str>) -> Self {
        self.message = crate::scrub::scrub_str(self.message, live);
        self
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            TransportErrorKind::BodyTooLarge { limit } => write!(
                f,
                "body_too_large: the answer exceeds the {limit}-byte cap: {}",
                self.message
            ),
            kind => write!(f, "{}: {}", kind.as_str(), self.message),
        }
    }
}

impl std::error::Error for TransportError {}
