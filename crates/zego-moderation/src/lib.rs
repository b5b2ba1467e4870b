//! Bans that hold on ZEGO.
//!
//! ZEGO's own tools stop short of a ban: `ForbidRTCStreams` has no duration,
//! `SetForbidUserRule` and `SetForbidStreamRule` stop at 24 hours, a user rule does not stop
//! what the user already does (they must be kicked), and at most 200 user rules per type may
//! be in force (code 50123). This crate turns them into bans of any length that survive
//! restarts and run once across a fleet.
//!
//! # Design
//!
//! - **Ban model** ([`BanRequest`], validated before anything is stored or sent, errors naming
//!   the field): a [`Target`] — a user in a room or app-wide with [`Scopes`] login and/or
//!   publish; a stream ID (a timed `ForbidRTCStreams`, resumed at the end); or media, audio
//!   and/or video of a stream in a room (`SetForbidStreamRule`) — a [`BanDuration`] of 1 s to
//!   forever, a reason and an actor.
//! - **Store** ([`Store`]; embedded default [`SqliteStore`], and `RedisStore` for a fleet
//!   (feature `redis`) with keys hash-tagged by AppId): the bans with their [`Enforcement`] and [`Effects`] (what
//!   applying them actually did), their **due work** ([`WorkKind`]: apply, renew, lift) and
//!   the **audit log** ([`AuditEntry`]: time, actor, reason, ZEGO RequestIds, outcome;
//!   queryable per user/stream, JSON lines).
//! - **Leases**: a worker claims due work with [`Store::claim_due`], which leases it until
//!   `now + lease`; only the holder can [`Store::complete`] it. A worker that crashes simply
//!   never completes: its lease runs out and the next worker's claim takes the work over. A
//!   worker that starts after an outage claims everything overdue at once (catch-up).
//! - **Apply** (user ban): list the user's streams in the room (`DescribeSimpleStreamList`),
//!   forbid them (`ForbidRTCStreams`), kick the user (`KickoutUser`: which also ends their
//!   streams, hence listing first), then set the rule(s) (`SetForbidUserRule`, type 4 in a
//!   room or 3 app-wide, `EffectiveTime` = min(86400, time left)).
//! - **Batches** (a raid): the user bans of one room in a claimed batch share one listing
//!   (and a listing younger than ZEGO's 10-second room window is reused from the store by
//!   any worker: [`Store::recent_listing`]), their streams are forbidden 20 per call and their
//!   users kicked 5 per call, then each gets its rule (10/s: the slowest quota a raid meets).
//!   Each ban's audit names the RequestIds of the calls that served it; effects are saved
//!   after each call, so a crash loses nothing that was done.
//! - **Claims fit the lease**: a claim takes as many pieces as the client's coordinator
//!   admits rules in half a lease (300 for 60 s at 10/s); a batch starts no new piece once
//!   half its lease has passed (the other half covers the piece under way with the client's
//!   retries) and hands the rest back, due at once (a ban whose room part is done gets only
//!   its rule from the next worker). No lease is ever extended, so the [`Store`] trait needs
//!   no such method.
//! - **Renewal margin**: a rule is set again [`RENEWAL_MARGIN_SECS`] (1 hour) before it lapses
//!   at ZEGO. An hour survives a worker crash plus several lease periods, a deploy, or a run of
//!   rate-limit back-offs, and costs only one extra call per ban per day.
//! - **50123** (rule cap): the ban stays in force by its other means — forbidden streams, the
//!   kick, token refusal ([`issue_token`]) — and its enforcement says so
//!   ([`Enforcement::WithoutRule`]); the rule is tried again at each renewal. Never silently
//!   unenforced.
//! - **Lift** undoes exactly what the ban did ([`Effects`]): resumes only the streams it
//!   forbade and deletes only the rule it set, and neither when another active ban still
//!   needs it (two overlapping bans on one user: lifting the first keeps the second in force).
//! - **No lost effect**: [`Store::update_ban`] merges a writer's effects with the stored
//!   ones atomically (forbidden streams as a set union, the rule and kick flags as OR:
//!   [`Effects::merge_stored`]) and hands the merged ones back, so a forbid on callback, a
//!   worker's apply and another's renewal, each on its own copy of one ban, all keep what
//!   they recorded; a stream recorded while a lift runs comes back with the lift's write,
//!   which resumes it too.
//! - **Callbacks as a shortcut** (where the service receives ZEGO's stream callbacks):
//!   [`Engine::on_stream_event`] takes the verified event (`zego_callback::CallbackEvent`, as
//!   the `zego_axum::ZegoCallback` extractor yields it), forbids at once a `stream_create` that
//!   an active ban covers (a user ban with scope publish, in that room or app-wide; a stream
//!   ban) and records it in the ban's [`Effects`] (the lift resumes it) and in the audit
//!   (`forbid_on_callback`, with the RequestId). It also records the stream in the engine's
//!   [`Sightings`] (`stream_close` removes it): bounded ([`DEFAULT_SIGHTINGS_CAP`] records,
//!   the least recently touched room evicted whole), trusted for a room only from a
//!   baseline no older than [`DEFAULT_FRESHNESS_SECS`] (10 min) — a listing made while the
//!   callback feed is alive, or the feed start the application declares complete — so that
//!   applying a user ban there takes the user's streams from them instead of
//!   `DescribeSimpleStreamList` (1 call per 10 s per room): at most one listing per room per
//!   window however many users are banned in it. Otherwise the room is listed, as without
//!   callbacks. The wiring into an axum handler is `examples/ban_callbacks.rs`.
//!
//! # What works
//!
//! The model and its validation; the [`Store`] trait with [`SqliteStore`] (bans, leased due
//! work, audit, room listings) and, with the `redis` feature, `RedisStore` (the same in Redis:
//! standalone, Sentinel or Cluster, one Lua script per method; its module docs give the key
//! layout and the TTLs); [`Engine`] on any client through [`Caller`] (the blocking
//! client by default): user bans (in a room: list, forbid, kick, rule, batched per room;
//! app-wide: the rule only, as there is no room to list or kick from), stream bans and
//! media bans, renewals, lifts that keep what overlapping bans need, 50123 handling,
//! catch-up; `AsyncEngine` on the async client (feature `async`: the same engine on
//! tokio's blocking pool); [`issue_token`]; and callbacks as a shortcut
//! ([`Engine::on_stream_event`], [`Sightings`], the `ban_callbacks` example on `zego-axum`). Proven against `zego-sim` over HTTP on its
//! manual clock (a 3-day ban probed every simulated minute, two workers on one SQLite file
//! with a crashed lease, two workers on one Redis store, each renewal and lift sent once, a
//! raid of 60 bans in one room, the simulator delivering its signed callbacks to the example
//! service); a raid of 1,000 bans across 4
//! workers at ZEGO's real quotas is the `ban_raid` benchmark.
//! The operator CLI is `zego ban`, `zego unban` and `zego bans` in `zego-cli`.
//!
//! Known limits: half the lease ([`DEFAULT_LEASE_SECS`], 60 s) must outlast
//! one piece of work including the client's retries (30 s by default), or a second worker may
//! repeat it (harmless for ZEGO, which keeps the last rule, but sent twice); a reused listing
//! is up to 10 s old, so a stream started since is not forbidden (the kick ends it and the
//! rule keeps the user from publishing again; a publish-only ban without a kick relies on the
//! rule alone for it); a renewal under way when another
//! worker lifts the same ban notices at its end (the store never revives a lifted ban) and
//! undoes what it set, so the user may be held up to one call's time after the unban; an
//! app-wide user ban has no room to list or kick from, so the streams the user already
//! publishes are not forbidden (with callbacks, their new ones are, in every room).
//! Sightings live in one process's memory (a restart starts them empty, hence incomplete
//! until a listing or a declared feed start).
//!
//! Time: [`Engine::tick`] reads the client's clock (inject one with `ClientBuilder::clock`);
//! [`Engine::tick_at`] takes it. [`Engine::ban`] stores the ban and runs due work at once
//! (its own `Apply` among it), so a ban is in force when it returns.
//!
//! ```
//! use std::time::Duration;
//! use zego_moderation::{BanDuration, BanRequest, Scopes, SqliteStore, Store, Target};
//!
//! let store = SqliteStore::open_in_memory()?;
//! let target = Target::User { user_id: "troll".into(), room_id: None, scopes: Scopes::ALL };
//! let ban = store.insert_ban(&BanRequest::new(target, BanDuration::Forever, "spam", "mod")?, 0)?;
//! assert!(ban.is_active_at(10_000_000));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "async")]
mod async_engine;
mod ban;
mod engine;
#[cfg(feature = "redis")]
mod redis_store;
mod sightings;
mod sqlite;
mod store;
mod token;

#[cfg(feature = "async")]
pub use async_engine::AsyncEngine;
pub use ban::{check_text, BanDuration, BanRequest, Scopes, Target, MAX_TEXT_BYTES};
pub use engine::{CallbackForbid, Caller, Engine, EngineError, TickReport, DEFAULT_LEASE_SECS};
#[cfg(feature = "redis")]
pub use redis_store::{RedisStore, RedisStoreBuilder, LIFTED_BAN_RETENTION_SECS};
pub use sightings::{Sightings, DEFAULT_FRESHNESS_SECS, DEFAULT_SIGHTINGS_CAP};
pub use sqlite::SqliteStore;
pub use store::{
    AuditEntry, AuditFilter, BanId, DueWork, Effects, Enforcement, ListedStream, RoomListing,
    Store, StoreError, StoredBan, WorkKind,
};
pub use token::{issue_token, TokenRefusal};

/// How long before a rule lapses at ZEGO it is set again (seconds): one hour.
pub const RENEWAL_MARGIN_SECS: i64 = 3600;
