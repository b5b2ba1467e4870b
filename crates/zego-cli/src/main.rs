//! `zego`: the ZEGO server API from the command line.
//!
//! Run `zego --help` for the commands, and `zego demo` for a guided tour against a
//! built-in simulator. This file only wires things together: parsing (`cli`), settings
//! (`config`), the commands (`commands`, `demo`), rendering (`output`) and exit codes
//! (`exit`).

mod cli;
mod commands;
mod config;
#[cfg(feature = "sim")]
mod demo;
mod duration;
mod exit;
mod ids;
mod output;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command};
use crate::commands::bulk::Direction;
use crate::commands::Ctx;
use crate::config::Sources;
use crate::exit::CliError;
use crate::output::Output;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let on_command_line = |id: &str| {
        // A global arg is recorded on the subcommand's matches when given after it; a
        // subcommand's own arg exists only on its matches (asking others would panic).
        let mut m = Some(&matches);
        while let Some(current) = m {
            if current.try_contains_id(id).is_ok()
                && current.value_source(id) == Some(ValueSource::CommandLine)
            {
                return true;
            }
            m = current.subcommand().map(|(_, sub)| sub);
        }
        false
    };
    let sources = Sources {
        secret_on_command_line: on_command_line("server_secret"),
        endpoint_on_command_line: on_command_line("endpoint"),
        region_on_command_line: on_command_line("region"),
        sim_apps_on_command_line: on_command_line("apps"),
        sim_callback_secret_on_command_line: on_command_line("callback_secret"),
    };
    let out = Output {
        json: cli.global.json,
        quiet: cli.global.quiet,
    };
    init_tracing(cli.global.verbose, cli.global.quiet);
    let result = refuse_ignored_global_options(&cli.command, &on_command_line)
        .and_then(|()| run(cli, sources, out));
    match result {
        Ok(()) if output::stdout_failed() => {
            output::write_stderr(
                "error: the result could not be written to stdout (is the disk full?); the command itself ran",
            );
            ExitCode::from(exit::OUTPUT_LOST)
        }
        Ok(()) => ExitCode::from(exit::OK),
        Err(error) => {
            out.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

fn run(cli: Cli, sources: Sources, out: Output) -> Result<(), CliError> {
    let global = &cli.global;
    match cli.command {
        // These need neither credentials nor a profile.
        #[cfg(feature = "sim")]
        Command::Demo => return demo::run(out),
        #[cfg(feature = "sim")]
        Command::Sim(args) => return commands::sim::run(out, &args, global, sources),
        Command::Completions { shell } => return print_completions(shell),
        Command::Man => return print_man_page(),
        Command::Configure(args) => return commands::configure::run(global, out, &args),
        _ => {}
    }
    if !global.dry_run {
        for (given, flag) in [
            (global.nonce.is_some(), "--nonce"),
            (global.timestamp.is_some(), "--timestamp"),
            (global.sequence.is_some(), "--sequence"),
        ] {
            if given {
                return Err(CliError::usage(
                    format!("{flag} only applies to --dry-run"),
                    "add --dry-run: real requests always get a fresh nonce, the current time and a fresh Sequence",
                ));
            }
        }
    }
    let settings = config::resolve(global, sources)?;
    for warning in &settings.warnings {
        out.warn(warning);
    }
    let ctx = Ctx::new(global, settings, out);
    match cli.command {
        Command::Forbid(args) => commands::bulk::run(&ctx, Direction::Forbid, args),
        Command::Resume(args) => commands::bulk::run(&ctx, Direction::Resume, args),
        Command::Rule(command) => commands::rule::run(&ctx, command),
        Command::Cdn(command) => commands::cdn::run(&ctx, command),
        Command::UserRule(command) => commands::user_rule::run(&ctx, command),
        Command::StreamState { stream_id } => commands::stream_state::run(&ctx, &stream_id),
        Command::Call(args) => commands::call::run(&ctx, &args),
        Command::Token(args) => commands::token::run(&ctx, &args),
        Command::Kick(args) => commands::moderation::kick(&ctx, &args),
        Command::Stream(command) => commands::moderation::stream(&ctx, command),
        Command::Users { room, user_ids } => commands::moderation::users(&ctx, &room, &user_ids),
        Command::Room(command) => commands::room::run(&ctx, command),
        Command::Ban(command) => commands::bans::ban(&ctx, command),
        Command::Unban(args) => commands::bans::unban(&ctx, &args),
        Command::Bans(command) => commands::bans::bans(&ctx, command),
        #[cfg(feature = "sim")]
        Command::Demo | Command::Sim(_) => Ok(()),
        Command::Completions { .. } | Command::Man | Command::Configure(_) => Ok(()),
    }
}

/// A command that runs no client (the simulator, the demo, generated files) refuses the
/// client's global options when they are typed, rather than ignoring them silently: `zego
/// --endpoint URL sim` or `zego sim --dry-run` would otherwise mislead. Environment
/// variables (an exported `ZEGO_ENDPOINT`) are not refused.
fn refuse_ignored_global_options(
    command: &Command,
    on_command_line: &dyn Fn(&str) -> bool,
) -> Result<(), CliError> {
    let (name, used): (&str, &[&str]) = match command {
        #[cfg(feature = "sim")]
        Command::Sim(_) => (
            "zego sim",
            &["json", "quiet", "verbose", "no_rate_limit", "quota"],
        ),
        #[cfg(feature = "sim")]
        Command::Demo => ("zego demo", &["json", "quiet", "verbose"]),
        Command::Completions { .. } => ("zego completions", &["quiet", "verbose"]),
        Command::Man => ("zego man", &["quiet", "verbose"]),
        _ => return Ok(()),
    };
    let cli = Cli::command();
    let ignored = cli
        .get_arguments()
        .filter(|a| a.is_global_set() && !used.contains(&a.get_id().as_str()))
        .find(|a| on_command_line(a.get_id().as_str()));
    match ignored {
        Some(arg) => Err(CliError::usage(
            format!(
                "{name} does not use --{}",
                arg.get_long().unwrap_or(arg.get_id().as_str())
            ),
            "leave it out: it configures a client (point one at the simulator with --endpoint)",
        )),
        None => Ok(()),
    }
}

/// `zego completions SHELL`: the completion script on stdout.
fn print_completions(shell: clap_complete::Shell) -> Result<(), CliError> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "zego", &mut script);
    write_all_stdout(&script)
}

/// `zego man`: the roff man page on stdout.
fn print_man_page() -> Result<(), CliError> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| {
            CliError::usage(
                format!("cannot render the man page: {e}"),
                "report this as a bug",
            )
        })?;
    write_all_stdout(&page)
}

/// Writes generated text to stdout; a closed pipe (`| head`) is not an error.
fn write_all_stdout(bytes: &[u8]) -> Result<(), CliError> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::usage(
            format!("cannot write to stdout: {e}"),
            "check where stdout goes",
        )),
        _ => Ok(()),
    }
}

/// Whether colour may be used on a stream: only on a terminal, and never with `NO_COLOR`
/// set to a non-empty value (<https://no-color.org>).
fn colour_allowed(stream_is_terminal: bool) -> bool {
    stream_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Logs to stderr: warnings by default, `-v` info, `-vv` debug, `-vvv` trace; `-q` errors.
fn init_tracing(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, 2) => tracing::Level::DEBUG,
        (false, _) => tracing::Level::TRACE,
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        // Its default reports a failed write with `eprintln!`, which panics on `2>/dev/full`.
        .log_internal_errors(false)
        .with_ansi(colour_allowed(std::io::stderr().is_terminal()))
        .try_init();
}
