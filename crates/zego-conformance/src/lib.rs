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

use zego_proto::ops::{
    CdnForbidList, CdnForbidResult, CdnVendor, DisabledPrivilege, EffectiveTime,
    ForbidCdnLiveStream, MediaBan, RawOperation, RawOutput, StreamRules, StreamState,
    UserRuleExpiry, UserRuleTarget, UserRuleType, UserRules,
};
use zego_proto::{ApiResponse, BulkReport, CallError, ClientCore, Clock, Credentials, RetryPolicy};

pub mod scenarios;

/// How a scenario wants its client built. Adapters map every field onto their builder.
#[derive(Clone)]
#[non_exhaustive]
pub struct ClientSetup {
    /// The credentials (possibly wrong on purpose).
    pub credentials: Credentials,
    /// The simulator's base URL (`http://127.0.0.1:PORT`), to use as a custom endpoint.
    pub base_url: String,
    /// A clock to use instead of the system clock.
    pub clock: Option<Arc<dyn Clock>>,
    /// A retry policy to use instead of the default.
    pub retry_policy: Option<RetryPolicy>,
    /// Whether the client-side rate limiter is on (default on).
    pub rate_limit: bool,
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
            .field("rate_limit", &self.rate_limit)
            .field("request_timeout", &self.request_timeout)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl ClientSetup {
    /// The defaults for a simulator app: system clock, default retry policy, limiter on,
    /// 5 s connect and 10 s request timeouts, 1 MiB body cap.
    pub fn new(credentials: Credentials, base_url: impl Into<String>) -> Self {
        Self {
            credentials,
            base_url: base_url.into(),
            clock: None,
            retry_policy: None,
            rate_limit: true,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// A client as the scenarios see it: the typed API of the transport crates, blocking.
///
/// Every method maps one to one onto the client method of the same name.
#[allow(missing_docs)]
pub trait ClientUnderTest: Send + Sync {
    fn core(&self) -> &ClientCore;
    fn call(&self, op: &RawOperation) -> Result<ApiResponse<RawOutput>, CallError>;
    fn forbid_rtc_streams(&self, ids: Vec<String>) -> Result<ApiResponse<()>, CallError>;
    fn resume_rtc_streams(&self, ids: Vec<String>) -> Result<ApiResponse<()>, CallError>;
    fn forbid_rtc_stream(&self, id: &str) -> Result<ApiResponse<()>, CallError>;
    fn resume_rtc_stream(&self, id: &str) -> Result<ApiResponse<()>, CallError>;
    fn set_forbid_stream_rule(
        &self,
        room_id: &str,
        stream_id: &str,
        ban: MediaBan,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<()>, CallError>;
    fn describe_forbid_stream_rules(
        &self,
        room_id: &str,
        stream_ids: Vec<String>,
    ) -> Result<ApiResponse<StreamRules>, CallError>;
    fn del_forbid_stream_rule(
        &self,
        room_id: &str,
        stream_id: &str,
    ) -> Result<ApiResponse<()>, CallError>;
    fn forbid_cdn_live_stream(
        &self,
        op: &ForbidCdnLiveStream,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError>;
    fn resume_cdn_live_stream(
        &self,
        stream_id: &str,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError>;
    fn query_forbid_cdn_live_stream(
        &self,
        vendor: CdnVendor,
    ) -> Result<ApiResponse<CdnForbidList>, CallError>;
    fn describe_rtc_stream_state(
        &self,
        stream_id: &str,
    ) -> Result<ApiResponse<StreamState>, CallError>;
    fn set_forbid_user_rule(
        &self,
        target: UserRuleTarget,
        privileges: Vec<DisabledPrivilege>,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<UserRuleExpiry>, CallError>;
    fn describe_forbid_user_rules(
        &self,
        rule_type: UserRuleType,
    ) -> Result<ApiResponse<UserRules>, CallError>;
    fn del_forbid_user_rule(&self, target: UserRuleTarget) -> Result<ApiResponse<()>, CallError>;
    /// Bulk forbid with default options (concurrency 8), consuming `ids` lazily.
    fn bulk_forbid(&self, ids: Box<dyn Iterator<Item = String> + Send>) -> BulkReport;
}

/// The function type a transport crate hands to [`conformance_tests!`].
pub type MakeClient<'a> = &'a dyn Fn(ClientSetup) -> Box<dyn ClientUnderTest>;

/// Expands to one `#[test]` per scenario of [`scenarios`], each building its clients
/// with `$make` (a `fn(ClientSetup) -> Box<dyn ClientUnderTest>`).
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
            skewed_clock_is_reported_within_the_policy,
            burst_above_quota_gets_no_rate_limit_answers,
            transient_faults_are_retried_in_order,
            hanging_server_times_out,
            oversized_body_is_refused,
            bulk_forbid_of_1000_streams,
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
