//! `zego sim`: the simulator in the foreground.

use std::net::SocketAddr;

use serde_json::json;
use zego_sim::{FaultPlan, SimError, Simulator, SimulatorBuilder};

use crate::cli::{GlobalArgs, SimArgs};
use crate::config::Sources;
use crate::exit::CliError;
use crate::output::{write_stdout, Output};

/// The public demo app served when no `--app` is given. Its secret is the example value
/// of ZEGO's spec, not a real secret.
pub const DEMO_APP_ID: u32 = 1_234_567_890;
/// The demo app's (public, example) secret.
pub const DEMO_SECRET: &str = "0123456789abcdef0123456789abcdef";

/// Parses `APP_ID:SECRET`. Errors never repeat the secret.
pub fn parse_app(spec: &str) -> Result<(u32, String), CliError> {
    let hint = "write --app APP_ID:SECRET, e.g. --app 42:my-test-secret";
    let Some((id, secret)) = spec.split_once(':') else {
        return Err(CliError::usage(
            "--app needs APP_ID:SECRET (no ':' found)",
            hint,
        ));
    };
    // The SDK's own parser, so the simulator accepts exactly the AppIds a client can use.
    let id = id
        .parse::<zego_proto::AppId>()
        .map_err(|e| CliError::usage(format!("--app: {e}"), hint))?
        .get();
    if secret.is_empty() {
        return Err(CliError::usage(
            format!("--app {id}: the secret is empty"),
            hint,
        ));
    }
    Ok((id, secret.to_owned()))
}

/// `--quota`: the raised quotas the simulator enforces (the simulator names its groups as
/// the SDK does, which zego-conformance checks).
fn with_quotas(
    mut builder: SimulatorBuilder,
    global: &GlobalArgs,
) -> Result<SimulatorBuilder, CliError> {
    for quota in &global.quota {
        builder = builder
            .quota_named(quota.group.as_str(), quota.per_second)
            .map_err(|e| {
                CliError::usage(
                    format!("--quota {}: {e}", quota.group.as_str()),
                    "give one of the groups listed by zego --help (--quota)",
                )
            })?;
    }
    Ok(builder)
}

/// Runs the simulator until the process is stopped. `sources` says which secrets came
/// through argv, where other users of the machine can read them (each gets a warning).
pub fn run(
    out: Output,
    args: &SimArgs,
    global: &GlobalArgs,
    sources: Sources,
) -> Result<(), CliError> {
    let rate_limit = !global.no_rate_limit;
    if sources.sim_apps_on_command_line {
        out.warn("--app puts the secret on the command line, visible to other users of this machine (ps, shell history); prefer ZEGO_SIM_APPS=APP_ID:SECRET[,...]");
    }
    if sources.sim_callback_secret_on_command_line {
        out.warn("--callback-secret puts the secret on the command line, visible to other users of this machine (ps, shell history); prefer ZEGO_SIM_CALLBACK_SECRET");
    }
    let mut apps = args
        .apps
        .iter()
        .map(|a| parse_app(a))
        .collect::<Result<Vec<_>, _>>()?;
    let demo = apps.is_empty();
    if demo {
        apps.push((DEMO_APP_ID, DEMO_SECRET.to_owned()));
    }
    let mut builder = Simulator::builder()
        .bind(SocketAddr::from(([127, 0, 0, 1], args.port)))
        .rate_limit(rate_limit);
    for (id, secret) in &apps {
        builder = builder.app(*id, secret.clone());
    }
    builder = with_quotas(builder, global)?;
    if let Some(spec) = &args.faults {
        let plan: FaultPlan = spec.parse().map_err(|e| {
            CliError::usage(
                format!("--faults {spec:?}: {e}"),
                "e.g. --faults 'transient=0.2,delay=200ms;seed=7' (see zego sim --help)",
            )
        })?;
        builder = builder.faults(plan);
    }
    if let Some(seed) = args.seed {
        builder = builder.seed(seed);
    }
    if let Some(log) = &args.log {
        // Checked here so the error names the file, not the port.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| {
                CliError::usage(
                    format!("cannot open --log {}: {e}", log.display()),
                    "give a file in a directory that exists and that you can write",
                )
            })?;
        builder = builder.request_log_path(log);
    }
    builder = with_callbacks(builder, args, sources)?;
    let sim = builder.start().map_err(|e| match e {
        // Only the callback settings can be refused as a configuration.
        SimError::InvalidConfig(m) => CliError::usage(
            format!("--callback-url: {m}"),
            "e.g. --callback-url http://127.0.0.1:8088/zego/callback, or add --allow-remote-callbacks",
        ),
        e => CliError::usage(
            format!("cannot start the simulator: {e}"),
            "pick another --port (0 picks a free one)",
        ),
    })?;
    let base_url = sim.base_url();
    let app_ids: Vec<u32> = apps.iter().map(|(id, _)| *id).collect();
    if out.json {
        write_stdout(
            &json!({
                "ok": true,
                "base_url": base_url,
                "app_ids": app_ids,
                "demo_app": demo,
                "rate_limit": rate_limit,
                "callback_url": args.callback_url,
            })
            .to_string(),
        );
    } else {
        // The base URL is the first line of stdout, for scripts.
        write_stdout(&base_url);
        for id in &app_ids {
            write_stdout(&format!("app {id}"));
        }
        if demo {
            write_stdout(&format!(
                "demo app (public example secret, not a real one):\n  export ZEGO_ENDPOINT={base_url} ZEGO_APP_ID={DEMO_APP_ID} ZEGO_SERVER_SECRET={DEMO_SECRET}"
            ));
        } else {
            write_stdout(&format!("  export ZEGO_ENDPOINT={base_url}"));
        }
        if let Some(url) = &args.callback_url {
            out.note(format!("stream callbacks go to {url}"));
        }
        out.note(format!(
            "zego-sim listening on {base_url} (rate limits {}); Ctrl-C stops it",
            if rate_limit { "on" } else { "off" }
        ));
    }
    sim.wait();
    Ok(())
}

/// Adds the callback settings. A secret from the environment without `--callback-url` is
/// ignored (the variable may be exported for other runs); one typed without it is an error.
fn with_callbacks(
    builder: SimulatorBuilder,
    args: &SimArgs,
    sources: Sources,
) -> Result<SimulatorBuilder, CliError> {
    match (&args.callback_url, &args.callback_secret) {
        (None, Some(_)) if sources.sim_callback_secret_on_command_line => Err(CliError::usage(
            "--callback-secret needs --callback-url",
            "add --callback-url http://127.0.0.1:PORT/PATH (where your service listens)",
        )),
        (None, _) => Ok(builder),
        (Some(_), None) => Err(CliError::usage(
            "--callback-url needs the CallbackSecret the callbacks are signed with",
            "export ZEGO_SIM_CALLBACK_SECRET=... (or --callback-secret, visible in ps)",
        )),
        (Some(url), Some(secret)) => Ok(builder
            .callback_url(url.clone())
            .callback_secret(secret.clone())
            .allow_remote_callbacks(args.allow_remote_callbacks)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_specs() {
        assert_eq!(parse_app("42:s:x").unwrap(), (42, "s:x".to_owned()));
        let err = parse_app("x:topsecret").unwrap_err().to_string();
        assert!(!err.contains("topsecret"), "{err}");
        assert!(parse_app("42").is_err());
        assert!(parse_app("42:").is_err());
    }
}
