//! Rendering: human text or one JSON document per command on stdout; notes and errors on
//! stderr.

use std::io::{IsTerminal, Write};

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
            eprintln!("{}", text.as_ref());
        }
    }

    /// A warning on stderr; hidden by `-q`.
    pub fn warn(self, text: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("warning: {}", text.as_ref());
        }
    }

    /// Reports a failed command: a JSON document on stdout, or `error:` and `hint:` lines
    /// on stderr.
    pub fn error(self, error: &CliError) {
        if matches!(
            error,
            CliError::Partial { .. } | CliError::Interrupted { .. }
        ) {
            // The result (summary and failures) was printed already.
            return;
        }
        if self.json {
            write_stdout(&serde_json::json!({ "ok": false, "error": error.to_json() }).to_string());
            return;
        }
        eprintln!("error: {error}");
        if let Some(hint) = error.hint() {
            eprintln!("  hint: {hint}");
        }
    }

    /// Whether a progress bar may be drawn: stderr is a terminal and output is for humans.
    pub fn progress_allowed(self) -> bool {
        !self.json && !self.quiet && std::io::stderr().is_terminal()
    }
}

/// Writes a line to stdout and flushes it; a closed pipe (`| head`) is not an error.
pub fn write_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Renders rows as an aligned text table with a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
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
}
