//! Raised quotas: `--quota GROUP=N/s` and a profile's `[quotas]` table, validated (exit 2
//! naming the group), documented in `--help`, and used against a simulator that enforces
//! the same raised quota (`zego sim --quota` takes it too).

mod common;

use std::time::{Duration, Instant};

use common::{bare, temp_file, zego, APP, SECRET};
use predicates::prelude::*;
use zego_sim::{SimHandle, Simulator};

/// A simulator that enforces a raised forbid/resume quota of 200/s.
fn raised_sim() -> SimHandle {
    Simulator::builder()
        .app(APP, SECRET)
        .quota_named("stream_forbid", 200)
        .unwrap()
        .start()
        .unwrap()
}

fn rate_limit_answers(sim: &SimHandle) -> usize {
    sim.request_log()
        .iter()
        .filter(|r| matches!(r.code, Some(30002 | 206 | 207)))
        .count()
}

#[test]
fn bad_quotas_exit_2_naming_the_group() {
    for (quota, named) in [
        ("nope=5/s", "nope"),
        ("stream_forbid=0/s", "stream_forbid"),
        ("unmetered=5/s", "unmetered"),
        ("stream_forbid=many", "stream_forbid=many"),
    ] {
        bare()
            .args(["--quota", quota, "forbid", "x"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(named));
        bare()
            .args(["sim", "--quota", quota])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(named));
    }
    // An unknown group lists the known ones.
    bare()
        .args(["--quota", "nope=5/s", "forbid", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("room_user_count"));
    for table in ["nope = 5", "cdn = 0"] {
        let config = temp_file(
            "bad-quotas.toml",
            &format!(
                "[profiles.default]\napp_id = {APP}\nserver_secret = \"{SECRET}\"\n\
                 [profiles.default.quotas]\n{table}\n"
            ),
        );
        bare()
            .arg("--config")
            .arg(&config)
            .args(["--dry-run", "forbid", "x"])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(table.split(' ').next().unwrap()));
    }
}

#[test]
fn help_lists_the_groups_and_their_defaults() {
    let help = bare().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for line in [
        "stream_forbid      20 (test environment 5)",
        "room_user_list     200",
        "room_close         1",
    ] {
        assert!(help.contains(line), "{line:?} missing from --help:\n{help}");
    }
}

/// 10,000 IDs are 500 requests: 25 s at ZEGO's default 20/s, 2.5 s at the raised 200/s,
/// and more than the simulator's burst of 200, so a client that did not pace would get
/// rate-limit answers.
fn forbid_10000(mut command: assert_cmd::Command) -> Duration {
    let ids = (0..10_000)
        .map(|i| format!("q-{i:05}"))
        .collect::<Vec<_>>()
        .join("\n");
    let started = Instant::now();
    command
        .args(["forbid", "--from-file", "-"])
        .write_stdin(ids)
        .assert()
        .success();
    started.elapsed()
}

#[test]
fn a_raised_quota_from_the_flag_or_the_profile_is_used_and_never_exceeded() {
    let sim = raised_sim();
    let mut flag = zego(&sim);
    flag.args(["--quota", "stream_forbid=200/s"]);
    let took = forbid_10000(flag);
    assert_eq!(rate_limit_answers(&sim), 0);
    // Well under the 4.95 s that ZEGO's default quota needs (generous for a loaded machine).
    assert!(
        took < Duration::from_secs(4),
        "--quota was not used: {took:?}"
    );

    let sim = raised_sim();
    let config = temp_file(
        "raised-quotas.toml",
        &format!(
            "[profiles.default]\napp_id = {APP}\nserver_secret = \"{SECRET}\"\n\
             endpoint = \"{}\"\nquotas = {{ stream_forbid = 200 }}\n",
            sim.base_url()
        ),
    );
    let mut profile = bare();
    profile.arg("--config").arg(&config);
    let took = forbid_10000(profile);
    assert_eq!(rate_limit_answers(&sim), 0);
    assert!(
        took < Duration::from_secs(4),
        "[quotas] was not used: {took:?}"
    );
}
