//! Callbacks: the simulator posts ZEGO's signed `stream_create` / `stream_close` to a
//! configured URL, on a background thread, retrying a failed delivery on ZEGO's schedule.
//!
//! A delivery is one event; its first attempt is made as soon as the worker picks it up, a
//! failed attempt (no 2xx answer, a connection error or a timeout) is made again
//! [`RETRY_DELAYS_SECS`] later **on the simulator's clock**, and after the fifth retry fails the
//! delivery is dropped. Retries resend the same body (same `timestamp`, `nonce` and
//! `signature`), which is how a receiver recognises them (spec §6). Deliveries are made one at
//! a time, in order: a receiver that hangs holds the others up to the attempt timeout.

mod event;
mod sign;
mod target;
mod worker;

pub(crate) use event::{Event, StreamInfo};
pub(crate) use target::check_url;
pub(crate) use worker::{Callbacks, Secret, Settings};

use std::time::Duration;

/// How long after a failed attempt the next one is made, in seconds: ZEGO's schedule.
pub const RETRY_DELAYS_SECS: [u64; 5] = [2, 4, 8, 16, 32];

/// The default of [`SimulatorBuilder::callback_timeout`](crate::SimulatorBuilder::callback_timeout).
pub const DEFAULT_CALLBACK_TIMEOUT: Duration = Duration::from_secs(5);

/// How many attempts [`SimHandle::callback_log`](crate::SimHandle::callback_log) keeps (the
/// most recent).
pub const CALLBACK_LOG_CAPACITY: usize = 10_000;

/// What became of one delivery attempt.
///
/// ```
/// let outcome = zego_sim::CallbackOutcome::Retrying { next_attempt_ms: 2_000 };
/// assert!(!outcome.is_delivered());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackOutcome {
    /// The receiver answered 2xx: done.
    Delivered,
    /// It failed; the next attempt is due at this simulator-clock time (Unix ms).
    Retrying {
        /// When the next attempt is due.
        next_attempt_ms: i64,
    },
    /// It failed and it was the last attempt: the callback is dropped.
    Dropped,
}

impl CallbackOutcome {
    /// Whether the receiver took the callback.
    ///
    /// ```
    /// assert!(zego_sim::CallbackOutcome::Delivered.is_delivered());
    /// ```
    pub fn is_delivered(&self) -> bool {
        matches!(self, CallbackOutcome::Delivered)
    }
}

/// One delivery attempt, as [`SimHandle::callback_log`](crate::SimHandle::callback_log)
/// reports it. Never holds the callback secret or the signature.
///
/// ```
/// let sim = zego_sim::Simulator::builder().start().unwrap();
/// let log: Vec<zego_sim::CallbackAttempt> = sim.callback_log();
/// assert!(log.is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackAttempt {
    /// `stream_create` or `stream_close`.
    pub event: String,
    /// The stream the callback is about.
    pub stream_id: String,
    /// The callback's `nonce`: the same on every attempt of one delivery.
    pub nonce: String,
    /// 1 for the first attempt, up to 6.
    pub attempt: u32,
    /// When the attempt was made (simulator clock, Unix ms).
    pub time_ms: i64,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// Why there was no answer (connection refused, timeout...), if there was none.
    pub error: Option<String>,
    /// How long the attempt took, in real time.
    pub elapsed: Duration,
    /// What happens next.
    pub outcome: CallbackOutcome,
}
