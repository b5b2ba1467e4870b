//! The binary layouts of Token04 and their base64 text: sealing (GCM) and opening (GCM and
//! the legacy CBC).
//!
//! Both layouts are `expire` (i64 BE) ‖ nonce length (u16 BE) ‖ nonce ‖ ciphertext length
//! (u16 BE) ‖ ciphertext; the GCM layout ends with one mode byte `0x01` (and its nonce is 12
//! bytes, its ciphertext carries the 16-byte tag), the CBC layout has no mode byte (and a
//! 16-character IV).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::Aes256Gcm;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockDecryptMut, KeyIvInit};
use serde::{Deserialize, Serialize};

use super::error::TokenError;
use super::privilege::RoomPrivilege;
use super::request::{token_key, SECRET_LEN};
use crate::credentials::ServerSecret;

/// The text every Token04 starts with.
pub const TOKEN_VERSION_PREFIX: &str = "04";

/// The mode byte that ends a GCM token.
const MODE_GCM: u8 = 1;
/// The nonce length of AES-GCM as ZEGO uses it.
const GCM_NONCE_LEN: usize = 12;
/// The IV length of the legacy CBC layout.
const CBC_IV_LEN: usize = 16;

/// The JSON document inside a token; the field order is the generators'.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Plaintext {
    pub(crate) app_id: u32,
    pub(crate) user_id: String,
    pub(crate) nonce: i64,
    pub(crate) ctime: i64,
    pub(crate) expire: i64,
    #[serde(default)]
    pub(crate) payload: String,
}

/// Which layout a token was made in.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLayout {
    /// AES-256-GCM, ending with mode byte `0x01`: what ZEGO's generators (and this SDK) make.
    Gcm,
    /// AES-256-CBC with PKCS#7 padding, no mode byte: ZEGO's deprecated layout.
    LegacyCbc,
}

/// What a token says, read with [`decode_token`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedToken {
    /// The layout it was made in.
    pub layout: TokenLayout,
    /// The AppId it was made for.
    pub app_id: u32,
    /// The user it was made for.
    pub user_id: String,
    /// The document's random `nonce`.
    pub nonce: i64,
    /// When it was made (Unix seconds).
    pub ctime: i64,
    /// When it expires (Unix seconds).
    pub expire: i64,
    /// The raw payload text (empty for a basic token).
    pub payload: String,
    /// The room privilege, if the payload is one.
    pub privilege: Option<RoomPrivilege>,
}

impl DecodedToken {
    /// Whether the token has expired at `now_unix_secs`.
    pub fn is_expired_at(&self, now_unix_secs: u64) -> bool {
        i64::try_from(now_unix_secs).map_or(true, |now| now >= self.expire)
    }
}

/// Seals `plaintext` in the GCM layout and returns the token text.
pub(crate) fn seal_gcm(
    key: &[u8; SECRET_LEN],
    iv: &[u8; GCM_NONCE_LEN],
    plaintext: &Plaintext,
) -> String {
    // A struct of strings and integers always serializes.
    let json = serde_json::to_vec(plaintext).unwrap_or_default();
    let cipher = Aes256Gcm::new(key.into());
    // Encryption fails only for a plaintext beyond GCM's 64 GiB limit; ours is < 2 KiB
    // (a 64-byte user ID, a 128-byte room ID and stream IDs checked at 256 bytes each).
    let sealed = cipher
        .encrypt(iv.into(), json.as_slice())
        .unwrap_or_default();
    let mut binary = Vec::with_capacity(8 + 2 + iv.len() + 2 + sealed.len() + 1);
    binary.extend_from_slice(&plaintext.expire.to_be_bytes());
    push_with_len(&mut binary, iv);
    push_with_len(&mut binary, &sealed);
    binary.push(MODE_GCM);
    let mut token = String::from(TOKEN_VERSION_PREFIX);
    STANDARD.encode_string(&binary, &mut token);
    token
}

/// Appends `bytes` after their length as a u16 BE.
fn push_with_len(out: &mut Vec<u8>, bytes: &[u8]) {
    // Our nonces are 12 bytes and our ciphertexts stay far below 64 KiB (see seal_gcm).
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Reads a Token04 of either layout with the ServerSecret that made it.
///
/// Checks that it opens (GCM's tag, CBC's padding), that the document is a Token04's, and
/// that the `expire` in the clear matches the sealed one. It does not check expiry: see
/// [`DecodedToken::is_expired_at`].
///
/// ```
/// use std::time::Duration;
/// use zego_proto::token::{decode_token, TokenError, TokenLayout, TokenRequest};
/// use zego_proto::{Credentials, ServerSecret};
///
/// let credentials = Credentials::new(7u32, "0123456789abcdef0123456789abcdef")?;
/// let token = TokenRequest::new("bob", Duration::from_secs(600))?
///     .generate(&credentials, 1_700_000_000, &mut rand::rng())?;
/// let decoded = decode_token(&token, credentials.secret())?;
/// assert_eq!((decoded.layout, decoded.app_id, decoded.ctime), (TokenLayout::Gcm, 7, 1_700_000_000));
///
/// let other = ServerSecret::new("fedcba9876543210fedcba9876543210")?;
/// assert_eq!(decode_token(&token, &other), Err(TokenError::CannotOpen));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn decode_token(token: &str, secret: &ServerSecret) -> Result<DecodedToken, TokenError> {
    let key = token_key(secret.expose_secret())?;
    let encoded = token
        .trim()
        .strip_prefix(TOKEN_VERSION_PREFIX)
        .ok_or(TokenError::NotToken04)?;
    let binary = STANDARD
        .decode(encoded)
        .map_err(|_| TokenError::NotBase64)?;
    let mut reader = Reader(&binary);
    let expire = i64::from_be_bytes(reader.array().ok_or(TRUNCATED)?);
    let nonce = reader.with_len().ok_or(TRUNCATED)?;
    let sealed = reader.with_len().ok_or(TRUNCATED)?;
    let (layout, json) = match reader.0 {
        [MODE_GCM] => (TokenLayout::Gcm, open_gcm(key, nonce, sealed)?),
        [] => (TokenLayout::LegacyCbc, open_cbc(key, nonce, sealed)?),
        _ => {
            return Err(TokenError::Malformed {
                reason: "unexpected bytes after the ciphertext (neither layout)",
            })
        }
    };
    let doc: Plaintext = serde_json::from_slice(&json).map_err(|e| TokenError::BadDocument {
        reason: e.to_string(),
    })?;
    if doc.expire != expire {
        return Err(TokenError::BadDocument {
            reason: format!(
                "the sealed expire {} differs from the expire {expire} in the clear",
                doc.expire
            ),
        });
    }
    Ok(DecodedToken {
        layout,
        app_id: doc.app_id,
        user_id: doc.user_id,
        nonce: doc.nonce,
        ctime: doc.ctime,
        expire: doc.expire,
        privilege: RoomPrivilege::from_payload(&doc.payload),
        payload: doc.payload,
    })
}

const TRUNCATED: TokenError = TokenError::Malformed {
    reason: "shorter than its length fields say",
};

fn open_gcm(key: &[u8; SECRET_LEN], nonce: &[u8], sealed: &[u8]) -> Result<Vec<u8>, TokenError> {
    let nonce: &[u8; GCM_NONCE_LEN] = nonce.try_into().map_err(|_| TokenError::Malformed {
        reason: "a GCM token's nonce is 12 bytes",
    })?;
    Aes256Gcm::new(key.into())
        .decrypt(nonce.into(), sealed)
        .map_err(|_| TokenError::CannotOpen)
}

fn open_cbc(key: &[u8; SECRET_LEN], iv: &[u8], sealed: &[u8]) -> Result<Vec<u8>, TokenError> {
    let iv: &[u8; CBC_IV_LEN] = iv.try_into().map_err(|_| TokenError::Malformed {
        reason: "a CBC token's IV is 16 bytes",
    })?;
    cbc::Decryptor::<aes::Aes256>::new(key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(sealed)
        .map_err(|_| TokenError::CannotOpen)
}

/// Reads the fields of the binary layout front to back.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn with_len(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_be_bytes(self.array()?);
        self.take(usize::from(len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> ServerSecret {
        ServerSecret::new("0123456789abcdef0123456789abcdef").unwrap()
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let s = secret();
        assert_eq!(decode_token("", &s), Err(TokenError::NotToken04));
        assert_eq!(decode_token("03AAAA", &s), Err(TokenError::NotToken04));
        assert_eq!(decode_token("04!!!", &s), Err(TokenError::NotBase64));
        assert!(matches!(
            decode_token("04AAAA", &s),
            Err(TokenError::Malformed { .. })
        ));
        // expire, a 12-byte nonce, an empty ciphertext, mode 1: the tag is missing.
        let mut binary = vec![0u8; 8];
        binary.extend_from_slice(&[0, 12]);
        binary.extend_from_slice(&[0; 12]);
        binary.extend_from_slice(&[0, 0, MODE_GCM]);
        let token = format!("04{}", STANDARD.encode(&binary));
        assert_eq!(decode_token(&token, &s), Err(TokenError::CannotOpen));
        binary.push(9);
        let token = format!("04{}", STANDARD.encode(&binary));
        assert!(matches!(
            decode_token(&token, &s),
            Err(TokenError::Malformed { .. })
        ));
    }

    #[test]
    fn a_secret_of_another_length_cannot_read() {
        let short = ServerSecret::new("abc").unwrap();
        assert!(matches!(
            decode_token("04AAAA", &short),
            Err(TokenError::Secret(e)) if e.field() == "ServerSecret"
        ));
    }
}
