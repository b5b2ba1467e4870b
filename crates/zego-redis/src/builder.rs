//! [`RedisCoordinatorBuilder`]: the coordinator's settings and their defaults.

use std::sync::Arc;
use std::time::Duration;

use zego_proto::admission::{LocalCoordinator, Quotas};

use crate::coordinator::RedisCoordinator;
use crate::failover::FailurePolicy;
use crate::url::{RedisConfigError, RedisUrl};

/// The coordinator's settings; see [`RedisCoordinatorBuilder`] for the defaults.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) quotas: Quotas,
    pub(crate) fleet_size: u32,
    pub(crate) policy: FailurePolicy,
    pub(crate) connect_timeout: Duration,
    pub(crate) response_timeout: Duration,
    pub(crate) retry_interval: Duration,
    pub(crate) penalty: Duration,
    pub(crate) sequence_ttl: Duration,
    pub(crate) key_prefix: String,
    pub(crate) pacing: f64,
}

/// Configures a [`RedisCoordinator`]. Start with [`RedisCoordinator::builder`].
///
/// ```
/// use std::time::Duration;
/// use zego_redis::{FailurePolicy, RedisCoordinator};
/// let coordinator = RedisCoordinator::builder("redis://:hunter2@127.0.0.1:6379/0")?
///     .fleet_size(4)
///     .failure_policy(FailurePolicy::LocalShare)
///     .connect_timeout(Duration::from_millis(200))
///     .response_timeout(Duration::from_millis(100))
///     .build();
/// // The password never shows.
/// assert_eq!(format!("{coordinator:?}").contains("hunter2"), false);
/// # Ok::<(), zego_redis::RedisConfigError>(())
/// ```
#[derive(Debug)]
pub struct RedisCoordinatorBuilder {
    url: RedisUrl,
    settings: Settings,
}

impl RedisCoordinatorBuilder {
    /// ZEGO's quotas (default) or others.
    #[must_use]
    pub fn quotas(mut self, quotas: Quotas) -> Self {
        self.settings.quotas = quotas;
        self
    }

    /// How many instances share the quota: the fallback admits at `quota / fleet_size`
    /// (default 1: set it, or an outage lets every instance use the whole quota).
    #[must_use]
    pub fn fleet_size(mut self, instances: u32) -> Self {
        self.settings.fleet_size = instances.max(1);
        self
    }

    /// What to do while Redis cannot answer (default [`FailurePolicy::LocalShare`]).
    #[must_use]
    pub fn failure_policy(mut self, policy: FailurePolicy) -> Self {
        self.settings.policy = policy;
        self
    }

    /// How long a connection attempt may take (default 200 ms).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.settings.connect_timeout = timeout;
        self
    }

    /// How long one script call may take before Redis counts as down (default 100 ms:
    /// a script answers in tens of microseconds on a healthy Redis).
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.settings.response_timeout = timeout;
        self
    }

    /// How long the circuit stays open before Redis is tried again (default 1 s).
    #[must_use]
    pub fn retry_interval(mut self, interval: Duration) -> Self {
        self.settings.retry_interval = interval;
        self
    }

    /// How long a rate-limit answer pauses the group for the whole fleet (default 1 s).
    #[must_use]
    pub fn rate_limit_penalty(mut self, penalty: Duration) -> Self {
        self.settings.penalty = penalty;
        self
    }

    /// The share of each quota the fleet uses (default 0.98, clamped to `0.5..=1.0`): at
    /// exactly the quota, a request that arrives a millisecond late puts 21 requests into
    /// some one-second window; at 98 %, requests are 51 ms apart at 20/s and a second's
    /// worth of arrivals may jitter by 20 ms without exceeding the quota.
    #[must_use]
    pub fn pacing(mut self, pacing: f64) -> Self {
        self.settings.pacing = pacing.clamp(0.5, 1.0);
        self
    }

    /// The prefix of every key (default `zego`; `{` and `}` are dropped, so the AppId stays
    /// the hash tag).
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        // Braces would move the Cluster hash tag away from the AppId.
        self.settings.key_prefix = prefix.into().replace(['{', '}'], "");
        self
    }

    /// Trusts this root certificate (PEM or DER) for a `rediss` URL, besides the platform's
    /// roots (`SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the system store): for a Redis
    /// whose certificate a private CA signed. May be given several times; a certificate that
    /// is not a usable trust anchor is skipped with a warning. Ignored for plain `redis` URLs.
    ///
    /// ```
    /// use zego_redis::RedisCoordinator;
    /// # // `rediss` URLs need the `tls-rustls` feature (without it they are refused).
    /// # #[cfg(feature = "tls-rustls")]
    /// # {
    /// # let ca_pem = b"-----BEGIN CERTIFICATE-----\n...".to_vec();
    /// let coordinator = RedisCoordinator::builder("rediss+cluster://10.0.0.1:7000,10.0.0.2:7000")?
    ///     .extra_root_certificate(ca_pem) // e.g. std::fs::read("redis-ca.pem")?
    ///     .build();
    /// # }
    /// # Ok::<(), zego_redis::RedisConfigError>(())
    /// ```
    #[must_use]
    pub fn extra_root_certificate(mut self, certificate: impl Into<Vec<u8>>) -> Self {
        self.url.trust(certificate.into());
        self
    }

    /// Builds the coordinator. Nothing is connected yet: the first admission connects (and
    /// finds a configuration error then; [`RedisCoordinatorBuilder::connect`] finds it now).
    pub fn build(self) -> RedisCoordinator {
        let settings = self.settings;
        let share = share_of(&settings.quotas, settings.fleet_size);
        // The process's one generator: two coordinators (or a coordinator and the default
        // one) in one process never hand out the same Sequence, Redis up or down.
        let sequences = Arc::clone(LocalCoordinator::shared().sequences());
        let fallback = LocalCoordinator::new()
            .with_quotas(share)
            .with_pacing(settings.pacing)
            .with_sequences(Arc::clone(&sequences))
            .with_rate_limit_penalty(settings.penalty);
        RedisCoordinator::from_parts(self.url, settings, sequences, fallback)
    }

    /// Builds the coordinator and checks its configuration at once
    /// ([`RedisCoordinator::check`]): a wrong password or user, a missing ACL permission, or
    /// an address where something other than Redis answers is an error naming the problem
    /// (never the password); an unreachable Redis is an outage, not an error (the failure
    /// policy admits until it answers). Blocking, within the connect and response timeouts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_redis::RedisCoordinator;
    /// let coordinator = RedisCoordinator::builder("redis://127.0.0.1:1/")?
    ///     .connect_timeout(Duration::from_millis(100))
    ///     .connect()?;
    /// assert!(coordinator.is_degraded(), "nothing listens on port 1: an outage");
    /// # Ok::<(), zego_redis::RedisConfigError>(())
    /// ```
    pub fn connect(self) -> Result<RedisCoordinator, RedisConfigError> {
        let coordinator = self.build();
        coordinator.check()?;
        Ok(coordinator)
    }
}

impl RedisCoordinator {
    /// A builder for a coordinator on this Redis: `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`,
    /// `redis+sentinel://[[USER]:PASSWORD@]H1[:P1],H2[:P2],.../MASTER[/DB]`,
    /// `redis+cluster://[[USER]:PASSWORD@]H1[:P1],H2[:P2],...`, or, with the `tls-rustls`
    /// feature, the same over TLS: `rediss://`, `rediss+sentinel://` (sentinels and primary),
    /// `rediss+cluster://` (every node). A URL that cannot be used is an error that names
    /// the problem and never repeats the password.
    pub fn builder(url: &str) -> Result<RedisCoordinatorBuilder, RedisConfigError> {
        Ok(RedisCoordinatorBuilder {
            url: RedisUrl::parse(url)?,
            settings: Settings {
                quotas: Quotas::default(),
                fleet_size: 1,
                policy: FailurePolicy::LocalShare,
                connect_timeout: Duration::from_millis(200),
                response_timeout: Duration::from_millis(100),
                retry_interval: Duration::from_secs(1),
                penalty: LocalCoordinator::DEFAULT_RATE_LIMIT_PENALTY,
                sequence_ttl: Duration::from_secs(60),
                key_prefix: "zego".to_owned(),
                pacing: 0.98,
            },
        })
    }
}

/// Each group's quota divided by the fleet size, rounded down but never below 1/s; each
/// room interval multiplied by it (the core's `Quotas::fleet_share`).
fn share_of(quotas: &Quotas, fleet_size: u32) -> Quotas {
    quotas.fleet_share(fleet_size)
}
