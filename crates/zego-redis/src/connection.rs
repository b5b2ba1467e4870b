//! The Redis I/O: multiplexed connections that both the blocking and the async client use,
//! with every exchange bounded in time (one deadline for the whole exchange, not per read)
//! and in size (a byte budget on the stream, [`BoundedStream`]). No decision is taken here:
//! errors go back to the coordinator, classified by [`Failure`].
//!
//! Why async connections for both paths: redis-rs's synchronous connection applies its
//! timeout to each `read`, so a Redis that trickles one byte every 50 ms holds a call for
//! as long as it likes, and neither of redis-rs's connections caps the size of a reply (a
//! `$2000000000` bulk string is read to the end). An async connection built with
//! `MultiplexedConnection::new_with_config` over a stream of our own takes both bounds.
//!
//! Who drives them: the async callers' connection runs on the coordinator's own one-thread
//! runtime (so it serves any executor), and each caller's task polls its own exchange in
//! that runtime's context. The blocking callers' connection runs on a one-thread runtime
//! that has no thread: the blocking callers drive it while they wait (`Runtime::block_on`:
//! one of them runs the I/O, the others wait for their replies). Handing a blocking call
//! to the I/O thread and back took two thread wake-ups, about 20 µs per admission, twice
//! the round trip to a local Redis (BENCHMARKS.md).

use std::io;
use std::pin::Pin;
use std::sync::{mpsc, Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ConnectionAddr, ErrorKind, RedisError, ServerErrorKind};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::script::{Invocation, Reply, Scripts};
use crate::tls::Tls;
use crate::url::{RedisUrl, Target};

/// How many bytes Redis may send per request written: the admission script's reply is
/// four integers (under 100 bytes), the connection's handshake replies are a few `+OK`s.
pub(crate) const REPLY_BUDGET: usize = 16 * 1024;

/// The most Redis may send ahead of the requests in flight, however many they are: the
/// bound of what one connection buffers.
pub(crate) const MAX_UNREAD: usize = 256 * 1024;

/// Why an exchange with Redis failed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Redis is down, slow, or answered out of bounds: an outage, for the failure policy.
    Outage(RedisError),
    /// Redis (or what answers at its address) refuses this configuration: a wrong password
    /// or user, a missing ACL permission, or something that does not speak RESP at all.
    Config(ConfigProblem, RedisError),
}

/// The configuration problems a connection reveals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigProblem {
    /// NOAUTH, WRONGPASS, or another authentication failure.
    Authentication,
    /// NOPERM: the ACL user may not run a command the coordinator needs.
    Permission,
    /// The first reply was not RESP: the URL points to something that is not Redis.
    NotRedis,
    /// The sentinels answered, and none knows the master name.
    UnknownMaster,
    /// The TLS handshake was refused (a certificate not trusted, or not TLS at all).
    #[cfg_attr(not(feature = "tls-rustls"), allow(dead_code))]
    Tls,
}

impl Failure {
    /// Classifies an error of a request on an established connection: only a refusal of
    /// the credentials or of a permission is configuration; garbage is an outage.
    fn of_request(error: RedisError) -> Self {
        match auth_or_permission(&error) {
            Some(problem) => Self::Config(problem, error),
            None => Self::Outage(error),
        }
    }

    /// Classifies an error of the connection's handshake (AUTH, SELECT, CLIENT SETINFO):
    /// there, a reply that does not parse means the peer is not Redis.
    fn of_handshake(error: RedisError) -> Self {
        if let Some(problem) = auth_or_permission(&error) {
            return Self::Config(problem, error);
        }
        if error.kind() == ErrorKind::Parse {
            return Self::Config(ConfigProblem::NotRedis, error);
        }
        Self::Outage(error)
    }

    fn outage(message: &'static str) -> Self {
        Self::Outage(RedisError::from((ErrorKind::Io, message)))
    }
}

fn auth_or_permission(error: &RedisError) -> Option<ConfigProblem> {
    // An unauthenticated client that sends a command of more than a few arguments gets
    // `ERR Protocol error: unauthenticated multibulk length` (and the connection closed)
    // rather than NOAUTH.
    let unauthenticated = error
        .detail()
        .is_some_and(|detail| detail.contains("unauthenticated"));
    match (error.kind(), error.code()) {
        (ErrorKind::AuthenticationFailed, _) | (_, Some("NOAUTH" | "WRONGPASS")) => {
            Some(ConfigProblem::Authentication)
        }
        _ if unauthenticated => Some(ConfigProblem::Authentication),
        (ErrorKind::Server(ServerErrorKind::NoPerm), _) | (_, Some("NOPERM")) => {
            Some(ConfigProblem::Permission)
        }
        _ => None,
    }
}

/// A stream that lets the peer send at most its [`ReplyBudget`] per request written
/// ([`REPLY_BUDGET`] by default, and never more than [`MAX_UNREAD`] ahead): a read past that is an error, which ends
/// the connection. The replies this crate expects are far smaller; a hostile or broken
/// Redis cannot make the connection buffer more.
struct BoundedStream<S> {
    inner: S,
    allowance: usize,
    budget: ReplyBudget,
}

impl<S> BoundedStream<S> {
    fn new(inner: S, budget: ReplyBudget) -> Self {
        Self {
            inner,
            allowance: 0,
            budget,
        }
    }
}

/// How much Redis may send: per request written, and ahead of the requests in flight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplyBudget {
    pub(crate) per_request: usize,
    pub(crate) max_unread: usize,
}

impl ReplyBudget {
    /// The coordinator's and the replay cache's: [`REPLY_BUDGET`], [`MAX_UNREAD`].
    pub(crate) const SMALL: Self = Self {
        per_request: REPLY_BUDGET,
        max_unread: MAX_UNREAD,
    };
}

impl<S: AsyncRead + Unpin> AsyncRead for BoundedStream<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if buf.remaining() == 0 {
            return Poll::Ready(Ok(()));
        }
        if self.allowance == 0 {
            return Poll::Ready(Err(io::Error::other(format!(
                "Redis sent more than {} bytes for one request",
                self.budget.per_request
            ))));
        }
        let limit = self.allowance.min(buf.remaining());
        let mut limited = ReadBuf::new(buf.initialize_unfilled_to(limit));
        let poll = Pin::new(&mut self.inner).poll_read(cx, &mut limited);
        let read = limited.filled().len();
        if let Poll::Ready(Ok(())) = poll {
            buf.advance(read);
            self.allowance -= read;
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for BoundedStream<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = Pin::new(&mut self.inner).poll_write(cx, data);
        if let Poll::Ready(Ok(written)) = poll {
            if written > 0 {
                self.allowance =
                    (self.allowance + self.budget.per_request).min(self.budget.max_unread);
            }
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// The coordinator's runtime: one worker thread that drives the connection. Shut down in
/// the background when dropped, so that dropping a coordinator inside an async context
/// does not panic.
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// The connections to one Redis, shared by every call of a coordinator: one driven by the
/// coordinator's own worker thread for async callers (and a blocking caller inside a tokio
/// runtime), one driven by the blocking callers themselves.
pub(crate) struct RedisIo {
    /// The async path's connection(s), driven by `runtime`'s worker thread.
    inner: Arc<Inner>,
    runtime: OnceLock<Result<Runtime, String>>,
    /// The blocking path's connection(s), driven by `local_runtime`: a one-thread runtime
    /// without a thread of its own, which the blocking callers drive while they wait (one
    /// of them runs the connection's I/O, the others wait for their replies). A lone
    /// blocking caller thus writes and reads the socket itself, with no hand-over to another
    /// thread and back: the hand-overs cost more than the round trip.
    local: Arc<Inner>,
    local_runtime: OnceLock<Result<Runtime, String>>,
}

struct Inner {
    client: redis::Client,
    target: Target,
    /// The TLS of a `rediss` form, for every connection; `None` for plain Redis.
    tls: Option<Tls>,
    scripts: Scripts,
    connect_timeout: Duration,
    response_timeout: Duration,
    budget: ReplyBudget,
    /// The connection; dropped after an error, so the next call builds a new one.
    connection: Mutex<Option<MultiplexedConnection>>,
    /// A Cluster's slot map and node connections; forgotten after an error.
    cluster: Mutex<ClusterState>,
}

/// A Cluster node's address.
type Node = (String, u16);

/// `(first slot, last slot, primary)`.
type SlotRange = (u16, u16, Node);

/// What this coordinator knows of a Cluster.
#[derive(Default)]
struct ClusterState {
    /// `(first slot, last slot, primary)`, from `CLUSTER SLOTS`.
    slots: Vec<SlotRange>,
    /// A connection per primary.
    nodes: std::collections::HashMap<Node, MultiplexedConnection>,
}

impl ClusterState {
    fn primary_of(&self, slot: u16) -> Option<(String, u16)> {
        self.slots
            .iter()
            .find(|(first, last, _)| (*first..=*last).contains(&slot))
            .map(|(_, _, node)| node.clone())
    }
}

/// The Cluster slot of a key: CRC16 (XMODEM) of its hash tag, modulo 16384.
pub(crate) fn slot_of(key: &str) -> u16 {
    let tag = key
        .split_once('{')
        .and_then(|(_, rest)| rest.split_once('}'))
        .map(|(tag, _)| tag)
        .filter(|tag| !tag.is_empty())
        .unwrap_or(key);
    crc16::State::<crc16::XMODEM>::calculate(tag.as_bytes()) % 16384
}

/// The slot ranges of a `CLUSTER SLOTS` reply; `asked` stands in for an empty host.
fn slot_ranges(reply: &redis::Value, asked: &str) -> Vec<SlotRange> {
    let redis::Value::Array(ranges) = reply else {
        return Vec::new();
    };
    let int = |v: &redis::Value| match v {
        redis::Value::Int(i) => u16::try_from(*i).ok(),
        _ => None,
    };
    ranges
        .iter()
        .filter_map(|range| {
            let redis::Value::Array(fields) = range else {
                return None;
            };
            let first = int(fields.first()?)?;
            let last = int(fields.get(1)?)?;
            let redis::Value::Array(primary) = fields.get(2)? else {
                return None;
            };
            let host = match primary.first()? {
                redis::Value::BulkString(host) => String::from_utf8_lossy(host).into_owned(),
                _ => return None,
            };
            let host = if host.is_empty() || host == "?" {
                asked.to_owned()
            } else {
                host
            };
            Some((first, last, (host, int(primary.get(1)?)?)))
        })
        .collect()
}

impl RedisIo {
    pub(crate) fn new(
        url: &RedisUrl,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        Self::with_budget(url, connect_timeout, response_timeout, ReplyBudget::SMALL)
    }

    /// As [`RedisIo::new`], with another size bound on what Redis may send.
    pub(crate) fn with_budget(
        url: &RedisUrl,
        connect_timeout: Duration,
        response_timeout: Duration,
        budget: ReplyBudget,
    ) -> Self {
        let inner = || {
            Arc::new(Inner {
                client: url.client().clone(),
                target: url.target().clone(),
                tls: url.tls(),
                scripts: Scripts::new(),
                connect_timeout,
                response_timeout,
                budget,
                connection: Mutex::new(None),
                cluster: Mutex::new(ClusterState::default()),
            })
        };
        Self {
            inner: inner(),
            runtime: OnceLock::new(),
            local: inner(),
            local_runtime: OnceLock::new(),
        }
    }

    fn handle(&self) -> Result<tokio::runtime::Handle, Failure> {
        let runtime = self.runtime.get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .thread_name("zego-redis")
                .enable_all()
                .build()
                .map(|runtime| Runtime(Some(runtime)))
                .map_err(|e| e.to_string())
        });
        match runtime {
            Ok(Runtime(Some(runtime))) => Ok(runtime.handle().clone()),
            _ => Err(Failure::outage("the Redis I/O thread could not start")),
        }
    }

    /// The blocking callers' runtime.
    fn local_runtime(&self) -> Result<&tokio::runtime::Runtime, Failure> {
        let runtime = self.local_runtime.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| Runtime(Some(runtime)))
                .map_err(|e| e.to_string())
        });
        match runtime {
            Ok(Runtime(Some(runtime))) => Ok(runtime),
            _ => Err(Failure::outage("the Redis I/O runtime could not start")),
        }
    }

    /// Runs `exchange` and waits for it (blocking): on this thread, which drives the
    /// blocking path's connection meanwhile; or, called from inside a tokio runtime (where
    /// a thread may not drive another runtime), on the coordinator's worker thread.
    fn run_blocking<T: Send + 'static>(
        &self,
        exchange: impl FnOnce(Arc<Inner>) -> BoxedExchange<T>,
    ) -> Result<T, Failure> {
        if tokio::runtime::Handle::try_current().is_err() {
            let runtime = self.local_runtime()?;
            return runtime.block_on(exchange(Arc::clone(&self.local)));
        }
        let handle = self.handle()?;
        let (sender, receiver) = mpsc::sync_channel(1);
        let future = exchange(Arc::clone(&self.inner));
        handle.spawn(async move {
            let _ = sender.send(future.await);
        });
        // The exchange bounds itself; this margin only covers a runtime that cannot run.
        let bound = self.inner.connect_bound() + self.inner.response_timeout;
        receiver
            .recv_timeout(bound + Duration::from_secs(1))
            .unwrap_or_else(|_| Err(Failure::outage("the Redis I/O thread did not answer")))
    }

    /// Runs `exchange` and awaits it (from any executor): polled by the caller's task, in
    /// the context of the coordinator's runtime, whose worker thread drives the connection
    /// (and its timers). The callers' tasks build their commands and read their replies in
    /// parallel; the worker only moves bytes.
    async fn run_async<T: Send + 'static>(
        &self,
        exchange: impl FnOnce(Arc<Inner>) -> BoxedExchange<T>,
    ) -> Result<T, Failure> {
        let handle = self.handle()?;
        InRuntime {
            handle,
            future: exchange(Arc::clone(&self.inner)),
        }
        .await
    }

    /// The admission script, blocking: first each `(group key, wait µs)` of `push_backs`
    /// (the reconciliation after an outage), then `call`.
    pub(crate) fn admit_sync(
        &self,
        push_backs: Vec<(String, u64)>,
        call: Arc<Invocation>,
    ) -> Result<Reply, Failure> {
        self.run_blocking(|inner| Box::pin(inner.exchange(push_backs, Some(call))))
            .and_then(|reply| reply.ok_or_else(|| Failure::outage("no admission reply")))
    }

    /// The admission script, async: as [`RedisIo::admit_sync`].
    pub(crate) async fn admit_async(
        &self,
        push_backs: Vec<(String, u64)>,
        call: Arc<Invocation>,
    ) -> Result<Reply, Failure> {
        self.run_async(|inner| Box::pin(inner.exchange(push_backs, Some(call))))
            .await
            .and_then(|reply| reply.ok_or_else(|| Failure::outage("no admission reply")))
    }

    /// Pushes the group's next slot to at least now + `wait_us`, blocking.
    pub(crate) fn push_back_sync(&self, group_key: String, wait_us: u64) -> Result<(), Failure> {
        self.run_blocking(|inner| Box::pin(inner.exchange(vec![(group_key, wait_us)], None)))
            .map(drop)
    }

    /// Pushes the group's next slot to at least now + `wait_us`, async.
    pub(crate) async fn push_back_async(
        &self,
        group_key: String,
        wait_us: u64,
    ) -> Result<(), Failure> {
        self.run_async(|inner| Box::pin(inner.exchange(vec![(group_key, wait_us)], None)))
            .await
            .map(drop)
    }

    /// One command on the connection of `key` (its Cluster node), blocking, with the same
    /// bounds as an admission: the connect timeout, then one deadline for the whole reply,
    /// and the size budget.
    pub(crate) fn command_sync(
        &self,
        key: String,
        command: redis::Cmd,
    ) -> Result<redis::Value, Failure> {
        self.run_blocking(|inner| Box::pin(inner.command(key, command)))
    }

    /// Another crate's script on the connection of `KEYS[1]` (its Cluster node), blocking,
    /// with the same bounds as a command; redis-rs's `Script` sends EVALSHA and loads the
    /// script after a NOSCRIPT.
    pub(crate) fn script_sync(
        &self,
        script: Arc<redis::Script>,
        keys: Vec<String>,
        args: Vec<Vec<u8>>,
    ) -> Result<redis::Value, Failure> {
        self.run_blocking(|inner| Box::pin(inner.script(script, keys, args)))
    }

    /// Connects (if not yet connected) and checks that the coordinator's scripts may run:
    /// the check of a configuration at start-up.
    pub(crate) fn check_sync(&self) -> Result<(), Failure> {
        self.run_blocking(|inner| Box::pin(inner.check()))
    }
}

type BoxedExchange<T> =
    Pin<Box<dyn std::future::Future<Output = Result<T, Failure>> + Send + 'static>>;

/// An exchange polled wherever it is awaited, inside the context of the coordinator's
/// runtime: the sockets, timers and tasks it creates belong to that runtime, so they keep
/// working whatever executor (or runtime, since shut down) the caller was on.
struct InRuntime<T> {
    handle: tokio::runtime::Handle,
    future: BoxedExchange<T>,
}

impl<T> std::future::Future for InRuntime<T> {
    type Output = Result<T, Failure>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let _entered = this.handle.enter();
        this.future.as_mut().poll(cx)
    }
}

impl Inner {
    /// How long connecting may take: the connect timeout, and as much again per sentinel.
    fn connect_bound(&self) -> Duration {
        let asked = match &self.target {
            Target::Direct => 0,
            Target::Sentinel { sentinels, .. } => sentinels.len(),
            // The seeds for the slot map, then the primary.
            Target::Cluster { seeds } => seeds.len(),
        };
        self.connect_timeout * (1 + u32::try_from(asked).unwrap_or(64))
    }

    /// The connection for `key`, connecting first if needed: to the URL's address, to the
    /// primary the sentinels name (asked again for every new connection), or to the primary
    /// of the key's Cluster slot.
    async fn connection(&self, key: &str) -> Result<MultiplexedConnection, Failure> {
        if let Target::Cluster { seeds } = &self.target {
            return self.cluster_connection(seeds, key).await;
        }
        let existing = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(connection) = existing {
            return Ok(connection);
        }
        let info = self.client.get_connection_info();
        let connection = match &self.target {
            Target::Direct => {
                self.bounded(self.connect(info.addr(), info.redis_settings()))
                    .await?
            }
            Target::Cluster { .. } => unreachable!("answered above"),
            Target::Sentinel { sentinels, master } => {
                let (host, port) = self.primary(sentinels, master).await?;
                let addr = ConnectionAddr::Tcp(host, port);
                let mut connection = self
                    .bounded(self.connect(&addr, info.redis_settings()))
                    .await?;
                // During a failover a sentinel may still name a primary that was demoted.
                let role = self
                    .bounded(async {
                        redis::cmd("ROLE")
                            .query_async::<redis::Value>(&mut connection)
                            .await
                            .map_err(Failure::of_request)
                    })
                    .await?;
                let is_primary = matches!(&role, redis::Value::Array(items)
                    if matches!(items.first(), Some(redis::Value::BulkString(role)) if role == b"master"));
                if !is_primary {
                    return Err(Failure::outage(
                        "the server the sentinels name is not a primary (a failover is in progress)",
                    ));
                }
                connection
            }
        };
        *self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }

    /// The connection to the primary of `key`'s slot, asking a seed (or a known node) for
    /// the slot map first if needed.
    async fn cluster_connection(
        &self,
        seeds: &[(String, u16)],
        key: &str,
    ) -> Result<MultiplexedConnection, Failure> {
        let slot = slot_of(key);
        let known = self
            .cluster
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .primary_of(slot);
        let primary = if let Some(primary) = known {
            primary
        } else {
            let slots = self.slot_map(seeds).await?;
            let mut state = self.cluster.lock().unwrap_or_else(PoisonError::into_inner);
            state.slots = slots;
            state
                .primary_of(slot)
                .ok_or_else(|| Failure::outage("no Cluster node serves the AppId's slot"))?
        };
        let existing = self
            .cluster
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .nodes
            .get(&primary)
            .cloned();
        if let Some(connection) = existing {
            return Ok(connection);
        }
        let info = self.client.get_connection_info();
        let addr = ConnectionAddr::Tcp(primary.0.clone(), primary.1);
        let connection = self
            .bounded(self.connect(&addr, info.redis_settings()))
            .await?;
        self.cluster
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .nodes
            .insert(primary, connection.clone());
        Ok(connection)
    }

    /// The slot map, from the first seed that answers `CLUSTER SLOTS`.
    async fn slot_map(&self, seeds: &[(String, u16)]) -> Result<Vec<SlotRange>, Failure> {
        let info = self.client.get_connection_info();
        let mut last_error = None;
        for (host, port) in seeds {
            let asked = self
                .bounded(async {
                    let addr = ConnectionAddr::Tcp(host.clone(), *port);
                    let mut connection = self.connect(&addr, info.redis_settings()).await?;
                    redis::cmd("CLUSTER")
                        .arg("SLOTS")
                        .query_async::<redis::Value>(&mut connection)
                        .await
                        .map_err(Failure::of_request)
                })
                .await;
            match asked {
                Ok(reply) => {
                    let slots = slot_ranges(&reply, host);
                    if !slots.is_empty() {
                        return Ok(slots);
                    }
                }
                Err(config @ Failure::Config(..)) => return Err(config),
                Err(error) => last_error = Some(error),
            }
        }
        Err(last_error
            .unwrap_or_else(|| Failure::outage("no Cluster seed answered with a slot map")))
    }

    /// `step` within the connect timeout.
    async fn bounded<T>(
        &self,
        step: impl std::future::Future<Output = Result<T, Failure>>,
    ) -> Result<T, Failure> {
        tokio::time::timeout(self.connect_timeout, step)
            .await
            .unwrap_or_else(|_| Err(Failure::outage("connecting to Redis timed out")))
    }

    /// The primary's address, from the first sentinel that knows the master name.
    async fn primary(
        &self,
        sentinels: &[(String, u16)],
        master: &str,
    ) -> Result<(String, u16), Failure> {
        let mut unknown = false;
        let mut last_error = None;
        let plain = redis::RedisConnectionInfo::default();
        for (host, port) in sentinels {
            let asked = self
                .bounded(async {
                    let mut connection = self
                        .connect(&ConnectionAddr::Tcp(host.clone(), *port), &plain)
                        .await?;
                    redis::cmd("SENTINEL")
                        .arg("get-master-addr-by-name")
                        .arg(master)
                        .query_async::<Option<(String, u16)>>(&mut connection)
                        .await
                        .map_err(Failure::of_request)
                })
                .await;
            match asked {
                Ok(Some(address)) => return Ok(address),
                Ok(None) => unknown = true,
                Err(error) => last_error = Some(error),
            }
        }
        if unknown {
            return Err(Failure::Config(
                ConfigProblem::UnknownMaster,
                RedisError::from((
                    ErrorKind::MasterNameNotFoundBySentinel,
                    "no sentinel knows the master name",
                )),
            ));
        }
        Err(last_error.unwrap_or_else(|| Failure::outage("no sentinel answered")))
    }

    async fn connect(
        &self,
        addr: &ConnectionAddr,
        settings: &redis::RedisConnectionInfo,
    ) -> Result<MultiplexedConnection, Failure> {
        // No per-request timeout of redis-rs's own: every use of a connection is already
        // under one deadline of ours (the exchange's, or the connect timeout while
        // connecting), and a second timer per request costs a wake-up of the I/O thread.
        let config = AsyncConnectionConfig::new().set_response_timeout(None);
        let budget = self.budget;
        let (connection, driver) = match (addr, &self.tls) {
            (ConnectionAddr::Tcp(host, port), tls) => {
                let stream = tokio::net::TcpStream::connect((host.as_str(), *port))
                    .await
                    .map_err(|e| Failure::Outage(e.into()))?;
                let _ = stream.set_nodelay(true);
                match tls {
                    None => handshake(settings, stream, config, budget).await?,
                    Some(tls) => {
                        let stream = tls.handshake(host, stream).await?;
                        handshake(settings, stream, config, budget).await?
                    }
                }
            }
            #[cfg(unix)]
            (ConnectionAddr::Unix(path), None) => {
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|e| Failure::Outage(e.into()))?;
                handshake(settings, stream, config, budget).await?
            }
            // redis-rs is given plain `redis://` URLs only (TLS is `crate::tls`).
            _ => {
                return Err(Failure::Config(
                    ConfigProblem::NotRedis,
                    RedisError::from((
                        ErrorKind::InvalidClientConfig,
                        "an address this crate cannot connect to",
                    )),
                ))
            }
        };
        tokio::spawn(driver);
        Ok(connection)
    }

    /// Forgets the connection after an error (the next call connects again).
    fn forget(&self) {
        *self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        *self.cluster.lock().unwrap_or_else(PoisonError::into_inner) = ClusterState::default();
    }

    /// One exchange: the push-backs, then the admission script if any; all of it within
    /// one response timeout once connected.
    async fn exchange(
        self: Arc<Self>,
        push_backs: Vec<(String, u64)>,
        call: Option<Arc<Invocation>>,
    ) -> Result<Option<Reply>, Failure> {
        // The connections first (each key's node, in a Cluster), within the connect timeout;
        // a failure forgets what is known (a Cluster's slot map may be stale).
        let connections = async {
            let mut pushes = Vec::with_capacity(push_backs.len());
            for (group_key, wait_us) in &push_backs {
                pushes.push((self.connection(group_key).await?, group_key, *wait_us));
            }
            let admission = match &call {
                Some(call) => {
                    let key = call.keys.first().map_or("", String::as_str);
                    Some((self.connection(key).await?, call))
                }
                None => None,
            };
            Ok((pushes, admission))
        };
        let (pushes, admission) = match connections.await {
            Ok(connections) => connections,
            Err(failure) => {
                self.forget();
                return Err(failure);
            }
        };
        let exchange = async {
            for (mut connection, group_key, wait_us) in pushes {
                self.scripts
                    .push_back
                    .key(group_key)
                    .arg(wait_us)
                    .invoke_async::<i64>(&mut connection)
                    .await?;
            }
            match admission {
                Some((mut connection, call)) => self
                    .scripts
                    .admit_call(call)
                    .invoke_async::<Reply>(&mut connection)
                    .await
                    .map(Some),
                None => Ok(None),
            }
        };
        let result = match tokio::time::timeout(self.response_timeout, exchange).await {
            Ok(result) => result.map_err(Failure::of_request),
            Err(_) => Err(Failure::outage(
                "Redis did not answer within the response timeout",
            )),
        };
        if result.is_err() {
            self.forget();
        }
        result
    }

    /// One command on the connection of `key`, within one response timeout once connected;
    /// an error forgets the connection (and a Cluster's slot map).
    async fn command(
        self: Arc<Self>,
        key: String,
        command: redis::Cmd,
    ) -> Result<redis::Value, Failure> {
        let mut connection = match self.connection(&key).await {
            Ok(connection) => connection,
            Err(failure) => {
                self.forget();
                return Err(failure);
            }
        };
        self.answer(command.query_async::<redis::Value>(&mut connection))
            .await
    }

    /// `script` on the connection of `keys[0]`, within one response timeout once connected;
    /// an error forgets the connection (and a Cluster's slot map).
    async fn script(
        self: Arc<Self>,
        script: Arc<redis::Script>,
        keys: Vec<String>,
        args: Vec<Vec<u8>>,
    ) -> Result<redis::Value, Failure> {
        let route = keys.first().cloned().unwrap_or_default();
        let mut connection = match self.connection(&route).await {
            Ok(connection) => connection,
            Err(failure) => {
                self.forget();
                return Err(failure);
            }
        };
        let mut invocation = script.prepare_invoke();
        for key in &keys {
            invocation.key(key);
        }
        for arg in &args {
            invocation.arg(arg.as_slice());
        }
        self.answer(invocation.invoke_async::<redis::Value>(&mut connection))
            .await
    }

    /// Redis's answer to a request sent on a connection, within one response timeout; an
    /// error forgets the connection (and a Cluster's slot map).
    async fn answer(
        &self,
        request: impl std::future::Future<Output = redis::RedisResult<redis::Value>>,
    ) -> Result<redis::Value, Failure> {
        let result = match tokio::time::timeout(self.response_timeout, request).await {
            Ok(result) => result.map_err(Failure::of_request),
            Err(_) => Err(Failure::outage(
                "Redis did not answer within the response timeout",
            )),
        };
        if result.is_err() {
            self.forget();
        }
        result
    }

    /// Connects and loads both scripts (which needs the `SCRIPT` permission; `EVALSHA`'s is
    /// checked by the first admission).
    async fn check(self: Arc<Self>) -> Result<(), Failure> {
        let mut connection = match self.connection("{check}").await {
            Ok(connection) => connection,
            Err(failure) => {
                self.forget();
                return Err(failure);
            }
        };
        let exchange = async {
            self.scripts.admit.load_async(&mut connection).await?;
            self.scripts.push_back.load_async(&mut connection).await
        };
        let result = match tokio::time::timeout(self.response_timeout, exchange).await {
            Ok(result) => result.map(drop).map_err(Failure::of_request),
            Err(_) => Err(Failure::outage(
                "Redis did not answer within the response timeout",
            )),
        };
        if result.is_err() {
            self.forget();
        }
        result
    }
}

type Driver = Pin<Box<dyn std::future::Future<Output = ()> + Send + 'static>>;

/// The Redis handshake (AUTH, SELECT) over `stream`, under the size budget: the connection
/// and the driver that runs it.
async fn handshake<S>(
    settings: &redis::RedisConnectionInfo,
    stream: S,
    config: AsyncConnectionConfig,
    budget: ReplyBudget,
) -> Result<(MultiplexedConnection, Driver), Failure>
where
    S: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static,
{
    MultiplexedConnection::new_with_config(settings, BoundedStream::new(stream, budget), config)
        .await
        .map_err(Failure::of_handshake)
        .map(|(connection, driver)| (connection, Box::pin(driver) as Driver))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_follow_the_hash_tag() {
        // Redis's own: CLUSTER KEYSLOT foo = 12182, CLUSTER KEYSLOT 123456789 = 12739.
        assert_eq!(slot_of("foo"), 12182);
        assert_eq!(slot_of("123456789"), 12739);
        assert_eq!(slot_of("a:{foo}:b"), slot_of("foo"));
        assert_eq!(
            slot_of("zego:prod:{7}:rl:g"),
            slot_of("zego:test:{7}:seq:s")
        );
        assert_eq!(
            slot_of("a{}b"),
            slot_of("a{}b"),
            "an empty tag hashes the whole key"
        );
    }
}
