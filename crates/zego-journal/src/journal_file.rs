//! A journal file: opened (or created) for one run, locked against any other, its torn
//! tail cut off, then appended to one record at a time.

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use zego_proto::bulk::journal::{record_line, Journal, JournalError, JournalHeader};
use zego_proto::bulk::BatchOutcome;

use crate::regular_file::{check_regular, read_open, FileError};

/// The largest journal read back: about 1.5 million batch records (30 million streams at
/// 20 per batch). A larger file is not a journal this crate wrote.
pub const MAX_JOURNAL_BYTES: u64 = 64 * 1024 * 1024;

/// Why a journal could not be opened for a run.
#[non_exhaustive]
#[derive(Debug)]
pub enum OpenError {
    /// The path cannot hold a journal (a FIFO, a device, too large, unreadable, ...).
    File(FileError),
    /// Another process holds the journal's lock: another run is using it now.
    Locked {
        /// The journal.
        path: PathBuf,
        /// The holder's process ID, as it wrote it in the `.pid` file next to the journal.
        pid: Option<u32>,
    },
    /// The journal belongs to another run, or a line of it is not a journal record.
    Journal {
        /// The journal.
        path: PathBuf,
        /// What is wrong with it.
        error: JournalError,
    },
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(e) => e.fmt(f),
            Self::Locked { path, pid } => {
                write!(f, "{} is in use by another run", path.display())?;
                match pid {
                    Some(pid) => write!(f, " (process {pid})"),
                    None => Ok(()),
                }
            }
            Self::Journal { path, error } => write!(f, "{}: {error}", path.display()),
        }
    }
}

impl std::error::Error for OpenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::File(e) => Some(e),
            Self::Journal { error, .. } => Some(error),
            Self::Locked { .. } => None,
        }
    }
}

impl From<FileError> for OpenError {
    fn from(e: FileError) -> Self {
        Self::File(e)
    }
}

/// A record could not be written: the journal no longer says what the run did, so the run
/// must stop. Every later append fails with the same error (a record after a partly written
/// one would be glued onto it); the next [`JournalFile::open`] cuts the torn record off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteError {
    path: PathBuf,
    message: String,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the journal {} could not be written: {}",
            self.path.display(),
            self.message
        )
    }
}

impl std::error::Error for WriteError {}

/// Appends records to a writer, one `write_all` of one whole line each, and refuses every
/// append after the first that failed.
#[derive(Debug)]
struct Appender<W> {
    writer: W,
    path: PathBuf,
    failed: Option<WriteError>,
}

impl<W: Write> Appender<W> {
    fn append(&mut self, line: &str) -> Result<(), WriteError> {
        if let Some(failed) = &self.failed {
            return Err(failed.clone());
        }
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        self.writer
            .write_all(&bytes)
            .and_then(|()| self.writer.flush())
            .map_err(|e| {
                let error = WriteError {
                    path: self.path.clone(),
                    message: e.to_string(),
                };
                self.failed = Some(error.clone());
                error
            })
    }
}

/// The journal of one bulk run, opened for it: what it says is done, and the file, locked
/// for this process until it is dropped.
///
/// ```
/// use zego_journal::JournalFile;
/// use zego_proto::bulk::journal::JournalHeader;
/// use zego_proto::bulk::BatchOutcome;
/// use zego_proto::bulk::BulkAction;
/// use zego_proto::{AppId, Environment};
///
/// let path = std::env::temp_dir().join(format!("zego-journal-doc-{}.journal", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let header = JournalHeader::new(BulkAction::Forbid, AppId::new(7), Environment::Production, "sha256:ab", 20);
/// let journal = JournalFile::open(&path, &header)?;
/// journal.append(&BatchOutcome::new(0, vec!["s1".into()], 1, Ok(())))?;
/// // A second run cannot use it while the first holds it.
/// assert!(JournalFile::open(&path, &header).is_err());
/// drop(journal);
/// // A resumed run skips batch 0.
/// assert!(JournalFile::open(&path, &header)?.done().is_done(0));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct JournalFile {
    done: Journal,
    appender: Mutex<Appender<File>>,
    // Dropped after the file, so after the lock is released: it removes the `.pid` file
    // only while that still names this process, not a newcomer's.
    _pid_file: PidFile,
}

impl JournalFile {
    /// Opens the journal at `path` for a run with `header`, creating it if it does not
    /// exist: refuses a path that is not a regular file, locks the file exclusively (another
    /// run holding it is [`OpenError::Locked`], with its process ID when known), reads it
    /// (at most [`MAX_JOURNAL_BYTES`]), checks that it belongs to this run, cuts off a torn
    /// tail, and writes the header to a new journal.
    pub fn open(path: &Path, header: &JournalHeader) -> Result<Self, OpenError> {
        match check_regular(path) {
            Ok(_) => {}
            Err(e) if e.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
        let io = |error| FileError::Io {
            path: path.to_owned(),
            error,
        };
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let pid_file = pid_file_of(path);
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(OpenError::Locked {
                    path: path.to_owned(),
                    pid: read_pid(&pid_file),
                })
            }
            Err(TryLockError::Error(e)) => return Err(io(e).into()),
        }
        let pid_file = PidFile::write(pid_file);
        let bytes = read_open(path, &file, MAX_JOURNAL_BYTES)?;
        let done = Journal::read(bytes.as_slice(), header).map_err(|error| OpenError::Journal {
            path: path.to_owned(),
            error,
        })?;
        if done.intact_len() < bytes.len() as u64 {
            file.set_len(done.intact_len()).map_err(io)?;
        }
        let mut appender = Appender {
            writer: file,
            path: path.to_owned(),
            failed: None,
        };
        if !done.has_header() {
            appender
                .append(&header.to_line())
                .map_err(|e| io(std::io::Error::other(e.message)))?;
        }
        Ok(Self {
            done,
            appender: Mutex::new(appender),
            _pid_file: pid_file,
        })
    }

    /// What the journal said was done when it was opened.
    pub fn done(&self) -> &Journal {
        &self.done
    }

    /// Appends a finished batch's record: one write of one line, straight to the OS, so
    /// that a killed process loses at most the batches still in flight. After a failed
    /// write, every append fails: stop the run.
    ///
    /// A batch whose outcome is unknown ([`BatchOutcome::is_unknown`]: it was out when an
    /// interrupted run stopped waiting, so ZEGO may or may not have applied it) is neither
    /// done nor failed: nothing is written, and a resumed run sends it again (forbid and
    /// resume are idempotent).
    pub fn append(&self, outcome: &BatchOutcome) -> Result<(), WriteError> {
        if outcome.is_unknown() {
            return Ok(());
        }
        self.appender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .append(&record_line(outcome))
    }
}

/// The `.pid` file next to a journal, naming the process that holds its lock. Only
/// informative (the lock is the journal's own): failing to write it refuses no run.
#[derive(Debug)]
struct PidFile(PathBuf);

impl PidFile {
    fn write(path: PathBuf) -> Self {
        let _ = std::fs::write(&path, format!("{}\n", std::process::id()));
        Self(path)
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        if read_pid(&self.0) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// `<journal>.pid`, where the holder of the lock writes its process ID.
fn pid_file_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".pid");
    PathBuf::from(name)
}

fn read_pid(pid_file: &Path) -> Option<u32> {
    let bytes = crate::regular_file::read_regular(pid_file, 64).ok()?;
    std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use zego_proto::bulk::BulkAction;
    use zego_proto::{AppId, Environment};

    fn header() -> JournalHeader {
        JournalHeader::new(
            BulkAction::Forbid,
            AppId::new(7),
            Environment::Production,
            "sha256:ab",
            20,
        )
    }

    fn temp(name: &str) -> PathBuf {
        let path = std::env::temp_dir().join(format!("zego-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        path
    }

    fn ok(index: usize) -> BatchOutcome {
        BatchOutcome::new(index, vec![format!("s{index}")], 1, Ok(()))
    }

    /// A disk that takes `room` bytes, then fails like a full one.
    struct FullDisk {
        written: Vec<u8>,
        room: usize,
    }

    impl Write for FullDisk {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let n = buf.len().min(self.room - self.written.len());
            if n == 0 {
                return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
            }
            self.written.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn after_a_failed_write_nothing_more_is_appended() {
        let mut appender = Appender {
            writer: FullDisk {
                written: Vec::new(),
                room: 50,
            },
            path: "j".into(),
            failed: None,
        };
        appender.append(&record_line(&ok(0))).unwrap();
        let err = appender.append(&record_line(&ok(1))).unwrap_err();
        assert!(err.to_string().contains("could not be written"), "{err}");
        let torn = appender.writer.written.clone();
        // The disk has room again: still nothing is glued onto the torn record.
        appender.writer.room = 1000;
        assert_eq!(appender.append(&record_line(&ok(2))), Err(err));
        assert_eq!(appender.writer.written, torn);
    }

    #[test]
    fn a_torn_tail_is_cut_off_before_the_next_record() {
        let path = temp("torn");
        {
            let journal = JournalFile::open(&path, &header()).unwrap();
            for i in 0..3 {
                journal.append(&ok(i)).unwrap();
            }
        }
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() - 10]).unwrap();
        let journal = JournalFile::open(&path, &header()).unwrap();
        assert!(journal.done().is_done(1) && !journal.done().is_done(2));
        journal.append(&ok(2)).unwrap();
        drop(journal);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.as_bytes(), whole.as_slice(), "{text}");
        let journal = JournalFile::open(&path, &header()).unwrap();
        assert_eq!(journal.done().done_batches(), 3);
        drop(journal);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_record_glued_on_by_an_older_version_is_cut_off() {
        let path = temp("glued");
        let head = format!("{}\n{}\n", header().to_line(), record_line(&ok(0)));
        std::fs::write(
            &path,
            format!(
                "{head}{{\"batch\":1,\"ok\":true,\"st{}\n",
                record_line(&ok(1))
            ),
        )
        .unwrap();
        let journal = JournalFile::open(&path, &header()).unwrap();
        assert!(journal.done().is_done(0) && !journal.done().is_done(1));
        journal.append(&ok(1)).unwrap();
        drop(journal);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("{head}{}\n", record_line(&ok(1)))
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_second_opener_is_refused_naming_the_holder() {
        let path = temp("locked");
        let first = JournalFile::open(&path, &header()).unwrap();
        let err = JournalFile::open(&path, &header()).unwrap_err();
        assert!(
            matches!(&err, OpenError::Locked { pid: Some(pid), .. } if *pid == std::process::id()),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains(&format!("process {}", std::process::id())),
            "{err}"
        );
        drop(first);
        assert!(!pid_file_of(&path).exists());
        drop(JournalFile::open(&path, &header()).unwrap());
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_journal_that_is_not_a_regular_file_is_refused_at_once() {
        #[cfg(unix)]
        for special in ["/dev/zero", "/dev/full"] {
            let err = JournalFile::open(Path::new(special), &header()).unwrap_err();
            assert!(
                matches!(err, OpenError::File(FileError::NotRegular { .. })),
                "{err}"
            );
        }
    }
}
