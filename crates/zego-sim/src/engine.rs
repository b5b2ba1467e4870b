//! The HTTP-free core: query parsing, gateway, faults, rate limits, dispatch, logging.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::Value;

use crate::actions::{self, Action, Ctx, Data, Reply};
use crate::callbacks::{Callbacks, Event, StreamInfo};
use crate::clock::SimClock;
use crate::codes;
use crate::enforce::Refusal;
use crate::env::Env;
use crate::faults::{Fault, FaultDecider, FaultPlan};
use crate::gateway::{self, AppConfig};
use crate::log::{redact, FileLog, LoggedRequest};
use crate::query::Params;
use crate::rate_limit::{RateGroup, RateLimiter};
use crate::rooms::{Room, ROLE_HOST};
use crate::state::{close_type, AppStateSnapshot, EndedStream, World};

/// Which room of which app and environment a room control call addresses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RoomAt<'a> {
    pub app_id: u32,
    pub env: Env,
    pub room: &'a str,
}

/// The body of an HTTP 503 fault.
pub(crate) const HTML_503: &str = "<html>Service Unavailable</html>";

/// What to send back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A JSON body with this HTTP status.
    Json { status: u16, body: String },
    /// An HTML body with this HTTP status.
    Html { status: u16, body: &'static str },
    /// Close the connection without answering.
    Drop,
    /// Never answer.
    Hang,
}

/// A request that passed the gateway and waits for its (optional) delay.
#[derive(Debug)]
pub(crate) struct Pending {
    entry: LoggedRequest,
    params: Params,
    app_id: u32,
    env: Env,
    action: Action,
    fault: Option<Fault>,
}

/// Result of the first phase.
#[derive(Debug)]
pub(crate) enum Begin {
    /// Answer now.
    Done(Outcome),
    /// Sleep `delay` (real time), then call [`Engine::finish`].
    Later {
        delay: Option<Duration>,
        pending: Box<Pending>,
    },
}

#[derive(Serialize)]
#[allow(non_snake_case)]
struct Envelope<'a> {
    Code: i64,
    Message: &'a str,
    RequestId: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    Data: Option<&'a Value>,
}

/// The default bound of [`Config::room_entries_per_app`].
pub(crate) const ROOM_ENTRIES_PER_APP: usize = 100_000;

pub(crate) struct Config {
    pub apps: HashMap<u32, AppConfig>,
    /// The most rooms, room users and room streams the control endpoints keep per app and
    /// environment.
    pub room_entries_per_app: usize,
    pub clock: SimClock,
    pub rate_limit: bool,
    pub quotas: HashMap<(RateGroup, Env), u32>,
    pub faults: FaultPlan,
    pub seed: u64,
    pub file: Option<FileLog>,
    pub log_capacity: usize,
    pub log_bytes: usize,
    pub callbacks: Option<Callbacks>,
}

struct Inner {
    world: World,
    limiter: RateLimiter,
    faults: FaultDecider,
    ids: ChaCha8Rng,
    /// The most recent requests, at most `log_capacity` of them.
    log: VecDeque<LoggedRequest>,
    log_capacity: usize,
    /// The log's size budget and its current size (approximate bytes).
    log_bytes: usize,
    log_size: usize,
    file: Option<FileLog>,
}

/// Approximate heap bytes of a log entry.
fn entry_size(entry: &LoggedRequest) -> usize {
    128 + entry.action.len()
        + entry.request_id.len()
        + entry.fault.as_ref().map_or(0, String::len)
        + entry
            .params
            .iter()
            .map(|(k, v)| k.len() + v.len() + 48)
            .sum::<usize>()
}

/// What an unauthenticated request may put in the log.
const ANONYMOUS_PARAMS: usize = 32;
const ANONYMOUS_VALUE_BYTES: usize = 256;

fn truncate_params(params: &mut Vec<(String, String)>) {
    params.truncate(ANONYMOUS_PARAMS);
    for (key, value) in params.iter_mut() {
        for text in [key, value] {
            if text.len() > ANONYMOUS_VALUE_BYTES {
                let mut cut = ANONYMOUS_VALUE_BYTES;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                text.push('…');
            }
        }
    }
}

/// The simulator's core, shared by the HTTP server, the handle and the fuzzing entry point.
pub(crate) struct Engine {
    apps: HashMap<u32, AppConfig>,
    room_entries_per_app: usize,
    clock: SimClock,
    seed: u64,
    inner: Mutex<Inner>,
    sequence_rejections: AtomicU64,
    /// The callback sender, when a callback URL is configured.
    callbacks: Option<Callbacks>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("apps", &self.apps.keys().collect::<Vec<_>>())
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(cfg: Config) -> Self {
        Self {
            inner: Mutex::new(Inner {
                world: World::default(),
                limiter: RateLimiter::new(cfg.rate_limit, &cfg.quotas),
                faults: FaultDecider::new(cfg.faults, cfg.seed),
                ids: ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5eed_1d5e_ed1d_5eed),
                log: VecDeque::new(),
                log_capacity: cfg.log_capacity,
                log_bytes: cfg.log_bytes,
                log_size: 0,
                file: cfg.file,
            }),
            apps: cfg.apps,
            room_entries_per_app: cfg.room_entries_per_app,
            clock: cfg.clock,
            seed: cfg.seed,
            sequence_rejections: AtomicU64::new(0),
            callbacks: cfg.callbacks,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn clock(&self) -> &SimClock {
        &self.clock
    }

    /// Phase one: decode, authenticate, pick faults.
    pub fn begin(&self, query: &str) -> Begin {
        let now_ms = self.clock.now_millis();
        let mut entry = LoggedRequest {
            time_ms: now_ms,
            action: String::new(),
            app_id: None,
            env: None,
            params: Vec::new(),
            code: None,
            http_status: None,
            fault: None,
            sequence_rejected: false,
            request_id: String::new(),
        };
        let Ok(params) = Params::parse(query) else {
            return Begin::Done(self.answer(entry, codes::BAD_PARAM, &Data::Value(Value::Null)));
        };
        params
            .get("Action")
            .unwrap_or("")
            .clone_into(&mut entry.action);
        entry.app_id = params.get("AppId").and_then(gateway::parse_app_id);
        entry.params = redact(params.pairs());
        let authed = match gateway::check(&params, &self.apps, now_ms.div_euclid(1000)) {
            Ok(a) => a,
            Err(code) => {
                truncate_params(&mut entry.params);
                return Begin::Done(self.answer(entry, code, &Data::Value(Value::Null)));
            }
        };
        let env = match params.get("IsTest") {
            None => Env::Production,
            Some(v) if v.is_empty() || v.eq_ignore_ascii_case("false") => Env::Production,
            Some(v) if v.eq_ignore_ascii_case("true") => Env::Test,
            Some(_) => {
                return Begin::Done(self.answer(
                    entry,
                    codes::IS_TEST_WRONG,
                    &Data::Value(Value::Null),
                ))
            }
        };
        entry.env = Some(env);
        let decision = self.lock().faults.decide(authed.action.name());
        let mut labels = Vec::new();
        if let Some(d) = decision.delay {
            labels.push(Fault::Delay(d).to_string());
        }
        if let Some(f) = &decision.fault {
            labels.push(f.to_string());
        }
        if !labels.is_empty() {
            entry.fault = Some(labels.join(","));
        }
        Begin::Later {
            delay: decision.delay,
            pending: Box::new(Pending {
                entry,
                params,
                app_id: authed.app_id,
                env,
                action: authed.action,
                fault: decision.fault,
            }),
        }
    }

    /// Phase two: apply the fault or the action.
    pub fn finish(&self, pending: Pending) -> Outcome {
        let Pending {
            mut entry,
            params,
            app_id,
            env,
            action,
            fault,
        } = pending;
        let null = Data::Value(Value::Null);
        match fault {
            Some(Fault::DropConnection) => return self.record(entry, Outcome::Drop),
            Some(Fault::Hang) => return self.record(entry, Outcome::Hang),
            Some(Fault::Http503) => {
                entry.http_status = Some(503);
                return self.record(
                    entry,
                    Outcome::Html {
                        status: 503,
                        body: HTML_503,
                    },
                );
            }
            Some(Fault::Http500) => {
                return self.answer_with(500, entry, codes::FAILED, &null);
            }
            Some(ref f) => {
                let code = self.lock().faults.code_for(f, action.service());
                if let Some(code) = code {
                    if let Some(label) = &mut entry.fault {
                        if matches!(f, Fault::TransientCode | Fault::RateLimited) {
                            *label = label.replace(&f.to_string(), &format!("{f}:{code}"));
                        }
                    }
                    return self.answer(entry, code, &null);
                }
            }
            None => {}
        }
        let now_ms = self.clock.now_millis();
        if action.needs_permission() && !self.apps.get(&app_id).is_some_and(|a| a.rules_enabled) {
            return self.answer(entry, codes::NO_PERMISSION, &null);
        }
        let mut ended = Vec::new();
        let reply = {
            let mut inner = self.lock();
            let group = action.group();
            if !inner.limiter.try_acquire(app_id, env, group, now_ms) {
                Reply::error(group.limited_code())
            } else if !action.quota_room(&params).is_none_or(|room| {
                inner
                    .limiter
                    .try_acquire_room(app_id, env, group, room, now_ms)
            }) {
                Reply::error(codes::ROOM_QPS_LIMITED)
            } else {
                let ctx = Ctx {
                    app_id,
                    env,
                    now_ms,
                    params: &params,
                };
                let state = inner.world.env_mut(app_id, env);
                let reply = actions::dispatch(action, &ctx, state);
                ended = std::mem::take(&mut state.ended);
                reply
            }
        };
        self.announce_ended(app_id, ended);
        if reply.sequence_rejected > 0 {
            entry.sequence_rejected = true;
            self.sequence_rejections
                .fetch_add(reply.sequence_rejected, Ordering::SeqCst);
        }
        self.answer(entry, reply.code, &reply.data)
    }

    /// Both phases without any sleeping (for the fuzzing entry point).
    pub fn handle_now(&self, query: &str) -> Outcome {
        match self.begin(query) {
            Begin::Done(o) => o,
            Begin::Later { pending, .. } => self.finish(*pending),
        }
    }

    /// Builds an envelope answer (HTTP 200) and logs it.
    fn answer(&self, entry: LoggedRequest, code: i64, data: &Data) -> Outcome {
        self.answer_with(200, entry, code, data)
    }

    /// Builds an envelope answer with this HTTP status and logs it.
    fn answer_with(
        &self,
        status: u16,
        mut entry: LoggedRequest,
        code: i64,
        data: &Data,
    ) -> Outcome {
        let request_id = {
            let mut inner = self.lock();
            inner
                .ids
                .random_range(1_000_000_000_000_000_000u64..=9_999_999_999_999_999_999u64)
                .to_string()
        };
        let data = match data {
            Data::Absent => None,
            Data::Value(v) => Some(v),
        };
        let body = serde_json::to_string(&Envelope {
            Code: code,
            Message: codes::message(code),
            RequestId: &request_id,
            Data: data,
        })
        .unwrap_or_else(|_| String::from("{\"Code\":1,\"Message\":\"failed\",\"RequestId\":\"\"}"));
        entry.code = Some(code);
        entry.http_status = Some(status);
        entry.request_id = request_id;
        self.record(entry, Outcome::Json { status, body })
    }

    fn record(&self, entry: LoggedRequest, outcome: Outcome) -> Outcome {
        tracing::debug!(
            action = %entry.action,
            code = ?entry.code,
            fault = ?entry.fault,
            "zego-sim request"
        );
        let mut inner = self.lock();
        if let Some(f) = inner.file.as_mut() {
            f.write(&entry);
        }
        if inner.log_capacity > 0 {
            let size = entry_size(&entry);
            while !inner.log.is_empty()
                && (inner.log.len() >= inner.log_capacity
                    || inner.log_size + size > inner.log_bytes)
            {
                if let Some(old) = inner.log.pop_front() {
                    inner.log_size = inner.log_size.saturating_sub(entry_size(&old));
                }
            }
            inner.log_size += size;
            inner.log.push_back(entry);
        }
        outcome
    }

    pub fn request_log(&self) -> Vec<LoggedRequest> {
        self.lock().log.iter().cloned().collect()
    }

    pub fn sequence_rejections(&self) -> u64 {
        self.sequence_rejections.load(Ordering::SeqCst)
    }

    pub fn state(&self, app_id: u32, env: Env) -> AppStateSnapshot {
        let now = self.clock.now_secs();
        self.lock().world.snapshot(app_id, env, now)
    }

    /// Every configured app's state in both environments (and only theirs: state for an app
    /// the simulator was not configured with is never served).
    pub fn all_states(&self) -> Vec<AppStateSnapshot> {
        let now = self.clock.now_secs();
        let mut inner = self.lock();
        let mut keys: Vec<(u32, Env)> = self
            .apps
            .keys()
            .flat_map(|id| [(*id, Env::Production), (*id, Env::Test)])
            .collect();
        keys.sort_unstable();
        keys.into_iter()
            .map(|(id, env)| inner.world.snapshot(id, env, now))
            .collect()
    }

    pub fn with_env_state<R>(
        &self,
        app_id: u32,
        env: Env,
        f: impl FnOnce(&mut crate::state::EnvState) -> R,
    ) -> R {
        f(self.lock().world.env_mut(app_id, env))
    }

    /// Whether the simulator was configured with this app.
    pub fn has_app(&self, app_id: u32) -> bool {
        self.apps.contains_key(&app_id)
    }

    /// Whether a control request may add `new` rooms, users and streams to this app's
    /// state without passing its bound ([`Config::room_entries_per_app`]).
    pub fn has_room_for(&self, app_id: u32, env: Env, new: usize) -> bool {
        let held = self.lock().world.apps.get(&(app_id, env)).map_or(0, |s| {
            s.rooms
                .values()
                .map(|r| 1 + r.users.len() + r.streams.len())
                .sum::<usize>()
        });
        held.saturating_add(new) <= self.room_entries_per_app
    }

    /// The app a control request without `app_id` means: the only one configured.
    pub fn only_app(&self) -> Option<u32> {
        let mut apps = self.apps.keys();
        match (apps.next(), apps.next()) {
            (Some(id), None) => Some(*id),
            _ => None,
        }
    }

    /// Logs a user into a room (creating the room), at the simulator clock's time, unless a
    /// login rule in force covers them.
    pub fn login_user(
        &self,
        at: RoomAt<'_>,
        user: &str,
        user_name: &str,
        role: u8,
    ) -> Result<(), Refusal> {
        let now_ms = self.clock.now_millis();
        self.with_env_state(at.app_id, at.env, |s| {
            s.check_login(at.room, user, now_ms.div_euclid(1000))?;
            s.rooms
                .entry(at.room.to_owned())
                .or_default()
                .login(user, user_name, role, now_ms);
            Ok(())
        })
    }

    /// Logs a user out of a room; their streams end, and a room left empty is destroyed.
    pub fn logout_user(&self, at: RoomAt<'_>, user: &str) {
        let now_ms = self.clock.now_millis();
        let ended = self.with_env_state(at.app_id, at.env, |s| {
            s.leave_room(at.room, user, close_type::NORMAL, now_ms);
            std::mem::take(&mut s.ended)
        });
        self.announce_ended(at.app_id, ended);
    }

    /// Publishes a stream in a room as `user` (logging them in as a host first if they are
    /// not in the room) and makes it live for `DescribeRTCStreamState`; `false` when
    /// another user already publishes that stream ID in the room. A stream that was not in
    /// the room yet is announced with a `stream_create` callback.
    pub fn publish_stream(&self, at: RoomAt<'_>, user: &str, stream: &str) -> Result<(), Refusal> {
        let now_ms = self.clock.now_millis();
        let published = self.with_env_state(at.app_id, at.env, |s| {
            s.check_publish(at.room, user, stream, now_ms.div_euclid(1000))?;
            let room = s.rooms.entry(at.room.to_owned()).or_default();
            if !room.users.contains_key(user) {
                room.login(user, user, ROLE_HOST, now_ms);
            }
            let user_name = room
                .users
                .get(user)
                .map(|m| m.user_name.clone())
                .unwrap_or_default();
            let is_new = !room.streams.contains_key(stream);
            if !room.add_stream(stream, user, &user_name, now_ms) {
                return Err(Refusal::StreamOfAnotherUser);
            }
            let info = room.streams.get(stream).map(|st| StreamInfo {
                app_id: at.app_id,
                room_id: at.room.to_owned(),
                user_id: user.to_owned(),
                user_name,
                stream_id: stream.to_owned(),
                stream_seq: st.stream_number_id,
                create_time_ms: st.create_time_ms,
            });
            s.stream_states.insert(
                stream.to_owned(),
                crate::state::StreamState {
                    create_time: now_ms.div_euclid(1000),
                    close_time: None,
                },
            );
            Ok(info.filter(|_| is_new))
        })?;
        if let Some(info) = published {
            self.callback(&Event::StreamCreate(info));
        }
        Ok(())
    }

    /// Ends a stream published in a room: it leaves the room, is closed for
    /// `DescribeRTCStreamState` and is announced with a `stream_close` callback of
    /// `close_type`. `false` when no room of the app has that stream.
    pub fn close_stream(&self, app_id: u32, env: Env, stream: &str, close_type: u32) -> bool {
        let now_ms = self.clock.now_millis();
        let ended = self.with_env_state(app_id, env, |s| {
            let found = s
                .rooms
                .iter_mut()
                .find_map(|(id, room)| room.streams.remove(stream).map(|st| (id.clone(), st)));
            if let Some((room, st)) = found {
                s.close_streams(&room, vec![(stream.to_owned(), st)], close_type, now_ms);
            }
            std::mem::take(&mut s.ended)
        });
        let closed = !ended.is_empty();
        self.announce_ended(app_id, ended);
        closed
    }

    /// Sends the `stream_close` callbacks of streams that ended (if callbacks are
    /// configured), after the state lock is released.
    fn announce_ended(&self, app_id: u32, ended: Vec<EndedStream>) {
        for e in ended {
            self.callback(&Event::StreamClose {
                stream: StreamInfo {
                    app_id,
                    room_id: e.room_id,
                    user_id: e.stream.user_id,
                    user_name: e.stream.user_name,
                    stream_id: e.stream_id,
                    stream_seq: e.stream.stream_number_id,
                    create_time_ms: e.stream.create_time_ms,
                },
                close_type: e.close_type,
                destroy_time_ms: e.at_ms,
            });
        }
    }

    /// Queues a callback, if callbacks are configured (never blocks on the network).
    fn callback(&self, event: &Event) {
        if let Some(callbacks) = &self.callbacks {
            callbacks.send(event);
        }
    }

    /// Every callback delivery attempt so far.
    pub fn callback_log(&self) -> Vec<crate::callbacks::CallbackAttempt> {
        self.callbacks
            .as_ref()
            .map(Callbacks::log)
            .unwrap_or_default()
    }

    /// Stops the callback worker.
    pub fn stop_callbacks(&self) {
        if let Some(callbacks) = &self.callbacks {
            callbacks.shutdown();
        }
    }

    /// A copy of one room, if it has users.
    pub fn room(&self, at: RoomAt<'_>) -> Option<Room> {
        self.with_env_state(at.app_id, at.env, |s| s.rooms.get(at.room).cloned())
    }

    pub fn set_faults(&self, plan: FaultPlan) {
        self.lock().faults = FaultDecider::new(plan, self.seed);
    }
}
