//! The `zego` binary trusts a private CA named by SSL_CERT_FILE or SSL_CERT_DIR (besides
//! Mozilla's roots), and refuses the same HTTPS server without it.

mod common;

use std::path::PathBuf;

use common::{bare, APP, SECRET};
use predicates::prelude::*;

use std::sync::Arc;

use zego_conformance::tls::{private_ca, serve};

/// A fresh directory holding `ca.pem`.
fn ca_dir(tag: &str, pem: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zego-cli-tls-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), pem).unwrap();
    dir
}

/// `zego --endpoint https://localhost:<port> forbid s1`, with no SSL_CERT_* of the caller.
fn forbid_at(port: u16) -> assert_cmd::Command {
    let mut cmd = bare();
    cmd.env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args(["--retries", "0", "--endpoint"])
        .arg(format!("https://localhost:{port}"))
        .args(["forbid", "s1"]);
    cmd
}

#[test]
fn a_private_ca_in_ssl_cert_file_or_dir_is_trusted() {
    let ca = private_ca("zego-cli test CA");
    let port = serve(Arc::clone(&ca.server));
    let dir = ca_dir("trusted", &ca.ca_pem);
    forbid_at(port)
        .env("SSL_CERT_FILE", dir.join("ca.pem"))
        .assert()
        .success();
    forbid_at(port).env("SSL_CERT_DIR", &dir).assert().success();
    std::fs::remove_dir_all(&dir).ok();
}

/// What the report shows when the server's certificate is refused (and never the secret).
fn certificate_error() -> impl predicates::Predicate<str> {
    predicate::str::contains("invalid peer certificate")
        .or(predicate::str::contains("UnknownIssuer"))
        .and(predicate::str::contains(SECRET).not())
}

#[test]
fn without_the_private_ca_the_server_is_refused() {
    let ca = private_ca("zego-cli test CA (untrusted)");
    let other = private_ca("zego-cli other CA");
    let port = serve(Arc::clone(&ca.server));
    forbid_at(port)
        .assert()
        .failure()
        .stdout(certificate_error());
    let dir = ca_dir("other", &other.ca_pem);
    forbid_at(port)
        .env("SSL_CERT_FILE", dir.join("ca.pem"))
        .assert()
        .failure()
        .stdout(certificate_error());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn an_untrusted_certificate_is_not_retried_and_the_hint_names_the_roots() {
    let ca = private_ca("zego-cli test CA (not retried)");
    let port = serve(Arc::clone(&ca.server));
    let mut cmd = bare();
    let output = cmd
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .arg("--endpoint")
        .arg(format!("https://localhost:{port}"))
        .args(["--json", "forbid", "s1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stdout}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    let report = common::json_of(&output);
    let error = &report["failures"][0]["error"];
    assert_eq!(error["transport_kind"], "tls", "{report}");
    assert_eq!(error["attempts"], 1, "not retried: {report}");
    assert_eq!(report["requests"], 1, "{report}");
    assert_eq!(error["retryable"], false);
    let hint = error["hint"].as_str().unwrap();
    assert!(
        hint.contains("certificate") && hint.contains("SSL_CERT_FILE"),
        "{hint}"
    );
}
