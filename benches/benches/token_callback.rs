//! Token04 and callbacks: making a token against the bare AES-256-GCM seal of the same
//! plaintext, and verifying a `stream_create` callback against the bare SHA-1 of its
//! signature.

use std::hint::black_box;
use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::Aes256Gcm;
use criterion::Criterion;
use rand::SeedableRng;
use sha1::{Digest, Sha1};
use zego_callback::{callback_signature, CallbackSecret, CallbackVerifier};
use zego_proto::token::TokenRequest;
use zego_proto::Credentials;

const SECRET: &str = "0123456789abcdef0123456789abcdef";

fn token(c: &mut Criterion) {
    let credentials = Credentials::new(1234567890u32, SECRET).unwrap();
    let request = TokenRequest::new("alice", Duration::from_secs(3600)).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    // The plaintext the token seals (same length as the generator's).
    let plaintext = br#"{"app_id":1234567890,"user_id":"alice","nonce":1234567,"ctime":1700000000,"expire":1700003600,"payload":""}"#;
    let cipher = Aes256Gcm::new(SECRET.as_bytes().into());
    let mut group = c.benchmark_group("token_generate");
    group.bench_function("zego_proto_token", |b| {
        b.iter(|| {
            request
                .generate(black_box(&credentials), 1_700_000_000, &mut rng)
                .unwrap()
        });
    });
    group.bench_function("aes_gcm_seal", |b| {
        b.iter(|| {
            cipher
                .encrypt(black_box(&[7u8; 12].into()), black_box(&plaintext[..]))
                .unwrap()
        });
    });
    group.finish();
}

fn callback(c: &mut Criterion) {
    let signature = callback_signature("cb-secret", "1700000000", "8231");
    let body = format!(
        r#"{{"event":"stream_create","appid":"1234567890","timestamp":"1700000000","nonce":"8231","signature":"{signature}","room_id":"room-1","room_session_id":"1","user_id":"alice","user_name":"alice","channel_id":"0","stream_id":"stream-1","stream_sid":"s","title":"","stream_alias":"","stream_attr":"{{\"cid\":0}}","stream_seq":"1","create_time":"1700000000","create_time_ms":"1700000000000","extra_info":"","recreate":"0","publish_id":"alice","publish_name":"alice","rtmp_url":["rtmp://example.com/live/stream-1"],"hls_url":[],"hdl_url":[],"pic_url":[]}}"#
    );
    // No replay cache: the same body is verified again and again.
    let verifier =
        CallbackVerifier::new(CallbackSecret::new("cb-secret").unwrap()).without_replay_cache();
    let mut group = c.benchmark_group("callback_verify");
    group.bench_function("verify_stream_create_json", |b| {
        b.iter(|| {
            verifier
                .verify(
                    black_box(body.as_bytes()),
                    Some("application/json"),
                    1_700_000_000,
                )
                .unwrap()
        });
    });
    group.bench_function("sha1_hex_signature", |b| {
        b.iter(|| {
            let mut sha1 = Sha1::new();
            for part in ["1700000000", "8231", "cb-secret"] {
                sha1.update(black_box(part).as_bytes());
            }
            hex::encode(sha1.finalize())
        });
    });
    group.finish();
}

// What `criterion_group!`/`criterion_main!` expand to, without their undocumented `pub fn`.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    token(&mut c);
    callback(&mut c);
    c.final_summary();
}
