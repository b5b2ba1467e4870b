//! The config file's named profiles and the resolution of credentials, endpoint and
//! environment: flags > environment > profile.
//!
//! The ServerSecret has four sources, first found wins: `--server-secret` /
//! `ZEGO_SERVER_SECRET`, `--server-secret-file` / `ZEGO_SERVER_SECRET_FILE`, the profile's
//! `server_secret`, the profile's `server_secret_file`. Only the winning file is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zego_proto::{AppId, Config, Credentials, Endpoint, Environment, Region, ServerSecret};

use crate::cli::GlobalArgs;
use crate::exit::CliError;

/// The profile used when `--profile` is not given.
pub const DEFAULT_PROFILE: &str = "default";

/// The config file: `[profiles.NAME]` tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The named profiles.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The AppId, as a number or a string.
    pub app_id: Option<AppIdValue>,
    /// The ServerSecret.
    pub server_secret: Option<String>,
    /// A file holding the ServerSecret (relative paths are relative to the config file).
    pub server_secret_file: Option<PathBuf>,
    /// A custom base URL.
    pub endpoint: Option<String>,
    /// A region code (sha, hkg, fra, lax, bom, sgp).
    pub region: Option<String>,
    /// Accept a plain `http://` endpoint that is not loopback (a simulator on a trusted network).
    pub allow_insecure_http: Option<bool>,
    /// Whether to address the legacy test environment.
    pub test_env: Option<bool>,
    /// A Redis URL: join the fleet that shares the quota through it.
    pub redis: Option<String>,
    /// How many instances share the quota.
    pub fleet_size: Option<u32>,
}

/// An AppId written as `app_id = 123` or `app_id = "123"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum AppIdValue {
    /// A TOML integer.
    Number(i64),
    /// A TOML string.
    Text(String),
}

impl AppIdValue {
    fn as_text(&self) -> String {
        match self {
            Self::Number(n) => n.to_string(),
            Self::Text(s) => s.clone(),
        }
    }
}

/// Where each setting came from, as far as the precedence rules need to know.
#[derive(Debug, Default, Clone, Copy)]
#[allow(clippy::struct_excessive_bools)]
pub struct Sources {
    /// `--server-secret` was typed on the command line.
    pub secret_on_command_line: bool,
    /// `--endpoint` was typed on the command line (not from `ZEGO_ENDPOINT`).
    pub endpoint_on_command_line: bool,
    /// `zego sim --app APP_ID:SECRET` was typed (not from `ZEGO_SIM_APPS`).
    pub sim_apps_on_command_line: bool,
    /// `zego sim --callback-secret` was typed (not from `ZEGO_SIM_CALLBACK_SECRET`).
    pub sim_callback_secret_on_command_line: bool,
}

/// Everything a command needs to reach ZEGO, resolved.
#[derive(Debug)]
pub struct Settings {
    credentials: Result<Credentials, String>,
    /// Endpoint and environment.
    pub config: Config,
    /// Warnings to show on stderr (never containing the secret).
    pub warnings: Vec<String>,
    /// The fleet's Redis coordinator, when the command joins one.
    pub coordinator: Option<std::sync::Arc<zego_redis::RedisCoordinator>>,
    config_path: Option<PathBuf>,
}

impl Settings {
    /// The credentials, or a usage error saying how to provide them.
    pub fn credentials(&self) -> Result<Credentials, CliError> {
        self.credentials.clone().map_err(|message| {
            let where_ = self.config_path.as_ref().map_or_else(
                || "a profile in the config file (--config)".to_owned(),
                |p| format!("a [profiles.NAME] table in {}", p.display()),
            );
            CliError::usage(
                message,
                format!("set ZEGO_APP_ID and ZEGO_SERVER_SECRET (or ZEGO_SERVER_SECRET_FILE), or add app_id and server_secret (or server_secret_file) to {where_}"),
            )
        })
    }
}

/// The default config file path: `<config dir>/zego/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("zego").join("config.toml"))
}

/// Resolves the settings from the global flags (clap already merged flags over the
/// environment) and the profile.
pub fn resolve(global: &GlobalArgs, sources: Sources) -> Result<Settings, CliError> {
    let mut warnings = Vec::new();
    let explicit_path = global.config.is_some();
    let path = global.config.clone().or_else(default_config_path);
    let profile_name = global.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
    let profile =
        match &path {
            Some(p) if p.exists() => {
                load_profile(p, profile_name, global.profile.is_some(), &mut warnings)?
            }
            Some(p) if explicit_path => return Err(CliError::usage(
                format!("config file {} does not exist", p.display()),
                "check --config / ZEGO_CONFIG, or create the file with a [profiles.default] table",
            )),
            _ if global.profile.is_some() => {
                return Err(CliError::usage(
                    format!("profile {profile_name:?} not found: there is no config file"),
                    format!(
                        "create {} with a [profiles.{profile_name}] table, or drop --profile",
                        path.as_ref()
                            .map_or("a config file".into(), |p| p.display().to_string())
                    ),
                ))
            }
            _ => Profile::default(),
        };

    if sources.secret_on_command_line {
        warnings.push(
            "--server-secret on the command line is visible to other users of this machine (ps, shell history); prefer ZEGO_SERVER_SECRET or a profile"
                .into(),
        );
    }

    let secret_file = secret_file_to_read(global, &profile, path.as_deref());
    let secret_from_file = match &secret_file {
        Some(file) => Some(read_secret_file(file, &mut warnings)?),
        None => None,
    };
    let credentials = resolve_credentials(global, &profile, secret_from_file);
    let endpoint = resolve_endpoint(global, sources, &profile, &mut warnings)?;
    let environment = if global.test_env || profile.test_env.unwrap_or(false) {
        Environment::Test
    } else {
        Environment::Production
    };
    let coordinator = resolve_redis(global, &profile)?;
    Ok(Settings {
        credentials,
        config: Config::new(endpoint).with_environment(environment),
        warnings,
        coordinator,
        config_path: path,
    })
}

/// `--redis` / `ZEGO_REDIS_URL` over the profile's `redis`; a URL that cannot be used, and a
/// Redis that refuses the configuration (wrong password or user, a missing ACL permission,
/// something other than Redis at the address), is a usage error naming the problem (never
/// the password). An unreachable Redis is not: the failure policy admits until it answers.
fn resolve_redis(
    global: &GlobalArgs,
    profile: &Profile,
) -> Result<Option<std::sync::Arc<zego_redis::RedisCoordinator>>, CliError> {
    let Some(url) = global.redis.as_deref().or(profile.redis.as_deref()) else {
        return Ok(None);
    };
    let fleet_size = global.fleet_size.or(profile.fleet_size).unwrap_or(1);
    let usage = |e: zego_redis::RedisConfigError| {
        let hint = match e {
            zego_redis::RedisConfigError::Authentication { .. } => {
                "check the user and password in --redis / ZEGO_REDIS_URL (redis://[USER]:PASSWORD@HOST[:PORT][/DB])"
            }
            zego_redis::RedisConfigError::Permission { .. } => {
                "give the Redis ACL user +evalsha +eval +script|load and the keys of its prefix (~zego:*)"
            }
            zego_redis::RedisConfigError::UnknownMaster { .. } => {
                "give the master name the sentinels monitor: redis+sentinel://[:PASSWORD@]H1:P1,H2:P2/MASTER[/DB]"
            }
            _ => "give --redis / ZEGO_REDIS_URL as redis://[:PASSWORD@]HOST[:PORT][/DB], redis+sentinel://[:PASSWORD@]H1:P1,H2:P2/MASTER[/DB] or redis+cluster://[:PASSWORD@]H1:P1,H2:P2",
        };
        CliError::usage(e.to_string(), hint)
    };
    let coordinator = zego_redis::RedisCoordinator::builder(url)
        .map_err(usage)?
        .fleet_size(fleet_size)
        .connect()
        .map_err(usage)?;
    Ok(Some(std::sync::Arc::new(coordinator)))
}

/// The secret file to read, if a file is where the secret comes from by precedence.
fn secret_file_to_read(
    global: &GlobalArgs,
    profile: &Profile,
    config_path: Option<&Path>,
) -> Option<PathBuf> {
    if global.server_secret.is_some() {
        return None;
    }
    if let Some(file) = &global.server_secret_file {
        return Some(file.clone());
    }
    if profile.server_secret.is_some() {
        return None;
    }
    let file = profile.server_secret_file.as_ref()?;
    Some(match config_path.and_then(Path::parent) {
        Some(dir) if file.is_relative() => dir.join(file),
        _ => file.clone(),
    })
}

/// Reads a secret file, trimmed. Errors name the path, never the content.
fn read_secret_file(path: &Path, warnings: &mut Vec<String>) -> Result<String, CliError> {
    let hint = "give --server-secret-file / ZEGO_SERVER_SECRET_FILE (or the profile's server_secret_file) as a readable file holding the ServerSecret";
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::usage(
            format!("cannot read the ServerSecret file {}: {e}", path.display()),
            hint,
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|_| {
        CliError::usage(
            format!("the ServerSecret file {} is not UTF-8 text", path.display()),
            hint,
        )
    })?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(CliError::usage(
            format!("the ServerSecret file {} is empty", path.display()),
            hint,
        ));
    }
    if let Some(w) = permissions_warning(path) {
        warnings.push(w);
    }
    Ok(secret.to_owned())
}

fn resolve_credentials(
    global: &GlobalArgs,
    profile: &Profile,
    secret_from_file: Option<String>,
) -> Result<Credentials, String> {
    let app_id = match (&global.app_id, &profile.app_id) {
        (Some(flag), _) => flag.clone(),
        (None, Some(p)) => p.as_text(),
        (None, None) => return Err("no AppId: ZEGO_APP_ID is not set".into()),
    };
    let app_id: AppId = app_id
        .parse()
        .map_err(|e| format!("invalid AppId {app_id:?}: {e}"))?;
    // `secret_from_file` is only read when no flag or variable gives the secret itself,
    // and the profile's file only when the profile has no server_secret.
    let secret =
        match (
            &global.server_secret,
            secret_from_file,
            &profile.server_secret,
        ) {
            (Some(flag), _, _) => flag.clone(),
            (None, Some(file), _) => file,
            (None, None, Some(p)) => p.clone(),
            (None, None, None) => return Err(
                "no ServerSecret: neither ZEGO_SERVER_SECRET nor ZEGO_SERVER_SECRET_FILE is set"
                    .into(),
            ),
        };
    // The error names the problem, never the value.
    let secret =
        ServerSecret::new(secret.trim()).map_err(|e| format!("invalid ServerSecret: {e}"))?;
    Ok(Credentials::from_parts(app_id, secret))
}

fn resolve_endpoint(
    global: &GlobalArgs,
    sources: Sources,
    profile: &Profile,
    warnings: &mut Vec<String>,
) -> Result<Endpoint, CliError> {
    let bad = |e: zego_proto::ConfigError| {
        CliError::usage(
            e.to_string(),
            "give a base URL like https://rtc-api.zego.im or a simulator's http://127.0.0.1:8080, or --region; plain http:// to another host needs --allow-insecure-http",
        )
    };
    let insecure_allowed =
        global.allow_insecure_http || profile.allow_insecure_http.unwrap_or(false);
    let custom = |url: &str| {
        if insecure_allowed {
            Endpoint::custom_insecure(url)
        } else {
            Endpoint::custom(url)
        }
        .map_err(bad)
    };
    if let Some(region) = &global.region {
        if sources.endpoint_on_command_line {
            return Err(CliError::usage(
                "--endpoint and --region both given",
                "give one of them: --region picks a ZEGO host, --endpoint any base URL",
            ));
        }
        if let Some(url) = &global.endpoint {
            warnings.push(format!(
                "--region {} overrides ZEGO_ENDPOINT={url}",
                region.0.code()
            ));
        }
        return Ok(Endpoint::Region(region.0));
    }
    if let Some(url) = &global.endpoint {
        return custom(url);
    }
    match (&profile.endpoint, &profile.region) {
        (Some(_), Some(_)) => Err(CliError::usage(
            "the profile sets both endpoint and region",
            "keep one of them in the profile",
        )),
        (Some(url), None) => custom(url),
        (None, Some(region)) => region.parse::<Region>().map(Endpoint::Region).map_err(bad),
        (None, None) => Ok(Endpoint::Unified),
    }
}

fn load_profile(
    path: &Path,
    name: &str,
    explicit: bool,
    warnings: &mut Vec<String>,
) -> Result<Profile, CliError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::usage(
            format!("cannot read config file {}: {e}", path.display()),
            "check the file's permissions, or point --config elsewhere",
        )
    })?;
    let mut file = parse_config(&text).map_err(|message| {
        CliError::usage(
            format!("config file {}: {message}", path.display()),
            "fix the file: it holds [profiles.NAME] tables with app_id, server_secret, server_secret_file, endpoint, region, allow_insecure_http, test_env, redis, fleet_size",
        )
    })?;
    let known: Vec<String> = file.profiles.keys().cloned().collect();
    match file.profiles.remove(name) {
        Some(profile) => {
            if profile.server_secret.is_some() {
                if let Some(w) = permissions_warning(path) {
                    warnings.push(w);
                }
            }
            Ok(profile)
        }
        None if explicit => Err(CliError::usage(
            format!("profile {name:?} not found in {}", path.display()),
            if known.is_empty() {
                "the file has no [profiles.NAME] table".to_owned()
            } else {
                format!("known profiles: {}", known.join(", "))
            },
        )),
        None => Ok(Profile::default()),
    }
}

/// Parses the config file. The error gives the message and line only: TOML's own
/// rendering quotes the offending line, which may hold the secret.
pub fn parse_config(text: &str) -> Result<ConfigFile, String> {
    toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        match line {
            Some(line) => format!("line {line}: {}", e.message().trim()),
            None => e.message().trim().to_owned(),
        }
    })
}

#[cfg(unix)]
fn permissions_warning(path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} holds a ServerSecret and is readable by other users; run: chmod 600 {}",
            path.display(),
            path.display()
        )
    })
}

#[cfg(not(unix))]
fn permissions_warning(_path: &Path) -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse_with_numeric_or_string_app_ids() {
        let file = parse_config(
            "[profiles.default]\napp_id = 12345\nserver_secret = \"abc\"\nregion = \"fra\"\n\
             [profiles.staging]\napp_id = \"42\"\nendpoint = \"http://127.0.0.1:9\"\ntest_env = true\n",
        )
        .unwrap();
        assert_eq!(
            file.profiles["default"].app_id.as_ref().unwrap().as_text(),
            "12345"
        );
        assert_eq!(
            file.profiles["staging"].app_id.as_ref().unwrap().as_text(),
            "42"
        );
        assert_eq!(file.profiles["staging"].test_env, Some(true));
    }

    #[test]
    fn parse_errors_never_quote_the_file() {
        let err = parse_config("[profiles.default]\nserver_secret = \"topsecret\nx").unwrap_err();
        assert!(!err.contains("topsecret"), "{err}");
        let err = parse_config("[profiles.default]\nsecret = \"topsecret\"\n").unwrap_err();
        assert!(!err.contains("topsecret"), "{err}");
        assert!(err.contains("line"), "{err}");
    }
}
