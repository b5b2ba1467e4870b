//! The CallbackSecret: the key of callback signatures.

use std::fmt;

use zeroize::Zeroizing;

use crate::error::{Problem, ValidationError};

/// The CallbackSecret you set with the callback URL in ZEGO's console. It is **not** the
/// ServerSecret: ZEGO signs callbacks with this one.
///
/// It never appears in `Debug` or `Display` output, and its memory is zeroed on drop.
///
/// ```
/// use zego_proto::callback::CallbackSecret;
/// let secret = CallbackSecret::new("my-callback-secret")?;
/// assert_eq!(format!("{secret:?} {secret}"), "CallbackSecret(<redacted>) <redacted>");
/// assert_eq!(CallbackSecret::new("").unwrap_err().field(), "CallbackSecret");
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackSecret(Zeroizing<String>);

impl CallbackSecret {
    /// Wraps a secret: non-empty printable ASCII without spaces (surrounding whitespace, as
    /// a secret file has, is trimmed).
    pub fn new(secret: impl Into<String>) -> Result<Self, ValidationError> {
        let given = Zeroizing::new(secret.into());
        let secret = Zeroizing::new(given.trim().to_owned());
        if secret.is_empty() {
            return Err(ValidationError::new("CallbackSecret", Problem::Empty));
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "CallbackSecret",
                Problem::Invalid {
                    expected: "printable ASCII without spaces",
                },
            ));
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
