//! Callbacks as a shortcut (a module of the engine): the engine records ZEGO's stream
//! callbacks in its [`Sightings`], forbids at once a `stream_create` that an active ban
//! covers; `streams.rs` takes a room's streams from the sightings instead of listing the
//! room when they are complete.

use zego_callback::{CallbackEvent, StreamCreate};
use zego_proto::ops::{ForbidRtcStreams, ResumeRtcStreams};

use super::{Caller, Engine, EngineError, RequestIds};
use crate::ban::Target;
use crate::sightings::Sightings;
use crate::store::{AuditEntry, BanId, Store, StoredBan};

/// What [`Engine::on_stream_event`] did about a `stream_create` that active bans cover: it
/// forbade the stream (`ForbidRTCStreams`) and recorded it in each ban's
/// [`Effects`](crate::Effects), so each ban's lift resumes it (unless another ban still
/// holds it).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackForbid {
    /// The stream forbidden.
    pub stream_id: String,
    /// The bans that cover it.
    pub bans: Vec<BanId>,
    /// ZEGO's RequestIds of the forbid.
    pub request_ids: Vec<String>,
}

/// Whether an active ban covers a new stream: a user ban whose scopes include publish, in
/// the stream's room or app-wide, on its publisher; or a stream ban on its ID.
fn covers(ban: &StoredBan, created: &StreamCreate) -> bool {
    match ban.request.target() {
        Target::User {
            user_id,
            room_id,
            scopes,
        } => {
            scopes.publish
                && *user_id == created.user_id
                && room_id.as_ref().is_none_or(|room| *room == created.room_id)
        }
        Target::Stream { stream_id } => *stream_id == created.stream_id,
        Target::Media { .. } => false,
    }
}

impl<'a, S: Store + ?Sized, C: Caller> Engine<'a, S, C> {
    /// Uses `sightings` (shared by the callback handler and the workers of this process):
    /// [`Engine::on_stream_event`] records into them, and applying a user ban in a room
    /// takes the user's streams from them instead of `DescribeSimpleStreamList` when the
    /// room's sightings are complete (see [`Sightings`]); every listing the engine still
    /// makes is recorded as the room's new baseline. Without sightings (or with incomplete
    /// ones) the room is listed, as before.
    ///
    /// ```
    /// use zego_moderation::{Engine, Sightings, SqliteStore};
    /// use zego_proto::{Credentials, Endpoint};
    /// let sim = zego_sim::Simulator::builder().app(1, "secret").start()?;
    /// let client = zego_transport_blocking::Client::builder(Credentials::new(1u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let store = SqliteStore::open_in_memory()?;
    /// let sightings = Sightings::new();
    /// let engine = Engine::new(&client, &store, "worker-1").sightings(&sightings);
    /// assert_eq!(engine.tick()?.done, 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn sightings(mut self, sightings: &'a Sightings) -> Self {
        self.sightings = Some(sightings);
        self
    }

    /// Handles a verified stream callback (`zego_callback::CallbackVerifier`, or the
    /// `zego_axum::ZegoCallback` extractor): records it in the engine's [`Sightings`], if
    /// any, and, for a `stream_create` that an active ban covers — a user ban whose scopes
    /// include publish, in that room or app-wide, or a ban of that stream ID — forbids the
    /// stream at once (`ForbidRTCStreams`), records it in every such ban's effects (so a
    /// lift resumes it) and audits `forbid_on_callback` with the RequestId. `Ok(None)`:
    /// nothing to forbid (another event, another app's callback, no ban covers it).
    ///
    /// A failed forbid is audited for each ban and returned: answer the callback with a
    /// 5xx (and `forget` the delivery in the verifier) so that ZEGO delivers it again.
    /// The callback body is not signed (see [`Sightings`]): a forged `stream_create` that
    /// names a banned user can get the stream it names forbidden until the ban ends — a
    /// shared replay cache limits that to a delivery captured and beaten to the receiver.
    ///
    /// Wired into an axum handler: `examples/ban_callbacks.rs` (run on a blocking thread,
    /// as the engine uses the blocking client).
    ///
    /// ```
    /// use zego_callback::{callback_signature, CallbackSecret, CallbackVerifier};
    /// use zego_moderation::{Engine, Sightings, SqliteStore};
    /// use zego_proto::{Credentials, Endpoint};
    /// let sim = zego_sim::Simulator::builder().app(1, "secret").start()?;
    /// let client = zego_transport_blocking::Client::builder(Credentials::new(1u32, "secret")?)
    ///     .endpoint(Endpoint::custom(&sim.base_url())?)
    ///     .build();
    /// let (store, sightings) = (SqliteStore::open_in_memory()?, Sightings::new());
    /// let engine = Engine::new(&client, &store, "worker-1").sightings(&sightings);
    ///
    /// let now = engine.now();
    /// let signature = callback_signature("cb-secret", &now.to_string(), "1");
    /// let body = format!(r#"{{"event":"stream_create","appid":"1","timestamp":"{now}",
    ///     "nonce":"1","signature":"{signature}","room_id":"room1","user_id":"alice","stream_id":"s-1"}}"#);
    /// let verifier = CallbackVerifier::new(CallbackSecret::new("cb-secret")?);
    /// let event = verifier.verify(body.as_bytes(), None, u64::try_from(now)?)?;
    /// assert_eq!(engine.on_stream_event(&event)?, None); // nobody is banned
    /// assert_eq!(sightings.len(), 2); // the room and its stream
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_stream_event(
        &self,
        event: &CallbackEvent,
    ) -> Result<Option<CallbackForbid>, EngineError> {
        let my_app = self.client.core().credentials().app_id().get();
        if event.header().app_id().is_some_and(|app| app != my_app) {
            return Ok(None);
        }
        let now = self.now();
        if let Some(sightings) = self.sightings {
            sightings.record(event, now);
        }
        let CallbackEvent::StreamCreate(created) = event else {
            return Ok(None);
        };
        let bans: Vec<StoredBan> = self
            .store
            .unlifted_bans()?
            .into_iter()
            .filter(|b| b.is_active_at(now) && covers(b, created))
            .collect();
        if bans.is_empty() {
            return Ok(None);
        }
        let mut ids = RequestIds::new();
        let forbidden = ForbidRtcStreams::new([created.stream_id.as_str()])
            .map_err(EngineError::from)
            .and_then(|op| self.call(&op, &mut ids));
        let outcome = match &forbidden {
            Ok(()) => "ok".to_owned(),
            Err(e) => e.to_string(),
        };
        let mut covered = Vec::with_capacity(bans.len());
        for ban in &bans {
            if forbidden.is_ok() {
                // Read again (the enforcement is last-writer's: keep it current); the store
                // merges the stream into whatever effects a worker writes meanwhile.
                let mut fresh = self.store.ban(ban.id)?;
                if !fresh.effects.forbidden_streams.contains(&created.stream_id) {
                    fresh
                        .effects
                        .forbidden_streams
                        .push(created.stream_id.clone());
                }
                if !self.store.update_ban(&mut fresh)? {
                    // Lifted meanwhile: its lift did not know this stream; another ban
                    // covering it keeps it, else nothing would resume it.
                    continue;
                }
            }
            covered.push(ban.id);
            self.audit_callback(ban, created, now, ids.clone(), &outcome)?;
        }
        forbidden?;
        if covered.is_empty() {
            // Every covering ban was lifted while the forbid was sent: undo it.
            self.call(
                &ResumeRtcStreams::new([created.stream_id.as_str()])?,
                &mut ids,
            )?;
            return Ok(None);
        }
        Ok(Some(CallbackForbid {
            stream_id: created.stream_id.clone(),
            bans: covered,
            request_ids: ids,
        }))
    }

    /// The audit entry of a forbid on callback: the ban's user (if a user ban) and the
    /// stream forbidden.
    fn audit_callback(
        &self,
        ban: &StoredBan,
        created: &StreamCreate,
        now: i64,
        request_ids: RequestIds,
        outcome: &str,
    ) -> Result<(), EngineError> {
        let user_id = match ban.request.target() {
            Target::User { user_id, .. } => Some(user_id.clone()),
            _ => None,
        };
        self.store.append_audit(&AuditEntry {
            at: now,
            ban: ban.id,
            action: "forbid_on_callback".to_owned(),
            actor: ban.request.actor().to_owned(),
            reason: ban.request.reason().to_owned(),
            user_id,
            stream_id: Some(created.stream_id.clone()),
            request_ids,
            outcome: outcome.to_owned(),
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use zego_callback::CallbackEvent;

    use super::covers;
    use crate::ban::{BanDuration, BanRequest, Scopes, Target};
    use crate::sightings::test_event;
    use crate::store::{BanId, Effects, Enforcement, StoredBan};

    fn stored(target: Target) -> StoredBan {
        StoredBan {
            id: BanId(1),
            request: BanRequest::new(target, BanDuration::For(Duration::from_secs(60)), "r", "a")
                .unwrap(),
            created_at: 0,
            ends_at: Some(60),
            enforcement: Enforcement::Full,
            effects: Effects::default(),
        }
    }

    fn user(room: Option<&str>, login: bool, publish: bool) -> StoredBan {
        stored(Target::User {
            user_id: "troll".into(),
            room_id: room.map(str::to_owned),
            scopes: Scopes { login, publish },
        })
    }

    #[test]
    fn a_ban_covers_a_new_stream_by_publisher_scope_room_or_stream_id() {
        let CallbackEvent::StreamCreate(created) =
            test_event("stream_create", "1", "room1", "troll", "s1")
        else {
            panic!("not a stream_create");
        };
        assert!(covers(&user(Some("room1"), true, true), &created));
        assert!(covers(&user(None, false, true), &created), "app-wide");
        assert!(
            !covers(&user(Some("room2"), true, true), &created),
            "another room"
        );
        assert!(
            !covers(&user(Some("room1"), true, false), &created),
            "login only"
        );
        let stream = |id: &str| {
            stored(Target::Stream {
                stream_id: id.into(),
            })
        };
        assert!(covers(&stream("s1"), &created));
        assert!(!covers(&stream("s2"), &created));
        let media = stored(Target::Media {
            room_id: "room1".into(),
            stream_id: "s1".into(),
            audio: true,
            video: false,
        });
        assert!(
            !covers(&media, &created),
            "a stream rule covers it at ZEGO already"
        );
    }
}
