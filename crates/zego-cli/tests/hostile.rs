//! The `zego` binary against servers that answer, but not as ZEGO does (a proxy's page, a
//! malformed envelope): reported as such, with exit code 4 (1 for a bulk run, whose
//! failures each carry their 4), never as "no answer" (3).

mod common;

use common::{bare, APP, SECRET};
use zego_conformance::hostile::{HostileServer, Reply};

fn zego_at(server: &HostileServer) -> assert_cmd::Command {
    let mut cmd = bare();
    cmd.env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .arg("--endpoint")
        .arg(server.base_url());
    cmd
}

#[test]
fn a_body_that_is_not_an_envelope_exits_4_and_says_it_may_have_been_applied() {
    let string_code = r#"{"Code":"0","Message":"success","RequestId":"1"}"#;
    for reply in [
        Reply::ok(string_code),
        Reply::EchoTarget { status: 200 },
        Reply::status(403, "<html><h1>Forbidden by proxy</h1></html>"),
    ] {
        let server = HostileServer::start(vec![reply.clone()]);
        let output = zego_at(&server)
            .args(["--json", "forbid", "s1"])
            .output()
            .unwrap();
        // A bulk run exits 1 when some streams failed and not all for want of an answer
        // (3); the failure itself carries its own exit code, 4.
        assert_eq!(output.status.code(), Some(1), "{reply:?}: {output:?}");
        let report = common::json_of(&output);
        let error = &report["failures"][0]["error"];
        assert_eq!(error["exit_code"], 4, "{report}");
        assert_eq!(
            error["attempts"], 1,
            "a 2xx/4xx page is not resent: {report}"
        );
        let hint = error["hint"].as_str().unwrap();
        assert!(hint.contains("may have been applied"), "{hint}");
        assert!(!hint.contains("no answer"), "{hint}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("not a ZEGO response"), "{message}");
        let signature = server.received()[0]
            .target
            .split('&')
            .find_map(|kv| kv.strip_prefix("Signature="))
            .unwrap()
            .to_owned();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stdout.contains(&signature) && !stderr.contains(&signature));
        assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    }
}

#[test]
fn a_single_call_answered_by_a_proxy_page_exits_4_in_human_output() {
    let server = HostileServer::start(vec![Reply::status(404, "<html>Not Found</html>")]);
    let output = zego_at(&server)
        .args(["rule", "delete", "--room", "room1", "--stream", "s1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4), "{output:?}");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(text.contains("may have been applied"), "{text}");
}
