//! The blocking [`Client`] and its [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use zego_proto::ops::{
    CdnForbidList, CdnForbidResult, CdnVendor, DelForbidStreamRule, DelForbidUserRule,
    DescribeForbidStreamRules, DescribeForbidUserRules, DescribeRtcStreamState, DisabledPrivilege,
    EffectiveTime, ForbidCdnLiveStream, ForbidRtcStream, ForbidRtcStreams, MediaBan,
    QueryForbidCdnLiveStream, RawOperation, RawOutput, ResumeCdnLiveStream, ResumeRtcStream,
    ResumeRtcStreams, SetForbidStreamRule, SetForbidUserRule, StreamRules, StreamState,
    UserRuleExpiry, UserRuleTarget, UserRuleType, UserRules,
};
use zego_proto::{
    ApiResponse, AttemptOutcome, CallError, ClientCore, ClientCoreBuilder, Clock, Config,
    ConfigError, Credentials, Endpoint, Environment, Operation, RateLimiter, RetryPolicy, Step,
    SystemClock, TransportOptions, ValidationError,
};

use crate::transport::{BlockingTransport, UreqTransport};

/// A blocking ZEGO server API client.
///
/// `Send + Sync` and cheap to clone (clones share the transport, rate limiter, retry
/// budget and sequence generator), so one client can serve many threads. Every method runs
/// the core's call loop ([`zego_proto::Call`]): wait for a rate-limit permit, sign, send,
/// parse, and retry per the [`RetryPolicy`].
///
/// ```
/// use zego_proto::Credentials;
/// use zego_sim::{Env, Simulator};
/// use zego_transport_blocking::Client;
///
/// let sim = Simulator::builder().app(1234567890, "0123456789abcdef0123456789abcdef").start()?;
/// let client = Client::builder(Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?)
///     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?)
///     .build();
/// client.forbid_rtc_streams(["cheater-1", "cheater-2"])?;
/// assert!(sim.forbidden_rtc_streams(1234567890, Env::Production).contains("cheater-2"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) core: ClientCore,
    pub(crate) transport: Box<dyn BlockingTransport>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("core", &self.inner.core)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`]. Start with [`Client::builder`] or [`Client::from_env`].
///
/// Later calls override earlier ones; [`ClientBuilder::endpoint`] and
/// [`ClientBuilder::environment`] override the matching part of [`ClientBuilder::config`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use zego_proto::{Credentials, Endpoint, Environment, Region, RetryPolicy, SystemClock};
/// use zego_transport_blocking::{Client, TransportOptions};
///
/// let client = Client::builder(Credentials::new(1u32, "secret")?)
///     .endpoint(Endpoint::Region(Region::Frankfurt))
///     .environment(Environment::Production)
///     .transport_options(TransportOptions::default().with_request_timeout(Duration::from_secs(3)))
///     .retry_policy(RetryPolicy::default())
///     .clock(Arc::new(SystemClock))
///     .build();
/// assert_eq!(client.core().config().endpoint().base_url(), "https://rtc-api-fra.zego.im");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ClientBuilder {
    core: ClientCoreBuilder,
    transport_options: TransportOptions,
    transport: Option<Box<dyn BlockingTransport>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("core", &self.core)
            .field("transport_options", &self.transport_options)
            .field("custom_transport", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    fn new(credentials: Credentials) -> Self {
        Self {
            core: ClientCore::builder(credentials),
            transport_options: TransportOptions::default(),
            transport: None,
            clock: Arc::new(SystemClock),
        }
    }

    /// The endpoint and environment together (default: unified host, production).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.core = self.core.config(config);
        self
    }

    /// The host to call (default [`Endpoint::Unified`]).
    #[must_use]
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.core = self.core.endpoint(endpoint);
        self
    }

    /// Production (default) or the legacy test environment.
    #[must_use]
    pub fn environment(mut self, environment: Environment) -> Self {
        self.core = self.core.environment(environment);
        self
    }

    /// Options of the default [`UreqTransport`] (ignored with [`ClientBuilder::transport`]).
    #[must_use]
    pub fn transport_options(mut self, options: TransportOptions) -> Self {
        self.transport_options = options;
        self
    }

    /// Sends through another transport (a closure works).
    #[must_use]
    pub fn transport(mut self, transport: impl BlockingTransport + 'static) -> Self {
        self.transport = Some(Box::new(transport));
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.core = self.core.retry_policy(policy);
        self
    }

    /// Another client-side rate limiter (default: a token bucket with ZEGO's quotas).
    #[must_use]
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.core = self.core.rate_limiter(limiter);
        self
    }

    /// No client-side rate limiting (rate-limit answers are still retried with backoff).
    #[must_use]
    pub fn no_rate_limit(mut self) -> Self {
        self.core = self.core.no_rate_limit();
        self
    }

    /// The clock used to sign (`Timestamp`), number (`Sequence`) and pace requests
    /// (default [`SystemClock`]).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Client {
        let core = self.core.build();
        let transport = self
            .transport
            .unwrap_or_else(|| Box::new(UreqTransport::new(&self.transport_options)));
        Client {
            inner: Arc::new(Inner {
                core,
                transport,
                clock: self.clock,
            }),
        }
    }
}

fn refused(action: &str) -> impl FnOnce(ValidationError) -> CallError + '_ {
    move |e| CallError::validation(action, e)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Client {
    /// A builder for a client with these credentials.
    ///
    /// ```
    /// use zego_proto::Credentials;
    /// use zego_transport_blocking::Client;
    /// let client = Client::builder(Credentials::new(1u32, "secret")?).build();
    /// assert_eq!(client.core().credentials().app_id().get(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(credentials: Credentials) -> ClientBuilder {
        ClientBuilder::new(credentials)
    }

    /// A builder with the credentials from `ZEGO_APP_ID` and `ZEGO_SERVER_SECRET`.
    ///
    /// ```no_run
    /// use zego_transport_blocking::Client;
    /// let client = Client::from_env()?.build();
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<ClientBuilder, ConfigError> {
        Ok(ClientBuilder::new(Credentials::from_env()?))
    }

    /// The sans-IO core (credentials, config, limiter, retry policy, sequences).
    pub fn core(&self) -> &ClientCore {
        &self.inner.core
    }

    /// Runs any operation through the core's call loop.
    ///
    /// ```
    /// use zego_proto::{ops::DescribeForbidUserRules, ops::UserRuleType, Credentials, Endpoint};
    /// use zego_transport_blocking::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let rules = client.execute(&DescribeForbidUserRules::new(UserRuleType::Ip))?;
    /// assert!(rules.data.rules.is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute<O: Operation + ?Sized>(
        &self,
        op: &O,
    ) -> Result<ApiResponse<O::Output>, CallError> {
        self.drive(op).0
    }

    /// Runs the core's call loop; also returns the number of requests sent.
    pub(crate) fn drive<O: Operation + ?Sized>(
        &self,
        op: &O,
    ) -> (Result<ApiResponse<O::Output>, CallError>, u32) {
        let inner = &*self.inner;
        let span = tracing::info_span!("zego_call", action = op.action());
        let _entered = span.enter();
        let mut call = inner.core.call(op);
        let mut step = call.step(inner.clock.now(), &mut rand::rng());
        loop {
            step = match step {
                Step::Sleep(delay) => {
                    tracing::trace!(delay_ms = millis(delay), "sleeping");
                    std::thread::sleep(delay);
                    call.step(inner.clock.now(), &mut rand::rng())
                }
                Step::Send(request) => {
                    let attempt = call.attempts();
                    tracing::trace!(attempt, url = %request.redacted_url(), "sending");
                    let started = Instant::now();
                    let outcome = inner.transport.send(request);
                    let latency = started.elapsed();
                    let next = call.on_response(outcome, inner.clock.now(), &mut rand::rng());
                    log_attempt(attempt, call.last_outcome(), latency);
                    next
                }
                Step::Done(result) => {
                    if let Err(e) = &result {
                        tracing::debug!(attempts = call.attempts(), error = %e, "call failed");
                    }
                    return (result, call.attempts());
                }
            };
        }
    }

    /// Any action, with raw parameters; `Data` comes back as JSON.
    ///
    /// ```
    /// use zego_proto::{ops::RawOperation, Credentials, Endpoint};
    /// use zego_transport_blocking::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let op = RawOperation::new("QueryForbidCDNLiveStream")?.param("Vendor", "ws")?;
    /// let answer = client.call(&op)?;
    /// assert!(answer.data.0["Ws"]["ResultDetail"].is_array());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(&self, op: &RawOperation) -> Result<ApiResponse<RawOutput>, CallError> {
        self.execute(op)
    }

    /// `ForbidRTCStreams`: forbids 1 to 20 streams at once, with a fresh `Sequence`.
    ///
    /// ```
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_blocking::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// client.forbid_rtc_streams(["a", "b"])?;
    /// client.resume_rtc_streams(["a"])?;
    /// assert_eq!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forbid_rtc_streams<I, S>(&self, stream_ids: I) -> Result<ApiResponse<()>, CallError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let op = ForbidRtcStreams::new(stream_ids, self.next_sequence())
            .map_err(refused(ForbidRtcStreams::ACTION))?;
        self.execute(&op)
    }

    /// `ResumeRTCStreams`: resumes 1 to 20 streams at once, with a fresh `Sequence`.
    pub fn resume_rtc_streams<I, S>(&self, stream_ids: I) -> Result<ApiResponse<()>, CallError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let op = ResumeRtcStreams::new(stream_ids, self.next_sequence())
            .map_err(refused(ResumeRtcStreams::ACTION))?;
        self.execute(&op)
    }

    /// `ForbidRTCStream`: forbids one stream, with a fresh `Sequence`.
    ///
    /// ```
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_blocking::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// client.forbid_rtc_stream("s1")?;
    /// assert!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).contains("s1"));
    /// client.resume_rtc_stream("s1")?;
    /// assert!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forbid_rtc_stream(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = ForbidRtcStream::new(stream_id, self.next_sequence())
            .map_err(refused(ForbidRtcStream::ACTION))?;
        self.execute(&op)
    }

    /// `ResumeRTCStream`: resumes one stream, with a fresh `Sequence`.
    pub fn resume_rtc_stream(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = ResumeRtcStream::new(stream_id, self.next_sequence())
            .map_err(refused(ResumeRtcStream::ACTION))?;
        self.execute(&op)
    }

    /// `SetForbidStreamRule`: bans a stream's audio and/or video for a while.
    ///
    /// ```
    /// use zego_proto::ops::{EffectiveTime, MediaBan};
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_blocking::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// client.set_forbid_stream_rule("room", "s1", MediaBan::Video, EffectiveTime::new(3600)?)?;
    /// let rules = client.describe_forbid_stream_rules("room", ["s1"])?.data;
    /// assert!(rules.rules[0].disable_video);
    /// client.del_forbid_stream_rule("room", "s1")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_forbid_stream_rule(
        &self,
        room_id: impl Into<String>,
        stream_id: impl Into<String>,
        ban: MediaBan,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = SetForbidStreamRule::new(room_id, stream_id, ban, effective_time)
            .map_err(refused(SetForbidStreamRule::ACTION))?;
        self.execute(&op)
    }

    /// `DescribeForbidStreamRules`: the rules of 1 to 10 streams of a room.
    pub fn describe_forbid_stream_rules<I, S>(
        &self,
        room_id: impl Into<String>,
        stream_ids: I,
    ) -> Result<ApiResponse<StreamRules>, CallError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let op = DescribeForbidStreamRules::new(room_id, stream_ids)
            .map_err(refused(DescribeForbidStreamRules::ACTION))?;
        self.execute(&op)
    }

    /// `DelForbidStreamRule`: deletes a stream's rule (deleting a missing rule succeeds).
    pub fn del_forbid_stream_rule(
        &self,
        room_id: impl Into<String>,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = DelForbidStreamRule::new(room_id, stream_id)
            .map_err(refused(DelForbidStreamRule::ACTION))?;
        self.execute(&op)
    }

    /// `ForbidCDNLiveStream`: forbids a CDN live stream (optionally until a `ResumeTime`).
    ///
    /// ```
    /// use zego_proto::ops::{CdnVendor, ForbidCdnLiveStream};
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_blocking::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// let results = client.forbid_cdn_live_stream(&ForbidCdnLiveStream::new("live-1")?)?.data;
    /// assert_eq!(results[0].cdn_type, "ws");
    /// let list = client.query_forbid_cdn_live_stream(CdnVendor::WangSu)?.data;
    /// assert_eq!(list.ws.result_detail.len(), 1);
    /// client.resume_cdn_live_stream("live-1")?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn forbid_cdn_live_stream(
        &self,
        op: &ForbidCdnLiveStream,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError> {
        self.execute(op)
    }

    /// `ResumeCDNLiveStream`: lifts a CDN forbid.
    pub fn resume_cdn_live_stream(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError> {
        let op =
            ResumeCdnLiveStream::new(stream_id).map_err(refused(ResumeCdnLiveStream::ACTION))?;
        self.execute(&op)
    }

    /// `QueryForbidCDNLiveStream`: the CDN forbids in force at a vendor.
    pub fn query_forbid_cdn_live_stream(
        &self,
        vendor: CdnVendor,
    ) -> Result<ApiResponse<CdnForbidList>, CallError> {
        self.execute(&QueryForbidCdnLiveStream::new(vendor))
    }

    /// `DescribeRTCStreamState`: whether a stream is live, with a fresh `Sequence`.
    ///
    /// ```
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_blocking::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// sim.set_stream_live(7, zego_sim::Env::Production, "s1", 1_700_000_000);
    /// assert!(client.describe_rtc_stream_state("s1")?.data.is_live());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn describe_rtc_stream_state(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<StreamState>, CallError> {
        let op = DescribeRtcStreamState::new(stream_id, self.next_sequence())
            .map_err(refused(DescribeRtcStreamState::ACTION))?;
        self.execute(&op)
    }

    /// `SetForbidUserRule`: takes privileges from an IP, room, user or user in a room.
    ///
    /// ```
    /// use zego_proto::ops::{DisabledPrivilege, EffectiveTime, UserRuleTarget, UserRuleType};
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_blocking::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// let target = UserRuleTarget::user("u1")?;
    /// client.set_forbid_user_rule(target.clone(), [DisabledPrivilege::Login], EffectiveTime::default())?;
    /// assert_eq!(client.describe_forbid_user_rules(UserRuleType::User)?.data.rules.len(), 1);
    /// client.del_forbid_user_rule(target)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn set_forbid_user_rule(
        &self,
        target: UserRuleTarget,
        privileges: impl IntoIterator<Item = DisabledPrivilege>,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<UserRuleExpiry>, CallError> {
        let op = SetForbidUserRule::new(target, privileges, effective_time)
            .map_err(refused(SetForbidUserRule::ACTION))?;
        self.execute(&op)
    }

    /// `DescribeForbidUserRules`: the user rules of one type.
    pub fn describe_forbid_user_rules(
        &self,
        rule_type: UserRuleType,
    ) -> Result<ApiResponse<UserRules>, CallError> {
        self.execute(&DescribeForbidUserRules::new(rule_type))
    }

    /// `DelForbidUserRule`: deletes a user rule (deleting a missing rule succeeds).
    pub fn del_forbid_user_rule(
        &self,
        target: UserRuleTarget,
    ) -> Result<ApiResponse<()>, CallError> {
        self.execute(&DelForbidUserRule::new(target))
    }

    pub(crate) fn next_sequence(&self) -> zego_proto::Sequence {
        self.inner.core.next_sequence(self.inner.clock.now())
    }
}

fn log_attempt(attempt: u32, outcome: Option<AttemptOutcome>, latency: Duration) {
    let latency_ms = millis(latency);
    match outcome {
        Some(AttemptOutcome::Answered { http_status, code }) => {
            tracing::debug!(attempt, http_status, code, latency_ms, "attempt answered");
        }
        Some(AttemptOutcome::Failed(kind)) => tracing::debug!(
            attempt,
            transport_error = kind.as_str(),
            latency_ms,
            "attempt failed"
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use zego_proto::{decode_query, CallErrorKind, ManualClock, TransportErrorKind};
    use zego_proto::{HttpResponse, TransportError};

    fn ok_body() -> HttpResponse {
        HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"1"}"#)
    }

    #[test]
    fn client_is_send_sync_and_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
    }

    #[test]
    fn sequences_are_fresh_and_increasing() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .transport(move |req: HttpRequestAlias| {
                let seq = decode_query(req.url())
                    .unwrap()
                    .into_iter()
                    .find(|(k, _)| k == "Sequence")
                    .map(|(_, v)| v.parse::<u64>().unwrap())
                    .unwrap();
                log.lock().unwrap().push(seq);
                Ok(ok_body())
            })
            .build();
        for _ in 0..5 {
            client.forbid_rtc_stream("a").unwrap();
        }
        let seqs = seen.lock().unwrap().clone();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }

    type HttpRequestAlias = zego_proto::HttpRequest;

    #[test]
    fn validation_errors_send_nothing() {
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .transport(
                |_: HttpRequestAlias| -> Result<HttpResponse, TransportError> {
                    panic!("nothing must be sent")
                },
            )
            .build();
        let err = client.forbid_rtc_streams(Vec::<String>::new()).unwrap_err();
        assert!(matches!(err.kind(), CallErrorKind::Validation(_)));
        assert_eq!(err.attempts(), 0);
        assert_eq!(err.action(), "ForbidRTCStreams");
        let err = client.forbid_rtc_stream("x".repeat(300)).unwrap_err();
        assert!(matches!(err.kind(), CallErrorKind::Validation(_)));
    }

    #[test]
    fn the_clock_signs_the_timestamp() {
        let clock = Arc::new(ManualClock::new(Duration::from_secs(1_234_567_890)));
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .clock(clock)
            .transport(|req: HttpRequestAlias| {
                assert!(req.url().contains("Timestamp=1234567890"));
                Ok(ok_body())
            })
            .build();
        client.del_forbid_stream_rule("r", "s").unwrap();
    }

    #[test]
    fn transport_errors_are_retried_then_reported() {
        let count = Arc::new(Mutex::new(0u32));
        let c = Arc::clone(&count);
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .retry_policy(RetryPolicy::never())
            .transport(move |_: HttpRequestAlias| {
                *c.lock().unwrap() += 1;
                Err(TransportError::new(TransportErrorKind::Timeout, "slow"))
            })
            .build();
        let err = client.del_forbid_stream_rule("r", "s").unwrap_err();
        assert_eq!(err.attempts(), 1);
        assert_eq!(*count.lock().unwrap(), 1);
        assert!(
            matches!(err.kind(), CallErrorKind::Transport(t) if t.kind() == TransportErrorKind::Timeout)
        );
    }

    #[test]
    fn endpoint_and_environment_override_config() {
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .config(Config::new(Endpoint::custom("http://a.test").unwrap()))
            .environment(Environment::Test)
            .build();
        assert!(client.core().config().environment().is_test());
        assert_eq!(
            client.core().config().endpoint().base_url(),
            "http://a.test"
        );
    }
}
