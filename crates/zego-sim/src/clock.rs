//! The simulator's clock: the system clock or a manual one that tests drive.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A cloneable handle on the time source every time-based behaviour of the simulator uses:
/// the signature timestamp check, rule and CDN-forbid expiry, the 10-second `Sequence` window and
/// the rate limiter.
///
/// Clones share the same time: advancing one clone advances them all, including the one inside a
/// running simulator.
///
/// ```
/// use std::time::Duration;
/// let clock = zego_sim::SimClock::manual(1_700_000_000_000);
/// let other = clock.clone();
/// other.advance(Duration::from_secs(2));
/// assert_eq!(clock.now_millis(), 1_700_000_002_000);
/// assert_eq!(clock.now_secs(), 1_700_000_002);
/// ```
#[derive(Clone, Debug)]
pub struct SimClock {
    inner: Arc<ClockInner>,
}

#[derive(Debug)]
enum ClockInner {
    System,
    Manual(AtomicI64),
}

impl SimClock {
    /// The real system clock (Unix time).
    ///
    /// ```
    /// let clock = zego_sim::SimClock::system();
    /// assert!(clock.now_secs() > 1_600_000_000);
    /// assert!(!clock.is_manual());
    /// ```
    pub fn system() -> Self {
        Self {
            inner: Arc::new(ClockInner::System),
        }
    }

    /// A manual clock that starts at `start_unix_millis` and only moves when told to.
    ///
    /// ```
    /// let clock = zego_sim::SimClock::manual(1_000);
    /// assert_eq!(clock.now_millis(), 1_000);
    /// assert!(clock.is_manual());
    /// ```
    pub fn manual(start_unix_millis: i64) -> Self {
        Self {
            inner: Arc::new(ClockInner::Manual(AtomicI64::new(start_unix_millis))),
        }
    }

    /// Whether this is a manual clock.
    ///
    /// ```
    /// assert!(zego_sim::SimClock::manual(0).is_manual());
    /// ```
    pub fn is_manual(&self) -> bool {
        matches!(*self.inner, ClockInner::Manual(_))
    }

    /// Moves a manual clock forward by `by`. Does nothing on the system clock.
    ///
    /// ```
    /// let clock = zego_sim::SimClock::manual(0);
    /// clock.advance(std::time::Duration::from_millis(1500));
    /// assert_eq!(clock.now_millis(), 1500);
    /// ```
    pub fn advance(&self, by: Duration) {
        if let ClockInner::Manual(ms) = &*self.inner {
            let delta = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
            // saturating update
            let mut cur = ms.load(Ordering::SeqCst);
            loop {
                let next = cur.saturating_add(delta);
                match ms.compare_exchange(cur, next, Ordering::SeqCst, Ordering::SeqCst) {
                    Ok(_) => break,
                    Err(actual) => cur = actual,
                }
            }
        }
    }

    /// Sets a manual clock to `unix_millis` (it may go backwards). Does nothing on the system
    /// clock.
    ///
    /// ```
    /// let clock = zego_sim::SimClock::manual(0);
    /// clock.set(42_000);
    /// assert_eq!(clock.now_secs(), 42);
    /// ```
    pub fn set(&self, unix_millis: i64) {
        if let ClockInner::Manual(ms) = &*self.inner {
            ms.store(unix_millis, Ordering::SeqCst);
        }
    }

    /// The current Unix time in milliseconds.
    ///
    /// ```
    /// let clock = zego_sim::SimClock::manual(7);
    /// assert_eq!(clock.now_millis(), 7);
    /// ```
    pub fn now_millis(&self) -> i64 {
        match &*self.inner {
            ClockInner::System => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX)),
            ClockInner::Manual(ms) => ms.load(Ordering::SeqCst),
        }
    }

    /// The current Unix time in whole seconds (rounded down).
    ///
    /// ```
    /// let clock = zego_sim::SimClock::manual(-1);
    /// assert_eq!(clock.now_secs(), -1);
    /// ```
    pub fn now_secs(&self) -> i64 {
        self.now_millis().div_euclid(1000)
    }
}

impl Default for SimClock {
    fn default() -> Self {
        Self::system()
    }
}
