//! The gateway's checks: common parameters, signature (version 2.0), clock skew, action name.

use std::collections::HashMap;

use md5::{Digest, Md5};
use subtle::ConstantTimeEq;

use crate::actions::Action;
use crate::codes;
use crate::query::Params;

/// Largest accepted |Timestamp - now|, in seconds.
pub(crate) const MAX_SKEW_SECS: i64 = 600;

/// One configured app.
#[derive(Clone)]
pub(crate) struct AppConfig {
    pub secret: String,
    pub rules_enabled: bool,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig")
            .field("secret", &"<redacted>")
            .field("rules_enabled", &self.rules_enabled)
            .finish()
    }
}

/// A request the gateway let through.
#[derive(Debug, Clone)]
pub(crate) struct Authed {
    pub app_id: u32,
    pub action: Action,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// `lowercase_hex(md5(AppId ‖ SignatureNonce ‖ ServerSecret ‖ Timestamp))`.
pub(crate) fn signature(app_id: u32, nonce: &str, secret: &str, timestamp: i64) -> String {
    let mut h = Md5::new();
    h.update(app_id.to_string().as_bytes());
    h.update(nonce.as_bytes());
    h.update(secret.as_bytes());
    h.update(timestamp.to_string().as_bytes());
    let digest = h.finalize();
    let mut out = String::with_capacity(32);
    for b in digest {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

fn is_decimal(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// A u32 in plain decimal (digits only, no sign, no spaces).
pub(crate) fn parse_app_id(s: &str) -> Option<u32> {
    if is_decimal(s) {
        s.parse().ok()
    } else {
        None
    }
}

/// An i64 in plain decimal, with an optional leading `-`.
pub(crate) fn parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    if is_decimal(digits) {
        s.parse().ok()
    } else {
        None
    }
}

fn nonempty<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.get(key).filter(|v| !v.is_empty())
}

/// Runs every gateway check in the documented order; `Err` carries the gateway code.
pub(crate) fn check(
    p: &Params,
    apps: &HashMap<u32, AppConfig>,
    now_secs: i64,
) -> Result<Authed, i64> {
    let action = nonempty(p, "Action").ok_or(codes::GW_ACTION_EMPTY)?;
    let app_id = p
        .get("AppId")
        .and_then(parse_app_id)
        .ok_or(codes::GW_APPID)?;
    let ts = nonempty(p, "Timestamp").ok_or(codes::GW_TS_EMPTY)?;
    let ts = parse_int(ts).ok_or(codes::GW_TS_FORMAT)?;
    let nonce = nonempty(p, "SignatureNonce").ok_or(codes::GW_NONCE_EMPTY)?;
    let sig = nonempty(p, "Signature").ok_or(codes::GW_SIGNATURE_EMPTY)?;
    let version = nonempty(p, "SignatureVersion").ok_or(codes::GW_VERSION_EMPTY)?;
    if version != "2.0" {
        return Err(codes::GW_VERSION_UNSUPPORTED);
    }
    let app = apps.get(&app_id).ok_or(codes::GW_UNKNOWN_APP)?;
    if ts.abs_diff(now_secs) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(codes::GW_EXPIRED);
    }
    let expected = signature(app_id, nonce, &app.secret, ts);
    // Lower-case hex only: the SDK never sends upper case, and accepting only the canonical form
    // catches an SDK that would.
    let ok: bool = expected.as_bytes().ct_eq(sig.as_bytes()).into();
    if !ok {
        return Err(codes::GW_BAD_SIGNATURE);
    }
    let action = Action::from_name(action).ok_or(codes::GW_UNSUPPORTED_ACTION)?;
    Ok(Authed { app_id, action })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(
            signature(
                12345,
                "4fd24687296dd9f3",
                "9193cc662a4c0ec135ec71fb57194b38",
                1_615_186_943
            ),
            "43e5cfcca828314675f91b001390566a"
        );
        assert_eq!(
            signature(
                1_234_567_890,
                "a1b2c3d4e5f60718",
                "0123456789abcdef0123456789abcdef",
                1_700_000_000
            ),
            "c90a56c08221a571fbf3007d1d7300d6"
        );
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_app_id("4294967295"), Some(u32::MAX));
        assert_eq!(parse_app_id("4294967296"), None);
        assert_eq!(parse_app_id("+1"), None);
        assert_eq!(parse_app_id(" 1"), None);
        assert_eq!(parse_app_id(""), None);
        assert_eq!(parse_int("-5"), Some(-5));
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("1.5"), None);
        assert_eq!(parse_int("99999999999999999999"), None);
    }
}
