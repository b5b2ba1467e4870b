//! What the extractor needs from the application's state.

use std::fmt;
use std::sync::Arc;

use zego_callback::{CallbackSecret, CallbackVerifier};
use zego_proto::clock::{Clock, SystemClock};

/// The verifier (CallbackSecret and replay cache) and the clock the [`ZegoCallback`]
/// extractor uses; cheap to clone (both are shared).
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use zego_axum::CallbackConfig;
/// use zego_callback::CallbackSecret;
/// use zego_proto::clock::ManualClock;
///
/// let config = CallbackConfig::new(CallbackSecret::new("my-callback-secret")?)
///     .clock(Arc::new(ManualClock::new(Duration::from_secs(1_700_000_000))));
/// assert!(!format!("{config:?}").contains("my-callback-secret"));
/// # Ok::<(), zego_callback::CallbackSecretError>(())
/// ```
///
/// [`ZegoCallback`]: crate::ZegoCallback
#[derive(Clone)]
pub struct CallbackConfig {
    verifier: Arc<CallbackVerifier>,
    clock: Arc<dyn Clock>,
}

impl CallbackConfig {
    /// A configuration verifying with `secret` (the CallbackSecret, not the ServerSecret),
    /// with the default replay cache and the system clock.
    pub fn new(secret: CallbackSecret) -> Self {
        Self::from_verifier(CallbackVerifier::new(secret))
    }

    /// A configuration around a verifier set up by hand (its replay cache).
    pub fn from_verifier(verifier: CallbackVerifier) -> Self {
        Self {
            verifier: Arc::new(verifier),
            clock: Arc::new(SystemClock),
        }
    }

    /// Reads the time from `clock` instead of the system's (tests).
    #[must_use]
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The verifier: e.g. to [`forget`](CallbackVerifier::forget) a delivery whose handling
    /// failed, so that ZEGO's retry of it is processed.
    pub fn verifier(&self) -> &CallbackVerifier {
        &self.verifier
    }

    /// The current Unix time in seconds, by the configured clock.
    pub(crate) fn now_unix_secs(&self) -> u64 {
        self.clock.unix_time().as_secs()
    }
}

impl fmt::Debug for CallbackConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackConfig")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}
