//! SignatureVersion 2.0: `lowercase_hex(md5(AppId ‖ SignatureNonce ‖ ServerSecret ‖ Timestamp))`.

use std::fmt;

use md5::{Digest, Md5};
use rand_core::RngCore;
use subtle::ConstantTimeEq;

use crate::credentials::{AppId, ServerSecret};
use crate::error::{Problem, ValidationError};

/// The value of the `SignatureVersion` parameter.
pub const SIGNATURE_VERSION: &str = "2.0";

/// A `SignatureNonce`: 8 random bytes as 16 lowercase hex characters.
///
/// ```
/// use zego_proto::wire::Nonce;
/// let nonce = Nonce::from_bytes([0x4f, 0xd2, 0x46, 0x87, 0x29, 0x6d, 0xd9, 0xf3]);
/// assert_eq!(nonce.as_str(), "4fd24687296dd9f3");
/// assert_eq!("4fd24687296dd9f3".parse::<Nonce>()?, nonce);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nonce([u8; 16]);

impl Nonce {
    /// The nonce for 8 given bytes.
    pub fn from_bytes(bytes: [u8; 8]) -> Self {
        let mut hex = [0u8; 16];
        // Cannot fail: the output is exactly twice the input.
        let _ = hex::encode_to_slice(bytes, &mut hex);
        Self(hex)
    }

    /// A fresh nonce from `rng`, which should be a CSPRNG (e.g. `rand::rng()`).
    pub fn generate<R: RngCore + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 8];
        rng.fill_bytes(&mut bytes);
        Self::from_bytes(bytes)
    }

    /// The 16 hex characters.
    pub fn as_str(&self) -> &str {
        // Only ASCII hex digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::str::FromStr for Nonce {
    type Err = ValidationError;

    /// Parses exactly 16 lowercase hex characters (the only form the SDK sends).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 16 || !bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(ValidationError::new(
                "SignatureNonce",
                Problem::Invalid {
                    expected: "16 lowercase hexadecimal characters",
                },
            ));
        }
        let mut hex = [0u8; 16];
        hex.copy_from_slice(bytes);
        Ok(Self(hex))
    }
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce({})", self.as_str())
    }
}

impl fmt::Display for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request signature: 32 lowercase hex characters.
///
/// A signature authorises requests for ten minutes, so it is treated as a secret:
/// `Debug` and `Display` redact it; [`Signature::expose`] gives the value.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 32]);

impl Signature {
    pub(crate) fn from_hex_bytes(hex: [u8; 32]) -> Self {
        Self(hex)
    }

    /// The 32 hex characters, for the wire.
    pub fn expose(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// Compares with a received signature in constant time (no early exit on the first
    /// differing byte, so a server emulation leaks no timing).
    pub fn matches(&self, received: &str) -> bool {
        // `subtle` returns false at once for a different length, which leaks only the
        // length (public: always 32).
        bool::from(self.0[..].ct_eq(received.as_bytes()))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(<redacted>)")
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Signs one request (SignatureVersion 2.0).
///
/// The digest is fed piecewise, so signing allocates nothing.
///
/// ```
/// use zego_proto::wire::{sign, Nonce};
/// use zego_proto::{AppId, ServerSecret};
/// let signature = sign(
///     AppId::new(12345),
///     &"4fd24687296dd9f3".parse::<Nonce>()?,
///     &ServerSecret::new("9193cc662a4c0ec135ec71fb57194b38")?,
///     1615186943,
/// );
/// assert_eq!(signature.expose(), "43e5cfcca828314675f91b001390566a");
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
pub fn sign(app_id: AppId, nonce: &Nonce, secret: &ServerSecret, timestamp: u64) -> Signature {
    let mut app_id_buf = itoa::Buffer::new();
    let mut timestamp_buf = itoa::Buffer::new();
    let mut md5 = Md5::new();
    md5.update(app_id_buf.format(app_id.get()).as_bytes());
    md5.update(nonce.0);
    md5.update(secret.expose_secret().as_bytes());
    md5.update(timestamp_buf.format(timestamp).as_bytes());
    let digest = md5.finalize();
    let mut hex = [0u8; 32];
    // Cannot fail: 16 digest bytes make exactly 32 hex characters.
    let _ = hex::encode_to_slice(digest, &mut hex);
    Signature(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spec's two known answers, each verified with an independent MD5.
    const VECTORS: [(u32, &str, &str, u64, &str); 2] = [
        (
            12345,
            "4fd24687296dd9f3",
            "9193cc662a4c0ec135ec71fb57194b38",
            1_615_186_943,
            "43e5cfcca828314675f91b001390566a",
        ),
        (
            1_234_567_890,
            "a1b2c3d4e5f60718",
            "0123456789abcdef0123456789abcdef",
            1_700_000_000,
            "c90a56c08221a571fbf3007d1d7300d6",
        ),
    ];

    #[test]
    fn known_answer_vectors() {
        for (app_id, nonce, secret, ts, expected) in VECTORS {
            let sig = sign(
                AppId::new(app_id),
                &nonce.parse().unwrap(),
                &ServerSecret::new(secret).unwrap(),
                ts,
            );
            assert_eq!(sig.expose(), expected);
            assert!(sig.matches(expected));
            assert!(!sig.matches(&expected.to_uppercase()));
            assert!(!sig.matches(&expected[..31]));
        }
    }

    #[test]
    fn signature_is_redacted() {
        let (app_id, nonce, secret, ts, expected) = VECTORS[0];
        let sig = sign(
            AppId::new(app_id),
            &nonce.parse().unwrap(),
            &ServerSecret::new(secret).unwrap(),
            ts,
        );
        assert!(!format!("{sig:?}{sig}").contains(expected));
    }

    #[test]
    fn nonce_parsing_is_strict() {
        for bad in [
            "",
            "4FD24687296DD9F3",
            "4fd24687296dd9f",
            "4fd24687296dd9f3a",
            "4fd24687296dd9g3",
        ] {
            assert!(bad.parse::<Nonce>().is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_nonces_are_lowercase_hex_from_the_rng() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::SmallRng::seed_from_u64(1);
        let a = Nonce::generate(&mut rng);
        let b = Nonce::generate(&mut rng);
        assert_ne!(a, b);
        assert_eq!(a.as_str().parse::<Nonce>().unwrap(), a);
    }
}
