//! Stream IDs from the command line and a file or stdin, read lazily line by line.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use crate::exit::CliError;

/// A read error met while iterating, kept for after the run.
pub type ReadErrorSlot = Arc<Mutex<Option<String>>>;

/// The stream IDs of a bulk command: the positional ones, then the file's, one line at a
/// time (only the current line is held in memory).
pub struct IdSource {
    args: std::vec::IntoIter<String>,
    lines: Option<Box<dyn BufRead + Send>>,
    source_name: String,
    line_no: usize,
    buf: String,
    error: ReadErrorSlot,
}

impl IdSource {
    /// IDs from `args`, then from `file` (`-` for stdin). Opening the file is checked now.
    pub fn new(args: Vec<String>, file: Option<&Path>) -> Result<Self, CliError> {
        let (lines, source_name): (Option<Box<dyn BufRead + Send>>, String) = match file {
            None => (None, String::new()),
            Some(p) if p.as_os_str() == "-" => (
                Some(Box::new(BufReader::new(std::io::stdin()))),
                "stdin".into(),
            ),
            Some(p) => {
                let f = File::open(p).map_err(|e| {
                    CliError::usage(
                        format!("cannot open {}: {e}", p.display()),
                        "check the path given to --from-file (use - for stdin)",
                    )
                })?;
                (
                    Some(Box::new(BufReader::with_capacity(64 * 1024, f))),
                    p.display().to_string(),
                )
            }
        };
        Ok(Self::from_parts(args, lines, source_name))
    }

    fn from_parts(
        args: Vec<String>,
        lines: Option<Box<dyn BufRead + Send>>,
        source_name: String,
    ) -> Self {
        Self {
            args: args.into_iter(),
            lines,
            source_name,
            line_no: 0,
            buf: String::new(),
            error: Arc::default(),
        }
    }

    /// Where a read error, if any, is left once iteration stops.
    pub fn error_slot(&self) -> ReadErrorSlot {
        self.error.clone()
    }

    /// Takes the read error out of a slot.
    pub fn take_error(slot: &ReadErrorSlot) -> Option<String> {
        slot.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// The ID on a line: trimmed; `None` for blank lines and `#` comments.
pub fn id_of_line(line: &str) -> Option<&str> {
    let id = line.trim();
    (!id.is_empty() && !id.starts_with('#')).then_some(id)
}

impl Iterator for IdSource {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if let Some(id) = self.args.next() {
            return Some(id);
        }
        let reader = self.lines.as_mut()?;
        loop {
            self.buf.clear();
            self.line_no += 1;
            match reader.read_line(&mut self.buf) {
                Ok(0) => {
                    self.lines = None;
                    return None;
                }
                Ok(_) => {
                    if let Some(id) = id_of_line(&self.buf) {
                        return Some(id.to_owned());
                    }
                }
                Err(e) => {
                    *self.error.lock().unwrap_or_else(PoisonError::into_inner) = Some(format!(
                        "reading {} stopped at line {}: {e}",
                        self.source_name, self.line_no
                    ));
                    self.lines = None;
                    return None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_lines_and_comments_are_skipped() {
        assert_eq!(id_of_line("  s1 \n"), Some("s1"));
        assert_eq!(id_of_line("\n"), None);
        assert_eq!(id_of_line("  # note"), None);
    }

    /// An endless stream of lines: only a lazy reader can take a few IDs from it.
    struct Endless(u64);

    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0 += 1;
            let line = format!("id-{}\n# comment\n\n", self.0);
            let n = line.len().min(buf.len());
            buf[..n].copy_from_slice(&line.as_bytes()[..n]);
            Ok(n)
        }
    }

    #[test]
    fn reading_is_lazy() {
        let reader: Box<dyn BufRead + Send> = Box::new(BufReader::new(Endless(0)));
        let ids: Vec<String> = IdSource::from_parts(vec![], Some(reader), "endless".into())
            .take(3)
            .collect();
        assert_eq!(ids, ["id-1", "id-2", "id-3"]);
    }

    #[test]
    fn reads_args_then_file() {
        let dir = std::env::temp_dir().join(format!("zego-cli-ids-{}", std::process::id()));
        std::fs::write(&dir, "a\n\n# c\n b \r\nc").unwrap();
        let ids: Vec<String> = IdSource::new(vec!["x".into()], Some(&dir))
            .unwrap()
            .collect();
        assert_eq!(ids, ["x", "a", "b", "c"]);
        let _ = std::fs::remove_file(dir);
    }
}
