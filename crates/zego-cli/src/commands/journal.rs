//! `--journal`: the file side of `zego_proto::bulk::journal` (whose docs give the format).
//! The input is identified by the SHA-256 of the file's bytes (and of the positional IDs),
//! read once in a streaming pass before the run.

use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use zego_proto::bulk::journal::{record_line, Journal, JournalHeader};
use zego_proto::bulk::BatchOutcome;

use crate::exit::CliError;

/// `sha256:<hex>` of the positional IDs and the file's bytes.
pub fn input_digest(args: &[String], file: &Path) -> Result<String, CliError> {
    let mut hasher = Sha256::new();
    for id in args {
        hasher.update(id.as_bytes());
        hasher.update(b"\n");
    }
    hasher.update(b"\0file\0");
    let mut reader = File::open(file).map(BufReader::new).map_err(|e| {
        CliError::usage(
            format!("cannot open {}: {e}", file.display()),
            "check the path given to --from-file",
        )
    })?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(|e| {
            CliError::usage(
                format!("cannot read {}: {e}", file.display()),
                "check the file",
            )
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", hex_lower(&hasher.finalize())))
}

fn hex_lower(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// An open journal: what it says is done, and the file to append to.
pub struct OpenJournal {
    /// The batches already done.
    pub done: Journal,
    file: Arc<Mutex<File>>,
}

impl OpenJournal {
    /// Opens (or creates) the journal at `path` for a run with `header`; a journal of
    /// another run is a usage error.
    pub fn open(path: &Path, header: &JournalHeader) -> Result<Self, CliError> {
        let usage = |what: String| {
            CliError::usage(
                what,
                "give the journal of this very command (same action, AppId, input file and batch size), or a new path",
            )
        };
        let done = match File::open(path) {
            Ok(f) => Journal::read(BufReader::new(f), header)
                .map_err(|e| usage(format!("{}: {e}", path.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Journal::default(),
            Err(e) => return Err(usage(format!("cannot read {}: {e}", path.display()))),
        };
        let mut file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
        if !done.has_header() {
            writeln!(file, "{}", header.to_line())
                .map_err(|e| usage(format!("cannot write {}: {e}", path.display())))?;
        }
        Ok(Self {
            done,
            file: Arc::new(Mutex::new(file)),
        })
    }

    /// Appends a batch's outcome: one `write` of one line, straight to the OS, so a SIGKILL
    /// loses at most the batches still in flight.
    pub fn recorder(&self) -> impl Fn(&BatchOutcome) + Send + Sync + 'static {
        let file = Arc::clone(&self.file);
        move |outcome| {
            let mut line = record_line(outcome);
            line.push('\n');
            let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
            if let Err(e) = file.write_all(line.as_bytes()) {
                tracing::warn!(error = %e, "the journal could not be written");
            }
        }
    }
}
