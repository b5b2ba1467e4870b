//! The CallbackSecret: the key of callback signatures.

use std::fmt;

use zeroize::Zeroizing;

/// The CallbackSecret you set with the callback URL in ZEGO's console. It is **not** the
/// ServerSecret: ZEGO signs callbacks with this one.
///
/// It never appears in `Debug` or `Display` output, and its memory is zeroed on drop.
///
/// ```
/// use zego_callback::CallbackSecret;
/// let secret = CallbackSecret::new("my-callback-secret")?;
/// assert_eq!(format!("{secret:?} {secret}"), "CallbackSecret(<redacted>) <redacted>");
/// assert_eq!(CallbackSecret::new("").unwrap_err().field(), "CallbackSecret");
/// # Ok::<(), zego_callback::CallbackSecretError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackSecret(Zeroizing<String>);

impl CallbackSecret {
    /// Wraps a secret: non-empty printable ASCII without spaces (surrounding whitespace, as
    /// a secret file has, is trimmed).
    pub fn new(secret: impl Into<String>) -> Result<Self, CallbackSecretError> {
        let given = Zeroizing::new(secret.into());
        let secret = Zeroizing::new(given.trim().to_owned());
        if secret.is_empty() {
            return Err(CallbackSecretError::Empty);
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CallbackSecretError::NotPrintableAscii);
        }
        Ok(Self(secret))
    }

    /// The secret itself, for signing. Keep it out of logs.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for CallbackSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CallbackSecret(<redacted>)")
    }
}

impl fmt::Display for CallbackSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why [`CallbackSecret::new`] refused a secret. Never carries the secret itself.
///
/// ```
/// use zego_callback::{CallbackSecret, CallbackSecretError};
/// let error = CallbackSecret::new("two words").unwrap_err();
/// assert_eq!(error, CallbackSecretError::NotPrintableAscii);
/// assert_eq!(error.field(), "CallbackSecret");
/// assert_eq!(error.to_string(), "CallbackSecret is invalid: expected printable ASCII without spaces");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackSecretError {
    /// The secret is empty (or only whitespace).
    #[error("CallbackSecret is empty")]
    Empty,
    /// The secret has a space, a control character or a non-ASCII character inside.
    #[error("CallbackSecret is invalid: expected printable ASCII without spaces")]
    NotPrintableAscii,
}

impl CallbackSecretError {
    /// The name of the refused field: always `CallbackSecret` (the same shape as the core's
    /// validation errors, so a configuration layer can name it).
    pub fn field(&self) -> &'static str {
        "CallbackSecret"
    }
}
