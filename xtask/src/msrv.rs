//! `cargo xtask msrv` (also a step of `cargo xtask ci`): no package in the workspace's
//! resolved dependency graph may declare a `rust-version` newer than the workspace's own
//! (`[workspace.package] rust-version` in the root `Cargo.toml`).
//!
//! It reads `cargo metadata` (no build, so it takes a second), parsed by [`crate::json`]:
//! xtask stays std-only.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use crate::json::{self, Json};
use crate::util::{self, Error, Result};

pub fn run() -> Result {
    let manifest = std::fs::read_to_string(util::root().join("Cargo.toml"))?;
    let declared = workspace_rust_version(&manifest).ok_or_else(|| {
        Error::msg("the root Cargo.toml declares no `rust-version` in [workspace.package]")
    })?;
    let msrv = RustVersion::parse(&declared)
        .ok_or_else(|| Error::msg(format!("invalid workspace rust-version `{declared}`")))?;

    let metadata = json::cargo_metadata()?;

    let too_new = check(&metadata, msrv)?;
    if too_new.is_empty() {
        eprintln!("MSRV {declared}: no package of the dependency graph needs a newer Rust");
        return Ok(());
    }
    let mut message = format!(
        "{} package(s) of the dependency graph need a newer Rust than the workspace's rust-version {declared}:",
        too_new.len()
    );
    for offender in &too_new {
        let _ = write!(
            message,
            "\n  {} {} (rust-version {}), via {}",
            offender.name,
            offender.version,
            offender.rust_version,
            offender.path.join(" -> ")
        );
    }
    Err(Error::msg(message))
}

/// A package whose `rust-version` is newer than the workspace's.
struct Offender {
    name: String,
    version: String,
    rust_version: String,
    /// Package names from a workspace member down to this package.
    path: Vec<String>,
}

/// Walks the resolve graph from the workspace members (every dependency kind: normal,
/// build and dev) and returns the packages that declare a newer `rust-version`, in the
/// order they are reached.
fn check(metadata: &Json, msrv: RustVersion) -> Result<Vec<Offender>> {
    let missing = |what: &str| Error::msg(format!("cargo metadata: no `{what}`"));
    let packages: HashMap<&str, &Json> = metadata
        .get("packages")
        .and_then(Json::as_array)
        .ok_or_else(|| missing("packages"))?
        .iter()
        .filter_map(|p| Some((p.get("id")?.as_str()?, p)))
        .collect();
    let nodes: HashMap<&str, Vec<&str>> = metadata
        .get("resolve")
        .and_then(|r| r.get("nodes"))
        .and_then(Json::as_array)
        .ok_or_else(|| missing("resolve.nodes"))?
        .iter()
        .filter_map(|node| {
            let deps = node.get("dependencies")?.as_array()?;
            Some((
                node.get("id")?.as_str()?,
                deps.iter().filter_map(Json::as_str).collect(),
            ))
        })
        .collect();
    let members = metadata
        .get("workspace_members")
        .and_then(Json::as_array)
        .ok_or_else(|| missing("workspace_members"))?;

    // Breadth first, remembering who reached each package first (for the `via` path).
    let mut parent: HashMap<&str, Option<&str>> = HashMap::new();
    let mut queue: VecDeque<&str> = VecDeque::new();
    for id in members.iter().filter_map(Json::as_str) {
        if parent.insert(id, None).is_none() {
            queue.push_back(id);
        }
    }
    let mut too_new = Vec::new();
    while let Some(id) = queue.pop_front() {
        let package = packages
            .get(id)
            .ok_or_else(|| Error::msg(format!("cargo metadata: no package `{id}`")))?;
        let field = |key: &str| package.get(key).and_then(Json::as_str).unwrap_or("?");
        if let Some(declared) = package.get("rust_version").and_then(Json::as_str) {
            let needs = RustVersion::parse(declared).ok_or_else(|| {
                Error::msg(format!(
                    "{} {}: invalid rust-version `{declared}`",
                    field("name"),
                    field("version")
                ))
            })?;
            if needs > msrv {
                let mut path = Vec::new();
                let mut at = Some(id);
                while let Some(step) = at {
                    let name = packages.get(step).and_then(|p| p.get("name"));
                    path.push(name.and_then(Json::as_str).unwrap_or(step).to_owned());
                    at = parent.get(step).copied().flatten();
                }
                path.reverse();
                too_new.push(Offender {
                    name: field("name").to_owned(),
                    version: field("version").to_owned(),
                    rust_version: declared.to_owned(),
                    path,
                });
            }
        }
        for &dep in nodes.get(id).into_iter().flatten() {
            if !parent.contains_key(dep) {
                parent.insert(dep, Some(id));
                queue.push_back(dep);
            }
        }
    }
    Ok(too_new)
}

/// `rust-version = "..."` in the `[workspace.package]` table of the root manifest.
fn workspace_rust_version(manifest: &str) -> Option<String> {
    let mut in_table = false;
    for line in manifest.lines() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.starts_with('[') {
            in_table = line == "[workspace.package]";
            continue;
        }
        if !in_table {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            if key.trim() == "rust-version" {
                return Some(value.trim().trim_matches('"').to_owned());
            }
        }
    }
    None
}

/// `major.minor[.patch]`, compared numerically (a missing patch is 0).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct RustVersion([u64; 3]);

impl RustVersion {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = [0; 3];
        let mut count = 0;
        for part in text.trim().split('.') {
            *parts.get_mut(count)? = part.parse().ok()?;
            count += 1;
        }
        (count >= 2).then_some(Self(parts))
    }
}

#[cfg(test)]
mod tests {
    use super::{check, workspace_rust_version, RustVersion};
    use crate::json::Json;

    #[test]
    fn versions_compare_numerically() {
        let v = |s| RustVersion::parse(s).unwrap();
        assert!(v("1.88") == v("1.88.0"));
        assert!(v("1.100") > v("1.88"));
        assert!(v("1.88.1") > v("1.88"));
        assert!(v("1.70.0") < v("1.88"));
        assert_eq!(RustVersion::parse("1"), None);
        assert_eq!(RustVersion::parse("1.88.0.1"), None);
        assert_eq!(RustVersion::parse("1.x"), None);
    }

    #[test]
    fn reads_the_workspace_table_only() {
        let manifest = "[package]\nrust-version = \"1.60\"\n\n[workspace.package]\nversion = \"0.1.0\"\nrust-version = \"1.88\" # MSRV\n";
        assert_eq!(workspace_rust_version(manifest).as_deref(), Some("1.88"));
        assert_eq!(
            workspace_rust_version("[package]\nrust-version = \"1.60\"\n"),
            None
        );
    }

    #[test]
    fn finds_a_too_new_dependency_with_its_path() {
        let metadata = Json::parse(
            r#"{
              "packages": [
                {"id": "m", "name": "member", "version": "0.1.0", "rust_version": "1.88"},
                {"id": "a", "name": "ok-dep", "version": "1.0.0", "rust_version": "1.70"},
                {"id": "b", "name": "new-dep", "version": "2.0.0", "rust_version": "1.91.1"},
                {"id": "c", "name": "unreached", "version": "1.0.0", "rust_version": "1.99"},
                {"id": "d", "name": "no-msrv", "version": "1.0.0", "rust_version": null}
              ],
              "workspace_members": ["m"],
              "resolve": {"nodes": [
                {"id": "m", "dependencies": ["a", "d"]},
                {"id": "a", "dependencies": ["b"]},
                {"id": "b", "dependencies": []},
                {"id": "c", "dependencies": []},
                {"id": "d", "dependencies": []}
              ]}
            }"#,
        )
        .unwrap();
        let too_new = check(&metadata, RustVersion::parse("1.88").unwrap()).unwrap();
        assert_eq!(too_new.len(), 1);
        assert_eq!(too_new[0].name, "new-dep");
        assert_eq!(too_new[0].rust_version, "1.91.1");
        assert_eq!(too_new[0].path, ["member", "ok-dep", "new-dep"]);
        assert!(check(&metadata, RustVersion::parse("1.92").unwrap())
            .unwrap()
            .is_empty());
    }
}
