//! The config file's named profiles and the resolution of credentials, endpoint and
//! environment: flags > environment > profile.
//!
//! The ServerSecret has four sources, first found wins: `--server-secret` /
//! `ZEGO_SERVER_SECRET`, `--server-secret-file` / `ZEGO_SERVER_SECRET_FILE`, the profile's
//! `server_secret`, the profile's `server_secret_file`. Only the winning file is read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use zego_journal::regular_file::read_regular;
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
    /// Raised quotas, requests per second by group name (`--quota` overrides each).
    pub quotas: Option<std::collections::BTreeMap<String, u32>>,
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
    /// `--region` was typed on the command line (not from `ZEGO_REGION`).
    pub region_on_command_line: bool,
    /// `zego sim --app APP_ID:SECRET` was typed (not from `ZEGO_SIM_APPS`).
    pub sim_apps_on_command_line: bool,
    /// `zego sim --callback-secret` was typed (not from `ZEGO_SIM_CALLBACK_SECRET`).
    pub sim_callback_secret_on_command_line: bool,
}

/// Everything a command needs to reach ZEGO, resolved.
#[derive(Debug)]
pub struct Settings {
    app_id: Result<AppId, String>,
    secret: Result<ServerSecret, String>,
    /// Endpoint and environment.
    pub config: Config,
    /// Warnings to show on stderr (never containing the secret).
    pub warnings: Vec<String>,
    /// The fleet's Redis coordinator, when the command joins one.
    pub coordinator: Option<std::sync::Arc<zego_redis::RedisCoordinator>>,
    /// The fleet's Redis URL (`--redis` / `ZEGO_REDIS_URL` over the profile's `redis`): the
    /// ban store lives there too.
    pub redis_url: Option<RedisUrl>,
    /// The quotas to pace to: ZEGO's, raised by the profile's `[quotas]` and `--quota`.
    pub quotas: zego_proto::admission::Quotas,
    config_path: Option<PathBuf>,
}

impl Settings {
    /// The credentials, or a usage error saying how to provide them.
    pub fn credentials(&self) -> Result<Credentials, CliError> {
        self.app_id
            .clone()
            .and_then(|app_id| Ok(Credentials::from_parts(app_id, self.secret.clone()?)))
            .map_err(|message| self.how_to_set(message))
    }

    /// The AppId alone (what naming the app's ban store needs), or a usage error saying how
    /// to provide it.
    pub fn app_id(&self) -> Result<AppId, CliError> {
        self.app_id
            .clone()
            .map_err(|message| self.how_to_set(message))
    }

    /// The ServerSecret alone (what reading a token needs: the token holds its AppId), or
    /// a usage error saying how to provide it.
    pub fn server_secret(&self) -> Result<ServerSecret, CliError> {
        self.secret
            .clone()
            .map_err(|message| self.how_to_set(message))
    }

    /// The directory of the config file in use (`--config`, else `<config dir>/zego`), where
    /// the CLI keeps its own files (the embedded ban stores).
    pub fn config_dir(&self) -> Option<&Path> {
        self.config_path.as_deref().and_then(Path::parent)
    }

    fn how_to_set(&self, message: String) -> CliError {
        let where_ = self.config_path.as_ref().map_or_else(
            || "a profile in the config file (--config)".to_owned(),
            |p| format!("a [profiles.NAME] table in {}", p.display()),
        );
        CliError::usage(
                message,
                format!("set ZEGO_APP_ID and ZEGO_SERVER_SECRET (or ZEGO_SERVER_SECRET_FILE), or add app_id and server_secret (or server_secret_file) to {where_}"),
            )
    }
}

/// The default config file path: `<config dir>/zego/config.toml`.
pub fn default_config_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("zego").join("config.toml"))
}

/// A Redis URL, which may hold a password: its `Debug` never shows it.
#[derive(Clone)]
pub struct RedisUrl(String);

impl RedisUrl {
    /// The URL itself, to connect with (never to print).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisUrl(<redacted>)")
    }
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
    let app_id = resolve_app_id(global, &profile);
    let secret = resolve_secret(global, &profile, secret_from_file);
    let endpoint = resolve_endpoint(global, sources, &profile, &mut warnings)?;
    let environment = if global.test_env || profile.test_env.unwrap_or(false) {
        Environment::Test
    } else {
        Environment::Production
    };
    let quotas = resolve_quotas(global, &profile)?;
    let coordinator = resolve_redis(global, &profile, quotas)?;
    let redis_url = global
        .redis
        .clone()
        .or_else(|| profile.redis.clone())
        .map(RedisUrl);
    Ok(Settings {
        app_id,
        secret,
        config: Config::new(endpoint).with_environment(environment),
        warnings,
        coordinator,
        redis_url,
        quotas,
        config_path: path,
    })
}

/// ZEGO's quotas, raised by the profile's `[quotas]` table, then by each `--quota`; an
/// unknown group or a zero in the profile is a usage error naming it (`--quota` is checked
/// by clap).
fn resolve_quotas(
    global: &GlobalArgs,
    profile: &Profile,
) -> Result<zego_proto::admission::Quotas, CliError> {
    use zego_proto::admission::{QuotaSetting, Quotas};
    let mut settings = Vec::new();
    for (group, per_second) in profile.quotas.iter().flatten() {
        settings.push(QuotaSetting::new(group, *per_second).map_err(|e| {
            CliError::usage(
                format!("profile [quotas]: {e}"),
                "fix the profile's quotas table: GROUP = N with N at least 1 (see zego --help, --quota)",
            )
        })?);
    }
    settings.extend(global.quota.iter().copied());
    let mut quotas = Quotas::default();
    for setting in settings {
        for environment in [Environment::Production, Environment::Test] {
            quotas.set(setting.group, environment, setting.per_second);
        }
    }
    Ok(quotas)
}

/// `--redis` / `ZEGO_REDIS_URL` over the profile's `redis`; a URL that cannot be used is a
/// usage error naming the problem (never the password).
/// `--redis` / `ZEGO_REDIS_URL` over the profile's `redis`; a URL that cannot be used, and a
/// Redis that refuses the configuration (wrong password or user, a missing ACL permission,
/// something other than Redis at the address), is a usage error naming the problem (never
/// the password). An unreachable Redis is not: the failure policy admits until it answers.
fn resolve_redis(
    global: &GlobalArgs,
    profile: &Profile,
    quotas: zego_proto::admission::Quotas,
) -> Result<Option<std::sync::Arc<zego_redis::RedisCoordinator>>, CliError> {
    let Some(url) = global.redis.as_deref().or(profile.redis.as_deref()) else {
        return Ok(None);
    };
    let fleet_size = global.fleet_size.or(profile.fleet_size).unwrap_or(1);
    let coordinator = zego_redis::RedisCoordinator::builder(url)
        .map_err(redis_config_error)?
        .fleet_size(fleet_size)
        .quotas(quotas)
        .connect()
        .map_err(redis_config_error)?;
    Ok(Some(std::sync::Arc::new(coordinator)))
}

/// A Redis URL or server that is misconfigured (bad URL, wrong password or ACL, unknown
/// master): a usage error (exit 2) with a hint, never the password. One place for the
/// coordinator's and the ban store's Redis.
#[allow(clippy::needless_pass_by_value)] // The shape `map_err` takes.
pub(crate) fn redis_config_error(e: zego_redis::RedisConfigError) -> CliError {
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
            zego_redis::RedisConfigError::Tls { .. } => {
                "point SSL_CERT_FILE or SSL_CERT_DIR at the CA that signed Redis's certificate, and check that the certificate names the address dialled (for Sentinel and Cluster: the addresses they announce)"
            }
            _ => "give --redis / ZEGO_REDIS_URL as redis://[:PASSWORD@]HOST[:PORT][/DB], redis+sentinel://[:PASSWORD@]H1:P1,H2:P2/MASTER[/DB] or redis+cluster://[:PASSWORD@]H1:P1,H2:P2 (rediss, rediss+sentinel, rediss+cluster over TLS)",
        };
    CliError::usage(e.to_string(), hint)
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
    let bytes = read_regular(path, MAX_SECRET_FILE_BYTES)
        .map_err(|e| CliError::usage(format!("the ServerSecret file: {e}"), hint))?;
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

fn resolve_app_id(global: &GlobalArgs, profile: &Profile) -> Result<AppId, String> {
    let app_id = match (&global.app_id, &profile.app_id) {
        (Some(flag), _) => flag.clone(),
        (None, Some(p)) => p.as_text(),
        (None, None) => return Err("no AppId: ZEGO_APP_ID is not set".into()),
    };
    app_id
        .parse()
        .map_err(|e| format!("invalid AppId {app_id:?}: {e}"))
}

fn resolve_secret(
    global: &GlobalArgs,
    profile: &Profile,
    secret_from_file: Option<String>,
) -> Result<ServerSecret, String> {
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
    ServerSecret::new(secret.trim()).map_err(|e| format!("invalid ServerSecret: {e}"))
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
    // The command line wins over the environment; at the same level a region wins
    // over an endpoint (as in `zego_proto::env`).
    let region = global
        .region
        .as_ref()
        .filter(|_| sources.region_on_command_line || !sources.endpoint_on_command_line);
    if let Some(region) = region {
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
    let text = read_config_file(path)?;
    let mut file = parse_config(&text).map_err(|message| {
        CliError::usage(
            format!("config file {}: {message}", path.display()),
            "fix the file: it holds [profiles.NAME] tables with app_id, server_secret, server_secret_file, endpoint, region, allow_insecure_http, test_env, redis, fleet_size, quotas",
        )
    })?;
    let known: Vec<String> = file.profiles.keys().cloned().collect();
    match file.profiles.remove(name) {
        Some(profile) => {
            if let Some(n) = profile.fleet_size {
                check_fleet_size(n).map_err(|e| {
                    CliError::usage(
                        format!(
                            "config file {}: profile {name:?}: fleet_size = {n}: {e}",
                            path.display()
                        ),
                        "fix fleet_size in the profile (or give --fleet-size)",
                    )
                })?;
            }
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

/// How many instances may share a quota, from `--fleet-size` or a profile's `fleet_size`.
pub const FLEET_SIZES: std::ops::RangeInclusive<u32> = 1..=10_000;

/// The one check of a fleet size, wherever it comes from.
pub fn check_fleet_size(n: u32) -> Result<u32, String> {
    if FLEET_SIZES.contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "{n} is not in {}..={} (instances sharing the quota)",
            FLEET_SIZES.start(),
            FLEET_SIZES.end()
        ))
    }
}

/// `--fleet-size` as clap parses it: a number, then [`check_fleet_size`].
pub fn parse_fleet_size(text: &str) -> Result<u32, String> {
    let n = text
        .trim()
        .parse::<u32>()
        .map_err(|e| format!("{text:?} is not a number of instances: {e}"))?;
    check_fleet_size(n)
}

/// The most a config file may hold: a few profiles take a few hundred bytes.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// The most a ServerSecret file may hold: the secret is 32 characters.
pub const MAX_SECRET_FILE_BYTES: u64 = 4096;

/// Reads the config file (a regular file, at most [`MAX_CONFIG_BYTES`]) as text.
pub fn read_config_file(path: &Path) -> Result<String, CliError> {
    let hint = "check the file's permissions, or point --config elsewhere";
    let bytes = read_regular(path, MAX_CONFIG_BYTES)
        .map_err(|e| CliError::usage(format!("config file: {e}"), hint))?;
    String::from_utf8(bytes).map_err(|_| {
        CliError::usage(
            format!("config file {} is not UTF-8 text", path.display()),
            hint,
        )
    })
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
