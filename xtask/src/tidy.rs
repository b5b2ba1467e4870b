//! `cargo xtask tidy` (also a step of `cargo xtask ci`): the layer rules of ARCHITECTURE.md,
//! checked on the resolved dependency graph of `cargo metadata` instead of kept as prose.
//!
//! - `zego-sim` depends on no `zego-*` crate: it cross-checks the SDK, so it shares no code.
//! - `zego-proto` and `zego-callback` are sans-IO: no HTTP library, no async runtime, no
//!   Redis client (and `zego-callback` no other `zego-*` crate either).
//! - The transports do not depend on each other.
//!
//! An edge counts when it is a normal or a build dependency, directly or through other
//! packages (every feature on). Dev-dependencies do not count: they never reach a user of
//! the crate nor its build, and the simulator's tests deliberately use `zego-callback` to
//! check what the simulator signs. A failure names the edge and the path to it.

use std::collections::{HashMap, VecDeque};
use std::fmt::Write as _;

use crate::json::{self, Json};
use crate::util::{Error, Result};

/// HTTP clients and servers, async runtimes and Redis clients: I/O a sans-IO crate must not
/// pull in.
const IO_LIBRARIES: &[&str] = &[
    "ureq",
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "http",
    "http-body",
    "http-body-util",
    "axum",
    "tower",
    "tower-http",
    "actix-web",
    "warp",
    "isahc",
    "surf",
    "curl",
    "attohttpc",
    "tokio",
    "async-std",
    "smol",
    "redis",
    "fred",
];

/// What a package must not depend on.
enum Forbidden {
    /// Any package whose name starts with this (and is not the package itself).
    Prefix(&'static str),
    /// These packages.
    Names(&'static [&'static str]),
}

impl Forbidden {
    fn matches(&self, subject: &str, name: &str) -> bool {
        match self {
            Forbidden::Prefix(prefix) => name != subject && name.starts_with(prefix),
            Forbidden::Names(names) => names.contains(&name),
        }
    }
}

/// One layer rule: `subject` depends on nothing `forbidden`, because `why`.
struct Rule {
    subject: &'static str,
    forbidden: Forbidden,
    why: &'static str,
}

const RULES: &[Rule] = &[
    Rule {
        subject: "zego-sim",
        forbidden: Forbidden::Prefix("zego-"),
        why: "the simulator shares no code with the SDK it cross-checks",
    },
    Rule {
        subject: "zego-proto",
        forbidden: Forbidden::Names(IO_LIBRARIES),
        why: "the core is sans-IO: no HTTP library, async runtime or Redis client",
    },
    Rule {
        subject: "zego-callback",
        forbidden: Forbidden::Names(IO_LIBRARIES),
        why: "callback verification is sans-IO: no HTTP library, async runtime or Redis client",
    },
    Rule {
        subject: "zego-callback",
        forbidden: Forbidden::Prefix("zego-"),
        why: "callback verification stands alone (the receiver needs no API client)",
    },
    Rule {
        subject: "zego-transport-blocking",
        forbidden: Forbidden::Names(&["zego-transport-async"]),
        why: "the transports are independent drivers of the same core",
    },
    Rule {
        subject: "zego-transport-async",
        forbidden: Forbidden::Names(&["zego-transport-blocking"]),
        why: "the transports are independent drivers of the same core",
    },
];

pub fn run() -> Result {
    let metadata = json::cargo_metadata()?;
    let violations = check(&metadata, RULES)?;
    if violations.is_empty() {
        eprintln!("tidy: {} layer rules hold", RULES.len());
        return Ok(());
    }
    let mut message = format!("{} layer rule(s) broken:", violations.len());
    for v in &violations {
        let _ = write!(message, "\n  {v}");
    }
    Err(Error::msg(message))
}

/// The checks on a parsed `cargo metadata` document: one line per forbidden edge found,
/// e.g. `zego-proto -> hyper (via zego-proto -> zego-tls -> hyper): the core is sans-IO...`.
fn check(metadata: &Json, rules: &[Rule]) -> Result<Vec<String>> {
    let missing = |what: &str| Error::msg(format!("cargo metadata: no `{what}`"));
    let names: HashMap<&str, &str> = metadata
        .get("packages")
        .and_then(Json::as_array)
        .ok_or_else(|| missing("packages"))?
        .iter()
        .filter_map(|p| Some((p.get("id")?.as_str()?, p.get("name")?.as_str()?)))
        .collect();
    // Each package's normal and build dependencies (dev ones left out), by id.
    let mut edges: HashMap<&str, Vec<&str>> = HashMap::new();
    for node in metadata
        .get("resolve")
        .and_then(|r| r.get("nodes"))
        .and_then(Json::as_array)
        .ok_or_else(|| missing("resolve.nodes"))?
    {
        let Some(id) = node.get("id").and_then(Json::as_str) else {
            continue;
        };
        let deps = node.get("deps").and_then(Json::as_array).unwrap_or(&[]);
        let kept = deps
            .iter()
            .filter(|dep| counts(dep))
            .filter_map(|dep| dep.get("pkg")?.as_str());
        edges.entry(id).or_default().extend(kept);
    }
    let mut violations = Vec::new();
    for rule in rules {
        let subjects: Vec<&str> = names
            .iter()
            .filter(|(_, name)| **name == rule.subject)
            .map(|(id, _)| *id)
            .collect();
        if subjects.is_empty() {
            return Err(Error::msg(format!(
                "tidy: no package `{}` in the workspace (a rule names it: update xtask/src/tidy.rs)",
                rule.subject
            )));
        }
        for subject in subjects {
            for path in forbidden_paths(subject, &edges, &names, rule) {
                let target = path.last().copied().unwrap_or("?");
                let via = if path.len() > 2 {
                    format!(" (via {})", path.join(" -> "))
                } else {
                    String::new()
                };
                violations.push(format!("{} -> {target}{via}: {}", rule.subject, rule.why));
            }
        }
    }
    Ok(violations)
}

/// Whether a resolved dependency is a normal or a build one (a `dep_kinds` entry whose
/// `kind` is `null` or `"build"`).
fn counts(dep: &Json) -> bool {
    dep.get("dep_kinds")
        .and_then(Json::as_array)
        .unwrap_or(&[])
        .iter()
        .any(|k| match k.get("kind") {
            None | Some(Json::Null) => true,
            Some(kind) => kind.as_str() == Some("build"),
        })
}

/// Every forbidden package reachable from `subject`, each with the first path found to it
/// (package names), breadth first so paths are shortest.
fn forbidden_paths<'a>(
    subject: &'a str,
    edges: &HashMap<&'a str, Vec<&'a str>>,
    names: &HashMap<&'a str, &'a str>,
    rule: &Rule,
) -> Vec<Vec<&'a str>> {
    let name = |id: &'a str| names.get(id).copied().unwrap_or(id);
    let mut parent: HashMap<&str, Option<&str>> = HashMap::from([(subject, None)]);
    let mut queue = VecDeque::from([subject]);
    let mut found = Vec::new();
    while let Some(id) = queue.pop_front() {
        if id != subject && rule.forbidden.matches(rule.subject, name(id)) {
            let mut path = vec![name(id)];
            let mut at = parent.get(id).copied().flatten();
            while let Some(step) = at {
                path.push(name(step));
                at = parent.get(step).copied().flatten();
            }
            path.reverse();
            found.push(path);
            // Its own dependencies are reported through it, not again.
            continue;
        }
        for &dep in edges.get(id).into_iter().flatten() {
            if !parent.contains_key(dep) {
                parent.insert(dep, Some(id));
                queue.push_back(dep);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::{check, RULES};
    use crate::json::Json;

    /// A workspace as `cargo metadata` shows it, with `extra` dependency edges added to
    /// the clean graph: (from, to, kind) with kind `null`, `"build"` or `"dev"`.
    fn metadata(extra: &[(&str, &str, &str)]) -> Json {
        let mut edges: Vec<(&str, &str, &str)> = vec![
            ("zego-proto", "serde", "null"),
            ("zego-callback", "sha1", "null"),
            ("zego-sim", "hyper", "null"),
            ("zego-sim", "tokio", "null"),
            ("zego-transport-blocking", "zego-proto", "null"),
            ("zego-transport-blocking", "ureq", "null"),
            ("zego-transport-blocking", "zego-tls", "null"),
            ("zego-transport-async", "zego-proto", "null"),
            ("zego-transport-async", "reqwest", "null"),
            ("zego-transport-async", "tokio", "null"),
            ("zego-tls", "zego-proto", "null"),
            ("reqwest", "hyper", "null"),
            ("hyper", "tokio", "null"),
            // Dev-dependencies do not count: the simulator's tests use zego-callback.
            ("zego-sim", "zego-callback", "\"dev\""),
            ("zego-proto", "tokio", "\"dev\""),
        ];
        edges.extend_from_slice(extra);
        let packages: Vec<String> = packages_ids()
            .iter()
            .map(|p| format!(r#"{{"id": "{p} 0.1.0", "name": "{p}", "version": "0.1.0"}}"#))
            .collect();
        let nodes: Vec<String> = packages_ids()
            .iter()
            .map(|p| {
                let deps: Vec<String> = edges
                    .iter()
                    .filter(|(from, _, _)| from == p)
                    .map(|(_, to, kind)| {
                        format!(
                            r#"{{"name": "{to}", "pkg": "{to} 0.1.0", "dep_kinds": [{{"kind": {kind}, "target": null}}]}}"#
                        )
                    })
                    .collect();
                format!(r#"{{"id": "{p} 0.1.0", "deps": [{}]}}"#, deps.join(", "))
            })
            .collect();
        Json::parse(&format!(
            r#"{{"packages": [{}], "resolve": {{"nodes": [{}]}}}}"#,
            packages.join(", "),
            nodes.join(", ")
        ))
        .unwrap()
    }

    /// The packages of the synthetic workspace and its dependencies.
    fn packages_ids() -> Vec<&'static str> {
        vec![
            "zego-proto",
            "zego-callback",
            "zego-sim",
            "zego-transport-blocking",
            "zego-transport-async",
            "zego-tls",
            "hyper",
            "tokio",
            "ureq",
            "reqwest",
            "sha1",
            "serde",
        ]
    }

    fn violations(extra: &[(&str, &str, &str)]) -> Vec<String> {
        check(&metadata(extra), RULES).unwrap()
    }

    #[test]
    fn the_clean_graph_passes_and_dev_dependencies_do_not_count() {
        assert_eq!(violations(&[]), Vec::<String>::new());
    }

    #[test]
    fn the_simulator_depending_on_a_zego_crate_fails_naming_the_edge() {
        let found = violations(&[("zego-sim", "zego-proto", "null")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("zego-sim -> zego-proto: "),
            "{found:?}"
        );
        // Through a build dependency, and through another package, too.
        let found = violations(&[("zego-sim", "zego-tls", "\"build\"")]);
        assert!(found[0].starts_with("zego-sim -> zego-tls: "), "{found:?}");
        let found = violations(&[("hyper", "zego-callback", "null")]);
        assert_eq!(
            found,
            ["zego-sim -> zego-callback (via zego-sim -> hyper -> zego-callback): the simulator shares no code with the SDK it cross-checks"]
        );
    }

    #[test]
    fn the_core_depending_on_an_io_library_fails_even_indirectly() {
        let found = violations(&[("zego-proto", "hyper", "null")]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].starts_with("zego-proto -> hyper: the core is sans-IO"),
            "{found:?}"
        );
        let found = violations(&[
            ("zego-proto", "zego-tls", "null"),
            ("zego-tls", "tokio", "null"),
        ]);
        assert!(
            found.iter().any(|v| v.starts_with("zego-proto -> tokio (via zego-proto -> zego-tls -> tokio)")),
            "{found:?}"
        );
        let found = violations(&[("zego-callback", "ureq", "\"build\"")]);
        assert!(found[0].starts_with("zego-callback -> ureq: "), "{found:?}");
        let found = violations(&[("zego-callback", "zego-proto", "null")]);
        assert!(
            found[0].starts_with("zego-callback -> zego-proto: "),
            "{found:?}"
        );
    }

    #[test]
    fn a_transport_depending_on_the_other_fails() {
        let found = violations(&[("zego-transport-async", "zego-transport-blocking", "null")]);
        assert_eq!(
            found,
            ["zego-transport-async -> zego-transport-blocking: the transports are independent drivers of the same core"]
        );
        let found = violations(&[("zego-transport-blocking", "zego-transport-async", "null")]);
        assert!(
            found[0].starts_with("zego-transport-blocking -> zego-transport-async"),
            "{found:?}"
        );
    }

    #[test]
    fn a_rule_naming_a_missing_package_is_an_error() {
        let metadata = Json::parse(r#"{"packages": [], "resolve": {"nodes": []}}"#).unwrap();
        assert!(check(&metadata, RULES).is_err());
    }
}
