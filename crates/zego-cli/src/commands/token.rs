//! `zego token`: make a Token04 login token for a user, or inspect one.

use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use serde_json::{json, Value};
use zego_proto::token::{
    decode_token, DecodedToken, RoomPrivilege, TokenError, TokenLayout, TokenRequest,
};

use super::{now_unix_millis, Ctx};
use crate::duration::{format_unix, parse_secs};
use crate::exit::CliError;

/// `zego token`: the options of making a token, or the `inspect` subcommand.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct TokenArgs {
    /// Read a token instead of making one.
    #[command(subcommand)]
    pub command: Option<TokenCommand>,
    /// The options of making a token.
    #[command(flatten)]
    pub make: MakeTokenArgs,
}

/// The subcommands of `zego token`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print what a token says (it needs the ServerSecret that made it).
    Inspect {
        /// The token (starting with 04).
        #[arg(value_name = "TOKEN")]
        token: String,
    },
}

/// What token to make.
#[derive(Debug, Args)]
pub struct MakeTokenArgs {
    /// The user the token is for (at most 64 bytes).
    #[arg(long, value_name = "USER_ID", required = true)]
    pub user_id: Option<String>,
    /// How long the token is valid: seconds or e.g. 90s, 30m, 1h, 1d (at most 30 days).
    #[arg(long, value_name = "DURATION", value_parser = parse_secs, required = true)]
    pub ttl: Option<u64>,
    /// Make a privilege token for this room.
    #[arg(long, value_name = "ROOM_ID")]
    pub room_id: Option<String>,
    /// What the privilege token allows in the room (repeat, or comma-separated) [default: login].
    #[arg(
        long,
        value_name = "PRIVILEGE",
        value_enum,
        value_delimiter = ',',
        requires = "room_id"
    )]
    pub privilege: Vec<PrivilegeArg>,
    /// Only these streams may be published (repeat for several; needs --privilege publish).
    #[arg(long, value_name = "STREAM_ID", requires = "room_id")]
    pub stream_id: Vec<String>,
}

/// A room privilege of a privilege token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PrivilegeArg {
    /// Log into the room (ZEGO's privilege 1).
    Login,
    /// Publish streams in the room (ZEGO's privilege 2).
    Publish,
}

/// Runs `zego token ...`.
pub fn run(ctx: &Ctx<'_>, args: &TokenArgs) -> Result<(), CliError> {
    match &args.command {
        Some(TokenCommand::Inspect { token }) => inspect(ctx, token),
        None => make(ctx, &args.make),
    }
}

fn make(ctx: &Ctx<'_>, args: &MakeTokenArgs) -> Result<(), CliError> {
    // clap requires both; an absent one here would be a bug in the declaration above.
    let (Some(user_id), Some(ttl)) = (&args.user_id, args.ttl) else {
        return Err(CliError::usage(
            "--user-id and --ttl are required",
            "e.g. zego token --user-id alice --ttl 1h",
        ));
    };
    let mut request = TokenRequest::new(user_id.as_str(), Duration::from_secs(ttl))?;
    if let Some(room_id) = &args.room_id {
        request = request.privilege(room_privilege(room_id, args)?);
    }
    let credentials = ctx.credentials()?;
    let now = now_unix_millis() / 1000;
    // The nonces come from the operating system's RNG, never from the command line.
    let token = request
        .generate_with_os_random(&credentials, now)
        .map_err(|e| match e {
            TokenError::Secret(invalid) => CliError::from(invalid),
            other => CliError::usage(other.to_string(), "the OS random source failed: retry"),
        })?;
    ctx.out.result(
        || token.clone(),
        || {
            json!({
                "ok": true,
                "token": token,
                "app_id": credentials.app_id().get(),
                "user_id": request.user_id(),
                "ctime": now,
                "expire": now.saturating_add(ttl),
            })
        },
    );
    Ok(())
}

fn room_privilege(room_id: &str, args: &MakeTokenArgs) -> Result<RoomPrivilege, CliError> {
    let chosen = if args.privilege.is_empty() {
        &[PrivilegeArg::Login][..]
    } else {
        &args.privilege[..]
    };
    let publish = chosen.contains(&PrivilegeArg::Publish);
    let mut privilege = RoomPrivilege::new(room_id)?
        .login(chosen.contains(&PrivilegeArg::Login))
        .publish(publish);
    if !args.stream_id.is_empty() {
        if !publish {
            return Err(CliError::usage(
                "--stream-id limits publishing, but the token does not allow publishing",
                "add --privilege publish (e.g. --privilege login,publish)",
            ));
        }
        privilege = privilege.streams(args.stream_id.iter().cloned())?;
    }
    Ok(privilege)
}

fn inspect(ctx: &Ctx<'_>, token: &str) -> Result<(), CliError> {
    // The token holds its AppId: only the secret is needed to open it.
    let secret = ctx.server_secret()?;
    let decoded = decode_token(token, &secret).map_err(|e| {
        CliError::usage(
            e.to_string(),
            "check the token, and that ZEGO_SERVER_SECRET is the secret of the AppId that made it",
        )
    })?;
    if let Ok(credentials) = ctx.credentials() {
        if decoded.app_id != credentials.app_id().get() {
            ctx.out.warn(format!(
                "the token was made for AppId {}, not the configured AppId {}",
                decoded.app_id,
                credentials.app_id()
            ));
        }
    }
    let now = now_unix_millis() / 1000;
    ctx.out
        .result(|| human(&decoded, now), || to_json(&decoded, now));
    Ok(())
}

fn layout_name(layout: TokenLayout) -> &'static str {
    match layout {
        TokenLayout::LegacyCbc => "legacy-cbc",
        _ => "gcm",
    }
}

fn allow(allowed: bool) -> &'static str {
    if allowed {
        "allowed"
    } else {
        "denied"
    }
}

fn human(token: &DecodedToken, now: u64) -> String {
    let state = if token.is_expired_at(now) {
        "expired"
    } else {
        "valid"
    };
    let mut lines = vec![
        format!("layout:   {}", layout_name(token.layout)),
        format!("app_id:   {}", token.app_id),
        format!("user_id:  {}", token.user_id),
        format!("nonce:    {}", token.nonce),
        format!("ctime:    {} ({})", token.ctime, format_unix(token.ctime)),
        format!(
            "expire:   {} ({}, {state})",
            token.expire,
            format_unix(token.expire)
        ),
    ];
    match &token.privilege {
        Some(room) => {
            lines.push(format!("room_id:  {}", room.room_id()));
            lines.push(format!("login:    {}", allow(room.can_login())));
            lines.push(format!("publish:  {}", allow(room.can_publish())));
            lines.push(format!(
                "streams:  {}",
                room.stream_ids()
                    .map_or_else(|| "any".to_owned(), |ids| ids.join(", "))
            ));
        }
        None if token.payload.is_empty() => lines.push("payload:  none (a basic token)".into()),
        None => lines.push(format!("payload:  {}", token.payload)),
    }
    lines.join("\n")
}

fn to_json(token: &DecodedToken, now: u64) -> Value {
    let privilege = token.privilege.as_ref().map(|room| {
        json!({
            "room_id": room.room_id(),
            "login": room.can_login(),
            "publish": room.can_publish(),
            "stream_ids": room.stream_ids(),
        })
    });
    json!({
        "ok": true,
        "layout": layout_name(token.layout),
        "app_id": token.app_id,
        "user_id": token.user_id,
        "nonce": token.nonce,
        "ctime": token.ctime,
        "expire": token.expire,
        "expired": token.is_expired_at(now),
        "payload": token.payload,
        "privilege": privilege,
    })
}
