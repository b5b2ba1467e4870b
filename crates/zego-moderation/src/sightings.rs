//! Stream sightings: the live streams the service has seen through ZEGO's stream callbacks
//! (`stream_create` adds, `stream_close` removes), bounded in memory, so that applying a
//! user ban can spare the room's `DescribeSimpleStreamList` (1 call per 10 s per room) when
//! the sightings of that room can be trusted.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, PoisonError};

use zego_callback::CallbackEvent;

/// Default cap on what [`Sightings`] hold: room records plus stream records.
pub const DEFAULT_SIGHTINGS_CAP: usize = 50_000;

/// Default freshness window, seconds: how long a room's baseline is trusted.
pub const DEFAULT_FRESHNESS_SECS: i64 = 600;

/// What the service knows about one room.
#[derive(Debug, Default)]
struct Room {
    /// Live streams: stream ID → publishing user ID.
    streams: HashMap<String, String>,
    /// When the room's record became complete: a listing of it, or the feed's declared
    /// start for a room first heard after it. `None`: incomplete (first heard through a
    /// callback, with no baseline).
    baseline: Option<i64>,
    /// Its key in `Inner::by_touch` (least recently touched rooms are evicted first).
    touch: u64,
}

#[derive(Debug, Default)]
struct Inner {
    rooms: HashMap<String, Room>,
    /// touch → room ID, oldest first.
    by_touch: BTreeMap<u64, String>,
    next_touch: u64,
    /// Room records plus stream records.
    size: usize,
    /// When the callback feed was seen alive first (the first callback recorded, or
    /// declared): a listing counts as a baseline only after it, as callbacks then keep the
    /// listed room up to date.
    listening_since: Option<i64>,
    /// The application's claim: every stream of the app live at or after this time has been
    /// (or will be) reported to these sightings. Void once anything was evicted.
    complete_since: Option<i64>,
}

impl Inner {
    /// The room's record, created (incomplete, or complete since the declared feed start)
    /// and touched.
    fn room(&mut self, room_id: &str) -> &mut Room {
        self.next_touch += 1;
        let touch = self.next_touch;
        if !self.rooms.contains_key(room_id) {
            self.size += 1;
            self.rooms.insert(
                room_id.to_owned(),
                Room {
                    baseline: self.complete_since,
                    ..Room::default()
                },
            );
        }
        let room = self.rooms.get_mut(room_id).expect("inserted above");
        self.by_touch.remove(&room.touch);
        self.by_touch.insert(touch, room_id.to_owned());
        room.touch = touch;
        room
    }

    /// Evicts the least recently touched rooms (whole: a room with part of its streams
    /// would be wrong) until the cap holds, sparing `keep` unless it alone is over the cap.
    fn evict(&mut self, cap: usize, keep: &str) {
        while self.size > cap {
            let oldest = self
                .by_touch
                .iter()
                .find(|(_, r)| r.as_str() != keep)
                .or_else(|| self.by_touch.iter().next());
            let Some((&touch, room_id)) = oldest else {
                return;
            };
            let room_id = room_id.clone();
            self.by_touch.remove(&touch);
            if let Some(room) = self.rooms.remove(&room_id) {
                self.size -= 1 + room.streams.len();
            }
            // A room never heard of no longer means "no streams there".
            self.complete_since = None;
        }
    }
}

/// The live streams seen through ZEGO's stream callbacks, per room, for the
/// [`Engine`](crate::Engine) ([`Engine::sightings`](crate::Engine::sightings)): a user ban in
/// a room then forbids the user's sighted streams instead of listing the room, when the
/// room's sightings are **complete** at that moment.
///
/// **Complete** means the sightings hold every stream live in the room, which they can only
/// know from a **baseline** no older than the freshness window (default
/// [`DEFAULT_FRESHNESS_SECS`], 10 minutes):
///
/// - a **listing**: the engine records each `DescribeSimpleStreamList` answer
///   ([`Sightings::record_listing`]) — the room exactly, at that moment — once the callback
///   feed is known to be alive (a callback was recorded before, or
///   [`Sightings::listening_since`] says since when), since callbacks keep it current; or
/// - the **feed's start**, when the application declares that the feed holds every stream
///   live since then ([`Sightings::complete_since`]: the service received the app's
///   callbacks before any of its streams could start, e.g. it started with the app, or it
///   restores its sightings): every room is then complete from that moment, heard of or not.
///
/// Past the window the engine lists the room again, which renews the baseline: so one
/// listing per room per window at most, however many users are banned in it (a raid). The
/// window bounds the harm of a lost callback (ZEGO drops a delivery after 5 retries over
/// ~62 s: a service unreachable longer misses it) to that window. A room first heard of
/// through a callback, with neither baseline, is **not** complete: a stream started before
/// the service heard of the room would be missed, so it is listed.
///
/// **Bounded**: at most `cap` records (default [`DEFAULT_SIGHTINGS_CAP`]; a room is one, each
/// of its streams one more). Past it, the room touched least recently is evicted whole (a
/// later ban there lists it), and the declared feed start no longer covers rooms without a
/// record (an evicted room would look empty).
///
/// **The callback body is not signed** (only its timestamp and nonce are: see
/// `zego_callback`): a captured delivery replayed with another body before the genuine one
/// can add or remove a sighting. Use a replay cache that the whole fleet shares
/// (`zego_redis::RedisReplayCache`) so each signature is used once.
///
/// ```
/// use zego_moderation::Sightings;
///
/// let sightings = Sightings::new();
/// // No callback yet, no listing: nothing is trusted.
/// assert_eq!(sightings.streams_of("room1", "troll", 1_000), None);
/// sightings.listening_since(900);
/// sightings.record_listing("room1", [("troll", "s-1"), ("host", "s-2")], 1_000);
/// assert_eq!(sightings.streams_of("room1", "troll", 1_100), Some(vec!["s-1".to_owned()]));
/// // Past the freshness window the room must be listed again.
/// assert_eq!(sightings.streams_of("room1", "troll", 1_000 + 601), None);
/// ```
#[derive(Debug)]
pub struct Sightings {
    inner: Mutex<Inner>,
    cap: usize,
    freshness_secs: i64,
}

impl Default for Sightings {
    fn default() -> Self {
        Self::new()
    }
}

impl Sightings {
    /// Empty sightings with the default cap and freshness window.
    pub fn new() -> Self {
        Self::with_limits(DEFAULT_SIGHTINGS_CAP, DEFAULT_FRESHNESS_SECS)
    }

    /// Empty sightings holding at most `cap` records (at least 1), trusting a room's
    /// baseline for `freshness_secs` (at least 1).
    ///
    /// ```
    /// let sightings = zego_moderation::Sightings::with_limits(1_000, 300);
    /// assert_eq!(sightings.len(), 0);
    /// ```
    pub fn with_limits(cap: usize, freshness_secs: i64) -> Self {
        Self {
            inner: Mutex::new(Inner::default()),
            cap: cap.max(1),
            freshness_secs: freshness_secs.max(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state stays consistent at every step; a panic elsewhere does not spoil it.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Declares that the service receives the app's stream callbacks since `unix_secs` (the
    /// earliest moment wins), so a listing made after it is a baseline. Without it, the
    /// first recorded callback marks the feed alive.
    ///
    /// ```
    /// let sightings = zego_moderation::Sightings::new();
    /// sightings.listening_since(100);
    /// sightings.record_listing("r", [("u", "s")], 150);
    /// assert!(sightings.is_complete("r", 200));
    /// ```
    pub fn listening_since(&self, unix_secs: i64) {
        let mut inner = self.lock();
        inner.listening_since = Some(
            inner
                .listening_since
                .map_or(unix_secs, |t| t.min(unix_secs)),
        );
    }

    /// Declares that these sightings hold every stream of the app live at or after
    /// `unix_secs` (the application's claim: its callback feed started before any stream
    /// could, or it restored the sightings it had): every room is then complete from that
    /// moment, for the freshness window. Implies [`Sightings::listening_since`].
    ///
    /// ```
    /// let sightings = zego_moderation::Sightings::new();
    /// sightings.complete_since(1_000);
    /// assert_eq!(sightings.streams_of("never-heard-of", "u", 1_010), Some(vec![]));
    /// ```
    pub fn complete_since(&self, unix_secs: i64) {
        let mut inner = self.lock();
        inner.complete_since = Some(unix_secs);
        inner.listening_since = Some(
            inner
                .listening_since
                .map_or(unix_secs, |t| t.min(unix_secs)),
        );
        for room in inner.rooms.values_mut() {
            room.baseline = Some(room.baseline.map_or(unix_secs, |b| b.max(unix_secs)));
        }
    }

    /// Records a verified callback received at `now_secs`: `stream_create` adds its stream
    /// (room, user, stream ID), `stream_close` removes it; any other event is ignored
    /// (`false`).
    ///
    /// ```
    /// use zego_callback::{callback_signature, CallbackSecret, CallbackVerifier};
    ///
    /// let verifier = CallbackVerifier::new(CallbackSecret::new("cb-secret")?);
    /// let signature = callback_signature("cb-secret", "1700000000", "1");
    /// let body = format!(r#"{{"event":"stream_create","appid":"1","timestamp":"1700000000",
    ///     "nonce":"1","signature":"{signature}","room_id":"room1","user_id":"troll","stream_id":"s-1"}}"#);
    /// let event = verifier.verify(body.as_bytes(), Some("application/json"), 1_700_000_000)?;
    ///
    /// let sightings = zego_moderation::Sightings::new();
    /// sightings.complete_since(1_699_999_900);
    /// assert!(sightings.record(&event, 1_700_000_000));
    /// assert_eq!(sightings.streams_of("room1", "troll", 1_700_000_000), Some(vec!["s-1".to_owned()]));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record(&self, event: &CallbackEvent, now_secs: i64) -> bool {
        let mut inner = self.lock();
        if inner.listening_since.is_none() {
            inner.listening_since = Some(now_secs);
        }
        match event {
            CallbackEvent::StreamCreate(created) => {
                let room = inner.room(&created.room_id);
                let added = room
                    .streams
                    .insert(created.stream_id.clone(), created.user_id.clone())
                    .is_none();
                if added {
                    inner.size += 1;
                }
                inner.evict(self.cap, &created.room_id);
                true
            }
            CallbackEvent::StreamClose(closed) => {
                let room = inner.room(&closed.room_id);
                if room.streams.remove(&closed.stream_id).is_some() {
                    inner.size -= 1;
                }
                inner.evict(self.cap, &closed.room_id);
                true
            }
            _ => false,
        }
    }

    /// Records a listing of `room_id` made at `listed_at` (pairs of user ID and stream ID):
    /// the room's streams become exactly these, and the listing is the room's baseline if
    /// the callback feed was alive by then ([`Sightings::listening_since`]).
    ///
    /// ```
    /// let sightings = zego_moderation::Sightings::new();
    /// sightings.record_listing("r", [("u", "s")], 150);
    /// // No callback was ever received: the listing alone is not kept up to date.
    /// assert!(!sightings.is_complete("r", 150));
    /// ```
    pub fn record_listing<U, S>(
        &self,
        room_id: &str,
        streams: impl IntoIterator<Item = (U, S)>,
        listed_at: i64,
    ) where
        U: Into<String>,
        S: Into<String>,
    {
        let mut inner = self.lock();
        let alive = inner.listening_since.is_some_and(|t| t <= listed_at);
        let room = inner.room(room_id);
        let before = room.streams.len();
        room.streams = streams
            .into_iter()
            .map(|(user, stream)| (stream.into(), user.into()))
            .collect();
        let after = room.streams.len();
        if alive {
            room.baseline = Some(room.baseline.map_or(listed_at, |b| b.max(listed_at)));
        }
        inner.size = inner.size - before + after;
        inner.evict(self.cap, room_id);
    }

    /// Whether the sightings of `room_id` are complete at `now_secs`: a baseline (a listing
    /// with the feed alive, or the declared feed start) no older than the freshness window.
    pub fn is_complete(&self, room_id: &str, now_secs: i64) -> bool {
        self.complete_in(&self.lock(), room_id, now_secs)
    }

    /// [`Sightings::is_complete`] under the caller's lock.
    fn complete_in(&self, inner: &Inner, room_id: &str, now_secs: i64) -> bool {
        let baseline = match inner.rooms.get(room_id) {
            Some(room) => room.baseline,
            None => inner.complete_since,
        };
        baseline.is_some_and(|b| b <= now_secs && now_secs - b <= self.freshness_secs)
    }

    /// The streams `user_id` publishes in `room_id` as sighted, sorted; `None` when the
    /// room's sightings are not complete at `now_secs` (list the room instead).
    pub fn streams_of(&self, room_id: &str, user_id: &str, now_secs: i64) -> Option<Vec<String>> {
        let room = self.room_streams(room_id, now_secs)?;
        Some(
            room.into_iter()
                .filter(|(user, _)| user == user_id)
                .map(|(_, stream)| stream)
                .collect(),
        )
    }

    /// Every stream sighted in `room_id`, as (user ID, stream ID) pairs sorted by stream ID
    /// — what a listing of the room would say; `None` when the room's sightings are not
    /// complete at `now_secs`.
    ///
    /// ```
    /// let sightings = zego_moderation::Sightings::new();
    /// sightings.complete_since(100);
    /// sightings.record_listing("r", [("u", "s2"), ("v", "s1")], 110);
    /// let pairs = sightings.room_streams("r", 120).unwrap();
    /// assert_eq!(pairs, [("v".to_owned(), "s1".to_owned()), ("u".to_owned(), "s2".to_owned())]);
    /// ```
    pub fn room_streams(&self, room_id: &str, now_secs: i64) -> Option<Vec<(String, String)>> {
        // One lock: an eviction in between would make an evicted room look empty.
        let inner = self.lock();
        if !self.complete_in(&inner, room_id, now_secs) {
            return None;
        }
        let mut pairs: Vec<(String, String)> = inner
            .rooms
            .get(room_id)
            .map(|room| {
                room.streams
                    .iter()
                    .map(|(stream, user)| (user.clone(), stream.clone()))
                    .collect()
            })
            .unwrap_or_default();
        pairs.sort_by(|a, b| a.1.cmp(&b.1));
        Some(pairs)
    }

    /// Records held (rooms plus streams).
    pub fn len(&self) -> usize {
        self.lock().size
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Verified callback events for tests, signed as ZEGO signs them.
#[cfg(test)]
pub(crate) fn test_event(
    event: &str,
    app: &str,
    room: &str,
    user: &str,
    stream: &str,
) -> CallbackEvent {
    use zego_callback::{callback_signature, CallbackSecret, CallbackVerifier};
    let signature = callback_signature("s", "1700000000", "n");
    let body = format!(
        r#"{{"event":"{event}","appid":"{app}","timestamp":"1700000000","nonce":"n","signature":"{signature}","room_id":"{room}","user_id":"{user}","stream_id":"{stream}"}}"#
    );
    CallbackVerifier::new(CallbackSecret::new("s").unwrap())
        .without_replay_cache()
        .verify(body.as_bytes(), Some("application/json"), 1_700_000_000)
        .unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_create_adds_and_stream_close_removes() {
        let s = Sightings::new();
        s.complete_since(0);
        assert!(s.record(&test_event("stream_create", "1", "r", "u", "s1"), 10));
        assert!(s.record(&test_event("stream_create", "1", "r", "u", "s2"), 10));
        assert!(s.record(&test_event("stream_create", "1", "r", "v", "s3"), 10));
        assert_eq!(
            s.streams_of("r", "u", 11),
            Some(vec!["s1".to_owned(), "s2".to_owned()])
        );
        assert!(s.record(&test_event("stream_close", "1", "r", "u", "s1"), 12));
        assert_eq!(s.streams_of("r", "u", 13), Some(vec!["s2".to_owned()]));
        // A repeated create or an unknown close changes nothing.
        s.record(&test_event("stream_create", "1", "r", "u", "s2"), 14);
        s.record(&test_event("stream_close", "1", "r", "u", "gone"), 14);
        assert_eq!(s.len(), 3);
        assert!(!s.record(&test_event("room_login", "1", "r", "u", "x"), 15));
    }

    #[test]
    fn the_first_callback_marks_the_feed_alive_but_does_not_complete_its_room() {
        let s = Sightings::new();
        s.record_listing("r", [("u", "s0")], 5);
        assert!(!s.is_complete("r", 5), "no feed yet");
        s.record(&test_event("stream_create", "1", "r", "u", "s1"), 10);
        assert_eq!(
            s.streams_of("r", "u", 10),
            None,
            "heard of through a callback only"
        );
        s.record_listing("r", [("u", "s1"), ("v", "s9")], 20);
        assert_eq!(s.streams_of("r", "u", 20), Some(vec!["s1".to_owned()]));
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn the_cap_evicts_the_least_recently_touched_room_whole_and_voids_the_feed_claim() {
        let s = Sightings::with_limits(5, 600);
        s.complete_since(0);
        s.record_listing("a", [("u", "a1"), ("u", "a2")], 10); // 3 records
        s.record_listing("b", [("u", "b1")], 11); // 5
        assert_eq!(s.len(), 5);
        assert!(s.is_complete("c", 12));
        s.record_listing("c", [("u", "c1")], 12); // 7 > 5: "a" goes
        assert_eq!(s.len(), 4);
        assert_eq!(
            s.streams_of("a", "u", 13),
            None,
            "an evicted room is listed again"
        );
        assert_eq!(s.streams_of("b", "u", 13), Some(vec!["b1".to_owned()]));
        assert!(
            !s.is_complete("d", 13),
            "unknown rooms are no longer taken as empty"
        );
        // A room alone over the cap is not kept (nor trusted) either.
        s.record_listing("big", (0..9).map(|i| ("u", format!("s{i}"))), 14);
        assert!(s.len() <= 5, "{}", s.len());
        assert_eq!(s.streams_of("big", "u", 14), None);
    }

    #[test]
    fn a_baseline_is_trusted_for_the_window_only() {
        let s = Sightings::with_limits(100, 60);
        s.listening_since(0);
        s.record_listing("r", [("u", "s")], 100);
        assert!(s.is_complete("r", 160));
        assert!(!s.is_complete("r", 161));
        assert!(!s.is_complete("r", 99), "not before it was made");
    }
}
