//! What identifies a run's input in its journal header: `sha256:<hex>`.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::regular_file::{check_metadata, FileError};

/// `sha256:<hex>` of the IDs given directly (each followed by a newline) and then of the
/// input file's bytes, read once, streaming. The `zego` command writes it in its journal
/// headers, so a journal of another input is refused.
///
/// ```
/// let path = std::env::temp_dir().join(format!("zego-journal-digest-{}", std::process::id()));
/// std::fs::write(&path, "s1\ns2\n")?;
/// let digest = zego_journal::input_digest(&[], &path)?;
/// assert!(digest.starts_with("sha256:") && digest.len() == 7 + 64);
/// assert_ne!(digest, zego_journal::input_digest(&["s0".to_owned()], &path)?);
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn input_digest(ids: &[String], file: &Path) -> Result<String, FileError> {
    let io = |error| FileError::Io {
        path: file.to_owned(),
        error,
    };
    let mut hasher = Sha256::new();
    for id in ids {
        hasher.update(id.as_bytes());
        hasher.update(b"\n");
    }
    hasher.update(b"\0file\0");
    crate::regular_file::check_regular(file)?;
    let mut reader = std::fs::File::open(file).map_err(io)?;
    check_metadata(file, &reader.metadata().map_err(io)?)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = reader.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let hex = hasher
        .finalize()
        .iter()
        .fold(String::with_capacity(71), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        });
    Ok(format!("sha256:{hex}"))
}
