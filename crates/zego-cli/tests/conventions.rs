//! CLI conventions: shell completions and a man page, no colour off a terminal, the
//! secret from a file, regions from the core's list, inferred user-rule types.

mod common;

use common::{bare, json_of, sim, temp_file, zego, APP, SECRET};
use predicates::prelude::*;
use zego_sim::Env;

#[test]
fn completions_for_every_shell_and_a_man_page() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = bare()
            .args(["completions", shell])
            .assert()
            .success()
            .get_output()
            .clone();
        let script = String::from_utf8(out.stdout).unwrap();
        assert!(script.contains("zego"), "{shell}: {script}");
        assert!(script.contains("forbid"), "{shell}: {script}");
    }
    bare()
        .args(["completions", "tcsh"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bash"));
    let out = bare().arg("man").assert().success().get_output().clone();
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.contains(".TH"), "{page}");
    assert!(page.contains("zego"), "{page}");
}

#[test]
fn no_ansi_escapes_when_stderr_is_not_a_terminal() {
    let sim = sim();
    for no_color in [None, Some("1")] {
        let mut cmd = zego(&sim);
        cmd.env_remove("NO_COLOR");
        if let Some(value) = no_color {
            cmd.env("NO_COLOR", value);
        }
        let out = cmd
            .args(["-vv", "forbid", "colourless"])
            .assert()
            .success()
            .get_output()
            .clone();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("attempt answered"), "{stderr}");
        assert!(!stderr.contains("\x1b["), "{stderr:?}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("\x1b["));
    }
}

#[test]
fn the_secret_from_a_file() {
    let sim = sim();
    let file = temp_file("secret.txt", &format!("{SECRET}\n\n"));
    let with_file = || {
        let mut cmd = bare();
        cmd.env("ZEGO_APP_ID", APP.to_string())
            .args(["--endpoint", &sim.base_url()]);
        cmd
    };
    // The flag.
    let out = with_file()
        .arg("--server-secret-file")
        .arg(&file)
        .args(["forbid", "f1"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(!String::from_utf8_lossy(&out.stderr).contains(SECRET));
    // The environment variable.
    with_file()
        .env("ZEGO_SERVER_SECRET_FILE", &file)
        .args(["forbid", "f2"])
        .assert()
        .success();
    let forbidden = sim.forbidden_rtc_streams(APP, Env::Production);
    assert!(forbidden.contains("f1") && forbidden.contains("f2"));

    // A profile's server_secret_file, relative to the config file.
    let config = temp_file(
        "secret-file-config.toml",
        &format!(
            "[profiles.default]\napp_id = {APP}\nserver_secret_file = \"{}\"\n",
            file.file_name().unwrap().to_str().unwrap()
        ),
    );
    bare()
        .arg("--config")
        .arg(&config)
        .args(["--endpoint", &sim.base_url(), "forbid", "f3"])
        .assert()
        .success();

    // ZEGO_SERVER_SECRET beats the file, which is then not even read.
    let missing = std::env::temp_dir().join("zego-cli-no-such-secret-file");
    with_file()
        .env("ZEGO_SERVER_SECRET", SECRET)
        .arg("--server-secret-file")
        .arg(&missing)
        .args(["forbid", "f4"])
        .assert()
        .success();
    // The flag's file beats the profile's server_secret.
    let wrong = temp_file(
        "wrong-secret-config.toml",
        &format!("[profiles.default]\napp_id = {APP}\nserver_secret = \"not-it\"\n"),
    );
    bare()
        .arg("--config")
        .arg(&wrong)
        .arg("--server-secret-file")
        .arg(&file)
        .args(["--endpoint", &sim.base_url(), "forbid", "f5"])
        .assert()
        .success();

    // A missing or empty file is a usage error naming the path.
    with_file()
        .arg("--server-secret-file")
        .arg(&missing)
        .args(["forbid", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("zego-cli-no-such-secret-file"));
    let empty = temp_file("empty-secret.txt", " \n");
    with_file()
        .arg("--server-secret-file")
        .arg(&empty)
        .args(["forbid", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    for path in [file, config, wrong, empty] {
        let _ = std::fs::remove_file(path);
    }
}

#[test]
fn regions_come_from_the_core_list() {
    let out = bare()
        .args(["--region", "nowhere", "forbid", "x"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8_lossy(&out.stderr);
    for region in zego_proto::Region::ALL {
        assert!(stderr.contains(region.code()), "{stderr}");
    }
    // Each value is documented with its host.
    bare()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("rtc-api-sgp.zego.im"));
    bare()
        .env("ZEGO_APP_ID", "1")
        .env("ZEGO_SERVER_SECRET", "x")
        .args(["--dry-run", "--region", "fra", "forbid", "x"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("https://rtc-api-fra.zego.im/"));
}

#[test]
fn user_rule_types_are_inferred_from_the_fields() {
    let sim = sim();
    let out = zego(&sim)
        .args(["--json", "user-rule", "set", "--user", "u9"])
        .args(["--privilege", "login", "--duration", "1d"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(json_of(&out)["rule_type"], 3);
    let out = zego(&sim)
        .args(["--json", "user-rule", "get", "--type", "3"])
        .output()
        .unwrap();
    let doc = json_of(&out);
    assert_eq!(doc["rules"][0]["user_id"], "u9");
    assert_eq!(doc["rules"][0]["rule_type"], 3);
    // room + user is type 4, IP alone type 1, room alone type 2.
    for (fields, rule_type) in [
        (&["--room", "r1", "--user", "u1"][..], 4),
        (&["--ip", "203.0.113.7"][..], 1),
        (&["--room", "r2"][..], 2),
    ] {
        let out = zego(&sim)
            .args(["--json", "user-rule", "set", "--privilege", "publish"])
            .args(fields)
            .assert()
            .success()
            .get_output()
            .clone();
        assert_eq!(json_of(&out)["rule_type"], rule_type, "{fields:?}");
    }
    // Delete infers too.
    let out = zego(&sim)
        .args(["--json", "user-rule", "delete", "--user", "u9"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert_eq!(json_of(&out)["rule_type"], 3);
    // A --type that contradicts the fields, or no field at all, is a usage error.
    zego(&sim)
        .args([
            "user-rule",
            "set",
            "--type",
            "3",
            "--room",
            "r",
            "--user",
            "u",
        ])
        .args(["--privilege", "login"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("type-4"));
    zego(&sim)
        .args(["user-rule", "delete", "--ip", "1.2.3.4", "--user", "u"])
        .assert()
        .code(2);
    zego(&sim)
        .args(["user-rule", "set", "--privilege", "login"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("rule type"));
}
