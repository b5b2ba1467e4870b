//! Which streams of a room are live: one `DescribeSimpleStreamList` per room and per ZEGO
//! window (1 call per 10 s per room), kept in the store so that every worker of the fleet
//! reuses it — or, when the room's [`Sightings`](crate::Sightings) are complete, the streams
//! seen through callbacks instead (no listing). The one place a ban learns the streams it
//! must forbid.

use std::sync::PoisonError;
use std::time::Duration;

use zego_proto::admission::Quotas;
use zego_proto::ops::{DescribeSimpleStreamList, RateLimitGroup};
use zego_proto::{CallErrorKind, CallOptions};

use super::{Caller, Engine, EngineError};
use crate::store::{ListedStream, RoomListing, Store};

/// How long a listing is reused (seconds): ZEGO's per-room window for the listing. Reusing
/// it costs at most that much staleness, which the kick covers (it ends the user's streams
/// anyway; the forbid only keeps their IDs from coming back) and which waiting for the
/// room's next slot would cost in time instead.
fn reuse_secs() -> i64 {
    Quotas::default()
        .room_interval(RateLimitGroup::RoomStreamList)
        .map_or(10, |d| i64::try_from(d.as_secs()).unwrap_or(10))
}

/// How long a listing may wait for the AppId's listing quota (not the room's window).
const APP_SLOT_WAIT: Duration = Duration::from_secs(1);
/// How often a worker whose room slot is taken looks for the other worker's listing.
const POLL: Duration = Duration::from_millis(100);

impl<S: Store + ?Sized, C: Caller> Engine<'_, S, C> {
    /// The room's live streams and the RequestId of the listing that saw them: a listing
    /// younger than ZEGO's room window from the store, or a new one (saved for the others).
    /// When the room's slot is taken (another worker is listing it right now), the worker
    /// looks for that listing in the store rather than queue for the next slot, for up to
    /// one window; after that it waits for the slot like any call.
    pub(super) fn room_streams(&self, room: &str) -> Result<RoomListing, EngineError> {
        let window = reuse_secs();
        let started = self.now();
        if let Some(pairs) = self
            .sightings
            .and_then(|sightings| sightings.room_streams(room, started))
        {
            // No call: no RequestId (`request_id` empty).
            return Ok(RoomListing {
                room_id: room.to_owned(),
                listed_at: started,
                streams: pairs
                    .into_iter()
                    .map(|(user_id, stream_id)| ListedStream { stream_id, user_id })
                    .collect(),
                request_id: String::new(),
            });
        }
        loop {
            let now = self.now();
            // `listed_at` is a whole second: `now - listed_at <= window - 1` keeps the real
            // age under the window.
            let not_before = now.saturating_sub(window - 1);
            if let Some(listing) = self.store.recent_listing(room, not_before)? {
                return Ok(listing);
            }
            if let Some(listing) = self.own_listing(room, not_before) {
                return Ok(listing);
            }
            let patient = now.saturating_sub(started) > window;
            let options = if patient {
                CallOptions::new()
            } else {
                CallOptions::new().with_max_wait(APP_SLOT_WAIT)
            };
            let mut ids = Vec::new();
            match self.call_with(&DescribeSimpleStreamList::new(room)?, &options, &mut ids) {
                Ok(listed) => {
                    let listing = RoomListing {
                        room_id: room.to_owned(),
                        listed_at: now,
                        streams: listed
                            .streams
                            .into_iter()
                            .map(|s| ListedStream {
                                stream_id: s.stream_id,
                                user_id: s.user_id,
                            })
                            .collect(),
                        request_id: ids.pop().unwrap_or_default(),
                    };
                    self.store.save_listing(&listing)?;
                    self.keep_listing(&listing);
                    if let Some(sightings) = self.sightings {
                        // The room's new baseline, if callbacks flow.
                        let pairs = listing
                            .streams
                            .iter()
                            .map(|s| (s.user_id.as_str(), s.stream_id.as_str()));
                        sightings.record_listing(room, pairs, now);
                    }
                    return Ok(listing);
                }
                Err(EngineError::Call { source, .. })
                    if !patient && matches!(source.kind(), CallErrorKind::NotAdmittedInTime(_)) =>
                {
                    std::thread::sleep(POLL);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// This worker's own last listing of `room`, if taken at or after `not_before`.
    fn own_listing(&self, room: &str, not_before: i64) -> Option<RoomListing> {
        let listings = self
            .memory
            .listings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        listings
            .get(room)
            .filter(|l| l.listed_at >= not_before)
            .cloned()
    }

    /// Keeps `listing` as this worker's last of its room (forgetting rooms whose listing
    /// is too old to reuse, so the map stays as small as the rooms of the last window).
    fn keep_listing(&self, listing: &RoomListing) {
        let mut listings = self
            .memory
            .listings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let stale = listing.listed_at.saturating_sub(reuse_secs());
        listings.retain(|_, l| l.listed_at > stale);
        listings.insert(listing.room_id.clone(), listing.clone());
    }
}
