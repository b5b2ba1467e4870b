//! The crate root is the application's tier (issue 19): at most 30 names, and no item
//! re-exported twice by `lib.rs` (at the root and in one of its inline modules). Read from
//! the source so that adding a name shows up here, not in review.

use std::collections::BTreeMap;

/// The public names `lib.rs` declares, by the module that declares them (`""` is the root):
/// `pub mod x` and the leaves of `pub use ...;` (a `{...}` list or one path).
fn public_names(source: &str) -> BTreeMap<String, Vec<String>> {
    let mut names: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut module = String::new();
    let mut depth = 0usize;
    let mut statement = String::new();
    for line in source.lines() {
        let code = line.split("//").next().unwrap_or("").trim();
        if code.starts_with('#') || code.is_empty() {
            continue;
        }
        if depth == 0 {
            if let Some(rest) = code.strip_prefix("pub mod ") {
                let name = rest.trim_end_matches([';', '{', ' ']).to_owned();
                names.entry(String::new()).or_default().push(name.clone());
                if rest.ends_with('{') {
                    module = name;
                    depth = 1;
                }
                continue;
            }
        } else if code == "}" && statement.is_empty() {
            depth = 0;
            module.clear();
            continue;
        }
        if code.starts_with("pub use ") || !statement.is_empty() {
            statement.push_str(code);
            statement.push(' ');
            if code.ends_with(';') {
                let path = statement
                    .trim()
                    .trim_start_matches("pub use ")
                    .trim_end_matches(';');
                let leaves: Vec<String> = match path.split_once('{') {
                    Some((_, list)) => list
                        .trim_end_matches([' ', '}'])
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect(),
                    None => vec![path.rsplit("::").next().unwrap_or(path).to_owned()],
                };
                names.entry(module.clone()).or_default().extend(leaves);
                statement.clear();
            }
        }
    }
    names
}

#[test]
fn the_root_has_at_most_30_names_and_no_item_two_paths() {
    let names = public_names(include_str!("../src/lib.rs"));
    let root = &names[""];
    assert!(
        root.len() <= 30,
        "{} names at the root of zego-proto (at most 30: put the new one in the module of its audience): {root:?}",
        root.len()
    );
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (module, leaves) in &names {
        for leaf in leaves {
            if let Some(first) = seen.insert(leaf, module) {
                panic!("`{leaf}` is public both in `{first}` and in `{module}` (\"\" is the root)");
            }
        }
    }
    // The parse sees what it must: the modules and the core names.
    for name in ["ops", "driver", "wire", "Credentials", "CallError"] {
        assert!(root.iter().any(|n| n == name), "{name} missing: {root:?}");
    }
    assert!(names["driver"].iter().any(|n| n == "ClientCore"));
    assert!(names["wire"].iter().any(|n| n == "HttpRequest"));
}
