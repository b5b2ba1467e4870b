//! SIGINT / SIGTERM during a bulk run: the first one stops the run (no new batch starts,
//! requests out are answered); the summary is printed when the run returns, or after the
//! grace period if requests are still out; the process exits 128 + the signal.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};
use zego_proto::CancelToken;

/// The signals being watched for one run.
pub struct Interrupts {
    int: Arc<AtomicBool>,
    term: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
}

impl Interrupts {
    /// Watches SIGINT and SIGTERM: the first cancels `token`, and `on_grace_expired` runs if
    /// the run has not finished `grace` later (it prints the summary and exits).
    pub fn watch(
        token: &CancelToken,
        grace: Duration,
        on_grace_expired: impl FnOnce(i32) + Send + 'static,
    ) -> Self {
        let int = Arc::new(AtomicBool::new(false));
        let term = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicBool::new(false));
        for (signal, flag) in [(SIGINT, &int), (SIGTERM, &term)] {
            if let Err(e) = signal_hook::flag::register(signal, Arc::clone(flag)) {
                tracing::warn!(error = %e, signal, "cannot watch the signal");
            }
        }
        let (int_w, term_w, done_w, token) = (
            Arc::clone(&int),
            Arc::clone(&term),
            Arc::clone(&done),
            token.clone(),
        );
        std::thread::spawn(move || {
            let signal = loop {
                if done_w.load(Ordering::Acquire) {
                    return;
                }
                if int_w.load(Ordering::Acquire) {
                    break SIGINT;
                }
                if term_w.load(Ordering::Acquire) {
                    break SIGTERM;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            token.cancel();
            let deadline = std::time::Instant::now() + grace;
            while std::time::Instant::now() < deadline {
                if done_w.load(Ordering::Acquire) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            if !done_w.load(Ordering::Acquire) {
                on_grace_expired(signal);
            }
        });
        Self { int, term, done }
    }

    /// The signal that stopped the run, if one did; stops watching.
    pub fn finish(self) -> Option<i32> {
        self.done.store(true, Ordering::Release);
        if self.int.load(Ordering::Acquire) {
            Some(SIGINT)
        } else if self.term.load(Ordering::Acquire) {
            Some(SIGTERM)
        } else {
            None
        }
    }
}
