//! Rendering: human text or one JSON document per command on stdout; notes and errors on
//! stderr.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;

use crate::exit::CliError;

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// `--json`.
    pub json: bool,
    /// `-q`.
    pub quiet: bool,
}

impl Output {
    /// Prints a line of the human result on stdout (nothing in JSON mode).
    pub fn line(self, text: impl AsRef<str>) {
        if !self.json {
            write_stdout(text.as_ref());
        }
    }

    /// Prints the JSON document of a command (only in JSON mode).
    pub fn json(self, value: &Value) {
        if self.json {
            write_stdout(&value.to_string());
        }
    }

    /// Prints a human result or its JSON document.
    pub fn result(self, human: impl FnOnce() -> String, value: impl FnOnce() -> Value) {
        if self.json {
            self.json(&value());
        } else {
            self.line(human());
        }
    }

    /// A note on stderr (a RequestId, a summary detail); hidden by `-q`.
    pub fn note(self, text: impl AsRef<str>) {
        if !self.quiet {
            write_stderr(text.as_ref());
        }
    }

    /// A warning on stderr; hidden by `-q`.
    pub fn warn(self, text: impl AsRef<str>) {
        if !self.quiet {
            write_stderr(&format!("warning: {}", text.as_ref()));
        }
    }

    /// Reports a failed command: a JSON document on stdout, or `error:` and `hint:` lines
    /// on stderr.
    pub fn error(self, error: &CliError) {
        if matches!(
            error,
            CliError::Partial { .. } | CliError::Interrupted { .. } | CliError::Reported
        ) {
            // The result (summary and failures) was printed already.
            return;
        }
        if self.json && matches!(error, CliError::JournalWrite(_)) {
            // The run's one document says it (`"stopped": "journal_write_failed"`).
            return;
        }
        if self.json {
            write_stdout(&serde_json::json!({ "ok": false, "error": error.to_json() }).to_string());
            return;
        }
        write_stderr(&format!("error: {error}"));
        if let Some(hint) = error.hint() {
            write_stderr(&format!("  hint: {hint}"));
        }
    }

    /// Whether a progress bar may be drawn: stderr is a terminal and output is for humans.
    pub fn progress_allowed(self) -> bool {
        !self.json && !self.quiet && std::io::stderr().is_terminal()
    }
}

/// Set when a line could not be written to stdout (a full disk, not a closed pipe).
static STDOUT_FAILED: AtomicBool = AtomicBool::new(false);

/// Writes a line to stdout and flushes it; a closed pipe (`| head`) is not an error, any
/// other failure is remembered for [`stdout_failed`]. Control characters are escaped
/// (see [`terminal_safe`]) in human output; JSON escapes them itself.
pub fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{}", terminal_safe(text)).and_then(|()| out.flush());
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            STDOUT_FAILED.store(true, Ordering::Relaxed);
        }
    }
}

/// Whether some output was lost: the command's result did not reach stdout, so it must
/// not exit 0.
pub fn stdout_failed() -> bool {
    STDOUT_FAILED.load(Ordering::Relaxed)
}

/// Writes a line to stderr, control characters escaped. A stderr that cannot be written
/// (`2>/dev/full`) is ignored: the exit code still tells the outcome, and `eprintln!`
/// would panic.
pub fn write_stderr(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", terminal_safe(text)).and_then(|()| err.flush());
}

/// `text` with every control character but newline and tab written as an escape
/// (`\x1b`, `\u{9b}`), and the bidirectional overrides too: server-provided strings
/// (`RequestId`, `Message`, `Data`) must not drive the user's terminal.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    escape_where(text, |c| c != '\n' && c != '\t' && is_unsafe(c))
}

/// `text` as one table cell: like [`terminal_safe`], and a newline or tab is escaped too,
/// so a server string cannot forge rows.
fn cell_safe(text: &str) -> Cow<'_, str> {
    escape_where(text, is_unsafe)
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

fn escape_where(text: &str, escape: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !text.chars().any(&escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !escape(c) {
            out.push(c);
        } else if c.is_ascii() {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Renders rows as an aligned text table with a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|row| row.iter().map(|c| cell_safe(c).into_owned()).collect())
        .collect();
    let rows = &rows;
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let render = |cells: Vec<&str>| {
        let mut line = String::new();
        for (i, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            if i + 1 == cells.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(w - cell.chars().count() + 2));
            }
        }
        line.trim_end().to_owned()
    };
    let mut out = render(header.to_vec());
    for row in rows {
        out.push('\n');
        out.push_str(&render(row.iter().map(String::as_str).collect()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align() {
        let t = table(&["a", "bb"], &[vec!["xxx".into(), "y".into()]]);
        assert_eq!(t, "a    bb\nxxx  y");
    }

    #[test]
    fn server_strings_cannot_drive_the_terminal() {
        assert_eq!(terminal_safe("ok\tline\nnext"), "ok\tline\nnext");
        assert_eq!(
            terminal_safe("id\u{1b}]0;pwned\u{7}\u{9b}2J\u{202e}\0"),
            "id\\x1b]0;pwned\\x07\\u{9b}2J\\u{202e}\\x00"
        );
        let t = table(&["id"], &[vec!["a\nforged row\u{1b}[2J".into()]]);
        assert_eq!(t, "id\na\\x0aforged row\\x1b[2J");
    }
}
