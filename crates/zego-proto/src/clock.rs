//! Time, passed in. The core never reads a clock itself; drivers read one through
//! [`Clock`], and [`SystemClock`] is the one place the real clock is read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A source of time for the drivers (transports) that run the core's state machines.
///
/// Two readings: wall-clock Unix time for `Timestamp` and `Sequence`, and a monotonic
/// reading (time since an arbitrary fixed origin) for rate limiting and retry budgets.
pub trait Clock: Send + Sync {
    /// Time since the Unix epoch.
    fn unix_time(&self) -> Duration;
    /// Monotonic time since an arbitrary, fixed origin.
    fn monotonic(&self) -> Duration;
    /// Both readings at once.
    fn now(&self) -> Now {
        Now {
            unix: self.unix_time(),
            monotonic: self.monotonic(),
        }
    }
}

/// One reading of a [`Clock`], handed to the core's state machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Now {
    /// Time since the Unix epoch: signs `Timestamp` and seeds `Sequence`.
    pub unix: Duration,
    /// Monotonic time: paces rate limits, backoff and deadlines.
    pub monotonic: Duration,
}

impl Now {
    /// Unix time in whole seconds (the `Timestamp` parameter).
    pub fn unix_secs(self) -> u64 {
        self.unix.as_secs()
    }

    /// Unix time in milliseconds (the basis of `Sequence`).
    pub fn unix_millis(self) -> u64 {
        u64::try_from(self.unix.as_millis()).unwrap_or(u64::MAX)
    }
}

/// The machine's clocks: the default.
///
/// ```
/// use zego_proto::clock::{Clock, SystemClock};
/// assert!(SystemClock.unix_time().as_secs() > 1_600_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one place the real clock is read.
    fn unix_time(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
    }

    #[allow(clippy::disallowed_methods)] // The one place the real clock is read.
    fn monotonic(&self) -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}

/// A clock that moves only when told to: for tests and simulations.
///
/// Both readings advance together.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::clock::{Clock, ManualClock};
/// let clock = ManualClock::new(Duration::from_secs(1_700_000_000));
/// clock.advance(Duration::from_millis(1500));
/// assert_eq!(clock.unix_time().as_millis(), 1_700_000_001_500);
/// assert_eq!(clock.monotonic(), Duration::from_millis(1500));
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    unix_nanos: AtomicU64,
    monotonic_nanos: AtomicU64,
}

impl ManualClock {
    /// A clock showing `unix_time`, with its monotonic reading at zero.
    pub fn new(unix_time: Duration) -> Self {
        Self {
            unix_nanos: AtomicU64::new(saturating_nanos(unix_time)),
            monotonic_nanos: AtomicU64::new(0),
        }
    }

    /// Moves both readings forward.
    pub fn advance(&self, by: Duration) {
        let by = saturating_nanos(by);
        self.unix_nanos.fetch_add(by, Ordering::AcqRel);
        self.monotonic_nanos.fetch_add(by, Ordering::AcqRel);
    }

    /// Sets the wall clock only (it may step back, as real clocks do).
    pub fn set_unix_time(&self, unix_time: Duration) {
        self.unix_nanos
            .store(saturating_nanos(unix_time), Ordering::Release);
    }
}

impl Clock for ManualClock {
    fn unix_time(&self) -> Duration {
        Duration::from_nanos(self.unix_nanos.load(Ordering::Acquire))
    }

    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.monotonic_nanos.load(Ordering::Acquire))
    }
}

fn saturating_nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}
