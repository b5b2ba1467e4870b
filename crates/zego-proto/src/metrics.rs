//! Metrics of every call, through the [`metrics`](https://docs.rs/metrics) facade, so any
//! exporter (Prometheus, StatsD, ...) records them: enable the `metrics` feature and install
//! a recorder. Without the feature these functions compile to nothing.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `zego_requests_total` | counter | `action` | requests sent (every attempt) |
//! | `zego_request_duration_seconds` | histogram | `action` | one request's round trip |
//! | `zego_retries_total` | counter | `action`, `reason` | retries decided, by the failure's class (`rate_limited`, `transient`, `clock`) |
//! | `zego_admission_wait_seconds` | histogram | `action` | the wait for a rate-limit slot before a request |
//! | `zego_calls_total` | counter | `action`, `outcome` | finished calls: `success`, or the error's class (`rate_limited`, `transient`, `clock`, `auth_or_config`, `bad_request`, `not_found`, `other`) |
//! | `zego_call_attempts` | histogram | `action` | requests per finished call |
//!
//! Labels are bounded: the action name, a class, nothing else. Stream IDs, room and user
//! IDs, AppIds and secrets are never labels (unbounded cardinality, and privacy).

#[cfg(feature = "metrics")]
mod imp {
    use std::time::Duration;

    pub(crate) fn request_sent(action: &str) {
        metrics::counter!("zego_requests_total", "action" => action.to_owned()).increment(1);
    }

    pub(crate) fn request_duration(action: &str, latency: Duration) {
        metrics::histogram!("zego_request_duration_seconds", "action" => action.to_owned())
            .record(latency.as_secs_f64());
    }

    pub(crate) fn retry(action: &str, reason: &'static str) {
        metrics::counter!("zego_retries_total", "action" => action.to_owned(), "reason" => reason)
            .increment(1);
    }

    pub(crate) fn admission_wait(action: &str, wait: Duration) {
        metrics::histogram!("zego_admission_wait_seconds", "action" => action.to_owned())
            .record(wait.as_secs_f64());
    }

    pub(crate) fn call_finished(action: &str, outcome: &'static str, attempts: u32) {
        metrics::counter!("zego_calls_total", "action" => action.to_owned(), "outcome" => outcome)
            .increment(1);
        metrics::histogram!("zego_call_attempts", "action" => action.to_owned())
            .record(f64::from(attempts));
    }
}

#[cfg(not(feature = "metrics"))]
mod imp {
    use std::time::Duration;

    pub(crate) fn request_sent(_: &str) {}
    pub(crate) fn request_duration(_: &str, _: Duration) {}
    pub(crate) fn retry(_: &str, _: &'static str) {}
    pub(crate) fn admission_wait(_: &str, _: Duration) {}
    pub(crate) fn call_finished(_: &str, _: &'static str, _: u32) {}
}

pub(crate) use imp::*;
