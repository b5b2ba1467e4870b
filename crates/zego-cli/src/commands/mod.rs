//! The commands, and what they share: the context, dry runs and sending.

pub mod bans;
pub mod bulk;
pub mod call;
pub mod cdn;
pub mod configure;
pub mod interrupt;
pub mod journal;
pub mod moderation;
pub mod room;
pub mod rule;
#[cfg(feature = "sim")]
pub mod sim;
pub mod stream_state;
pub mod token;
pub mod user_rule;
pub mod wait_notes;

use std::cell::{OnceCell, RefCell};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::json;
use zego_proto::admission::SequenceGenerator;
use zego_proto::driver::TransportOptions;
use zego_proto::wire::{prepare_stamped, Nonce};
use zego_proto::{
    ops::Sequencing, retry::RetryPolicy, ApiResponse, Credentials, Operation, Sequence,
};
use zego_transport_blocking::Client;

use crate::cli::GlobalArgs;
use crate::config::Settings;
use crate::exit::CliError;
use crate::output::Output;

/// What every command gets: the options, the resolved settings and the output.
pub struct Ctx<'a> {
    /// The global options.
    pub global: &'a GlobalArgs,
    /// Credentials, endpoint and environment.
    pub settings: Settings,
    /// Where results go.
    pub out: Output,
    /// Dry runs only: the sequences a client would stamp.
    sequences: SequenceGenerator,
    dry_run_urls: RefCell<Vec<String>>,
    /// The command's one client (one connection pool), built on first use.
    client: OnceCell<Client>,
}

impl<'a> Ctx<'a> {
    /// A context for one command.
    pub fn new(global: &'a GlobalArgs, settings: Settings, out: Output) -> Self {
        let sequences = match global.sequence {
            Some(first) => {
                SequenceGenerator::starting_after(Sequence::new(first.saturating_sub(1)))
            }
            None => SequenceGenerator::new(),
        };
        Self {
            global,
            settings,
            out,
            sequences,
            dry_run_urls: RefCell::new(Vec::new()),
            client: OnceCell::new(),
        }
    }

    /// Whether this is a dry run.
    pub fn dry_run(&self) -> bool {
        self.global.dry_run
    }

    /// The credentials, or how to provide them.
    pub fn credentials(&self) -> Result<Credentials, CliError> {
        self.settings.credentials()
    }

    /// The ServerSecret alone (reading a token needs no AppId), or how to provide it.
    pub fn server_secret(&self) -> Result<zego_proto::ServerSecret, CliError> {
        self.settings.server_secret()
    }

    /// The next `Sequence` of a dry run: the time in milliseconds, strictly increasing (or
    /// counting up from `--sequence`), as a client would stamp it.
    fn next_sequence(&self) -> Sequence {
        let now = if self.global.sequence.is_some() {
            0
        } else {
            now_unix_millis()
        };
        self.sequences.next(now)
    }

    /// The command's client for the resolved settings and the connection options: built
    /// once, so every request of the command shares its connection pool, coordinator and
    /// sequences.
    pub fn client(&self) -> Result<&Client, CliError> {
        if let Some(client) = self.client.get() {
            return Ok(client);
        }
        let client = build_client(self.global, &self.settings, self.credentials()?, self.out);
        Ok(self.client.get_or_init(|| client))
    }

    /// Signs `op` as a dry run would: with `--nonce`/`--timestamp`, or a fresh nonce and now.
    pub fn signed_url<O: Operation + ?Sized>(&self, op: &O) -> Result<String, CliError> {
        let credentials = self.credentials()?;
        let nonce = match &self.global.nonce {
            Some(hex) => hex.parse::<Nonce>().map_err(|e| {
                CliError::usage(
                    format!("invalid --nonce: {e}"),
                    "give 16 lowercase hex characters, e.g. 4fd24687296dd9f3",
                )
            })?,
            None => Nonce::generate(&mut rand::rng()),
        };
        let timestamp = self
            .global
            .timestamp
            .unwrap_or_else(|| now_unix_millis() / 1000);
        let stamped =
            matches!(op.sequencing(), Sequencing::Stamped(_)).then(|| self.next_sequence());
        let request = prepare_stamped(
            op,
            &self.settings.config,
            &credentials,
            timestamp,
            stamped,
            nonce,
        )?;
        Ok(request.into_url())
    }

    /// Prints (or, in JSON mode, collects) the signed URL of a dry run.
    pub fn print_dry_run<O: Operation + ?Sized>(&self, op: &O) -> Result<(), CliError> {
        let url = self.signed_url(op)?;
        if self.out.json {
            self.dry_run_urls.borrow_mut().push(url);
        } else {
            crate::output::write_stdout(&url);
        }
        Ok(())
    }

    /// In JSON mode, the one document of a dry run.
    pub fn finish_dry_run(&self) {
        if self.dry_run() && self.out.json {
            self.out
                .json(&json!({ "ok": true, "dry_run": true, "urls": *self.dry_run_urls.borrow() }));
        }
    }

    /// Sends `op`, or prints its signed URL in a dry run (then `None`).
    pub fn send<O: Operation>(&self, op: &O) -> Result<Option<ApiResponse<O::Output>>, CliError> {
        if self.dry_run() {
            self.print_dry_run(op)?;
            return Ok(None);
        }
        let client = self.client()?;
        tracing::info!(action = op.action(), "sending");
        let response = client.execute(op)?;
        tracing::info!(action = op.action(), request_id = %response.request_id, "done");
        Ok(Some(response))
    }

    /// Sends every operation in order (each one built and checked before the first is
    /// sent), for a command that splits its arguments into requests. `None` after a dry
    /// run, whose document is then printed.
    pub fn send_all<O: Operation>(
        &self,
        ops: &[O],
    ) -> Result<Option<Vec<ApiResponse<O::Output>>>, CliError> {
        let mut responses = Vec::with_capacity(ops.len());
        for op in ops {
            responses.extend(self.send(op)?);
        }
        if self.dry_run() {
            self.finish_dry_run();
            return Ok(None);
        }
        Ok(Some(responses))
    }
}

/// Builds a client from the settings and the connection options.
pub fn build_client(
    global: &GlobalArgs,
    settings: &Settings,
    credentials: Credentials,
    out: Output,
) -> Client {
    // Mozilla's roots plus the platform's: the files named by SSL_CERT_FILE / SSL_CERT_DIR
    // when set (a private CA, a TLS-inspecting proxy), else the system store.
    let mut options = TransportOptions::default().with_platform_roots(true);
    options.user_agent = format!("zego-cli/{}", env!("CARGO_PKG_VERSION"));
    if let Some(secs) = global.timeout {
        let timeout = Duration::from_secs(secs);
        let connect = options.connect_timeout.min(timeout);
        options = options
            .with_request_timeout(timeout)
            .with_connect_timeout(connect);
    }
    let mut builder = Client::builder(credentials)
        .config(settings.config.clone())
        .quotas(settings.quotas)
        .transport_options(options)
        .on_wait(wait_notes::announcer(out));
    if let Some(retries) = global.retries {
        builder = builder.retry_policy(RetryPolicy {
            max_attempts: retries + 1,
            ..RetryPolicy::default()
        });
    }
    if let Some(coordinator) = &settings.coordinator {
        builder = builder.coordinator(coordinator.clone());
    } else if global.no_rate_limit {
        builder = builder.no_rate_limit();
    }
    builder.build()
}

/// The current Unix time in milliseconds.
pub fn now_unix_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// ` (RequestId X)` for human output.
pub fn request_id_note(request_id: &str) -> String {
    if request_id.is_empty() {
        String::new()
    } else {
        format!(" (RequestId {request_id})")
    }
}
