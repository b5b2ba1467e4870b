//! What the Redis admission benches share: a quota out of reach, so an admission does the
//! script's whole work but never asks to wait, and the wall clock an admission is stamped
//! with.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use zego_proto::admission::Quotas;
use zego_proto::{ops::RateLimitGroup, Environment};

/// ZEGO's quotas with the forbid group raised out of reach.
pub fn unbounded_quotas() -> Quotas {
    Quotas::default().with(
        RateLimitGroup::StreamForbid,
        Environment::Production,
        1_000_000,
    )
}

/// Now, since the Unix epoch.
pub fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}
