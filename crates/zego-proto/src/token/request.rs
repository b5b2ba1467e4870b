//! What a token says (who, for how long, which room privileges) and making one.

use std::time::Duration;

use rand_core::{CryptoRng, TryRngCore};

use super::layout::{seal_gcm, Plaintext};
use super::privilege::RoomPrivilege;
use super::TokenError;
use crate::credentials::Credentials;
use crate::error::{Problem, ValidationError};

/// A Token04 key is the ServerSecret's ASCII bytes used directly as an AES-256 key, so the
/// secret must be exactly this many characters.
pub const SECRET_LEN: usize = 32;

/// How many random bytes one token needs: the 12-byte GCM nonce and the document's
/// 32-bit `nonce` ([`TokenRequest::generate_from_random_bytes`]).
pub const TOKEN_RANDOM_BYTES: usize = 16;

/// The longest user ID ZEGO accepts, in bytes.
pub const USER_ID_MAX_BYTES: usize = crate::ids::MAX_USER_ID_BYTES;

/// The longest validity this SDK signs: 30 days. ZEGO states no maximum, but a login token
/// is a bearer credential that cannot be revoked; clients renew theirs when ZEGO's SDK
/// reports that it will expire, so a long-lived token is a mistake rather than a need.
pub const MAX_VALIDITY: Duration = Duration::from_secs(30 * 24 * 3600);

/// A token to make: a user ID, a validity and, for a privilege token, a [`RoomPrivilege`].
///
/// ```
/// use std::time::Duration;
/// use zego_proto::token::TokenRequest;
/// use zego_proto::Problem;
///
/// let request = TokenRequest::new("alice", Duration::from_secs(3600))?;
/// assert_eq!(request.user_id(), "alice");
///
/// let err = TokenRequest::new("alice", Duration::ZERO).unwrap_err();
/// assert_eq!(err.field(), "Validity");
/// assert_eq!(err.to_string(), "Validity: 0 is out of range, ZEGO accepts 1..=2592000");
/// assert_eq!(TokenRequest::new("a".repeat(65), Duration::from_secs(60)).unwrap_err().field(), "UserId");
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    user_id: String,
    validity_secs: i64,
    privilege: Option<RoomPrivilege>,
}

impl TokenRequest {
    /// A basic token for `user_id` (at most 64 bytes of the characters of spec §7), valid for
    /// `validity` (whole seconds, 1 s to [`MAX_VALIDITY`]).
    pub fn new(user_id: impl Into<String>, validity: Duration) -> Result<Self, ValidationError> {
        let user_id = user_id.into();
        crate::ids::check_user_id_at("UserId", None, &user_id)?;
        let max = i64::try_from(MAX_VALIDITY.as_secs()).unwrap_or(i64::MAX);
        let secs = i64::try_from(validity.as_secs()).unwrap_or(i64::MAX);
        if !(1..=max).contains(&secs) {
            return Err(ValidationError::new(
                "Validity",
                Problem::OutOfRange {
                    min: 1,
                    max,
                    actual: secs,
                },
            ));
        }
        Ok(Self {
            user_id,
            validity_secs: secs,
            privilege: None,
        })
    }

    /// Makes this a privilege token for one room.
    #[must_use]
    pub fn privilege(mut self, privilege: RoomPrivilege) -> Self {
        self.privilege = Some(privilege);
        self
    }

    /// The user ID.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The validity in seconds.
    pub fn validity_secs(&self) -> i64 {
        self.validity_secs
    }

    /// The room privilege, for a privilege token.
    pub fn room_privilege(&self) -> Option<&RoomPrivilege> {
        self.privilege.as_ref()
    }

    /// Makes the token, created at `now_unix_secs`, in the current AES-256-GCM layout.
    ///
    /// `rng` supplies the 12-byte GCM nonce (first) and the document's 32-bit `nonce`
    /// (then), so it must be a cryptographic RNG; nothing here lets a caller choose a nonce.
    /// Refuses a ServerSecret that is not exactly [`SECRET_LEN`] characters (field
    /// `ServerSecret`) and a creation time too late to add the validity to.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::token::TokenRequest;
    /// use zego_proto::Credentials;
    ///
    /// let request = TokenRequest::new("alice", Duration::from_secs(60))?;
    /// let good = Credentials::new(1u32, "0123456789abcdef0123456789abcdef")?;
    /// assert!(request.generate(&good, 1_700_000_000, &mut rand::rng())?.starts_with("04"));
    ///
    /// let short = Credentials::new(1u32, "too-short")?;
    /// let err = request.generate(&short, 1_700_000_000, &mut rand::rng()).unwrap_err();
    /// assert_eq!(err.to_string(), "ServerSecret: is 9 bytes long, it must be exactly 32");
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    pub fn generate<R: CryptoRng + ?Sized>(
        &self,
        credentials: &Credentials,
        now_unix_secs: u64,
        rng: &mut R,
    ) -> Result<String, ValidationError> {
        // Checked before drawing, so a refused secret costs no randomness.
        token_key(credentials.secret().expose_secret())?;
        let mut iv = [0u8; 12];
        rng.fill_bytes(&mut iv);
        let nonce = rng.next_u32();
        self.seal(credentials, now_unix_secs, iv, nonce)
    }

    /// [`TokenRequest::generate`] with the operating system's random source (`getrandom`),
    /// so the caller needs no RNG crate at all. This reads OS randomness, which is I/O:
    /// it is a convenience beside the sans-IO [`TokenRequest::generate`], never called by
    /// it. Fails only if the OS has no randomness to give ([`TokenError::NoRandomness`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::token::{decode_token, TokenRequest};
    /// use zego_proto::Credentials;
    ///
    /// let credentials = Credentials::new(1u32, "0123456789abcdef0123456789abcdef")?;
    /// let token = TokenRequest::new("alice", Duration::from_secs(60))?
    ///     .generate_with_os_random(&credentials, 1_700_000_000)?;
    /// assert_eq!(decode_token(&token, credentials.secret())?.user_id, "alice");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn generate_with_os_random(
        &self,
        credentials: &Credentials,
        now_unix_secs: u64,
    ) -> Result<String, TokenError> {
        token_key(credentials.secret().expose_secret())?;
        let mut random = [0u8; TOKEN_RANDOM_BYTES];
        rand_core::OsRng
            .try_fill_bytes(&mut random)
            .map_err(|e| TokenError::NoRandomness {
                reason: e.to_string(),
            })?;
        Ok(self.generate_from_random_bytes(credentials, now_unix_secs, random)?)
    }

    /// [`TokenRequest::generate`] from [`TOKEN_RANDOM_BYTES`] bytes of a cryptographic
    /// random source of your choice, whatever its crate or version: the 12-byte GCM nonce,
    /// then the document's 32-bit `nonce` (little-endian). Never reuse them: each token
    /// needs fresh bytes.
    ///
    /// With today's `rand` (0.10, whose traits are not the `rand_core` 0.9 ones
    /// [`TokenRequest::generate`] takes), fill the bytes with it:
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::token::{TokenRequest, TOKEN_RANDOM_BYTES};
    /// use zego_proto::Credentials;
    ///
    /// let credentials = Credentials::new(1u32, "0123456789abcdef0123456789abcdef")?;
    /// let mut random = [0u8; TOKEN_RANDOM_BYTES];
    /// rand::fill(&mut random); // any CSPRNG: rand 0.9 or 0.10, getrandom, ring, ...
    /// let token = TokenRequest::new("alice", Duration::from_secs(60))?
    ///     .generate_from_random_bytes(&credentials, 1_700_000_000, random)?;
    /// assert!(token.starts_with("04"));
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    pub fn generate_from_random_bytes(
        &self,
        credentials: &Credentials,
        now_unix_secs: u64,
        random: [u8; TOKEN_RANDOM_BYTES],
    ) -> Result<String, ValidationError> {
        let mut iv = [0u8; 12];
        iv.copy_from_slice(&random[..12]);
        let nonce = u32::from_le_bytes([random[12], random[13], random[14], random[15]]);
        self.seal(credentials, now_unix_secs, iv, nonce)
    }

    fn seal(
        &self,
        credentials: &Credentials,
        now_unix_secs: u64,
        iv: [u8; 12],
        nonce: u32,
    ) -> Result<String, ValidationError> {
        let key = token_key(credentials.secret().expose_secret())?;
        let ctime = i64::try_from(now_unix_secs).ok();
        let Some((ctime, expire)) =
            ctime.and_then(|c| c.checked_add(self.validity_secs).map(|e| (c, e)))
        else {
            return Err(ValidationError::new(
                "ctime",
                Problem::OutOfRange {
                    min: 0,
                    max: i64::MAX - self.validity_secs,
                    actual: i64::try_from(now_unix_secs).unwrap_or(i64::MAX),
                },
            ));
        };
        // ZEGO's generators draw an int32; the bits of a u32 reinterpreted are exactly that.
        #[allow(clippy::cast_possible_wrap)]
        let nonce = i64::from(nonce as i32);
        let plaintext = Plaintext {
            app_id: credentials.app_id().get(),
            user_id: self.user_id.clone(),
            nonce,
            ctime,
            expire,
            payload: self
                .privilege
                .as_ref()
                .map(RoomPrivilege::to_payload)
                .unwrap_or_default(),
        };
        Ok(seal_gcm(key, &iv, &plaintext))
    }
}

/// The AES-256 key of a ServerSecret: its 32 ASCII bytes.
pub(crate) fn token_key(secret: &str) -> Result<&[u8; SECRET_LEN], ValidationError> {
    secret.as_bytes().try_into().map_err(|_| {
        ValidationError::new(
            "ServerSecret",
            Problem::WrongLength {
                expected: SECRET_LEN,
                actual: secret.len(),
            },
        )
    })
}
