//! `Client::from_env` reads what the `zego` CLI reads: `ZEGO_ENDPOINT` (which `zego sim`
//! tells you to export) and `ZEGO_TEST_ENV` too, not only the credentials. One test in
//! its own process, since it sets the process's environment.

use zego_proto::ops::ForbidRtcStream;
use zego_sim::{Env, Simulator};
use zego_transport_blocking::Client;

#[test]
fn from_env_reads_the_endpoint_and_the_test_environment() {
    let sim = Simulator::builder()
        .app(1234567890, "0123456789abcdef0123456789abcdef")
        .start()
        .expect("the simulator starts");
    std::env::set_var("ZEGO_APP_ID", "1234567890");
    std::env::set_var("ZEGO_SERVER_SECRET", "0123456789abcdef0123456789abcdef");
    std::env::set_var("ZEGO_ENDPOINT", sim.base_url());
    std::env::set_var("ZEGO_TEST_ENV", "true");
    let client = Client::from_env()
        .expect("the environment is complete")
        .build();
    assert_eq!(client.core().config().endpoint().base_url(), sim.base_url());
    assert!(client.core().config().environment().is_test());
    client
        .execute(&ForbidRtcStream::new("from-env").unwrap())
        .expect("sent to the simulator");
    assert!(sim
        .forbidden_rtc_streams(1234567890, Env::Test)
        .iter()
        .any(|s| s.ends_with("from-env")));
}
