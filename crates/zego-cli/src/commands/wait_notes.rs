//! Says on stderr why a command is waiting when a rate limit holds a call back for more
//! than a second (a room's 1-per-10-s listing quota, ZEGO's rate-limit answer), instead of
//! stalling silently.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use zego_proto::admission::{WaitNotice, WaitReason};
use zego_proto::ops::RateLimitGroup;

use crate::output::Output;

/// Waits up to this long pass without a word.
pub const SILENT_WAIT: Duration = Duration::from_secs(1);

/// The client's wait observer: a note for each wait over [`SILENT_WAIT`], once per quota
/// and reason while a wait announced for it is still running (a bulk run's calls wait
/// together).
pub fn announcer(out: Output) -> impl Fn(&WaitNotice<'_>) + Send + Sync + 'static {
    type Key = (RateLimitGroup, Option<String>, bool);
    let announced: Mutex<Vec<(Key, Instant)>> = Mutex::new(Vec::new());
    move |notice| {
        if notice.wait <= SILENT_WAIT {
            return;
        }
        let key: Key = (
            notice.group,
            notice.room.map(str::to_owned),
            matches!(notice.reason, WaitReason::Slot),
        );
        let now = Instant::now();
        let mut announced = announced
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        announced.retain(|(_, until)| *until > now);
        if announced.iter().any(|(k, _)| *k == key) {
            return;
        }
        announced.push((key, now + notice.wait));
        drop(announced);
        out.note(format!("note: {notice}"));
    }
}
