//! [`RedisCoordinator`]: admission through Redis, with a circuit breaker and an explicit
//! policy for when Redis cannot answer.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use zego_proto::admission::{
    Admission, AdmissionError, AdmissionRequest, Booking, BoxFuture, Coordinator, Feedback,
    LocalCoordinator, Quotas, RateLimitKey,
};
use zego_proto::clock::{Clock, SystemClock};
use zego_proto::Sequence;

use crate::breaker::Breaker;
use crate::keys;
use crate::script::{Answer, Reply, Scripts};
use crate::url::{RedisConfigError, RedisUrl};

/// How long, at least, an instance keeps to its local share after Redis answers again: the
/// other instances come back once their own fallback queues have drained.
const SETTLE_AT_LEAST: Duration = Duration::from_secs(5);

/// What the coordinator does while Redis cannot answer (the circuit breaker is open).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Admit through a local limiter at this instance's share of every quota (the quota
    /// divided by [`RedisCoordinatorBuilder::fleet_size`], started empty), with sequences
    /// from the local generator, floored above every value this process has seen. The
    /// fleet stays under the quota as long as its size is configured; the `Sequence` order
    /// across instances rests on their clocks. The default.
    LocalShare,
    /// Refuse admission: calls fail with `CallErrorKind::Admission` (after the retry policy's
    /// attempts); nothing is sent.
    FailClosed,
    /// Admit every request at once, with local sequences: availability over the quota.
    FailOpen,
}

/// The coordinator's settings; see [`RedisCoordinatorBuilder`] for the defaults.
#[derive(Debug, Clone)]
struct Settings {
    quotas: Quotas,
    fleet_size: u32,
    policy: FailurePolicy,
    connect_timeout: Duration,
    response_timeout: Duration,
    retry_interval: Duration,
    penalty: Duration,
    sequence_ttl: Duration,
    key_prefix: String,
    pacing: f64,
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

    /// Builds the coordinator. Nothing is connected yet: the first admission connects.
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
        let client = self.url.client().clone();
        RedisCoordinator {
            url: self.url,
            client,
            breaker: Breaker::new(settings.retry_interval),
            settings,
            scripts: Scripts::new(),
            sync_connection: Mutex::new(None),
            async_connection: Mutex::new(None),
            sequences,
            fallback,
            horizon: Mutex::new(HashMap::new()),
            depth: Mutex::new(HashMap::new()),
            settle_until: Mutex::new(None),
            clock: Arc::new(SystemClock),
        }
    }
}

/// Each group's quota divided by the fleet size, rounded down but never below 1/s; each
/// room interval multiplied by it (the core's `Quotas::fleet_share`).
fn share_of(quotas: &Quotas, fleet_size: u32) -> Quotas {
    quotas.fleet_share(fleet_size)
}

/// The fleet's admission coordinator: every instance that uses one with the same Redis
/// shares ZEGO's quota per AppId and one `Sequence` order per stream.
///
/// One Lua script per admission (see the crate docs) books the group's next slot and, for
/// sequenced operations, stamps the `Sequence` in the same atomic step. The blocking client
/// uses a synchronous connection (reconnected after an error), the async client a
/// multiplexed [`ConnectionManager`] (reconnecting by itself); an async coordinator serves
/// one tokio runtime.
///
/// When Redis cannot answer within the timeouts, a circuit breaker opens: for
/// [`RedisCoordinatorBuilder::retry_interval`] the [`FailurePolicy`] decides, then Redis is
/// tried again, and the breaker closes on the first answer. The outage and the recovery are
/// each logged once (`tracing` warn / info), with the URL's password removed.
pub struct RedisCoordinator {
    url: RedisUrl,
    client: redis::Client,
    settings: Settings,
    scripts: Scripts,
    breaker: Breaker,
    sync_connection: Mutex<Option<redis::Connection>>,
    /// The async connection; dropped after an error, so the next call builds a new one
    /// (a manager whose reconnection gave up while Redis was down stays broken).
    async_connection: Mutex<Option<ConnectionManager>>,
    /// Every Sequence this process has seen: the floor of the next one, and the fallback's.
    sequences: Arc<zego_proto::admission::SequenceGenerator>,
    fallback: LocalCoordinator,
    /// The latest slot this instance holds per group (Redis or fallback), as a monotonic
    /// time: the fallback starts after it, and Redis is pushed past it on recovery, so no
    /// slot is booked twice across an outage.
    horizon: Mutex<HashMap<RateLimitKey, Duration>>,
    /// How far ahead each group's fleet-wide queue reached at the last answer: when Redis
    /// goes away, the slots the other instances booked still leave until then.
    depth: Mutex<HashMap<RateLimitKey, Duration>>,
    /// After a recovery, until this monotonic time, admissions also take a slot of the local
    /// share: the other instances may still be on their fallback (they try Redis again
    /// within a retry interval), and their local slots are unknown to Redis.
    settle_until: Mutex<Option<Duration>>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RedisCoordinator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCoordinator")
            .field("url", &self.url)
            .field("settings", &self.settings)
            .field(
                "circuit_open",
                &self.breaker.is_open(self.clock.monotonic()),
            )
            .finish_non_exhaustive()
    }
}

/// What one script call needs.
struct Invocation {
    keys: Vec<String>,
    interval_us: u64,
    max_wait_us: i64,
    booked: bool,
    wants_sequence: bool,
    floor_ms: u64,
    min_wait_us: u64,
    /// The room's spacing under a per-room quota (0: none); the room's key is `keys[1]`.
    room_spacing_us: u64,
}

impl RedisCoordinator {
    /// A builder for a coordinator on this Redis (`redis://[:password@]host[:port][/db]`,
    /// or `rediss://` with the `tls-rustls` feature). A URL that cannot be used is an error
    /// that names the problem and never repeats the password.
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

    /// The URL, with its password redacted.
    pub fn redacted_url(&self) -> String {
        self.url.to_string()
    }

    /// Whether the circuit breaker is open (Redis is being bypassed) right now.
    pub fn is_degraded(&self) -> bool {
        self.breaker.is_open(self.clock.monotonic())
    }

    fn invocation(&self, request: &AdmissionRequest<'_>) -> Invocation {
        let key = request.key;
        let streams = request.sequence_for;
        let mut keys = vec![keys::rate_limit(&self.settings.key_prefix, key)];
        // A group with a per-room quota books on its calendar, whether or not the request
        // names a room (a raw operation in the group books as the room "").
        let room_spacing = self
            .settings
            .quotas
            .room_spacing(key.group)
            .map(|spacing| (request.room.unwrap_or(""), spacing));
        if let Some((room, _)) = room_spacing {
            keys.push(keys::room(&self.settings.key_prefix, key, room));
            keys.push(keys::calendar(&self.settings.key_prefix, key));
        }
        if let Some(streams) = streams {
            keys.extend(keys::sequences(&self.settings.key_prefix, key, streams));
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // < 2e6 µs.
        let interval_us = self
            .settings
            .quotas
            .per_second(key.group, key.environment)
            .map_or(0, |q| {
                (1e6 / (f64::from(q) * self.settings.pacing)).ceil() as u64
            });
        let now_ms = u64::try_from(request.now.as_millis()).unwrap_or(u64::MAX);
        let floor_ms = now_ms.max(self.sequences.last().map_or(0, |s| s.get() + 1));
        Invocation {
            keys,
            interval_us,
            max_wait_us: request
                .max_wait
                .map_or(-1, |w| i64::try_from(w.as_micros()).unwrap_or(i64::MAX)),
            booked: request.booking.is_some(),
            wants_sequence: streams.is_some(),
            floor_ms,
            min_wait_us: 0,
            room_spacing_us: room_spacing.map_or(0, |(_, spacing)| {
                u64::try_from(spacing.as_micros()).unwrap_or(u64::MAX)
            }),
        }
    }

    fn script_call<'a>(&'a self, call: &Invocation) -> redis::ScriptInvocation<'a> {
        let mut invocation = self.scripts.admit.prepare_invoke();
        for key in &call.keys {
            invocation.key(key);
        }
        invocation
            .arg(call.interval_us)
            .arg(call.max_wait_us)
            .arg(u8::from(call.booked))
            .arg(u8::from(call.wants_sequence))
            .arg(call.floor_ms)
            .arg(u64::try_from(self.settings.sequence_ttl.as_millis()).unwrap_or(u64::MAX))
            .arg(call.min_wait_us)
            .arg(call.room_spacing_us);
        invocation
    }

    /// Turns the script's reply into an admission, recording the stamped sequence.
    fn answer(
        &self,
        key: RateLimitKey,
        reply: Reply,
        call: &Invocation,
    ) -> Result<Admission, redis::RedisError> {
        let depth = Duration::from_micros(u64::try_from(reply.3).unwrap_or(0));
        self.depth
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key, depth);
        let answer = Answer::from_reply(reply, call.wants_sequence).ok_or_else(|| {
            redis::RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "unexpected admission script reply",
            ))
        })?;
        Ok(match answer {
            Answer::Go { sequence } => {
                let sequence = sequence.map(Sequence::new);
                if let Some(sequence) = sequence {
                    self.sequences.observe(sequence);
                }
                Admission::Go { sequence }
            }
            Answer::Wait { wait_us } => Admission::Wait {
                delay: Duration::from_micros(wait_us),
                booking: Booking::new(wait_us),
            },
            Answer::Refused { wait_us } => Admission::Refused {
                earliest: Duration::from_micros(wait_us),
            },
        })
    }

    /// Nothing to ask Redis: an unmetered group and no sequence to stamp.
    fn trivially_admitted(&self, request: &AdmissionRequest<'_>) -> bool {
        request.sequence_for.is_none()
            && (request.booking.is_some()
                || self
                    .settings
                    .quotas
                    .per_second(request.key.group, request.key.environment)
                    .is_none())
    }

    /// Remembers the slot an admission holds.
    fn note(&self, key: RateLimitKey, admission: &Admission) {
        let now = self.clock.monotonic();
        let until = match admission {
            Admission::Go { .. } => now,
            Admission::Wait { delay, .. } => now + *delay,
            _ => return,
        };
        let mut horizon = self.horizon.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = horizon.entry(key).or_insert(until);
        *slot = (*slot).max(until);
    }

    /// While settling after a recovery, the wait the local share asks for (Redis then books
    /// the slot no earlier, so it accounts for the time this instance really sends at):
    /// `Err` with the admission to give if the local share refuses.
    fn settling_wait(&self, request: &AdmissionRequest<'_>) -> Result<u64, Admission> {
        let now = self.clock.monotonic();
        let settling = self
            .settle_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some_and(|until| now < until);
        if !settling || request.booking.is_some() {
            return Ok(0);
        }
        let mut local = *request;
        local.sequence_for = None;
        let wait = match self.fallback.admit(&local) {
            Ok(Admission::Wait { delay, .. }) => delay,
            Ok(refused @ Admission::Refused { .. }) => return Err(refused),
            _ => Duration::ZERO,
        };
        Ok(u64::try_from(wait.as_micros()).unwrap_or(u64::MAX))
    }

    /// The slots this instance still holds, per group, as waits from now.
    fn held(&self) -> Vec<(RateLimitKey, Duration)> {
        let now = self.clock.monotonic();
        let mut horizon = self.horizon.lock().unwrap_or_else(PoisonError::into_inner);
        horizon.retain(|_, until| *until > now);
        horizon
            .iter()
            .map(|(k, until)| (*k, until.saturating_sub(now)))
            .collect()
    }

    /// The answer while Redis cannot give one.
    fn degraded(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
        match self.settings.policy {
            FailurePolicy::LocalShare => {
                let admission = self.fallback.admit(request)?;
                self.note(request.key, &admission);
                Ok(admission)
            }
            FailurePolicy::FailClosed => Err(AdmissionError::new(format!(
                "Redis at {} is unreachable and the failure policy is fail-closed",
                self.url
            ))),
            FailurePolicy::FailOpen => {
                let now_ms = u64::try_from(request.now.as_millis()).unwrap_or(u64::MAX);
                Ok(Admission::Go {
                    sequence: request.sequence_for.map(|_| self.sequences.next(now_ms)),
                })
            }
        }
    }

    fn record<T>(&self, result: redis::RedisResult<T>) -> Option<T> {
        let now = self.clock.monotonic();
        match result {
            Ok(value) => {
                if self.breaker.close() {
                    // The other instances try Redis again once their fallback queue (about
                    // as deep as ours) has drained and a retry interval has passed: until
                    // then, keep to the local share as well.
                    let queue = self
                        .held()
                        .into_iter()
                        .map(|(_, w)| w)
                        .max()
                        .unwrap_or_default();
                    let settle = (queue + 2 * self.settings.retry_interval).max(SETTLE_AT_LEAST);
                    *self
                        .settle_until
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner) = Some(now + settle);
                    tracing::info!(url = %self.url, "Redis answers again: the fleet shares its quota again");
                }
                Some(value)
            }
            Err(error) => {
                if self.breaker.open(now) {
                    // The fallback starts after the slots already booked in Redis: this
                    // instance's own, and the fleet's queue as the last answer showed it.
                    // Plus one quiet second, so that no one-second window holds both the
                    // end of the fleet's Redis queue and the start of the local shares.
                    let quiet = Duration::from_secs(1);
                    for (key, wait) in self.held() {
                        self.fallback.hold_until(key, now + wait + quiet);
                    }
                    let depth = self.depth.lock().unwrap_or_else(PoisonError::into_inner);
                    for (key, depth) in depth.iter() {
                        self.fallback.hold_until(*key, now + *depth + quiet);
                    }
                    drop(depth);
                    tracing::warn!(
                        url = %self.url,
                        error = %self.url.scrub(&error.to_string()),
                        policy = ?self.settings.policy,
                        "Redis is unreachable: admitting by the failure policy until it answers"
                    );
                }
                None
            }
        }
    }

    /// Runs `f` on the synchronous connection, connecting first if needed; an error drops
    /// the connection so the next call reconnects (a sync connection does not by itself).
    fn with_sync<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let mut slot = self
            .sync_connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Threads that queued behind a call that timed out must not each wait out their
        // own timeout: once the breaker is open, they answer by the failure policy at once.
        if self.breaker.is_open(self.clock.monotonic()) {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "Redis is being bypassed (circuit open)",
            )));
        }
        if slot.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(self.settings.connect_timeout)?;
            connection.set_read_timeout(Some(self.settings.response_timeout))?;
            connection.set_write_timeout(Some(self.settings.response_timeout))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            unreachable!("the connection was just set")
        };
        let result = f(connection);
        if result.is_err() {
            *slot = None;
        }
        result
    }

    /// After an outage, before Redis admits again: pushes each group's Redis slot past the
    /// slots this instance booked locally meanwhile.
    fn reconcile_sync(&self) -> redis::RedisResult<()> {
        for (key, wait) in self.held() {
            let group_key = keys::rate_limit(&self.settings.key_prefix, key);
            let wait_us = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
            self.with_sync(|connection| {
                self.scripts
                    .push_back
                    .key(&group_key)
                    .arg(wait_us)
                    .invoke::<i64>(connection)
            })?;
        }
        Ok(())
    }

    async fn reconcile_async(&self, connection: &mut ConnectionManager) -> redis::RedisResult<()> {
        for (key, wait) in self.held() {
            let group_key = keys::rate_limit(&self.settings.key_prefix, key);
            let wait_us = u64::try_from(wait.as_micros()).unwrap_or(u64::MAX);
            self.scripts
                .push_back
                .key(&group_key)
                .arg(wait_us)
                .invoke_async::<i64>(connection)
                .await?;
        }
        Ok(())
    }

    async fn async_connection(&self) -> redis::RedisResult<ConnectionManager> {
        let existing = self
            .async_connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(connection) = existing {
            return Ok(connection);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.settings.connect_timeout))
            .set_response_timeout(Some(self.settings.response_timeout))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *self
            .async_connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }

    /// Forgets the async connection after an error.
    fn drop_async_connection<T>(&self, result: &redis::RedisResult<T>) {
        if result.is_err() {
            *self
                .async_connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    fn penalty_us(&self) -> u64 {
        u64::try_from(self.settings.penalty.as_micros()).unwrap_or(u64::MAX)
    }
}

impl Coordinator for RedisCoordinator {
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
        if self.trivially_admitted(request) {
            return Ok(Admission::Go { sequence: None });
        }
        if self.breaker.is_open(self.clock.monotonic()) {
            return self.degraded(request);
        }
        let mut call = self.invocation(request);
        call.min_wait_us = match self.settling_wait(request) {
            Ok(wait) => wait,
            Err(refused) => return Ok(refused),
        };
        let recovering = self.breaker.in_outage();
        let reply = (if recovering {
            self.reconcile_sync()
        } else {
            Ok(())
        })
        .and_then(|()| {
            self.with_sync(|connection| {
                let reply: Reply = self.script_call(&call).invoke(connection)?;
                self.answer(request.key, reply, &call)
            })
        });
        match self.record(reply) {
            Some(admission) => {
                self.note(request.key, &admission);
                Ok(admission)
            }
            None => self.degraded(request),
        }
    }

    fn feedback(&self, feedback: &Feedback) {
        let Feedback::RateLimited { key, .. } = feedback else {
            return;
        };
        self.fallback.feedback(feedback);
        if self.breaker.is_open(self.clock.monotonic()) {
            return;
        }
        let group_key = keys::rate_limit(&self.settings.key_prefix, *key);
        let result = self.with_sync(|connection| {
            self.scripts
                .push_back
                .key(&group_key)
                .arg(self.penalty_us())
                .invoke::<i64>(connection)
        });
        self.record(result);
    }

    fn admit_async<'a>(
        &'a self,
        request: &'a AdmissionRequest<'a>,
    ) -> BoxFuture<'a, Result<Admission, AdmissionError>> {
        Box::pin(async move {
            if self.trivially_admitted(request) {
                return Ok(Admission::Go { sequence: None });
            }
            if self.breaker.is_open(self.clock.monotonic()) {
                return self.degraded(request);
            }
            let mut call = self.invocation(request);
            call.min_wait_us = match self.settling_wait(request) {
                Ok(wait) => wait,
                Err(refused) => return Ok(refused),
            };
            let recovering = self.breaker.in_outage();
            let reply = match self.async_connection().await {
                Ok(mut connection) => {
                    let reconciled = if recovering {
                        self.reconcile_async(&mut connection).await
                    } else {
                        Ok(())
                    };
                    match reconciled {
                        Ok(()) => self
                            .script_call(&call)
                            .invoke_async::<Reply>(&mut connection)
                            .await
                            .and_then(|reply| self.answer(request.key, reply, &call)),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            self.drop_async_connection(&reply);
            match self.record(reply) {
                Some(admission) => {
                    self.note(request.key, &admission);
                    Ok(admission)
                }
                None => self.degraded(request),
            }
        })
    }

    fn feedback_async<'a>(&'a self, feedback: &'a Feedback) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Feedback::RateLimited { key, .. } = feedback else {
                return;
            };
            self.fallback.feedback(feedback);
            if self.breaker.is_open(self.clock.monotonic()) {
                return;
            }
            let group_key = keys::rate_limit(&self.settings.key_prefix, *key);
            let result = match self.async_connection().await {
                Ok(mut connection) => {
                    self.scripts
                        .push_back
                        .key(&group_key)
                        .arg(self.penalty_us())
                        .invoke_async::<i64>(&mut connection)
                        .await
                }
                Err(e) => Err(e),
            };
            self.drop_async_connection(&result);
            self.record(result);
        })
    }
}
