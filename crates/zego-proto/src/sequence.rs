//! `Sequence` numbers: strictly increasing per stream within any 10 seconds.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A request's `Sequence` parameter.
///
/// ```
/// let seq = zego_proto::Sequence::new(1617249600001);
/// assert_eq!(seq.to_string(), "1617249600001");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Sequence(u64);

impl Sequence {
    /// A sequence with this value.
    pub const fn new(value: u64) -> Self {
        Self(value)
    }

    /// The numeric value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Sequence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Hands out strictly increasing sequences from any number of threads.
///
/// Each sequence is the current Unix time in milliseconds (ZEGO's suggestion), or one
/// more than the previous sequence when the clock stands still, steps back, or many
/// sequences are taken within one millisecond. Strictly increasing across *all* streams
/// implies strictly increasing per stream, which is what ZEGO requires.
///
/// One generator should own a stream's operations: two processes with separate
/// generators can hand out the same millisecond. Within a process, every client shares one
/// ([`crate::admission::LocalCoordinator::shared`]); a fleet shares its order through a
/// store (the Redis coordinator of `zego-redis`), which floors its values with
/// [`SequenceGenerator::observe`].
///
/// ```
/// use zego_proto::admission::SequenceGenerator;
/// let generator = SequenceGenerator::new();
/// let a = generator.next(1_700_000_000_000);
/// let b = generator.next(1_700_000_000_000); // same millisecond
/// let c = generator.next(1_699_999_999_000); // the clock stepped back
/// assert!(a < b && b < c);
/// ```
#[derive(Debug, Default)]
pub struct SequenceGenerator {
    last: AtomicU64,
}

impl SequenceGenerator {
    /// A generator that has handed out nothing yet.
    pub const fn new() -> Self {
        Self {
            last: AtomicU64::new(0),
        }
    }

    /// A generator whose next sequence is greater than `last` (e.g. restored state).
    pub const fn starting_after(last: Sequence) -> Self {
        Self {
            last: AtomicU64::new(last.0),
        }
    }

    /// The next sequence, given the current Unix time in milliseconds.
    pub fn next(&self, now_unix_millis: u64) -> Sequence {
        let mut current = self.last.load(Ordering::Relaxed);
        loop {
            let next = now_unix_millis.max(current.saturating_add(1));
            match self.last.compare_exchange_weak(
                current,
                next,
                Ordering::AcqRel,
                Ordering::Relaxed,
            ) {
                Ok(_) => return Sequence(next),
                Err(seen) => current = seen,
            }
        }
    }

    /// Records a sequence handed out elsewhere (e.g. by a shared store), so that every later
    /// [`SequenceGenerator::next`] is greater than it.
    ///
    /// ```
    /// use zego_proto::{admission::SequenceGenerator, Sequence};
    /// let generator = SequenceGenerator::new();
    /// generator.observe(Sequence::new(5_000_000_000_000));
    /// assert!(generator.next(1_700_000_000_000) > Sequence::new(5_000_000_000_000));
    /// ```
    pub fn observe(&self, sequence: Sequence) {
        self.last.fetch_max(sequence.0, Ordering::AcqRel);
    }

    /// The last sequence handed out, if any.
    pub fn last(&self) -> Option<Sequence> {
        match self.last.load(Ordering::Acquire) {
            0 => None,
            n => Some(Sequence(n)),
        }
    }
}
