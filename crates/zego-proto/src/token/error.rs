//! Why a token could not be read (or made).

use crate::error::ValidationError;

/// Why [`decode_token`](super::decode_token) could not read a token. No variant carries the
/// ServerSecret or the token's plaintext bytes.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// The text does not start with `04`, the version of Token04.
    #[error("not a Token04: a token starts with \"04\"")]
    NotToken04,
    /// What follows `04` is not standard base64.
    #[error("not a Token04: the text after \"04\" is not standard base64")]
    NotBase64,
    /// The binary token does not have the layout of either version.
    #[error("malformed Token04: {reason}")]
    Malformed {
        /// What is wrong with the layout.
        reason: &'static str,
    },
    /// Decryption failed: another ServerSecret made it, or it was altered.
    #[error(
        "the token does not open with this ServerSecret (made with another secret, or altered)"
    )]
    CannotOpen,
    /// It opened, but the plaintext is not the JSON document of a Token04.
    #[error("the token opened but its content is not a Token04 document: {reason}")]
    BadDocument {
        /// What is wrong with the document.
        reason: String,
    },
    /// The operating system gave no randomness for a token's nonces
    /// ([`TokenRequest::generate_with_os_random`](super::TokenRequest::generate_with_os_random)).
    #[error("no randomness from the operating system: {reason}")]
    NoRandomness {
        /// The OS error.
        reason: String,
    },
    /// The ServerSecret cannot be a Token04 key.
    #[error(transparent)]
    Secret(#[from] ValidationError),
}
