//! The options of one call (`CallOptions`) and the cancel token that stops calls.

use std::sync::Arc;
use std::time::Duration;

use crate::retry::RetryPolicy;

/// Options of one call, overriding the client's.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::{CallOptions, retry::RetryPolicy};
/// let urgent = CallOptions::new()
///     .with_retry_policy(RetryPolicy::never())
///     .with_deadline(Duration::from_secs(2));
/// assert_eq!(urgent.deadline, Some(Duration::from_secs(2)));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Default)]
pub struct CallOptions {
    /// Another retry policy for this call.
    pub retry_policy: Option<RetryPolicy>,
    /// Another total deadline for this call, from its start: waits for a rate-limit slot,
    /// backoffs and every attempt included. A call whose next slot is beyond it fails at
    /// once with [`CallErrorKind::NotAdmittedInTime`](crate::CallErrorKind::NotAdmittedInTime).
    pub deadline: Option<Duration>,
    /// The longest this call may wait for a rate-limit slot, each time it asks (default:
    /// the client's [`ClientBuilder::max_wait`](crate::driver::ClientBuilder::max_wait)).
    /// A slot further away fails the call at once with
    /// [`CallErrorKind::NotAdmittedInTime`](crate::CallErrorKind::NotAdmittedInTime).
    pub max_wait: Option<Duration>,
    /// Stops the call before its next request is sent (it ends with
    /// [`CallErrorKind::Cancelled`](crate::CallErrorKind::Cancelled)); a request already out is answered first.
    pub cancel: Option<CancelToken>,
}

/// A flag that stops calls before their next request (e.g. on Ctrl-C). Cheap to clone;
/// clones share the flag.
///
/// ```
/// use zego_proto::CancelToken;
/// let token = CancelToken::new();
/// let seen_by_a_call = token.clone();
/// token.cancel();
/// assert!(seen_by_a_call.is_cancelled());
/// ```
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<std::sync::atomic::AtomicBool>);

impl CancelToken {
    /// A token not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels every call holding a clone of this token.
    pub fn cancel(&self) {
        self.0.store(true, std::sync::atomic::Ordering::Release);
    }

    /// Whether [`CancelToken::cancel`] was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The flag itself, e.g. for `signal_hook::flag::register`.
    pub fn flag(&self) -> &Arc<std::sync::atomic::AtomicBool> {
        &self.0
    }
}

impl CallOptions {
    pub(super) const DEFAULT: Self = Self {
        retry_policy: None,
        deadline: None,
        max_wait: None,
        cancel: None,
    };

    /// No overrides.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this retry policy.
    #[must_use]
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = Some(policy);
        self
    }

    /// Uses this deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Waits at most `max_wait` for a rate-limit slot.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::CallOptions;
    /// let impatient = CallOptions::new().with_max_wait(Duration::from_millis(500));
    /// assert_eq!(impatient.max_wait, Some(Duration::from_millis(500)));
    /// ```
    #[must_use]
    pub fn with_max_wait(mut self, max_wait: Duration) -> Self {
        self.max_wait = Some(max_wait);
        self
    }

    /// Stops the call when `token` is cancelled.
    #[must_use]
    pub fn with_cancel(mut self, token: CancelToken) -> Self {
        self.cancel = Some(token);
        self
    }
}
