//! Verifying and parsing a callback in one call.

use std::sync::Arc;
use std::time::Duration;

use super::body::{self, Fields};
use super::error::CallbackError;
use super::events::{self, CallbackEvent, CallbackHeader};
use super::replay::{Delivery, MemoryReplayCache, ReplayCache, ReplayCacheError};
use super::secret::CallbackSecret;
use super::signature::verify_callback_signature;

/// How far a callback's `timestamp` may be from the receiver's clock: 10 minutes (spec §6).
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(600);

/// The largest body read: 64 KiB. ZEGO's callbacks are a few hundred bytes (a stream's
/// URL lists are the longest part); anything far larger is not one.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Verifies and parses ZEGO's callbacks, keyed with the **CallbackSecret** (not the
/// ServerSecret). Share one per receiver: its [`ReplayCache`] spots ZEGO's retries.
///
/// ```
/// use std::sync::Arc;
/// use zego_callback::{CallbackSecret, CallbackVerifier, MemoryReplayCache};
/// let verifier = CallbackVerifier::new(CallbackSecret::new("my-callback-secret")?)
///     .replay_cache(Arc::new(MemoryReplayCache::new(10_000)));
/// assert!(!format!("{verifier:?}").contains("my-callback-secret"));
/// # Ok::<(), zego_callback::CallbackSecretError>(())
/// ```
#[derive(Debug)]
pub struct CallbackVerifier {
    secret: CallbackSecret,
    replay: Option<Arc<dyn ReplayCache>>,
}

impl CallbackVerifier {
    /// A verifier with an in-process [`MemoryReplayCache`] of
    /// [`MemoryReplayCache::DEFAULT_CAPACITY`] deliveries.
    pub fn new(secret: CallbackSecret) -> Self {
        Self {
            secret,
            replay: Some(Arc::new(MemoryReplayCache::default())),
        }
    }

    /// Replaces the replay cache: e.g. one shared by every instance of a fleet.
    #[must_use]
    pub fn replay_cache(mut self, cache: Arc<dyn ReplayCache>) -> Self {
        self.replay = Some(cache);
        self
    }

    /// Turns duplicate detection off: every delivery, ZEGO's retries included, is returned
    /// as an event.
    #[must_use]
    pub fn without_replay_cache(mut self) -> Self {
        self.replay = None;
        self
    }

    /// Forgets a delivery, so that ZEGO's retry of it is verified again: call it when
    /// handling the event failed and you answer ZEGO with an error.
    pub fn forget(&self, header: &CallbackHeader) -> Result<(), ReplayCacheError> {
        match &self.replay {
            Some(cache) => cache.forget(&Delivery::new(&header.nonce, header.timestamp)),
            None => Ok(()),
        }
    }

    /// Verifies a callback and returns its typed event.
    ///
    /// `body` is the raw request body, `content_type` its `Content-Type` header (JSON and
    /// form bodies are read; without one the body decides), `now_unix_secs` the receiver's
    /// clock. In order, it refuses: a body that is too large or not a JSON object or form
    /// (400/413/415), a missing or wrong `signature` (401), a missing `timestamp` or `nonce`
    /// (400), a `timestamp` more than [`MAX_CLOCK_SKEW`] from `now_unix_secs` (401), a
    /// `stream_create`/`stream_close` without `stream_id` (400), and a delivery already
    /// verified ([`CallbackError::Duplicate`], answer 200). When the replay cache cannot
    /// answer, it refuses with [`CallbackError::ReplayCacheUnavailable`] (answer 503: ZEGO
    /// retries later).
    ///
    /// ```
    /// use zego_callback::{callback_signature, CallbackError, CallbackEvent, CallbackSecret, CallbackVerifier, CloseReason};
    ///
    /// let verifier = CallbackVerifier::new(CallbackSecret::new("cb-secret")?);
    /// let sig = callback_signature("cb-secret", "1700000000", "42");
    /// let form = format!("event=stream_close&appid=1&timestamp=1700000000&nonce=42&signature={sig}&stream_id=s1&type=3");
    ///
    /// // 11 minutes later: stale.
    /// let late = verifier.verify(form.as_bytes(), Some("application/x-www-form-urlencoded"), 1_700_000_660);
    /// assert!(matches!(late, Err(CallbackError::Stale { .. })));
    ///
    /// let event = verifier.verify(form.as_bytes(), Some("application/x-www-form-urlencoded"), 1_700_000_005)?;
    /// let CallbackEvent::StreamClose(closed) = event else { panic!() };
    /// assert_eq!(closed.reason, CloseReason::KickedOut);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn verify(
        &self,
        body: &[u8],
        content_type: Option<&str>,
        now_unix_secs: u64,
    ) -> Result<CallbackEvent, CallbackError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(CallbackError::BodyTooLarge {
                max_bytes: MAX_BODY_BYTES,
                actual: body.len(),
            });
        }
        let fields = body::parse(body, content_type)?;
        let signature = first(&fields, "signature").ok_or(CallbackError::BadSignature)?;
        let timestamp_text = required(&fields, "timestamp")?;
        let nonce = required(&fields, "nonce")?;
        if !verify_callback_signature(
            self.secret.expose_secret(),
            timestamp_text,
            nonce,
            signature,
        ) {
            return Err(CallbackError::BadSignature);
        }
        let timestamp: i64 =
            timestamp_text
                .trim()
                .parse()
                .map_err(|_| CallbackError::InvalidField {
                    field: "timestamp",
                    expected: "Unix seconds in decimal",
                })?;
        let now = i64::try_from(now_unix_secs).unwrap_or(i64::MAX);
        let max_skew_secs = MAX_CLOCK_SKEW.as_secs();
        if timestamp.abs_diff(now) > max_skew_secs {
            return Err(CallbackError::Stale {
                timestamp,
                now,
                max_skew_secs,
            });
        }
        let header = CallbackHeader {
            event: required(&fields, "event")?.to_owned(),
            appid: first(&fields, "appid").unwrap_or_default().to_owned(),
            timestamp,
            nonce: nonce.to_owned(),
        };
        let event = events::event(header, fields)?;
        if let Some(cache) = &self.replay {
            let delivery = Delivery::new(&event.header().nonce, timestamp);
            let first = cache.first_delivery(&delivery, now).map_err(|e| {
                CallbackError::ReplayCacheUnavailable {
                    reason: e.to_string(),
                }
            })?;
            if !first {
                return Err(CallbackError::Duplicate);
            }
        }
        Ok(event)
    }
}

fn first<'f>(fields: &'f Fields, name: &str) -> Option<&'f str> {
    fields.get(name)?.first().map(String::as_str)
}

fn required<'f>(fields: &'f Fields, name: &'static str) -> Result<&'f str, CallbackError> {
    first(fields, name)
        .filter(|v| !v.is_empty())
        .ok_or(CallbackError::MissingField { field: name })
}
