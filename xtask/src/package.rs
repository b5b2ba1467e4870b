//! `cargo xtask package`: `cargo package` of every publishable crate, each verified by
//! building the packaged tarball against the other packaged tarballs (cargo's
//! `--workspace` overlay registry), so a crate that needs an unpublished sibling, a file
//! outside its directory or a path-only dependency fails here and not on crates.io.

use std::path::PathBuf;

use crate::util::{self, cargo, Result};

/// Workspace members that are never published (`publish = false`).
const UNPUBLISHED: [&str; 2] = ["xtask", "zego-benches"];

pub fn run() -> Result {
    remove_stale_overlay_extractions()?;
    let mut args = vec!["package", "--workspace"];
    for name in UNPUBLISHED {
        args.extend(["--exclude", name]);
    }
    util::run(&mut cargo(args))
}

/// Cargo unpacks the overlay registry's tarballs into `$CARGO_HOME/registry/src/<hash>/`,
/// keyed by the target directory's path and the crate's name and version, and reuses an
/// unpacked copy that is already there. A second run from the same checkout would then
/// verify the sources of the first run (seen here: a stale zego-proto broke zego-conformance's
/// verification). Removing our crates' copies first makes every run verify what is on disk.
fn remove_stale_overlay_extractions() -> Result {
    let Some(home) = cargo_home() else {
        return Ok(());
    };
    let Ok(sources) = std::fs::read_dir(home.join("registry").join("src")) else {
        return Ok(());
    };
    for source in sources.flatten() {
        let Ok(unpacked) = std::fs::read_dir(source.path()) else {
            continue;
        };
        for crate_dir in unpacked.flatten() {
            let name = crate_dir.file_name();
            if name.to_string_lossy().starts_with("zego-") {
                eprintln!("removing unpacked copy {}", crate_dir.path().display());
                std::fs::remove_dir_all(crate_dir.path())?;
            }
        }
    }
    Ok(())
}

fn cargo_home() -> Option<PathBuf> {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
}
