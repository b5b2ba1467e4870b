//! Remembering recent deliveries, so ZEGO's retry of one is not taken for a new event.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::sync::{Mutex, PoisonError};

use sha1::{Digest, Sha1};

/// The deliveries verified in the last [`MAX_CLOCK_SKEW`](super::MAX_CLOCK_SKEW), by
/// (`nonce`, `timestamp`); bounded, the oldest forgotten first. Shared by every request a
/// [`CallbackVerifier`](super::CallbackVerifier) checks (it locks a mutex).
///
/// Under one CallbackSecret the signature is a function of the timestamp and the nonce, so
/// the two identify a verified delivery. A callback older than the window is refused as
/// stale anyway, so nothing older needs remembering.
///
/// ```
/// use zego_proto::callback::ReplayCache;
/// let cache = ReplayCache::new(2);
/// assert!(cache.first_delivery("n1", 100, 100));
/// assert!(!cache.first_delivery("n1", 100, 101));
/// cache.forget("n1", 100);
/// assert!(cache.first_delivery("n1", 100, 102));
/// ```
pub struct ReplayCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    seen: HashSet<[u8; 20]>,
    /// Insertion order, with each delivery's timestamp, for forgetting.
    order: VecDeque<([u8; 20], i64)>,
}

impl ReplayCache {
    /// The default capacity of a verifier's cache.
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A cache of at most `capacity` deliveries (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Records a delivery at `now` (Unix seconds); whether it is the first one seen.
    pub fn first_delivery(&self, nonce: &str, timestamp: i64, now: i64) -> bool {
        let key = key(nonce, timestamp);
        let window = i64::try_from(super::MAX_CLOCK_SKEW.as_secs()).unwrap_or(i64::MAX);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        while let Some(&(old, ts)) = inner.order.front() {
            if inner.order.len() < self.capacity && ts >= now.saturating_sub(window) {
                break;
            }
            inner.order.pop_front();
            inner.seen.remove(&old);
        }
        if !inner.seen.insert(key) {
            return false;
        }
        inner.order.push_back((key, timestamp));
        true
    }

    /// Forgets a delivery, so that ZEGO's retry of it is accepted: call it when handling a
    /// verified event failed and you answer ZEGO with an error.
    pub fn forget(&self, nonce: &str, timestamp: i64) {
        let key = key(nonce, timestamp);
        let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if inner.seen.remove(&key) {
            inner.order.retain(|(k, _)| *k != key);
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

impl fmt::Debug for ReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplayCache")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

fn key(nonce: &str, timestamp: i64) -> [u8; 20] {
    let mut sha1 = Sha1::new();
    sha1.update(timestamp.to_be_bytes());
    sha1.update(nonce.as_bytes());
    sha1.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_and_excess_deliveries_are_forgotten() {
        let cache = ReplayCache::new(3);
        for (i, nonce) in ["a", "b", "c", "d"].into_iter().enumerate() {
            assert!(cache.first_delivery(nonce, 1000, 1000 + i64::try_from(i).unwrap()));
        }
        assert_eq!(cache.len(), 3, "the oldest went at capacity");
        assert!(cache.first_delivery("a", 1000, 1004), "a was forgotten");
        // Past the window, everything older goes.
        assert!(cache.first_delivery("e", 2000, 2000));
        assert_eq!(cache.len(), 1);
    }
}
