//! The engine: applies bans, renews their rules before they lapse, lifts them, and runs the
//! store's due work once per fleet (leases), in batches. One implementation for both
//! clients: it calls ZEGO through [`Caller`].
//!
//! - `mod.rs`: the engine, its public entry points, the tick (claim, batch, complete).
//! - `apply.rs`: applying bans; the room part (list, forbid, kick) batched per room.
//! - `streams.rs`: which streams of a room are live (the listing, reused across the fleet).
//! - `rules.rs`: setting and renewing rules, the next renewal.
//! - `lift.rs`: undoing what a ban did.
//! - `callbacks.rs`: callbacks as a shortcut (sightings, forbids on `stream_create`).

mod apply;
mod callbacks;
mod caller;
mod lift;
mod rules;
mod streams;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use zego_proto::admission::RateLimitKey;
use zego_proto::ops::RateLimitGroup;
use zego_proto::{CallError, CallOptions, Operation, ValidationError};
use zego_transport_blocking::Client;

use crate::ban::{BanRequest, Target};
use crate::store::{
    AuditEntry, BanId, DueWork, Enforcement, Store, StoreError, StoredBan, WorkKind,
};

pub use callbacks::CallbackForbid;
pub use caller::Caller;

/// Default lease on claimed work, seconds: longer than one piece of work takes, far shorter
/// than the renewal margin, so a crashed worker's work is taken over well before a rule lapses.
pub const DEFAULT_LEASE_SECS: i64 = 60;
/// The audit outcome of work handed back after its room part.
const HANDED_BACK: &str = "handed back: room part done, rule next";
/// Most pieces of work claimed at once, whatever the lease and quota allow.
const MAX_CLAIM: usize = 1000;

/// Why the engine failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A ZEGO call failed (the work is retried when its lease runs out).
    #[error("{action}: {source}")]
    Call {
        /// The action.
        action: String,
        /// The failure (boxed: it is large).
        source: Box<CallError>,
    },
    /// An ID did not pass ZEGO's checks (cannot happen for a validated [`BanRequest`]).
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The async engine's blocking task ended without an answer (its runtime shut down).
    #[error("the engine's blocking task did not finish: {0}")]
    Interrupted(String),
}

/// What one [`Engine::tick_at`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TickReport {
    /// Work done and completed.
    pub done: usize,
    /// Work that failed (left leased; retried when the lease runs out).
    pub failed: usize,
    /// Work done whose lease had meanwhile gone to another worker.
    pub lost_leases: usize,
    /// Work handed back unfinished because its batch had used half its lease (due again at
    /// once, for any worker; a user ban's room part already done is not done again).
    pub handed_back: usize,
}

/// Applies, renews and lifts bans through a client ([`Caller`]: the blocking [`Client`] by
/// default) and a [`Store`].
///
/// Time comes from the client's clock ([`zego_proto::clock`], injectable through
/// `ClientBuilder::clock`), or is passed in with [`Engine::tick_at`].
///
/// **Batches.** A tick claims due work in batches sized to the lease: half the lease at the
/// rule quota the client's coordinator admits (300 pieces for 60 s at ZEGO's 10/s), at most
/// 1,000, and no more than the worker's last batch showed it does in half a lease (workers
/// sharing the quota each get a share of it). The user bans of one room in a batch share one stream listing (and a listing
/// younger than ZEGO's 10-second room window, kept in the store, is reused by any worker),
/// their streams are forbidden 20 per call and their users kicked 5 per call, then each
/// gets its rule. Each ban's audit names the RequestIds of the calls that served it.
/// Effects are saved after each call, so a crash loses nothing that was done. A batch
/// starts no new piece once half its lease has passed (the other half covers the piece
/// under way with the client's retries, 30 s by default): it hands the rest back, due at
/// once, to be claimed again under a fresh lease (by this worker's next claim or another
/// worker's). So a batch never outlives its lease, without extending it.
#[derive(Debug)]
pub struct Engine<'a, S: Store + ?Sized, C: Caller = Client> {
    client: &'a C,
    store: &'a S,
    worker: String,
    lease_secs: i64,
    /// What the worker learnt from its earlier batches (kept by the async engine across
    /// calls, which build an engine each).
    memory: Arc<WorkerMemory>,
    /// Streams seen through callbacks (`Engine::sightings`, in `callbacks.rs`).
    sightings: Option<&'a crate::Sightings>,
}

/// What a worker learns from its batches.
#[derive(Debug, Default)]
pub(crate) struct WorkerMemory {
    /// How many pieces this worker's last measured batch did, or would have done, in half a
    /// lease (0: not measured yet). Sharing the quota with other workers, a worker gets only
    /// its share of it: claims follow what it achieves, so few pieces are handed back.
    pace: AtomicUsize,
    /// The last listing of each room this worker took or reused, for stores that keep none
    /// ([`Store::recent_listing`]'s default): this worker's later bans in the room within
    /// ZEGO's window reuse it.
    listings: Mutex<HashMap<String, crate::store::RoomListing>>,
}

/// The ZEGO RequestIds of the calls one piece of work made.
type RequestIds = Vec<String>;

impl<'a, S: Store + ?Sized, C: Caller> Engine<'a, S, C> {
    /// An engine for `worker` (a name unique in the fleet, e.g. host and PID).
    ///
    /// ```
    /// use zego_moderation::{Engine, SqliteStore};
    /// use zego_proto::{Credentials, Endpoint};
    /// let sim = zego_sim::Simulator::builder().app(1, "secret").start()?;
    /// let client = zego_transport_blocking::Client::builder(Credentials::new(1u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let store = SqliteStore::open_in_memory()?;
    /// let engine = Engine::new(&client, &store, "worker-1");
    /// assert_eq!(engine.tick()?.done, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(client: &'a C, store: &'a S, worker: impl Into<String>) -> Self {
        Self {
            client,
            store,
            worker: worker.into(),
            lease_secs: DEFAULT_LEASE_SECS,
            memory: Arc::default(),
            sightings: None,
        }
    }

    /// An engine with the memory of earlier ones (the async engine's, across its calls).
    #[cfg_attr(not(feature = "async"), allow(dead_code))]
    pub(crate) fn with_memory(mut self, memory: Arc<WorkerMemory>) -> Self {
        self.memory = memory;
        self
    }

    /// Another lease length (seconds, at least 1).
    #[must_use]
    pub fn lease_secs(mut self, secs: i64) -> Self {
        self.lease_secs = secs.max(1);
        self
    }

    /// Now, by the client's clock (Unix seconds).
    pub fn now(&self) -> i64 {
        i64::try_from(self.client.core().now().unix_secs()).unwrap_or(i64::MAX)
    }

    /// Stores a ban and applies it at once (its `Apply` work, by this worker).
    pub fn ban(&self, request: &BanRequest) -> Result<StoredBan, EngineError> {
        let now = self.now();
        let ban = self.store.insert_ban(request, now)?;
        self.audit(&ban, now, "ban", request.actor(), Vec::new(), "ok")?;
        self.tick_at(now)?;
        Ok(self.store.ban(ban.id)?)
    }

    /// Ends a ban now (its `Lift` work, run at once by this worker).
    pub fn unban(&self, id: BanId, actor: &str) -> Result<StoredBan, EngineError> {
        let now = self.now();
        let ban = self.store.ban(id)?;
        self.audit(&ban, now, "unban", actor, Vec::new(), "ok")?;
        self.store.schedule(id, WorkKind::Lift, now)?;
        self.tick_at(now)?;
        Ok(self.store.ban(id)?)
    }

    /// [`Engine::tick_at`] at the client clock's now.
    pub fn tick(&self) -> Result<TickReport, EngineError> {
        self.tick_at(self.now())
    }

    /// Runs every piece of work due at `now` that no other worker holds, once: claims it in
    /// batches under a lease, does it, completes it. After an outage, everything overdue is
    /// done at once. A failed piece stays leased and is retried when its lease runs out.
    /// Time the client's clock sees pass during the tick moves `now` on (a long raid's
    /// later claims get leases that have not already run out).
    pub fn tick_at(&self, now: i64) -> Result<TickReport, EngineError> {
        let started = self.now();
        let mut report = TickReport::default();
        loop {
            let now = now.saturating_add(self.now().saturating_sub(started).max(0));
            let work =
                self.store
                    .claim_due(&self.worker, now, self.lease_secs, self.claim_limit())?;
            if work.is_empty() {
                return Ok(report);
            }
            self.run_batch(work, now, &mut report)?;
        }
    }

    /// How many pieces one claim takes: as many rules as the client's coordinator admits in
    /// half a lease (a user ban costs one rule call, the slowest quota it draws from), so a
    /// batch at the full quota ends with half its lease to spare; fewer when this worker's
    /// last batch showed it gets only a share of the quota (others draw from it too).
    fn claim_limit(&self) -> usize {
        let by_quota = self.quota_claim_limit();
        match self.memory.pace.load(Ordering::Relaxed) {
            0 => by_quota,
            pace => pace.min(by_quota),
        }
    }

    /// Learns the pace from a batch that ran `ran` pieces in `elapsed_ms`: exactly what it
    /// ran when it had to hand some back; else what that rate would do in half a lease.
    fn learn_pace(&self, ran: usize, elapsed_ms: u64, handed_back: bool) {
        let half_lease_ms = u64::try_from(self.lease_secs)
            .unwrap_or(0)
            .saturating_mul(500);
        let pace = if handed_back {
            ran
        } else if elapsed_ms >= 1000 {
            let ran = u64::try_from(ran).unwrap_or(u64::MAX);
            usize::try_from(ran.saturating_mul(half_lease_ms) / elapsed_ms).unwrap_or(usize::MAX)
        } else {
            return; // too short to measure
        };
        self.memory.pace.store(pace.max(1), Ordering::Relaxed);
    }

    fn quota_claim_limit(&self) -> usize {
        let core = self.client.core();
        let key = RateLimitKey {
            app_id: core.credentials().app_id(),
            environment: core.config().environment(),
            group: RateLimitGroup::Rules,
        };
        let Some(per_second) = core.coordinator().quota_per_second(key) else {
            return MAX_CLAIM; // unmetered: nothing paces the batch
        };
        let half_lease = usize::try_from(self.lease_secs / 2).unwrap_or(0).max(1);
        let per_second = usize::try_from(per_second).unwrap_or(usize::MAX);
        half_lease.saturating_mul(per_second).clamp(1, MAX_CLAIM)
    }

    /// One claimed batch: the room part of its user bans per room first, then each piece,
    /// until half the lease has passed (the rest is handed back).
    fn run_batch(
        &self,
        work: Vec<DueWork>,
        now: i64,
        report: &mut TickReport,
    ) -> Result<(), EngineError> {
        let stop_at = self.now().saturating_add(self.lease_secs / 2);
        let started_ms = self.client.core().now().unix_millis();
        let (mut ran, mut handed_back) = (0, false);
        let mut ids: HashMap<i64, RequestIds> = HashMap::new();
        let failed: HashSet<i64> = self.apply_rooms(&work, now, &mut ids)?;
        let mut started_one = false;
        for w in work {
            if failed.contains(&w.id) {
                report.failed += 1;
                continue;
            }
            // The first piece always runs, so every claim makes progress.
            if started_one && self.now() >= stop_at {
                // Due again at once, unleased; then this lease's copy goes. A crash between
                // the two leaves the work twice: done twice, harmlessly, never lost.
                self.store.schedule(w.ban, w.kind, now)?;
                self.store.complete(&w, &self.worker)?;
                report.handed_back += 1;
                handed_back = true;
                if let Some(served) = ids.remove(&w.id).filter(|s| !s.is_empty()) {
                    // The batched room calls that served it, audited now: the next worker
                    // only sets the rule.
                    let ban = self.store.ban(w.ban)?;
                    let actor = ban.request.actor().to_owned();
                    self.audit(&ban, now, w.kind.as_str(), &actor, served, HANDED_BACK)?;
                }
                continue;
            }
            started_one = true;
            ran += 1;
            let mut piece_ids = ids.remove(&w.id).unwrap_or_default();
            match self.run(&w, now, &mut piece_ids) {
                Ok(()) => {
                    if self.store.complete(&w, &self.worker)? {
                        report.done += 1;
                    } else {
                        report.lost_leases += 1;
                    }
                }
                Err(EngineError::Store(e)) => return Err(EngineError::Store(e)),
                Err(e) => {
                    report.failed += 1;
                    self.record_failure(w.ban, w.kind, now, piece_ids, &e)?;
                }
            }
        }
        let elapsed_ms = self
            .client
            .core()
            .now()
            .unix_millis()
            .saturating_sub(started_ms);
        self.learn_pace(ran, elapsed_ms, handed_back);
        Ok(())
    }

    /// Marks a ban failing and audits the failure (a lifted ban stays lifted:
    /// `update_ban` refuses to revive it).
    fn record_failure(
        &self,
        id: BanId,
        kind: WorkKind,
        now: i64,
        ids: RequestIds,
        e: &EngineError,
    ) -> Result<(), EngineError> {
        let mut ban = self.store.ban(id)?;
        ban.enforcement = Enforcement::Failing {
            reason: e.to_string(),
        };
        self.store.update_ban(&mut ban)?;
        let actor = ban.request.actor().to_owned();
        self.audit(&ban, now, kind.as_str(), &actor, ids, &e.to_string())
    }

    /// Does one piece of work; `ids` collects the RequestIds of its calls, failed ones too
    /// (and arrives holding those of the batched room calls that served it).
    fn run(&self, work: &DueWork, now: i64, ids: &mut RequestIds) -> Result<(), EngineError> {
        let mut ban = self.store.ban(work.ban)?;
        if ban.enforcement == Enforcement::Lifted {
            return Ok(());
        }
        let past_end = ban.ends_at.is_some_and(|end| now >= end);
        let action = match work.kind {
            WorkKind::Lift => {
                self.lift(&mut ban, now, ids)?;
                "lift"
            }
            _ if past_end => {
                // Overdue after an outage: the ban is over, so undo it instead.
                self.lift(&mut ban, now, ids)?;
                "lift"
            }
            WorkKind::Apply => {
                self.apply(&mut ban, now, ids)?;
                "apply"
            }
            WorkKind::Renew if ban.effects.rule_expires_at.is_some_and(|e| now >= e) => {
                // The rule lapsed (an outage outlasted the margin): the user may have come
                // back meanwhile, so apply the whole ban again, not just the rule.
                self.apply(&mut ban, now, ids)?;
                "reapply"
            }
            WorkKind::Renew => {
                self.set_rule(&mut ban, None, now, ids)?;
                "renew"
            }
        };
        let mut action = action;
        let undone = ban.effects.forbidden_streams.clone();
        let written = self.store.update_ban(&mut ban)?;
        if written && action == "lift" {
            // A stream a callback recorded after this lift read the ban: the write returned
            // it (the store merges effects), so resume it too.
            self.resume_late_streams(&ban, &undone, now, ids)?;
        }
        if !written && action != "lift" {
            // Another worker lifted the ban while this one applied or renewed it: undo what
            // this work just did too (a rule set after that lift, say).
            self.lift(&mut ban, now, ids)?;
            action = "lift";
        }
        if action != "lift" {
            self.schedule_next(&ban, now)?;
        }
        let actor = ban.request.actor().to_owned();
        self.audit(&ban, now, action, &actor, std::mem::take(ids), "ok")
    }

    fn call<O: Operation + Sync + ?Sized>(
        &self,
        op: &O,
        ids: &mut RequestIds,
    ) -> Result<O::Output, EngineError>
    where
        O::Output: Send,
    {
        self.call_with(op, &CallOptions::new(), ids)
    }

    fn call_with<O: Operation + Sync + ?Sized>(
        &self,
        op: &O,
        options: &CallOptions,
        ids: &mut RequestIds,
    ) -> Result<O::Output, EngineError>
    where
        O::Output: Send,
    {
        match self.client.execute_with(op, options) {
            Ok(resp) => {
                ids.push(resp.request_id);
                Ok(resp.data)
            }
            Err(source) => {
                if let Some(id) = source.request_id() {
                    ids.push(id.to_owned());
                }
                Err(EngineError::Call {
                    action: op.action().to_owned(),
                    source: Box::new(source),
                })
            }
        }
    }

    /// The other bans in force at `now` (not `except`).
    fn others(&self, except: BanId, now: i64) -> Result<Vec<StoredBan>, EngineError> {
        Ok(self
            .store
            .unlifted_bans()?
            .into_iter()
            .filter(|b| b.id != except && b.is_active_at(now))
            .collect())
    }

    fn audit(
        &self,
        ban: &StoredBan,
        now: i64,
        action: &str,
        actor: &str,
        request_ids: RequestIds,
        outcome: &str,
    ) -> Result<(), EngineError> {
        let (user_id, stream_id) = match ban.request.target() {
            Target::User { user_id, .. } => (Some(user_id.clone()), None),
            Target::Stream { stream_id } | Target::Media { stream_id, .. } => {
                (None, Some(stream_id.clone()))
            }
        };
        self.store.append_audit(&AuditEntry {
            at: now,
            ban: ban.id,
            action: action.to_owned(),
            actor: actor.to_owned(),
            reason: ban.request.reason().to_owned(),
            user_id,
            stream_id,
            request_ids,
            outcome: outcome.to_owned(),
        })?;
        Ok(())
    }
}
