//! The delivery queue and the one background thread that works it.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::event::Event;
use super::sign::signature;
use super::{CallbackAttempt, CallbackOutcome, CALLBACK_LOG_CAPACITY, RETRY_DELAYS_SECS};
use crate::clock::SimClock;

/// How often the worker looks at the clock while a delivery waits: a manual clock does not
/// announce that it moved, so a retry becomes due within this much real time of the advance.
const POLL: Duration = Duration::from_millis(10);

/// A CallbackSecret: never printed.
#[derive(Clone)]
pub(crate) struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where and how to deliver.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub url: String,
    pub secret: Secret,
    /// The real-time bound of one attempt.
    pub timeout: Duration,
}

/// One callback on its way: the body is signed once and resent as is.
struct Delivery {
    event: &'static str,
    stream_id: String,
    nonce: String,
    body: String,
    /// Attempts made so far.
    attempts: u32,
    /// When the next attempt is due (simulator clock, Unix ms).
    due_ms: i64,
    /// Arrival order, so that deliveries due at the same time go out in order.
    order: u64,
}

#[derive(Default)]
struct Queue {
    pending: Vec<Delivery>,
    next_order: u64,
    stop: bool,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    log: Mutex<VecDeque<CallbackAttempt>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The simulator's callback sender: [`Callbacks::send`] signs and queues (it never blocks
/// on the network); the worker thread delivers.
pub(crate) struct Callbacks {
    shared: Arc<Shared>,
    secret: Secret,
    clock: SimClock,
    nonces: Mutex<ChaCha8Rng>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Callbacks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callbacks").finish_non_exhaustive()
    }
}

impl Callbacks {
    /// Starts the worker thread.
    pub fn start(settings: Settings, clock: SimClock, seed: u64) -> std::io::Result<Self> {
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue::default()),
            wake: Condvar::new(),
            log: Mutex::new(VecDeque::new()),
        });
        let secret = settings.secret.clone();
        let worker = Worker {
            shared: shared.clone(),
            clock: clock.clone(),
            agent: agent(settings.timeout),
            url: settings.url,
        };
        let thread = std::thread::Builder::new()
            .name("zego-sim-callbacks".into())
            .spawn(move || worker.run())?;
        Ok(Self {
            shared,
            secret,
            clock,
            nonces: Mutex::new(ChaCha8Rng::seed_from_u64(seed ^ 0xca11_bac4_5eed_0001)),
            thread: Mutex::new(Some(thread)),
        })
    }

    /// Signs `event` now (simulator clock, a fresh nonce) and queues it for delivery.
    pub fn send(&self, event: &Event) {
        let now_ms = self.clock.now_millis();
        let timestamp = now_ms.div_euclid(1000);
        let nonce = lock(&self.nonces).random::<u64>().to_string();
        let sig = signature(&self.secret.0, &timestamp.to_string(), &nonce);
        let body = event.body(timestamp, &nonce, &sig);
        let mut queue = lock(&self.shared.queue);
        let order = queue.next_order;
        queue.next_order += 1;
        queue.pending.push(Delivery {
            event: event.name(),
            stream_id: event.stream().stream_id.clone(),
            nonce,
            body,
            attempts: 0,
            due_ms: now_ms,
            order,
        });
        self.shared.wake.notify_all();
    }

    /// Every attempt so far (the most recent [`CALLBACK_LOG_CAPACITY`]), oldest first.
    pub fn log(&self) -> Vec<CallbackAttempt> {
        lock(&self.shared.log).iter().cloned().collect()
    }

    /// Stops the worker (deliveries still queued are dropped) and waits for it; idempotent.
    pub fn shutdown(&self) {
        lock(&self.shared.queue).stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = lock(&self.thread).take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Callbacks {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// An HTTP client that reports every status as an answer, follows no redirect and uses no
/// proxy from the environment (a loopback receiver must be reached directly).
fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(timeout))
        .user_agent("zego-sim-callbacks")
        .build()
        .into()
}

struct Worker {
    shared: Arc<Shared>,
    clock: SimClock,
    agent: ureq::Agent,
    url: String,
}

impl Worker {
    fn run(self) {
        while let Some(delivery) = self.next_due() {
            self.attempt(delivery);
        }
    }

    /// Waits for the next due delivery (earliest due, then oldest); `None` once stopped.
    fn next_due(&self) -> Option<Delivery> {
        let mut queue = lock(&self.shared.queue);
        loop {
            if queue.stop {
                return None;
            }
            let now = self.clock.now_millis();
            let due = queue
                .pending
                .iter()
                .enumerate()
                .filter(|(_, d)| d.due_ms <= now)
                .min_by_key(|(_, d)| (d.due_ms, d.order))
                .map(|(i, _)| i);
            if let Some(i) = due {
                return Some(queue.pending.remove(i));
            }
            queue = if queue.pending.is_empty() {
                self.shared
                    .wake
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner)
            } else {
                self.shared
                    .wake
                    .wait_timeout(queue, POLL)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            };
        }
    }

    fn attempt(&self, mut delivery: Delivery) {
        delivery.attempts += 1;
        let time_ms = self.clock.now_millis();
        let started = Instant::now();
        let answer = self
            .agent
            .post(&self.url)
            .header("content-type", "application/json")
            .send(delivery.body.as_bytes());
        let elapsed = started.elapsed();
        let (status, error) = match answer {
            Ok(response) => (Some(response.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let ended_ms = self.clock.now_millis();
        let retry_in = usize::try_from(delivery.attempts - 1)
            .ok()
            .and_then(|i| RETRY_DELAYS_SECS.get(i));
        let outcome = match (status, retry_in) {
            (Some(200..=299), _) => CallbackOutcome::Delivered,
            (_, Some(secs)) => CallbackOutcome::Retrying {
                next_attempt_ms: ended_ms
                    .saturating_add(i64::try_from(secs * 1000).unwrap_or(i64::MAX)),
            },
            (_, None) => CallbackOutcome::Dropped,
        };
        tracing::info!(
            event = delivery.event,
            stream_id = %delivery.stream_id,
            attempt = delivery.attempts,
            status = ?status,
            error = ?error,
            outcome = ?outcome,
            "zego-sim callback"
        );
        let entry = CallbackAttempt {
            event: delivery.event.to_owned(),
            stream_id: delivery.stream_id.clone(),
            nonce: delivery.nonce.clone(),
            attempt: delivery.attempts,
            time_ms,
            status,
            error,
            elapsed,
            outcome: outcome.clone(),
        };
        // Queue the retry before the attempt shows in the log: whoever reads the log and then
        // advances the clock finds the retry already waiting.
        if let CallbackOutcome::Retrying { next_attempt_ms } = outcome {
            delivery.due_ms = next_attempt_ms;
            lock(&self.shared.queue).pending.push(delivery);
        }
        let mut log = lock(&self.shared.log);
        if log.len() >= CALLBACK_LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(entry);
    }
}
