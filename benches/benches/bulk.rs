//! Bulk forbid of 2,000 streams at ZEGO's 20 requests/s quota, with both rate limiters on:
//! the client's (the SDK's default token bucket) and zego-sim's (the default quotas, which
//! answer 30002 to a request over quota).
//!
//! Not criterion: one run takes about 5 s. The baseline is the ideal time, ceil(N/20)
//! requests at 20/s = ceil(N/20)/20 s = 5 s. Every stream must be forbidden, and the
//! simulator's log must hold no rate-limit answer. The runs are
//! [`zego_benches::bulk_run`]'s. Figures: `target/zego-bench/bulk_2000.json`.

use zego_benches::bulk_run::BulkBench;

fn main() {
    BulkBench {
        name: "bulk_2000",
        streams: 2_000,
        raised_quota: None,
        id_prefix: "bulk",
        id_digits: 4,
    }
    .run("forbid 2000 streams at 20/s, both rate limiters on");
}
