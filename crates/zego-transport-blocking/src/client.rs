//! The blocking [`Client`]: a thin driver of the core's call state machine.

use std::fmt;
use std::sync::Arc;

use zego_proto::driver::{BuildClient, Finished, Step};
use zego_proto::{
    driver::ClientCore, ApiResponse, CallError, CallOptions, ConfigError, Credentials, Operation,
};

use crate::transport::{BlockingTransport, BoxedTransport, UreqTransport};

/// Configures a [`Client`]: the one builder every zego-rs client shares (see
/// [`zego_proto::driver::ClientBuilder`] for every setting). Start with [`Client::builder`]
/// or [`Client::from_env`].
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use zego_proto::{Credentials, Endpoint, Environment, Region, retry::RetryPolicy};
/// use zego_proto::clock::SystemClock;
/// use zego_proto::driver::TransportOptions;
/// use zego_transport_blocking::Client;
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
pub type ClientBuilder = zego_proto::driver::ClientBuilder<Client>;

/// A blocking ZEGO server API client.
///
/// `Send + Sync` and cheap to clone (clones share the transport and everything in the
/// core), so one client can serve many threads. [`Client::execute`] runs any operation of
/// [`zego_proto::ops`] through the core's call loop ([`zego_proto::driver::Call`]): admission
/// (a rate-limit slot and, for sequenced actions, a fresh `Sequence`), signing, sending,
/// parsing, and retries per the [`RetryPolicy`](zego_proto::retry::RetryPolicy).
///
/// ```
/// use zego_proto::ops::{ForbidRtcStreams, ResumeRtcStream};
/// use zego_proto::Credentials;
/// use zego_sim::{Env, Simulator};
/// use zego_transport_blocking::Client;
///
/// let sim = Simulator::builder().app(1234567890, "0123456789abcdef0123456789abcdef").start()?;
/// let client = Client::builder(Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?)
///     .endpoint(zego_proto::Endpoint::custom(&sim.base_url())?)
///     .build();
/// client.execute(&ForbidRtcStreams::new(["cheater-1", "cheater-2"])?)?;
/// client.execute(&ResumeRtcStream::new("cheater-1")?)?;
/// assert_eq!(sim.forbidden_rtc_streams(1234567890, Env::Production).len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    core: ClientCore,
    transport: Box<dyn BlockingTransport>,
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
        let transport = match transport {
            Some(transport) => transport.into_inner(),
            None => Box::new(UreqTransport::new(core.transport_options())),
        };
        Self {
            inner: Arc::new(Inner { core, transport }),
        }
    }
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

    /// A builder with the settings of the environment variables the `zego` CLI reads, with
    /// its precedence: `ZEGO_APP_ID`, `ZEGO_SERVER_SECRET` (or `ZEGO_SERVER_SECRET_FILE`),
    /// `ZEGO_REGION` or `ZEGO_ENDPOINT` (e.g. the URL `zego sim` prints), `ZEGO_TEST_ENV`
    /// (see [`zego_proto::env`]).
    ///
    /// ```no_run
    /// use zego_transport_blocking::Client;
    /// let client = Client::from_env()?.build();
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<ClientBuilder, ConfigError> {
        ClientBuilder::from_env()
    }

    /// A client running `core` through the default [`UreqTransport`].
    ///
    /// ```
    /// use zego_proto::{Credentials, driver::ClientCore};
    /// let core = ClientCore::builder(Credentials::new(1u32, "secret")?).build();
    /// let client = zego_transport_blocking::Client::from_core(core);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_core(core: ClientCore) -> Self {
        Self::build_client(core, None)
    }

    /// A client running `core` through `transport` (an `Arc` of a shared transport, a
    /// [`UreqTransport`] made from your own `ureq::Agent`, a [`transport_fn`](crate::transport_fn)).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use zego_proto::{Credentials, driver::ClientCore};
    /// use zego_transport_blocking::{Client, UreqTransport};
    /// let shared = Arc::new(UreqTransport::default());
    /// let core = ClientCore::builder(Credentials::new(1u32, "secret")?).build();
    /// let a = Client::with_transport(core.clone(), Arc::clone(&shared));
    /// let b = Client::with_transport(core, shared); // one connection pool for both
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
    /// returns its typed `Data`.
    ///
    /// ```
    /// use zego_proto::ops::{DescribeForbidUserRules, RawOperation, UserRuleType};
    /// use zego_proto::{Credentials, Endpoint};
    /// use zego_transport_blocking::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let rules = client.execute(&DescribeForbidUserRules::new(UserRuleType::Ip))?;
    /// assert!(rules.data.rules.is_empty());
    /// // Any other action, with raw parameters; `Data` comes back as JSON.
    /// let raw = RawOperation::new("QueryForbidCDNLiveStream")?.param("Vendor", "ws")?;
    /// assert!(client.execute(&raw)?.data.0["Ws"]["ResultDetail"].is_array());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute<O: Operation + ?Sized>(
        &self,
        op: &O,
    ) -> Result<ApiResponse<O::Output>, CallError> {
        self.run(op, &CallOptions::default()).result
    }

    /// [`Client::execute`] with per-call options (another retry policy or deadline),
    /// without building a second client.
    ///
    /// ```
    /// use zego_proto::{CallOptions, Credentials, Endpoint, ops::ForbidRtcStream, retry::RetryPolicy};
    /// use zego_transport_blocking::Client;
    /// let sim = zego_sim::Simulator::builder().app(7, "secret").start()?;
    /// let client = Client::builder(Credentials::new(7u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let once = CallOptions::new().with_retry_policy(RetryPolicy::never());
    /// client.execute_with(&ForbidRtcStream::new("s1")?, &once)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn execute_with<O: Operation + ?Sized>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Result<ApiResponse<O::Output>, CallError> {
        self.run(op, options).result
    }

    /// Runs the core's call loop.
    pub(crate) fn run<O: Operation + ?Sized>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Finished<O::Output> {
        let Inner { core, transport } = &*self.inner;
        let coordinator = core.coordinator();
        let span = tracing::info_span!("zego_call", action = op.action());
        let _entered = span.enter();
        let mut call = core.call_with(op, options);
        let mut step = call.step(core.now(), &mut rand::rng());
        loop {
            step = match step {
                Step::Admit(request) => {
                    let answer = coordinator.admit(&request);
                    call.on_admission(answer, core.now(), &mut rand::rng())
                }
                Step::Sleep(delay) => {
                    std::thread::sleep(delay);
                    call.step(core.now(), &mut rand::rng())
                }
                Step::Send(request) => {
                    let outcome = transport.send(request);
                    call.on_response(outcome, core.now(), &mut rand::rng())
                }
                Step::Feedback(feedback) => {
                    coordinator.feedback(&feedback);
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
    use std::sync::Mutex;
    use std::time::Duration;

    use zego_proto::clock::ManualClock;
    use zego_proto::ops::{DelForbidStreamRule, ForbidRtcStream, ForbidRtcStreams};
    use zego_proto::wire::decode_query;
    use zego_proto::{
        driver::{TransportError, TransportErrorKind},
        wire::{HttpRequest, HttpResponse},
    };
    use zego_proto::{retry::RetryPolicy, CallErrorKind, Config, Endpoint, Environment};

    use crate::transport_fn;

    fn ok_body() -> HttpResponse {
        HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"1"}"#)
    }

    #[test]
    fn client_is_send_sync_and_clone() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<Client>();
    }

    #[test]
    fn sequences_are_stamped_fresh_and_increasing() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .transport(transport_fn(move |req: HttpRequest| {
                let seq = decode_query(req.url())
                    .unwrap()
                    .into_iter()
                    .find(|(k, _)| k == "Sequence")
                    .map(|(_, v)| v.parse::<u64>().unwrap())
                    .unwrap();
                log.lock().unwrap().push(seq);
                Ok(ok_body())
            }))
            .build();
        for _ in 0..5 {
            client.execute(&ForbidRtcStream::new("a").unwrap()).unwrap();
        }
        let seqs = seen.lock().unwrap().clone();
        assert_eq!(seqs.len(), 5);
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    }

    #[test]
    fn validation_errors_send_nothing() {
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .transport(transport_fn(
                |_: HttpRequest| -> Result<HttpResponse, TransportError> {
                    panic!("nothing must be sent")
                },
            ))
            .build();
        let err: CallError = ForbidRtcStreams::new(Vec::<String>::new())
            .unwrap_err()
            .into();
        assert!(matches!(err.kind(), CallErrorKind::Validation(_)));
        assert_eq!(err.attempts(), 0);
        // A valid op whose prefixed stream ID is too long fails in the core, before sending.
        let long = ForbidRtcStream::new("x".repeat(250)).unwrap();
        let test_client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .environment(Environment::Test)
            .transport(transport_fn(
                |_: HttpRequest| -> Result<HttpResponse, TransportError> {
                    panic!("nothing must be sent")
                },
            ))
            .build();
        let err = test_client.execute(&long).unwrap_err();
        assert!(matches!(err.kind(), CallErrorKind::Validation(_)));
        assert_eq!(err.action(), "ForbidRTCStream");
        drop(client);
    }

    #[test]
    fn the_clock_signs_the_timestamp() {
        let clock = Arc::new(ManualClock::new(Duration::from_secs(1_234_567_890)));
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .clock(clock)
            .transport(transport_fn(|req: HttpRequest| {
                assert!(req.url().contains("Timestamp=1234567890"));
                Ok(ok_body())
            }))
            .build();
        client
            .execute(&DelForbidStreamRule::new("r", "s").unwrap())
            .unwrap();
    }

    #[test]
    fn transport_errors_are_retried_then_reported() {
        let count = Arc::new(Mutex::new(0u32));
        let c = Arc::clone(&count);
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .retry_policy(RetryPolicy::never())
            .transport(transport_fn(move |_: HttpRequest| {
                *c.lock().unwrap() += 1;
                Err(TransportError::new(TransportErrorKind::Timeout, "slow"))
            }))
            .build();
        let err = client
            .execute(&DelForbidStreamRule::new("r", "s").unwrap())
            .unwrap_err();
        assert_eq!(err.attempts(), 1);
        assert_eq!(*count.lock().unwrap(), 1);
        assert!(
            matches!(err.kind(), CallErrorKind::Transport(t) if t.kind() == TransportErrorKind::Timeout)
        );
    }

    #[test]
    fn per_call_options_override_the_client() {
        let count = Arc::new(Mutex::new(0u32));
        let c = Arc::clone(&count);
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .no_rate_limit()
            .retry_policy(RetryPolicy {
                base_delay: Duration::from_millis(1),
                jitter: false,
                ..RetryPolicy::default()
            })
            .transport(transport_fn(move |_: HttpRequest| {
                *c.lock().unwrap() += 1;
                Err(TransportError::new(TransportErrorKind::Connect, "refused"))
            }))
            .build();
        let op = DelForbidStreamRule::new("r", "s").unwrap();
        let err = client
            .execute_with(
                &op,
                &CallOptions::new().with_retry_policy(RetryPolicy::never()),
            )
            .unwrap_err();
        assert_eq!(err.attempts(), 1);
        let err = client.execute(&op).unwrap_err();
        assert_eq!(err.attempts(), 5);
        assert_eq!(*count.lock().unwrap(), 6);
    }

    #[test]
    fn shared_and_boxed_transports_are_transports() {
        let shared: Arc<dyn BlockingTransport> =
            Arc::new(transport_fn(|_: HttpRequest| Ok(ok_body())));
        let core = ClientCore::builder(Credentials::new(1u32, "s").unwrap()).build();
        let a = Client::with_transport(core.clone(), Arc::clone(&shared));
        let boxed: Box<dyn BlockingTransport> =
            Box::new(transport_fn(|_: HttpRequest| Ok(ok_body())));
        let b = Client::with_transport(core, boxed);
        let op = DelForbidStreamRule::new("r", "s").unwrap();
        assert!(a.execute(&op).is_ok() && b.execute(&op).is_ok());
    }

    #[test]
    fn endpoint_and_environment_override_config() {
        let client = Client::builder(Credentials::new(1u32, "s").unwrap())
            .config(Config::new(Endpoint::custom("https://a.test").unwrap()))
            .environment(Environment::Test)
            .build();
        assert!(client.core().config().environment().is_test());
        assert_eq!(
            client.core().config().endpoint().base_url(),
            "https://a.test"
        );
    }
}
