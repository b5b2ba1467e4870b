//! Stream IDs from the command line and a file or stdin, read lazily line by line under
//! the input-file rules of spec §7: UTF-8, one ID per line; a UTF-8 byte-order mark is
//! skipped; a UTF-16/UTF-32 file (by its byte-order mark, or NUL bytes) is refused; CRLF is
//! a line end; a line longer than 4 KiB is an error, found without reading it whole. Each
//! ID is also checked by the core's stream-ID rule (length with the test prefix,
//! characters). Iteration stops at the first bad line and keeps what it knows (the error,
//! and the last ID read before it) for after the run.

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use zego_proto::ValidationError;

use crate::exit::CliError;

/// The longest line accepted, in bytes without its line end (no stream ID is longer
/// than 256 bytes; spec §7).
pub const MAX_LINE_BYTES: usize = 4096;

/// How much of a bad line an error message shows, at most (escaped).
const SHOWN_PREFIX_BYTES: usize = 40;

/// The UTF-8 byte-order mark, skipped at the start of the input.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The core's check of one stream ID (empty, length with the test prefix, characters).
pub type IdCheck = Box<dyn Fn(&str) -> Result<(), ValidationError> + Send>;

/// What `--from-file` names.
#[derive(Debug, Clone)]
pub enum InputFile {
    /// A regular file: it can be read twice, so it is validated whole before sending.
    Regular(PathBuf),
    /// Stdin (`-`), a pipe, a device: read once, as it comes; a bad line stops the run.
    Stream(Option<PathBuf>),
}

impl InputFile {
    /// Classifies the `--from-file` argument; a directory or a missing file is an error.
    pub fn classify(path: &Path) -> Result<Self, CliError> {
        if path.as_os_str() == "-" {
            return Ok(Self::Stream(None));
        }
        let meta = std::fs::metadata(path).map_err(|e| {
            CliError::usage(
                format!("cannot open {}: {e}", path.display()),
                "check the path given to --from-file (use - for stdin)",
            )
        })?;
        if meta.is_dir() {
            return Err(CliError::usage(
                format!(
                    "{} is a directory, not a file of stream IDs",
                    path.display()
                ),
                "give --from-file a file with one stream ID per line (or - for stdin)",
            ));
        }
        Ok(if meta.is_file() {
            Self::Regular(path.to_owned())
        } else {
            Self::Stream(Some(path.to_owned()))
        })
    }

    /// How messages name this input.
    pub fn name(&self) -> String {
        match self {
            Self::Regular(p) | Self::Stream(Some(p)) => p.display().to_string(),
            Self::Stream(None) => "stdin".into(),
        }
    }

    fn open(&self) -> Result<Box<dyn BufRead + Send>, CliError> {
        let path = match self {
            Self::Stream(None) => return Ok(Box::new(BufReader::new(std::io::stdin()))),
            Self::Regular(p) | Self::Stream(Some(p)) => p,
        };
        let file = File::open(path).map_err(|e| {
            CliError::usage(
                format!("cannot open {}: {e}", path.display()),
                "check the path given to --from-file (use - for stdin)",
            )
        })?;
        Ok(Box::new(BufReader::with_capacity(64 * 1024, file)))
    }
}

/// A bad line of the input: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    /// The input's name (`stdin` or the path).
    pub source: String,
    /// The 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} line {}: {}", self.source, self.line, self.message)
    }
}

/// What the reader knew when it stopped.
#[derive(Debug, Clone, Default)]
pub struct ReadState {
    /// The IDs read from the input (not counting the command line's), all handed on.
    pub ids_read: usize,
    /// The last of them, and its line.
    pub last: Option<(String, usize)>,
    /// The bad line that stopped the reading, if one did.
    pub error: Option<InputError>,
}

/// Where a reader leaves its [`ReadState`].
pub type ReadStateSlot = Arc<Mutex<ReadState>>;

/// Takes a copy of the state in a slot.
pub fn read_state(slot: &ReadStateSlot) -> ReadState {
    slot.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// How a line read by [`LineReader::read_bounded_line`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineEnd {
    /// At a `\n` (a CR before it is part of the line end: CRLF).
    Lf,
    /// At the end of the input, without a line end (a CR there is a lone CR).
    Eof,
    /// After `MAX_LINE_BYTES + 2` bytes, with no line end in sight.
    CutShort,
}

/// Lines of IDs under the rules of spec §7, holding at most one line (≤ 4 KiB) besides
/// the reader's buffer.
struct LineReader {
    reader: Box<dyn BufRead + Send>,
    source: String,
    line_no: usize,
    buf: Vec<u8>,
}

impl LineReader {
    fn new(reader: Box<dyn BufRead + Send>, source: String) -> Self {
        Self {
            reader,
            source,
            line_no: 0,
            buf: Vec::with_capacity(256),
        }
    }

    fn error(&self, message: impl Into<String>) -> InputError {
        InputError {
            source: self.source.clone(),
            line: self.line_no,
            message: message.into(),
        }
    }

    /// The next ID and its line number; `None` at the end. Blank lines and `#` comments
    /// are skipped.
    fn next_id(&mut self) -> Result<Option<(String, usize)>, InputError> {
        loop {
            self.line_no += 1;
            let end = match self.read_bounded_line() {
                Ok(None) => return Ok(None),
                Ok(Some(end)) => end,
                Err(e) => return Err(self.error(format!("cannot read: {e}"))),
            };
            if self.line_no == 1 {
                self.check_encoding_mark()?;
            }
            if let Some(at) = self.buf.iter().position(|&b| b == 0) {
                return Err(self.error(format!(
                    "NUL byte at byte {}: the input looks like UTF-16 or UTF-32 (or is not text); save it as UTF-8",
                    at + 1
                )));
            }
            // CRLF is a line end; a CR anywhere else is refused by the character check.
            if end == LineEnd::Lf && self.buf.last() == Some(&b'\r') {
                self.buf.pop();
            }
            if end == LineEnd::CutShort || self.buf.len() > MAX_LINE_BYTES {
                return Err(self.error(format!(
                    "longer than {MAX_LINE_BYTES} bytes (no stream ID is longer than 256); it starts with {}",
                    shown_prefix(&self.buf)
                )));
            }
            let text = std::str::from_utf8(&self.buf).map_err(|e| {
                self.error(format!(
                    "not UTF-8 (at byte {}): {}; save the file as UTF-8",
                    e.valid_up_to() + 1,
                    shown_prefix(&self.buf)
                ))
            })?;
            // Spaces and tabs around an ID are layout; anything else is the ID's.
            let id = text.trim_matches([' ', '\t']);
            if id.is_empty() || id.starts_with('#') {
                continue;
            }
            return Ok(Some((id.to_owned(), self.line_no)));
        }
    }

    /// A UTF-8 byte-order mark is dropped; a UTF-16/UTF-32 one refuses the input.
    fn check_encoding_mark(&mut self) -> Result<(), InputError> {
        if self.buf.starts_with(UTF8_BOM) {
            self.buf.drain(..UTF8_BOM.len());
        } else if self.buf.starts_with(b"\xFF\xFE") || self.buf.starts_with(b"\xFE\xFF") {
            return Err(self
                .error("the input starts with a UTF-16/UTF-32 byte-order mark; save it as UTF-8"));
        }
        Ok(())
    }

    /// Reads one line into `buf` without its `\n`, but never more than
    /// `MAX_LINE_BYTES + 2` bytes of it (room for a CR and one byte too many); `None` at
    /// the end of the input.
    fn read_bounded_line(&mut self) -> std::io::Result<Option<LineEnd>> {
        const CAP: usize = MAX_LINE_BYTES + 2;
        self.buf.clear();
        let mut any = false;
        loop {
            let available = match self.reader.fill_buf() {
                Ok(available) => available,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(any.then_some(LineEnd::Eof));
            }
            any = true;
            let room = CAP - self.buf.len();
            if let Some(end) = available.iter().take(room).position(|&b| b == b'\n') {
                self.buf.extend_from_slice(&available[..end]);
                self.reader.consume(end + 1);
                return Ok(Some(LineEnd::Lf));
            }
            let take = available.len().min(room);
            self.buf.extend_from_slice(&available[..take]);
            self.reader.consume(take);
            if self.buf.len() == CAP {
                return Ok(Some(LineEnd::CutShort));
            }
        }
    }
}

/// The first bytes of a line, escaped so that nothing reaches the terminal as is.
fn shown_prefix(bytes: &[u8]) -> String {
    let shown = &bytes[..bytes.len().min(SHOWN_PREFIX_BYTES)];
    let more = if bytes.len() > shown.len() { "…" } else { "" };
    format!("\"{}\"{more}", shown.escape_ascii())
}

/// The stream IDs of a bulk command: the positional ones, then the file's, one line at a
/// time. It stops at the first bad line, leaving the error in its [`ReadStateSlot`].
pub struct IdSource {
    args: std::vec::IntoIter<String>,
    lines: Option<LineReader>,
    check: IdCheck,
    state: ReadStateSlot,
}

impl IdSource {
    /// IDs from `args`, then from `file`; each of the file's is checked with `check`.
    /// Opening the file is checked now.
    pub fn new(
        args: Vec<String>,
        file: Option<&InputFile>,
        check: IdCheck,
    ) -> Result<Self, CliError> {
        let lines = match file {
            None => None,
            Some(file) => Some(LineReader::new(file.open()?, file.name())),
        };
        Ok(Self {
            args: args.into_iter(),
            lines,
            check,
            state: ReadStateSlot::default(),
        })
    }

    /// Where the reading state is left once iteration stops.
    pub fn state_slot(&self) -> ReadStateSlot {
        Arc::clone(&self.state)
    }

    fn stop(&mut self, error: InputError) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .error = Some(error);
        self.lines = None;
    }
}

impl Iterator for IdSource {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        if let Some(id) = self.args.next() {
            return Some(id);
        }
        let lines = self.lines.as_mut()?;
        match lines.next_id() {
            Ok(None) => {
                self.lines = None;
                None
            }
            Ok(Some((id, line))) => {
                if let Err(e) = (self.check)(&id) {
                    let error = lines.error(e.to_string());
                    self.stop(error);
                    return None;
                }
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                state.ids_read += 1;
                state.last = Some((id.clone(), line));
                Some(id)
            }
            Err(error) => {
                self.stop(error);
                None
            }
        }
    }
}

/// Reads a regular file whole, in one streaming pass (one line in memory at a time), and
/// checks every line, before anything is sent (issue 12 #3): a bad line anywhere is a
/// usage error naming it. Returns the number of IDs.
pub fn validate_file(file: &InputFile, check: IdCheck) -> Result<usize, CliError> {
    let mut source = IdSource::new(Vec::new(), Some(file), check)?;
    let count = source.by_ref().count();
    match read_state(&source.state).error {
        None => Ok(count),
        Some(error) => Err(CliError::usage(
            error.to_string(),
            "fix that line and run again; nothing was sent",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_id() -> IdCheck {
        Box::new(|_| Ok(()))
    }

    fn read(bytes: &[u8]) -> (Vec<String>, ReadState) {
        let mut reader =
            LineReader::new(Box::new(std::io::Cursor::new(bytes.to_vec())), "t".into());
        let mut ids = Vec::new();
        let mut state = ReadState::default();
        loop {
            match reader.next_id() {
                Ok(Some((id, _))) => ids.push(id),
                Ok(None) => break,
                Err(e) => {
                    state.error = Some(e);
                    break;
                }
            }
        }
        (ids, state)
    }

    fn error_of(bytes: &[u8]) -> InputError {
        read(bytes).1.error.expect("an error")
    }

    #[test]
    fn blank_lines_comments_crlf_and_spaces() {
        let (ids, state) = read(b"  s1 \n\n  # note\r\n\tb\t\r\nc");
        assert_eq!(ids, ["s1", "b", "c"]);
        assert!(state.error.is_none());
        // Only CRLF is a line end: a CR elsewhere, even last, stays for the ID check.
        assert_eq!(read(b"a\rb\r\n").0, ["a\rb"]);
        assert_eq!(read(b"a\nb\r").0, ["a", "b\r"]);
    }

    #[test]
    fn a_utf8_bom_is_skipped_and_a_utf16_one_refused() {
        assert_eq!(read(b"\xEF\xBB\xBFbom1\nbom2\n").0, ["bom1", "bom2"]);
        // A BOM later on is not a BOM: it stays in the ID for the character check.
        assert_eq!(read(b"a\n\xEF\xBB\xBFb\n").0, ["a", "\u{feff}b"]);
        for bom in [
            &b"\xFF\xFEa\0\n\0"[..],
            b"\xFE\xFF\0a\0\n",
            b"\xFF\xFE\0\0a\0\0\0",
        ] {
            let e = error_of(bom);
            assert_eq!(e.line, 1);
            assert!(e.message.contains("UTF-16/UTF-32 byte-order mark"), "{e}");
        }
    }

    #[test]
    fn nul_bytes_mean_utf16_without_bom() {
        let e = error_of(b"a\0b\0\n\0c\0\n\0");
        assert_eq!(e.line, 1);
        assert!(e.message.contains("NUL byte at byte 2"), "{e}");
    }

    #[test]
    fn long_lines_are_cut_without_reading_them_whole() {
        let ok = "x".repeat(MAX_LINE_BYTES);
        assert_eq!(
            read(format!("{ok}\r\n").as_bytes()).0,
            std::slice::from_ref(&ok)
        );
        let e = error_of(format!("a\n{ok}y\n").as_bytes());
        assert_eq!(e.line, 2);
        assert!(e.message.contains("longer than 4096 bytes"), "{e}");
        // The message shows a bounded, escaped prefix.
        assert!(
            e.message.ends_with(&format!("\"{}\"…", "x".repeat(40))),
            "{e}"
        );
    }

    /// An endless line of ESC bytes, counting what is read of it: the reader must give up
    /// after 4 KiB, and never hold more.
    struct Endless(Arc<std::sync::atomic::AtomicU64>);

    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0
                .fetch_add(buf.len() as u64, std::sync::atomic::Ordering::Relaxed);
            buf.fill(b'\x1b');
            Ok(buf.len())
        }
    }

    #[test]
    fn an_endless_line_is_an_error_after_a_bounded_read() {
        let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let reader = BufReader::with_capacity(8 * 1024, Endless(Arc::clone(&counter)));
        let mut lines = LineReader::new(Box::new(reader), "endless".into());
        let e = lines.next_id().unwrap_err();
        assert!(e.message.contains("longer than 4096"), "{e}");
        assert!(e.message.contains("\\x1b"), "escaped: {e}");
        assert!(!e.message.contains('\x1b'));
        assert!(counter.load(std::sync::atomic::Ordering::Relaxed) <= 16 * 1024);
        assert!(lines.buf.capacity() <= 2 * MAX_LINE_BYTES);
    }

    #[test]
    fn invalid_utf8_is_an_error_naming_the_byte() {
        let e = error_of(b"ok\nab\xFFc\n");
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not UTF-8 (at byte 3)"), "{e}");
        assert!(e.message.contains("\\xff"), "{e}");
    }

    /// An endless stream of lines: only a lazy reader can take a few IDs from it.
    struct EndlessLines(u64);

    impl std::io::Read for EndlessLines {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0 += 1;
            let line = format!("id-{}\n# comment\n\n", self.0);
            let n = line.len().min(buf.len());
            buf[..n].copy_from_slice(&line.as_bytes()[..n]);
            Ok(n)
        }
    }

    #[test]
    fn reading_is_lazy_and_stops_at_a_bad_id() {
        let mut source = IdSource {
            args: vec!["x".to_owned()].into_iter(),
            lines: Some(LineReader::new(
                Box::new(BufReader::new(EndlessLines(0))),
                "endless".into(),
            )),
            check: Box::new(|id| {
                if id == "id-4" {
                    Err(ValidationError::new(
                        "StreamId[]",
                        zego_proto::Problem::Empty,
                    ))
                } else {
                    Ok(())
                }
            }),
            state: ReadStateSlot::default(),
        };
        let ids: Vec<String> = source.by_ref().collect();
        assert_eq!(ids, ["x", "id-1", "id-2", "id-3"]);
        let state = read_state(&source.state);
        assert_eq!(state.ids_read, 3);
        assert_eq!(state.last, Some(("id-3".to_owned(), 7)));
        let error = state.error.unwrap();
        assert_eq!((error.source.as_str(), error.line), ("endless", 10));
    }

    #[test]
    fn reads_args_then_file() {
        let path = std::env::temp_dir().join(format!("zego-cli-ids-{}", std::process::id()));
        std::fs::write(&path, "a\n\n# c\n b \r\nc").unwrap();
        let file = InputFile::classify(&path).unwrap();
        assert!(matches!(file, InputFile::Regular(_)));
        let ids: Vec<String> = IdSource::new(vec!["x".into()], Some(&file), any_id())
            .unwrap()
            .collect();
        assert_eq!(ids, ["x", "a", "b", "c"]);
        assert_eq!(validate_file(&file, any_id()).unwrap(), 3);
        let _ = std::fs::remove_file(path);
        let dir = InputFile::classify(&std::env::temp_dir()).unwrap_err();
        assert!(dir.to_string().contains("is a directory"), "{dir}");
    }
}
