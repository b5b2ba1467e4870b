//! The environment variables zego-rs reads, named once: the library's
//! [`ClientBuilder::from_env`](crate::driver::ClientBuilder::from_env) (and the transports'
//! `Client::from_env`) and the `zego` CLI's options read the same names, with the same
//! precedence:
//!
//! - AppId: [`APP_ID_ENV`].
//! - ServerSecret: [`SERVER_SECRET_ENV`], else the file named by [`SERVER_SECRET_FILE_ENV`]
//!   (surrounding whitespace trimmed; a regular file of at most [`MAX_SECRET_FILE_BYTES`]).
//! - Host: [`REGION_ENV`] (a region code: `sha`, `hkg`, `fra`, `lax`, `bom`, `sgp`), else
//!   [`ENDPOINT_ENV`] (a base URL, e.g. the one `zego sim` prints), else the unified host.
//!   As in the CLI, a region wins over an endpoint given at the same level.
//! - Environment: [`TEST_ENV_ENV`] (`1`/`true`/`yes`/`on`: the legacy test environment;
//!   `0`/`false`/`no`/`off`: production, the default).
//!
//! An empty variable counts as unset. The CLI also reads [`CONFIG_ENV`], [`PROFILE_ENV`]
//! and [`REDIS_URL_ENV`] (its profile file and fleet); the library leaves those to the
//! application.

use std::io::Read;
use std::path::Path;

use crate::config::{Config, Endpoint, Environment, Region};
use crate::credentials::{AppId, Credentials, ServerSecret};
pub use crate::credentials::{APP_ID_ENV, SERVER_SECRET_ENV};
use crate::error::ConfigError;

/// A file holding the ServerSecret (read when [`SERVER_SECRET_ENV`] is unset).
pub const SERVER_SECRET_FILE_ENV: &str = "ZEGO_SERVER_SECRET_FILE";
/// The base URL to send requests to (e.g. a simulator's `http://127.0.0.1:PORT`).
pub const ENDPOINT_ENV: &str = "ZEGO_ENDPOINT";
/// A regional ZEGO host instead of the unified one (wins over [`ENDPOINT_ENV`]).
pub const REGION_ENV: &str = "ZEGO_REGION";
/// Whether to address the legacy test environment.
pub const TEST_ENV_ENV: &str = "ZEGO_TEST_ENV";
/// The CLI's config file.
pub const CONFIG_ENV: &str = "ZEGO_CONFIG";
/// The CLI's profile in its config file.
pub const PROFILE_ENV: &str = "ZEGO_PROFILE";
/// The CLI's fleet Redis URL.
pub const REDIS_URL_ENV: &str = "ZEGO_REDIS_URL";

/// The largest secret file read: a ServerSecret is 32 characters; anything much longer is
/// not a secret file (or is `/dev/zero`).
pub const MAX_SECRET_FILE_BYTES: u64 = 4096;

/// The settings the environment gives: credentials and configuration.
///
/// ```
/// use zego_proto::env::EnvSettings;
/// use zego_proto::{Endpoint, Region};
/// let settings = EnvSettings::from_lookup(|name| match name {
///     "ZEGO_APP_ID" => Some("1234567890".to_owned()),
///     "ZEGO_SERVER_SECRET" => Some("0123456789abcdef0123456789abcdef".to_owned()),
///     "ZEGO_ENDPOINT" => Some("http://127.0.0.1:8080".to_owned()),
///     "ZEGO_TEST_ENV" => Some("true".to_owned()),
///     _ => None,
/// })?;
/// assert_eq!(settings.credentials.app_id().get(), 1_234_567_890);
/// assert_eq!(settings.config.endpoint().base_url(), "http://127.0.0.1:8080");
/// assert!(settings.config.environment().is_test());
/// # Ok::<(), zego_proto::ConfigError>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct EnvSettings {
    /// From [`APP_ID_ENV`] and [`SERVER_SECRET_ENV`] or [`SERVER_SECRET_FILE_ENV`].
    pub credentials: Credentials,
    /// From [`REGION_ENV`] or [`ENDPOINT_ENV`], and [`TEST_ENV_ENV`].
    pub config: Config,
}

impl EnvSettings {
    /// The settings from the process's environment.
    ///
    /// ```no_run
    /// let settings = zego_proto::env::EnvSettings::from_env()?;
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// The settings from any variable source (a test map, a config system).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let app_id: AppId = get(APP_ID_ENV)
            .ok_or(ConfigError::MissingVariable { name: APP_ID_ENV })?
            .parse()?;
        let secret = match (get(SERVER_SECRET_ENV), get(SERVER_SECRET_FILE_ENV)) {
            (Some(secret), _) => secret,
            (None, Some(path)) => read_secret_file(Path::new(&path))?,
            (None, None) => {
                return Err(ConfigError::MissingVariable {
                    name: SERVER_SECRET_ENV,
                })
            }
        };
        let secret = ServerSecret::new(secret.trim())?;
        let endpoint = match (get(REGION_ENV), get(ENDPOINT_ENV)) {
            (Some(region), _) => Endpoint::Region(region.parse::<Region>()?),
            (None, Some(url)) => Endpoint::custom(url.trim())?,
            (None, None) => Endpoint::Unified,
        };
        let environment = match get(TEST_ENV_ENV) {
            None => Environment::Production,
            Some(flag) => parse_flag(TEST_ENV_ENV, &flag)?,
        };
        Ok(Self {
            credentials: Credentials::from_parts(app_id, secret),
            config: Config::new(endpoint).with_environment(environment),
        })
    }
}

fn parse_flag(name: &'static str, value: &str) -> Result<Environment, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" | "y" | "t" => Ok(Environment::Test),
        "0" | "false" | "no" | "off" | "n" | "f" => Ok(Environment::Production),
        _ => Err(ConfigError::InvalidVariable {
            name,
            reason: format!("{value:?} is not a switch: use true or false"),
        }),
    }
}

/// Reads a secret file: a regular file (not a FIFO or a device, which could block or
/// never end) of at most [`MAX_SECRET_FILE_BYTES`]. Errors name the variable and the
/// path, never the content.
fn read_secret_file(path: &Path) -> Result<String, ConfigError> {
    let bad = |reason: String| ConfigError::InvalidVariable {
        name: SERVER_SECRET_FILE_ENV,
        reason,
    };
    let shown = path.display();
    let metadata = std::fs::metadata(path).map_err(|e| bad(format!("{shown}: {e}")))?;
    if !metadata.is_file() {
        return Err(bad(format!("{shown} is not a regular file")));
    }
    if metadata.len() > MAX_SECRET_FILE_BYTES {
        return Err(bad(format!(
            "{shown} is {} bytes long, over the {MAX_SECRET_FILE_BYTES}-byte limit of a secret file",
            metadata.len()
        )));
    }
    let file = std::fs::File::open(path).map_err(|e| bad(format!("{shown}: {e}")))?;
    let mut text = String::new();
    file.take(MAX_SECRET_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| bad(format!("{shown}: {e}")))?;
    if text.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(bad(format!(
            "{shown} is over the {MAX_SECRET_FILE_BYTES}-byte limit of a secret file"
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn settings(vars: &[(&str, &str)]) -> Result<EnvSettings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        EnvSettings::from_lookup(|name| map.get(name).cloned())
    }

    #[test]
    fn the_endpoint_region_and_test_environment_are_read() {
        let s = settings(&[
            (APP_ID_ENV, "7"),
            (SERVER_SECRET_ENV, SECRET),
            (ENDPOINT_ENV, "http://127.0.0.1:9"),
        ])
        .unwrap();
        assert_eq!(s.config.endpoint().base_url(), "http://127.0.0.1:9");
        assert!(!s.config.environment().is_test());
        let s = settings(&[
            (APP_ID_ENV, "7"),
            (SERVER_SECRET_ENV, SECRET),
            (ENDPOINT_ENV, "http://127.0.0.1:9"),
            (REGION_ENV, "sgp"),
            (TEST_ENV_ENV, "1"),
        ])
        .unwrap();
        assert_eq!(
            s.config.endpoint().base_url(),
            "https://rtc-api-sgp.zego.im"
        );
        assert!(s.config.environment().is_test());
    }

    #[test]
    fn bad_values_are_named() {
        let err = settings(&[
            (APP_ID_ENV, "7"),
            (SERVER_SECRET_ENV, SECRET),
            (TEST_ENV_ENV, "maybe"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("ZEGO_TEST_ENV"), "{err}");
        let err = settings(&[
            (APP_ID_ENV, "7"),
            (SERVER_SECRET_ENV, SECRET),
            (REGION_ENV, "mars"),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("unknown region"), "{err}");
        let err = settings(&[(APP_ID_ENV, "7"), (SERVER_SECRET_ENV, "  ")]).unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingVariable {
                name: SERVER_SECRET_ENV
            }
        );
    }

    #[test]
    fn the_secret_file_is_read_when_the_secret_is_not_set_and_is_bounded() {
        let dir = std::env::temp_dir().join(format!("zego-env-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("secret");
        std::fs::write(&file, format!("{SECRET}\n")).unwrap();
        let path = file.to_str().unwrap();
        let s = settings(&[(APP_ID_ENV, "7"), (SERVER_SECRET_FILE_ENV, path)]).unwrap();
        assert_eq!(s.credentials.secret().expose_secret(), SECRET);
        // The variable wins over the file, as in the CLI.
        let other = "fedcba9876543210fedcba9876543210";
        let s = settings(&[
            (APP_ID_ENV, "7"),
            (SERVER_SECRET_ENV, other),
            (SERVER_SECRET_FILE_ENV, path),
        ])
        .unwrap();
        assert_eq!(s.credentials.secret().expose_secret(), other);
        std::fs::write(&file, vec![b'a'; 5000]).unwrap();
        let err = settings(&[(APP_ID_ENV, "7"), (SERVER_SECRET_FILE_ENV, path)]).unwrap_err();
        assert!(err.to_string().contains("4096-byte limit"), "{err}");
        let err = settings(&[
            (APP_ID_ENV, "7"),
            (SERVER_SECRET_FILE_ENV, dir.to_str().unwrap()),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("not a regular file"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
