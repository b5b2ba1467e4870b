//! What an answer's headers say about time: the server's clock (`Date`), from which the
//! local clock's offset is measured, and how long the server asks the client to wait
//! (`Retry-After`). Pure functions of the header values and the times passed in.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use crate::request::HttpResponse;

/// An HTTP date (RFC 9110: IMF-fixdate, and the obsolete RFC 850 and asctime forms) as
/// time since the Unix epoch.
pub(crate) fn parse_http_date(value: &str) -> Option<Duration> {
    httpdate::parse_http_date(value.trim())
        .ok()?
        .duration_since(UNIX_EPOCH)
        .ok()
}

/// How long a 429 or 503 answer asks the client to wait before its next request, from
/// its `Retry-After` header: delta seconds, or an HTTP date (counted from the answer's
/// own `Date` when it has one, so both readings come from the server's clock, else from
/// `local_unix`, the corrected local time). `None` for other statuses, no header, or a
/// value that is neither form; a date in the past is no wait.
pub(crate) fn retry_after(response: &HttpResponse, local_unix: Duration) -> Option<Duration> {
    if !matches!(response.status, 429 | 503) {
        return None;
    }
    let value = response.retry_after.as_deref()?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Anything too long for a u64 is "later than any deadline" anyway.
        return Some(Duration::from_secs(value.parse().unwrap_or(u64::MAX)));
    }
    let at = parse_http_date(value)?;
    let server_now = response
        .date
        .as_deref()
        .and_then(parse_http_date)
        .unwrap_or(local_unix);
    Some(at.saturating_sub(server_now))
}

/// The measured offset of the local clock from ZEGO's, shared by a core's clones.
///
/// Every envelope (ZEGO's answer, not a proxy's page) with a `Date` header updates the
/// measurement; it is applied to the
/// `Timestamp` of requests only once ZEGO refused one for the clock (100000004, 3002),
/// so a proxy's wrong `Date` cannot break a client whose clock is right.
#[derive(Debug, Default)]
pub(crate) struct ClockOffset {
    /// Server minus local, in milliseconds.
    millis: AtomicI64,
    measured: AtomicBool,
    correcting: AtomicBool,
}

impl ClockOffset {
    /// Records an answer whose `Date` header reads `server` (1 s resolution), received
    /// when the local clock read `local`.
    pub(crate) fn record(&self, server: Duration, local: Duration) {
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.millis.store(
            millis(server).saturating_sub(millis(local)),
            Ordering::Release,
        );
        self.measured.store(true, Ordering::Release);
    }

    /// The latest measurement, server minus local, in milliseconds.
    pub(crate) fn measured_millis(&self) -> Option<i64> {
        self.measured
            .load(Ordering::Acquire)
            .then(|| self.millis.load(Ordering::Acquire))
    }

    /// From now on, requests are signed with the measured offset applied. Whether this
    /// call turned it on (it was off before).
    pub(crate) fn start_correcting(&self) -> bool {
        !self.correcting.swap(true, Ordering::AcqRel)
    }

    /// The time to sign with: `local` corrected by the measured offset once correcting.
    pub(crate) fn corrected(&self, local: Duration) -> Duration {
        if !self.correcting.load(Ordering::Acquire) {
            return local;
        }
        match self.measured_millis() {
            Some(offset) => {
                let magnitude = Duration::from_millis(offset.unsigned_abs());
                if offset >= 0 {
                    local.saturating_add(magnitude)
                } else {
                    local.saturating_sub(magnitude)
                }
            }
            None => local,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Duration = Duration::from_secs(1_700_000_000);
    /// `NOW` as an HTTP date.
    const NOW_DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    #[test]
    fn http_dates_parse_in_all_three_forms() {
        assert_eq!(parse_http_date(NOW_DATE), Some(NOW));
        assert_eq!(
            parse_http_date("Tuesday, 14-Nov-23 22:13:20 GMT"),
            Some(NOW)
        );
        assert_eq!(parse_http_date("Tue Nov 14 22:13:20 2023"), Some(NOW));
        assert_eq!(parse_http_date("yesterday"), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates_on_429_and_503_only() {
        let answer =
            |status, value: &str| HttpResponse::new(status, "").with_header("Retry-After", value);
        assert_eq!(
            retry_after(&answer(503, "7"), NOW),
            Some(Duration::from_secs(7))
        );
        assert_eq!(retry_after(&answer(429, " 0 "), NOW), Some(Duration::ZERO));
        assert_eq!(retry_after(&answer(500, "7"), NOW), None);
        assert_eq!(retry_after(&answer(503, "-1"), NOW), None);
        assert_eq!(retry_after(&answer(503, "soon"), NOW), None);
        assert_eq!(
            retry_after(&answer(503, "99999999999999999999999"), NOW),
            Some(Duration::from_secs(u64::MAX))
        );
        // A date counts from the answer's own Date, else from the local time given.
        let dated = answer(503, "Tue, 14 Nov 2023 22:13:50 GMT");
        assert_eq!(retry_after(&dated, NOW), Some(Duration::from_secs(30)));
        let with_date = dated
            .clone()
            .with_header("Date", "Tue, 14 Nov 2023 22:13:45 GMT");
        assert_eq!(
            retry_after(&with_date, Duration::ZERO),
            Some(Duration::from_secs(5))
        );
        // A date in the past: no wait.
        assert_eq!(
            retry_after(&dated, NOW + Duration::from_secs(60)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn the_offset_is_applied_only_once_correcting() {
        let offset = ClockOffset::default();
        assert_eq!(offset.measured_millis(), None);
        let behind = NOW.saturating_sub(Duration::from_secs(20 * 60));
        offset.record(NOW, behind);
        assert_eq!(offset.measured_millis(), Some(1_200_000));
        assert_eq!(offset.corrected(behind), behind);
        assert!(offset.start_correcting());
        assert!(!offset.start_correcting(), "already on");
        assert_eq!(offset.corrected(behind), NOW);
        offset.record(NOW, NOW + Duration::from_millis(1500));
        assert_eq!(offset.measured_millis(), Some(-1500));
        assert_eq!(
            offset.corrected(NOW),
            NOW.saturating_sub(Duration::from_millis(1500))
        );
    }
}
