//! The engine on the blocking client: applies bans, renews their rules before they lapse,
//! lifts them, and runs the store's due work once per fleet (leases).

use zego_proto::ops::{
    DelForbidStreamRule, DelForbidUserRule, DescribeSimpleStreamList, DisabledPrivilege,
    EffectiveTime, ForbidRtcStreams, KickoutUser, MediaBan, ResumeRtcStreams, SetForbidStreamRule,
    SetForbidUserRule, UserRuleTarget, MAX_STREAMS_PER_BATCH,
};
use zego_proto::{CallError, Operation, ReturnCode, ValidationError};
use zego_transport_blocking::Client;

use crate::ban::{BanRequest, Scopes, Target};
use crate::store::{
    AuditEntry, BanId, DueWork, Enforcement, Store, StoreError, StoredBan, WorkKind,
};
use crate::RENEWAL_MARGIN_SECS;

// Callbacks as a shortcut (sightings, forbids on `stream_create`): a child module, so that
// this file only carries the hook (the `sightings` field and `streams_of` in `apply`).
#[path = "callbacks.rs"]
mod callbacks;
pub use callbacks::CallbackForbid;

/// ZEGO's longest rule (`EffectiveTime`), seconds.
const MAX_RULE_SECS: i64 = 86_400;
/// How soon a rule refused for the cap (50123) is tried again, seconds.
const RULE_RETRY_SECS: i64 = 600;
/// Default lease on claimed work, seconds: longer than one piece of work takes, far shorter
/// than the renewal margin, so a crashed worker's work is taken over well before a rule lapses.
pub const DEFAULT_LEASE_SECS: i64 = 60;
/// Most pieces of work claimed at once.
const CLAIM_BATCH: usize = 50;

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
}

/// Applies, renews and lifts bans through a blocking [`Client`] and a [`Store`].
///
/// Time comes from the client's clock ([`zego_proto::clock`], injectable through
/// `ClientBuilder::clock`), or is passed in with [`Engine::tick_at`].
#[derive(Debug)]
pub struct Engine<'a, S: Store + ?Sized> {
    client: &'a Client,
    store: &'a S,
    worker: String,
    lease_secs: i64,
    /// Streams seen through callbacks (`Engine::sightings`, in `callbacks.rs`).
    sightings: Option<&'a crate::Sightings>,
}

/// The ZEGO RequestIds of the calls one piece of work made.
type RequestIds = Vec<String>;

/// The user rule a user ban needs: its target and privileges.
fn rule_target(user_id: &str, room_id: Option<&str>) -> Result<UserRuleTarget, ValidationError> {
    match room_id {
        Some(room) => UserRuleTarget::room_user(room, user_id),
        None => UserRuleTarget::user(user_id),
    }
}

fn privileges(scopes: Scopes) -> Vec<DisabledPrivilege> {
    let mut p = Vec::new();
    if scopes.login {
        p.push(DisabledPrivilege::Login);
    }
    if scopes.publish {
        p.push(DisabledPrivilege::Publish);
    }
    p
}

/// The secs a rule set at `now` should last for bans ending at `ends` (`None`: never).
fn rule_secs(now: i64, ends: Option<i64>) -> i64 {
    ends.map_or(MAX_RULE_SECS, |end| {
        end.saturating_sub(now).clamp(1, MAX_RULE_SECS)
    })
}

fn effective(secs: i64) -> Result<EffectiveTime, ValidationError> {
    EffectiveTime::new(u64::try_from(secs).unwrap_or(1))
}

/// Whether two user bans need the same ZEGO user rule.
fn same_user_rule(a: &Target, b: &Target) -> Option<Scopes> {
    match (a, b) {
        (
            Target::User {
                user_id: u1,
                room_id: r1,
                ..
            },
            Target::User {
                user_id: u2,
                room_id: r2,
                scopes,
            },
        ) if u1 == u2 && r1 == r2 => Some(*scopes),
        _ => None,
    }
}

/// What still holds a ban whose rule ZEGO refused.
fn other_means(ban: &StoredBan) -> Vec<String> {
    let mut means = Vec::new();
    if !ban.effects.forbidden_streams.is_empty() {
        means.push("stream forbids".to_owned());
    }
    if ban.effects.kicked {
        means.push("kick".to_owned());
    }
    if let Target::User { scopes, .. } = ban.request.target() {
        if scopes.login {
            means.push("token refusal".to_owned());
        }
    }
    means
}

impl<'a, S: Store + ?Sized> Engine<'a, S> {
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
    pub fn new(client: &'a Client, store: &'a S, worker: impl Into<String>) -> Self {
        Self {
            client,
            store,
            worker: worker.into(),
            lease_secs: DEFAULT_LEASE_SECS,
            sightings: None,
        }
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

    /// Runs every piece of work due at `now` that no other worker holds, once: claims it under
    /// a lease, does it, completes it. After an outage, everything overdue is done at once.
    /// A failed piece stays leased and is retried when its lease runs out.
    pub fn tick_at(&self, now: i64) -> Result<TickReport, EngineError> {
        let mut report = TickReport::default();
        loop {
            let work = self
                .store
                .claim_due(&self.worker, now, self.lease_secs, CLAIM_BATCH)?;
            if work.is_empty() {
                return Ok(report);
            }
            for w in work {
                let mut ids = RequestIds::new();
                match self.run(&w, now, &mut ids) {
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
                        let mut ban = self.store.ban(w.ban)?;
                        ban.enforcement = Enforcement::Failing {
                            reason: e.to_string(),
                        };
                        // A lifted ban stays lifted (`update_ban` refuses to revive it).
                        self.store.update_ban(&ban)?;
                        let actor = ban.request.actor().to_owned();
                        self.audit(&ban, now, w.kind.as_str(), &actor, ids, &e.to_string())?;
                    }
                }
            }
        }
    }

    /// Does one piece of work; `ids` collects the RequestIds of its calls, failed ones too.
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
        if !self.store.update_ban(&ban)? && action != "lift" {
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

    fn call<O: Operation + ?Sized>(
        &self,
        op: &O,
        ids: &mut RequestIds,
    ) -> Result<O::Output, EngineError> {
        match self.client.execute(op) {
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

    /// Apply, in ZEGO's order: list the user's streams (before the kick ends them), forbid
    /// them, kick the user, set the rule. Effects are saved as they happen, so a retry after
    /// a failure undoes no less at the lift.
    fn apply(
        &self,
        ban: &mut StoredBan,
        now: i64,
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        match ban.request.target().clone() {
            Target::User {
                user_id,
                room_id,
                scopes,
            } => {
                if let Some(room) = &room_id {
                    // Sighted through callbacks when the room's sightings are complete,
                    // else listed (`callbacks.rs`).
                    let mine = self.streams_of(room, &user_id, now, ids)?;
                    self.forbid(ban, &mine, ids)?;
                    if scopes.login {
                        self.call(&KickoutUser::new(room.as_str(), [user_id.as_str()])?, ids)?;
                        ban.effects.kicked = true;
                        self.store.update_ban(ban)?;
                    }
                }
                self.set_rule(ban, None, now, ids)
            }
            Target::Stream { stream_id } => {
                self.forbid(ban, &[stream_id], ids)?;
                ban.enforcement = Enforcement::Full;
                Ok(())
            }
            Target::Media { .. } => self.set_rule(ban, None, now, ids),
        }
    }

    fn forbid(
        &self,
        ban: &mut StoredBan,
        streams: &[String],
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        for chunk in streams.chunks(MAX_STREAMS_PER_BATCH) {
            self.call(&ForbidRtcStreams::new(chunk.iter().cloned())?, ids)?;
            for s in chunk {
                if !ban.effects.forbidden_streams.contains(s) {
                    ban.effects.forbidden_streams.push(s.clone());
                }
            }
            self.store.update_ban(ban)?;
        }
        Ok(())
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

    /// Sets (or renews) the ban's rule for as long as it and every other active ban needing
    /// the same rule still need it (ZEGO keeps the last call), with all their privileges. A
    /// 50123 leaves the ban enforced by its other means and says so. `lifting`: a ban being
    /// lifted, whose needs no longer count.
    fn set_rule(
        &self,
        ban: &mut StoredBan,
        lifting: Option<BanId>,
        now: i64,
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        let mut others = self.others(ban.id, now)?;
        others.retain(|o| Some(o.id) != lifting);
        let result = match ban.request.target().clone() {
            Target::User {
                user_id,
                room_id,
                scopes,
            } => {
                let mut union = scopes;
                let mut secs = rule_secs(now, ban.ends_at);
                for o in &others {
                    if let Some(s) = same_user_rule(ban.request.target(), o.request.target()) {
                        union.login |= s.login;
                        union.publish |= s.publish;
                        secs = secs.max(rule_secs(now, o.ends_at));
                    }
                }
                let op = SetForbidUserRule::new(
                    rule_target(&user_id, room_id.as_deref())?,
                    privileges(union),
                    effective(secs)?,
                )?;
                self.call(&op, ids).map(|r| r.expire_time)
            }
            Target::Media {
                room_id,
                stream_id,
                audio,
                video,
            } => {
                let (mut a, mut v, mut secs) = (audio, video, rule_secs(now, ban.ends_at));
                for o in &others {
                    if let Target::Media {
                        room_id: r,
                        stream_id: s,
                        audio: oa,
                        video: ov,
                    } = o.request.target()
                    {
                        if *r == room_id && *s == stream_id {
                            a |= oa;
                            v |= ov;
                            secs = secs.max(rule_secs(now, o.ends_at));
                        }
                    }
                }
                let op = SetForbidStreamRule::new(
                    room_id.as_str(),
                    stream_id.as_str(),
                    MediaBan::from_flags(a, v)?,
                    effective(secs)?,
                )?;
                self.call(&op, ids).map(|()| now.saturating_add(secs))
            }
            Target::Stream { .. } => return Ok(()),
        };
        match result {
            Ok(expires) => {
                let expires = if expires > now {
                    expires
                } else {
                    now.saturating_add(rule_secs(now, ban.ends_at))
                };
                if matches!(ban.request.target(), Target::Media { .. }) {
                    ban.effects.stream_rule = true;
                } else {
                    ban.effects.user_rule = true;
                }
                ban.effects.rule_expires_at = Some(expires);
                ban.enforcement = Enforcement::Full;
                Ok(())
            }
            Err(EngineError::Call { source, .. })
                if source.code() == Some(ReturnCode::TooManyLiveBanRules) =>
            {
                ban.effects.rule_expires_at = None;
                ban.enforcement = Enforcement::WithoutRule {
                    means: other_means(ban),
                };
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Schedules the next renewal (the margin before the rule lapses, or a retry after a
    /// 50123) and the lift at the end.
    fn schedule_next(&self, ban: &StoredBan, now: i64) -> Result<(), EngineError> {
        if let Some(end) = ban.ends_at {
            self.store.schedule(ban.id, WorkKind::Lift, end)?;
        }
        let next = match (&ban.enforcement, ban.effects.rule_expires_at) {
            (Enforcement::WithoutRule { .. }, _) => Some(now.saturating_add(RULE_RETRY_SECS)),
            (_, Some(expires)) => Some(
                expires
                    .saturating_sub(RENEWAL_MARGIN_SECS)
                    .max(now.saturating_add(1)),
            ),
            _ => None,
        };
        if let Some(at) = next {
            // No renewal when the ban ends first (the rule was set to end with it).
            if ban
                .ends_at
                .is_none_or(|end| at < end && ban.effects.rule_expires_at.is_none_or(|e| e < end))
            {
                self.store.schedule(ban.id, WorkKind::Renew, at)?;
            }
        }
        Ok(())
    }

    /// Undoes exactly what the ban did, keeping what another active ban still needs.
    fn lift(&self, ban: &mut StoredBan, now: i64, ids: &mut RequestIds) -> Result<(), EngineError> {
        let others = self.others(ban.id, now)?;
        // Streams: resume those this ban forbade that no other active ban holds.
        let needed = |s: &String| {
            others.iter().any(|o| {
                o.effects.forbidden_streams.contains(s)
                    || matches!(o.request.target(), Target::Stream { stream_id } if stream_id == s)
            })
        };
        let resume: Vec<String> = ban
            .effects
            .forbidden_streams
            .iter()
            .filter(|s| !needed(s))
            .cloned()
            .collect();
        for chunk in resume.chunks(MAX_STREAMS_PER_BATCH) {
            self.call(&ResumeRtcStreams::new(chunk.iter().cloned())?, ids)?;
        }
        match ban.request.target().clone() {
            Target::User {
                user_id, room_id, ..
            } if ban.effects.user_rule => {
                let still: Vec<&StoredBan> = others
                    .iter()
                    .filter(|o| same_user_rule(ban.request.target(), o.request.target()).is_some())
                    .collect();
                if still.is_empty() {
                    let op = DelForbidUserRule::new(rule_target(&user_id, room_id.as_deref())?);
                    match self.call(&op, ids) {
                        // 50124: the rule lapsed by itself already.
                        Err(EngineError::Call { source, .. })
                            if source.code().map(ReturnCode::code) == Some(50124) => {}
                        other => {
                            other?;
                        }
                    }
                } else {
                    // Narrow the rule to what the remaining bans need.
                    let mut rest = still[0].clone();
                    self.set_rule(&mut rest, Some(ban.id), now, ids)?;
                    self.store.update_ban(&rest)?;
                }
            }
            Target::Media {
                room_id, stream_id, ..
            } if ban.effects.stream_rule => {
                let still: Vec<&StoredBan> = others
                    .iter()
                    .filter(|o| matches!(o.request.target(), Target::Media { room_id: r, stream_id: s, .. } if *r == room_id && *s == stream_id))
                    .collect();
                if still.is_empty() {
                    self.call(
                        &DelForbidStreamRule::new(room_id.as_str(), stream_id.as_str())?,
                        ids,
                    )?;
                } else {
                    let mut rest = still[0].clone();
                    self.set_rule(&mut rest, Some(ban.id), now, ids)?;
                    self.store.update_ban(&rest)?;
                }
            }
            _ => {}
        }
        ban.enforcement = Enforcement::Lifted;
        Ok(())
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
