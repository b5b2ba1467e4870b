//! Who is calling: the AppId and the ServerSecret.

use std::fmt;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::error::{ConfigError, Problem, ValidationError};

/// Environment variable holding the AppId, read by [`Credentials::from_env`].
pub const APP_ID_ENV: &str = "ZEGO_APP_ID";
/// Environment variable holding the ServerSecret, read by [`Credentials::from_env`].
pub const SERVER_SECRET_ENV: &str = "ZEGO_SERVER_SECRET";

/// A ZEGO application ID (`AppId`, a `uint32` sent in decimal).
///
/// ```
/// let id: zego_proto::AppId = "1234567890".parse()?;
/// assert_eq!(id.get(), 1_234_567_890);
/// # Ok::<(), zego_proto::ConfigError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AppId(u32);

impl AppId {
    /// Wraps a numeric AppId.
    pub const fn new(id: u32) -> Self {
        Self(id)
    }

    /// The numeric value.
    pub const fn get(self) -> u32 {
        self.0
    }
}

impl From<u32> for AppId {
    fn from(id: u32) -> Self {
        Self(id)
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for AppId {
    type Err = ConfigError;

    /// Parses configuration text: plain decimal digits, 1 to 4294967295. AppId 0 is refused
    /// because ZEGO never issues it: a `0` in configuration is a placeholder or a mistake,
    /// and sending it only earns an authentication error from the server.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        const RANGE: &str = "an AppId is a decimal number from 1 to 4294967295";
        let trimmed = s.trim();
        // Only plain decimal digits: `u32::from_str` would also take a leading `+`.
        if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ConfigError::InvalidAppId { reason: RANGE });
        }
        match trimmed.parse::<u32>() {
            Ok(0) => Err(ConfigError::InvalidAppId {
                reason: "AppId 0 is never issued by ZEGO (an AppId is 1 to 4294967295)",
            }),
            Ok(id) => Ok(Self(id)),
            Err(_) => Err(ConfigError::InvalidAppId { reason: RANGE }),
        }
    }
}

/// The ServerSecret issued with an AppId.
///
/// It never appears in `Debug` or `Display` output, and its memory is zeroed on drop.
///
/// ```
/// let secret = zego_proto::ServerSecret::new("0123456789abcdef0123456789abcdef")?;
/// assert_eq!(format!("{secret:?}"), "ServerSecret(<redacted>)");
/// assert_eq!(secret.to_string(), "<redacted>");
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ServerSecret(Zeroizing<String>);

impl ServerSecret {
    /// Wraps a secret. It must be non-empty printable ASCII without spaces
    /// (ZEGO issues 32 hexadecimal characters).
    pub fn new(secret: impl Into<String>) -> Result<Self, ValidationError> {
        let secret = Zeroizing::new(secret.into());
        if secret.is_empty() {
            return Err(ValidationError::new("ServerSecret", Problem::Empty));
        }
        if !secret.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ValidationError::new(
                "ServerSecret",
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

impl fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServerSecret(<redacted>)")
    }
}

impl fmt::Display for ServerSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// An AppId with its ServerSecret.
///
/// ```
/// use zego_proto::Credentials;
/// let creds = Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?;
/// assert_eq!(creds.app_id().get(), 1234567890);
/// assert!(!format!("{creds:?}").contains("0123456789abcdef"));
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    app_id: AppId,
    secret: ServerSecret,
}

impl Credentials {
    /// Credentials from explicit values.
    pub fn new(
        app_id: impl Into<AppId>,
        secret: impl Into<String>,
    ) -> Result<Self, ValidationError> {
        Ok(Self {
            app_id: app_id.into(),
            secret: ServerSecret::new(secret)?,
        })
    }

    /// Credentials from an AppId and an already-wrapped secret.
    pub fn from_parts(app_id: AppId, secret: ServerSecret) -> Self {
        Self { app_id, secret }
    }

    /// Credentials from `ZEGO_APP_ID` and `ZEGO_SERVER_SECRET`.
    ///
    /// ```no_run
    /// let creds = zego_proto::Credentials::from_env()?;
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Credentials from any variable source (the environment, a config file, a test map).
    ///
    /// ```
    /// use zego_proto::Credentials;
    /// let creds = Credentials::from_lookup(|name| match name {
    ///     "ZEGO_APP_ID" => Some("12345".to_owned()),
    ///     "ZEGO_SERVER_SECRET" => Some("9193cc662a4c0ec135ec71fb57194b38".to_owned()),
    ///     _ => None,
    /// })?;
    /// assert_eq!(creds.app_id().get(), 12345);
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let app_id = lookup(APP_ID_ENV).ok_or(ConfigError::MissingVariable { name: APP_ID_ENV })?;
        let app_id: AppId = app_id.parse()?;
        let secret = lookup(SERVER_SECRET_ENV).ok_or(ConfigError::MissingVariable {
            name: SERVER_SECRET_ENV,
        })?;
        let secret = ServerSecret::new(secret.trim())?;
        Ok(Self { app_id, secret })
    }

    /// The AppId.
    pub fn app_id(&self) -> AppId {
        self.app_id
    }

    /// The ServerSecret.
    pub fn secret(&self) -> &ServerSecret {
        &self.secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_id_parses_only_plain_decimal_u32() {
        assert_eq!("1".parse::<AppId>().unwrap().get(), 1);
        assert!("0".parse::<AppId>().is_err());
        assert!(" 000 ".parse::<AppId>().is_err());
        assert_eq!(" 4294967295 ".parse::<AppId>().unwrap().get(), u32::MAX);
        for bad in ["", "+1", "-1", "4294967296", "12a", "0x10", "1 2"] {
            assert!(bad.parse::<AppId>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn secret_is_never_shown() {
        let creds = Credentials::new(1u32, "s3cr3t-value").unwrap();
        let shown = format!("{creds:?} {} {:?}", creds.secret(), creds.secret());
        assert!(!shown.contains("s3cr3t"), "{shown}");
    }

    #[test]
    fn secret_rejects_empty_and_whitespace() {
        assert!(ServerSecret::new("").is_err());
        assert!(ServerSecret::new("a b").is_err());
        assert!(ServerSecret::new("a\n").is_err());
    }

    #[test]
    fn lookup_reports_the_missing_variable() {
        let err = Credentials::from_lookup(|_| None).unwrap_err();
        assert!(err.to_string().contains("ZEGO_APP_ID"));
        let err = Credentials::from_lookup(|n| (n == APP_ID_ENV).then(|| "1".into())).unwrap_err();
        assert!(err.to_string().contains("ZEGO_SERVER_SECRET"));
    }
}
