//! Strict, panic-free decoding of a request's query string.
//!
//! Rules (documented in the crate docs as well):
//! - pairs are separated by `&`; empty pairs are skipped; a pair without `=` is a key with an
//!   empty value; only the first `=` splits key from value;
//! - keys and values are percent-decoded; `+` decodes to a space (HTML-form style; the SDK never
//!   sends `+`, it sends `%20`, and both decode to a space here);
//! - a `%` not followed by two hex digits, or a decoded byte sequence that is not UTF-8, makes the
//!   whole query malformed (the simulator answers Code 2, bad parameter);
//! - array keys may come raw (`StreamId[]=`) or percent-encoded (`StreamId%5B%5D=`): both decode
//!   to the same key `StreamId[]`.

use std::fmt;

/// Why a query string could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// A `%` not followed by two hexadecimal digits, at this byte offset of the component.
    BadEscape,
    /// The decoded bytes are not UTF-8.
    NotUtf8,
}

impl fmt::Display for QueryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryError::BadEscape => f.write_str("malformed percent escape in the query string"),
            QueryError::NotUtf8 => f.write_str("query string is not valid UTF-8 once decoded"),
        }
    }
}

/// Decoded query parameters, in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes one key or value (`+` becomes a space).
pub fn decode_component(raw: &str) -> Result<String, QueryError> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex_val);
                let lo = bytes.get(i + 2).copied().and_then(hex_val);
                match (hi, lo) {
                    (Some(h), Some(l)) => out.push(h * 16 + l),
                    _ => return Err(QueryError::BadEscape),
                }
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| QueryError::NotUtf8)
}

impl Params {
    /// Decodes a raw query string (without the leading `?`).
    pub fn parse(query: &str) -> Result<Self, QueryError> {
        let mut pairs = Vec::new();
        for part in query.split('&') {
            if part.is_empty() {
                continue;
            }
            let (k, v) = part.split_once('=').unwrap_or((part, ""));
            pairs.push((decode_component(k)?, decode_component(v)?));
        }
        Ok(Self { pairs })
    }

    /// The first value of `key`, if present.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// All values of the array key `key[]` (pass the name without brackets), in order.
    pub fn array(&self, key: &str) -> Vec<&str> {
        let arr = format!("{key}[]");
        self.pairs
            .iter()
            .filter(|(k, _)| *k == arr)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// All values of `key[]` and of plain `key`, in order (for actions whose array name is
    /// documented both ways).
    pub fn array_or_plain(&self, key: &str) -> Vec<&str> {
        let arr = format!("{key}[]");
        self.pairs
            .iter()
            .filter(|(k, _)| k == key || *k == arr)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Every decoded pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_and_encoded_brackets() {
        let p = Params::parse("StreamId[]=a&StreamId%5B%5D=b&StreamId%5b%5d=c").unwrap();
        assert_eq!(p.array("StreamId"), vec!["a", "b", "c"]);
    }

    #[test]
    fn plus_and_percent_space() {
        let p = Params::parse("a=x+y&b=x%20y").unwrap();
        assert_eq!(p.get("a"), Some("x y"));
        assert_eq!(p.get("b"), Some("x y"));
    }

    #[test]
    fn malformed() {
        assert_eq!(Params::parse("a=%zz"), Err(QueryError::BadEscape));
        assert_eq!(Params::parse("a=%4"), Err(QueryError::BadEscape));
        assert_eq!(Params::parse("a=%"), Err(QueryError::BadEscape));
        assert_eq!(Params::parse("a=%ff%fe"), Err(QueryError::NotUtf8));
        assert_eq!(
            Params::parse("%c3%a9=%e4%b8%ad").unwrap().get("é"),
            Some("中")
        );
    }

    #[test]
    fn shapes() {
        let p = Params::parse("&&a&b=&c=1=2").unwrap();
        assert_eq!(p.get("a"), Some(""));
        assert_eq!(p.get("b"), Some(""));
        assert_eq!(p.get("c"), Some("1=2"));
        assert_eq!(p.get("d"), None);
        assert_eq!(p.pairs().len(), 3);
        let p = Params::parse("StreamId=x&StreamId[]=y").unwrap();
        assert_eq!(p.array("StreamId"), vec!["y"]);
        assert_eq!(p.array_or_plain("StreamId"), vec!["x", "y"]);
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".*") {
            let _ = Params::parse(&s);
        }

        #[test]
        fn never_panics_bytes(v in proptest::collection::vec(proptest::sample::select(
            vec!['%', '&', '=', '+', '[', ']', 'a', 'F', '0', '9', 'é', ' ']), 0..40)) {
            let s: String = v.into_iter().collect();
            let _ = Params::parse(&s);
        }

        #[test]
        fn roundtrip(k in "[A-Za-z]{1,8}", v in ".*") {
            let enc: String = v.bytes().fold(String::new(), |mut acc, b| {
                use std::fmt::Write;
                let _ = write!(acc, "%{b:02X}");
                acc
            });
            let p = Params::parse(&format!("{k}={enc}")).unwrap();
            proptest::prop_assert_eq!(p.get(&k), Some(v.as_str()));
        }
    }
}
