//! `zego` in a fleet: two processes forbidding and resuming the same streams through one
//! Redis share ZEGO's quota and the Sequence order; a bad Redis URL is a usage error that
//! never shows the password; an unreachable Redis is reported once and handled by the
//! failure policy.

mod common;
#[path = "../../zego-redis/tests/common/mod.rs"]
mod redis_server;

use common::{sim, zego, APP, SECRET};
use redis_server::{RedisServer, TlsFiles};

#[test]
fn two_cli_processes_share_the_quota_and_the_order_through_redis() {
    let redis = RedisServer::start();
    let sim = sim();
    let ids: Vec<String> = (0..200).map(|i| format!("cli-fleet-{i}")).collect();
    let file = common::temp_file("fleet-ids.txt", &ids.join("\n"));
    let spawn = |command: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_zego"));
        cmd.env("ZEGO_APP_ID", APP.to_string())
            .env("ZEGO_SERVER_SECRET", SECRET)
            .env("ZEGO_REDIS_URL", redis.url())
            .env("XDG_CONFIG_HOME", common::empty_config_home())
            .env("HOME", common::empty_config_home())
            .args([
                "--endpoint",
                &sim.base_url(),
                "--fleet-size",
                "2",
                "--json",
                command,
            ])
            .arg("--from-file")
            .arg(&file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("zego runs")
    };
    let (forbid, resume) = (spawn("forbid"), spawn("resume"));
    for child in [forbid, resume] {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
        let report = common::json_of(&output);
        assert_eq!(report["succeeded"], 200, "{report}");
    }
    let log = sim.request_log();
    let rate_limited = log
        .iter()
        .filter(|r| matches!(r.code, Some(30002 | 206 | 207 | 1010 | 5007 | 7)))
        .count();
    assert_eq!(rate_limited, 0);
    assert_eq!(sim.sequence_rejections(), 0);
    assert_eq!(log.len(), 20, "10 batches each, no retry");
    // Both processes drew their slots from the one Redis.
    let mut conn = redis.connection();
    let keys: Vec<String> = redis::cmd("KEYS").arg("zego:*").query(&mut conn).unwrap();
    assert!(
        keys.contains(&format!("zego:prod:{{{APP}}}:rl:stream_forbid")),
        "{keys:?}"
    );
}

#[test]
fn a_bad_redis_url_is_a_usage_error_without_the_password() {
    let sim = sim();
    let output = zego(&sim)
        .args(["--redis", "http://:hunter2@127.0.0.1:1", "forbid", "s1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(all.contains("Redis URL"), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
    assert!(sim.request_log().is_empty());
}

#[test]
fn a_wrong_redis_password_is_a_usage_error_without_the_password() {
    let redis = RedisServer::start_with(&["--requirepass", "right-pw-4711"]);
    let sim = sim();
    let output = zego(&sim)
        .args([
            "--redis",
            &format!("redis://:hunter2@127.0.0.1:{}/", redis.port()),
            "forbid",
            "s1",
        ])
        .output()
        .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(all.contains("refused the credentials"), "{all}");
    assert!(!all.contains("hunter2"), "{all}");
    assert!(sim.request_log().is_empty());
}

#[test]
fn an_unreachable_redis_is_reported_once_and_the_local_share_admits() {
    let sim = sim();
    let port = redis_server::free_port();
    let output = zego(&sim)
        .args([
            "--redis",
            &format!("redis://:hunter2@127.0.0.1:{port}/"),
            "forbid",
        ])
        .args((0..60).map(|i| format!("down-{i}")))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("Redis is unreachable").count(),
        1,
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert_eq!(
        sim.forbidden_rtc_streams(APP, zego_sim::Env::Production)
            .len(),
        60
    );
}

/// A private CA made now, its files written for `redis-server`.
fn tls_files(name: &str) -> TlsFiles {
    let ca = zego_conformance::tls::private_ca(name);
    TlsFiles::new(&ca.ca_pem, &ca.leaf_pem, &ca.leaf_key_pem)
}

/// `--redis rediss://`: a Redis whose certificate a private CA signed is trusted through
/// SSL_CERT_FILE (the fleet admits through it); a certificate of another CA exits 2 naming
/// TLS, before anything is sent, without the password.
#[test]
fn a_rediss_url_trusts_ssl_cert_file_and_another_ca_exits_2() {
    let files = tls_files("zego-cli-redis-ca");
    let redis = RedisServer::start_tls(&files, &["--requirepass", "pw-4711"]);
    let url = redis.tls_url().replace("rediss://", "rediss://:pw-4711@");
    // `zego --redis URL forbid s1` trusting `ca_pem` (SSL_CERT_FILE), and its simulator.
    let forbid_trusting = |tag: &str, ca_pem: &str| {
        let ca_file = common::temp_file(&format!("{tag}-ca.pem"), ca_pem);
        let sim = sim();
        let output = zego(&sim)
            .env("SSL_CERT_FILE", &ca_file)
            .env_remove("SSL_CERT_DIR")
            .args(["--redis", &url, "forbid", "s1"])
            .output()
            .unwrap();
        (output, sim)
    };
    let (output, _sim) = forbid_trusting("redis-trusted", &files.ca_pem);
    assert!(output.status.success(), "{output:?}");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("zego:*")
        .query(&mut redis.connection())
        .unwrap();
    assert!(
        keys.contains(&format!("zego:prod:{{{APP}}}:rl:stream_forbid")),
        "admitted through Redis over TLS: {keys:?}"
    );

    let (output, sim) = forbid_trusting("redis-other", &tls_files("zego-cli-other-ca").ca_pem);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains("TLS") && all.contains("SSL_CERT_FILE"),
        "{all}"
    );
    assert!(!all.contains("pw-4711"), "{all}");
    assert!(sim.request_log().is_empty());
}
