//! Baselines: the least work that produces the same result, written directly against
//! the underlying crates.

use md5::{Digest, Md5};
use serde::Deserialize;

/// MD5 of `input` as 32 lowercase hex characters, on the stack: the floor for signing.
pub fn md5_hex(input: &[u8]) -> [u8; 32] {
    let digest = Md5::digest(input);
    let mut out = [0u8; 32];
    // Cannot fail: 16 bytes make exactly 32 hex characters.
    let _ = hex::encode_to_slice(digest, &mut out);
    out
}

/// A minimal borrowed ZEGO envelope: what `serde_json` alone does with a body.
#[derive(Debug, Deserialize)]
pub struct Envelope<'a, D> {
    /// `Code`.
    #[serde(rename = "Code")]
    pub code: i64,
    /// `Message`.
    #[serde(rename = "Message", borrow)]
    pub message: &'a str,
    /// `RequestId`.
    #[serde(rename = "RequestId", borrow)]
    pub request_id: &'a str,
    /// `Data`.
    #[serde(rename = "Data")]
    pub data: Option<D>,
}

/// A minimal borrowed `DescribeForbidStreamRules` `Data`.
#[derive(Debug, Deserialize)]
pub struct Rules<'a> {
    /// `RoomId`.
    #[serde(rename = "RoomId", borrow)]
    pub room_id: &'a str,
    /// `ForbidStreamRuleList`.
    #[serde(rename = "ForbidStreamRuleList", borrow)]
    pub rules: Vec<Rule<'a>>,
}

/// One rule.
#[derive(Debug, Deserialize)]
pub struct Rule<'a> {
    /// `StreamId`.
    #[serde(rename = "StreamId", borrow)]
    pub stream_id: &'a str,
    /// `DisableAudio`.
    #[serde(rename = "DisableAudio")]
    pub disable_audio: u8,
    /// `DisableVideo`.
    #[serde(rename = "DisableVideo")]
    pub disable_video: u8,
    /// `CreateTime`.
    #[serde(rename = "CreateTime")]
    pub create_time: i64,
    /// `EffectiveTime`.
    #[serde(rename = "EffectiveTime")]
    pub effective_time: i64,
}

/// Parses a success envelope whose `Data` is `null`.
pub fn parse_success(body: &[u8]) -> serde_json::Result<Envelope<'_, ()>> {
    serde_json::from_slice(body)
}

/// Parses a Describe answer.
pub fn parse_describe(body: &[u8]) -> serde_json::Result<Envelope<'_, Rules<'_>>> {
    serde_json::from_slice(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use zego_proto::wire::{parse_response, HttpResponse};

    #[test]
    fn md5_baseline_is_the_spec_signature() {
        assert_eq!(
            &md5_hex(fixtures::SIGNED_STRING),
            fixtures::SIGNATURE.as_bytes()
        );
        let (app_id, nonce, secret, ts) = fixtures::signing_inputs();
        assert_eq!(
            zego_proto::wire::sign(app_id, &nonce, &secret, ts).expose(),
            fixtures::SIGNATURE
        );
    }

    #[test]
    fn baselines_read_what_zego_proto_reads() {
        let success = parse_success(fixtures::SUCCESS_BODY.as_bytes()).unwrap();
        assert_eq!((success.code, success.message), (0, "ok"));
        assert!(success.data.is_none());

        let body = fixtures::describe_body();
        let ours = parse_describe(body.as_bytes()).unwrap();
        let theirs = parse_response(&fixtures::describe(), &HttpResponse::new(200, body.clone()))
            .unwrap()
            .data;
        let ours = ours.data.unwrap();
        assert_eq!(ours.room_id, theirs.room_id);
        assert_eq!(ours.rules.len(), fixtures::DESCRIBE_STREAMS);
        for (a, b) in ours.rules.iter().zip(&theirs.rules) {
            assert_eq!(a.stream_id, b.stream_id);
            assert_eq!(a.disable_audio == 1, b.disable_audio);
            assert_eq!(a.disable_video == 1, b.disable_video);
            assert_eq!(a.create_time, b.create_time);
            assert_eq!(a.effective_time, b.effective_time);
        }
        assert!(theirs.rules.last().unwrap().is_empty());
    }

    #[test]
    fn prepared_url_is_the_signed_one() {
        let request = zego_proto::wire::prepare_with_nonce(
            &fixtures::forbid_one(),
            &fixtures::config(),
            &fixtures::credentials(),
            fixtures::TIMESTAMP,
            fixtures::nonce(),
        )
        .unwrap();
        assert!(request.url().contains(fixtures::SIGNATURE));
    }
}
