//! The extractor and its rejection.

use axum::body::to_bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body_util::LengthLimitError;
use zego_callback::{CallbackError, CallbackEvent, MAX_BODY_BYTES};

use crate::config::CallbackConfig;

/// A verified, parsed ZEGO callback. Extracting it reads the body, so it must be the last
/// extractor of a handler; the state must provide a [`CallbackConfig`] (through
/// [`FromRef`]).
///
/// ```
/// use axum::{routing::post, Router};
/// use zego_axum::{CallbackConfig, ZegoCallback};
///
/// async fn handler(ZegoCallback(event): ZegoCallback) -> String {
///     event.header().event.clone()
/// }
/// let config = CallbackConfig::new(zego_callback::CallbackSecret::new("cb-secret")?);
/// let app: Router = Router::new().route("/callback", post(handler)).with_state(config);
/// # Ok::<(), zego_callback::CallbackSecretError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ZegoCallback(pub CallbackEvent);

impl<S> FromRequest<S> for ZegoCallback
where
    S: Send + Sync,
    CallbackConfig: FromRef<S>,
{
    type Rejection = CallbackRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let config = CallbackConfig::from_ref(state);
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        // One byte over the limit is enough to tell "too large" from "at the limit".
        let body = to_bytes(request.into_body(), MAX_BODY_BYTES + 1)
            .await
            .map_err(CallbackRejection::unreadable)?;
        let now = config.now_unix_secs();
        match config
            .verifier()
            .verify(&body, content_type.as_deref(), now)
        {
            Ok(event) => Ok(Self(event)),
            Err(error) => {
                let rejection = CallbackRejection(error);
                if rejection.status().is_success() {
                    tracing::debug!(error = %rejection.0, "ZEGO callback: repeated delivery");
                } else {
                    tracing::warn!(error = %rejection.0, "ZEGO callback refused");
                }
                Err(rejection)
            }
        }
    }
}

/// Why a callback was refused, answered with [`CallbackError::http_status`]: 401 for a bad
/// signature or a stale timestamp, 400 for a bad body (413 too large, 408 not received in
/// time, 415 another content type), 200 for a repeated delivery. The body of the answer is the error's one-line
/// message, which never contains the signature, the secret or the callback's body.
///
/// ```
/// use axum::response::IntoResponse;
/// use zego_axum::CallbackRejection;
/// use zego_callback::CallbackError;
///
/// let response = CallbackRejection::from(CallbackError::BadSignature).into_response();
/// assert_eq!(response.status(), 401);
/// ```
#[derive(Debug)]
pub struct CallbackRejection(pub CallbackError);

impl CallbackRejection {
    /// The body could not be read: larger than any callback (413), or it did not arrive
    /// (a body read timeout, the client went away: 408).
    fn unreadable(error: axum::Error) -> Self {
        let inner = error.into_inner();
        if inner.downcast_ref::<LengthLimitError>().is_some() {
            Self(CallbackError::BodyTooLarge {
                max_bytes: MAX_BODY_BYTES,
                actual: MAX_BODY_BYTES + 1,
            })
        } else {
            Self(CallbackError::BodyNotReceived)
        }
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.0.http_status()).unwrap_or(StatusCode::BAD_REQUEST)
    }
}

impl From<CallbackError> for CallbackRejection {
    fn from(error: CallbackError) -> Self {
        Self(error)
    }
}

impl IntoResponse for CallbackRejection {
    fn into_response(self) -> Response {
        (self.status(), self.0.to_string()).into_response()
    }
}
