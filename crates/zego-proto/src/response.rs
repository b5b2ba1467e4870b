//! The response envelope `{"Code", "Message", "RequestId", "Data"}` and its errors.

use std::fmt;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::codes::{ErrorClass, ReturnCode};
use crate::lenient::LenientString;
use crate::operation::Operation;
use crate::request::HttpResponse;

/// Most bytes of an unexpected body kept in an error, so a huge HTML page stays readable.
pub const BODY_SNIPPET_BYTES: usize = 256;

/// A successful answer with its typed `Data`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse<T> {
    /// The typed `Data`.
    pub data: T,
    /// The server's `Message` (usually `ok` or `success`).
    pub message: String,
    /// The server's `RequestId`, verbatim (quote it to ZEGO support).
    pub request_id: String,
}

/// ZEGO answered with a non-zero `Code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The return code.
    pub code: ReturnCode,
    /// The server's `Message`.
    pub message: String,
    /// The server's `RequestId`.
    pub request_id: String,
    /// The HTTP status the envelope came with (normally 200).
    pub http_status: u16,
}

impl ApiError {
    /// How to handle the code.
    pub fn class(&self) -> ErrorClass {
        self.code.class()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ZEGO returned code {}: {}; server message: {:?}; RequestId: {}",
            self.code.code(),
            self.code.meaning(),
            self.message,
            if self.request_id.is_empty() {
                "(none)"
            } else {
                &self.request_id
            }
        )
    }
}

impl std::error::Error for ApiError {}

/// The `Data` of a successful answer did not have the documented shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected Data for {action}: {reason}")]
pub struct DataError {
    action: String,
    reason: String,
}

impl DataError {
    /// An error for `action`.
    pub fn new(action: impl Into<String>, reason: impl fmt::Display) -> Self {
        Self {
            action: action.into(),
            reason: reason.to_string(),
        }
    }
}

/// Why an HTTP answer is not a usable result.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResponseError {
    /// ZEGO answered with a non-zero code.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The body is not a ZEGO envelope (e.g. an HTML error page from a proxy).
    #[error("HTTP {status} with a body that is not a ZEGO response: {snippet:?}")]
    NotAnEnvelope {
        /// The HTTP status.
        status: u16,
        /// The start of the body (at most [`BODY_SNIPPET_BYTES`], lossily decoded).
        snippet: String,
    },
    /// Code 0, but `Data` does not have the documented shape.
    #[error("{source} (RequestId: {request_id})")]
    Data {
        /// What was wrong.
        source: DataError,
        /// The server's `RequestId`.
        request_id: String,
    },
}

impl ResponseError {
    /// How to handle the error: the code's class, `Transient` for a 5xx or 429 page that
    /// is not an envelope, `Other` for any other unusable answer.
    pub fn class(&self) -> ErrorClass {
        match self {
            Self::Api(e) => e.class(),
            Self::NotAnEnvelope { status, .. } if *status >= 500 => ErrorClass::Transient,
            Self::NotAnEnvelope { status: 429, .. } => ErrorClass::RateLimited,
            Self::NotAnEnvelope { .. } | Self::Data { .. } => ErrorClass::Other,
        }
    }
}

/// The envelope, borrowing `Data` so it is parsed once, straight into the typed output.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "Code")]
    code: i64,
    #[serde(rename = "Message", default)]
    message: LenientString,
    #[serde(rename = "RequestId", default)]
    request_id: LenientString,
    #[serde(rename = "Data", borrow, default)]
    data: Option<&'a RawValue>,
}

/// Parses an HTTP answer for `op`.
///
/// The envelope is parsed whatever the HTTP status (the spec's decision); a body that is
/// not an envelope is reported with its status and a bounded snippet.
///
/// ```
/// use zego_proto::wire::{parse_response, HttpResponse, ResponseError};
/// use zego_proto::{ops::ForbidRtcStreams, ReturnCode};
/// let op = ForbidRtcStreams::new(["rtc01"])?;
/// let ok = HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"1929203990360298509","Data":null}"#);
/// assert_eq!(parse_response(&op, &ok)?.request_id, "1929203990360298509");
///
/// let limited = HttpResponse::new(200, r#"{"Code":30002,"Message":"qps limit","RequestId":"7"}"#);
/// match parse_response(&op, &limited) {
///     Err(ResponseError::Api(e)) => assert_eq!(e.code, ReturnCode::RateTooHigh),
///     other => panic!("{other:?}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_response<O>(
    op: &O,
    response: &HttpResponse,
) -> Result<ApiResponse<O::Output>, ResponseError>
where
    O: Operation + ?Sized,
{
    let envelope: Envelope<'_> = serde_json::from_slice(&response.body)
        .map_err(|_| not_an_envelope(response.status, &response.body))?;
    let message = envelope.message.0;
    let request_id = envelope.request_id.0;
    if envelope.code != 0 {
        return Err(ResponseError::Api(ApiError {
            code: ReturnCode::from_code(envelope.code),
            message,
            request_id,
            http_status: response.status,
        }));
    }
    let data = envelope.data.filter(|raw| raw.get() != "null");
    match op.parse_data(data) {
        Ok(data) => Ok(ApiResponse {
            data,
            message,
            request_id,
        }),
        Err(source) => Err(ResponseError::Data { source, request_id }),
    }
}

fn not_an_envelope(status: u16, body: &[u8]) -> ResponseError {
    let mut end = body.len().min(BODY_SNIPPET_BYTES);
    // Cut on a UTF-8 boundary where the body is UTF-8, so no half character is shown.
    while end > 0 && end < body.len() && (body[end] & 0xC0) == 0x80 {
        end -= 1;
    }
    let mut snippet = String::from_utf8_lossy(&body[..end]).into_owned();
    if end < body.len() {
        snippet.push('…');
    }
    ResponseError::NotAnEnvelope { status, snippet }
}

/// Parses `Data` as `T`, treating an absent or `null` `Data` as `T::default()`.
pub(crate) fn data_or_default<T>(action: &str, data: Option<&RawValue>) -> Result<T, DataError>
where
    T: for<'de> Deserialize<'de> + Default,
{
    match data {
        None => Ok(T::default()),
        Some(raw) => serde_json::from_str(raw.get()).map_err(|e| DataError::new(action, e)),
    }
}

/// Parses `Data` as `T`, which must be present.
pub(crate) fn data_required<T>(action: &str, data: Option<&RawValue>) -> Result<T, DataError>
where
    T: for<'de> Deserialize<'de>,
{
    let raw = data.ok_or_else(|| DataError::new(action, "Data is missing"))?;
    serde_json::from_str(raw.get()).map_err(|e| DataError::new(action, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{ForbidRtcStreams, RawOperation};
    use crate::Sequence;

    fn op() -> ForbidRtcStreams {
        ForbidRtcStreams::new(["a"])
            .unwrap()
            .with_sequence(Sequence::new(1))
    }

    #[test]
    fn data_may_be_absent_null_object_or_array() {
        let raw = RawOperation::new("Anything").unwrap();
        for body in [
            r#"{"Code":0,"Message":"ok","RequestId":"1"}"#,
            r#"{"Code":0,"Message":"ok","RequestId":"1","Data":null}"#,
            r#"{"Code":0,"Message":"ok","RequestId":"1","Data":{"a":1}}"#,
            r#"{"Code":0,"Message":"ok","RequestId":"1","Data":[1,2]}"#,
        ] {
            let resp = parse_response(&raw, &HttpResponse::new(200, body)).unwrap();
            assert_eq!(resp.request_id, "1");
        }
    }

    #[test]
    fn codes_beyond_32_bits_and_numeric_request_ids() {
        let body = r#"{"Code":100000005,"Message":"bad sig","RequestId":1234567890123456789}"#;
        let err = parse_response(&op(), &HttpResponse::new(200, body)).unwrap_err();
        let ResponseError::Api(api) = err else {
            panic!("{err:?}")
        };
        assert_eq!(api.code, ReturnCode::InvalidSignature);
        assert_eq!(api.request_id, "1234567890123456789");
        let shown = api.to_string();
        assert!(
            shown.contains("100000005")
                && shown.contains("bad sig")
                && shown.contains("1234567890123456789")
        );

        let body = r#"{"Code":9007199254740993,"Message":"x","RequestId":""}"#;
        let err = parse_response(&op(), &HttpResponse::new(200, body)).unwrap_err();
        assert!(matches!(
            err,
            ResponseError::Api(ApiError {
                code: ReturnCode::Unknown(unknown),
                ..
            }) if unknown.get() == 9_007_199_254_740_993
        ));
    }

    #[test]
    fn envelope_is_parsed_whatever_the_status() {
        let body = r#"{"Code":30002,"Message":"limited","RequestId":"9"}"#;
        let err = parse_response(&op(), &HttpResponse::new(429, body)).unwrap_err();
        assert_eq!(err.class(), ErrorClass::RateLimited);
    }

    #[test]
    fn non_json_bodies_are_bounded_and_classified() {
        let body = format!("<html>{}</html>", "é".repeat(1000));
        let err = parse_response(&op(), &HttpResponse::new(503, body)).unwrap_err();
        let ResponseError::NotAnEnvelope { status, snippet } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*status, 503);
        assert!(snippet.len() <= BODY_SNIPPET_BYTES + '…'.len_utf8());
        assert!(!snippet.contains('\u{FFFD}'), "cut inside a character");
        assert_eq!(err.class(), ErrorClass::Transient);
        let err = parse_response(&op(), &HttpResponse::new(404, "nope")).unwrap_err();
        assert_eq!(err.class(), ErrorClass::Other);
    }
}
