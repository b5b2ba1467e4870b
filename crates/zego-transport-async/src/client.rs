//! The async [`Client`] and its [`ClientBuilder`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tracing::Instrument;

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

use crate::transport::{AsyncTransport, ReqwestTransport};

/// An async ZEGO server API client.
///
/// `Send + Sync` and cheap to clone (clones share the transport, rate limiter, retry
/// budget and sequence generator), so one client can serve many threads. Every method runs
/// the core's call loop ([`zego_proto::Call`]): wait for a rate-limit permit, sign, send,
/// parse, and retry per the [`RetryPolicy`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use zego_proto::Credentials;
/// use zego_sim::{Env, Simulator};
/// use zego_transport_async::Client;
///
/// let sim = Simulator::builder().app(1234567890, "0123456789abcdef0123456789abcdef").start()?;
/// let client = Client::builder(Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?)
///     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?)
///     .build();
/// client.forbid_rtc_streams(["cheater-1", "cheater-2"]).await?;
/// assert!(sim.forbidden_rtc_streams(1234567890, Env::Production).contains("cheater-2"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) core: ClientCore,
    pub(crate) transport: Box<dyn AsyncTransport>,
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
/// use zego_transport_async::{Client, TransportOptions};
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
    transport: Option<Box<dyn AsyncTransport>>,
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

    /// Options of the default [`ReqwestTransport`] (ignored with [`ClientBuilder::transport`]).
    #[must_use]
    pub fn transport_options(mut self, options: TransportOptions) -> Self {
        self.transport_options = options;
        self
    }

    /// Sends through another transport (a closure works).
    #[must_use]
    pub fn transport(mut self, transport: impl AsyncTransport + 'static) -> Self {
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
            .unwrap_or_else(|| Box::new(ReqwestTransport::new(&self.transport_options)));
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
    /// use zego_transport_async::Client;
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
    /// use zego_transport_async::Client;
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
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use zego_proto::{ops::DescribeForbidUserRules, ops::UserRuleType, Credentials, Endpoint};
    /// use zego_transport_async::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let rules = client.execute(&DescribeForbidUserRules::new(UserRuleType::Ip)).await?;
    /// assert!(rules.data.rules.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn execute<O>(&self, op: &O) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        self.drive(op).await.0
    }

    /// Runs the core's call loop; also returns the number of requests sent.
    pub(crate) async fn drive<O>(&self, op: &O) -> (Result<ApiResponse<O::Output>, CallError>, u32)
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        let span = tracing::info_span!("zego_call", action = op.action());
        self.drive_inner(op).instrument(span).await
    }

    async fn drive_inner<O>(&self, op: &O) -> (Result<ApiResponse<O::Output>, CallError>, u32)
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        let inner = &*self.inner;
        let mut call = inner.core.call(op);
        // `rand::rng()` is taken afresh at each step: it must never live across an await.
        let mut step = call.step(inner.clock.now(), &mut rand::rng());
        loop {
            step = match step {
                Step::Sleep(delay) => {
                    tracing::trace!(delay_ms = millis(delay), "sleeping");
                    tokio::time::sleep(delay).await;
                    call.step(inner.clock.now(), &mut rand::rng())
                }
                Step::Send(request) => {
                    let attempt = call.attempts();
                    tracing::trace!(attempt, url = %request.redacted_url(), "sending");
                    let started = Instant::now();
                    let outcome = inner.transport.send(request).await;
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
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use zego_proto::{ops::RawOperation, Credentials, Endpoint};
    /// use zego_transport_async::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let op = RawOperation::new("QueryForbidCDNLiveStream")?.param("Vendor", "ws")?;
    /// let answer = client.call(&op).await?;
    /// assert!(answer.data.0["Ws"]["ResultDetail"].is_array());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn call(&self, op: &RawOperation) -> Result<ApiResponse<RawOutput>, CallError> {
        self.execute(op).await
    }

    /// `ForbidRTCStreams`: forbids 1 to 20 streams at once, with a fresh `Sequence`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_async::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// client.forbid_rtc_streams(["a", "b"]).await?;
    /// client.resume_rtc_streams(["a"]).await?;
    /// assert_eq!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn forbid_rtc_streams<I, S>(
        &self,
        stream_ids: I,
    ) -> Result<ApiResponse<()>, CallError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let op = ForbidRtcStreams::new(stream_ids, self.next_sequence())
            .map_err(refused(ForbidRtcStreams::ACTION))?;
        self.execute(&op).await
    }

    /// `ResumeRTCStreams`: resumes 1 to 20 streams at once, with a fresh `Sequence`.
    pub async fn resume_rtc_streams<I, S>(
        &self,
        stream_ids: I,
    ) -> Result<ApiResponse<()>, CallError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let op = ResumeRtcStreams::new(stream_ids, self.next_sequence())
            .map_err(refused(ResumeRtcStreams::ACTION))?;
        self.execute(&op).await
    }

    /// `ForbidRTCStream`: forbids one stream, with a fresh `Sequence`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_async::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// client.forbid_rtc_stream("s1").await?;
    /// assert!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).contains("s1"));
    /// client.resume_rtc_stream("s1").await?;
    /// assert!(sim.forbidden_rtc_streams(7, zego_sim::Env::Production).is_empty());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn forbid_rtc_stream(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = ForbidRtcStream::new(stream_id, self.next_sequence())
            .map_err(refused(ForbidRtcStream::ACTION))?;
        self.execute(&op).await
    }

    /// `ResumeRTCStream`: resumes one stream, with a fresh `Sequence`.
    pub async fn resume_rtc_stream(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = ResumeRtcStream::new(stream_id, self.next_sequence())
            .map_err(refused(ResumeRtcStream::ACTION))?;
        self.execute(&op).await
    }

    /// `SetForbidStreamRule`: bans a stream's audio and/or video for a while.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use zego_proto::ops::{EffectiveTime, MediaBan};
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_async::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// client.set_forbid_stream_rule("room", "s1", MediaBan::Video, EffectiveTime::new(3600)?).await?;
    /// let rules = client.describe_forbid_stream_rules("room", ["s1"]).await?.data;
    /// assert!(rules.rules[0].disable_video);
    /// client.del_forbid_stream_rule("room", "s1").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_forbid_stream_rule(
        &self,
        room_id: impl Into<String>,
        stream_id: impl Into<String>,
        ban: MediaBan,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = SetForbidStreamRule::new(room_id, stream_id, ban, effective_time)
            .map_err(refused(SetForbidStreamRule::ACTION))?;
        self.execute(&op).await
    }

    /// `DescribeForbidStreamRules`: the rules of 1 to 10 streams of a room.
    pub async fn describe_forbid_stream_rules<I, S>(
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
        self.execute(&op).await
    }

    /// `DelForbidStreamRule`: deletes a stream's rule (deleting a missing rule succeeds).
    pub async fn del_forbid_stream_rule(
        &self,
        room_id: impl Into<String>,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<()>, CallError> {
        let op = DelForbidStreamRule::new(room_id, stream_id)
            .map_err(refused(DelForbidStreamRule::ACTION))?;
        self.execute(&op).await
    }

    /// `ForbidCDNLiveStream`: forbids a CDN live stream (optionally until a `ResumeTime`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use zego_proto::ops::{CdnVendor, ForbidCdnLiveStream};
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_async::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// let results = client.forbid_cdn_live_stream(&ForbidCdnLiveStream::new("live-1")?).await?.data;
    /// assert_eq!(results[0].cdn_type, "ws");
    /// let list = client.query_forbid_cdn_live_stream(CdnVendor::WangSu).await?.data;
    /// assert_eq!(list.ws.result_detail.len(), 1);
    /// client.resume_cdn_live_stream("live-1").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn forbid_cdn_live_stream(
        &self,
        op: &ForbidCdnLiveStream,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError> {
        self.execute(op).await
    }

    /// `ResumeCDNLiveStream`: lifts a CDN forbid.
    pub async fn resume_cdn_live_stream(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<Vec<CdnForbidResult>>, CallError> {
        let op =
            ResumeCdnLiveStream::new(stream_id).map_err(refused(ResumeCdnLiveStream::ACTION))?;
        self.execute(&op).await
    }

    /// `QueryForbidCDNLiveStream`: the CDN forbids in force at a vendor.
    pub async fn query_forbid_cdn_live_stream(
        &self,
        vendor: CdnVendor,
    ) -> Result<ApiResponse<CdnForbidList>, CallError> {
        self.execute(&QueryForbidCdnLiveStream::new(vendor)).await
    }

    /// `DescribeRTCStreamState`: whether a stream is live, with a fresh `Sequence`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_async::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// sim.set_stream_live(7, zego_sim::Env::Production, "s1", 1_700_000_000);
    /// assert!(client.describe_rtc_stream_state("s1").await?.data.is_live());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn describe_rtc_stream_state(
        &self,
        stream_id: impl Into<String>,
    ) -> Result<ApiResponse<StreamState>, CallError> {
        let op = DescribeRtcStreamState::new(stream_id, self.next_sequence())
            .map_err(refused(DescribeRtcStreamState::ACTION))?;
        self.execute(&op).await
    }

    /// `SetForbidUserRule`: takes privileges from an IP, room, user or user in a room.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use zego_proto::ops::{DisabledPrivilege, EffectiveTime, UserRuleTarget, UserRuleType};
    /// # let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// # let client = zego_transport_async::Client::builder(zego_proto::Credentials::new(7u32, "secret")?)
    /// #     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?).build();
    /// let target = UserRuleTarget::user("u1")?;
    /// client.set_forbid_user_rule(target.clone(), [DisabledPrivilege::Login], EffectiveTime::default()).await?;
    /// assert_eq!(client.describe_forbid_user_rules(UserRuleType::User).await?.data.rules.len(), 1);
    /// client.del_forbid_user_rule(target).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn set_forbid_user_rule(
        &self,
        target: UserRuleTarget,
        privileges: impl IntoIterator<Item = DisabledPrivilege>,
        effective_time: EffectiveTime,
    ) -> Result<ApiResponse<UserRuleExpiry>, CallError> {
        let op = SetForbidUserRule::new(target, privileges, effective_time)
            .map_err(refused(SetForbidUserRule::ACTION))?;
        self.execute(&op).await
    }

    /// `DescribeForbidUserRules`: the user rules of one type.
    pub async fn describe_forbid_user_rules(
        &self,
        rule_type: UserRuleType,
    ) -> Result<ApiResponse<UserRules>, CallError> {
        self.execute(&DescribeForbidUserRules::new(rule_type)).await
    }

    /// `DelForbidUserRule`: deletes a user rule (deleting a missing rule succeeds).
    pub async fn del_forbid_user_rule(
        &self,
        target: UserRuleTarget,
    ) -> Result<ApiResponse<()>, CallError> {
        self.execute(&DelForbidUserRule::new(target)).await
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
    use zego_proto::{decode_query, CallErrorKind, HttpRequest, ManualClock, TransportErrorKind};
    use zego_proto::{HttpResponse, TransportError};

    fn ok_body() -> HttpResponse {
        HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"1"}"#)
    }

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn client_is_send_sync_and_clone_and_its_futures_are_send() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        let client = Client::builder(Credentials::new(1u32, "s").unwrap()).build();
        assert_send(&client.forbid_rtc_streams(["a"]));
        assert_send(&client.describe_forbid_stream_rules("r", ["a"]));
        assert_send(&client.call(&RawOperation::new("X").unwrap()));
        assert_send(&client.bulk_forbid(vec!["a".to_owned()]));
    }

    #[tokio::test]
    async fn sequences_are_fresh_and_increasing() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .transport(move |req: HttpRequest| {
                let seq = decode_query(req.url())
                    .unwrap()
                    .into_iter()
                    .find(|(k, _)| k == "Sequence")
                    .map(|(_, v)| v.parse::<u64>().unwrap())
                    .unwrap();
                log.lock().unwrap().push(seq);
                async { Ok(ok_body()) }
            })
            .build();
        for _ in 0..5 {
            client.forbid_rtc_stream("a").await.unwrap();
        }
        let seqs = seen.lock().unwrap().clone();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }

    #[tokio::test]
    async fn validation_errors_send_nothing() {
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .transport(|_: HttpRequest| async {
                panic!("nothing must be sent");
                #[allow(unreachable_code)]
                Ok(ok_body())
            })
            .build();
        let err = client
            .forbid_rtc_streams(Vec::<String>::new())
            .await
            .unwrap_err();
        assert!(matches!(err.kind(), CallErrorKind::Validation(_)));
        assert_eq!(err.attempts(), 0);
        assert_eq!(err.action(), "ForbidRTCStreams");
    }

    #[tokio::test]
    async fn the_clock_signs_the_timestamp() {
        let clock = Arc::new(ManualClock::new(Duration::from_secs(1_234_567_890)));
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .clock(clock)
            .transport(|req: HttpRequest| {
                assert!(req.url().contains("Timestamp=1234567890"));
                async { Ok(ok_body()) }
            })
            .build();
        client.del_forbid_stream_rule("r", "s").await.unwrap();
    }

    #[tokio::test]
    async fn transport_errors_are_reported_with_their_kind() {
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .retry_policy(RetryPolicy::never())
            .transport(|_: HttpRequest| async {
                Err(TransportError::new(TransportErrorKind::Timeout, "slow"))
            })
            .build();
        let err = client.del_forbid_stream_rule("r", "s").await.unwrap_err();
        assert_eq!(err.attempts(), 1);
        assert!(
            matches!(err.kind(), CallErrorKind::Transport(t) if t.kind() == TransportErrorKind::Timeout)
        );
    }

    #[test]
    fn trait_objects_can_be_wrapped_as_the_client_transport() {
        let shared: Arc<dyn AsyncTransport> = Arc::new(|_: HttpRequest| async { Ok(ok_body()) });
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .transport(move |request: HttpRequest| {
                let transport = Arc::clone(&shared);
                async move { transport.send(request).await }
            })
            .build();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(client.forbid_rtc_stream("a")).unwrap();
    }
}
