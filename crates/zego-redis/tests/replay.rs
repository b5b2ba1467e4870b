//! [`RedisReplayCache`] against real `redis-server`s (free loopback ports, stopped by PID):
//! of concurrent first deliveries of one callback across caches, exactly one wins; a
//! forgotten delivery is accepted again; a wrong password is a configuration error without
//! the password; an unreachable Redis is an error (the verifier's 503), not an answer; and
//! the same holds through Sentinel and on a Cluster, where the key lands on the AppId's slot.

mod common;

use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::{ClusterSetup, RedisServer, SentinelSetup};
use zego_callback::{Delivery, ReplayCache};
use zego_proto::AppId;
use zego_redis::{RedisConfigError, RedisReplayCache};

const APP: u32 = 4242;
const NOW: i64 = 1_700_000_000;

fn cache(url: &str) -> RedisReplayCache {
    RedisReplayCache::builder(url, AppId::new(APP))
        .unwrap()
        .connect_timeout(Duration::from_millis(500))
        .response_timeout(Duration::from_millis(500))
        .connect()
        .expect("the test Redis")
}

/// Eight caches (eight instances of a fleet) get the same delivery at once: one is first.
fn exactly_one_of_many_is_first(url: &str, nonce: &str) {
    let caches: Vec<Arc<RedisReplayCache>> = (0..8).map(|_| Arc::new(cache(url))).collect();
    let barrier = Arc::new(Barrier::new(caches.len()));
    let firsts: Vec<bool> = caches
        .iter()
        .map(|cache| {
            let (cache, barrier, nonce) =
                (Arc::clone(cache), Arc::clone(&barrier), nonce.to_owned());
            std::thread::spawn(move || {
                barrier.wait();
                cache
                    .first_delivery(&Delivery::new(&nonce, NOW), NOW)
                    .unwrap()
            })
        })
        // Every thread started before any is joined (the barrier waits for all).
        .collect::<Vec<_>>()
        .into_iter()
        .map(|thread| thread.join().unwrap())
        .collect();
    assert_eq!(
        firsts.iter().filter(|first| **first).count(),
        1,
        "{firsts:?}"
    );
}

#[test]
fn one_delivery_is_first_once_across_caches_and_again_after_forget() {
    let redis = RedisServer::start();
    exactly_one_of_many_is_first(&redis.url(), "n1");

    let (a, b) = (cache(&redis.url()), cache(&redis.url()));
    let delivery = Delivery::new("n2", NOW);
    assert!(a.first_delivery(&delivery, NOW).unwrap());
    assert!(!b.first_delivery(&delivery, NOW + 1).unwrap());
    // Another timestamp with the same nonce is another delivery.
    assert!(b
        .first_delivery(&Delivery::new("n2", NOW + 1), NOW)
        .unwrap());
    // The handling failed on `a`: ZEGO's retry is accepted by any instance, once.
    a.forget(&delivery).unwrap();
    assert!(b.first_delivery(&delivery, NOW + 2).unwrap());
    assert!(!a.first_delivery(&delivery, NOW + 3).unwrap());

    let key = format!("zego:cb:{{{APP}}}:{}", delivery.key_hex());
    let ttl: i64 = redis::cmd("PTTL")
        .arg(&key)
        .query(&mut redis.connection())
        .unwrap();
    // Kept until the timestamp leaves the 10-minute window: 598 s after `NOW + 2`.
    assert!((590_000..=598_000).contains(&ttl), "{ttl}");
}

#[test]
fn a_wrong_password_is_a_configuration_error_and_a_dead_redis_an_error() {
    let mut redis = RedisServer::start_with(&["--requirepass", "s3cret-pw"]);
    let wrong = format!("redis://:wrong-pw@127.0.0.1:{}/", redis.port());
    let error = RedisReplayCache::builder(&wrong, AppId::new(APP))
        .unwrap()
        .connect()
        .unwrap_err();
    assert!(
        matches!(error, RedisConfigError::Authentication { .. }),
        "{error:?}"
    );
    assert!(!error.to_string().contains("wrong-pw"), "{error}");

    let cache = cache(&redis.url());
    assert!(cache.first_delivery(&Delivery::new("n", NOW), NOW).unwrap());
    redis.kill();
    let error = cache
        .first_delivery(&Delivery::new("n", NOW), NOW)
        .unwrap_err();
    assert!(!error.to_string().contains("s3cret-pw"), "{error}");
    // Back (empty, no persistence): the cache reconnects by itself.
    redis.restart();
    assert!(cache.first_delivery(&Delivery::new("n", NOW), NOW).unwrap());
}

#[test]
fn through_sentinel_one_delivery_is_first_once() {
    let setup = SentinelSetup::start("replay");
    exactly_one_of_many_is_first(&setup.url("replay"), "sentinel-1");
}

#[test]
fn on_a_cluster_the_key_is_on_the_apps_slot_and_first_once() {
    let cluster = ClusterSetup::start();
    exactly_one_of_many_is_first(&cluster.url(), "cluster-1");
    let key = format!(
        "zego:cb:{{{APP}}}:{}",
        Delivery::new("cluster-1", NOW).key_hex()
    );
    let owner = cluster.owner_of(&key).expect("a primary serves the key");
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&key)
        .query(&mut cluster.nodes[owner].connection())
        .unwrap();
    assert_eq!(exists, 1);
}
