//! README's Rust examples depend on `zego` alone among the SDK's crates (they run as this
//! crate's doctests, see `ReadmeDoctests`): none names another crate of the SDK.

#[test]
fn readme_rust_examples_name_no_other_sdk_crate() {
    let readme = include_str!("../README.md");
    let mut in_rust = false;
    let mut blocks = 0;
    for (number, line) in readme.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            in_rust = !in_rust && trimmed.trim_start_matches('`').starts_with("rust");
            blocks += usize::from(in_rust);
            continue;
        }
        if !in_rust {
            continue;
        }
        for crate_name in [
            "zego_proto",
            "zego_transport_blocking",
            "zego_transport_async",
            "zego_redis",
            "zego_callback",
            "zego_axum",
            "zego_sim",
            "zego_tls",
        ] {
            assert!(
                !line.contains(crate_name),
                "README.md line {}: `{crate_name}` in a Rust example (use `zego::...`): {line}",
                number + 1
            );
        }
    }
    assert!(
        blocks >= 7,
        "only {blocks} Rust examples found in README.md"
    );
}
