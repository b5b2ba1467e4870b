//! Receiving the callbacks ZEGO (ZEGOCLOUD) sends your server (stream created, stream
//! closed, ...): verified and parsed in one call. Sans-IO: the body, its `Content-Type` and
//! the time are passed in; nothing here reads a socket or a clock. The axum extractor
//! (`zego-axum`) and the `zego` facade (feature `axum`, module `zego::callback`) build on it.
//!
//! **The key is the CallbackSecret** — the secret you set with the callback URL in ZEGO's
//! console — **not the ServerSecret** that signs your API requests. ZEGO signs each callback
//! as `lowercase_hex(sha1(concat(sort([CallbackSecret, timestamp, nonce]))))` and sends
//! `signature`, `timestamp` and `nonce` in the body, next to `event`, `appid` and the event's
//! fields, every value a string. The body is JSON (older ZEGO pages describe a form body:
//! both are read).
//!
//! [`CallbackVerifier::verify`] takes the raw body, its `Content-Type` and your clock's
//! time, and returns the verified, typed [`CallbackEvent`] — or refuses it: a bad or missing
//! signature, a `timestamp` more than 10 minutes from your clock ([`MAX_CLOCK_SKEW`]), and,
//! through its [`ReplayCache`], a repeated delivery. ZEGO retries a callback that was not
//! answered with a 2xx up to 5 times, after 2, 4, 8, 16 and 32 s; answer a duplicate with a
//! 2xx so that it stops ([`CallbackError::http_status`] says which status to send).
//!
//! # The body is not signed
//!
//! ZEGO's signature is `sha1(sort(CallbackSecret, timestamp, nonce))`: it covers the
//! timestamp and the nonce, **not the body**. Whoever sees one delivery (a proxy's log, a
//! leaked request) can post *another* body with the same `timestamp`, `nonce` and
//! `signature` within the 10-minute window, and it verifies. The replay cache makes each
//! signature usable once per cache (per process with the default [`MemoryReplayCache`]; a
//! fleet behind one URL needs a shared [`ReplayCache`]), so a forged body only wins if it
//! arrives *before* the genuine delivery. With a per-process cache, a captured delivery
//! replayed to *another* instance of a fleet verifies there too; `zego_redis::RedisReplayCache`
//! (one `SET key 1 NX PX` per delivery in the fleet's Redis) closes that: a signature is then
//! usable once across every instance, and a Redis that cannot answer is a 503 (ZEGO retries),
//! never an acceptance. What that means for handlers:
//!
//! - **verify destructive decisions against the API** before acting (a `stream_close` that
//!   would end a paid session: ask ZEGO with `DescribeRTCStreamState` whether the stream is
//!   really gone), or
//! - **act only on what a replay cannot make worse**: refresh a cache, schedule a check,
//!   idempotent bookkeeping keyed by the stream.
//!
//! # Field values are used as received (ZEGO's "UrlDecode" note)
//!
//! ZEGO's callback pages say the callback data "needs UrlDecode". Its older page of the same
//! callback says what that is: "the form values in POST/FORM format need to be decoded with
//! urldecode" — percent-decoding is part of the form encoding, and the JSON examples carry
//! plain values (`"stream_attr": "{\"cid\":0}"`, not `%7B...`). So a form body is decoded
//! once (`+` is a space, `%XX` a byte), and a JSON body's strings are taken as they are:
//! decoding them again would corrupt a user name or title with a literal `%` or `+`.
//!
//! ```
//! use zego_callback::{callback_signature, CallbackEvent, CallbackSecret, CallbackVerifier};
//!
//! let verifier = CallbackVerifier::new(CallbackSecret::new("my-callback-secret")?);
//! let now_unix_secs = 1_700_000_000; // your clock, passed in
//!
//! // What ZEGO posts when a stream starts (most fields left out here).
//! let signature = callback_signature("my-callback-secret", "1700000000", "8231");
//! let body = format!(r#"{{"event":"stream_create","appid":"1234567890","timestamp":"1700000000",
//!     "nonce":"8231","signature":"{signature}","room_id":"room-1","user_id":"alice",
//!     "stream_id":"stream-1","rtmp_url":["rtmp://example.com/live/stream-1"]}}"#);
//!
//! match verifier.verify(body.as_bytes(), Some("application/json"), now_unix_secs)? {
//!     CallbackEvent::StreamCreate(created) => {
//!         assert_eq!((created.stream_id.as_str(), created.user_id.as_str()), ("stream-1", "alice"));
//!         assert_eq!(created.rtmp_url, ["rtmp://example.com/live/stream-1"]);
//!     }
//!     other => panic!("unexpected {other:?}"),
//! }
//!
//! // The same delivery again is a retry, not a new event.
//! let again = verifier.verify(body.as_bytes(), Some("application/json"), now_unix_secs);
//! assert_eq!(again.unwrap_err().http_status(), 200);
//!
//! // A forged signature is refused (answer 401).
//! let forged = body.replace(&signature, &"0".repeat(40));
//! assert_eq!(verifier.verify(forged.as_bytes(), None, now_unix_secs).unwrap_err().http_status(), 401);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod body;
mod error;
mod events;
mod replay;
mod secret;
mod signature;
mod verify;

pub use error::CallbackError;
pub use events::{
    CallbackEvent, CallbackHeader, CloseReason, GenericEvent, StreamClose, StreamCreate,
};
pub use replay::{Delivery, MemoryReplayCache, ReplayCache, ReplayCacheError};
pub use secret::{CallbackSecret, CallbackSecretError};
pub use signature::{callback_signature, verify_callback_signature};
pub use verify::{CallbackVerifier, MAX_BODY_BYTES, MAX_CLOCK_SKEW};
