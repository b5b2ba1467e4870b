//! Token04: the login tokens ZEGO's client SDKs present, made by your server from the AppId
//! and the ServerSecret (ZEGO's `zego_server_assistant` generators, in Rust).
//!
//! A token is the text `04` followed by base64 of an AES-256-GCM-sealed JSON document naming
//! the AppId, the user, when it was made and when it expires, and an optional payload: the
//! room privileges of a *privilege token*. The key is the ServerSecret's 32 ASCII bytes.
//! This module makes tokens in the current GCM layout only, and reads both the GCM layout
//! and ZEGO's deprecated CBC layout (to inspect old tokens). Time and randomness are passed
//! in: the GCM nonce (and the document's own `nonce`) come from a cryptographic random
//! source, so a nonce is never reused and never chosen by hand: the OS's
//! ([`TokenRequest::generate_with_os_random`], no RNG crate needed), 16 bytes from any CSPRNG
//! ([`TokenRequest::generate_from_random_bytes`], e.g. `rand` 0.10), or a `rand_core` 0.9
//! `CryptoRng` ([`TokenRequest::generate`], e.g. `rand` 0.9's `rand::rng()`).
//!
//! ```
//! use std::time::Duration;
//! use zego_proto::token::{decode_token, RoomPrivilege, TokenRequest};
//! use zego_proto::Credentials;
//!
//! let credentials = Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?;
//! let now_unix_secs = 1_700_000_000; // your clock, passed in
//!
//! // A basic token: the user may log in with it for an hour.
//! let basic = TokenRequest::new("alice", Duration::from_secs(3600))?
//!     .generate(&credentials, now_unix_secs, &mut rand::rng())?;
//! assert!(basic.starts_with("04"));
//!
//! // A privilege token: log into room-1 and publish only stream-1.
//! let privilege = RoomPrivilege::new("room-1")?.login(true).publish(true).streams(["stream-1"])?;
//! let token = TokenRequest::new("alice", Duration::from_secs(3600))?
//!     .privilege(privilege)
//!     .generate(&credentials, now_unix_secs, &mut rand::rng())?;
//!
//! // Reading it back needs the same ServerSecret.
//! let decoded = decode_token(&token, credentials.secret())?;
//! assert_eq!(decoded.user_id, "alice");
//! assert_eq!(decoded.expire, 1_700_003_600);
//! let room = decoded.privilege.expect("a privilege token");
//! assert_eq!(room.room_id(), "room-1");
//! assert_eq!(room.stream_ids(), Some(&["stream-1".to_owned()][..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
mod layout;
mod privilege;
mod request;

pub use error::TokenError;
pub use layout::{decode_token, DecodedToken, TokenLayout, TOKEN_VERSION_PREFIX};
pub use privilege::RoomPrivilege;
pub use request::{TokenRequest, MAX_VALIDITY, SECRET_LEN, TOKEN_RANDOM_BYTES, USER_ID_MAX_BYTES};
