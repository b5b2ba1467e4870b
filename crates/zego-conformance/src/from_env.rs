//! The check of `Client::from_env` that both transports run (each in a test binary of its
//! own, since it sets the process's environment): the builder reads what the `zego` CLI
//! reads — `ZEGO_ENDPOINT` (which `zego sim` tells you to export) and `ZEGO_TEST_ENV` —
//! not only the credentials.

use zego_proto::driver::{BuildClient, ClientBuilder, ClientCore};
use zego_proto::ops::ForbidRtcStream;
use zego_proto::{CallError, ConfigError};
use zego_sim::{Env, Simulator};

/// Starts a simulator, exports `ZEGO_APP_ID`, `ZEGO_SERVER_SECRET`, `ZEGO_ENDPOINT` (the
/// simulator) and `ZEGO_TEST_ENV=true`, builds the client from `from_env` (the
/// transport's `Client::from_env`), and checks that `core` (`Client::core`)
/// holds that endpoint and the test environment and that `forbid` (the client's
/// `execute`, blocking) reaches the simulator's test environment.
///
/// # Panics
///
/// When a check fails (this is a test).
pub fn reads_the_endpoint_and_the_test_environment<C: BuildClient>(
    from_env: impl FnOnce() -> Result<ClientBuilder<C>, ConfigError>,
    core: impl Fn(&C) -> &ClientCore,
    forbid: impl FnOnce(&C, &ForbidRtcStream) -> Result<(), CallError>,
) {
    let sim = Simulator::builder()
        .app(1234567890, "0123456789abcdef0123456789abcdef")
        .start()
        .expect("the simulator starts");
    std::env::set_var("ZEGO_APP_ID", "1234567890");
    std::env::set_var("ZEGO_SERVER_SECRET", "0123456789abcdef0123456789abcdef");
    std::env::set_var("ZEGO_ENDPOINT", sim.base_url());
    std::env::set_var("ZEGO_TEST_ENV", "true");
    let client = from_env().expect("the environment is complete").build();
    assert_eq!(core(&client).config().endpoint().base_url(), sim.base_url());
    assert!(core(&client).config().environment().is_test());
    forbid(&client, &ForbidRtcStream::new("from-env").unwrap()).expect("sent to the simulator");
    assert!(sim
        .forbidden_rtc_streams(1234567890, Env::Test)
        .iter()
        .any(|s| s.ends_with("from-env")));
}
