//! What a call tells its client's wait observer ([`ClientBuilder::on_wait`]) before the
//! driver sleeps for a rate limit: how long and why, so that a program (the CLI) can say so
//! instead of stalling silently.
//!
//! [`ClientBuilder::on_wait`]: crate::driver::ClientBuilder::on_wait

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::operation::RateLimitGroup;

/// Why a call is about to wait.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// The client-side quota has no slot sooner (the coordinator's pacing).
    Slot,
    /// ZEGO answered with a rate-limit code (or HTTP 429): the call backs off, then waits
    /// for a slot, then retries (both waits are reported with this reason).
    RateLimitAnswer {
        /// The `Code` of the answer (e.g. 207 for a room's quota), or the HTTP status 429.
        code: i64,
    },
}

/// A wait for a rate limit, reported before the driver sleeps.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::admission::{WaitNotice, WaitReason};
/// use zego_proto::ops::RateLimitGroup;
/// let notice = WaitNotice::new(
///     "DescribeSimpleStreamList",
///     RateLimitGroup::RoomStreamList,
///     Some("big"),
///     WaitReason::RateLimitAnswer { code: 207 },
///     Duration::from_millis(10_500),
/// );
/// assert_eq!(
///     notice.to_string(),
///     "DescribeSimpleStreamList: ZEGO answered 207 (rate limited): retrying in 10.5 s \
///      (quota room_stream_list, room \"big\")"
/// );
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitNotice<'a> {
    /// The action of the call.
    pub action: &'a str,
    /// The quota group it draws from.
    pub group: RateLimitGroup,
    /// The room whose own quota it also draws from, if any.
    pub room: Option<&'a str>,
    /// Why it waits.
    pub reason: WaitReason,
    /// How long.
    pub wait: Duration,
}

impl<'a> WaitNotice<'a> {
    /// A notice (e.g. to test an observer).
    pub fn new(
        action: &'a str,
        group: RateLimitGroup,
        room: Option<&'a str>,
        reason: WaitReason,
        wait: Duration,
    ) -> Self {
        Self {
            action,
            group,
            room,
            reason,
            wait,
        }
    }
}

impl fmt::Display for WaitNotice<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.wait.as_secs_f64();
        match self.reason {
            WaitReason::Slot => write!(
                f,
                "{}: waiting {secs:.1} s for a rate-limit slot",
                self.action
            )?,
            WaitReason::RateLimitAnswer { code } => write!(
                f,
                "{}: ZEGO answered {code} (rate limited): retrying in {secs:.1} s",
                self.action
            )?,
        }
        write!(f, " (quota {}", self.group.as_str())?;
        if let Some(room) = self.room {
            write!(f, ", room {room:?}")?;
        }
        f.write_str(")")
    }
}

/// The observer [`ClientBuilder::on_wait`](crate::driver::ClientBuilder::on_wait) installs.
pub(crate) type WaitObserver = Arc<dyn Fn(&WaitNotice<'_>) + Send + Sync>;
