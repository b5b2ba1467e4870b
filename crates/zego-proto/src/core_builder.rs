//! [`ClientCoreBuilder`]: the settings every client has, whatever its transport, so both
//! transports' builders only add their HTTP options on top.

use std::sync::Arc;

use crate::call::ClientCore;
use crate::config::{Config, Endpoint, Environment};
use crate::credentials::Credentials;
use crate::rate_limit::RateLimiter;
use crate::retry::RetryPolicy;

#[derive(Debug, Clone)]
enum LimiterChoice {
    Default,
    Custom(Arc<dyn RateLimiter>),
    Off,
}

/// Builds a [`ClientCore`]. Later calls override earlier ones; [`ClientCoreBuilder::endpoint`]
/// and [`ClientCoreBuilder::environment`] override the matching part of
/// [`ClientCoreBuilder::config`], whatever the order.
///
/// ```
/// use zego_proto::{ClientCore, Config, Credentials, Endpoint, Environment, Region};
/// let core = ClientCore::builder(Credentials::new(1u32, "secret")?)
///     .environment(Environment::Test)
///     .config(Config::new(Endpoint::Unified))
///     .endpoint(Endpoint::Region(Region::Singapore))
///     .no_rate_limit()
///     .build();
/// assert_eq!(core.config().endpoint().base_url(), "https://rtc-api-sgp.zego.im");
/// assert!(core.config().environment().is_test());
/// assert!(core.rate_limiter().is_none());
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ClientCoreBuilder {
    credentials: Credentials,
    config: Config,
    endpoint: Option<Endpoint>,
    environment: Option<Environment>,
    retry_policy: Option<RetryPolicy>,
    limiter: LimiterChoice,
}

impl ClientCore {
    /// A builder for a core with these credentials.
    pub fn builder(credentials: Credentials) -> ClientCoreBuilder {
        ClientCoreBuilder {
            credentials,
            config: Config::default(),
            endpoint: None,
            environment: None,
            retry_policy: None,
            limiter: LimiterChoice::Default,
        }
    }
}

impl ClientCoreBuilder {
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
        self.retry_policy = Some(policy);
        self
    }

    /// Another client-side rate limiter (default: a token bucket with ZEGO's quotas).
    #[must_use]
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiter = LimiterChoice::Custom(limiter);
        self
    }

    /// No client-side rate limiting (rate-limit answers are still retried with backoff).
    #[must_use]
    pub fn no_rate_limit(mut self) -> Self {
        self.limiter = LimiterChoice::Off;
        self
    }

    /// Builds the core.
    pub fn build(self) -> ClientCore {
        let mut config = self.config;
        if let Some(endpoint) = self.endpoint {
            config = Config::new(endpoint).with_environment(config.environment());
        }
        if let Some(environment) = self.environment {
            config = config.with_environment(environment);
        }
        let mut core = ClientCore::new(self.credentials, config);
        if let Some(policy) = self.retry_policy {
            core = core.with_retry_policy(policy);
        }
        match self.limiter {
            LimiterChoice::Default => core,
            LimiterChoice::Custom(limiter) => core.with_rate_limiter(limiter),
            LimiterChoice::Off => core.without_rate_limiter(),
        }
    }
}
