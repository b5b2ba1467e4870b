//! `zego configure`: answers piped in on stdin, `--list`, validation.

mod common;

use std::path::PathBuf;

use common::{bare, json_of, SECRET};

/// A fresh config path in a directory that does not exist yet.
fn config_path(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("zego-cli-configure-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("nested").join("config.toml")
}

fn configure(path: &PathBuf, answers: &str) -> std::process::Output {
    bare()
        .arg("--config")
        .arg(path)
        .arg("configure")
        .write_stdin(answers)
        .output()
        .unwrap()
}

#[test]
fn piped_answers_create_the_profile_with_mode_0600() {
    let path = config_path("create");
    let output = configure(&path, &format!("424242\n{SECRET}\nfra\n"));
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("[profiles.default]"), "{text}");
    assert!(text.contains("app_id = 424242"), "{text}");
    assert!(
        text.contains(&format!("server_secret = \"{SECRET}\"")),
        "{text}"
    );
    assert!(text.contains("region = \"fra\""), "{text}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(SECRET));
    assert!(!String::from_utf8_lossy(&output.stderr).contains(SECRET));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    // The profile works: a dry run signs with it, without a permissions warning.
    let output = bare()
        .arg("--config")
        .arg(&path)
        .args(["--dry-run", "forbid", "s1"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("AppId=424242"), "{stdout}");
    assert!(stdout.contains("fra"), "{stdout}");
    assert!(output.stderr.is_empty(), "{output:?}");
}

#[test]
fn enter_keeps_values_and_other_profiles_and_keys_survive() {
    let path = config_path("update");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(
        &path,
        "# my profiles\n[profiles.default]\napp_id = \"42\"\nserver_secret = \"old-secret-value\"\n\
         endpoint = \"http://127.0.0.1:9\"\ntest_env = true # staging\n\n\
         [profiles.other]\napp_id = 7\nserver_secret_file = \"other.secret\"\n",
    )
    .unwrap();
    // Keep the AppId and the secret, switch to a region.
    let output = configure(&path, "\n\nsgp\n");
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("[42]"), "{stderr}");
    assert!(stderr.contains("(set)"), "{stderr}");
    assert!(!stderr.contains("old-secret-value"), "{stderr}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("# my profiles\n"), "{text}");
    assert!(text.contains("app_id = \"42\""), "{text}");
    assert!(
        text.contains("server_secret = \"old-secret-value\""),
        "{text}"
    );
    assert!(text.contains("region = \"sgp\""), "{text}");
    assert!(!text.contains("endpoint"), "{text}");
    assert!(text.contains("test_env = true # staging"), "{text}");
    assert!(
        text.contains("[profiles.other]\napp_id = 7\nserver_secret_file = \"other.secret\""),
        "{text}"
    );

    // Only the answers given change: a new AppId, the rest kept (end of input too).
    let output = configure(&path, "43\n");
    assert!(output.status.success(), "{output:?}");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("app_id = 43"), "{text}");
    assert!(
        text.contains("server_secret = \"old-secret-value\""),
        "{text}"
    );
    assert!(text.contains("region = \"sgp\""), "{text}");

    // Another profile by --profile.
    let output = bare()
        .arg("--config")
        .arg(&path)
        .args(["--profile", "other", "configure"])
        .write_stdin("\n\nhttp://127.0.0.1:8080\n")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("(file)"));
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("endpoint = \"http://127.0.0.1:8080\""),
        "{text}"
    );
    assert!(
        text.contains("server_secret_file = \"other.secret\""),
        "{text}"
    );
}

#[test]
fn list_never_prints_the_secret() {
    let path = config_path("list");
    assert!(configure(&path, &format!("424242\n{SECRET}\nfra\n"))
        .status
        .success());
    let output = bare()
        .arg("--config")
        .arg(&path)
        .args(["--profile", "lab", "configure"])
        .write_stdin(format!("7\n{SECRET}\nhttp://127.0.0.1:8080\n"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    let output = bare()
        .arg("--config")
        .arg(&path)
        .args(["configure", "--list"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!stdout.contains(SECRET), "{stdout}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(SECRET));
    assert_eq!(
        stdout.lines().collect::<Vec<_>>(),
        [
            "default app_id=424242 region=fra secret=set",
            "lab app_id=7 endpoint=http://127.0.0.1:8080 secret=set",
        ],
        "{stdout}"
    );

    let output = bare()
        .arg("--config")
        .arg(&path)
        .args(["configure", "--list", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(!String::from_utf8_lossy(&output.stdout).contains(SECRET));
    let doc = json_of(&output);
    assert_eq!(doc["ok"], true);
    assert_eq!(doc["profiles"][0]["name"], "default");
    assert_eq!(doc["profiles"][0]["app_id"], "424242");
    assert_eq!(doc["profiles"][0]["secret"], "set");
    assert_eq!(doc["profiles"][1]["endpoint"], "http://127.0.0.1:8080");
}

#[test]
fn bad_answers_exit_2_naming_the_field_and_write_nothing() {
    let path = config_path("bad");
    for (answers, field) in [
        (format!("not-a-number\n{SECRET}\n\n"), "AppId"),
        (format!("4294967296\n{SECRET}\n\n"), "AppId"),
        (format!("42\n{SECRET}\nmars\n"), "region"),
        (format!("42\n{SECRET}\nftp://x\n"), "endpoint"),
        ("42\n\n\n".to_owned(), "ServerSecret"),
        (format!("\n{SECRET}\n\n"), "AppId"),
    ] {
        let output = configure(&path, &answers);
        assert_eq!(output.status.code(), Some(2), "{answers:?}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(field), "{answers:?}: {stderr}");
        assert!(!stderr.contains(SECRET), "{stderr}");
        assert!(!path.exists(), "{answers:?}");
    }
}
