//! Remembering recent deliveries, so ZEGO's retry of one is not taken for a new event.
//!
//! The store is behind the [`ReplayCache`] trait: one process uses the in-process
//! [`MemoryReplayCache`] (the default); a fleet of receivers behind one callback URL needs a
//! shared store (e.g. Redis `SET key 1 NX EXAT keep_until`), or a replay sent to another
//! instance is accepted there.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use sha1::{Digest, Sha1};

/// One delivery of a callback, as a replay cache knows it: its `nonce` and `timestamp`.
///
/// Under one CallbackSecret the signature is a function of the timestamp and the nonce, so
/// the two identify a verified delivery.
///
/// ```
/// use zego_callback::Delivery;
/// let delivery = Delivery::new("8231", 1_700_000_000);
/// assert_eq!(delivery.key_hex().len(), 40);
/// assert_eq!(delivery.keep_until(), 1_700_000_600, "the timestamp plus the 10-minute window");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery<'a> {
    nonce: &'a str,
    timestamp: i64,
}

impl<'a> Delivery<'a> {
    /// The delivery with this `nonce` and `timestamp` (Unix seconds).
    pub fn new(nonce: &'a str, timestamp: i64) -> Self {
        Self { nonce, timestamp }
    }

    /// Its `nonce`.
    pub fn nonce(&self) -> &'a str {
        self.nonce
    }

    /// Its `timestamp` (Unix seconds).
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// A fixed-size key for a store: SHA-1 of the timestamp and the nonce (a nonce is
    /// ZEGO's, of any length; the key is not).
    pub fn key(&self) -> [u8; 20] {
        let mut sha1 = Sha1::new();
        sha1.update(self.timestamp.to_be_bytes());
        sha1.update(self.nonce.as_bytes());
        sha1.finalize().into()
    }

    /// [`key`](Self::key) in lower-case hex, for stores keyed by text.
    pub fn key_hex(&self) -> String {
        hex::encode(self.key())
    }

    /// Until when (Unix seconds) the delivery must be remembered: after it, a delivery with
    /// this timestamp is refused as stale by [`MAX_CLOCK_SKEW`](crate::MAX_CLOCK_SKEW)
    /// anyway, so a store may let it expire then.
    pub fn keep_until(&self) -> i64 {
        let window = i64::try_from(crate::MAX_CLOCK_SKEW.as_secs()).unwrap_or(i64::MAX);
        self.timestamp.saturating_add(window)
    }
}

/// A replay cache could not answer (its store is unreachable, ...). The verifier refuses the
/// callback with [`CallbackError::ReplayCacheUnavailable`](crate::CallbackError::ReplayCacheUnavailable)
/// (answer 503), so ZEGO retries it later instead of it being processed twice or lost.
#[derive(Debug, thiserror::Error)]
#[error("replay cache unavailable: {0}")]
pub struct ReplayCacheError(Box<dyn std::error::Error + Send + Sync>);

impl ReplayCacheError {
    /// Wraps the store's error. It must not contain a password or a key of the store's
    /// connection: it is logged.
    pub fn new(source: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(source.into())
    }
}

/// Where verified deliveries are remembered: "has this delivery been seen? If not, mark it
/// seen until [`Delivery::keep_until`]", in one atomic step.
///
/// [`MemoryReplayCache`] is the in-process implementation (the default of a
/// [`CallbackVerifier`](crate::CallbackVerifier)). A shared one (Redis `SET NX` with an
/// expiry at `keep_until`) makes the check hold across every instance behind one callback
/// URL. Implementations are called from the verifier's thread: a blocking store should keep
/// its own timeout short.
///
/// ```
/// use zego_callback::{Delivery, MemoryReplayCache, ReplayCache};
/// let cache = MemoryReplayCache::new(100);
/// let delivery = Delivery::new("n1", 1_700_000_000);
/// assert!(cache.first_delivery(&delivery, 1_700_000_000)?);
/// assert!(!cache.first_delivery(&delivery, 1_700_000_001)?);
/// # Ok::<(), zego_callback::ReplayCacheError>(())
/// ```
pub trait ReplayCache: Send + Sync + fmt::Debug {
    /// Marks `delivery` as seen until [`Delivery::keep_until`], unless it was already seen;
    /// returns whether this is its first delivery. `now_unix_secs` is the receiver's clock
    /// (a store may use it to forget expired deliveries). Must be atomic: of two concurrent
    /// calls for one delivery, exactly one returns `true`.
    fn first_delivery(
        &self,
        delivery: &Delivery<'_>,
        now_unix_secs: i64,
    ) -> Result<bool, ReplayCacheError>;

    /// Forgets `delivery`, so that ZEGO's retry of it is accepted: the verifier calls it when
    /// the application's handling of the event failed.
    fn forget(&self, delivery: &Delivery<'_>) -> Result<(), ReplayCacheError>;
}

/// The in-process [`ReplayCache`]: the deliveries verified in the last
/// [`MAX_CLOCK_SKEW`](crate::MAX_CLOCK_SKEW), bounded, the oldest forgotten first. Shared
/// by every request a [`CallbackVerifier`](crate::CallbackVerifier) checks (it locks a
/// mutex). It only sees one process: a fleet needs a shared store.
///
/// ```
/// use zego_callback::{Delivery, MemoryReplayCache, ReplayCache};
/// let cache = MemoryReplayCache::new(2);
/// let n1 = Delivery::new("n1", 100);
/// assert!(cache.first_delivery(&n1, 100)?);
/// assert!(!cache.first_delivery(&n1, 101)?);
/// cache.forget(&n1)?;
/// assert!(cache.first_delivery(&n1, 102)?);
/// # Ok::<(), zego_callback::ReplayCacheError>(())
/// ```
pub struct MemoryReplayCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    seen: HashSet<[u8; 20]>,
    /// Insertion order, with each delivery's timestamp, for forgetting.
    order: VecDeque<([u8; 20], i64)>,
}

impl MemoryReplayCache {
    /// The default capacity of a verifier's cache.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A cache of at most `capacity` deliveries (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// How many deliveries it remembers.
    pub fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .seen
            .len()
    }

    /// Whether it remembers none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for MemoryReplayCache {
    fn default() -> Self {
        Self::new(Self::DEFAULT_CAPACITY)
    }
}

impl ReplayCache for MemoryReplayCache {
    fn first_delivery(
        &self,
        delivery: &Delivery<'_>,
        now_unix_secs: i64,
    ) -> Result<bool, ReplayCacheError> {
        let key = delivery.key();
        let window = i64::try_from(crate::MAX_CLOCK_SKEW.as_secs()).unwrap_or(i64::MAX);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(&(old, ts)) = inner.order.front() {
            if inner.order.len() < self.capacity && ts >= now_unix_secs.saturating_sub(window) {
                break;
            }
            inner.order.pop_front();
            inner.seen.remove(&old);
        }
        if !inner.seen.insert(key) {
            return Ok(false);
        }
        inner.order.push_back((key, delivery.timestamp()));
        Ok(true)
    }

    fn forget(&self, delivery: &Delivery<'_>) -> Result<(), ReplayCacheError> {
        let key = delivery.key();
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.seen.remove(&key) {
            inner.order.retain(|(k, _)| *k != key);
        }
        Ok(())
    }
}

impl fmt::Debug for MemoryReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryReplayCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(cache: &MemoryReplayCache, nonce: &str, timestamp: i64, now: i64) -> bool {
        cache
            .first_delivery(&Delivery::new(nonce, timestamp), now)
            .unwrap()
    }

    #[test]
    fn old_and_excess_deliveries_are_forgotten() {
        let cache = MemoryReplayCache::new(3);
        for (i, nonce) in ["a", "b", "c", "d"].into_iter().enumerate() {
            assert!(first(&cache, nonce, 1000, 1000 + i64::try_from(i).unwrap()));
        }
        assert_eq!(cache.len(), 3, "the oldest went at capacity");
        assert!(first(&cache, "a", 1000, 1004), "a was forgotten");
        // Past the window, everything older goes.
        assert!(first(&cache, "e", 2000, 2000));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_key_depends_on_both_nonce_and_timestamp() {
        let a = Delivery::new("1", 23);
        assert_ne!(a.key(), Delivery::new("12", 3).key());
        assert_ne!(a.key(), Delivery::new("1", 24).key());
        assert_eq!(a.key(), Delivery::new("1", 23).key());
    }
}
