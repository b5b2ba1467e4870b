//! The async [`Client`]: a thin driver of the core's call state machine.

use std::fmt;
use std::sync::Arc;

use tracing::Instrument;
use zego_proto::driver::{BuildClient, Finished, Step};
use zego_proto::{
    driver::ClientCore, ApiResponse, CallError, CallOptions, ConfigError, Credentials, Operation,
};

use crate::transport::{AsyncTransport, BoxedTransport, ReqwestTransport};

/// Configures a [`Client`]: the one builder every zego-rs client shares (see
/// [`zego_proto::driver::ClientBuilder`] for every setting). Start with [`Client::builder`]
/// or [`Client::from_env`].
///
/// ```
/// use std::time::Duration;
/// use zego_proto::{Credentials, Endpoint, Region};
/// use zego_proto::driver::TransportOptions;
/// use zego_transport_async::Client;
///
/// let client = Client::builder(Credentials::new(1u32, "secret")?)
///     .endpoint(Endpoint::Region(Region::Singapore))
///     .transport_options(TransportOptions::default().with_connect_timeout(Duration::from_secs(2)))
///     .build();
/// assert_eq!(client.core().config().endpoint().base_url(), "https://rtc-api-sgp.zego.im");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ClientBuilder = zego_proto::driver::ClientBuilder<Client>;

/// An async ZEGO server API client (tokio).
///
/// `Send + Sync` and cheap to clone, and its futures are `Send`, so one client can serve
/// every task. [`Client::execute`] runs any operation of [`zego_proto::ops`] through the
/// core's call loop: admission (a rate-limit slot and, for sequenced actions, a fresh
/// `Sequence`, through the coordinator's `admit_async`), signing, sending, parsing, and
/// retries per the [`RetryPolicy`](zego_proto::retry::RetryPolicy).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use zego_proto::ops::{ForbidRtcStreams, SetForbidStreamRule, EffectiveTime, MediaBan};
/// use zego_proto::Credentials;
/// use zego_sim::{Env, Simulator};
/// use zego_transport_async::Client;
///
/// let sim = Simulator::builder().app(1234567890, "0123456789abcdef0123456789abcdef").start()?;
/// let client = Client::builder(Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?)
///     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?)
///     .build();
/// client.execute(&ForbidRtcStreams::new(["cheater-1", "cheater-2"])?).await?;
/// let mute = SetForbidStreamRule::new("room-1", "loud-1", MediaBan::Audio, EffectiveTime::new(3600)?)?;
/// client.execute(&mute).await?;
/// assert!(sim.forbidden_rtc_streams(1234567890, Env::Production).contains("cheater-2"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    core: ClientCore,
    transport: Box<dyn AsyncTransport>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("core", &self.inner.core)
            .finish_non_exhaustive()
    }
}

impl BuildClient for Client {
    type Transport = BoxedTransport;

    fn build_client(core: ClientCore, transport: Option<BoxedTransport>) -> Self {
        let transport = transport.map_or_else(
            || Box::new(ReqwestTransport::new(core.transport_options())) as Box<dyn AsyncTransport>,
            BoxedTransport::into_inner,
        );
        let inner = Arc::new(Inner { core, transport });
        Self { inner }
    }
}

impl Client {
    /// A builder for a client with these credentials.
    pub fn builder(credentials: Credentials) -> ClientBuilder {
        ClientBuilder::new(credentials)
    }

    /// A builder with the settings of the environment variables the `zego` CLI reads, with
    /// its precedence: `ZEGO_APP_ID`, `ZEGO_SERVER_SECRET` (or `ZEGO_SERVER_SECRET_FILE`),
    /// `ZEGO_REGION` or `ZEGO_ENDPOINT` (e.g. the URL `zego sim` prints), `ZEGO_TEST_ENV`
    /// (see [`zego_proto::env`]).
    ///
    /// ```no_run
    /// let client = zego_transport_async::Client::from_env()?.build();
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<ClientBuilder, ConfigError> {
        ClientBuilder::from_env()
    }

    /// A client running `core` through the default [`ReqwestTransport`].
    pub fn from_core(core: ClientCore) -> Self {
        Self::build_client(core, None)
    }

    /// A client running `core` through `transport`: your own `reqwest::Client` (custom
    /// roots, proxies, middleware), a shared `Arc` transport, a
    /// [`transport_fn`](crate::transport_fn).
    ///
    /// ```
    /// use zego_proto::{Credentials, driver::ClientCore};
    /// use zego_transport_async::{Client, ReqwestTransport};
    /// let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    /// let core = ClientCore::builder(Credentials::new(1u32, "secret")?).build();
    /// let client = Client::with_transport(core, ReqwestTransport::from(http));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn with_transport(core: ClientCore, transport: impl Into<BoxedTransport>) -> Self {
        Self::build_client(core, Some(transport.into()))
    }

    /// The sans-IO core (credentials, config, coordinator, retry policy, clock).
    pub fn core(&self) -> &ClientCore {
        &self.inner.core
    }

    /// Runs any operation (typed, or [`RawOperation`](zego_proto::ops::RawOperation)) and
    /// returns its typed `Data`. The future is `Send`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use zego_proto::ops::{DescribeRtcStreamState, RawOperation};
    /// use zego_proto::{Credentials, Endpoint};
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = zego_transport_async::Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// sim.set_stream_live(7, zego_sim::Env::Production, "s1", 1_700_000_000);
    /// assert!(client.execute(&DescribeRtcStreamState::new("s1")?).await?.data.is_live());
    /// let raw = RawOperation::new("QueryForbidCDNLiveStream")?.param("Vendor", "ws")?;
    /// assert!(client.execute(&raw).await?.data.0["Ws"].is_object());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn execute<O>(&self, op: &O) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        self.run(op, &CallOptions::default()).await.result
    }

    /// [`Client::execute`] with per-call options (another retry policy or deadline).
    pub async fn execute_with<O>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        self.run(op, options).await.result
    }

    /// Runs the core's call loop in a `zego_call` span.
    pub(crate) async fn run<O>(&self, op: &O, options: &CallOptions) -> Finished<O::Output>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        let span = tracing::info_span!("zego_call", action = op.action());
        self.drive(op, options).instrument(span).await
    }

    async fn drive<O>(&self, op: &O, options: &CallOptions) -> Finished<O::Output>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        let Inner { core, transport } = &*self.inner;
        let coordinator = core.coordinator();
        let mut call = core.call_with(op, options);
        // `rand::rng()` is taken afresh at each step: it must never live across an await.
        let mut step = call.step(core.now(), &mut rand::rng());
        loop {
            step = match step {
                Step::Admit(request) => {
                    let answer = coordinator.admit_async(&request).await;
                    call.on_admission(answer, core.now(), &mut rand::rng())
                }
                Step::Sleep(delay) => {
                    tokio::time::sleep(delay).await;
                    call.step(core.now(), &mut rand::rng())
                }
                Step::Send(request) => {
                    let outcome = transport.send(request).await;
                    call.on_response(outcome, core.now(), &mut rand::rng())
                }
                Step::Feedback(feedback) => {
                    coordinator.feedback_async(&feedback).await;
                    call.step(core.now(), &mut rand::rng())
                }
                Step::Done(result) => return call.finished(result),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use zego_proto::ops::{DescribeForbidStreamRules, ForbidRtcStreams, RawOperation};
    use zego_proto::retry::RetryPolicy;
    use zego_proto::{
        driver::{TransportError, TransportErrorKind},
        wire::{HttpRequest, HttpResponse},
    };

    use crate::transport_fn;

    fn assert_send<T: Send>(_: &T) {}

    #[test]
    fn client_is_send_sync_and_clone_and_its_futures_are_send() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
        let client = Client::builder(Credentials::new(1u32, "s").unwrap()).build();
        let forbid = ForbidRtcStreams::new(["a"]).unwrap();
        let describe = DescribeForbidStreamRules::new("r", ["a"]).unwrap();
        let raw = RawOperation::new("X").unwrap();
        assert_send(&client.execute(&forbid));
        assert_send(&client.execute(&describe));
        assert_send(&client.execute_with(&raw, &CallOptions::new()));
    }

    #[tokio::test]
    async fn shared_transports_and_per_call_options() {
        let sent = Arc::new(AtomicU32::new(0));
        let counter = Arc::clone(&sent);
        let failing: Arc<dyn AsyncTransport> = Arc::new(transport_fn(move |_: HttpRequest| {
            counter.fetch_add(1, Ordering::SeqCst);
            async {
                Err::<HttpResponse, _>(TransportError::new(
                    TransportErrorKind::Interrupted,
                    "reset",
                ))
            }
        }));
        let core = ClientCore::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .retry_policy(RetryPolicy {
                base_delay: std::time::Duration::from_millis(1),
                max_attempts: 3,
                ..RetryPolicy::default()
            })
            .build();
        let client = Client::with_transport(core, Arc::clone(&failing));
        let op = ForbidRtcStreams::new(["a"]).unwrap();
        let once = CallOptions::new().with_retry_policy(RetryPolicy::never());
        assert_eq!(
            client
                .execute_with(&op, &once)
                .await
                .unwrap_err()
                .attempts(),
            1
        );
        assert_eq!(client.execute(&op).await.unwrap_err().attempts(), 3);
        assert_eq!(sent.load(Ordering::SeqCst), 4);
    }
}
