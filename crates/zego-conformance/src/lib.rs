//! One conformance suite for every zego-rs transport.
//!
//! The scenarios are written once, against [`ClientUnderTest`] (blocking-style methods; an
//! async client's adapter owns a runtime and blocks on each future), and run over real
//! loopback HTTP against [`zego_sim`]. A transport crate runs the whole suite with one
//! macro call in `tests/conformance.rs`:
//!
//! ```text
//! fn make_client(setup: zego_conformance::ClientSetup) -> Box<dyn zego_conformance::ClientUnderTest> {
//!     Box::new(MyAdapter::new(setup))
//! }
//! zego_conformance::conformance_tests!(make_client);
//! ```
//!
//! in a test target with `harness = false` (`[[test]] name = "conformance" harness = false`
//! in its `Cargo.toml`), which expands to a `main` running each scenario of [`scenarios`]
//! as its own named test ([`run_all`]).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use zego_proto::admission::{Coordinator, LocalCoordinator};
use zego_proto::clock::Clock;
use zego_proto::{
    bulk::{BulkAction, BulkOptions, BulkReport},
    driver::ClientCore,
    retry::RetryPolicy,
    ApiResponse, CallError, CallOptions, Credentials, Environment, Operation,
};

pub mod from_env;
pub mod hostile;
pub mod scenarios;
pub mod tls;

/// Which admission coordinator a scenario's client uses.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum CoordinatorSetup {
    /// The client's own default: the process-wide coordinator (`no_rate_limit` when
    /// `rate_limit` is false), as an application gets without configuring anything.
    ProcessDefault {
        /// Whether client-side rate limiting is on.
        rate_limit: bool,
    },
    /// This coordinator (shared with other clients of the scenario, or private).
    Custom(Arc<dyn Coordinator>),
}

/// How a scenario wants its client built. Adapters map every field onto their builder.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientSetup {
    /// The credentials (possibly wrong on purpose).
    pub credentials: Credentials,
    /// The simulator's base URL (`http://127.0.0.1:PORT`), to use as a custom endpoint.
    pub base_url: String,
    /// The environment (default production).
    pub environment: Environment,
    /// A clock to use instead of the system clock.
    pub clock: Option<Arc<dyn Clock>>,
    /// A retry policy to use instead of the default.
    pub retry_policy: Option<RetryPolicy>,
    /// The coordinator (default: a fresh [`LocalCoordinator`] per client, so scenarios
    /// running in parallel against their own simulators do not share a quota).
    pub coordinator: CoordinatorSetup,
    /// The transport's connect timeout.
    pub connect_timeout: Duration,
    /// The transport's whole-request timeout.
    pub request_timeout: Duration,
    /// The transport's body cap.
    pub max_body_bytes: usize,
    /// Quotas for the builder (`ClientBuilder::quotas`: raised ones), used by the default
    /// coordinator (`CoordinatorSetup::ProcessDefault`); `None`: ZEGO's.
    pub quotas: Option<zego_proto::admission::Quotas>,
    /// The client's longest wait for a rate-limit slot (default: none).
    pub max_wait: Option<Duration>,
}

impl std::fmt::Debug for ClientSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSetup")
            .field("credentials", &self.credentials)
            .field("base_url", &self.base_url)
            .field("custom_clock", &self.clock.is_some())
            .field("retry_policy", &self.retry_policy)
            .field("coordinator", &self.coordinator)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("quotas", &self.quotas)
            .field("max_wait", &self.max_wait)
            .finish_non_exhaustive()
    }
}

impl ClientSetup {
    /// The defaults for a simulator app: system clock, default retry policy, a fresh
    /// rate-limited coordinator, 5 s connect and 10 s request timeouts, 1 MiB body cap.
    pub fn new(credentials: Credentials, base_url: impl Into<String>) -> Self {
        Self {
            credentials,
            base_url: base_url.into(),
            environment: Environment::Production,
            clock: None,
            retry_policy: None,
            coordinator: CoordinatorSetup::Custom(Arc::new(LocalCoordinator::new())),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            quotas: None,
            max_wait: None,
        }
    }

    /// Turns client-side rate limiting off (a fresh unlimited coordinator).
    #[must_use]
    pub fn without_rate_limit(mut self) -> Self {
        self.coordinator = CoordinatorSetup::Custom(Arc::new(LocalCoordinator::new().unlimited()));
        self
    }

    /// Builds the client of any transport crate from these settings (its default
    /// transport, configured by the timeouts and body cap here).
    pub fn build<C: zego_proto::driver::BuildClient>(self) -> C {
        let options = zego_proto::driver::TransportOptions::default()
            .with_connect_timeout(self.connect_timeout)
            .with_request_timeout(self.request_timeout)
            .with_max_body_bytes(self.max_body_bytes);
        let mut builder = zego_proto::driver::ClientBuilder::<C>::new(self.credentials)
            .endpoint(zego_proto::Endpoint::custom(&self.base_url).expect("simulator URL"))
            .environment(self.environment)
            .transport_options(options);
        if let Some(clock) = self.clock {
            builder = builder.clock(clock);
        }
        if let Some(max_wait) = self.max_wait {
            builder = builder.max_wait(max_wait);
        }
        if let Some(policy) = self.retry_policy {
            builder = builder.retry_policy(policy);
        }
        if let Some(quotas) = self.quotas {
            builder = builder.quotas(quotas);
        }
        match self.coordinator {
            CoordinatorSetup::ProcessDefault { rate_limit: true } => builder,
            CoordinatorSetup::ProcessDefault { rate_limit: false } => builder.no_rate_limit(),
            CoordinatorSetup::Custom(coordinator) => builder.coordinator(coordinator),
        }
        .build()
    }
}

/// A client as the scenarios see it: the one entry point of the transport crates
/// (`execute`), blocking, plus `bulk`. An async client's adapter owns a runtime and
/// blocks on each future.
pub trait ClientUnderTest: Send + Sync {
    /// The client's core.
    fn core(&self) -> &ClientCore;
    /// `Client::execute`.
    fn execute<O>(&self, op: &O) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync,
        O::Output: Send;
    /// `Client::execute_with`.
    fn execute_with<O>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync,
        O::Output: Send;
    /// `Client::pages`, run to its end: every page (or the error that ended it).
    fn user_pages(
        &self,
        first: zego_proto::ops::DescribeUserList,
    ) -> Vec<Result<ApiResponse<zego_proto::ops::UserPage>, CallError>>;
    /// `Client::bulk`, consuming `ids` lazily.
    fn bulk(
        &self,
        action: BulkAction,
        ids: Box<dyn Iterator<Item = String> + Send>,
        options: &BulkOptions,
    ) -> BulkReport;
}

/// Runs every scenario of [`scenarios::all`] as its own named test, making clients with
/// `make`, and exits with the test harness's status. It takes libtest's arguments (a name
/// filter, `--exact`, `--list`, `--test-threads`, ...), so the test target that calls it
/// needs `harness = false`.
pub fn run_all<C, F>(make: F) -> !
where
    C: ClientUnderTest + 'static,
    F: Fn(ClientSetup) -> C + Send + Sync + 'static,
{
    let make = Arc::new(make);
    let trials = scenarios::all::<C>()
        .into_iter()
        .map(|scenario| {
            let make = Arc::clone(&make);
            libtest_mimic::Trial::test(scenario.name, move || {
                (scenario.run)(&*make);
                Ok(())
            })
        })
        .collect();
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), trials).exit()
}

/// The `main` of a transport's conformance test target (`harness = false`): one named test
/// per scenario of [`scenarios`], each building its clients with `$make` (a
/// `fn(ClientSetup) -> impl ClientUnderTest`).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        fn main() {
            $crate::run_all($make)
        }
    };
}
