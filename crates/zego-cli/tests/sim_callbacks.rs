//! `zego sim --callback-url`: the simulator posts signed stream callbacks; the secret comes
//! from the environment (a warning when typed), never appears in the output, and a remote URL
//! needs `--allow-remote-callbacks`.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::bare;
use predicates::prelude::*;

const CALLBACK_SECRET: &str = "cli-callback-s3cret";

/// Accepts one HTTP request on `listener`, answers 200 and sends its body on `tx`.
fn receive_one(listener: TcpListener, tx: mpsc::Sender<String>) {
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut length = 0;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let _ = reader
            .into_inner()
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        tx.send(String::from_utf8(body).unwrap()).unwrap();
    });
}

#[test]
fn a_stream_published_on_zego_sim_is_reported_to_the_callback_url_signed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let callback_url = format!("http://{}/zego/callback", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    receive_one(listener, tx);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_zego"))
        .args(["sim", "--callback-url", &callback_url])
        .env("ZEGO_SIM_CALLBACK_SECRET", CALLBACK_SECRET)
        .env_remove("ZEGO_SIM_APPS")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let addr = first.trim().trim_start_matches("http://").to_owned();

    let mut tcp = TcpStream::connect(&addr).unwrap();
    write!(
        tcp,
        "POST /_sim/streams/s-1/publish?room_id=r-1&user_id=u-1 HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let body = rx.recv_timeout(Duration::from_secs(30));
    child.kill().unwrap();
    let mut out = String::new();
    let _ = stdout.read_to_string(&mut out);
    let mut err = String::new();
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    let _ = child.wait();

    let body: serde_json::Value = serde_json::from_str(&body.unwrap()).unwrap();
    assert_eq!(body["event"], "stream_create");
    assert_eq!(body["stream_id"], "s-1");
    let field = |k: &str| body[k].as_str().unwrap().to_owned();
    assert_eq!(
        field("signature"),
        zego_callback::callback_signature(CALLBACK_SECRET, &field("timestamp"), &field("nonce"))
    );
    assert!(err.contains(&callback_url), "{err}");
    for text in [&first, &out, &err] {
        assert!(!text.contains(CALLBACK_SECRET), "{text}");
        assert!(!text.contains("warning"), "{text}");
    }
}

#[test]
fn callback_options_are_checked_before_the_simulator_starts() {
    let sim = || {
        let mut cmd = bare();
        cmd.env_remove("ZEGO_SIM_CALLBACK_SECRET")
            .env_remove("ZEGO_SIM_APPS")
            .arg("sim");
        cmd
    };
    // A host that is not this machine needs the opt-in.
    sim()
        .env("ZEGO_SIM_CALLBACK_SECRET", CALLBACK_SECRET)
        .args(["--callback-url", "https://hooks.example.com/zego"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--allow-remote-callbacks"))
        .stderr(predicate::str::contains(CALLBACK_SECRET).not());
    // A URL without a secret, a typed secret without a URL, the opt-in without a URL.
    sim()
        .args(["--callback-url", "http://127.0.0.1:9/cb"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("ZEGO_SIM_CALLBACK_SECRET"));
    sim()
        .args(["--callback-secret", CALLBACK_SECRET])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--callback-url"))
        .stderr(predicate::str::contains(CALLBACK_SECRET).not());
    sim().arg("--allow-remote-callbacks").assert().code(2);
    // Typed in argv: a warning that names the variable, never the secret (the bad --log
    // stops the run before the simulator starts).
    sim()
        .args([
            "--callback-url",
            "http://127.0.0.1:9/cb",
            "--callback-secret",
            CALLBACK_SECRET,
            "--log",
            "/nonexistent-dir/x",
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("warning")
                .and(predicate::str::contains("ZEGO_SIM_CALLBACK_SECRET")),
        )
        .stderr(predicate::str::contains(CALLBACK_SECRET).not());
    sim()
        .env("ZEGO_SIM_CALLBACK_SECRET", CALLBACK_SECRET)
        .args(["--callback-url", "not a url", "--allow-remote-callbacks"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(CALLBACK_SECRET).not());
}
