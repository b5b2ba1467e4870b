//! Lifting: undoing exactly what a ban did, keeping what another active ban still needs.

use zego_proto::ops::{
    DelForbidStreamRule, DelForbidUserRule, ResumeRtcStreams, MAX_STREAMS_PER_BATCH,
};
use zego_proto::ReturnCode;

use super::rules::{rule_target, same_user_rule};
use super::{Caller, Engine, EngineError, RequestIds};
use crate::ban::Target;
use crate::store::{Enforcement, Store, StoredBan};

impl<S: Store + ?Sized, C: Caller> Engine<'_, S, C> {
    /// Undoes exactly what the ban did, keeping what another active ban still needs.
    pub(super) fn lift(
        &self,
        ban: &mut StoredBan,
        now: i64,
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        let others = self.others(ban.id, now)?;
        self.resume_unneeded(&ban.effects.forbidden_streams, &others, ids)?;
        match ban.request.target().clone() {
            Target::User {
                user_id, room_id, ..
            } if ban.effects.user_rule => {
                let still: Vec<&StoredBan> = others
                    .iter()
                    .filter(|o| same_user_rule(ban.request.target(), o.request.target()).is_some())
                    .collect();
                if still.is_empty() {
                    let op = DelForbidUserRule::new(rule_target(&user_id, room_id.as_deref())?);
                    match self.call(&op, ids) {
                        // 50124: the rule lapsed by itself already.
                        Err(EngineError::Call { source, .. })
                            if source.code().map(ReturnCode::code) == Some(50124) => {}
                        other => {
                            other?;
                        }
                    }
                } else {
                    // Narrow the rule to what the remaining bans need.
                    let mut rest = still[0].clone();
                    self.set_rule(&mut rest, Some(ban.id), now, ids)?;
                    self.store.update_ban(&mut rest)?;
                }
            }
            Target::Media {
                room_id, stream_id, ..
            } if ban.effects.stream_rule => {
                let still: Vec<&StoredBan> = others
                    .iter()
                    .filter(|o| matches!(o.request.target(), Target::Media { room_id: r, stream_id: s, .. } if *r == room_id && *s == stream_id))
                    .collect();
                if still.is_empty() {
                    self.call(
                        &DelForbidStreamRule::new(room_id.as_str(), stream_id.as_str())?,
                        ids,
                    )?;
                } else {
                    let mut rest = still[0].clone();
                    self.set_rule(&mut rest, Some(ban.id), now, ids)?;
                    self.store.update_ban(&mut rest)?;
                }
            }
            _ => {}
        }
        ban.enforcement = Enforcement::Lifted;
        Ok(())
    }

    /// After a lift's write: resumes the streams of `ban` (as the write returned it) that
    /// the lift did not know of (`undone`), unless another active ban holds them.
    pub(super) fn resume_late_streams(
        &self,
        ban: &StoredBan,
        undone: &[String],
        now: i64,
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        let late: Vec<String> = ban
            .effects
            .forbidden_streams
            .iter()
            .filter(|s| !undone.contains(s))
            .cloned()
            .collect();
        if late.is_empty() {
            return Ok(());
        }
        let others = self.others(ban.id, now)?;
        self.resume_unneeded(&late, &others, ids)
    }

    /// Resumes those of `streams` that none of `others` (the other active bans) holds.
    fn resume_unneeded(
        &self,
        streams: &[String],
        others: &[StoredBan],
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        let needed = |s: &String| {
            others.iter().any(|o| {
                o.effects.forbidden_streams.contains(s)
                    || matches!(o.request.target(), Target::Stream { stream_id } if stream_id == s)
            })
        };
        let resume: Vec<String> = streams.iter().filter(|s| !needed(s)).cloned().collect();
        for chunk in resume.chunks(MAX_STREAMS_PER_BATCH) {
            self.call(&ResumeRtcStreams::new(chunk.iter().cloned())?, ids)?;
        }
        Ok(())
    }
}
