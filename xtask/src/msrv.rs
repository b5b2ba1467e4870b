//! `cargo xtask msrv` (also a step of `cargo xtask ci`): no package in the workspace's
//! resolved dependency graph may declare a `rust-version` newer than the workspace's own
//! (`[workspace.package] rust-version` in the root `Cargo.toml`).
//!
//! It reads `cargo metadata` (no build, so it takes a second) and parses its JSON with the
//! small parser below: xtask stays std-only.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use crate::util::{self, cargo, Error, Result};

pub fn run() -> Result {
    let manifest = std::fs::read_to_string(util::root().join("Cargo.toml"))?;
    let declared = workspace_rust_version(&manifest).ok_or_else(|| {
        Error::msg("the root Cargo.toml declares no `rust-version` in [workspace.package]")
    })?;
    let msrv = RustVersion::parse(&declared)
        .ok_or_else(|| Error::msg(format!("invalid workspace rust-version `{declared}`")))?;

    // Every feature and every platform: whatever a user of the workspace can resolve.
    let mut cmd = cargo(["metadata", "--format-version", "1", "--all-features"]);
    eprintln!("$ {}", util::show(&cmd));
    let output = cmd.output()?;
    if !output.status.success() {
        return Err(Error::msg(format!(
            "`cargo metadata` failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let text = String::from_utf8(output.stdout)
        .map_err(|_| Error::msg("`cargo metadata` printed invalid UTF-8"))?;
    let metadata = Json::parse(&text).map_err(|e| Error::msg(format!("cargo metadata: {e}")))?;

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

/// A JSON value: just enough of it for `cargo metadata`.
#[derive(Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// A number, unparsed (none is needed here).
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    fn parse(text: &str) -> std::result::Result<Self, String> {
        let mut parser = Parser {
            bytes: text.as_bytes(),
            at: 0,
        };
        let value = parser.value()?;
        parser.skip_whitespace();
        if parser.at == parser.bytes.len() {
            Ok(value)
        } else {
            Err(parser.error("trailing characters"))
        }
    }

    fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }
}

struct Parser<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn error(&self, what: &str) -> String {
        format!("invalid JSON at byte {}: {what}", self.at)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.bytes.get(self.at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> std::result::Result<(), String> {
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&byte) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", char::from(byte))))
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> std::result::Result<Json, String> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(self.error("unknown literal"))
        }
    }

    fn value(&mut self) -> std::result::Result<Json, String> {
        self.skip_whitespace();
        match self.bytes.get(self.at) {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Json::String),
            Some(b't') => self.literal("true", Json::Bool(true)),
            Some(b'f') => self.literal("false", Json::Bool(false)),
            Some(b'n') => self.literal("null", Json::Null),
            Some(b'-' | b'0'..=b'9') => {
                let start = self.at;
                while matches!(
                    self.bytes.get(self.at),
                    Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                ) {
                    self.at += 1;
                }
                Ok(Json::Number(
                    String::from_utf8_lossy(&self.bytes[start..self.at]).into_owned(),
                ))
            }
            Some(_) => Err(self.error("unexpected character")),
            None => Err(self.error("unexpected end")),
        }
    }

    fn object(&mut self) -> std::result::Result<Json, String> {
        self.expect(b'{')?;
        let mut fields = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&b'}') {
            self.at += 1;
            return Ok(Json::Object(fields));
        }
        loop {
            self.skip_whitespace();
            let key = self.string()?;
            self.expect(b':')?;
            fields.push((key, self.value()?));
            self.skip_whitespace();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b'}') => {
                    self.at += 1;
                    return Ok(Json::Object(fields));
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn array(&mut self) -> std::result::Result<Json, String> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.bytes.get(self.at) == Some(&b']') {
            self.at += 1;
            return Ok(Json::Array(items));
        }
        loop {
            items.push(self.value()?);
            self.skip_whitespace();
            match self.bytes.get(self.at) {
                Some(b',') => self.at += 1,
                Some(b']') => {
                    self.at += 1;
                    return Ok(Json::Array(items));
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    fn string(&mut self) -> std::result::Result<String, String> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            let Some(&byte) = self.bytes.get(self.at) else {
                return Err(self.error("unterminated string"));
            };
            self.at += 1;
            match byte {
                b'"' => {
                    return String::from_utf8(out).map_err(|_| self.error("invalid UTF-8"));
                }
                b'\\' => {
                    let Some(&escape) = self.bytes.get(self.at) else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.at += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(self.error("unknown escape")),
                    };
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                }
                _ => out.push(byte),
            }
        }
    }

    /// The `XXXX` of `\uXXXX` (just read), and a low surrogate's `\uXXXX` after a high one.
    fn unicode_escape(&mut self) -> std::result::Result<char, String> {
        let first = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&first) && self.bytes[self.at..].starts_with(b"\\u")
        {
            self.at += 2;
            let second = self.hex4()?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(self.error("unpaired surrogate"));
            }
            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
        } else {
            first
        };
        Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    fn hex4(&mut self) -> std::result::Result<u32, String> {
        let digits = self
            .bytes
            .get(self.at..self.at + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.at += 4;
        Ok(digits)
    }
}

#[cfg(test)]
mod tests {
    use super::{check, workspace_rust_version, Json, RustVersion};

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
    fn parses_json() {
        let json = Json::parse(
            r#" {"a": [1, -2.5e3, true, false, null], "b": "x\"\u00e9\ud83d\ude00\n", "c": {}} "#,
        )
        .unwrap();
        assert_eq!(json.get("b").and_then(Json::as_str), Some("x\"é😀\n"));
        assert_eq!(
            json.get("a").and_then(Json::as_array).map(<[Json]>::len),
            Some(5)
        );
        assert_eq!(json.get("c"), Some(&Json::Object(Vec::new())));
        assert!(Json::parse("[1,]").is_err());
        assert!(Json::parse("{\"a\":1} x").is_err());
        assert!(Json::parse("\"open").is_err());
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
