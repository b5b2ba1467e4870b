//! Removing signatures from what a server sent back, before anyone sees it.
//!
//! Servers and proxies echo the request URL in error pages, `Message`, `RequestId` and even
//! `Data`. A v2 signature covers neither the action nor the parameters and stays valid for
//! 10 minutes, so an echoed one can be replayed with another action. The current
//! request's signature is removed wherever it appears, and so is the value of anything
//! shaped like a signature parameter (`Signature=…`, `Signature%3D…`, `"Signature":"…"`),
//! whatever its case: an echo of an earlier request's URL is just as live.

use std::borrow::Cow;

/// What a removed value is replaced with.
pub(crate) const REDACTED: &str = "<redacted>";

const KEY: &[u8] = b"signature";

/// `text` with the live signature and every signature-shaped parameter value replaced by
/// [`REDACTED`]. Borrowed (no copy) when there is nothing to remove, the common case.
pub(crate) fn scrub_bytes<'t>(text: &'t [u8], live: Option<&str>) -> Cow<'t, [u8]> {
    let mut out: Cow<'t, [u8]> = Cow::Borrowed(text);
    if let Some(live) = live.filter(|s| !s.is_empty()) {
        if memchr::memmem::find(&out, live.as_bytes()).is_some() {
            out = Cow::Owned(replace_all(&out, live.as_bytes()));
        }
    }
    if find_key(&out, 0).is_some() {
        out = Cow::Owned(redact_parameter_values(&out));
    }
    out
}

/// [`scrub_bytes`] for text that is already a string (a transport's error message).
pub(crate) fn scrub_str(text: String, live: Option<&str>) -> String {
    match scrub_bytes(text.as_bytes(), live) {
        Cow::Borrowed(_) => text,
        // Only ASCII runs are replaced by ASCII, so the text stays UTF-8.
        Cow::Owned(bytes) => String::from_utf8(bytes)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

fn replace_all(text: &[u8], needle: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = memchr::memmem::find(rest, needle) {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(REDACTED.as_bytes());
        rest = &rest[at + needle.len()..];
    }
    out.extend_from_slice(rest);
    out
}

/// The next position at or after `from` where `signature` starts, in any case.
fn find_key(text: &[u8], from: usize) -> Option<usize> {
    (from..text.len().saturating_sub(KEY.len() - 1))
        .find(|&i| text[i..i + KEY.len()].eq_ignore_ascii_case(KEY))
}

/// Length of the separator between a key and its value (`=`, `%3D`, `":"` with optional
/// spaces), or `None` when the key is not followed by one (prose such as "signature
/// mismatch" is left alone).
fn separator_len(after: &[u8]) -> Option<usize> {
    if after.first() == Some(&b'=') {
        return Some(1);
    }
    if after.len() >= 3 && after[..3].eq_ignore_ascii_case(b"%3d") {
        return Some(3);
    }
    // JSON: `Signature": "value"` (the opening quote of the key is before it).
    let mut i = 0;
    if after.get(i) != Some(&b'"') {
        return None;
    }
    i += 1;
    while after.get(i) == Some(&b' ') {
        i += 1;
    }
    if after.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while after.get(i) == Some(&b' ') {
        i += 1;
    }
    (after.get(i) == Some(&b'"')).then_some(i + 1)
}

/// Length of a parameter value: printable ASCII up to a delimiter of URLs, HTML or JSON,
/// or up to an encoded `&` (`%26`) of a percent-encoded URL.
fn value_len(value: &[u8]) -> usize {
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        let delimiter = matches!(
            b,
            b'&' | b'"' | b'\'' | b'<' | b'>' | b'\\' | b';' | b',' | b')' | b']' | b'}'
        );
        if !b.is_ascii_graphic() || delimiter {
            break;
        }
        if b == b'%' && value.len() >= i + 3 && value[i + 1..i + 3].eq_ignore_ascii_case(b"26") {
            break;
        }
        i += 1;
    }
    i
}

fn redact_parameter_values(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while let Some(key) = find_key(text, from) {
        let after_key = key + KEY.len();
        from = after_key;
        let Some(sep) = separator_len(&text[after_key..]) else {
            continue;
        };
        let start = after_key + sep;
        let len = value_len(&text[start..]);
        if len == 0 || &text[start..start + len] == REDACTED.as_bytes() {
            continue;
        }
        out.extend_from_slice(&text[copied..start]);
        out.extend_from_slice(REDACTED.as_bytes());
        copied = start + len;
        from = copied;
    }
    out.extend_from_slice(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scrub(text: &str, live: Option<&str>) -> String {
        scrub_str(text.to_owned(), live)
    }

    #[test]
    fn the_live_signature_goes_wherever_it_is() {
        assert_eq!(
            scrub("token abc123def in a message", Some("abc123def")),
            "token <redacted> in a message"
        );
    }

    #[test]
    fn signature_shaped_values_go_in_urls_encoded_urls_and_json() {
        let url = "GET /?Action=X&Signature=0123456789abcdef&SignatureNonce=1 HTTP/1.1";
        assert_eq!(
            scrub(url, None),
            "GET /?Action=X&Signature=<redacted>&SignatureNonce=1 HTTP/1.1"
        );
        assert_eq!(
            scrub("u=%2F%3FSignature%3Dfeed%26AppId%3D1", None),
            "u=%2F%3FSignature%3D<redacted>%26AppId%3D1"
        );
        assert_eq!(
            scrub(r#"{"Signature": "beef", "signature":"cafe"}"#, None),
            r#"{"Signature": "<redacted>", "signature":"<redacted>"}"#
        );
        assert_eq!(
            scrub("<a href='/?SIGNATURE=dead'>", None),
            "<a href='/?SIGNATURE=<redacted>'>"
        );
    }

    #[test]
    fn other_parameters_and_prose_stay() {
        for text in [
            "SignatureVersion=2.0&SignatureNonce=abc",
            "signature mismatch",
            "Signature=",
            "Signature",
            "",
            "ü Signature=<redacted> ü",
        ] {
            assert_eq!(scrub(text, Some("zzz")), text);
        }
        assert!(matches!(
            scrub_bytes(b"plain", Some("x1")),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn non_utf8_bodies_are_scrubbed_too() {
        let body = b"\xff\xfeSignature=abc\xff";
        assert_eq!(
            &*scrub_bytes(body, None),
            b"\xff\xfeSignature=<redacted>\xff"
        );
    }
}
