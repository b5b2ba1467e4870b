//! Client-side rate limiting at ZEGO's documented quotas, as a pure reservation
//! state machine: the caller passes the time and sleeps for the delay it is given.
//! [`crate::admission::LocalCoordinator`] drives it.

use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use crate::config::Environment;
use crate::credentials::AppId;

mod groups;

pub use groups::{QuotaSetting, QuotaSettingError, Quotas, RateLimitGroup};

/// Which bucket a request draws from: quotas are per AppId, environment and group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimitKey {
    /// The app.
    pub app_id: AppId,
    /// The environment (the test environment has lower quotas).
    pub environment: Environment,
    /// The action's group.
    pub group: RateLimitGroup,
}

/// Remembered rooms beyond which the ones whose slot has passed are forgotten.
const ROOM_PRUNE_AT: usize = 10_000;

/// A token bucket per [`RateLimitKey`], implemented as GCRA reservations.
///
/// With the default burst of 1, requests are spaced evenly (50 ms apart at 20/s), so no
/// one-second window, however the server aligns it, sees more than the quota. A larger
/// burst lets that many requests go at once after a quiet period.
#[derive(Debug)]
pub struct TokenBucketLimiter {
    quotas: Quotas,
    burst: u32,
    /// The share of each quota used (1.0: all of it).
    pacing: f64,
    /// Theoretical arrival time of the next request, per key.
    next_free: Mutex<HashMap<RateLimitKey, Duration>>,
    /// The groups with a per-room quota: their rooms' next slots and their calendars.
    rooms: Mutex<RoomBookings>,
}

/// What the groups with a per-room quota book.
///
/// A request for a room may have to wait for the room far beyond the group's next free
/// slot. A single GCRA state cannot book that later slot without holding up every other
/// room behind it, nor book the early slot and leave late without crowding the second it
/// leaves in. So these groups book exact send times on a calendar: any two at least the
/// group's interval apart (hence never more than the quota in any second), earlier gaps
/// still free for other rooms.
#[derive(Debug, Default)]
struct RoomBookings {
    /// The next free slot of each room, per key.
    next: HashMap<(RateLimitKey, String), Duration>,
    /// The send times booked in each group, per key.
    calendars: HashMap<RateLimitKey, BTreeSet<Duration>>,
}

/// The earliest time at or after `from` at least `interval` away from every booked time.
fn earliest_gap(booked: &BTreeSet<Duration>, from: Duration, interval: Duration) -> Duration {
    let mut t = from;
    loop {
        let low = match t.checked_sub(interval) {
            Some(low) => Bound::Excluded(low),
            None => Bound::Unbounded,
        };
        match booked
            .range((low, Bound::Excluded(t + interval)))
            .next_back()
        {
            Some(clash) => t = *clash + interval,
            None => return t,
        }
    }
}

impl Default for TokenBucketLimiter {
    fn default() -> Self {
        Self::new(Quotas::default())
    }
}

impl TokenBucketLimiter {
    /// A limiter at `quotas` with a burst of 1.
    pub fn new(quotas: Quotas) -> Self {
        Self {
            quotas,
            burst: 1,
            pacing: 1.0,
            next_free: Mutex::new(HashMap::new()),
            rooms: Mutex::new(RoomBookings::default()),
        }
    }

    /// Allows `burst` requests at once (at least 1).
    #[must_use]
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }

    /// Uses only this share of each quota (clamped to `0.5..=1.0`), so requests leave a
    /// little further apart than the quota allows and no one-second window, however the
    /// requests' arrival jitters, sees more than the quota. Default 1.0.
    #[must_use]
    pub fn with_pacing(mut self, pacing: f64) -> Self {
        self.pacing = pacing.clamp(0.5, 1.0);
        self
    }

    /// The spacing of two requests at `per_second`: rounded up, because a rounded-down
    /// interval would fit quota + 1 requests into a second for quotas that do not divide
    /// 10^9 ns.
    pub fn interval(&self, per_second: u32) -> Duration {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // 1e9 / 0.5 fits.
        let nanos = (1e9 / (f64::from(per_second) * self.pacing)).ceil() as u64;
        Duration::from_nanos(nanos)
    }

    /// The quotas.
    pub fn quotas(&self) -> &Quotas {
        &self.quotas
    }
}

impl TokenBucketLimiter {
    /// Reserves a slot for one request at monotonic time `now` and returns how long the
    /// caller must wait before sending it, or, when that wait would exceed `max_wait`,
    /// `Err(wait)` without reserving anything. Reservations are never cancelled: a request
    /// that is not sent after all still used its slot, which only errs on the safe side.
    pub fn reserve(
        &self,
        key: RateLimitKey,
        now: Duration,
        max_wait: Option<Duration>,
    ) -> Result<Duration, Duration> {
        let Some(per_second) = self.quotas.per_second(key.group, key.environment) else {
            return Ok(Duration::ZERO);
        };
        if self.quotas.room_spacing(key.group).is_some() {
            // Its rooms' requests book on the group's calendar: so must this one.
            return self.reserve_on_calendar(key, None, now, max_wait);
        }
        let interval = self.interval(per_second);
        let tolerance = interval * (self.burst - 1);
        let mut next_free = self.lock();
        let tat = next_free.entry(key).or_insert(now);
        let start = (*tat).max(now);
        let send_at = tat.saturating_sub(tolerance).max(now);
        let wait = send_at.saturating_sub(now);
        if max_wait.is_some_and(|max| wait > max) {
            return Err(wait);
        }
        *tat = start + interval;
        Ok(wait)
    }

    /// [`TokenBucketLimiter::reserve`] for a request that also draws from `room`'s
    /// per-room quota: the earliest time at which both the room and the group (on its
    /// calendar, see `RoomBookings`) are free, booked in both. Without a per-room quota for
    /// the group, the same as `reserve`.
    pub fn reserve_in_room(
        &self,
        key: RateLimitKey,
        room: &str,
        now: Duration,
        max_wait: Option<Duration>,
    ) -> Result<Duration, Duration> {
        if self.quotas.room_spacing(key.group).is_none() {
            return self.reserve(key, now, max_wait);
        }
        self.reserve_on_calendar(key, Some(room), now, max_wait)
    }

    /// Books a send time on the calendar of a group with a per-room quota (and in `room`).
    fn reserve_on_calendar(
        &self,
        key: RateLimitKey,
        room: Option<&str>,
        now: Duration,
        max_wait: Option<Duration>,
    ) -> Result<Duration, Duration> {
        let spacing = self.quotas.room_spacing(key.group);
        let interval = self
            .quotas
            .per_second(key.group, key.environment)
            .map_or(Duration::ZERO, |q| self.interval(q));
        // Lock order: the rooms, then the groups (the only place holding both).
        let mut bookings = self.rooms_locked();
        let RoomBookings { next, calendars } = &mut *bookings;
        if next.len() >= ROOM_PRUNE_AT {
            next.retain(|_, free| *free > now);
        }
        let room_key = room.map(|room| (key, room.to_owned()));
        let room_free = room_key
            .as_ref()
            .and_then(|k| next.get(k).copied())
            .unwrap_or(now);
        // A rate-limit answer's pause (`push_back`) is the group's floor.
        let floor = self.lock().get(&key).copied().unwrap_or(now);
        let calendar = calendars.entry(key).or_default();
        if let Some(old) = now.checked_sub(interval) {
            *calendar = calendar.split_off(&old);
        }
        let send_at = earliest_gap(calendar, now.max(room_free).max(floor), interval);
        let wait = send_at.saturating_sub(now);
        if max_wait.is_some_and(|max| wait > max) {
            return Err(wait);
        }
        if !interval.is_zero() {
            calendar.insert(send_at);
        }
        if let (Some(room_key), Some(spacing)) = (room_key, spacing) {
            next.insert(room_key, send_at + spacing);
        }
        Ok(wait)
    }

    fn rooms_locked(&self) -> std::sync::MutexGuard<'_, RoomBookings> {
        // As `lock`: maps of times stay consistent whatever panicked.
        self.rooms.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes no slot of `key` start before monotonic time `until` (after a rate-limit
    /// answer: the server's window is full).
    pub fn push_back(&self, key: RateLimitKey, until: Duration) {
        let mut next_free = self.lock();
        let tat = next_free.entry(key).or_insert(until);
        *tat = (*tat).max(until);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<RateLimitKey, Duration>> {
        // A poisoned lock only means another thread panicked mid-update of a plain map of
        // times; the map is still consistent, so keep using it.
        self.next_free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(group: RateLimitGroup, environment: Environment) -> RateLimitKey {
        RateLimitKey {
            app_id: AppId::new(1),
            environment,
            group,
        }
    }

    /// Send times of `n` requests all reserved at time zero.
    fn schedule(limiter: &TokenBucketLimiter, key: RateLimitKey, n: usize) -> Vec<Duration> {
        (0..n)
            .map(|_| limiter.reserve(key, Duration::ZERO, None).unwrap())
            .collect()
    }

    #[test]
    fn quotas_are_the_documented_ones() {
        let limiter = TokenBucketLimiter::default();
        for (group, env, per_sec) in [
            (RateLimitGroup::StreamForbid, Environment::Production, 20u32),
            (RateLimitGroup::StreamForbid, Environment::Test, 5),
            (RateLimitGroup::Rules, Environment::Production, 10),
            (RateLimitGroup::Cdn, Environment::Production, 20),
            (RateLimitGroup::StreamState, Environment::Production, 40),
            (RateLimitGroup::StreamState, Environment::Test, 10),
            (RateLimitGroup::RoomKick, Environment::Production, 50),
            (RateLimitGroup::RoomClose, Environment::Test, 1),
            (RateLimitGroup::RoomStreams, Environment::Production, 10),
            (RateLimitGroup::RoomStreams, Environment::Test, 1),
            (RateLimitGroup::RoomStreamList, Environment::Production, 50),
            (RateLimitGroup::RoomUserList, Environment::Production, 200),
            (RateLimitGroup::RoomUsers, Environment::Test, 10),
            (RateLimitGroup::RoomUserCount, Environment::Production, 10),
            (RateLimitGroup::RoomUserCount, Environment::Test, 1),
        ] {
            let times = schedule(&limiter, key(group, env), 2 * per_sec as usize + 1);
            assert_eq!(
                times.last().copied(),
                Some(Duration::from_secs(2)),
                "{group:?} {env:?}"
            );
        }
        assert!(schedule(
            &limiter,
            key(RateLimitGroup::Unmetered, Environment::Production),
            1000
        )
        .iter()
        .all(Duration::is_zero));
    }

    #[test]
    fn no_one_second_window_exceeds_the_quota() {
        let limiter = TokenBucketLimiter::default().with_burst(5);
        let k = key(RateLimitGroup::StreamForbid, Environment::Production);
        let times = schedule(&limiter, k, 200);
        for (i, start) in times.iter().enumerate() {
            let in_window = times[i..]
                .iter()
                .take_while(|t| **t < *start + Duration::from_secs(1))
                .count();
            assert!(in_window <= 20 + 4, "{in_window} requests in one second");
        }
    }

    #[test]
    fn idle_time_refills_but_never_beyond_the_burst() {
        let limiter = TokenBucketLimiter::default();
        let k = key(RateLimitGroup::Rules, Environment::Production);
        assert!(limiter.reserve(k, Duration::ZERO, None).unwrap().is_zero());
        let later = Duration::from_secs(60);
        assert!(limiter.reserve(k, later, None).unwrap().is_zero());
        assert_eq!(
            limiter.reserve(k, later, None),
            Ok(Duration::from_millis(100))
        );
    }

    #[test]
    fn rooms_are_spaced_by_their_interval_and_a_margin() {
        let limiter = TokenBucketLimiter::default();
        let k = key(RateLimitGroup::RoomStreamList, Environment::Production);
        let at = |now_ms: u64, room: &str| {
            limiter
                .reserve_in_room(k, room, Duration::from_millis(now_ms), None)
                .unwrap()
        };
        assert!(at(0, "r1").is_zero());
        assert_eq!(at(0, "r1"), Duration::from_secs(11));
        assert_eq!(at(0, "r1"), Duration::from_secs(22));
        // Another room: the app's first free slot, 20 ms (50/s) after the first request,
        // not held up by the first room's waits.
        assert_eq!(at(0, "r2"), Duration::from_millis(20));
        // The gaps stay at least 20 ms from every booked time.
        assert_eq!(at(0, "r3"), Duration::from_millis(40));
        // 11.0 s is booked (r1): the first gap is 20 ms after it.
        assert_eq!(at(10_995, "r4"), Duration::from_millis(25));
        // A group without a per-room quota ignores the room.
        let kick = key(RateLimitGroup::RoomKick, Environment::Production);
        assert!(limiter
            .reserve_in_room(kick, "r1", Duration::ZERO, None)
            .unwrap()
            .is_zero());
        assert_eq!(
            Quotas::default().room_interval(RateLimitGroup::RoomUserList),
            Some(Duration::from_secs(1))
        );
        assert_eq!(Quotas::default().room_interval(RateLimitGroup::Rules), None);
    }

    #[test]
    fn keys_are_independent() {
        let limiter = TokenBucketLimiter::default();
        let a = key(RateLimitGroup::StreamForbid, Environment::Production);
        let mut b = a;
        b.app_id = AppId::new(2);
        limiter.reserve(a, Duration::ZERO, None).unwrap();
        assert!(limiter.reserve(b, Duration::ZERO, None).unwrap().is_zero());
    }
}
