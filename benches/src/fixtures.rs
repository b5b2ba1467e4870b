//! The inputs every bench uses: the spec's second signing vector and its operations.

use zego_proto::ops::{DescribeForbidStreamRules, ForbidRtcStream, ForbidRtcStreams};
use zego_proto::wire::Nonce;
use zego_proto::{AppId, Config, Credentials, Sequence, ServerSecret};

/// The spec's second known answer: AppId.
pub const APP_ID: u32 = 1_234_567_890;
/// Its `SignatureNonce`.
pub const NONCE: &str = "a1b2c3d4e5f60718";
/// Its ServerSecret.
pub const SECRET: &str = "0123456789abcdef0123456789abcdef";
/// Its `Timestamp`.
pub const TIMESTAMP: u64 = 1_700_000_000;
/// Its signature.
pub const SIGNATURE: &str = "c90a56c08221a571fbf3007d1d7300d6";
/// AppId ‖ SignatureNonce ‖ ServerSecret ‖ Timestamp: the 68 bytes that are signed.
pub const SIGNED_STRING: &[u8; 68] =
    b"1234567890a1b2c3d4e5f607180123456789abcdef0123456789abcdef1700000000";

/// The `Sequence` the operations carry.
pub const SEQUENCE: u64 = 1_617_249_600_001;

/// The spec's example success envelope.
pub const SUCCESS_BODY: &str =
    r#"{"Code":0,"Message":"ok","RequestId":"1929203990360298509","Data":null}"#;

/// The signing inputs as zego-proto types.
pub fn signing_inputs() -> (AppId, Nonce, ServerSecret, u64) {
    (
        AppId::new(APP_ID),
        nonce(),
        ServerSecret::new(SECRET).expect("the spec's secret is valid"),
        TIMESTAMP,
    )
}

/// The spec's nonce.
pub fn nonce() -> Nonce {
    NONCE.parse().expect("the spec's nonce is valid")
}

/// The spec's credentials.
pub fn credentials() -> Credentials {
    Credentials::new(APP_ID, SECRET).expect("the spec's credentials are valid")
}

/// Production, unified endpoint.
pub fn config() -> Config {
    Config::default()
}

/// `ForbidRTCStream` of one stream.
pub fn forbid_one() -> ForbidRtcStream {
    ForbidRtcStream::new("rtc01")
        .expect("valid operation")
        .with_sequence(Sequence::new(SEQUENCE))
}

/// `ForbidRTCStreams` of 20 streams (the most one call takes).
pub fn forbid_20() -> ForbidRtcStreams {
    ForbidRtcStreams::new(stream_ids(20))
        .expect("valid operation")
        .with_sequence(Sequence::new(SEQUENCE))
}

/// `rtc01`, `rtc02`, ...
pub fn stream_ids(n: usize) -> Vec<String> {
    (1..=n).map(|i| format!("rtc{i:02}")).collect()
}

/// Streams a Describe asks about (the most one call takes).
pub const DESCRIBE_STREAMS: usize = 10;

/// `DescribeForbidStreamRules` of [`DESCRIBE_STREAMS`] streams in `room1`.
pub fn describe() -> DescribeForbidStreamRules {
    DescribeForbidStreamRules::new("room1", stream_ids(DESCRIBE_STREAMS)).expect("valid operation")
}

/// The answer to [`describe`]: the spec's Data shape, one rule per stream, the last
/// stream without a rule (all numbers 0, as ZEGO answers).
pub fn describe_body() -> String {
    let rules: Vec<String> = stream_ids(DESCRIBE_STREAMS)
        .iter()
        .enumerate()
        .map(|(i, id)| {
            if i + 1 == DESCRIBE_STREAMS {
                format!(
                    r#"{{"StreamId":"{id}","DisableAudio":0,"DisableVideo":0,"CreateTime":0,"EffectiveTime":0}}"#
                )
            } else {
                format!(
                    r#"{{"StreamId":"{id}","DisableAudio":1,"DisableVideo":{},"CreateTime":{},"EffectiveTime":3600}}"#,
                    i % 2,
                    1_700_000_000 + i
                )
            }
        })
        .collect();
    format!(
        r#"{{"Code":0,"Message":"success","RequestId":"1929203990360298509","Data":{{"RoomId":"room1","ForbidStreamRuleList":[{}]}}}}"#,
        rules.join(",")
    )
}
