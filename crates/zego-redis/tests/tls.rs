//! TLS (`tls-rustls`): admission over `rediss://`, `rediss+sentinel://` and
//! `rediss+cluster://`, against real `redis-server`s serving TLS with a private CA made by
//! the test (each on free loopback ports, stopped by PID). A server whose certificate
//! another CA signed is a configuration error (`RedisConfigError::Tls`), not an outage.
#![cfg(feature = "tls-rustls")]

mod common;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{ClusterSetup, RedisServer, SentinelSetup, TlsFiles};
use redis::Commands;
use zego_proto::admission::{Admission, AdmissionRequest, Coordinator, RateLimitKey};
use zego_proto::{ops::RateLimitGroup, AppId, Environment};
use zego_redis::{RedisConfigError, RedisCoordinator, RedisReplayCache};

/// A private CA made now, its files written for `redis-server`.
fn tls_files(name: &str) -> TlsFiles {
    let ca = zego_conformance::tls::private_ca(name);
    TlsFiles::new(&ca.ca_pem, &ca.leaf_pem, &ca.leaf_key_pem)
}

const EPOCH_KEY: &str = "zego:prod:{77}:epoch:stream_forbid";

fn key() -> RateLimitKey {
    RateLimitKey {
        app_id: AppId::new(77),
        environment: Environment::Production,
        group: RateLimitGroup::StreamForbid,
    }
}

fn now() -> Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
}

/// A coordinator on `url` trusting `ca_pem`, checked at once.
fn connect(url: &str, ca_pem: &str) -> Result<RedisCoordinator, RedisConfigError> {
    RedisCoordinator::builder(url)?
        .extra_root_certificate(ca_pem.as_bytes())
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(2))
        .connect()
}

/// One sequenced admission goes through Redis (not the local share).
fn admits_through_redis(c: &RedisCoordinator) {
    let streams = ["tls-1".to_owned()];
    let request = AdmissionRequest::new(key(), now()).with_sequence_for(&streams);
    let admitted = c.admit(&request).unwrap();
    assert!(
        matches!(admitted, Admission::Go { sequence: Some(_) }),
        "{admitted:?}"
    );
    assert!(!c.is_degraded(), "admitted by Redis, over TLS");
}

/// A server certificate from another CA (or from a CA nobody named) is refused as a
/// configuration error naming TLS, without the password.
fn refuses_another_ca(url: &str) {
    let other = tls_files("another-ca");
    for error in [
        connect(url, &other.ca_pem).err(),
        RedisCoordinator::builder(url).unwrap().connect().err(),
    ] {
        let error = error.expect("a certificate from an untrusted CA is refused");
        assert!(matches!(error, RedisConfigError::Tls { .. }), "{error:?}");
        assert!(error.to_string().contains("TLS"), "{error}");
        assert!(!error.to_string().contains("s3cret"), "{error}");
    }
}

#[test]
fn rediss_admits_and_a_certificate_of_another_ca_is_a_configuration_error() {
    let files = tls_files("zego-test-ca");
    let server = RedisServer::start_tls(&files, &["--requirepass", "s3cret"]);
    let url = server.tls_url().replace("rediss://", "rediss://:s3cret@");
    let c = connect(&url, &files.ca_pem).expect("the private CA is trusted");
    admits_through_redis(&c);
    assert!(server.connection().exists::<_, bool>(EPOCH_KEY).unwrap());

    // The replay cache takes the same root.
    let cache = RedisReplayCache::builder(&url, AppId::new(77))
        .unwrap()
        .extra_root_certificate(files.ca_pem.as_bytes())
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(2))
        .connect()
        .expect("the replay cache over TLS");
    drop(cache);

    refuses_another_ca(&url);
}

#[test]
fn rediss_sentinel_admits_on_the_primary_the_sentinels_name_over_tls() {
    let files = tls_files("zego-test-ca");
    let setup = SentinelSetup::start_tls("zego-tls-primary", &files);
    let url = setup.tls_url("zego-tls-primary");
    let c = connect(&url, &files.ca_pem).expect("sentinels and primary over TLS");
    admits_through_redis(&c);
    assert!(setup
        .primary
        .connection()
        .exists::<_, bool>(EPOCH_KEY)
        .unwrap());
    refuses_another_ca(&url);
}

#[test]
fn rediss_cluster_admits_on_the_apps_slot_over_tls() {
    let files = tls_files("zego-test-ca");
    let cluster = ClusterSetup::start_with(Some(&files));
    let url = cluster.tls_url();
    let c = connect(&url, &files.ca_pem).expect("every node over TLS");
    admits_through_redis(&c);
    let owner = cluster
        .owner_of(EPOCH_KEY)
        .expect("a primary serves the app's slot");
    assert!(cluster.nodes[owner]
        .connection()
        .exists::<_, bool>(EPOCH_KEY)
        .unwrap());
    refuses_another_ca(&url);
}
