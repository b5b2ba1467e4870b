//! The signature ZEGO puts on a callback.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// The signature ZEGO puts on a callback with this `timestamp` and `nonce`, keyed with the
/// CallbackSecret of ZEGO's console (not the ServerSecret).
///
/// ```
/// let sig = zego_callback::callback_signature("secret", "1470820198", "123412");
/// assert_eq!(sig, "5bd59fd62953a8059fb7eaba95720f66d19e4517");
/// ```
pub fn callback_signature(callback_secret: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [callback_secret, timestamp, nonce];
    parts.sort_unstable();
    let mut sha1 = Sha1::new();
    for part in parts {
        sha1.update(part.as_bytes());
    }
    hex::encode(sha1.finalize())
}

/// Whether `signature` is ZEGO's signature of a callback with this `timestamp` and `nonce`,
/// keyed with the CallbackSecret (not the ServerSecret). [`CallbackVerifier`](super::CallbackVerifier)
/// does this and more (the body, the clock, repeated deliveries) in one call.
/// Compares in constant time; upper-case hex is accepted (HTTP frameworks differ).
///
/// ```
/// use zego_callback::verify_callback_signature;
/// assert!(verify_callback_signature("secret", "1470820198", "123412", "5bd59fd62953a8059fb7eaba95720f66d19e4517"));
/// assert!(!verify_callback_signature("other", "1470820198", "123412", "5bd59fd62953a8059fb7eaba95720f66d19e4517"));
/// ```
pub fn verify_callback_signature(
    callback_secret: &str,
    timestamp: &str,
    nonce: &str,
    signature: &str,
) -> bool {
    let expected = callback_signature(callback_secret, timestamp, nonce);
    let received = signature.trim().to_ascii_lowercase();
    bool::from(expected.as_bytes().ct_eq(received.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answer_from_the_spec() {
        let expected = "5bd59fd62953a8059fb7eaba95720f66d19e4517";
        assert_eq!(
            callback_signature("secret", "1470820198", "123412"),
            expected
        );
        assert!(verify_callback_signature(
            "secret",
            "1470820198",
            "123412",
            expected
        ));
        assert!(verify_callback_signature(
            "secret",
            "1470820198",
            "123412",
            &expected.to_uppercase()
        ));
    }

    #[test]
    fn any_changed_input_or_signature_is_refused() {
        let good = callback_signature("secret", "1470820198", "123412");
        assert!(!verify_callback_signature(
            "secret",
            "1470820199",
            "123412",
            &good
        ));
        assert!(!verify_callback_signature(
            "secret",
            "1470820198",
            "123413",
            &good
        ));
        assert!(!verify_callback_signature(
            "secret",
            "1470820198",
            "123412",
            &good[..39]
        ));
        assert!(!verify_callback_signature(
            "secret",
            "1470820198",
            "123412",
            ""
        ));
        let mut flipped = good.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        assert!(!verify_callback_signature(
            "secret",
            "1470820198",
            "123412",
            std::str::from_utf8(&flipped).unwrap()
        ));
    }
}
