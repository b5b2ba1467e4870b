//! `Client::from_env` reads what the `zego` CLI reads: `ZEGO_ENDPOINT` (which `zego sim`
//! tells you to export) and `ZEGO_TEST_ENV` too, not only the credentials. One test in
//! its own process, since it sets the process's environment; the check is the
//! conformance crate's, shared with the async client.

use zego_transport_blocking::Client;

#[test]
fn from_env_reads_the_endpoint_and_the_test_environment() {
    zego_conformance::from_env::reads_the_endpoint_and_the_test_environment(
        Client::from_env,
        Client::core,
        |client, forbid| client.execute(forbid).map(drop),
    );
}
