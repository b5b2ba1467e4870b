//! Applying bans. A user ban in a room has a room part (list the room's streams, forbid the
//! user's, kick the user: in that order, since the kick ends the streams) and a rule. The
//! room part of every claimed ban of one room is done together: one listing serves them
//! all, their streams are forbidden [`MAX_STREAMS_PER_BATCH`] per call and their users
//! kicked [`MAX_USERS_PER_KICK`] per call; then each ban gets its rule.

use std::collections::{BTreeMap, HashMap, HashSet};

use zego_proto::ops::{ForbidRtcStreams, KickoutUser, MAX_STREAMS_PER_BATCH, MAX_USERS_PER_KICK};

use super::{Caller, Engine, EngineError, RequestIds};
use crate::ban::Target;
use crate::store::{DueWork, Enforcement, Store, StoredBan, WorkKind};

/// The room whose part of this ban's apply is still to do: a user ban in a room, unless a
/// worker did its room part and handed it back before its rule (still `Pending`). A
/// reapply or a retry after a failure does the room part again.
fn room_part_due(ban: &StoredBan) -> Option<&str> {
    match ban.request.target() {
        Target::User {
            room_id: Some(room),
            ..
        } if !(ban.enforcement == Enforcement::Pending && ban.effects.room_done_at.is_some()) => {
            Some(room)
        }
        _ => None,
    }
}

fn user_of(ban: &StoredBan) -> Option<&str> {
    match ban.request.target() {
        Target::User { user_id, .. } => Some(user_id),
        _ => None,
    }
}

fn kicks(ban: &StoredBan) -> bool {
    matches!(ban.request.target(), Target::User { scopes, .. } if scopes.login)
}

impl<S: Store + ?Sized, C: Caller> Engine<'_, S, C> {
    /// The room part of every claimed `Apply` whose room part is due, batched per room.
    /// `ids` receives, per work ID, the RequestIds of the calls that served it. Returns the
    /// work IDs whose room part failed (marked failing and audited; retried when their
    /// lease runs out).
    pub(super) fn apply_rooms(
        &self,
        work: &[DueWork],
        now: i64,
        ids: &mut HashMap<i64, RequestIds>,
    ) -> Result<HashSet<i64>, EngineError> {
        let mut rooms: BTreeMap<String, Vec<(i64, StoredBan)>> = BTreeMap::new();
        for w in work.iter().filter(|w| w.kind == WorkKind::Apply) {
            let ban = self.store.ban(w.ban)?;
            if ban.enforcement == Enforcement::Lifted || ban.ends_at.is_some_and(|e| now >= e) {
                continue; // `run` completes or lifts it
            }
            if let Some(room) = room_part_due(&ban) {
                rooms.entry(room.to_owned()).or_default().push((w.id, ban));
            }
        }
        let mut failed = HashSet::new();
        for (room, group) in rooms {
            let (work_ids, mut bans): (Vec<i64>, Vec<StoredBan>) = group.into_iter().unzip();
            let mut group_ids = vec![RequestIds::new(); bans.len()];
            let result = self.room_part(&room, &mut bans, now, &mut group_ids);
            for (id, served) in work_ids.iter().zip(group_ids) {
                ids.entry(*id).or_default().extend(served);
            }
            match result {
                Ok(()) => {}
                Err(EngineError::Store(e)) => return Err(EngineError::Store(e)),
                Err(e) => {
                    for (id, ban) in work_ids.iter().zip(&bans) {
                        failed.insert(*id);
                        let served = ids.remove(id).unwrap_or_default();
                        self.record_failure(ban.id, WorkKind::Apply, now, served, &e)?;
                    }
                }
            }
        }
        Ok(failed)
    }

    /// The room part for `bans` (user bans in `room`): one listing, their users' streams
    /// forbidden 20 per call, their users kicked 5 per call (login bans), each ban's effects
    /// saved after each call that served it, so a crash loses nothing done. `ids[i]`
    /// collects the RequestIds of the calls that served `bans[i]`.
    fn room_part(
        &self,
        room: &str,
        bans: &mut [StoredBan],
        now: i64,
        ids: &mut [RequestIds],
    ) -> Result<(), EngineError> {
        let listing = self.room_streams(room)?;
        // From sightings (no call), the listing has no RequestId.
        if !listing.request_id.is_empty() {
            for served in ids.iter_mut() {
                served.push(listing.request_id.clone());
            }
        }
        let users: Vec<Option<String>> =
            bans.iter().map(|b| user_of(b).map(str::to_owned)).collect();
        let banned = |user: &str| users.iter().any(|u| u.as_deref() == Some(user));
        let streams: Vec<(String, String)> = listing
            .streams
            .iter()
            .filter(|s| banned(&s.user_id))
            .map(|s| (s.stream_id.clone(), s.user_id.clone()))
            .collect();
        // A ban another worker lifted meanwhile (the store refused the update): undone at
        // the end, like a renewal racing an unban.
        let mut lifted = vec![false; bans.len()];
        for chunk in streams.chunks(MAX_STREAMS_PER_BATCH) {
            let mut call_ids = RequestIds::new();
            let result = self.call(
                &ForbidRtcStreams::new(chunk.iter().map(|(s, _)| s.clone()))?,
                &mut call_ids,
            );
            for (i, ban) in bans.iter_mut().enumerate() {
                let mine: Vec<&String> = chunk
                    .iter()
                    .filter(|(_, u)| users[i].as_deref() == Some(u.as_str()))
                    .map(|(s, _)| s)
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                ids[i].extend(call_ids.iter().cloned());
                if result.is_err() {
                    continue;
                }
                for s in mine {
                    if !ban.effects.forbidden_streams.contains(s) {
                        ban.effects.forbidden_streams.push(s.clone());
                    }
                }
                lifted[i] |= !self.store.update_ban(ban)?;
            }
            result?;
        }
        let mut kicked_users: Vec<&str> = Vec::new();
        for (i, ban) in bans.iter().enumerate() {
            if let (true, Some(user)) = (kicks(ban), users[i].as_deref()) {
                if !kicked_users.contains(&user) {
                    kicked_users.push(user);
                }
            }
        }
        for chunk in kicked_users.chunks(MAX_USERS_PER_KICK) {
            let mut call_ids = RequestIds::new();
            let result = self.call(
                &KickoutUser::new(room, chunk.iter().copied())?,
                &mut call_ids,
            );
            for (i, ban) in bans.iter_mut().enumerate() {
                let served = kicks(ban) && users[i].as_deref().is_some_and(|u| chunk.contains(&u));
                if !served {
                    continue;
                }
                ids[i].extend(call_ids.iter().cloned());
                if result.is_ok() {
                    // The kick is the ban's last room call: one write records both.
                    ban.effects.kicked = true;
                    ban.effects.room_done_at = Some(now);
                    lifted[i] |= !self.store.update_ban(ban)?;
                }
            }
            result?;
        }
        for (i, ban) in bans.iter_mut().enumerate() {
            if ban.effects.room_done_at != Some(now) {
                ban.effects.room_done_at = Some(now);
                lifted[i] |= !self.store.update_ban(ban)?;
            }
            if lifted[i] {
                let mut undo = ban.clone();
                self.lift(&mut undo, now, &mut ids[i])?;
            }
        }
        Ok(())
    }

    /// Applies one ban, in ZEGO's order: the room part (unless a batch did it already),
    /// then the rule. Effects are saved as they happen, so a retry after a failure undoes
    /// no less at the lift.
    pub(super) fn apply(
        &self,
        ban: &mut StoredBan,
        now: i64,
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        match ban.request.target() {
            Target::User { .. } => {
                if let Some(room) = room_part_due(ban).map(str::to_owned) {
                    self.room_part(
                        &room,
                        std::slice::from_mut(ban),
                        now,
                        std::slice::from_mut(ids),
                    )?;
                }
                self.set_rule(ban, None, now, ids)
            }
            Target::Stream { stream_id } => {
                let op = ForbidRtcStreams::new([stream_id.clone()])?;
                self.call(&op, ids)?;
                if !ban.effects.forbidden_streams.contains(stream_id) {
                    ban.effects.forbidden_streams.push(stream_id.clone());
                }
                self.store.update_ban(ban)?;
                ban.enforcement = Enforcement::Full;
                Ok(())
            }
            Target::Media { .. } => self.set_rule(ban, None, now, ids),
        }
    }
}
