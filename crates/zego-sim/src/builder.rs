//! Configuring and starting a simulator.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;

use crate::callbacks::{check_url, Callbacks, Secret, Settings, DEFAULT_CALLBACK_TIMEOUT};
use crate::clock::SimClock;
use crate::engine::{Config, Engine};
use crate::env::Env;
use crate::error::SimError;
use crate::faults::FaultPlan;
use crate::gateway::AppConfig;
use crate::handle::SimHandle;
use crate::log::FileLog;
use crate::rate_limit::RateGroup;

/// The default of [`SimulatorBuilder::request_log_capacity`].
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 100_000;
/// The default of [`SimulatorBuilder::request_log_byte_capacity`]: 64 MiB.
pub const DEFAULT_REQUEST_LOG_BYTES: usize = 64 << 20;

/// Entry point: `Simulator::builder()`.
///
/// ```
/// let sim = zego_sim::Simulator::builder()
///     .app(1234567890, "0123456789abcdef0123456789abcdef")
///     .start()
///     .unwrap();
/// assert!(sim.base_url().starts_with("http://127.0.0.1:"));
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Simulator;

impl Simulator {
    /// A builder with the defaults: no apps, rate limits on, no faults, the system clock, a
    /// time-derived seed, bound to `127.0.0.1:0`, no log file.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder();
    /// let sim = b.app(1, "s").seed(1).start().unwrap();
    /// sim.shutdown();
    /// ```
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }
}

/// Configuration of a simulator; consumed by [`SimulatorBuilder::start`].
///
/// ```
/// use zego_sim::{Fault, FaultPlan, RateGroup, SimClock, Simulator};
/// let sim = Simulator::builder()
///     .app(1234567890, "0123456789abcdef0123456789abcdef")
///     .app_without_rule_permission(42, "another-secret")
///     .rate_limit(true)
///     .quota(RateGroup::ForbidResume, 100)
///     .test_quota(RateGroup::ForbidResume, 50)
///     .faults(FaultPlan::new().seed(7).all(Fault::TransientCode, 0.0))
///     .clock(SimClock::manual(1_700_000_000_000))
///     .seed(42)
///     .bind("127.0.0.1:0".parse().unwrap())
///     .start()
///     .unwrap();
/// assert_eq!(sim.clock().now_secs(), 1_700_000_000);
/// ```
#[derive(Debug)]
pub struct SimulatorBuilder {
    apps: HashMap<u32, AppConfig>,
    rate_limit: bool,
    quotas: HashMap<(RateGroup, Env), u32>,
    faults: FaultPlan,
    clock: SimClock,
    seed: Option<u64>,
    bind: SocketAddr,
    log_path: Option<PathBuf>,
    log_capacity: usize,
    log_bytes: usize,
    server: crate::server::ServerLimits,
    callback_url: Option<String>,
    callback_secret: Option<Secret>,
    allow_remote_callbacks: bool,
    callback_timeout: std::time::Duration,
    room_entries_per_app: usize,
}

impl Default for SimulatorBuilder {
    fn default() -> Self {
        Self {
            apps: HashMap::new(),
            rate_limit: true,
            room_entries_per_app: crate::engine::ROOM_ENTRIES_PER_APP,
            quotas: HashMap::new(),
            faults: FaultPlan::new(),
            clock: SimClock::system(),
            seed: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            log_path: None,
            log_capacity: DEFAULT_REQUEST_LOG_CAPACITY,
            log_bytes: DEFAULT_REQUEST_LOG_BYTES,
            server: crate::server::ServerLimits::default(),
            callback_url: None,
            callback_secret: None,
            allow_remote_callbacks: false,
            callback_timeout: DEFAULT_CALLBACK_TIMEOUT,
        }
    }
}

impl SimulatorBuilder {
    /// Adds (or replaces) an app with its ServerSecret; rule and CDN actions are enabled.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().app(1, "a").app(2, "b").start().unwrap();
    /// # drop(sim);
    /// ```
    #[must_use]
    pub fn app(mut self, app_id: u32, server_secret: impl Into<String>) -> Self {
        self.apps.insert(
            app_id,
            AppConfig {
                secret: server_secret.into(),
                rules_enabled: true,
            },
        );
        self
    }

    /// Adds (or replaces) an app for which ZEGO has not enabled the rule and CDN actions: they
    /// answer Code 9.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().app_without_rule_permission(1, "a").start().unwrap();
    /// # drop(sim);
    /// ```
    #[must_use]
    pub fn app_without_rule_permission(
        mut self,
        app_id: u32,
        server_secret: impl Into<String>,
    ) -> Self {
        self.apps.insert(
            app_id,
            AppConfig {
                secret: server_secret.into(),
                rules_enabled: false,
            },
        );
        self
    }

    /// Turns rate limiting on (the default) or off.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().rate_limit(false);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn rate_limit(mut self, enabled: bool) -> Self {
        self.rate_limit = enabled;
        self
    }

    /// The most rooms, room users and room streams (counted together) the control endpoints
    /// (`/_sim/rooms/...`, `/_sim/streams/...`) keep per app and environment (default
    /// 100,000); a login or publish beyond it is answered 507.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().room_entries_per_app(1_000);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn room_entries_per_app(mut self, entries: usize) -> Self {
        self.room_entries_per_app = entries;
        self
    }

    /// Overrides a group's production quota (requests per second; also the burst). 0 rejects
    /// every request of the group.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().quota(zego_sim::RateGroup::Rules, 1);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn quota(mut self, group: RateGroup, per_sec: u32) -> Self {
        self.quotas.insert((group, Env::Production), per_sec);
        self
    }

    /// Overrides the quota of every group with this configuration name
    /// ([`RateGroup::config_name`]) in both environments: the simulator of an app whose
    /// quota ZEGO raised. An unknown name or a quota of 0 is an error naming it.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().quota_named("stream_forbid", 500)?;
    /// assert!(zego_sim::Simulator::builder().quota_named("nope", 5).is_err());
    /// # Ok::<(), zego_sim::SimError>(())
    /// ```
    pub fn quota_named(mut self, name: &str, per_sec: u32) -> Result<Self, SimError> {
        if per_sec == 0 {
            return Err(SimError::InvalidConfig(format!(
                "quota of group {name} must be at least 1/s"
            )));
        }
        let groups: Vec<RateGroup> = RateGroup::ALL
            .into_iter()
            .filter(|g| g.config_name() == name)
            .collect();
        if groups.is_empty() {
            return Err(SimError::InvalidConfig(format!(
                "unknown quota group {name:?}"
            )));
        }
        for group in groups {
            for env in [Env::Production, Env::Test] {
                self.quotas.insert((group, env), per_sec);
            }
        }
        Ok(self)
    }

    /// Overrides a group's test-environment quota.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().test_quota(zego_sim::RateGroup::Rules, 1);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn test_quota(mut self, group: RateGroup, per_sec: u32) -> Self {
        self.quotas.insert((group, Env::Test), per_sec);
        self
    }

    /// Sets the fault plan (default: none).
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().faults("transient=0.3;seed=7".parse().unwrap());
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn faults(mut self, plan: FaultPlan) -> Self {
        self.faults = plan;
        self
    }

    /// Sets the clock (default: [`SimClock::system`]).
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().clock(zego_sim::SimClock::manual(0));
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn clock(mut self, clock: SimClock) -> Self {
        self.clock = clock;
        self
    }

    /// Seeds the RNG behind `RequestId`s and (unless the plan has its own seed) faults.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().seed(42);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// The address to listen on (default `127.0.0.1:0`, an ephemeral port).
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().bind("127.0.0.1:0".parse().unwrap());
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.bind = addr;
        self
    }

    /// Also appends every request, as one JSON object per line, to this file.
    ///
    /// ```
    /// let path = std::env::temp_dir().join("zego-sim-doc-example.jsonl");
    /// let sim = zego_sim::Simulator::builder().request_log_path(&path).start().unwrap();
    /// # drop(sim);
    /// # let _ = std::fs::remove_file(path);
    /// ```
    #[must_use]
    pub fn request_log_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.log_path = Some(path.into());
        self
    }

    /// How many requests the in-memory log ([`SimHandle::request_log`]) keeps: the most
    /// recent ones (default 100,000). A long-running or load-test simulator stays bounded;
    /// the JSON-lines file of [`SimulatorBuilder::request_log_path`] keeps everything.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().request_log_capacity(1_000);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn request_log_capacity(mut self, capacity: usize) -> Self {
        self.log_capacity = capacity;
        self
    }

    /// Bounds the in-memory request log by its size too (default 64 MiB): the oldest
    /// entries go first. A request that fails authentication is logged with at most 32
    /// parameters of at most 256 bytes each, so an anonymous client cannot grow it fast.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().request_log_byte_capacity(1 << 20);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn request_log_byte_capacity(mut self, bytes: usize) -> Self {
        self.log_bytes = bytes;
        self
    }

    /// How long a client may take to send a request's headers, and how long a kept-alive
    /// connection may stay idle (default 10 s): slow or idle sockets are closed.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().header_read_timeout(std::time::Duration::from_secs(2));
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.server.header_read_timeout = timeout;
        self
    }

    /// The most connections served at once (default 1,024); more are closed at once, so a
    /// flood of sockets cannot exhaust the process's file descriptors.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().max_connections(64);
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.server.max_connections = connections.max(1);
        self
    }

    /// Sends ZEGO's stream callbacks (`stream_create` when a stream is published through
    /// [`SimHandle::publish_stream`] or its control endpoint, `stream_close` from
    /// [`SimHandle::close_stream`]) as signed JSON POSTs to `url`, from a background thread,
    /// retrying a failed delivery after 2, 4, 8, 16 and 32 s of the simulator's clock. Needs
    /// [`SimulatorBuilder::callback_secret`]; a host that is not loopback also needs
    /// [`SimulatorBuilder::allow_remote_callbacks`], else [`SimulatorBuilder::start`] refuses.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder()
    ///     .app(1, "s")
    ///     .callback_url("http://127.0.0.1:9/zego/callback")
    ///     .callback_secret("my-callback-secret")
    ///     .start()?;
    /// # drop(sim);
    /// # Ok::<(), zego_sim::SimError>(())
    /// ```
    #[must_use]
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// The CallbackSecret the callbacks are signed with (spec section 6; not a ServerSecret).
    /// Never printed: the builder's `Debug` shows `<redacted>`.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().callback_secret("my-callback-secret");
    /// assert!(!format!("{b:?}").contains("my-callback-secret"));
    /// ```
    #[must_use]
    pub fn callback_secret(mut self, secret: impl Into<String>) -> Self {
        self.callback_secret = Some(Secret(secret.into()));
        self
    }

    /// Allows a callback URL whose host is not loopback (default `false`: a simulator only
    /// posts to this machine unless told otherwise).
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder()
    ///     .callback_url("https://staging.example.com/zego/callback")
    ///     .callback_secret("s");
    /// assert!(sim.start().is_err());
    /// ```
    #[must_use]
    pub fn allow_remote_callbacks(mut self, allow: bool) -> Self {
        self.allow_remote_callbacks = allow;
        self
    }

    /// How long one delivery attempt may take, in real time (default
    /// [`DEFAULT_CALLBACK_TIMEOUT`], 5 s); a timeout counts as a failed attempt. It also
    /// bounds how long [`SimHandle::shutdown`] waits for an attempt in flight.
    ///
    /// ```
    /// let b = zego_sim::Simulator::builder().callback_timeout(std::time::Duration::from_secs(1));
    /// # drop(b);
    /// ```
    #[must_use]
    pub fn callback_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.callback_timeout = timeout;
        self
    }

    /// Binds the socket and starts the server on a dedicated thread with its own tokio runtime,
    /// so it works from plain synchronous code and from inside any tokio runtime alike.
    ///
    /// ```
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start()?;
    /// assert_ne!(sim.addr().port(), 0);
    /// # Ok::<(), zego_sim::SimError>(())
    /// ```
    pub fn start(self) -> Result<SimHandle, SimError> {
        let seed = self.seed.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| {
                    u64::try_from(d.as_nanos() & u128::from(u64::MAX)).unwrap_or(0)
                })
        });
        let file = match &self.log_path {
            Some(p) => Some(FileLog::open(p)?),
            None => None,
        };
        let callbacks = match (self.callback_url, self.callback_secret) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(SimError::InvalidConfig(
                    "callback_url needs callback_secret (the CallbackSecret the callbacks are signed with)".into(),
                ))
            }
            (None, Some(_)) => {
                return Err(SimError::InvalidConfig(
                    "callback_secret is set but callback_url is not".into(),
                ))
            }
            (Some(url), Some(secret)) => {
                check_url(&url, self.allow_remote_callbacks).map_err(SimError::InvalidConfig)?;
                Some(Settings {
                    url,
                    secret,
                    timeout: self.callback_timeout,
                })
            }
        };
        let listener = std::net::TcpListener::bind(self.bind).map_err(SimError::Bind)?;
        let callbacks = match callbacks {
            Some(settings) => Some(
                Callbacks::start(settings, self.clock.clone(), seed).map_err(SimError::Runtime)?,
            ),
            None => None,
        };
        listener.set_nonblocking(true).map_err(SimError::Bind)?;
        let addr = listener.local_addr().map_err(SimError::Bind)?;
        let engine = Arc::new(Engine::new(Config {
            apps: self.apps,
            clock: self.clock,
            rate_limit: self.rate_limit,
            room_entries_per_app: self.room_entries_per_app,
            quotas: self.quotas,
            faults: self.faults,
            seed,
            file,
            log_capacity: self.log_capacity,
            log_bytes: self.log_bytes,
            callbacks,
        }));
        let limits = self.server;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(SimError::Runtime)?;
        let (tx, rx) = watch::channel(false);
        let done = Arc::new((std::sync::Mutex::new(false), std::sync::Condvar::new()));
        let thread_engine = engine.clone();
        let thread_done = done.clone();
        let thread = std::thread::Builder::new()
            .name(format!("zego-sim-{}", addr.port()))
            .spawn(move || {
                runtime.block_on(crate::server::serve(listener, thread_engine, rx, limits));
                drop(runtime);
                let (lock, cv) = &*thread_done;
                *lock
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = true;
                cv.notify_all();
            })
            .map_err(SimError::Runtime)?;
        Ok(SimHandle::new(engine, addr, tx, thread, done))
    }

    /// Same as [`SimulatorBuilder::start`], for async callers (it does not block).
    ///
    /// ```
    /// # let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
    /// # rt.block_on(async {
    /// let sim = zego_sim::Simulator::builder().app(1, "s").start_async().await.unwrap();
    /// assert_ne!(sim.addr().port(), 0);
    /// # });
    /// ```
    #[allow(clippy::unused_async)]
    pub async fn start_async(self) -> Result<SimHandle, SimError> {
        self.start()
    }
}
