//! Reading a file that must be a regular file, with a size bound: the one way the `zego`
//! command and the journal read the files they are given (a config, a secret file, a
//! journal). A FIFO or a device is refused at once, before it is opened (opening a FIFO
//! for reading blocks until a writer comes; `/dev/zero` never ends), and a file over the
//! bound is refused without being read whole.

use std::fmt;
use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why a file could not be read.
#[non_exhaustive]
#[derive(Debug)]
pub enum FileError {
    /// It is not a regular file: a FIFO, a device, a socket or a directory.
    NotRegular {
        /// The path given.
        path: PathBuf,
        /// What it is instead (`a FIFO`, `a character device`, ...).
        kind: &'static str,
    },
    /// It is larger than the bound.
    TooLarge {
        /// The path given.
        path: PathBuf,
        /// The bound, in bytes.
        limit: u64,
    },
    /// The system refused (it does not exist, no permission, ...).
    Io {
        /// The path given.
        path: PathBuf,
        /// The system's error.
        error: std::io::Error,
    },
}

impl FileError {
    /// Whether the file does not exist (some callers treat that as empty).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Self::Io { error, .. } if error.kind() == std::io::ErrorKind::NotFound)
    }

    fn io(path: &Path, error: std::io::Error) -> Self {
        Self::Io {
            path: path.to_owned(),
            error,
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotRegular { path, kind } => {
                write!(f, "{} is {kind}, not a regular file", path.display())
            }
            Self::TooLarge { path, limit } => write!(
                f,
                "{} is larger than {limit} bytes, the most this file may hold",
                path.display()
            ),
            Self::Io { path, error } => write!(f, "cannot read {}: {error}", path.display()),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Checks that `path` names a regular file (symbolic links followed), without opening it.
///
/// ```
/// use zego_journal::regular_file::{check_regular, FileError};
/// # #[cfg(unix)] {
/// assert!(matches!(check_regular("/dev/null".as_ref()), Err(FileError::NotRegular { kind: "a character device", .. })));
/// # }
/// assert!(check_regular("no/such/file".as_ref()).unwrap_err().is_not_found());
/// ```
pub fn check_regular(path: &Path) -> Result<Metadata, FileError> {
    let meta = std::fs::metadata(path).map_err(|e| FileError::io(path, e))?;
    check_metadata(path, &meta)?;
    Ok(meta)
}

/// Checks an open file's metadata (the file may have been swapped since
/// [`check_regular`]).
pub(crate) fn check_metadata(path: &Path, meta: &Metadata) -> Result<(), FileError> {
    if meta.is_file() {
        return Ok(());
    }
    Err(FileError::NotRegular {
        path: path.to_owned(),
        kind: kind_of(meta),
    })
}

fn kind_of(meta: &Metadata) -> &'static str {
    let file_type = meta.file_type();
    if file_type.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// Reads a regular file whole, refusing a special file at once and a file over `limit`
/// bytes after reading at most `limit + 1` of them.
///
/// ```
/// use zego_journal::regular_file::{read_regular, FileError};
/// let path = std::env::temp_dir().join(format!("zego-journal-doc-{}", std::process::id()));
/// std::fs::write(&path, "0123456789")?;
/// assert_eq!(read_regular(&path, 10)?, b"0123456789");
/// assert!(matches!(read_regular(&path, 9), Err(FileError::TooLarge { limit: 9, .. })));
/// # #[cfg(unix)] {
/// assert!(matches!(read_regular("/dev/zero".as_ref(), 1 << 20), Err(FileError::NotRegular { .. })));
/// # }
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    check_regular(path)?;
    let file = File::open(path).map_err(|e| FileError::io(path, e))?;
    read_open(path, &file, limit)
}

/// Reads an already open file (checked to be regular) whole, within `limit` bytes.
pub(crate) fn read_open(path: &Path, file: &File, limit: u64) -> Result<Vec<u8>, FileError> {
    let meta = file.metadata().map_err(|e| FileError::io(path, e))?;
    check_metadata(path, &meta)?;
    let too_large = || FileError::TooLarge {
        path: path.to_owned(),
        limit,
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while it is read: the bound holds whatever the size said.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| FileError::io(path, e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_at_once_without_being_opened() {
        let path = std::env::temp_dir().join(format!("zego-journal-fifo-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            &path,
            rustix::fs::FileType::Fifo,
            rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR,
            0,
        )
        .expect("mkfifo");
        // No writer ever comes: opening it for reading would block this test forever.
        let err = read_regular(&path, 1024).unwrap_err();
        assert!(
            matches!(err, FileError::NotRegular { kind: "a FIFO", .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("is a FIFO, not a regular file"),
            "{err}"
        );
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn a_directory_is_named_as_one() {
        let err = read_regular(&std::env::temp_dir(), 1024).unwrap_err();
        assert!(matches!(
            err,
            FileError::NotRegular {
                kind: "a directory",
                ..
            }
        ));
    }
}
