//! README's examples of output are the real output: every `sh` example whose command is
//! followed by `#> ` lines is run (through `sh`, with this build's `zego` first on PATH)
//! against the simulator, and its standard output compared with those lines, after
//! normalising what varies from run to run (durations, ports, request IDs).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{sim, APP, SECRET};
use zego_journal::JournalFile;
use zego_proto::bulk::journal::JournalHeader;
use zego_proto::bulk::BatchOutcome;
use zego_proto::bulk::BulkAction;
use zego_proto::{AppId, Environment};
use zego_sim::SimHandle;

/// One example: a command line (continuation lines joined) and the output README shows.
#[derive(Debug)]
struct Example {
    command: String,
    output: Vec<String>,
    line: usize,
}

fn readme() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    std::fs::read_to_string(path).expect("README.md")
}

/// The `sh` blocks' commands that are followed by `#> ` lines.
fn examples(readme: &str) -> Vec<Example> {
    let mut examples = Vec::new();
    let mut in_sh = false;
    let mut command: Option<(String, usize)> = None;
    let mut pending = String::new();
    for (i, line) in readme.lines().enumerate() {
        if line.starts_with("```") {
            in_sh = !in_sh && line.trim() == "```sh";
            command = None;
            continue;
        }
        if !in_sh {
            continue;
        }
        if let Some(out) = line.strip_prefix("#> ") {
            let (text, start) = command.clone().expect("a `#> ` line follows a command");
            match examples.last_mut() {
                Some(Example { line, output, .. }) if *line == start => {
                    output.push(out.to_owned());
                }
                _ => examples.push(Example {
                    command: text,
                    output: vec![out.to_owned()],
                    line: start,
                }),
            }
            continue;
        }
        if line.starts_with('#') {
            assert!(
                !looks_like_output(line),
                "README.md line {}: output shown as a plain comment; write it as `#> ...` so the test checks it: {line}",
                i + 1
            );
            command = None;
            continue;
        }
        // A command, maybe continued over several lines with `\`.
        let start = if pending.is_empty() {
            i + 1
        } else {
            command.as_ref().map_or(i + 1, |c| c.1)
        };
        if let Some(part) = line.strip_suffix('\\') {
            pending.push_str(part);
            command = Some((String::new(), start));
        } else {
            pending.push_str(line);
            command = Some((std::mem::take(&mut pending), start));
        }
    }
    examples
}

/// A comment that starts like something the command prints: an action's summary or a URL.
fn looks_like_output(line: &str) -> bool {
    let text = line.trim_start_matches('#').trim_start();
    text.starts_with("https://")
        || text.starts_with("http://")
        || text.split_once(": ").is_some_and(|(head, _)| {
            !head.is_empty() && head.chars().all(|c| c.is_ascii_alphabetic())
        })
}

/// Durations, ports and request IDs vary from run to run.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        // `2.61 s` -> `N.NN s`
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits > 0 && rest[digits..].starts_with('.') {
            let after = &rest[digits + 1..];
            let frac = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            if frac > 0 && after[frac..].starts_with(" s") {
                out.push_str("N.NN s");
                rest = &after[frac + 2..];
                continue;
            }
        }
        if let Some(after) = rest.strip_prefix("127.0.0.1:") {
            let port = after
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(after.len());
            out.push_str("127.0.0.1:PORT");
            rest = &after[port..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("RequestId ") {
            let id = after
                .find(|c: char| c.is_whitespace() || c == ')' || c == ',')
                .unwrap_or(after.len());
            out.push_str("RequestId ID");
            rest = &after[id..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Where and with what an example runs.
struct Setup {
    dir: PathBuf,
    env: Vec<(&'static str, String)>,
}

fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zego-readme-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The state each example's command expects, by what it runs (an example without one
/// fails the test: add its setup here).
fn setup(example: &Example, sim: &SimHandle) -> Setup {
    let against_sim = vec![
        ("ZEGO_APP_ID", APP.to_string()),
        ("ZEGO_SERVER_SECRET", SECRET.to_owned()),
        ("ZEGO_ENDPOINT", sim.base_url()),
    ];
    if example.command.contains("--dry-run") {
        // It names its own credentials and the default endpoint.
        return Setup {
            dir: work_dir("dry-run"),
            env: Vec::new(),
        };
    }
    if example
        .command
        .contains("--from-file bots.txt --journal bots.journal")
    {
        // 2,000 IDs, killed after 48 of their 100 batches were journaled.
        let dir = work_dir("resume");
        let ids: Vec<String> = (0..2_000).map(|i| format!("bot-{i:04}")).collect();
        let bots = dir.join("bots.txt");
        std::fs::write(&bots, ids.join("\n") + "\n").unwrap();
        let header = JournalHeader::new(
            BulkAction::Forbid,
            AppId::new(APP),
            Environment::Production,
            zego_journal::input_digest(&[], &bots).unwrap(),
            20,
        );
        let journal = JournalFile::open(&dir.join("bots.journal"), &header).unwrap();
        for (index, batch) in ids.chunks(20).take(48).enumerate() {
            journal
                .append(&BatchOutcome::new(index, batch.to_vec(), 1, Ok(())))
                .unwrap();
        }
        return Setup {
            dir,
            env: against_sim,
        };
    }
    panic!(
        "README.md line {}: an output example with no setup in tests/readme.rs: {}",
        example.line, example.command
    );
}

#[test]
fn readme_output_examples_are_the_real_output() {
    let readme = readme();
    let examples = examples(&readme);
    assert!(
        examples.len() >= 2,
        "README.md's output examples (`#> ` lines after a command) were not found: {examples:?}"
    );
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_zego")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let sim = sim();
    for example in &examples {
        let setup = setup(example, &sim);
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(&example.command)
            .current_dir(&setup.dir)
            .env("PATH", &path)
            .env("XDG_CONFIG_HOME", common::empty_config_home())
            .env("HOME", common::empty_config_home());
        for var in [
            "ZEGO_APP_ID",
            "ZEGO_SERVER_SECRET",
            "ZEGO_SERVER_SECRET_FILE",
            "ZEGO_ENDPOINT",
            "ZEGO_CONFIG",
            "ZEGO_PROFILE",
            "ZEGO_REDIS_URL",
        ] {
            cmd.env_remove(var);
        }
        cmd.envs(setup.env.iter().map(|(k, v)| (k, v)));
        let output = cmd.output().expect("sh runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "README.md line {}: `{}` failed: {stdout}{}",
            example.line,
            example.command,
            String::from_utf8_lossy(&output.stderr)
        );
        let expected = normalise(&example.output.join("\n"));
        assert_eq!(
            normalise(stdout.trim_end()),
            expected,
            "README.md line {}: `{}` prints something else",
            example.line,
            example.command
        );
        let _ = std::fs::remove_dir_all(&setup.dir);
    }
}

#[test]
fn the_normalisation_keeps_what_matters() {
    assert_eq!(
        normalise("forbid: 1 of 1, 2.61 s; at http://127.0.0.1:4242/ (RequestId abc-1)"),
        "forbid: 1 of 1, N.NN s; at http://127.0.0.1:PORT/ (RequestId ID)"
    );
    assert_ne!(
        normalise("ForbidRTCStreams: 1040 of 1040"),
        normalise("forbid: 1040 of 1040")
    );
    assert!(looks_like_output(
        "# forbid: 1040 of 1040 stream(s) forbidden"
    ));
    assert!(looks_like_output("# https://rtc-api.zego.im/?Action=X"));
    assert!(!looks_like_output(
        "# ... killed (even kill -9) halfway? The same command"
    ));
}
