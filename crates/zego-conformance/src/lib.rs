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
//! which expands to one `#[test]` per scenario of [`scenarios`].
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::sync::Arc;
use std::time::Duration;

use zego_proto::admission::{Coordinator, LocalCoordinator};
use zego_proto::clock::Clock;
use zego_proto::{
    ApiResponse, BulkAction, BulkOptions, BulkReport, CallError, ClientCore, Credentials,
    Environment, Operation, RetryPolicy,
};

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
        if let Some(policy) = self.retry_policy {
            builder = builder.retry_policy(policy);
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

/// Expands to one `#[test]` per scenario of [`scenarios`], each building its clients
/// with `$make` (a `fn(ClientSetup) -> impl ClientUnderTest`).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            rtc_forbid_actions_change_the_state,
            stream_rule_actions_change_the_state,
            cdn_actions_change_the_state,
            stream_state_is_described,
            user_rule_actions_change_the_state,
            raw_call_reaches_the_server,
            validation_errors_are_raised_before_sending,
            bad_secret_is_reported_and_not_retried,
            skewed_clock_is_corrected_from_the_date_header,
            burst_above_quota_gets_no_rate_limit_answers,
            transient_faults_are_retried_in_order,
            hanging_server_times_out,
            oversized_body_is_refused,
            bulk_forbid_of_1000_streams,
            bulk_input_is_consumed_lazily_and_every_stream_is_accounted_for,
            bulk_runs_stop_when_they_should,
            an_interrupted_bulk_run_reports_what_was_in_flight_as_unknown,
            two_clients_in_one_process_never_reuse_a_sequence,
            a_rate_limit_answer_delays_the_other_clients,
            a_hung_forbid_is_retried_inside_the_window,
            retry_after_is_honoured,
            an_untrusted_certificate_is_not_retried,
            a_body_that_is_not_an_envelope_is_reported_as_such,
            room_actions_change_the_state,
            room_stream_actions_use_the_test_prefix,
            user_list_pages_follow_the_marker,
            listings_and_a_bulk_run_at_once_get_no_rate_limit_answers,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::scenarios::$name(&$make);
            }
        )*
    };
}
