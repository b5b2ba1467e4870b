//! The journal of a bulk run: one JSON line per finished batch, appended as it finishes,
//! so that a run killed halfway (even by SIGKILL) can be run again with the same journal
//! and skip what is done. Sans-IO: it reads and writes the lines; opening, appending and
//! flushing the file is the caller's (the `zego` CLI's `--journal`).
//!
//! # Format
//!
//! UTF-8 JSON lines. The first line is the header, which a resumed run must match:
//!
//! ```text
//! {"zego_journal":1,"action":"ForbidRTCStreams","app_id":1234567890,"environment":"production","input":"sha256:…","batch_size":20}
//! ```
//!
//! then one line per finished batch (in completion order), `batch` being its index among
//! the run's batches — the same for the same input and batch size, which is why the header
//! names both:
//!
//! ```text
//! {"batch":0,"ok":true,"streams":20}
//! {"batch":3,"ok":false,"streams":20,"code":30006}
//! ```
//!
//! A resumed run skips the batches with an `"ok":true` line and sends every other one
//! (failed, in flight when the run died, or never started). A line without its newline
//! (cut short by a kill or a full disk) is ignored whatever it holds, and so is a last line
//! that does not parse (a record an older version glued onto a torn one); any other line
//! that does not parse is an error. [`Journal::intact_len`] says where the intact part
//! ends: a writer cuts the rest off before appending, so that no record is ever glued onto
//! a torn one (the file side is the `zego-journal` crate).

use std::collections::HashSet;
use std::fmt;
use std::io::BufRead;

use serde::{Deserialize, Serialize};

use super::options::BatchOutcome;
use super::BulkAction;
use crate::config::Environment;
use crate::credentials::AppId;

/// The format version written in the header.
pub const VERSION: u32 = 1;

/// What a journal belongs to: a resumed run must match it field for field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// The format version ([`VERSION`]).
    pub zego_journal: u32,
    /// The action's name (`ForbidRTCStreams` / `ResumeRTCStreams`).
    pub action: String,
    /// The AppId.
    pub app_id: u32,
    /// `production` or `test`.
    pub environment: String,
    /// What identifies the input (the CLI writes `sha256:<hex>` of the file).
    pub input: String,
    /// Streams per batch (batch indices depend on it).
    pub batch_size: usize,
}

impl JournalHeader {
    /// The header of a run.
    ///
    /// ```
    /// use zego_proto::bulk::journal::JournalHeader;
    /// use zego_proto::{AppId, Environment, bulk::BulkAction};
    /// let header = JournalHeader::new(BulkAction::Forbid, AppId::new(7), Environment::Production, "sha256:ab", 20);
    /// assert_eq!(header.to_line(), r#"{"zego_journal":1,"action":"ForbidRTCStreams","app_id":7,"environment":"production","input":"sha256:ab","batch_size":20}"#);
    /// ```
    pub fn new(
        action: BulkAction,
        app_id: AppId,
        environment: Environment,
        input: impl Into<String>,
        batch_size: usize,
    ) -> Self {
        Self {
            zego_journal: VERSION,
            action: action.action().to_owned(),
            app_id: app_id.get(),
            environment: if environment.is_test() {
                "test"
            } else {
                "production"
            }
            .to_owned(),
            input: input.into(),
            batch_size,
        }
    }

    /// The header as its JSON line (without the newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The first field that differs from `other`, with both values.
    fn mismatch(&self, other: &Self) -> Option<(&'static str, String, String)> {
        let fields: [(&'static str, String, String); 6] = [
            (
                "format version",
                self.zego_journal.to_string(),
                other.zego_journal.to_string(),
            ),
            ("action", self.action.clone(), other.action.clone()),
            ("AppId", self.app_id.to_string(), other.app_id.to_string()),
            (
                "environment",
                self.environment.clone(),
                other.environment.clone(),
            ),
            ("input", self.input.clone(), other.input.clone()),
            (
                "batch size",
                self.batch_size.to_string(),
                other.batch_size.to_string(),
            ),
        ];
        fields.into_iter().find(|(_, a, b)| a != b)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Record {
    batch: usize,
    ok: bool,
    streams: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<i64>,
}

/// The line recording a finished batch (without the newline).
///
/// ```
/// use zego_proto::bulk::{journal, BatchOutcome};
/// let line = journal::record_line(&BatchOutcome::new(4, vec!["a".into(), "b".into()], 1, Ok(())));
/// assert_eq!(line, r#"{"batch":4,"ok":true,"streams":2}"#);
/// ```
pub fn record_line(outcome: &BatchOutcome) -> String {
    let record = Record {
        batch: outcome.index,
        ok: outcome.is_ok(),
        streams: outcome.stream_ids.len(),
        code: outcome
            .result
            .as_ref()
            .err()
            .and_then(crate::CallError::code)
            .map(crate::ReturnCode::code),
    };
    serde_json::to_string(&record).unwrap_or_default()
}

/// A journal that cannot be used for this run.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalError {
    /// It was written by another run: another action, AppId, environment, input or batch
    /// size.
    Mismatch {
        /// The field that differs.
        field: &'static str,
        /// Its value in the journal.
        journal: String,
        /// Its value for this run.
        expected: String,
    },
    /// A line (1-based) that is not part of a journal.
    Corrupt {
        /// The line number.
        line: usize,
    },
    /// It could not be read.
    Io(String),
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Mismatch {
                field,
                journal,
                expected,
            } => write!(
                f,
                "the journal belongs to another run: its {field} is {journal:?}, this run's is {expected:?}"
            ),
            Self::Corrupt { line } => write!(f, "line {line} of the journal is not a journal record"),
            Self::Io(e) => write!(f, "the journal could not be read: {e}"),
        }
    }
}

impl std::error::Error for JournalError {}

/// What a journal says is done.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Journal {
    done: HashSet<usize>,
    has_header: bool,
    intact_len: u64,
}

impl Journal {
    /// Reads a journal (empty: a new one) and checks that it belongs to `expected`.
    ///
    /// ```
    /// use zego_proto::bulk::journal::{Journal, JournalHeader};
    /// use zego_proto::{AppId, Environment, bulk::BulkAction};
    /// let header = JournalHeader::new(BulkAction::Forbid, AppId::new(7), Environment::Production, "sha256:ab", 20);
    /// let text = format!("{}\n{}\n{}\n{{\"batch\":2,\"o", header.to_line(),
    ///     r#"{"batch":0,"ok":true,"streams":20}"#, r#"{"batch":1,"ok":false,"streams":20,"code":1}"#);
    /// let journal = Journal::read(text.as_bytes(), &header)?;
    /// assert!(journal.is_done(0) && !journal.is_done(1) && !journal.is_done(2));
    /// let other = JournalHeader::new(BulkAction::Resume, AppId::new(7), Environment::Production, "sha256:ab", 20);
    /// assert!(Journal::read(text.as_bytes(), &other).is_err());
    /// # Ok::<(), zego_proto::bulk::journal::JournalError>(())
    /// ```
    pub fn read(mut reader: impl BufRead, expected: &JournalHeader) -> Result<Self, JournalError> {
        let io = |e: std::io::Error| JournalError::Io(e.to_string());
        let mut journal = Self::default();
        let mut line = Vec::new();
        let mut number = 0;
        loop {
            line.clear();
            let read = reader.read_until(b'\n', &mut line).map_err(io)?;
            if read == 0 {
                break;
            }
            number += 1;
            // A line without its newline was cut short: that batch is sent again.
            let Some(text) = line.strip_suffix(b"\n") else {
                break;
            };
            let last = reader.fill_buf().map_err(io)?.is_empty();
            let text = String::from_utf8_lossy(text);
            if text.trim().is_empty() {
                journal.intact_len += read as u64;
                continue;
            }
            if !journal.has_header {
                let header: JournalHeader = serde_json::from_str(&text)
                    .map_err(|_| JournalError::Corrupt { line: number })?;
                if let Some((field, journal, expected)) = header.mismatch(expected) {
                    return Err(JournalError::Mismatch {
                        field,
                        journal,
                        expected,
                    });
                }
                journal.has_header = true;
                journal.intact_len += read as u64;
                continue;
            }
            match serde_json::from_str::<Record>(&text) {
                Ok(record) => {
                    if record.ok {
                        journal.done.insert(record.batch);
                    }
                    journal.intact_len += read as u64;
                }
                // A record an older version glued onto a torn one: that batch is sent again.
                Err(_) if last => {}
                Err(_) => return Err(JournalError::Corrupt { line: number }),
            }
        }
        Ok(journal)
    }

    /// The length in bytes of the journal's intact part: whole lines, each header, record
    /// or blank. What follows (a line cut short, or a bad last line) is not part of the
    /// journal, and a writer cuts it off before appending.
    ///
    /// ```
    /// use zego_proto::bulk::journal::{Journal, JournalHeader};
    /// use zego_proto::{bulk::BulkAction, AppId, Environment};
    /// let header = JournalHeader::new(BulkAction::Forbid, AppId::new(7), Environment::Production, "sha256:ab", 20);
    /// let intact = format!("{}\n{}\n", header.to_line(), r#"{"batch":0,"ok":true,"streams":20}"#);
    /// let torn = format!("{intact}{}", r#"{"batch":1,"ok":true,"st"#);
    /// let journal = Journal::read(torn.as_bytes(), &header)?;
    /// assert_eq!(journal.intact_len(), intact.len() as u64);
    /// # Ok::<(), zego_proto::bulk::journal::JournalError>(())
    /// ```
    pub fn intact_len(&self) -> u64 {
        self.intact_len
    }

    /// Whether the journal already has its header (else the caller writes one).
    pub fn has_header(&self) -> bool {
        self.has_header
    }

    /// Whether the batch at `index` is done.
    pub fn is_done(&self, index: usize) -> bool {
        self.done.contains(&index)
    }

    /// How many batches are done.
    pub fn done_batches(&self) -> usize {
        self.done.len()
    }
}
