//! Signing on arbitrary (AppId, nonce bytes, secret, timestamp): `sign` is deterministic and
//! equals an independent MD5 of the concatenation; `Signature::matches` accepts its own
//! output and rejects every other string; `Nonce` parsing never panics and round-trips.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use md5::{Digest, Md5};
use zego_proto::wire::{sign, Nonce};
use zego_proto::{AppId, ServerSecret};

#[derive(Debug, Arbitrary)]
struct Input {
    app_id: u32,
    nonce: [u8; 8],
    secret: String,
    timestamp: u64,
    /// Edits to the signature: (position, new byte), to probe near misses.
    edits: Vec<(u8, u8)>,
    /// Any other candidate.
    other: String,
    /// Any text offered as a nonce.
    nonce_text: String,
}

fuzz_target!(|input: Input| {
    // Nonce parsing: never panics; accepts exactly 16 lowercase hex digits, verbatim.
    let lowercase_hex =
        |s: &str| s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    match input.nonce_text.parse::<Nonce>() {
        Ok(n) => {
            assert!(lowercase_hex(&input.nonce_text));
            assert_eq!(n.as_str(), input.nonce_text);
            assert_eq!(n.to_string(), input.nonce_text);
        }
        Err(_) => assert!(!lowercase_hex(&input.nonce_text)),
    }
    let nonce = Nonce::from_bytes(input.nonce);
    assert_eq!(nonce.as_str(), hex::encode(input.nonce));
    assert_eq!(nonce.as_str().parse::<Nonce>().unwrap(), nonce);

    // Any text becomes a valid secret (printable ASCII, no spaces), so every input signs.
    let secret_text: String = input
        .secret
        .chars()
        .map(|c| char::from(b'!' + u8::try_from(u32::from(c) % 94).expect("< 94")))
        .collect();
    let secret_text = if secret_text.is_empty() {
        "0".to_owned()
    } else {
        secret_text
    };
    let secret = ServerSecret::new(secret_text.clone()).expect("printable ASCII is a valid secret");
    let app_id = AppId::new(input.app_id);
    let signature = sign(app_id, &nonce, &secret, input.timestamp);
    assert_eq!(signature, sign(app_id, &nonce, &secret, input.timestamp));

    let signed = format!(
        "{}{}{}{}",
        input.app_id,
        nonce.as_str(),
        secret_text,
        input.timestamp
    );
    let expected = hex::encode(Md5::digest(signed.as_bytes()));
    assert_eq!(signature.expose(), expected);
    assert!(!format!("{signature:?}{signature}").contains(&expected));

    assert!(signature.matches(&expected));
    let mut near = expected.clone().into_bytes();
    for (position, byte) in &input.edits {
        near[usize::from(*position) % 32] = byte & 0x7f; // stays ASCII, so valid UTF-8
    }
    let near = String::from_utf8(near).expect("ASCII");
    assert_eq!(signature.matches(&near), near == expected, "{near:?}");
    assert_eq!(
        signature.matches(&input.other),
        input.other == expected,
        "{:?}",
        input.other
    );
    let upper = expected.to_uppercase();
    assert_eq!(signature.matches(&upper), upper == expected);
});
