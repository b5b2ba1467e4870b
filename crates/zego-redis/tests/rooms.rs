//! Per-room quotas through Redis: two instances listing the same room's users page by
//! page while one of them runs a bulk forbid get no rate-limit answer from the simulator.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::RedisServer;
use zego_proto::ops::DescribeUserList;
use zego_proto::{
    bulk::{BulkAction, BulkOptions},
    Credentials, Endpoint,
};
use zego_redis::RedisCoordinator;
use zego_sim::{Env, Simulator};
use zego_transport_blocking::Client;

const APP: u32 = 77;
const SECRET: &str = "0123456789abcdef0123456789abcdef";

#[test]
fn two_instances_paging_one_room_and_a_bulk_run_get_no_rate_limit_answers() {
    let redis = RedisServer::start();
    let sim = Simulator::builder().app(APP, SECRET).start().unwrap();
    for i in 0..12 {
        sim.login_user(APP, Env::Production, "big", &format!("u{i:02}"), "U");
    }
    let instance = || {
        let coordinator = RedisCoordinator::builder(&redis.url())
            .unwrap()
            .connect_timeout(Duration::from_secs(2))
            .response_timeout(Duration::from_secs(2))
            .build();
        Client::builder(Credentials::new(APP, SECRET).unwrap())
            .endpoint(Endpoint::custom(&sim.base_url()).unwrap())
            .coordinator(Arc::new(coordinator))
            .build()
    };
    let (a, b) = (instance(), instance());
    let first = || DescribeUserList::new("big").unwrap().with_limit(4).unwrap();
    std::thread::scope(|scope| {
        let pages_a = scope.spawn(|| a.pages(first()).collect::<Vec<_>>());
        let pages_b = scope.spawn(|| b.pages(first()).collect::<Vec<_>>());
        let ids = (0..200).map(|i| format!("bulk-{i}"));
        let report = a.bulk(BulkAction::Forbid, ids, &BulkOptions::default());
        assert_eq!(report.succeeded, 200, "{report:?}");
        for pages in [pages_a.join().unwrap(), pages_b.join().unwrap()] {
            assert_eq!(pages.len(), 3);
            assert!(pages.iter().all(Result::is_ok), "{pages:?}");
        }
    });
    let log = sim.request_log();
    let rate_limited: Vec<_> = log
        .iter()
        .filter(|r| matches!(r.code, Some(206 | 207 | 30002)))
        .collect();
    assert!(rate_limited.is_empty(), "{rate_limited:?}");
    assert_eq!(log.len(), 10 + 6, "nothing was retried");
}
