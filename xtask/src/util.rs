//! Running commands: the workspace root, cargo, argument parsing, echoing, teeing.

use std::ffi::OsStr;
use std::fmt::{self, Write as _};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// An error with a message for the maintainer.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    pub fn msg(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Self(e.to_string())
    }
}

pub type Result<T = ()> = std::result::Result<T, Error>;

/// The workspace root (the parent of `xtask/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ lives inside the workspace")
        .to_path_buf()
}

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => root().join(dir),
        None => root().join("target"),
    }
}

/// A `cargo` command run from the workspace root, with the cargo that runs the xtask.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(args).current_dir(root());
    cmd
}

/// The command line as a maintainer would type it (environment overrides first).
pub fn show(cmd: &Command) -> String {
    let mut out = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(value) = value {
            let _ = write!(
                out,
                "{}={} ",
                key.to_string_lossy(),
                value.to_string_lossy()
            );
        }
    }
    let program = Path::new(cmd.get_program());
    let program = if program.file_stem() == Some(OsStr::new("cargo")) {
        "cargo".into()
    } else {
        program.to_string_lossy()
    };
    out.push_str(&program);
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains([' ', '"', '\'']) {
            let _ = write!(out, " '{arg}'");
        } else {
            out.push(' ');
            out.push_str(&arg);
        }
    }
    out
}

/// Echoes and runs `cmd` with inherited output; an error names the command and its status.
pub fn run(cmd: &mut Command) -> Result {
    let shown = show(cmd);
    eprintln!("$ {shown}");
    let status = cmd
        .status()
        .map_err(|e| Error::msg(format!("could not start `{shown}`: {e}")))?;
    check(status, &shown)
}

/// Whether `cmd` runs and exits successfully, with its output hidden.
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn check(status: ExitStatus, shown: &str) -> Result {
    if status.success() {
        Ok(())
    } else {
        Err(Error::msg(format!("`{shown}` failed ({status})")))
    }
}

/// Which output stream of a child to copy and keep.
#[derive(Clone, Copy)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Echoes and runs `cmd`, copying the lines of `stream` that `show_line` accepts through to
/// ours and returning all its lines with the exit status (the other stream is inherited).
pub fn run_tee(
    cmd: &mut Command,
    stream: Stream,
    show_line: impl Fn(&str) -> bool,
) -> Result<(ExitStatus, Vec<String>)> {
    let shown = show(cmd);
    eprintln!("$ {shown}");
    match stream {
        Stream::Stdout => cmd.stdout(Stdio::piped()),
        Stream::Stderr => cmd.stderr(Stdio::piped()),
    };
    let mut child = cmd
        .spawn()
        .map_err(|e| Error::msg(format!("could not start `{shown}`: {e}")))?;
    let pipe: Box<dyn Read> = match stream {
        Stream::Stdout => Box::new(child.stdout.take().expect("stdout is piped")),
        Stream::Stderr => Box::new(child.stderr.take().expect("stderr is piped")),
    };
    let mut lines = Vec::new();
    for line in BufReader::new(pipe).split(b'\n') {
        let line = String::from_utf8_lossy(&line?).into_owned();
        if !show_line(&line) {
            lines.push(line);
            continue;
        }
        match stream {
            Stream::Stdout => writeln!(std::io::stdout(), "{line}")?,
            Stream::Stderr => writeln!(std::io::stderr(), "{line}")?,
        }
        lines.push(line);
    }
    Ok((child.wait()?, lines))
}

/// Turns a failed status from [`run_tee`] into an error naming the command.
pub fn check_status(status: ExitStatus, cmd: &Command) -> Result {
    check(status, &show(cmd))
}

/// `1m 05s` / `12.3s`.
pub fn human_duration(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 60 {
        format!("{}m {:02}s", secs / 60, secs % 60)
    } else {
        format!("{:.1}s", d.as_secs_f64())
    }
}

/// Times `f`.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// Hand-rolled flag parsing: `--flag`, `--key N` / `--key=N`, and positionals.
pub struct Args<'a> {
    rest: std::slice::Iter<'a, String>,
    task: &'static str,
}

/// One parsed argument.
pub enum Arg<'a> {
    Flag(&'a str, Option<&'a str>),
    Positional(&'a str),
}

impl<'a> Args<'a> {
    pub fn new(task: &'static str, args: &'a [String]) -> Self {
        Self {
            rest: args.iter(),
            task,
        }
    }

    /// The value of a `--key N` flag, from `--key=N` or the next argument.
    pub fn value<T: std::str::FromStr>(&mut self, flag: &str, inline: Option<&str>) -> Result<T> {
        let raw = match inline {
            Some(v) => v,
            None => self
                .rest
                .next()
                .map(String::as_str)
                .ok_or_else(|| self.error(format!("{flag} needs a value")))?,
        };
        raw.parse()
            .map_err(|_| self.error(format!("invalid value for {flag}: `{raw}`")))
    }

    /// A number of seconds: at least 1 (libFuzzer reads `-max_total_time=0` as "forever").
    pub fn seconds(&mut self, flag: &str, inline: Option<&str>) -> Result<u64> {
        match self.value(flag, inline)? {
            0 => Err(self.error(format!("{flag} must be at least 1"))),
            n => Ok(n),
        }
    }

    pub fn error(&self, message: impl fmt::Display) -> Error {
        Error::msg(format!(
            "cargo xtask {}: {message} (see `cargo xtask help`)",
            self.task
        ))
    }
}

impl<'a> Iterator for Args<'a> {
    type Item = Arg<'a>;

    fn next(&mut self) -> Option<Arg<'a>> {
        let arg = self.rest.next()?;
        Some(match arg.strip_prefix("--") {
            Some(flag) => match flag.split_once('=') {
                Some((name, value)) => Arg::Flag(name, Some(value)),
                None => Arg::Flag(flag, None),
            },
            None => Arg::Positional(arg),
        })
    }
}
