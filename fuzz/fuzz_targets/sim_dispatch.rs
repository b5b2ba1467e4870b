//! The simulator's query handling (parsing, gateway, dispatch) never panics, and every
//! answer is a ZEGO envelope that zego-proto can read.
//!
//! Input: byte 0 picks the mode, the rest is query text.
//! - odd (`S`): the text is the business part (`Action=...&...`); the target appends the
//!   common parameters signed for the fuzz app at the simulator's time, so inputs get
//!   past the signature check into the actions;
//! - even (`R`): the text is the whole raw query.

#![no_main]

use libfuzzer_sys::fuzz_target;
use zego_proto::ops::RawOperation;
use zego_proto::wire::{parse_response, sign, HttpResponse, Nonce, ResponseError};
use zego_proto::{AppId, ServerSecret};
use zego_sim::fuzzing::{FuzzTarget, FUZZ_APP_ID, FUZZ_NOW_MS, FUZZ_SECRET};

fuzz_target!(|data: &[u8]| {
    let [mode, text @ ..] = data else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let query = if mode % 2 == 1 {
        let nonce = Nonce::from_bytes([0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18]);
        let timestamp = u64::try_from(FUZZ_NOW_MS / 1000).expect("a positive time");
        let secret = ServerSecret::new(FUZZ_SECRET).expect("the fuzz secret is valid");
        let signature = sign(AppId::new(FUZZ_APP_ID), &nonce, &secret, timestamp);
        format!(
            "{text}&AppId={FUZZ_APP_ID}&SignatureNonce={nonce}&Timestamp={timestamp}\
             &Signature={}&SignatureVersion=2.0",
            signature.expose()
        )
    } else {
        text.into_owned()
    };

    let body = FuzzTarget::new()
        .handle(&query)
        .expect("without faults the simulator always answers");
    let op = RawOperation::new("Any").expect("valid action name");
    match parse_response(&op, &HttpResponse::new(200, body.clone())) {
        Ok(_) | Err(ResponseError::Api(_)) => {}
        Err(e) => panic!("the simulator answered {body:?} to {query:?}: {e}"),
    }
});
