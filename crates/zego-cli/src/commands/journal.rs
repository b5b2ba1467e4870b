//! `--journal`: a [`zego_journal::JournalFile`] (format in `zego_proto::bulk::journal`),
//! its errors as the command's. The input is identified by the SHA-256 of the positional
//! IDs and the file's bytes, read once in a streaming pass before the run.

use std::path::Path;

use zego_journal::{JournalFile, OpenError};
use zego_proto::bulk::journal::JournalHeader;

use crate::exit::CliError;

/// `sha256:<hex>` of the positional IDs and the file's bytes.
pub fn input_digest(args: &[String], file: &Path) -> Result<String, CliError> {
    zego_journal::input_digest(args, file)
        .map_err(|e| CliError::usage(e.to_string(), "check the path given to --from-file"))
}

/// Opens (or creates) the journal at `path` for a run with `header` and locks it; a
/// journal of another run, one in use by another run, or a path that cannot hold a journal
/// is a usage error (exit 2).
pub fn open(path: &Path, header: &JournalHeader) -> Result<JournalFile, CliError> {
    JournalFile::open(path, header).map_err(|e| {
        let hint = match &e {
            OpenError::Locked { .. } => {
                "wait for that run to end (two runs on one journal would send everything twice), or give another path"
            }
            OpenError::File(_) => "give --journal the path of a regular file (it is created if missing)",
            _ => "give the journal of this very command (same action, AppId, input file and batch size), or a new path",
        };
        CliError::usage(e.to_string(), hint)
    })
}
