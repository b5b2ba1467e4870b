//! What a bulk run did to every stream.

use std::fmt;

use crate::call_error::CallError;

/// Streams that failed together, with the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkFailure {
    /// The streams of the failed batch (or the one invalid ID).
    pub stream_ids: Vec<String>,
    /// Why they failed.
    pub error: CallError,
}

/// Why a run stopped before the end of its input.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BulkStop {
    /// Its [`CancelToken`](crate::CancelToken) was cancelled (e.g. SIGINT).
    Interrupted,
    /// Batches kept failing with an error that fails every batch (see
    /// [`FailFast::batches`](crate::bulk::FailFast::batches)).
    FailFast,
    /// Rate-limit answers outlasted the backoff budget.
    RateLimited,
    /// The `on_batch` callback asked to stop.
    Callback,
}

impl BulkStop {
    /// A short stable name: `interrupted`, `fail_fast`, `rate_limited`, `callback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interrupted => "interrupted",
            Self::FailFast => "fail_fast",
            Self::RateLimited => "rate_limited",
            Self::Callback => "callback",
        }
    }
}

impl fmt::Display for BulkStop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a bulk forbid or resume did: every stream of the input is counted once — as
/// succeeded, in a failure, not attempted (the run stopped first), unknown (its request was
/// out when an interrupted run stopped waiting: it may have been applied), or skipped (a
/// journal says it is done).
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// Streams in batches that succeeded.
    pub succeeded: usize,
    /// Requests sent, retries included.
    pub requests: u64,
    /// The failures, in input order.
    pub failures: Vec<BulkFailure>,
    /// Streams not attempted because the run stopped.
    pub not_attempted: usize,
    /// Streams whose request was out when an interrupted run stopped waiting for it (the
    /// grace ended, or the cancel came between a request and its retry): ZEGO may have
    /// applied them or not. In input order. Sending them again is safe (forbid and resume
    /// are idempotent), which is what a resumed journal run does.
    pub unknown: Vec<String>,
    /// Streams skipped ([`BulkOptions::skip`](crate::bulk::BulkOptions::skip)).
    pub skipped: usize,
    /// Why the run stopped early, if it did.
    pub stopped: Option<BulkStop>,
    /// The succeeded stream IDs, in completion order, when
    /// [`BulkOptions::keep_succeeded`](crate::bulk::BulkOptions::keep_succeeded) asked for them.
    pub succeeded_ids: Vec<String>,
}

impl BulkReport {
    /// Streams that failed.
    pub fn failed(&self) -> usize {
        self.failures.iter().map(|f| f.stream_ids.len()).sum()
    }

    /// Streams this run handled: succeeded + failed + not attempted + unknown (skipped
    /// streams are counted apart).
    pub fn total(&self) -> usize {
        self.succeeded + self.failed() + self.not_attempted + self.unknown.len()
    }

    /// Counts a batch's outcome (e.g. to keep a running tally from
    /// [`BulkOptions::on_batch`](crate::bulk::BulkOptions::on_batch)).
    pub fn record(&mut self, outcome: &super::BatchOutcome) {
        self.requests += u64::from(outcome.attempts);
        if outcome.is_unknown() {
            self.unknown.extend(outcome.stream_ids.iter().cloned());
            return;
        }
        match &outcome.result {
            Ok(()) => self.succeeded += outcome.stream_ids.len(),
            Err(error) => self.failures.push(BulkFailure {
                stream_ids: outcome.stream_ids.clone(),
                error: error.clone(),
            }),
        }
    }

    /// Whether every stream succeeded (or was skipped) and the run did not stop early.
    pub fn is_success(&self) -> bool {
        self.failures.is_empty()
            && self.stopped.is_none()
            && self.not_attempted == 0
            && self.unknown.is_empty()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for BulkFailure {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("BulkFailure", 2)?;
        s.serialize_field("stream_ids", &self.stream_ids)?;
        s.serialize_field("error", &self.error)?;
        s.end()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for BulkReport {
    /// `{"succeeded", "failed", "not_attempted", "unknown", "skipped", "total", "requests",
    /// "stopped", "failures": [{"stream_ids", "error"}], "unknown_ids"}` (and
    /// `"succeeded_ids"` when kept).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut s = serializer.serialize_map(None)?;
        s.serialize_entry("succeeded", &self.succeeded)?;
        s.serialize_entry("failed", &self.failed())?;
        s.serialize_entry("not_attempted", &self.not_attempted)?;
        s.serialize_entry("unknown", &self.unknown.len())?;
        s.serialize_entry("skipped", &self.skipped)?;
        s.serialize_entry("total", &self.total())?;
        s.serialize_entry("requests", &self.requests)?;
        s.serialize_entry("stopped", &self.stopped.map(BulkStop::as_str))?;
        s.serialize_entry("failures", &self.failures)?;
        s.serialize_entry("unknown_ids", &self.unknown)?;
        if !self.succeeded_ids.is_empty() {
            s.serialize_entry("succeeded_ids", &self.succeeded_ids)?;
        }
        s.end()
    }
}
