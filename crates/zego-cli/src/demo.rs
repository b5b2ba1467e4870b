//! `zego demo`: a narrated round trip through the real client against an in-process
//! simulator. No credentials, no network beyond the loopback interface.

use serde_json::{json, Value};
use zego_proto::ops::{
    DelForbidStreamRule, DescribeForbidStreamRules, DescribeRtcStreamState, EffectiveTime,
    ForbidRtcStream, ForbidRtcStreams, MediaBan, ResumeRtcStream, SetForbidStreamRule,
};
use zego_proto::{CallError, Credentials, Endpoint};
use zego_sim::{Env, SimHandle, Simulator};
use zego_transport_blocking::Client;

use crate::commands::rule::rules_table;
use crate::commands::{now_unix_millis, sim::DEMO_APP_ID, sim::DEMO_SECRET};
use crate::duration::format_unix;
use crate::exit::CliError;
use crate::output::{write_stdout, Output};

const ROOM: &str = "demo-room";

/// Tells the story: numbered steps in human mode, one JSON document in JSON mode.
struct Narrator {
    out: Output,
    step: usize,
    steps: Vec<Value>,
}

impl Narrator {
    fn step(&mut self, title: &str) {
        self.step += 1;
        self.say(format!("\n{}. {title}", self.step));
        self.steps
            .push(json!({ "step": self.step, "title": title }));
    }

    fn say(&self, text: impl AsRef<str>) {
        if !self.out.json {
            write_stdout(text.as_ref());
        }
    }

    fn record(&mut self, key: &str, value: impl Into<Value>) {
        if let Some(last) = self.steps.last_mut() {
            last[key] = value.into();
        }
    }

    fn request_id(&mut self, request_id: &str) {
        self.say(format!("   RequestId: {request_id}"));
        self.record("request_id", request_id);
    }
}

fn failed(step: &str, e: &CallError) -> CliError {
    CliError::usage(
        format!("demo step {step:?} failed unexpectedly: {e}"),
        "this is a bug in the demo; please report it",
    )
}

fn forbidden_list(sim: &SimHandle) -> Vec<String> {
    sim.forbidden_rtc_streams(DEMO_APP_ID, Env::Production)
        .into_iter()
        .collect()
}

/// Runs the demo.
#[allow(clippy::too_many_lines)] // One linear story reads best in one place.
pub fn run(out: Output) -> Result<(), CliError> {
    let sim = Simulator::builder()
        .app(DEMO_APP_ID, DEMO_SECRET)
        .seed(2024)
        .start()
        .map_err(|e| {
            CliError::usage(
                format!("cannot start the simulator: {e}"),
                "check that the loopback interface is available",
            )
        })?;
    let base_url = sim.base_url();
    let endpoint = Endpoint::custom(&base_url)
        .map_err(|e| CliError::usage(e.to_string(), "report this bug"))?;
    let credentials = Credentials::new(DEMO_APP_ID, DEMO_SECRET)?;
    let client = Client::builder(credentials)
        .endpoint(endpoint.clone())
        .build();
    let mut n = Narrator {
        out,
        step: 0,
        steps: Vec::new(),
    };

    n.say("zego demo: a round trip through the real HTTP client against a local ZEGO simulator.");
    n.say(format!(
        "Simulator at {base_url}, demo AppId {DEMO_APP_ID} (its secret is a public example value).\n\
         Every request below is signed (SignatureVersion 2.0), sent over HTTP and answered with a RequestId."
    ));

    n.step("Forbid three streams that are misbehaving (ForbidRTCStreams, one batch)");
    let ids = ["cheater-1", "cheater-2", "cheater-3"];
    let r = client
        .execute(&ForbidRtcStreams::new(ids)?)
        .map_err(|e| failed("forbid", &e))?;
    n.say(format!("   zego forbid {}", ids.join(" ")));
    n.request_id(&r.request_id);

    n.step("Check the simulator's state: they are forbidden");
    let list = forbidden_list(&sim);
    n.say(format!("   forbidden on RTC: {}", list.join(", ")));
    n.record("forbidden", list);

    n.step("Resume one of them (ResumeRTCStream)");
    let r = client
        .execute(&ResumeRtcStream::new("cheater-2")?)
        .map_err(|e| failed("resume", &e))?;
    n.say("   zego resume cheater-2");
    n.request_id(&r.request_id);
    let list = forbidden_list(&sim);
    n.say(format!("   forbidden on RTC now: {}", list.join(", ")));
    n.record("forbidden", list);

    n.step("Ban the audio of cheater-1 in a room for one hour (SetForbidStreamRule)");
    let one_hour = EffectiveTime::new(3600)?;
    let r = client
        .execute(&SetForbidStreamRule::new(
            ROOM,
            "cheater-1",
            MediaBan::Audio,
            one_hour,
        )?)
        .map_err(|e| failed("rule set", &e))?;
    n.say(format!(
        "   zego rule set --room {ROOM} --stream cheater-1 --audio --duration 1h"
    ));
    n.request_id(&r.request_id);

    n.step("Describe the rule (DescribeForbidStreamRules)");
    let describe = DescribeForbidStreamRules::new(ROOM, ["cheater-1"])?;
    let r = client
        .execute(&describe)
        .map_err(|e| failed("rule get", &e))?;
    n.say(format!("   zego rule get --room {ROOM} cheater-1"));
    n.say(indent(&rules_table(&r.data.rules)));
    n.request_id(&r.request_id);

    n.step("Delete the rule, then describe it again (DelForbidStreamRule)");
    let r = client
        .execute(&DelForbidStreamRule::new(ROOM, "cheater-1")?)
        .map_err(|e| failed("rule delete", &e))?;
    n.say(format!(
        "   zego rule delete --room {ROOM} --stream cheater-1"
    ));
    n.request_id(&r.request_id);
    let r = client
        .execute(&describe)
        .map_err(|e| failed("rule get", &e))?;
    n.say(indent(&rules_table(&r.data.rules)));
    n.say(format!("   RequestId: {}", r.request_id));
    n.record(
        "after_delete",
        if r.data
            .rules
            .iter()
            .all(zego_proto::ops::StreamRule::is_empty)
        {
            "no rule"
        } else {
            "rule"
        },
    );

    n.step("Read the state of a live stream (DescribeRTCStreamState)");
    let started = i64::try_from(now_unix_millis() / 1000).unwrap_or(0) - 300;
    sim.set_stream_live(DEMO_APP_ID, Env::Production, "live-1", started);
    let r = client
        .execute(&DescribeRtcStreamState::new("live-1")?)
        .map_err(|e| failed("stream-state", &e))?;
    n.say("   zego stream-state live-1");
    n.say(format!(
        "   live-1 is {} (created {})",
        if r.data.is_live() { "live" } else { "closed" },
        r.data
            .create_time_secs()
            .map_or(r.data.create_time.clone(), format_unix)
    ));
    n.request_id(&r.request_id);
    n.record("live", r.data.is_live());

    n.step("An API error, reported clearly: a client with the wrong secret");
    let wrong = Client::builder(Credentials::new(
        DEMO_APP_ID,
        "ffffffffffffffffffffffffffffffff",
    )?)
    .endpoint(endpoint)
    .build();
    match wrong.execute(&ForbidRtcStream::new("cheater-4")?) {
        Ok(_) => {
            return Err(CliError::usage(
                "the simulator accepted a wrong secret",
                "report this bug",
            ))
        }
        Err(e) => {
            let cli = CliError::Call(e.clone());
            n.say(format!("   error: {e}"));
            n.say(format!("     hint: {}", cli.hint().unwrap_or_default()));
            n.say(format!(
                "   (the CLI exits with code {} for this)",
                cli.exit_code()
            ));
            if let Some(api) = e.api_error() {
                n.record("code", api.code.code());
                n.record("meaning", api.code.meaning());
                n.record("request_id", api.request_id.clone());
            }
        }
    }

    n.step("A validation error, refused before sending: 21 streams in one batch (ZEGO accepts 20)");
    let before = sim.request_log().len();
    let too_many: Vec<String> = (1..=21).map(|i| format!("s{i}")).collect();
    match ForbidRtcStreams::new(too_many)
        .map_err(|e| CallError::validation(ForbidRtcStreams::ACTION, e))
        .and_then(|op| client.execute(&op))
    {
        Ok(_) => {
            return Err(CliError::usage(
                "21 streams were accepted in one batch",
                "report this bug",
            ))
        }
        Err(e) => {
            let cli = CliError::Call(e.clone());
            let sent = sim.request_log().len() - before;
            n.say(format!("   error: {e}"));
            n.say(format!("   requests sent: {sent} (exit code {}); `zego forbid` splits any number of IDs into batches of 20 for you", cli.exit_code()));
            n.record("requests_sent", sent);
            n.record("message", e.to_string());
        }
    }

    n.say(format!(
        "\nDone: {} requests answered by the simulator. Try it yourself:\n  \
         zego sim &                      # prints the export line for its demo app\n  \
         zego forbid s1 s2 --endpoint http://127.0.0.1:PORT\n  \
         zego --help",
        sim.request_log().len()
    ));
    if out.json {
        write_stdout(
            &json!({ "ok": true, "base_url": base_url, "app_id": DEMO_APP_ID, "steps": n.steps })
                .to_string(),
        );
    }
    sim.shutdown();
    Ok(())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| format!("   {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}
