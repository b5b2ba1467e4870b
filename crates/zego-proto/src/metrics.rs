//! Metrics of every call, through the [`metrics`](https://docs.rs/metrics) facade, so any
//! exporter (Prometheus, StatsD, ...) records them: enable the `metrics` feature and install
//! a recorder. Without the feature these functions compile to nothing.
//!
//! The names, kinds and labels are documented once, in the crate root's "Metrics" section
//! (`lib.rs`).

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
