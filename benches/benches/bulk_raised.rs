//! Bulk forbid of 100,000 streams at a raised quota of 500 requests/s (issue 23): the
//! client built with `quota(StreamForbid, 500)` (its default token bucket paces to it), and
//! zego-sim set to the same quota (`quota(ForbidResume, 500)`, which answers 30002 to a
//! request over it). The raised quota must be used in full and never exceeded.
//!
//! Not criterion: one run takes about 10 s. The baseline is the ideal time, ceil(N/20)
//! requests at 500/s = 5,000 / 500 s = 10 s. Every stream must be forbidden, and the
//! simulator's log must hold no rate-limit answer. The runs are
//! [`zego_benches::bulk_run`]'s. Figures: `target/zego-bench/bulk_raised.json`.

use zego_benches::bulk_run::BulkBench;

fn main() {
    BulkBench {
        name: "bulk_raised",
        streams: 100_000,
        raised_quota: Some(500),
        id_prefix: "raised",
        id_digits: 6,
    }
    .run("forbid 100000 streams at a raised 500/s, client and simulator at the same quota");
}
