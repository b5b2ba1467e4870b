//! Why a callback was refused, and the HTTP status to answer it with.

/// Why [`CallbackVerifier::verify`](super::CallbackVerifier::verify) refused a callback.
/// No variant carries the signature, the secret or the body.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The body is larger than any callback ZEGO sends.
    #[error("callback body of {actual} bytes is over the {max_bytes}-byte limit")]
    BodyTooLarge {
        /// The limit, [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES).
        max_bytes: usize,
        /// The body's length.
        actual: usize,
    },
    /// The body did not arrive whole: the client stalled past the receiver's read timeout
    /// or went away. (Reading is the receiver's I/O; it reports this with the status.)
    #[error("the callback body was not received in time")]
    BodyNotReceived,
    /// The `Content-Type` is one ZEGO does not send (JSON and form bodies are read).
    #[error("unsupported callback content type {content_type:?}: JSON or a form body expected")]
    UnsupportedContentType {
        /// The media type given (at most 64 characters of it).
        content_type: String,
    },
    /// The body is not a JSON object or a form.
    #[error("malformed callback body: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// A field every callback (or this event) carries is missing.
    #[error("callback field {field} is missing")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A field has the wrong form.
    #[error("callback field {field} is invalid: expected {expected}")]
    InvalidField {
        /// The field's name.
        field: &'static str,
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// The signature is missing or is not the CallbackSecret's signature of the callback.
    #[error("callback signature missing or wrong (is the key the CallbackSecret, not the ServerSecret?)")]
    BadSignature,
    /// The `timestamp` is too far from the receiver's clock.
    #[error("callback timestamp {timestamp} is more than {max_skew_secs} s from the receiver's clock ({now})")]
    Stale {
        /// The callback's timestamp (Unix seconds).
        timestamp: i64,
        /// The receiver's time (Unix seconds).
        now: i64,
        /// The accepted distance, [`MAX_CLOCK_SKEW`](super::MAX_CLOCK_SKEW).
        max_skew_secs: u64,
    },
    /// The same delivery (`nonce`, `timestamp`, signature) was verified before: a retry by
    /// ZEGO, not a new event.
    #[error("repeated delivery of a callback already received")]
    Duplicate,
    /// The replay cache could not say whether the delivery was seen before (its store is
    /// unreachable): the callback is neither processed nor dropped; ZEGO retries it.
    #[error("{reason}")]
    ReplayCacheUnavailable {
        /// The store's error, as text (never a password: see
        /// [`ReplayCacheError::new`](super::ReplayCacheError::new)).
        reason: String,
    },
}

impl CallbackError {
    /// The HTTP status to answer ZEGO with: 401 for a bad signature or a stale timestamp,
    /// 200 for a duplicate (it was received before; any 2xx stops ZEGO's retries), 413 for
    /// a body too large, 408 for a body not received in time, 415 for a content type ZEGO does not send, 503 when the replay
    /// cache is unavailable (ZEGO retries), 400 for anything else.
    ///
    /// ```
    /// use zego_callback::CallbackError;
    /// assert_eq!(CallbackError::BadSignature.http_status(), 401);
    /// assert_eq!(CallbackError::Duplicate.http_status(), 200);
    /// assert_eq!(CallbackError::MissingField { field: "event" }.http_status(), 400);
    /// ```
    pub fn http_status(&self) -> u16 {
        match self {
            Self::BadSignature | Self::Stale { .. } => 401,
            Self::Duplicate => 200,
            Self::BodyTooLarge { .. } => 413,
            Self::BodyNotReceived => 408,
            Self::UnsupportedContentType { .. } => 415,
            Self::ReplayCacheUnavailable { .. } => 503,
            Self::Malformed { .. } | Self::MissingField { .. } | Self::InvalidField { .. } => 400,
        }
    }
}
