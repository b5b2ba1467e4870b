//! The file side of a resumable bulk run: the journal that records each finished batch
//! ([`JournalFile`]: create, lock, read, verify against the input, cut off a torn tail,
//! append one record per write), the input digest its header names ([`input_digest`]),
//! and the bounded read of a regular file that the `zego` command uses for every file it
//! is given ([`regular_file`]).
//!
//! The format itself (header, records, what a resumed run skips) is sans-IO and lives in
//! the core, `zego_proto::bulk::journal`; this crate opens, locks and writes the file.
//!
//! ```
//! use std::sync::Arc;
//! use zego_journal::JournalFile;
//! use zego_proto::bulk::journal::JournalHeader;
//! use zego_proto::bulk::{BulkAction, BulkOptions};
//! use zego_proto::{AppId, Environment};
//!
//! let dir = std::env::temp_dir();
//! let input = dir.join(format!("zego-journal-lib-{}.txt", std::process::id()));
//! std::fs::write(&input, "s1\ns2\n")?;
//! let path = dir.join(format!("zego-journal-lib-{}.journal", std::process::id()));
//! # let _ = std::fs::remove_file(&path);
//! let header = JournalHeader::new(
//!     BulkAction::Forbid, AppId::new(1234567890), Environment::Production,
//!     zego_journal::input_digest(&[], &input)?, 20,
//! );
//! let journal = Arc::new(JournalFile::open(&path, &header)?);
//! let mut options = BulkOptions::default().with_batch_size(20);
//! let done = Arc::clone(&journal);
//! options.skip = Some(Arc::new(move |batch| done.done().is_done(batch)));
//! let record = Arc::clone(&journal);
//! options.on_batch = Some(Arc::new(move |outcome| match record.append(outcome) {
//!     Ok(()) => std::ops::ControlFlow::Continue(()),
//!     // A run that cannot remember what it did must not go on.
//!     Err(_) => std::ops::ControlFlow::Break(()),
//! }));
//! // client.bulk(BulkAction::Forbid, ids, &options) ...
//! # drop((options, journal));
//! # std::fs::remove_file(&path)?;
//! # std::fs::remove_file(&input)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod digest;
mod journal_file;
pub mod regular_file;

pub use digest::input_digest;
pub use journal_file::{JournalFile, OpenError, WriteError, MAX_JOURNAL_BYTES};
