//! [`RedisCoordinator`]: admission through Redis, with a circuit breaker and an explicit
//! policy for when Redis cannot answer. The decisions are the failover state machine's
//! (`failover.rs`), the round trips the I/O's (`connection.rs`); this file strings them
//! together for one admission.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use zego_proto::admission::{
    Admission, AdmissionError, AdmissionRequest, Booking, BoxFuture, Coordinator, Feedback,
    LocalCoordinator, RateLimitKey, SequenceGenerator,
};
use zego_proto::clock::{Clock, SystemClock};
use zego_proto::Sequence;

use crate::builder::Settings;
use crate::connection::{ConfigProblem, Failure, RedisIo};
use crate::failover::{Failover, FailurePolicy, Route};
use crate::keys;
use crate::script::{Answer, Invocation, Reply};
use crate::url::{RedisConfigError, RedisUrl};

/// The fleet's admission coordinator: every instance that uses one with the same Redis
/// shares ZEGO's quota per AppId and one `Sequence` order per stream.
///
/// One Lua script per admission (see the crate docs) books the group's next slot and, for
/// sequenced operations, stamps the `Sequence` in the same atomic step. The blocking and
/// the async client each use a multiplexed connection of their own (rebuilt after an
/// error), every reply bounded in time and size; one coordinator serves any number of
/// threads, tasks and tokio runtimes.
///
/// When Redis cannot answer within the timeouts, a circuit breaker opens: for
/// [`RedisCoordinatorBuilder::retry_interval`](crate::RedisCoordinatorBuilder::retry_interval)
/// the [`FailurePolicy`] decides, then Redis is tried again, and the breaker closes on the
/// first answer. The outage and the recovery are each logged once (`tracing` warn / info),
/// with the URL's password removed.
pub struct RedisCoordinator {
    url: RedisUrl,
    settings: Settings,
    io: RedisIo,
    failover: Failover,
    /// Every Sequence this process has seen: the floor of the next one, and the fallback's.
    sequences: Arc<SequenceGenerator>,
    fallback: LocalCoordinator,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for RedisCoordinator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisCoordinator")
            .field("url", &self.url)
            .field("settings", &self.settings)
            .field("circuit_open", &self.is_degraded())
            .finish_non_exhaustive()
    }
}

impl RedisCoordinator {
    pub(crate) fn from_parts(
        url: RedisUrl,
        settings: Settings,
        sequences: Arc<SequenceGenerator>,
        fallback: LocalCoordinator,
    ) -> Self {
        Self {
            io: RedisIo::new(&url, settings.connect_timeout, settings.response_timeout),
            failover: Failover::new(settings.retry_interval, settings.policy),
            url,
            settings,
            sequences,
            fallback,
            clock: Arc::new(SystemClock),
        }
    }

    /// The URL, with its password redacted.
    pub fn redacted_url(&self) -> String {
        self.url.to_string()
    }

    /// Whether the circuit breaker is open (Redis is being bypassed) right now.
    pub fn is_degraded(&self) -> bool {
        self.failover.is_open(self.clock.monotonic())
    }

    fn invocation(&self, request: &AdmissionRequest<'_>) -> Invocation {
        let key = request.key;
        let streams = request.sequence_for;
        let mut keys = vec![keys::rate_limit(&self.settings.key_prefix, key)];
        // A group with a per-room quota books on its calendar, whether or not the request
        // names a room (a raw operation in the group books as the room "").
        let room_spacing = self
            .settings
            .quotas
            .room_spacing(key.group)
            .map(|spacing| (request.room.unwrap_or(""), spacing));
        if let Some((room, _)) = room_spacing {
            keys.push(keys::room(&self.settings.key_prefix, key, room));
            keys.push(keys::calendar(&self.settings.key_prefix, key));
        }
        if let Some(streams) = streams {
            keys.extend(keys::sequences(&self.settings.key_prefix, key, streams));
        }
        let epoch_key = keys::epoch(&self.settings.key_prefix, key);
        let epoch = self.failover.epoch(&epoch_key);
        keys.push(epoch_key);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // < 2e6 µs.
        let interval_us = self
            .settings
            .quotas
            .per_second(key.group, key.environment)
            .map_or(0, |q| {
                (1e6 / (f64::from(q) * self.settings.pacing)).ceil() as u64
            });
        let now_ms = u64::try_from(request.now.as_millis()).unwrap_or(u64::MAX);
        let floor_ms = now_ms.max(self.sequences.last().map_or(0, |s| s.get() + 1));
        Invocation {
            keys,
            interval_us,
            max_wait_us: request
                .max_wait
                .map_or(-1, |w| i64::try_from(w.as_micros()).unwrap_or(i64::MAX)),
            booked: request.booking.is_some(),
            wants_sequence: streams.is_some(),
            floor_ms,
            sequence_ttl_ms: u64::try_from(self.settings.sequence_ttl.as_millis())
                .unwrap_or(u64::MAX),
            min_wait_us: 0,
            room_spacing_us: room_spacing.map_or(0, |(_, spacing)| {
                u64::try_from(spacing.as_micros()).unwrap_or(u64::MAX)
            }),
            epoch,
            lost_guard_us: u64::try_from(
                self.failover
                    .lost_guard(key, self.clock.monotonic())
                    .as_micros(),
            )
            .unwrap_or(u64::MAX),
        }
    }

    /// Turns the script's reply into an admission, recording the stamped sequence; `None`
    /// when the bucket was lost (recorded in the failover state: the caller asks again).
    fn answer(
        &self,
        key: RateLimitKey,
        reply: Reply,
        call: &Invocation,
    ) -> Result<Option<Admission>, redis::RedisError> {
        let epoch_key = call.keys.last().map_or("", String::as_str);
        if reply.0 == 3 {
            let now = self.clock.monotonic();
            self.failover.on_lost_bucket(now, key, epoch_key, reply.4);
            tracing::warn!(
                url = %self.url,
                app_id = %key.app_id,
                "Redis lost the fleet's buckets (flushed, restarted empty, or failed over to a replica without the latest writes): pacing on the local share until the slots booked before have left"
            );
            return Ok(None);
        }
        self.failover.observe_epoch(epoch_key, reply.4);
        let depth = Duration::from_micros(u64::try_from(reply.3).unwrap_or(0));
        self.failover.observe_depth(key, depth);
        let answer = Answer::from_reply(reply, call.wants_sequence).ok_or_else(|| {
            redis::RedisError::from((
                redis::ErrorKind::UnexpectedReturnType,
                "unexpected admission script reply",
            ))
        })?;
        Ok(Some(match answer {
            Answer::Lost => return Ok(None),
            Answer::Go { sequence } => {
                let sequence = sequence.map(Sequence::new);
                if let Some(sequence) = sequence {
                    self.sequences.observe(sequence);
                }
                Admission::Go { sequence }
            }
            Answer::Wait { wait_us } => Admission::Wait {
                delay: Duration::from_micros(wait_us),
                booking: Booking::new(wait_us),
            },
            Answer::Refused { wait_us } => Admission::Refused {
                earliest: Duration::from_micros(wait_us),
            },
        }))
    }

    /// Nothing to ask Redis: an unmetered group and no sequence to stamp.
    fn trivially_admitted(&self, request: &AdmissionRequest<'_>) -> bool {
        request.sequence_for.is_none()
            && (request.booking.is_some()
                || self
                    .settings
                    .quotas
                    .per_second(request.key.group, request.key.environment)
                    .is_none())
    }

    /// Remembers the slot an admission holds.
    fn note(&self, key: RateLimitKey, admission: &Admission) {
        let now = self.clock.monotonic();
        match admission {
            Admission::Go { .. } => self.failover.hold(key, now),
            Admission::Wait { delay, .. } => self.failover.hold(key, now + *delay),
            _ => {}
        }
    }

    /// While settling after a recovery, the wait the local share asks for (Redis then books
    /// the slot no earlier, so it accounts for the time this instance really sends at):
    /// `Err` with the admission to give if the local share refuses.
    fn settling_wait(&self, request: &AdmissionRequest<'_>) -> Result<u64, Admission> {
        if request.booking.is_some() {
            return Ok(0);
        }
        let mut local = *request;
        local.sequence_for = None;
        let wait = match self.fallback.admit(&local) {
            Ok(Admission::Wait { delay, .. }) => delay,
            Ok(refused @ Admission::Refused { .. }) => return Err(refused),
            _ => Duration::ZERO,
        };
        Ok(u64::try_from(wait.as_micros()).unwrap_or(u64::MAX))
    }

    /// What to ask Redis for `request` at `route`: the push-backs of a reconciliation and
    /// the script call, or the admission to give at once.
    fn prepare(
        &self,
        request: &AdmissionRequest<'_>,
        reconcile: bool,
        settling: bool,
    ) -> Result<(Vec<(String, u64)>, Invocation), Admission> {
        let mut call = self.invocation(request);
        if settling {
            call.min_wait_us = self.settling_wait(request)?;
        }
        // After an outage, before Redis admits again: push each group's Redis slot past the
        // slots this instance booked locally meanwhile.
        let push_backs = if reconcile {
            self.failover
                .push_backs(self.clock.monotonic())
                .into_iter()
                .map(|(key, wait)| {
                    (
                        keys::rate_limit(&self.settings.key_prefix, key),
                        u64::try_from(wait.as_micros()).unwrap_or(u64::MAX),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok((push_backs, call))
    }

    /// The admission once Redis answered (or failed to): an outage goes to the failure
    /// policy, a configuration error to the caller; `None` when the bucket was lost (ask
    /// again: the failover state now pushes back and settles).
    fn finish(
        &self,
        request: &AdmissionRequest<'_>,
        reply: Result<Reply, Failure>,
        call: &Invocation,
    ) -> Result<Option<Admission>, AdmissionError> {
        let admission = reply.and_then(|reply| {
            self.answer(request.key, reply, call)
                .map_err(Failure::Outage)
        });
        match self.record(admission) {
            Ok(Some(Some(admission))) => {
                self.note(request.key, &admission);
                Ok(Some(admission))
            }
            Ok(Some(None)) => Ok(None),
            Ok(None) => self.degraded(request, self.settings.policy).map(Some),
            Err(config) => Err(AdmissionError::new(config.to_string())),
        }
    }

    /// The answer while Redis cannot give one.
    fn degraded(
        &self,
        request: &AdmissionRequest<'_>,
        policy: FailurePolicy,
    ) -> Result<Admission, AdmissionError> {
        match policy {
            FailurePolicy::LocalShare => {
                let admission = self.fallback.admit(request)?;
                self.note(request.key, &admission);
                Ok(admission)
            }
            FailurePolicy::FailClosed => Err(AdmissionError::new(format!(
                "Redis at {} is unreachable and the failure policy is fail-closed",
                self.url
            ))),
            FailurePolicy::FailOpen => {
                let now_ms = u64::try_from(request.now.as_millis()).unwrap_or(u64::MAX);
                Ok(Admission::Go {
                    sequence: request.sequence_for.map(|_| self.sequences.next(now_ms)),
                })
            }
        }
    }

    /// Records Redis's answer or failure in the failover state, logging each transition
    /// once: `Ok(None)` for an outage, `Err` for a configuration error (not an outage: the
    /// failover state is left as it is).
    fn record<T>(&self, result: Result<T, Failure>) -> Result<Option<T>, RedisConfigError> {
        let now = self.clock.monotonic();
        match result {
            Ok(value) => {
                if self.failover.on_answer(now) {
                    tracing::info!(url = %self.url, "Redis answers again: the fleet shares its quota again");
                }
                Ok(Some(value))
            }
            Err(Failure::Config(problem, error)) => Err(self.config_error(problem, &error)),
            Err(Failure::Outage(error)) => {
                if let Some(holds) = self.failover.on_failure(now) {
                    for (key, until) in holds {
                        self.fallback.hold_until(key, until);
                    }
                    tracing::warn!(
                        url = %self.url,
                        error = %self.url.scrub(&error.to_string()),
                        policy = ?self.settings.policy,
                        "Redis is unreachable: admitting by the failure policy until it answers"
                    );
                }
                Ok(None)
            }
        }
    }

    fn config_error(&self, problem: ConfigProblem, error: &redis::RedisError) -> RedisConfigError {
        self.url.config_error(problem, error)
    }

    /// Connects now and checks the configuration: a wrong password or user, a missing ACL
    /// permission, or an address where something other than Redis answers is an error; an
    /// unreachable or slow Redis is not (it is an outage: the circuit opens and the failure
    /// policy admits until Redis answers). Blocking, within the connect and response
    /// timeouts. [`RedisCoordinatorBuilder::connect`](crate::RedisCoordinatorBuilder::connect)
    /// builds and checks in one step.
    ///
    /// The same errors are found by every admission too (a password changed mid-run): the
    /// call then fails with `CallErrorKind::Admission` naming the problem, and nothing is
    /// sent.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_redis::RedisCoordinator;
    /// // Nothing listens on port 1: an outage, not a configuration error.
    /// let coordinator = RedisCoordinator::builder("redis://127.0.0.1:1/")?
    ///     .connect_timeout(Duration::from_millis(100))
    ///     .build();
    /// assert!(coordinator.check().is_ok());
    /// assert!(coordinator.is_degraded());
    /// # Ok::<(), zego_redis::RedisConfigError>(())
    /// ```
    pub fn check(&self) -> Result<(), RedisConfigError> {
        self.record(self.io.check_sync()).map(drop)
    }

    fn penalty_us(&self) -> u64 {
        u64::try_from(self.settings.penalty.as_micros()).unwrap_or(u64::MAX)
    }

    fn bypassed(&self) -> bool {
        self.failover.is_open(self.clock.monotonic())
    }
}

/// How many exchanges one admission makes when Redis reports lost buckets: the first finds
/// the loss, the second books after the push-backs; a third loss in a row (Redis flushed
/// again meanwhile) admits on the local share.
const LOST_BUCKET_ATTEMPTS: usize = 2;

/// What one admission does next. Both [`Coordinator::admit`] and
/// [`Coordinator::admit_async`] drive the same steps and differ only in how they wait for
/// Redis's reply, so the route, the lost-bucket retries and the failure policy are decided
/// here once, without I/O.
enum Step {
    /// Send this exchange to Redis and pass its reply to [`RedisCoordinator::resume`].
    Ask(Exchange),
    /// The admission's answer.
    Done(Result<Admission, AdmissionError>),
}

/// One exchange to send: the push-backs of a reconciliation, then the admission script.
struct Exchange {
    /// How many exchanges this admission made before it (each found a lost bucket).
    attempt: usize,
    push_backs: Vec<(String, u64)>,
    call: Arc<Invocation>,
}

impl RedisCoordinator {
    /// The first step of an admission.
    fn start(&self, request: &AdmissionRequest<'_>) -> Step {
        if self.trivially_admitted(request) {
            return Step::Done(Ok(Admission::Go { sequence: None }));
        }
        self.attempt(request, 0)
    }

    /// The exchange numbered `attempt` (from 0), or the answer without one: the failure
    /// policy while the circuit is open, the local share once lost buckets were found
    /// [`LOST_BUCKET_ATTEMPTS`] times in a row.
    fn attempt(&self, request: &AdmissionRequest<'_>, attempt: usize) -> Step {
        if attempt >= LOST_BUCKET_ATTEMPTS {
            return Step::Done(self.degraded(request, FailurePolicy::LocalShare));
        }
        let (reconcile, settling) = match self.failover.route(self.clock.monotonic()) {
            Route::Degraded(policy) => return Step::Done(self.degraded(request, policy)),
            Route::Redis {
                reconcile,
                settling,
            } => (reconcile, settling),
        };
        match self.prepare(request, reconcile, settling) {
            Ok((push_backs, call)) => Step::Ask(Exchange {
                attempt,
                push_backs,
                call: Arc::new(call),
            }),
            Err(admission) => Step::Done(Ok(admission)),
        }
    }

    /// The step after exchange `attempt` got `reply`: the answer, or (a lost bucket: the
    /// failover state now pushes back and settles) the next exchange.
    fn resume(
        &self,
        request: &AdmissionRequest<'_>,
        attempt: usize,
        call: &Invocation,
        reply: Result<Reply, Failure>,
    ) -> Step {
        match self.finish(request, reply, call) {
            Ok(Some(admission)) => Step::Done(Ok(admission)),
            Ok(None) => self.attempt(request, attempt + 1),
            Err(error) => Step::Done(Err(error)),
        }
    }
}

impl Coordinator for RedisCoordinator {
    /// The fleet's quota (raised ones included): a bulk run sizes its batches in flight to
    /// it, and the shared bucket in Redis keeps the fleet under it.
    fn quota_per_second(&self, key: RateLimitKey) -> Option<u32> {
        self.settings.quotas.per_second(key.group, key.environment)
    }

    fn admit(&self, request: &AdmissionRequest<'_>) -> Result<Admission, AdmissionError> {
        let mut step = self.start(request);
        loop {
            match step {
                Step::Done(answer) => return answer,
                Step::Ask(Exchange {
                    attempt,
                    push_backs,
                    call,
                }) => {
                    let reply = self.io.admit_sync(push_backs, Arc::clone(&call));
                    step = self.resume(request, attempt, &call, reply);
                }
            }
        }
    }

    fn feedback(&self, feedback: &Feedback) {
        let Feedback::RateLimited { key, .. } = feedback else {
            return;
        };
        self.fallback.feedback(feedback);
        if self.bypassed() {
            return;
        }
        let group_key = keys::rate_limit(&self.settings.key_prefix, *key);
        let result = self.io.push_back_sync(group_key, self.penalty_us());
        // A configuration error shows in the next admission.
        let _ = self.record(result);
    }

    fn admit_async<'a>(
        &'a self,
        request: &'a AdmissionRequest<'a>,
    ) -> BoxFuture<'a, Result<Admission, AdmissionError>> {
        Box::pin(async move {
            let mut step = self.start(request);
            loop {
                match step {
                    Step::Done(answer) => return answer,
                    Step::Ask(Exchange {
                        attempt,
                        push_backs,
                        call,
                    }) => {
                        let reply = self.io.admit_async(push_backs, Arc::clone(&call)).await;
                        step = self.resume(request, attempt, &call, reply);
                    }
                }
            }
        })
    }

    fn feedback_async<'a>(&'a self, feedback: &'a Feedback) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let Feedback::RateLimited { key, .. } = feedback else {
                return;
            };
            self.fallback.feedback(feedback);
            if self.bypassed() {
                return;
            }
            let group_key = keys::rate_limit(&self.settings.key_prefix, *key);
            let result = self.io.push_back_async(group_key, self.penalty_us()).await;
            // A configuration error shows in the next admission.
            let _ = self.record(result);
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, Quotas, RateLimitKey};
    use zego_proto::ops::RateLimitGroup;
    use zego_proto::{AppId, Environment};

    use super::{RedisCoordinator, Step};
    use crate::connection::Failure;
    use crate::script::Reply;

    fn forbid() -> RateLimitKey {
        RateLimitKey {
            app_id: AppId::new(1),
            environment: Environment::Production,
            group: RateLimitGroup::StreamForbid,
        }
    }

    /// The steps both paths drive, without Redis (building connects nothing): a lost
    /// bucket asks once more, settling, with the new epoch; a second loss in a row admits
    /// on the local share; an answer admits; an outage answers by the failure policy.
    #[test]
    fn one_admissions_steps_are_decided_without_io() {
        let coordinator = RedisCoordinator::builder("redis://127.0.0.1:1")
            .unwrap()
            .fleet_size(2)
            .build();
        let streams = vec!["s1".to_owned()];
        let request =
            AdmissionRequest::new(forbid(), Duration::from_secs(1_000)).with_sequence_for(&streams);
        let lost: Reply = (3, 0, 0, 0, 77);

        let Step::Ask(first) = coordinator.start(&request) else {
            panic!("the first step asks Redis");
        };
        assert_eq!((first.attempt, first.call.epoch), (0, 0));
        let Step::Ask(second) = coordinator.resume(&request, 0, &first.call, Ok(lost)) else {
            panic!("a lost bucket asks again");
        };
        assert_eq!(second.attempt, 1);
        assert_eq!(second.call.epoch, 77, "the epoch the loss showed");
        let Step::Done(answer) = coordinator.resume(&request, 1, &second.call, Ok(lost)) else {
            panic!("a second loss in a row answers");
        };
        assert!(
            matches!(
                answer,
                Ok(Admission::Go { sequence: Some(_) } | Admission::Wait { .. })
            ),
            "admitted on the local share: {answer:?}"
        );

        let Step::Ask(third) = coordinator.start(&request) else {
            panic!("asks Redis while settling");
        };
        let go: Reply = (0, 0, 1_000_001, 0, 77);
        let Step::Done(answer) = coordinator.resume(&request, 0, &third.call, Ok(go)) else {
            panic!("an answer admits");
        };
        assert_eq!(
            answer.unwrap(),
            Admission::Go {
                sequence: Some(zego_proto::Sequence::new(1_000_001))
            }
        );

        let Step::Ask(fourth) = coordinator.start(&request) else {
            panic!("asks Redis");
        };
        let outage = Failure::Outage(redis::RedisError::from((redis::ErrorKind::Io, "down")));
        let Step::Done(answer) = coordinator.resume(&request, 0, &fourth.call, Err(outage)) else {
            panic!("an outage answers by the policy");
        };
        assert!(answer.is_ok(), "the local share admits: {answer:?}");
        assert!(coordinator.is_degraded());
        assert!(
            matches!(coordinator.start(&request), Step::Done(Ok(_))),
            "the open circuit answers without asking Redis"
        );
        let unmetered = RateLimitKey {
            group: RateLimitGroup::Unmetered,
            ..forbid()
        };
        assert!(matches!(
            RedisCoordinator::builder("redis://127.0.0.1:1")
                .unwrap()
                .build()
                .start(&AdmissionRequest::new(unmetered, Duration::ZERO)),
            Step::Done(Ok(Admission::Go { sequence: None }))
        ));
    }

    /// A bulk run sizes its batches in flight to the quota the coordinator answers: the
    /// fleet's, raised ones included (building connects nothing, so no Redis is needed).
    #[test]
    fn the_quota_answered_is_the_fleets_raised_one() {
        let key = |group| RateLimitKey {
            app_id: AppId::new(1),
            environment: Environment::Production,
            group,
        };
        let raised =
            Quotas::default().with(RateLimitGroup::StreamForbid, Environment::Production, 500);
        let coordinator = RedisCoordinator::builder("redis://127.0.0.1:1")
            .unwrap()
            .fleet_size(4)
            .quotas(raised)
            .build();
        assert_eq!(
            coordinator.quota_per_second(key(RateLimitGroup::StreamForbid)),
            Some(500)
        );
        assert_eq!(
            coordinator.quota_per_second(key(RateLimitGroup::Rules)),
            Some(10)
        );
        assert_eq!(
            coordinator.quota_per_second(key(RateLimitGroup::Unmetered)),
            None
        );
    }
}
