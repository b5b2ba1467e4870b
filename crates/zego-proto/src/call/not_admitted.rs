//! The error of a call that could not get a rate-limit slot within its own time limit
//! (its deadline or its `max_wait`): it fails at once, without sleeping, saying when
//! the request could have been sent.

use std::fmt;
use std::time::Duration;

use crate::operation::RateLimitGroup;

/// Which of the call's limits the earliest slot was beyond.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitLimit {
    /// What was left of the call's total deadline
    /// ([`CallOptions::with_deadline`](crate::CallOptions::with_deadline),
    /// [`RetryPolicy::deadline`](crate::retry::RetryPolicy::deadline)).
    Deadline,
    /// The longest wait for a slot the call allows
    /// ([`CallOptions::with_max_wait`](crate::CallOptions::with_max_wait),
    /// [`ClientBuilder::max_wait`](crate::driver::ClientBuilder::max_wait)).
    MaxWait,
}

impl WaitLimit {
    /// A short stable name: `deadline` or `max_wait`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deadline => "deadline",
            Self::MaxWait => "max_wait",
        }
    }
}

/// No rate-limit slot within the call's limit: nothing was booked and nothing was sent.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::admission::{NotAdmittedInTime, WaitLimit};
/// use zego_proto::ops::RateLimitGroup;
/// let err = NotAdmittedInTime::new(
///     RateLimitGroup::RoomStreamList,
///     Some("room-1".into()),
///     Duration::from_millis(9_800),
///     Duration::from_secs(2),
///     WaitLimit::Deadline,
/// );
/// assert_eq!(
///     err.to_string(),
///     "no rate-limit slot within the call's deadline (2.000 s left): the earliest slot \
///      (quota room_stream_list, room \"room-1\") was 9.800 s away; nothing was sent"
/// );
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAdmittedInTime {
    /// The quota group the request draws from.
    pub group: RateLimitGroup,
    /// The room whose own quota the request also draws from, if any.
    pub room: Option<String>,
    /// How long after the call asked the request could have been sent.
    pub earliest: Duration,
    /// The longest wait the call allowed at that moment.
    pub limit: Duration,
    /// Which limit that was.
    pub limited_by: WaitLimit,
}

impl NotAdmittedInTime {
    /// The error for a slot `earliest` away when the call allowed `limit`.
    pub fn new(
        group: RateLimitGroup,
        room: Option<String>,
        earliest: Duration,
        limit: Duration,
        limited_by: WaitLimit,
    ) -> Self {
        Self {
            group,
            room,
            earliest,
            limit,
            limited_by,
        }
    }
}

impl fmt::Display for NotAdmittedInTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let left = if self.limited_by == WaitLimit::Deadline {
            " left"
        } else {
            ""
        };
        write!(
            f,
            "no rate-limit slot within the call's {} ({:.3} s{left}): the earliest slot (quota {}",
            self.limited_by.as_str(),
            self.limit.as_secs_f64(),
            self.group.as_str(),
        )?;
        if let Some(room) = &self.room {
            write!(f, ", room {room:?}")?;
        }
        write!(
            f,
            ") was {:.3} s away; nothing was sent",
            self.earliest.as_secs_f64()
        )
    }
}

impl std::error::Error for NotAdmittedInTime {}
