//! Callback verification on arbitrary bodies and content types: never panics, never accepts
//! an unsigned body, always maps a refusal to one of its HTTP statuses; and on arbitrary form
//! bodies carrying a correct signature, never refuses the signature or the timestamp, and
//! names a field whenever it refuses the body.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zego_callback::{callback_signature, CallbackError, CallbackSecret, CallbackVerifier};

const SECRET: &str = "fuzz-callback-secret";
const NOW: u64 = 1_700_000_000;
const CONTENT_TYPES: [Option<&str>; 6] = [
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("application/json; charset=utf-8"),
    Some("text/plain"),
    Some("multipart/form-data"),
];

#[derive(Debug, Arbitrary)]
struct Input {
    content_type: u8,
    /// Sign the body (as a form with the common fields first) or send it as it is.
    signed: bool,
    /// Seconds between the callback's timestamp and the receiver's clock.
    offset: i16,
    nonce: u64,
    body: Vec<u8>,
}

fuzz_target!(|input: Input| {
    let verifier = CallbackVerifier::new(CallbackSecret::new(SECRET).unwrap());
    if !input.signed {
        let content_type = CONTENT_TYPES[usize::from(input.content_type) % CONTENT_TYPES.len()];
        let result = verifier.verify(&input.body, content_type, NOW);
        // The body carries no signature made with SECRET (SHA-1 is not guessed by a fuzzer).
        let err = result.expect_err("an unsigned body verified");
        assert!(matches!(err.http_status(), 400 | 401 | 413 | 415), "{err}");
        return;
    }
    let timestamp = (1_700_000_000i64 + i64::from(input.offset)).to_string();
    let nonce = format!("{:x}", input.nonce);
    let signature = callback_signature(SECRET, &timestamp, &nonce);
    let mut body =
        format!("timestamp={timestamp}&nonce={nonce}&signature={signature}&").into_bytes();
    body.extend_from_slice(&input.body);
    let stale = i64::from(input.offset).unsigned_abs() > 600;
    match verifier.verify(&body, Some("application/x-www-form-urlencoded"), NOW) {
        Ok(event) => {
            assert!(!stale);
            assert_eq!(event.header().nonce, nonce);
        }
        Err(CallbackError::Stale { .. }) => assert!(stale),
        Err(CallbackError::BodyTooLarge { .. }) => assert!(body.len() > 64 * 1024),
        Err(CallbackError::MissingField { .. } | CallbackError::InvalidField { .. }) => {}
        Err(other) => panic!("a signed form was refused: {other}"),
    }
});
