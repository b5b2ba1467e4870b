//! `ClientCore`: everything a client needs besides I/O, and where calls start.

use std::sync::Arc;
use std::time::Duration;

use crate::admission::Coordinator;
use crate::clock::{Clock, Now};
use crate::config::Config;
use crate::credentials::Credentials;
use crate::operation::Operation;
use crate::retry::{RetryBudget, RetryPolicy};
use crate::server_time::ClockOffset;
use crate::transport_options::TransportOptions;

use super::{Call, CallOptions, WaitObserver};

/// Everything a client needs besides I/O: credentials, configuration, the retry policy
/// and budget, the admission coordinator, the clock the driver reads, and the options of
/// the default transports. Cheap to clone; clones share the budget and coordinator.
///
/// Build one with [`ClientCore::builder`]; a transport's `Client::from_core` runs it.
///
/// ```
/// use zego_proto::{Credentials, driver::ClientCore, retry::RetryPolicy};
/// let core = ClientCore::builder(Credentials::new(1u32, "secret")?)
///     .retry_policy(RetryPolicy::never())
///     .no_rate_limit()
///     .build();
/// assert_eq!(core.retry_policy().max_attempts, 1);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
#[derive(Clone)]
pub struct ClientCore {
    pub(crate) credentials: Credentials,
    pub(crate) config: Config,
    pub(crate) retry: RetryPolicy,
    pub(crate) budget: Arc<RetryBudget>,
    pub(crate) coordinator: Arc<dyn Coordinator>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) transport_options: TransportOptions,
    /// The longest a call waits for a rate-limit slot, unless its options say otherwise.
    pub(crate) max_wait: Option<Duration>,
    /// Told of every wait for a rate limit before the driver sleeps.
    pub(crate) on_wait: Option<WaitObserver>,
    /// The local clock's measured offset from ZEGO's, shared by clones.
    pub(crate) clock_offset: Arc<ClockOffset>,
}

impl std::fmt::Debug for ClientCore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCore")
            .field("credentials", &self.credentials)
            .field("config", &self.config)
            .field("retry", &self.retry)
            .field("coordinator", &self.coordinator)
            .field("transport_options", &self.transport_options)
            .field("max_wait", &self.max_wait)
            .field("on_wait", &self.on_wait.is_some())
            .finish_non_exhaustive()
    }
}

impl ClientCore {
    /// The credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The retry budget shared by this core's calls.
    pub fn retry_budget(&self) -> &Arc<RetryBudget> {
        &self.budget
    }

    /// The admission coordinator the drivers ask.
    pub fn coordinator(&self) -> &Arc<dyn Coordinator> {
        &self.coordinator
    }

    /// The clock the drivers read (the core itself never does).
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The options of the default transports.
    pub fn transport_options(&self) -> &TransportOptions {
        &self.transport_options
    }

    /// ZEGO's clock minus this machine's, in milliseconds, as last measured from an
    /// answer's `Date` header (1 s resolution, so within about a second plus the
    /// latency); positive when the local clock is behind. `None` until an answer carried
    /// a `Date`.
    ///
    /// Once ZEGO refuses a request for its timestamp (100000004, 3002), this core and its
    /// clones sign every later request with the offset applied, which is how a clock more
    /// than 10 minutes off still gets through. The `Sequence` stays on the local clock, so
    /// it never goes backwards.
    ///
    /// ```
    /// # let core = zego_proto::driver::ClientCore::builder(zego_proto::Credentials::new(1u32, "s")?).build();
    /// assert_eq!(core.clock_offset_millis(), None); // nothing answered yet
    /// # Ok::<(), zego_proto::ValidationError>(())
    /// ```
    pub fn clock_offset_millis(&self) -> Option<i64> {
        self.clock_offset.measured_millis()
    }

    /// The longest a call waits for a rate-limit slot, unless its
    /// [`CallOptions::max_wait`] says otherwise (`None`: as long as the slot needs, within
    /// the deadline).
    pub fn max_wait(&self) -> Option<Duration> {
        self.max_wait
    }

    /// A reading of [`ClientCore::clock`], for drivers.
    pub fn now(&self) -> Now {
        self.clock.now()
    }

    /// Starts a call of `op` with the core's settings. Drive it with [`Call::step`],
    /// [`Call::on_admission`] and [`Call::on_response`].
    pub fn call<'a, O: Operation + ?Sized>(&'a self, op: &'a O) -> Call<'a, O> {
        self.call_with(op, &CallOptions::DEFAULT)
    }

    /// Starts a call of `op` with per-call options.
    pub fn call_with<'a, O: Operation + ?Sized>(
        &'a self,
        op: &'a O,
        options: &CallOptions,
    ) -> Call<'a, O> {
        let mut policy = options
            .retry_policy
            .clone()
            .unwrap_or_else(|| self.retry.clone());
        if let Some(deadline) = options.deadline {
            policy.deadline = Some(deadline);
        }
        let max_wait = options.max_wait.or(self.max_wait);
        Call::new(self, op, options.cancel.clone(), policy, max_wait)
    }
}
