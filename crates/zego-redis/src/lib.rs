//! A fleet shares one ZEGO quota and one `Sequence` order through Redis.
//!
//! ZEGO's quotas are per AppId across all of a customer's servers (20 requests/s for RTC
//! forbid/resume, 10/s for rules, ...), and for each stream the `Sequence` of successive
//! requests must rise strictly across every sender within 10 s. [`RedisCoordinator`] is an
//! admission [`Coordinator`](zego_proto::admission::Coordinator) for both zego-rs clients
//! that makes every instance of a fleet draw from the same quota and the same sequence
//! order, through the Redis the team already runs.
//!
//! # Set-up
//!
//! ```no_run
//! use std::sync::Arc;
//! use zego_redis::RedisCoordinator;
//! use zego_transport_blocking::Client;
//!
//! let coordinator = RedisCoordinator::builder("redis://10.0.0.5:6379/0")?
//!     .fleet_size(4) // this instance's share of the quota while Redis is down
//!     .build();
//! let client = Client::from_env()?.coordinator(Arc::new(coordinator)).build();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The same coordinator serves the async client (`zego_transport_async::Client`), through
//! a multiplexed connection that reconnects by itself. The `zego` CLI joins a fleet with
//! `--redis URL`, `ZEGO_REDIS_URL`, or `redis = "redis://..."` in a profile.
//!
//! # How it works
//!
//! One atomic Lua script per admission (EVALSHA; reloaded after a NOSCRIPT) reads Redis
//! `TIME`, makes a GCRA reservation on the group's key — the theoretical arrival time in
//! integer microseconds: it returns the wait, books the slot, and refuses to book beyond the
//! call's maximum wait — and, for a sequenced operation, stamps in the same script
//! `max(now_ms, caller_floor, last + 1)` over every stream's key. Slot order and `Sequence`
//! order are one order; a call that had to wait comes back with its booking and gets its
//! sequence then, so the sequence is taken when the request is admitted to be sent.
//!
//! Keys are hash-tagged by AppId, so one app's keys share a Cluster slot, and every key has
//! a TTL (the group's key a second past its last slot, sequence keys 60 s, well past ZEGO's
//! 10 s window):
//!
//! ```text
//! zego:<prod|test>:{<AppId>}:rl:<group>
//! zego:<prod|test>:{<AppId>}:seq:<StreamId>
//! zego:<prod|test>:{<AppId>}:epoch:<group>      (no TTL)
//! ```
//!
//! The `Sequence` is a time value, not an `INCR` counter: after a restart without persistence
//! or a failover, a counter would go backwards, while a time-based value stays ahead; the
//! caller's floor (its own last value + 1, and its local clock) keeps it monotonic even when a
//! new primary's clock is behind.
//!
//! A rate-limit answer from ZEGO is fed back: the group's key is pushed to now + 1 s, for the
//! whole fleet.
//!
//! # When Redis is down or slow
//!
//! Connections time out after 200 ms, script calls after 100 ms (both options; redis-rs's own
//! defaults are 1 s / 500 ms). A failure opens a circuit breaker: for a retry interval (1 s)
//! the [`FailurePolicy`] decides — by default [`FailurePolicy::LocalShare`], a local limiter
//! at this instance's share of the quota (`quota / fleet_size`; the fleet size is
//! configuration, not discovered), started empty, with local sequences floored above every
//! value this process has seen — then Redis is tried again, and the first answer closes the
//! breaker. The outage and the recovery are each logged once. The URL's password never
//! appears in `Debug`, `Display`, errors or logs.
//!
//! # Sentinel and Cluster
//!
//! Besides `redis://` (and `rediss://`), [`RedisCoordinator::builder`] takes
//! `redis+sentinel://[[USER]:PASSWORD@]H1[:P1],H2[:P2],.../MASTER[/DB]` (the primary is
//! asked of the sentinels for every new connection and checked with `ROLE`, so a failover is
//! followed: redis-rs's own Sentinel client does not re-resolve by itself, its issue 1438) and
//! `redis+cluster://[[USER]:PASSWORD@]H1[:P1],H2[:P2],...` (seed nodes; the slot map is asked
//! again after any error, so MOVED and failovers are followed). Every key of one app carries
//! the `{AppId}` hash tag, so one admission is one script on one slot. While a primary fails
//! over, admissions are an outage for the [`FailurePolicy`].
//!
//! # TLS
//!
//! With the `tls-rustls` feature, each form has a TLS twin: `rediss://`,
//! `rediss+sentinel://` (the sentinels and the primary they name, all over TLS) and
//! `rediss+cluster://` (every node). The TLS is rustls (ring), on the coordinator's own
//! connection, so the bounds below hold over TLS too. It trusts the platform's roots
//! (`SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the system store) and the certificates
//! given to [`RedisCoordinatorBuilder::extra_root_certificate`] (a private CA). The server's
//! certificate must name the address dialled: the URL's host, and for Sentinel and Cluster
//! the address the sentinels or the slot map announce (an IP address unless the servers
//! announce hostnames). A certificate that is refused is a [`RedisConfigError::Tls`], not
//! an outage. Verification cannot be turned off (`#insecure` is refused).
//!
//! # When Redis loses the buckets
//!
//! FLUSHALL, a restart without persistence, or a failover to a replica that missed the last
//! writes empties the buckets while slots booked in them are still waiting to be sent. Each
//! group has an epoch key (set when missing, no expiry), and every admission passes the
//! epoch it saw last: if the key is gone or different, the same script pushes the group's
//! next slot past what this instance knew of the fleet's queue (its own held slots and the
//! queue depth of the last answer) plus a quiet second, and books nothing; the instance then
//! settles on its local share, as after an outage, for that queue plus two retry intervals
//! (at least 5 s): by then every instance that held slots has sent them or found the loss
//! at its next admission and pushed the bucket itself. An instance that never saw an epoch
//! (started after the loss) cannot tell a lost bucket from a new one. The `Sequence` needs
//! no epoch: it is `max(now_ms, caller's floor, last + 1)`, so a stream whose key was lost
//! still gets a value above its last one as long as that one was stamped at least a
//! millisecond ago on a clock no more ahead than the quota's interval (51 ms at 20/s).
//!
//! # Every answer is bounded
//!
//! A Redis that answers slowly, without end, or with garbage is an outage like one that does
//! not answer. Both the blocking and the async client go through the same bounded
//! multiplexed connection code, each with its own connection: the async callers' is driven
//! by the coordinator's own I/O thread (so it serves any executor, and any number of
//! runtimes), the blocking callers' by the blocking callers themselves while they wait (no
//! hand-over to another thread and back; a blocking call made inside a tokio runtime goes
//! through the I/O thread instead). On both:
//!
//! - **time**: one deadline (the response timeout) covers a whole exchange — every byte
//!   of the reply, and the push-backs of a reconciliation before it — not each read; the
//!   connection and its handshake have the connect timeout;
//! - **size**: Redis may send at most 16 KiB per request written, and never more than
//!   256 KiB ahead of the requests in flight; a reply past that (a `$2000000000` bulk
//!   string, a `*2000000000` array) ends the connection. The admission script's reply is
//!   four integers.
//!
//! # Configuration errors are not outages
//!
//! A wrong password or user (NOAUTH, WRONGPASS), an ACL user without a command the
//! coordinator needs (NOPERM: it needs `EVALSHA`, `EVAL`, `SCRIPT LOAD` and the keys of its
//! prefix), or an address where something answers that does not speak RESP is a
//! [`RedisConfigError`] naming the problem (never the password). It is found when
//! [`RedisCoordinatorBuilder::connect`] (or [`RedisCoordinator::check`]) connects at
//! start-up, and by every admission after that (a password changed mid-run): the call then
//! fails with `CallErrorKind::Admission` and nothing is sent; the failover state is not
//! touched. A reply that does not parse counts as "not Redis" only in the connection's
//! handshake; after it, garbage is an outage. An unreachable Redis at start-up is an
//! outage, not an error.
//!
//! # Single-use callbacks across a fleet
//!
//! [`RedisReplayCache`] is a [`zego_callback::ReplayCache`] in the same Redis, with the same
//! URL forms and bounds: each verified delivery is one `SET key 1 NX PX <ms>` under
//! `<prefix>:cb:{<AppId>}:`, so a delivery accepted by one instance behind the callback URL
//! is a duplicate on every other; a Redis that cannot answer makes the verifier answer 503
//! (ZEGO retries).
//!
//! # Other crates' scripts
//!
//! [`RedisScriptRunner`] lends the same bounded connection (URL forms, timeouts, a size cap
//! of [`SCRIPT_REPLY_BUDGET`] per call) to another crate's Lua scripts: `zego-moderation`'s
//! Redis ban store runs on it.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod builder;
mod connection;
mod coordinator;
mod failover;
mod keys;
mod replay;
mod runner;
mod script;
mod tls;
mod url;

pub use builder::RedisCoordinatorBuilder;
pub use coordinator::RedisCoordinator;
pub use failover::FailurePolicy;
pub use replay::{RedisReplayCache, RedisReplayCacheBuilder};
pub use runner::{RedisScript, RedisScriptError, RedisScriptRunner, SCRIPT_REPLY_BUDGET};
pub use url::RedisConfigError;
