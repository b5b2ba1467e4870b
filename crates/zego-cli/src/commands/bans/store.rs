//! Where the bans live: the one place that chooses the store.

use std::path::{Path, PathBuf};

use zego_moderation::{SqliteStore, Store};

use crate::cli::BanStoreArgs;
use crate::commands::Ctx;
use crate::exit::CliError;

/// The store the command works on, and what to call it in messages (never a password).
pub struct OpenStore {
    /// The store.
    pub store: Box<dyn Store>,
    /// `SQLite PATH` or `Redis`.
    pub description: String,
}

/// The embedded store's file name for an app: one file per AppId, so two apps configured on
/// one machine never share bans.
fn file_name(app_id: zego_proto::AppId) -> String {
    format!("bans-{app_id}.sqlite3")
}

/// Opens the store: Redis when `--redis` / `ZEGO_REDIS_URL` or the profile's `redis` is set
/// (resolved the way the coordinator's URL is), else the embedded SQLite file named by
/// `--bans-store` / `ZEGO_BANS_STORE`, else `bans-<AppId>.sqlite3` beside the config file.
pub fn open_store(ctx: &Ctx<'_>, args: &BanStoreArgs) -> Result<OpenStore, CliError> {
    if let Some(url) = &ctx.settings.redis_url {
        if args.bans_store.is_some() {
            return Err(CliError::usage(
                "--bans-store names the embedded store, but --redis (or ZEGO_REDIS_URL, or the profile's redis) puts the bans in Redis",
                "give one of them: the fleet's bans live in its Redis",
            ));
        }
        return open_redis(url.expose(), ctx.settings.app_id()?);
    }
    let path = match &args.bans_store {
        Some(path) => path.clone(),
        None => default_path(ctx)?,
    };
    open_sqlite(&path)
}

/// The fleet's store: the same Redis the coordinator uses, keys hash-tagged by AppId.
fn open_redis(url: &str, app_id: zego_proto::AppId) -> Result<OpenStore, CliError> {
    let store = zego_moderation::RedisStore::builder(url, app_id)
        .map_err(crate::config::redis_config_error)?
        .connect()
        .map_err(crate::config::redis_config_error)?;
    Ok(OpenStore {
        store: Box::new(store),
        // Never the URL: it may hold a password.
        description: "Redis".into(),
    })
}

fn default_path(ctx: &Ctx<'_>) -> Result<PathBuf, CliError> {
    let app_id = ctx.settings.app_id()?;
    let dir = ctx.settings.config_dir().ok_or_else(|| {
        CliError::usage(
            "no config directory on this system to keep the ban store in",
            "give --bans-store PATH (or ZEGO_BANS_STORE)",
        )
    })?;
    Ok(dir.join(file_name(app_id)))
}

fn open_sqlite(path: &Path) -> Result<OpenStore, CliError> {
    let hint = "check that the directory exists and is writable, or give another --bans-store PATH";
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| CliError::Failed {
            message: format!(
                "cannot create the ban store's directory {}: {e}",
                dir.display()
            ),
            hint: hint.into(),
        })?;
    }
    let store = SqliteStore::open(path).map_err(|e| CliError::Failed {
        message: format!("cannot open the ban store {}: {e}", path.display()),
        hint: hint.into(),
    })?;
    Ok(OpenStore {
        store: Box::new(store),
        description: format!("SQLite {}", path.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_file_per_app() {
        assert_eq!(file_name(zego_proto::AppId::new(42)), "bans-42.sqlite3");
    }
}
