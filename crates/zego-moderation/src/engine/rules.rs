//! Rules: setting and renewing a ban's user or stream rule for as long as every active ban
//! needing it does, the 50123 cap, and the next renewal.

use zego_proto::ops::{
    DisabledPrivilege, EffectiveTime, MediaBan, SetForbidStreamRule, SetForbidUserRule,
    UserRuleTarget,
};
use zego_proto::{ReturnCode, ValidationError};

use super::{Caller, Engine, EngineError, RequestIds};
use crate::ban::{Scopes, Target};
use crate::store::{BanId, Enforcement, Store, StoredBan, WorkKind};
use crate::RENEWAL_MARGIN_SECS;

/// ZEGO's longest rule (`EffectiveTime`), seconds.
const MAX_RULE_SECS: i64 = 86_400;
/// How soon a rule refused for the cap (50123) is tried again, seconds.
const RULE_RETRY_SECS: i64 = 600;

/// The user rule a user ban needs: its target.
pub(super) fn rule_target(
    user_id: &str,
    room_id: Option<&str>,
) -> Result<UserRuleTarget, ValidationError> {
    match room_id {
        Some(room) => UserRuleTarget::room_user(room, user_id),
        None => UserRuleTarget::user(user_id),
    }
}

fn privileges(scopes: Scopes) -> Vec<DisabledPrivilege> {
    let mut p = Vec::new();
    if scopes.login {
        p.push(DisabledPrivilege::Login);
    }
    if scopes.publish {
        p.push(DisabledPrivilege::Publish);
    }
    p
}

/// The secs a rule set at `now` should last for bans ending at `ends` (`None`: never).
fn rule_secs(now: i64, ends: Option<i64>) -> i64 {
    ends.map_or(MAX_RULE_SECS, |end| {
        end.saturating_sub(now).clamp(1, MAX_RULE_SECS)
    })
}

fn effective(secs: i64) -> Result<EffectiveTime, ValidationError> {
    EffectiveTime::new(u64::try_from(secs).unwrap_or(1))
}

/// Whether two user bans need the same ZEGO user rule (then the second's scopes).
pub(super) fn same_user_rule(a: &Target, b: &Target) -> Option<Scopes> {
    match (a, b) {
        (
            Target::User {
                user_id: u1,
                room_id: r1,
                ..
            },
            Target::User {
                user_id: u2,
                room_id: r2,
                scopes,
            },
        ) if u1 == u2 && r1 == r2 => Some(*scopes),
        _ => None,
    }
}

/// What still holds a ban whose rule ZEGO refused.
fn other_means(ban: &StoredBan) -> Vec<String> {
    let mut means = Vec::new();
    if !ban.effects.forbidden_streams.is_empty() {
        means.push("stream forbids".to_owned());
    }
    if ban.effects.kicked {
        means.push("kick".to_owned());
    }
    if let Target::User { scopes, .. } = ban.request.target() {
        if scopes.login {
            means.push("token refusal".to_owned());
        }
    }
    means
}

impl<S: Store + ?Sized, C: Caller> Engine<'_, S, C> {
    /// Sets (or renews) the ban's rule for as long as it and every other active ban needing
    /// the same rule still need it (ZEGO keeps the last call), with all their privileges. A
    /// 50123 leaves the ban enforced by its other means and says so. `lifting`: a ban being
    /// lifted, whose needs no longer count.
    pub(super) fn set_rule(
        &self,
        ban: &mut StoredBan,
        lifting: Option<BanId>,
        now: i64,
        ids: &mut RequestIds,
    ) -> Result<(), EngineError> {
        let mut others = self.others(ban.id, now)?;
        others.retain(|o| Some(o.id) != lifting);
        let result = match ban.request.target().clone() {
            Target::User {
                user_id,
                room_id,
                scopes,
            } => {
                let mut union = scopes;
                let mut secs = rule_secs(now, ban.ends_at);
                for o in &others {
                    if let Some(s) = same_user_rule(ban.request.target(), o.request.target()) {
                        union.login |= s.login;
                        union.publish |= s.publish;
                        secs = secs.max(rule_secs(now, o.ends_at));
                    }
                }
                let op = SetForbidUserRule::new(
                    rule_target(&user_id, room_id.as_deref())?,
                    privileges(union),
                    effective(secs)?,
                )?;
                self.call(&op, ids).map(|r| r.expire_time)
            }
            Target::Media {
                room_id,
                stream_id,
                audio,
                video,
            } => {
                let (mut a, mut v, mut secs) = (audio, video, rule_secs(now, ban.ends_at));
                for o in &others {
                    if let Target::Media {
                        room_id: r,
                        stream_id: s,
                        audio: oa,
                        video: ov,
                    } = o.request.target()
                    {
                        if *r == room_id && *s == stream_id {
                            a |= oa;
                            v |= ov;
                            secs = secs.max(rule_secs(now, o.ends_at));
                        }
                    }
                }
                let op = SetForbidStreamRule::new(
                    room_id.as_str(),
                    stream_id.as_str(),
                    MediaBan::from_flags(a, v)?,
                    effective(secs)?,
                )?;
                self.call(&op, ids).map(|()| now.saturating_add(secs))
            }
            Target::Stream { .. } => return Ok(()),
        };
        match result {
            Ok(expires) => {
                let expires = if expires > now {
                    expires
                } else {
                    now.saturating_add(rule_secs(now, ban.ends_at))
                };
                if matches!(ban.request.target(), Target::Media { .. }) {
                    ban.effects.stream_rule = true;
                } else {
                    ban.effects.user_rule = true;
                }
                ban.effects.rule_expires_at = Some(expires);
                ban.enforcement = Enforcement::Full;
                Ok(())
            }
            Err(EngineError::Call { source, .. })
                if source.code() == Some(ReturnCode::TooManyLiveBanRules) =>
            {
                ban.effects.rule_expires_at = None;
                ban.enforcement = Enforcement::WithoutRule {
                    means: other_means(ban),
                };
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Schedules the next renewal (the margin before the rule lapses, or a retry after a
    /// 50123) and the lift at the end.
    pub(super) fn schedule_next(&self, ban: &StoredBan, now: i64) -> Result<(), EngineError> {
        if let Some(end) = ban.ends_at {
            self.store.schedule(ban.id, WorkKind::Lift, end)?;
        }
        let next = match (&ban.enforcement, ban.effects.rule_expires_at) {
            (Enforcement::WithoutRule { .. }, _) => Some(now.saturating_add(RULE_RETRY_SECS)),
            (_, Some(expires)) => Some(
                expires
                    .saturating_sub(RENEWAL_MARGIN_SECS)
                    .max(now.saturating_add(1)),
            ),
            _ => None,
        };
        if let Some(at) = next {
            // No renewal when the ban ends first (the rule was set to end with it).
            if ban
                .ends_at
                .is_none_or(|end| at < end && ban.effects.rule_expires_at.is_none_or(|e| e < end))
            {
                self.store.schedule(ban.id, WorkKind::Renew, at)?;
            }
        }
        Ok(())
    }
}
