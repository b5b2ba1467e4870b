//! `zego configure`: writes or updates a profile of the config file, and `--list` shows
//! the profiles (never a secret).
//!
//! On a terminal the answers are prompted for on stderr, the ServerSecret without echo.
//! Otherwise (a pipe, a script) the answers are read from stdin, one line each in the
//! order AppId, ServerSecret, region or endpoint; an empty line or the end of input keeps
//! the current value. The file is edited in place: other profiles, other keys and
//! comments are kept; it is written with mode 0600.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use toml_edit::{DocumentMut, Item, TableLike};
use zego_proto::{AppId, Endpoint, Region, ServerSecret};

use crate::cli::{ConfigureArgs, GlobalArgs};
use crate::config::{default_config_path, DEFAULT_PROFILE};
use crate::exit::CliError;
use crate::output::Output;

/// Runs `zego configure`.
pub fn run(global: &GlobalArgs, out: Output, args: &ConfigureArgs) -> Result<(), CliError> {
    let path = global
        .config
        .clone()
        .or_else(default_config_path)
        .ok_or_else(|| {
            CliError::usage(
                "no config directory on this system",
                "give the config file with --config PATH or ZEGO_CONFIG",
            )
        })?;
    if args.list {
        return list(&path, out);
    }
    let name = global.profile.as_deref().unwrap_or(DEFAULT_PROFILE);
    if name.trim().is_empty() {
        return Err(CliError::usage(
            "the profile name is empty",
            "give --profile NAME",
        ));
    }
    let mut doc = load(&path)?;
    let stdin = std::io::stdin();
    let mut answers: Box<dyn Answers> = if stdin.is_terminal() {
        Box::new(Terminal)
    } else {
        Box::new(Lines(stdin.lock()))
    };
    let changes = ask(&doc, name, answers.as_mut())?;
    apply(&mut doc, name, changes)?;
    write(&path, &doc.to_string())?;
    out.result(
        || format!("profile {name:?} saved to {}", path.display()),
        || json!({ "ok": true, "profile": name, "config": path.display().to_string() }),
    );
    Ok(())
}

/// Where the answers come from.
trait Answers {
    /// One answer (trimmed; empty keeps the current value).
    fn line(&mut self, prompt: &str) -> Result<String, CliError>;
    /// The ServerSecret: without echo on a terminal.
    fn secret(&mut self, prompt: &str) -> Result<String, CliError>;
}

/// A terminal: prompts on stderr, the secret read from the terminal without echo.
struct Terminal;

impl Answers for Terminal {
    fn line(&mut self, prompt: &str) -> Result<String, CliError> {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "{prompt}").and_then(|()| err.flush());
        read_line(&mut std::io::stdin().lock())
    }

    fn secret(&mut self, prompt: &str) -> Result<String, CliError> {
        rpassword::prompt_password(prompt)
            .map(|s| s.trim().to_owned())
            .map_err(|e| {
                CliError::usage(
                    format!("cannot read the ServerSecret from the terminal: {e}"),
                    "pipe the answers in on stdin instead, one per line",
                )
            })
    }
}

/// Not a terminal: one answer per line of stdin, the secret too.
struct Lines<R>(R);

impl<R: BufRead> Answers for Lines<R> {
    fn line(&mut self, prompt: &str) -> Result<String, CliError> {
        crate::output::write_stderr(prompt);
        read_line(&mut self.0)
    }

    fn secret(&mut self, prompt: &str) -> Result<String, CliError> {
        self.line(prompt)
    }
}

fn read_line(input: &mut impl BufRead) -> Result<String, CliError> {
    let mut line = String::new();
    input.read_line(&mut line).map_err(|e| {
        CliError::usage(
            format!("cannot read the answer from stdin: {e}"),
            "give one answer per line",
        )
    })?;
    Ok(line.trim().to_owned())
}

/// What to change in the profile.
#[derive(Default)]
struct Changes {
    app_id: Option<u32>,
    secret: Option<String>,
    place: Option<Place>,
}

/// Where requests go: a region or a custom endpoint (one replaces the other).
enum Place {
    Region(Region),
    Endpoint(String),
}

fn ask(doc: &DocumentMut, name: &str, answers: &mut dyn Answers) -> Result<Changes, CliError> {
    let profile = profile_of(doc, name);
    let get = |key: &str| profile.and_then(|p| p.get(key)).and_then(Item::as_value);
    let current_app_id = get("app_id").map(value_text);
    let secret_state = secret_state(profile);
    let current_place = get("region")
        .and_then(|v| v.as_str())
        .or_else(|| get("endpoint").and_then(|v| v.as_str()))
        .map(str::to_owned);

    let mut changes = Changes::default();
    let answer = answers.line(&format!("AppId{}: ", shown(current_app_id.as_deref())))?;
    if answer.is_empty() {
        if current_app_id.is_none() {
            return Err(CliError::usage(
                "AppId: no value given and the profile has none",
                "type the AppId, a decimal number",
            ));
        }
    } else {
        let app_id: AppId = answer.parse().map_err(|e| {
            CliError::usage(
                format!("invalid AppId: {e}"),
                "type the AppId, a decimal number from 1 to 4294967295",
            )
        })?;
        changes.app_id = Some(app_id.get());
    }

    let shown_secret = match secret_state {
        "set" => " [(set)]",
        "file" => " [(file)]",
        _ => "",
    };
    let answer = answers.secret(&format!("ServerSecret{shown_secret}: "))?;
    if answer.is_empty() {
        if secret_state == "missing" {
            return Err(CliError::usage(
                "ServerSecret: no value given and the profile has none",
                "type the ServerSecret issued with the AppId",
            ));
        }
    } else {
        // The error names the problem, never the value.
        ServerSecret::new(answer.as_str()).map_err(|e| {
            CliError::usage(
                format!("invalid ServerSecret: {e}"),
                "type the ServerSecret issued with the AppId",
            )
        })?;
        changes.secret = Some(answer);
    }

    let codes: Vec<&str> = Region::ALL.iter().map(|r| r.code()).collect();
    let answer = answers.line(&format!(
        "Region ({}) or endpoint URL, optional{}: ",
        codes.join("|"),
        shown(current_place.as_deref())
    ))?;
    if !answer.is_empty() {
        changes.place = Some(parse_place(&answer, &codes)?);
    }
    Ok(changes)
}

fn parse_place(answer: &str, codes: &[&str]) -> Result<Place, CliError> {
    if answer.contains("://") {
        Endpoint::custom(answer).map_err(|e| {
            CliError::usage(
                format!("invalid endpoint: {e}"),
                "give a base URL like https://rtc-api.zego.im or http://127.0.0.1:8080",
            )
        })?;
        return Ok(Place::Endpoint(answer.to_owned()));
    }
    answer.parse::<Region>().map(Place::Region).map_err(|e| {
        CliError::usage(
            format!("invalid region: {e}"),
            format!(
                "give one of {}, or an endpoint URL such as http://127.0.0.1:8080",
                codes.join(", ")
            ),
        )
    })
}

/// ` [current]`, or nothing.
fn shown(current: Option<&str>) -> String {
    current.map_or_else(String::new, |c| format!(" [{c}]"))
}

fn apply(doc: &mut DocumentMut, name: &str, changes: Changes) -> Result<(), CliError> {
    let not_a_table = |what: String| {
        CliError::usage(
            format!("the config file's {what} is not a table"),
            "fix the file: it holds [profiles.NAME] tables",
        )
    };
    let profiles = doc
        .entry("profiles")
        .or_insert_with(|| {
            let mut t = toml_edit::Table::new();
            t.set_implicit(true);
            Item::Table(t)
        })
        .as_table_like_mut()
        .ok_or_else(|| not_a_table("profiles".into()))?;
    let profile = profiles
        .entry(name)
        .or_insert_with(toml_edit::table)
        .as_table_like_mut()
        .ok_or_else(|| not_a_table(format!("profiles.{name}")))?;
    if let Some(app_id) = changes.app_id {
        profile.insert("app_id", toml_edit::value(i64::from(app_id)));
    }
    if let Some(secret) = changes.secret {
        profile.insert("server_secret", toml_edit::value(secret));
    }
    match changes.place {
        Some(Place::Region(region)) => {
            profile.remove("endpoint");
            profile.insert("region", toml_edit::value(region.code()));
        }
        Some(Place::Endpoint(url)) => {
            profile.remove("region");
            profile.insert("endpoint", toml_edit::value(url));
        }
        None => {}
    }
    Ok(())
}

/// The file as an editable document (empty when it does not exist yet).
fn load(path: &Path) -> Result<DocumentMut, CliError> {
    let text = if path.exists() {
        crate::config::read_config_file(path)?
    } else {
        String::new()
    };
    // The message and line only: TOML's own rendering quotes the line, maybe the secret.
    text.parse::<DocumentMut>().map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        let message = e.message().trim().to_owned();
        CliError::usage(
            match line {
                Some(line) => format!("config file {}: line {line}: {message}", path.display()),
                None => format!("config file {}: {message}", path.display()),
            },
            "fix the file: it holds [profiles.NAME] tables",
        )
    })
}

/// Writes the file with mode 0600 (through a temporary file renamed over it), creating
/// its directory if needed.
fn write(path: &Path, text: &str) -> Result<(), CliError> {
    let fail = |e: std::io::Error| {
        CliError::usage(
            format!("cannot write config file {}: {e}", path.display()),
            "check the directory's permissions, or point --config elsewhere",
        )
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let file_name = path.file_name().map_or_else(
        || "config.toml".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    let tmp = dir.join(format!(".{file_name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(fail)
}

fn profile_of<'a>(doc: &'a DocumentMut, name: &str) -> Option<&'a dyn TableLike> {
    doc.get("profiles")?
        .as_table_like()?
        .get(name)?
        .as_table_like()
}

/// `set`, `file` or `missing`: where the profile's ServerSecret is, never what.
fn secret_state(profile: Option<&dyn TableLike>) -> &'static str {
    match profile {
        Some(p) if p.contains_key("server_secret") => "set",
        Some(p) if p.contains_key("server_secret_file") => "file",
        _ => "missing",
    }
}

/// A value as plain text (strings unquoted).
fn value_text(value: &toml_edit::Value) -> String {
    value
        .as_str()
        .map_or_else(|| value.to_string().trim().to_owned(), str::to_owned)
}

/// `zego configure --list`: one line per profile, or one JSON document; never a secret.
fn list(path: &Path, out: Output) -> Result<(), CliError> {
    let doc = load(path)?;
    let mut lines = Vec::new();
    let mut profiles = Vec::new();
    if let Some(table) = doc.get("profiles").and_then(Item::as_table_like) {
        for (name, item) in table.iter() {
            let Some(profile) = item.as_table_like() else {
                continue;
            };
            let get = |key: &str| profile.get(key).and_then(Item::as_value).map(value_text);
            let app_id = get("app_id");
            let region = get("region");
            let endpoint = get("endpoint");
            let secret = secret_state(Some(profile));
            let place = match (&region, &endpoint) {
                (Some(r), _) => format!("region={r}"),
                (None, Some(e)) => format!("endpoint={e}"),
                (None, None) => "endpoint=(default)".to_owned(),
            };
            lines.push(format!(
                "{name} app_id={} {place} secret={secret}",
                app_id.as_deref().unwrap_or("(none)")
            ));
            profiles.push(json!({
                "name": name,
                "app_id": app_id,
                "region": region,
                "endpoint": endpoint,
                "secret": secret,
            }));
        }
    }
    if lines.is_empty() && !out.json {
        out.note(format!("no profiles in {}", path.display()));
        return Ok(());
    }
    out.result(
        || lines.join("\n"),
        || {
            json!({
                "ok": true,
                "config": path.display().to_string(),
                "profiles": Value::Array(profiles),
            })
        },
    );
    Ok(())
}
