//! [`ClientBuilder`]: the one builder of every client, whatever its transport. The
//! settings are written here once; a transport crate only says how its client is made
//! from the finished [`ClientCore`] ([`BuildClient`]) and what `.transport(..)` takes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::admission::{Coordinator, LocalCoordinator};
use crate::call::{ClientCore, WaitNotice, WaitObserver};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, Endpoint, Environment};
use crate::credentials::Credentials;
use crate::env::EnvSettings;
use crate::error::ConfigError;
use crate::operation::RateLimitGroup;
use crate::rate_limit::Quotas;
use crate::retry::{RetryBudget, RetryPolicy};
use crate::transport_options::TransportOptions;

/// What a client type provides to be built by [`ClientBuilder`]. Implemented by the
/// transports' `Client`s, and by [`ClientCore`] itself.
pub trait BuildClient: Sized {
    /// What [`ClientBuilder::transport`] stores (the transport crate's boxed transport).
    type Transport;

    /// Makes the client from the core and the custom transport, if one was given
    /// (otherwise the default transport, configured by
    /// [`ClientCore::transport_options`]).
    fn build_client(core: ClientCore, transport: Option<Self::Transport>) -> Self;
}

impl BuildClient for ClientCore {
    type Transport = std::convert::Infallible;

    fn build_client(core: ClientCore, _: Option<Self::Transport>) -> Self {
        core
    }
}

#[derive(Debug, Clone)]
enum CoordinatorChoice {
    Shared,
    SharedUnlimited,
    Custom(Arc<dyn Coordinator>),
}

/// Builds a client (or a bare [`ClientCore`]). Later calls override earlier ones;
/// [`ClientBuilder::endpoint`] and [`ClientBuilder::environment`] override the matching
/// part of [`ClientBuilder::config`], whatever the order.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::{Config, Credentials, Endpoint, Environment, Region, driver::ClientCore};
/// use zego_proto::driver::TransportOptions;
/// let core = ClientCore::builder(Credentials::new(1u32, "secret")?)
///     .environment(Environment::Test)
///     .config(Config::new(Endpoint::Unified))
///     .endpoint(Endpoint::Region(Region::Singapore))
///     .transport_options(TransportOptions::default().with_request_timeout(Duration::from_secs(3)))
///     .no_rate_limit()
///     .build();
/// assert_eq!(core.config().endpoint().base_url(), "https://rtc-api-sgp.zego.im");
/// assert!(core.config().environment().is_test());
/// assert_eq!(core.transport_options().request_timeout, Duration::from_secs(3));
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
pub struct ClientBuilder<C: BuildClient> {
    credentials: Credentials,
    config: Config,
    endpoint: Option<Endpoint>,
    environment: Option<Environment>,
    retry_policy: RetryPolicy,
    budget: Option<Arc<RetryBudget>>,
    coordinator: CoordinatorChoice,
    quotas: Quotas,
    clock: Arc<dyn Clock>,
    transport_options: TransportOptions,
    max_wait: Option<Duration>,
    on_wait: Option<WaitObserver>,
    transport: Option<C::Transport>,
}

impl<C: BuildClient> fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("credentials", &self.credentials)
            .field("config", &self.config)
            .field("endpoint", &self.endpoint)
            .field("environment", &self.environment)
            .field("retry_policy", &self.retry_policy)
            .field("coordinator", &self.coordinator)
            .field("quotas", &self.quotas)
            .field("transport_options", &self.transport_options)
            .field("max_wait", &self.max_wait)
            .field("on_wait", &self.on_wait.is_some())
            .field("custom_transport", &self.transport.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientCore {
    /// A builder for a core with these credentials.
    pub fn builder(credentials: Credentials) -> ClientBuilder<ClientCore> {
        ClientBuilder::new(credentials)
    }
}

impl<C: BuildClient> ClientBuilder<C> {
    /// A builder with these credentials and every default: the unified host, production,
    /// [`RetryPolicy::default`], the process-wide [`LocalCoordinator::shared`], the system
    /// clock, [`TransportOptions::default`].
    pub fn new(credentials: Credentials) -> Self {
        Self {
            credentials,
            config: Config::default(),
            endpoint: None,
            environment: None,
            retry_policy: RetryPolicy::default(),
            budget: None,
            coordinator: CoordinatorChoice::Shared,
            quotas: Quotas::default(),
            clock: Arc::new(SystemClock),
            transport_options: TransportOptions::default(),
            max_wait: None,
            on_wait: None,
            transport: None,
        }
    }

    /// A builder with the settings of the environment variables the `zego` CLI reads
    /// ([`crate::env`]: the AppId, the ServerSecret or its file, the region or endpoint, the
    /// test environment), with the CLI's precedence.
    ///
    /// ```no_run
    /// use zego_proto::driver::ClientCore;
    /// use zego_proto::driver::ClientBuilder;
    /// let core = ClientBuilder::<ClientCore>::from_env()?.build();
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self::from_settings(EnvSettings::from_env()?))
    }

    /// A builder with these settings (see [`EnvSettings::from_lookup`]).
    pub fn from_settings(settings: EnvSettings) -> Self {
        Self::new(settings.credentials).config(settings.config)
    }

    /// The endpoint and environment together (default: unified host, production).
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The host to call (default [`Endpoint::Unified`]).
    #[must_use]
    pub fn endpoint(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }

    /// Production (default) or the legacy test environment.
    #[must_use]
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = Some(environment);
        self
    }

    /// The retry policy (default [`RetryPolicy::default`]).
    #[must_use]
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// A retry budget to share with other clients (default: one of this client's own).
    #[must_use]
    pub fn retry_budget(mut self, budget: Arc<RetryBudget>) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The admission coordinator: rate-limit slots and `Sequence` stamping (default: the
    /// process-wide [`LocalCoordinator::shared`]). Give every client of a fleet the same
    /// shared coordinator (e.g. the Redis one).
    #[must_use]
    pub fn coordinator(mut self, coordinator: Arc<dyn Coordinator>) -> Self {
        self.coordinator = CoordinatorChoice::Custom(coordinator);
        self
    }

    /// A group's quota, for an app whose quota ZEGO raised (in both environments; default:
    /// ZEGO's documented quotas, see [`RateLimitGroup`]). The client's default coordinator
    /// then paces to it: [`LocalCoordinator::shared_with_quotas`], shared by every client
    /// of the process with the same quotas. A custom [`ClientBuilder::coordinator`] keeps
    /// its own quotas: give a fleet's coordinator the same ones (for Redis,
    /// `RedisCoordinatorBuilder::quotas`), whose fleet share then divides the raised quota.
    ///
    /// ```
    /// use zego_proto::{driver::ClientCore, ops::RateLimitGroup, Credentials, Environment};
    /// let core = ClientCore::builder(Credentials::new(1234567890u32, "0123456789abcdef0123456789abcdef")?)
    ///     .quota(RateLimitGroup::StreamForbid, 500)
    ///     .build_core();
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    #[must_use]
    pub fn quota(mut self, group: RateLimitGroup, per_second: u32) -> Self {
        for environment in [Environment::Production, Environment::Test] {
            self.quotas.set(group, environment, per_second);
        }
        self
    }

    /// Every group's quota at once (default: ZEGO's documented quotas); see
    /// [`ClientBuilder::quota`].
    #[must_use]
    pub fn quotas(mut self, quotas: Quotas) -> Self {
        self.quotas = quotas;
        self
    }

    /// No client-side rate limiting: [`LocalCoordinator::shared_unlimited`], which still
    /// stamps sequences from the process's one generator. Rate-limit answers are still
    /// retried with backoff.
    #[must_use]
    pub fn no_rate_limit(mut self) -> Self {
        self.coordinator = CoordinatorChoice::SharedUnlimited;
        self
    }

    /// The clock used to sign (`Timestamp`) and number (`Sequence`) requests and to time
    /// retries (default [`SystemClock`]).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Options of the default transport (ignored with [`ClientBuilder::transport`]).
    #[must_use]
    pub fn transport_options(mut self, options: TransportOptions) -> Self {
        self.transport_options = options;
        self
    }

    /// The longest any call of this client waits for a rate-limit slot (default: no
    /// bound but the call's deadline); a call whose slot is further away fails at once
    /// with [`CallErrorKind::NotAdmittedInTime`](crate::CallErrorKind::NotAdmittedInTime).
    /// [`CallOptions::with_max_wait`](crate::CallOptions::with_max_wait) overrides it per call.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::{driver::ClientCore, Credentials};
    /// let core = ClientCore::builder(Credentials::new(1u32, "secret")?)
    ///     .max_wait(Duration::from_secs(1))
    ///     .build();
    /// assert_eq!(core.max_wait(), Some(Duration::from_secs(1)));
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    #[must_use]
    pub fn max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }

    /// Calls `observer` before every wait for a rate limit (a slot further away, or the
    /// backoff after ZEGO's rate-limit answer), e.g. to tell a user why a call takes long.
    /// It runs on the calling thread and must return quickly.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::{driver::ClientCore, Credentials};
    /// let core = ClientCore::builder(Credentials::new(1u32, "secret")?)
    ///     .on_wait(|notice| {
    ///         if notice.wait > Duration::from_secs(1) {
    ///             eprintln!("{notice}");
    ///         }
    ///     })
    ///     .build();
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    #[must_use]
    pub fn on_wait(mut self, observer: impl Fn(&WaitNotice<'_>) + Send + Sync + 'static) -> Self {
        self.on_wait = Some(Arc::new(observer));
        self
    }

    /// Sends through another transport.
    #[must_use]
    pub fn transport(mut self, transport: impl Into<C::Transport>) -> Self {
        self.transport = Some(transport.into());
        self
    }

    /// The finished core, without a transport.
    pub fn build_core(self) -> ClientCore {
        self.into_parts().0
    }

    fn into_parts(self) -> (ClientCore, Option<C::Transport>) {
        let mut config = self.config;
        if let Some(endpoint) = self.endpoint {
            config = Config::new(endpoint).with_environment(config.environment());
        }
        if let Some(environment) = self.environment {
            config = config.with_environment(environment);
        }
        let coordinator: Arc<dyn Coordinator> = match self.coordinator {
            CoordinatorChoice::Shared => LocalCoordinator::shared_with_quotas(self.quotas),
            CoordinatorChoice::SharedUnlimited => LocalCoordinator::shared_unlimited(),
            CoordinatorChoice::Custom(coordinator) => coordinator,
        };
        let core = ClientCore {
            credentials: self.credentials,
            config,
            retry: self.retry_policy,
            budget: self.budget.unwrap_or_default(),
            coordinator,
            clock: self.clock,
            transport_options: self.transport_options,
            max_wait: self.max_wait,
            on_wait: self.on_wait,
            clock_offset: Arc::default(),
        };
        (core, self.transport)
    }

    /// Builds the client.
    pub fn build(self) -> C {
        let (core, transport) = self.into_parts();
        C::build_client(core, transport)
    }
}
