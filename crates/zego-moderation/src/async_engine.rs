//! The engine on the async client (feature `async`).
//!
//! The engine's logic exists once ([`Engine`], generic over [`Caller`]). `AsyncEngine` runs
//! it on tokio's blocking pool (`spawn_blocking`) with a [`Caller`] that drives the async
//! client's calls through the runtime's `Handle::block_on`. Why not an async engine: the
//! store is synchronous anyway (SQLite, and Redis through a blocking connection), a piece of
//! work is a short sequence of calls and store writes with no concurrency of its own to gain,
//! and one implementation cannot drift from the other. The cost is one blocking-pool thread
//! per call of `ban`/`unban`/`tick` in progress, never a blocked runtime worker.

use std::sync::Arc;

use tokio::runtime::Handle;
use zego_proto::driver::ClientCore;
use zego_proto::{ApiResponse, CallError, CallOptions, Operation};

use crate::ban::BanRequest;
use crate::engine::{Caller, Engine, EngineError, TickReport, WorkerMemory, DEFAULT_LEASE_SECS};
use crate::store::{BanId, Store, StoredBan};

/// The async client seen from the engine's blocking thread: each call is driven to its end
/// on the runtime that owns the client (its I/O and timers run there).
struct OnRuntime {
    client: zego_transport_async::Client,
    runtime: Handle,
}

impl Caller for OnRuntime {
    fn execute_with<O>(
        &self,
        op: &O,
        options: &CallOptions,
    ) -> Result<ApiResponse<O::Output>, CallError>
    where
        O: Operation + Sync + ?Sized,
        O::Output: Send,
    {
        self.runtime.block_on(self.client.execute_with(op, options))
    }

    fn core(&self) -> &ClientCore {
        self.client.core()
    }
}

/// [`Engine`] on the async client (`zego_transport_async::Client`): `ban`, `unban` and
/// `tick` are async, the work the same (batches, leases, audit).
///
/// Each call runs the engine on tokio's blocking pool, so it needs a tokio runtime with the
/// blocking pool (any runtime; on a `current_thread` runtime the thread awaiting drives
/// the client's I/O meanwhile).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use zego_moderation::{AsyncEngine, BanDuration, BanRequest, Enforcement, Scopes, SqliteStore, Target};
/// use zego_proto::{Credentials, Endpoint};
///
/// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sim = zego_sim::Simulator::builder().app(1, "secret").start()?;
/// let client = zego_transport_async::Client::builder(Credentials::new(1u32, "secret")?)
///     .endpoint(Endpoint::custom(&sim.base_url())?)
///     .build();
/// let engine = AsyncEngine::new(client, Arc::new(SqliteStore::open_in_memory()?), "worker-1");
/// let target = Target::User { user_id: "troll".into(), room_id: Some("room1".into()), scopes: Scopes::ALL };
/// let ban = engine.ban(&BanRequest::new(target, BanDuration::For(Duration::from_secs(3600)), "spam", "mod")?).await?;
/// assert_eq!(ban.enforcement, Enforcement::Full);
/// assert_eq!(engine.unban(ban.id, "mod").await?.enforcement, Enforcement::Lifted);
/// assert_eq!(engine.tick().await?.done, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct AsyncEngine<S: Store + ?Sized + 'static> {
    client: zego_transport_async::Client,
    store: Arc<S>,
    worker: String,
    lease_secs: i64,
    /// The worker's pace and listings, kept across calls (each builds an engine).
    memory: Arc<WorkerMemory>,
}

impl<S: Store + ?Sized + 'static> AsyncEngine<S> {
    /// An engine for `worker` (a name unique in the fleet) on `client` and `store`.
    pub fn new(
        client: zego_transport_async::Client,
        store: Arc<S>,
        worker: impl Into<String>,
    ) -> Self {
        Self {
            client,
            store,
            worker: worker.into(),
            lease_secs: DEFAULT_LEASE_SECS,
            memory: Arc::default(),
        }
    }

    /// Another lease length (seconds, at least 1); see [`Engine::lease_secs`].
    #[must_use]
    pub fn lease_secs(mut self, secs: i64) -> Self {
        self.lease_secs = secs.max(1);
        self
    }

    /// The store.
    pub fn store(&self) -> &Arc<S> {
        &self.store
    }

    /// [`Engine::ban`]: stores a ban and applies it at once.
    pub async fn ban(&self, request: &BanRequest) -> Result<StoredBan, EngineError> {
        let request = request.clone();
        self.run(move |engine| engine.ban(&request)).await
    }

    /// [`Engine::unban`]: ends a ban now.
    pub async fn unban(&self, id: BanId, actor: &str) -> Result<StoredBan, EngineError> {
        let actor = actor.to_owned();
        self.run(move |engine| engine.unban(id, &actor)).await
    }

    /// [`Engine::tick`]: runs the due work at the client clock's now.
    pub async fn tick(&self) -> Result<TickReport, EngineError> {
        // A closure, not `Engine::tick`: the path names one engine lifetime, `run` needs all.
        #[allow(clippy::redundant_closure_for_method_calls)]
        self.run(|engine| engine.tick()).await
    }

    /// [`Engine::tick_at`]: runs the work due at `now` (Unix seconds).
    pub async fn tick_at(&self, now: i64) -> Result<TickReport, EngineError> {
        self.run(move |engine| engine.tick_at(now)).await
    }

    /// Runs `f` on an engine on tokio's blocking pool.
    async fn run<T, F>(&self, f: F) -> Result<T, EngineError>
    where
        T: Send + 'static,
        F: FnOnce(&Engine<'_, S, OnRuntime>) -> Result<T, EngineError> + Send + 'static,
    {
        let caller = OnRuntime {
            client: self.client.clone(),
            runtime: Handle::current(),
        };
        let store = Arc::clone(&self.store);
        let (worker, lease) = (self.worker.clone(), self.lease_secs);
        let memory = Arc::clone(&self.memory);
        let task = tokio::task::spawn_blocking(move || {
            let engine = Engine::new(&caller, &*store, worker)
                .lease_secs(lease)
                .with_memory(memory);
            f(&engine)
        });
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(EngineError::Interrupted(e.to_string())),
        }
    }
}
