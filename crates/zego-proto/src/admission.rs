//! Admission: the step of a call that decides *when* its request may leave and, for a
//! sequenced action, *which* `Sequence` it carries.
//!
//! The call state machine ([`crate::driver::Call`]) asks its driver to obtain admission
//! exactly as it asks it to send HTTP: it yields [`Step::Admit`](crate::driver::Step::Admit)
//! with an [`AdmissionRequest`], the driver hands the request to a [`Coordinator`] and
//! reports the [`Admission`] back. A coordinator may be in-process ([`LocalCoordinator`],
//! the default) or shared by a whole fleet through a store (the Redis coordinator of
//! `zego-redis`), synchronous or asynchronous, and it may fail.
//!
//! # The protocol
//!
//! 1. The first request of a call carries no booking. The coordinator books a slot in
//!    the rate-limit group of [`AdmissionRequest::key`] and answers [`Admission::Go`]
//!    (send now) or [`Admission::Wait`] (a slot is booked `delay` from now).
//! 2. After a `Wait`, a call that needs a `Sequence` comes back with the
//!    [`Booking`]: the coordinator books nothing more and only hands out the
//!    sequence. The `Sequence` is therefore taken when the request is admitted to be sent,
//!    after its wait, so sequence order equals send order. A call that needs no sequence
//!    sends straight after its wait, without a second round trip.
//! 3. [`AdmissionRequest::max_wait`] bounds the wait (a retry of a sequenced operation must
//!    still land inside ZEGO's 10-second ordering window): a coordinator that cannot book
//!    a slot that soon books nothing and answers [`Admission::Refused`].
//! 4. A rate-limit answer from ZEGO (30002, 206, 207, 1010, 5007, 7) is reported back as
//!    [`Feedback::RateLimited`] through [`Step::Feedback`](crate::driver::Step::Feedback),
//!    so the coordinator pushes that group's next free slot back for every caller.
//!
//! # When a coordinator fails
//!
//! An [`AdmissionError`] means nothing was sent. The call treats it like a connection
//! that could not be made: it is retried under the [`RetryPolicy`](crate::retry::RetryPolicy)
//! (backoff, attempts, deadline), and reported as
//! [`CallErrorKind::Admission`](crate::CallErrorKind::Admission) when retrying stops. A
//! request is never sent without admission. A coordinator that should degrade instead
//! (fall back to a local limiter, or fail open) does so inside [`Coordinator::admit`],
//! before it would return an error.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

pub use crate::call::{NotAdmittedInTime, WaitLimit, WaitNotice, WaitReason};
use crate::clock::{Clock, SystemClock};
use crate::sequence::Sequence;

pub use crate::rate_limit::{
    QuotaSetting, QuotaSettingError, Quotas, RateLimitKey, TokenBucketLimiter,
};
pub use crate::sequence::SequenceGenerator;

/// A boxed `Send` future, the return type of the async methods of [`Coordinator`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A slot a coordinator booked for a call, handed back to it after the wait.
///
/// Its value means whatever the coordinator wants (the in-process one stores the slot's
/// time in nanoseconds); the core only carries it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Booking(u64);

impl Booking {
    /// A booking with a coordinator-defined value.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The coordinator-defined value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

/// What a call asks of its coordinator.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::admission::{AdmissionRequest, RateLimitKey};
/// use zego_proto::{AppId, Environment, ops::RateLimitGroup};
/// let key = RateLimitKey { app_id: AppId::new(1), environment: Environment::Production, group: RateLimitGroup::StreamForbid };
/// let streams = ["s1".to_owned()];
/// let request = AdmissionRequest::new(key, Duration::from_secs(1_700_000_000))
///     .with_sequence_for(&streams)
///     .with_max_wait(Duration::from_secs(8));
/// assert_eq!(request.sequence_for, Some(&streams[..]));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionRequest<'a> {
    /// The rate-limit bucket: AppId, environment and the action's group.
    pub key: RateLimitKey,
    /// `Some` when the call needs a `Sequence` stamped: the streams it orders (empty for a
    /// raw operation, whose scope is the whole app).
    pub sequence_for: Option<&'a [String]>,
    /// The slot booked by an earlier [`Admission::Wait`] of this call: book nothing more.
    pub booking: Option<Booking>,
    /// The caller's wall-clock time since the Unix epoch: the basis of `Sequence` values.
    pub now: Duration,
    /// The longest wait the call can use; `None` for no bound.
    pub max_wait: Option<Duration>,
    /// The room whose per-room quota the request also draws from
    /// ([`Operation::quota_room`](crate::Operation::quota_room)): the slot must be free in
    /// the group's bucket *and* the room's.
    pub room: Option<&'a str>,
}

impl<'a> AdmissionRequest<'a> {
    /// A request for a slot in `key`'s bucket at wall-clock time `now`.
    pub fn new(key: RateLimitKey, now: Duration) -> Self {
        Self {
            key,
            sequence_for: None,
            booking: None,
            now,
            max_wait: None,
            room: None,
        }
    }

    /// Draws from `room`'s per-room quota too.
    #[must_use]
    pub fn with_room(mut self, room: &'a str) -> Self {
        self.room = Some(room);
        self
    }

    /// Asks for a `Sequence` for these streams too.
    #[must_use]
    pub fn with_sequence_for(mut self, streams: &'a [String]) -> Self {
        self.sequence_for = Some(streams);
        self
    }

    /// Comes back with a booked slot.
    #[must_use]
    pub fn with_booking(mut self, booking: Booking) -> Self {
        self.booking = Some(booking);
        self
    }

    /// Bounds the wait.
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }
}

/// A coordinator's answer.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Send now, with this `Sequence` if one was asked for.
    Go {
        /// The stamped sequence (`None` if the request asked for none).
        sequence: Option<Sequence>,
    },
    /// A slot is booked `delay` from now: sleep, then send (or, if a `Sequence` is
    /// needed, ask again with the booking).
    Wait {
        /// How long to sleep.
        delay: Duration,
        /// The slot, to hand back.
        booking: Booking,
    },
    /// No slot within [`AdmissionRequest::max_wait`]; nothing was booked.
    Refused {
        /// The wait the earliest free slot would have needed.
        earliest: Duration,
    },
}

/// A coordinator could not answer (e.g. its store is unreachable). Nothing was sent.
///
/// The message must not contain secrets (a store's password, for one).
///
/// ```
/// let err = zego_proto::admission::AdmissionError::new("redis: connection refused");
/// assert_eq!(err.to_string(), "admission failed: redis: connection refused");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionError {
    message: String,
}

impl AdmissionError {
    /// An error described by `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The description.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for AdmissionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "admission failed: {}", self.message)
    }
}

impl std::error::Error for AdmissionError {}

/// What a call tells its coordinator about an answer.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// ZEGO answered with a rate-limit code: the group's quota is spent for now.
    RateLimited {
        /// The bucket.
        key: RateLimitKey,
        /// The code (30002, 206, 207, 1010, 5007, 7), or 429 for an HTTP 429 page.
        code: i64,
    },
}

/// Decides when requests may be sent and stamps their `Sequence` (see the
/// [module docs](self)). One implementation serves both clients: the blocking client
/// calls [`Coordinator::admit`] and [`Coordinator::feedback`]; the async client calls
/// their `_async` forms, which by default run the synchronous ones (right for an
/// in-memory coordinator, which never blocks; a coordinator doing I/O overrides them).
///
/// ```
/// use std::time::Duration;
/// use zego_proto::admission::{Admission, AdmissionError, AdmissionRequest, Coordinator};
/// use zego_proto::Sequence;
///
/// /// Admits everything at once, numbering from a fixed value (a test double).
/// #[derive(Debug)]
/// struct Always(u64);
/// impl Coordinator for Always {
///     fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
///         Ok(Admission::Go { sequence: request.sequence_for.map(|_| Sequence::new(self.0)) })
///     }
/// }
/// # let _ = Always(1);
/// ```
pub trait Coordinator: Send + Sync + fmt::Debug {
    /// Answers one admission request.
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError>;

    /// Takes feedback about an answer. Failures are the coordinator's to handle (log,
    /// or drop): feedback never fails a call.
    fn feedback(&self, feedback: &Feedback) {
        let _ = feedback;
    }

    /// The requests per second this coordinator admits for `key` (`None`: it does not
    /// meter them), which sizes what a bulk run keeps in flight. The default: ZEGO's
    /// documented quota; a coordinator with raised quotas or none overrides it.
    fn quota_per_second(&self, key: RateLimitKey) -> Option<u32> {
        Quotas::default().per_second(key.group, key.environment)
    }

    /// [`Coordinator::admit`] for async drivers. The default runs `admit` in place.
    fn admit_async<'a>(
        &'a self,
        request: &'a AdmissionRequest<'a>,
    ) -> BoxFuture<'a, Result<Admission, AdmissionError>> {
        let answer = self.admit(request);
        Box::pin(std::future::ready(answer))
    }

    /// [`Coordinator::feedback`] for async drivers. The default runs `feedback` in place.
    fn feedback_async<'a>(&'a self, feedback: &'a Feedback) -> BoxFuture<'a, ()> {
        self.feedback(feedback);
        Box::pin(std::future::ready(()))
    }
}

impl<T: Coordinator + ?Sized> Coordinator for Arc<T> {
    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
        (**self).admit(request)
    }
    fn feedback(&self, feedback: &Feedback) {
        (**self).feedback(feedback);
    }
    fn quota_per_second(&self, key: RateLimitKey) -> Option<u32> {
        (**self).quota_per_second(key)
    }
    fn admit_async<'a>(
        &'a self,
        request: &'a AdmissionRequest<'a>,
    ) -> BoxFuture<'a, Result<Admission, AdmissionError>> {
        (**self).admit_async(request)
    }
    fn feedback_async<'a>(&'a self, feedback: &'a Feedback) -> BoxFuture<'a, ()> {
        (**self).feedback_async(feedback)
    }
}

/// The in-process coordinator: a GCRA token bucket per AppId × environment × group at
/// ZEGO's quotas, and a [`SequenceGenerator`]. The default of every client.
///
/// [`LocalCoordinator::shared`] is one process-wide instance: every client that does not
/// choose another coordinator draws from the same quota and the same sequences, so two
/// clients in one process can never hand out the same `Sequence` nor, together, exceed
/// the quota. [`LocalCoordinator::new`] makes an independent one (its own quota and
/// sequences), e.g. for a test that simulates a separate process.
///
/// Pacing reads the coordinator's own [`Clock`] (the system clock by default), not the
/// caller's: it must advance while the caller sleeps. Sequences are based on the caller's
/// wall-clock time ([`AdmissionRequest::now`]), strictly increasing whatever it says.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, LocalCoordinator, RateLimitKey};
/// use zego_proto::clock::ManualClock;
/// use zego_proto::{AppId, Environment, ops::RateLimitGroup};
///
/// let clock = Arc::new(ManualClock::new(Duration::from_secs(1_700_000_000)));
/// let coordinator = LocalCoordinator::new().with_clock(clock);
/// let key = RateLimitKey { app_id: AppId::new(1), environment: Environment::Production, group: RateLimitGroup::Rules };
/// let request = AdmissionRequest::new(key, Duration::from_secs(1_700_000_000));
/// assert_eq!(coordinator.admit(&request)?, Admission::Go { sequence: None });
/// // 10/s: the next slot is 100 ms away.
/// let Admission::Wait { delay, .. } = coordinator.admit(&request)? else { panic!() };
/// assert_eq!(delay, Duration::from_millis(100));
/// # Ok::<(), zego_proto::admission::AdmissionError>(())
/// ```
pub struct LocalCoordinator {
    limiter: Option<TokenBucketLimiter>,
    sequences: Arc<SequenceGenerator>,
    clock: Arc<dyn Clock>,
    penalty: Duration,
}

impl fmt::Debug for LocalCoordinator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalCoordinator")
            .field(
                "quotas",
                &self.limiter.as_ref().map(TokenBucketLimiter::quotas),
            )
            .field("last_sequence", &self.sequences.last())
            .field("rate_limit_penalty", &self.penalty)
            .finish_non_exhaustive()
    }
}

impl Default for LocalCoordinator {
    fn default() -> Self {
        Self::new()
    }
}

/// The process's one sequence generator, behind every shared coordinator.
/// A process-wide coordinator and the quotas it paces to.
type SharedAtQuotas = (Quotas, Arc<LocalCoordinator>);

fn process_sequences() -> Arc<SequenceGenerator> {
    static SEQUENCES: OnceLock<Arc<SequenceGenerator>> = OnceLock::new();
    Arc::clone(SEQUENCES.get_or_init(|| Arc::new(SequenceGenerator::new())))
}

impl LocalCoordinator {
    /// How long a rate-limit answer pauses its group by default: one whole quota window.
    pub const DEFAULT_RATE_LIMIT_PENALTY: Duration = Duration::from_secs(1);

    /// An independent coordinator: its own bucket at ZEGO's quotas, its own sequences,
    /// the system clock.
    pub fn new() -> Self {
        Self {
            limiter: Some(TokenBucketLimiter::default()),
            sequences: Arc::new(SequenceGenerator::new()),
            clock: Arc::new(SystemClock),
            penalty: Self::DEFAULT_RATE_LIMIT_PENALTY,
        }
    }

    /// The process-wide coordinator at ZEGO's quotas: the clients' default.
    pub fn shared() -> Arc<Self> {
        static SHARED: OnceLock<Arc<LocalCoordinator>> = OnceLock::new();
        Arc::clone(SHARED.get_or_init(|| Arc::new(Self::new().with_sequences(process_sequences()))))
    }

    /// The process-wide coordinator at these quotas (a client built with raised quotas):
    /// every client of the process with the same quotas shares it, and its sequences are
    /// the process's one generator. With ZEGO's quotas, [`LocalCoordinator::shared`].
    ///
    /// ```
    /// use std::sync::Arc;
    /// use zego_proto::admission::{LocalCoordinator, Quotas};
    /// use zego_proto::{ops::RateLimitGroup, Environment};
    /// let raised = Quotas::default().with(RateLimitGroup::StreamForbid, Environment::Production, 500);
    /// let a = LocalCoordinator::shared_with_quotas(raised);
    /// assert!(Arc::ptr_eq(&a, &LocalCoordinator::shared_with_quotas(raised)));
    /// assert!(Arc::ptr_eq(&LocalCoordinator::shared(), &LocalCoordinator::shared_with_quotas(Quotas::default())));
    /// ```
    pub fn shared_with_quotas(quotas: Quotas) -> Arc<Self> {
        /// The coordinators made so far, one per distinct quotas (a handful at most).
        static SHARED: OnceLock<Mutex<Vec<SharedAtQuotas>>> = OnceLock::new();
        if quotas == Quotas::default() {
            return Self::shared();
        }
        let mut shared = SHARED
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some((_, coordinator)) = shared.iter().find(|(q, _)| *q == quotas) {
            return Arc::clone(coordinator);
        }
        let coordinator = Arc::new(
            Self::new()
                .with_quotas(quotas)
                .with_sequences(process_sequences()),
        );
        shared.push((quotas, Arc::clone(&coordinator)));
        coordinator
    }

    /// The process-wide coordinator without rate limiting (a client's `no_rate_limit`):
    /// it still stamps sequences from the process's one generator.
    pub fn shared_unlimited() -> Arc<Self> {
        static SHARED: OnceLock<Arc<LocalCoordinator>> = OnceLock::new();
        Arc::clone(
            SHARED.get_or_init(|| {
                Arc::new(Self::new().unlimited().with_sequences(process_sequences()))
            }),
        )
    }

    /// Other quotas (e.g. a share of ZEGO's for one instance of a fleet).
    #[must_use]
    pub fn with_quotas(mut self, quotas: Quotas) -> Self {
        self.limiter = Some(TokenBucketLimiter::new(quotas));
        self
    }

    /// A bucket that lets `burst` requests go at once after a quiet period (default 1).
    #[must_use]
    pub fn with_burst(mut self, burst: u32) -> Self {
        let quotas = self
            .limiter
            .as_ref()
            .map_or_else(Quotas::default, |l| *l.quotas());
        self.limiter = Some(TokenBucketLimiter::new(quotas).with_burst(burst));
        self
    }

    /// Uses only this share of every quota (see [`TokenBucketLimiter::with_pacing`]).
    #[must_use]
    pub fn with_pacing(mut self, pacing: f64) -> Self {
        self.limiter = self.limiter.map(|l| l.with_pacing(pacing));
        self
    }

    /// No rate limiting: every request is admitted at once.
    #[must_use]
    pub fn unlimited(mut self) -> Self {
        self.limiter = None;
        self
    }

    /// Stamps sequences from this generator (e.g. one restored with
    /// [`SequenceGenerator::starting_after`]).
    #[must_use]
    pub fn with_sequences(mut self, sequences: Arc<SequenceGenerator>) -> Self {
        self.sequences = sequences;
        self
    }

    /// Paces on this clock instead of the system clock.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long a rate-limit answer pauses its group (default 1 s).
    #[must_use]
    pub fn with_rate_limit_penalty(mut self, penalty: Duration) -> Self {
        self.penalty = penalty;
        self
    }

    /// Makes no slot of `key` start before `until`, a monotonic reading of this
    /// coordinator's clock: slots booked elsewhere (e.g. in a shared store before an outage)
    /// are not booked twice.
    pub fn hold_until(&self, key: RateLimitKey, until: Duration) {
        if let Some(limiter) = &self.limiter {
            limiter.push_back(key, until);
        }
    }

    /// The sequence generator.
    pub fn sequences(&self) -> &Arc<SequenceGenerator> {
        &self.sequences
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Coordinator for LocalCoordinator {
    fn quota_per_second(&self, key: RateLimitKey) -> Option<u32> {
        let limiter = self.limiter.as_ref()?;
        limiter.quotas().per_second(key.group, key.environment)
    }

    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
        if request.booking.is_none() {
            if let Some(limiter) = &self.limiter {
                let now = self.clock.monotonic();
                let reserved = match request.room {
                    Some(room) => limiter.reserve_in_room(request.key, room, now, request.max_wait),
                    None => limiter.reserve(request.key, now, request.max_wait),
                };
                match reserved {
                    Err(earliest) => return Ok(Admission::Refused { earliest }),
                    Ok(delay) if !delay.is_zero() => {
                        return Ok(Admission::Wait {
                            delay,
                            booking: Booking::new(nanos(now + delay)),
                        })
                    }
                    Ok(_) => {}
                }
            }
        }
        let now_ms = u64::try_from(request.now.as_millis()).unwrap_or(u64::MAX);
        Ok(Admission::Go {
            sequence: request.sequence_for.map(|_| self.sequences.next(now_ms)),
        })
    }

    fn feedback(&self, feedback: &Feedback) {
        match feedback {
            Feedback::RateLimited { key, .. } => {
                if let Some(limiter) = &self.limiter {
                    limiter.push_back(*key, self.clock.monotonic() + self.penalty);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::Environment;
    use crate::credentials::AppId;
    use crate::operation::RateLimitGroup;

    fn key() -> RateLimitKey {
        RateLimitKey {
            app_id: AppId::new(3),
            environment: Environment::Production,
            group: RateLimitGroup::StreamForbid,
        }
    }

    fn manual() -> (Arc<ManualClock>, LocalCoordinator) {
        let clock = Arc::new(ManualClock::new(Duration::from_secs(1_700_000_000)));
        let coordinator = LocalCoordinator::new().with_clock(clock.clone());
        (clock, coordinator)
    }

    #[test]
    fn a_sequence_is_stamped_only_when_asked_and_after_the_wait() {
        let (_, c) = manual();
        let streams = ["s".to_owned()];
        let now = Duration::from_secs(1_700_000_000);
        let first = AdmissionRequest::new(key(), now).with_sequence_for(&streams);
        let Admission::Go { sequence: Some(a) } = c.admit(&first).unwrap() else {
            panic!()
        };
        // The second caller waits for its slot: no sequence yet.
        let Admission::Wait { delay, booking } = c.admit(&first).unwrap() else {
            panic!()
        };
        assert_eq!(delay, Duration::from_millis(50));
        // Back with the booking: a sequence, and no second slot booked.
        let back = first.with_booking(booking);
        let Admission::Go { sequence: Some(b) } = c.admit(&back).unwrap() else {
            panic!()
        };
        assert!(b > a);
        let third = AdmissionRequest::new(key(), now);
        assert!(matches!(
            c.admit(&third).unwrap(),
            Admission::Wait { delay, .. } if delay == Duration::from_millis(100)
        ));
    }

    #[test]
    fn a_wait_beyond_the_bound_is_refused_and_books_nothing() {
        let (_, c) = manual();
        let now = Duration::ZERO;
        let bounded = AdmissionRequest::new(key(), now).with_max_wait(Duration::from_millis(60));
        for _ in 0..2 {
            assert!(!matches!(
                c.admit(&bounded).unwrap(),
                Admission::Refused { .. }
            ));
        }
        // Slots at 0 and 50 ms are taken; 100 ms is beyond 60 ms.
        assert_eq!(
            c.admit(&bounded).unwrap(),
            Admission::Refused {
                earliest: Duration::from_millis(100)
            }
        );
        // Nothing was booked by the refusal: the next free slot is still 100 ms.
        let unbounded = AdmissionRequest::new(key(), now);
        assert!(matches!(
            c.admit(&unbounded).unwrap(),
            Admission::Wait { delay, .. } if delay == Duration::from_millis(100)
        ));
    }

    #[test]
    fn rate_limit_feedback_pauses_the_group() {
        let (clock, c) = manual();
        let request = AdmissionRequest::new(key(), Duration::ZERO);
        assert!(matches!(c.admit(&request).unwrap(), Admission::Go { .. }));
        c.feedback(&Feedback::RateLimited {
            key: key(),
            code: 30002,
        });
        let Admission::Wait { delay, .. } = c.admit(&request).unwrap() else {
            panic!()
        };
        assert_eq!(delay, Duration::from_secs(1));
        clock.advance(Duration::from_secs(5));
        assert!(matches!(c.admit(&request).unwrap(), Admission::Go { .. }));
    }

    #[test]
    fn a_per_room_request_waits_for_the_room_and_the_app() {
        let (clock, c) = manual();
        let key = RateLimitKey {
            group: RateLimitGroup::RoomUserList,
            ..key()
        };
        let spacing = Quotas::default()
            .room_spacing(RateLimitGroup::RoomUserList)
            .unwrap();
        assert!(spacing > Duration::from_secs(1), "a margin over ZEGO's 1/s");
        let now = Duration::ZERO;
        let room1 = AdmissionRequest::new(key, now).with_room("room1");
        assert!(matches!(c.admit(&room1).unwrap(), Admission::Go { .. }));
        // The same room waits for the room's spacing, not the app's 5 ms.
        let Admission::Wait { delay, .. } = c.admit(&room1).unwrap() else {
            panic!()
        };
        assert_eq!(delay, spacing);
        // Another room waits only for the app's first free slot (200/s: 5 ms after the
        // first), not behind the first room's wait.
        let room2 = AdmissionRequest::new(key, now).with_room("room2");
        let Admission::Wait { delay, .. } = c.admit(&room2).unwrap() else {
            panic!()
        };
        assert_eq!(delay, Duration::from_millis(5));
        // A bounded wait shorter than the room's spacing is refused, booking nothing.
        clock.advance(Duration::from_millis(500));
        let bounded = room1.with_max_wait(Duration::from_millis(100));
        assert!(matches!(
            c.admit(&bounded).unwrap(),
            Admission::Refused { .. }
        ));
        clock.advance(Duration::from_secs(3));
        assert!(matches!(
            c.admit(&room1).unwrap(),
            Admission::Wait { .. } | Admission::Go { .. }
        ));
    }

    #[test]
    fn shared_coordinators_share_one_sequence_generator() {
        let streams = ["s".to_owned()];
        let request = AdmissionRequest::new(key(), Duration::ZERO).with_sequence_for(&streams);
        let limited = LocalCoordinator::shared();
        let unlimited = LocalCoordinator::shared_unlimited();
        assert!(Arc::ptr_eq(limited.sequences(), unlimited.sequences()));
        let Admission::Go { sequence: Some(a) } = unlimited.admit(&request).unwrap() else {
            panic!()
        };
        let Admission::Go { sequence: Some(b) } = unlimited.admit(&request).unwrap() else {
            panic!()
        };
        assert!(b > a);
    }
}
