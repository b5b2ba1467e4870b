//! The circuit breaker: after a failure Redis is bypassed for a retry interval, then tried
//! again; the first answer closes it. Time is a monotonic reading passed in.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

#[derive(Debug, Default)]
struct State {
    /// Bypass Redis until this monotonic time.
    open_until: Option<Duration>,
    /// Whether an outage is in progress (logged once, until the next answer).
    outage: bool,
}

#[derive(Debug)]
pub(crate) struct Breaker {
    retry_interval: Duration,
    state: Mutex<State>,
}

impl Breaker {
    pub(crate) fn new(retry_interval: Duration) -> Self {
        Self {
            retry_interval,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether Redis is to be bypassed at `now`.
    pub(crate) fn is_open(&self, now: Duration) -> bool {
        self.lock().open_until.is_some_and(|until| now < until)
    }

    /// Whether an outage is in progress (open, or half-open and not yet answered).
    pub(crate) fn in_outage(&self) -> bool {
        self.lock().outage
    }

    /// Records a failure at `now`; true when it starts an outage (to log once).
    pub(crate) fn open(&self, now: Duration) -> bool {
        let mut state = self.lock();
        state.open_until = Some(now + self.retry_interval);
        !std::mem::replace(&mut state.outage, true)
    }

    /// Records an answer; true when it ends an outage.
    pub(crate) fn close(&self) -> bool {
        let mut state = self.lock();
        state.open_until = None;
        std::mem::replace(&mut state.outage, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_for_the_interval_and_reports_each_transition_once() {
        let b = Breaker::new(Duration::from_secs(1));
        assert!(!b.is_open(Duration::ZERO));
        assert!(b.open(Duration::ZERO));
        assert!(!b.open(Duration::from_millis(10)), "one outage, one report");
        assert!(b.is_open(Duration::from_millis(500)));
        assert!(
            !b.is_open(Duration::from_millis(1011)),
            "half-open: try Redis again"
        );
        assert!(b.close());
        assert!(!b.close());
        assert!(
            b.open(Duration::from_secs(5)),
            "a new outage is reported again"
        );
    }
}
