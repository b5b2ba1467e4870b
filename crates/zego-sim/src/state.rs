//! Per-app, per-environment state, and the read-only snapshots the library API hands out.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;

use crate::env::Env;
use crate::rooms::Room;

/// How long (ms) the strictly-increasing `Sequence` rule holds after an operation was applied.
pub(crate) const SEQUENCE_WINDOW_MS: i64 = 10_000;

/// A CDN forbid (`ForbidCDNLiveStream`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CdnForbid {
    /// When the forbid was set (Unix seconds).
    pub start_time: i64,
    /// When it lapses by itself (Unix seconds): `ResumeTime`, or start + 1 day by default.
    pub resume_time: i64,
}

/// A stream ban rule (`SetForbidStreamRule`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StreamRule {
    /// Room ID.
    pub room_id: String,
    /// Stream ID.
    pub stream_id: String,
    /// Audio banned.
    pub disable_audio: bool,
    /// Video banned.
    pub disable_video: bool,
    /// When the rule was (last) set, Unix seconds.
    pub create_time: i64,
    /// The effective duration in seconds, after clamping (1..=86400).
    pub effective_time: i64,
}

impl StreamRule {
    /// Unix second at which the rule lapses.
    pub fn expire_time(&self) -> i64 {
        self.create_time.saturating_add(self.effective_time)
    }
}

/// A user ban rule (`SetForbidUserRule`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct UserRule {
    /// 1 IP, 2 RoomId, 3 UserId, 4 RoomId + UserId.
    pub rule_type: u8,
    /// IP (type 1), else empty.
    pub ip: String,
    /// Room ID (types 2 and 4), else empty.
    pub room_id: String,
    /// User ID (types 3 and 4), else empty.
    pub user_id: String,
    /// Disabled privileges, sorted and deduplicated: 1 login, 2 publish.
    pub disabled_privileges: Vec<u8>,
    /// Unix second at which the rule lapses.
    pub expire_time: i64,
}

/// A stream's publishing state, as set through [`crate::SimHandle::set_stream_live`] /
/// [`crate::SimHandle::set_stream_closed`] and read by `DescribeRTCStreamState`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StreamState {
    /// When publishing started (as given by the caller; Unix seconds by convention).
    pub create_time: i64,
    /// When publishing stopped, if it did.
    pub close_time: Option<i64>,
}

/// The last `Sequence` applied to a stream.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SequenceEntry {
    /// The sequence value last applied.
    pub sequence: String,
    /// When it was applied (Unix milliseconds, simulator clock).
    pub applied_at_ms: i64,
}

/// A read-only copy of one app's state in one environment (expired rules already removed).
///
/// ```
/// let sim = zego_sim::Simulator::builder().app(1, "secret").start().unwrap();
/// let snap = sim.state(1, zego_sim::Env::Production);
/// assert!(snap.forbidden_rtc_streams.is_empty());
/// assert_eq!(snap.app_id, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AppStateSnapshot {
    /// The AppId.
    pub app_id: u32,
    /// The environment.
    pub env: Env,
    /// Streams currently forbidden on RTC (forbid adds, resume removes).
    pub forbidden_rtc_streams: BTreeSet<String>,
    /// CDN forbids still in force, by stream ID.
    pub cdn_forbids: BTreeMap<String, CdnForbid>,
    /// Stream ban rules still in force, ordered by (RoomId, StreamId).
    pub stream_rules: Vec<StreamRule>,
    /// User ban rules still in force.
    pub user_rules: Vec<UserRule>,
    /// Stream publishing states known to `DescribeRTCStreamState`.
    pub stream_states: BTreeMap<String, StreamState>,
    /// The last applied `Sequence` per stream.
    pub sequences: BTreeMap<String, SequenceEntry>,
    /// The rooms that have users, by room ID.
    pub rooms: BTreeMap<String, Room>,
}

/// Key of a user rule: type and the identifying fields.
pub(crate) type UserRuleKey = (u8, String, String, String);

/// Mutable state of one app in one environment.
#[derive(Debug, Default)]
pub(crate) struct EnvState {
    pub forbidden: BTreeSet<String>,
    pub cdn: BTreeMap<String, CdnForbid>,
    pub stream_rules: BTreeMap<(String, String), StreamRule>,
    pub user_rules: BTreeMap<UserRuleKey, UserRule>,
    pub stream_states: BTreeMap<String, StreamState>,
    pub sequences: HashMap<String, SequenceEntry>,
    pub rooms: BTreeMap<String, Room>,
    /// Size of `sequences` at which lapsed entries are pruned next.
    pub sequence_prune_at: usize,
    /// Streams ended since the engine last looked: it drains them into `stream_close`
    /// callbacks.
    pub ended: Vec<EndedStream>,
}

/// ZEGO's `stream_close` `type` for each way the simulator ends a stream (spec section 6).
pub(crate) mod close_type {
    /// The client stopped publishing or logged out.
    pub const NORMAL: u32 = 0;
    /// `KickoutUser`.
    pub const KICKED_OUT: u32 = 3;
    /// `CloseRoom`.
    pub const ROOM_CLEARED: u32 = 5;
    /// `DeleteStream`.
    pub const DELETED_BY_SERVER_API: u32 = 100;
}

/// A stream that left its room, and why.
#[derive(Debug, Clone)]
pub(crate) struct EndedStream {
    pub room_id: String,
    pub stream_id: String,
    pub stream: crate::rooms::RoomStream,
    pub close_type: u32,
    pub at_ms: i64,
}

/// Below this many remembered sequences, nothing is pruned.
const SEQUENCE_PRUNE_MIN: usize = 50_000;

/// Compares two sequences: as integers when both parse as `i128`, else byte-wise.
fn sequence_greater(new: &str, old: &str) -> bool {
    match (new.parse::<i128>(), old.parse::<i128>()) {
        (Ok(a), Ok(b)) => a > b,
        _ => new > old,
    }
}

impl EnvState {
    /// Drops every rule and CDN forbid that has lapsed at `now_secs`.
    pub fn purge(&mut self, now_secs: i64) {
        self.cdn.retain(|_, f| f.resume_time > now_secs);
        self.stream_rules.retain(|_, r| r.expire_time() > now_secs);
        self.user_rules.retain(|_, r| r.expire_time > now_secs);
    }

    /// Marks streams that left `room` as closed (for `DescribeRTCStreamState`) and records
    /// them for their `stream_close` callbacks, the way a stop, a logout, a kick, a deleted
    /// stream or a closed room ends them.
    pub fn close_streams(
        &mut self,
        room: &str,
        streams: Vec<(String, crate::rooms::RoomStream)>,
        close_type: u32,
        now_ms: i64,
    ) {
        let now_secs = now_ms.div_euclid(1000);
        for (id, stream) in streams {
            let st = self.stream_states.entry(id.clone()).or_insert(StreamState {
                create_time: now_secs,
                close_time: None,
            });
            st.close_time.get_or_insert(now_secs);
            self.ended.push(EndedStream {
                room_id: room.to_owned(),
                stream_id: id,
                stream,
                close_type,
                at_ms: now_ms,
            });
        }
    }

    /// Removes `user` from `room` with their streams (closed with `close_type`); a room left
    /// without users is destroyed, with any stream still in it.
    pub fn leave_room(&mut self, room: &str, user: &str, close_type: u32, now_ms: i64) {
        let Some(r) = self.rooms.get_mut(room) else {
            return;
        };
        let mut gone = r.remove_user(user);
        if r.users.is_empty() {
            if let Some(r) = self.rooms.remove(room) {
                gone.extend(r.streams);
            }
        }
        self.close_streams(room, gone, close_type, now_ms);
    }

    /// Applies the `Sequence` rule for one stream: returns `true` (and records the sequence) when
    /// the operation may be applied, `false` when it must be dropped as out of order.
    pub fn accept_sequence(&mut self, stream: &str, sequence: &str, now_ms: i64) -> bool {
        if let Some(prev) = self.sequences.get(stream) {
            let within = now_ms.saturating_sub(prev.applied_at_ms) < SEQUENCE_WINDOW_MS;
            if within && !sequence_greater(sequence, &prev.sequence) {
                return false;
            }
        }
        if self.sequences.len() >= self.sequence_prune_at.max(SEQUENCE_PRUNE_MIN) {
            self.sequences
                .retain(|_, e| now_ms.saturating_sub(e.applied_at_ms) < SEQUENCE_WINDOW_MS);
            // The next prune waits until the map has doubled, so pruning stays O(1) amortised
            // per stream even when nothing has expired (a fast bulk run over millions of IDs).
            self.sequence_prune_at = self.sequences.len().saturating_mul(2);
        }
        self.sequences.insert(
            stream.to_owned(),
            SequenceEntry {
                sequence: sequence.to_owned(),
                applied_at_ms: now_ms,
            },
        );
        true
    }

    pub fn snapshot(&mut self, app_id: u32, env: Env, now_secs: i64) -> AppStateSnapshot {
        self.purge(now_secs);
        AppStateSnapshot {
            app_id,
            env,
            forbidden_rtc_streams: self.forbidden.clone(),
            cdn_forbids: self.cdn.clone(),
            stream_rules: self.stream_rules.values().cloned().collect(),
            user_rules: self.user_rules.values().cloned().collect(),
            stream_states: self.stream_states.clone(),
            sequences: self
                .sequences
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            rooms: self.rooms.clone(),
        }
    }
}

/// Every app's state, keyed by (AppId, environment).
#[derive(Debug, Default)]
pub(crate) struct World {
    pub apps: BTreeMap<(u32, Env), EnvState>,
}

impl World {
    pub fn env_mut(&mut self, app_id: u32, env: Env) -> &mut EnvState {
        self.apps.entry((app_id, env)).or_default()
    }

    pub fn snapshot(&mut self, app_id: u32, env: Env, now_secs: i64) -> AppStateSnapshot {
        match self.apps.get_mut(&(app_id, env)) {
            Some(s) => s.snapshot(app_id, env, now_secs),
            None => EnvState::default().snapshot(app_id, env, now_secs),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_sequences_are_pruned_amortised_and_only_when_lapsed() {
        let mut state = EnvState::default();
        let n = SEQUENCE_PRUNE_MIN + 10;
        for i in 0..n {
            assert!(state.accept_sequence(&format!("s{i}"), "1", 0));
        }
        // Nothing lapsed: all kept, and the next prune waits until the map doubles.
        assert_eq!(state.sequences.len(), n);
        assert!(state.sequence_prune_at >= 2 * SEQUENCE_PRUNE_MIN);
        // A stale sequence within the window is still refused.
        assert!(!state.accept_sequence("s0", "1", 5_000));
        // Long after the window, pruning drops the lapsed entries once the threshold is met.
        let later = SEQUENCE_WINDOW_MS * 10;
        let mut i = n;
        while state.sequences.len() < state.sequence_prune_at {
            state.accept_sequence(&format!("s{i}"), "1", later);
            i += 1;
        }
        state.accept_sequence("last", "1", later);
        assert!(state.sequences.len() < n, "{}", state.sequences.len());
    }

    #[test]
    fn sequence_compare() {
        assert!(sequence_greater("10", "9"));
        assert!(!sequence_greater("9", "10"));
        assert!(!sequence_greater("5", "5"));
        assert!(sequence_greater("b", "a"));
        assert!(sequence_greater("9", "10x")); // lexicographic when one is not numeric
    }

    #[test]
    fn sequence_window() {
        let mut s = EnvState::default();
        assert!(s.accept_sequence("a", "5", 0));
        assert!(!s.accept_sequence("a", "5", 1000));
        assert!(!s.accept_sequence("a", "4", 9_999));
        assert!(s.accept_sequence("a", "4", 10_000));
        assert!(s.accept_sequence("a", "6", 10_001));
        assert!(s.accept_sequence("b", "1", 10_001));
    }
}
