//! Shared helpers: a simulator and a `zego` command pointed at it.

#![allow(dead_code)] // Each test file uses a different subset.

use std::path::PathBuf;

use assert_cmd::Command;
use zego_sim::{SimHandle, Simulator};

/// The test app.
pub const APP: u32 = 424_242;
/// A distinctive secret that must never show up in any output.
pub const SECRET: &str = "S3cr3t-0f-the-t3sts-d0-n0t-print";

/// A simulator serving the test app.
pub fn sim() -> SimHandle {
    Simulator::builder()
        .app(APP, SECRET)
        .seed(7)
        .start()
        .expect("simulator starts")
}

/// An empty config directory, so no real config file is read.
pub fn empty_config_home() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zego-cli-test-home-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `zego` with a clean environment: no ZEGO_* variables, no config file.
pub fn bare() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zego"));
    for var in [
        "ZEGO_APP_ID",
        "ZEGO_SERVER_SECRET",
        "ZEGO_SERVER_SECRET_FILE",
        "ZEGO_ENDPOINT",
        "ZEGO_REGION",
        "ZEGO_TEST_ENV",
        "ZEGO_CONFIG",
        "ZEGO_PROFILE",
        "ZEGO_REDIS_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_CONFIG_HOME", empty_config_home());
    cmd.env("HOME", empty_config_home());
    cmd.timeout(std::time::Duration::from_secs(60));
    cmd
}

/// `zego --endpoint <sim>` with the test app's credentials in the environment.
pub fn zego(sim: &SimHandle) -> Command {
    let mut cmd = bare();
    cmd.env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .arg("--endpoint")
        .arg(sim.base_url());
    cmd
}

/// Parses stdout as one JSON document.
pub fn json_of(output: &std::process::Output) -> serde_json::Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim())
        .unwrap_or_else(|e| panic!("not one JSON document ({e}): {text}"))
}

/// A temporary file with this content.
pub fn temp_file(name: &str, content: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("zego-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, content).unwrap();
    path
}
