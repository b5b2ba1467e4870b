//! Query-string encoding: RFC 3986 unreserved characters kept, everything else
//! percent-encoded (space is `%20`, brackets are `%5B%5D`), and the reverse.

use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::{Problem, ValidationError};
use crate::ids::check_id_chars;
use crate::sequence::Sequence;

/// Everything but `A-Z a-z 0-9 - . _ ~` is encoded.
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Most bytes a stream ID may have on the wire (after any test-environment prefix).
pub const MAX_STREAM_ID_BYTES: usize = 256;

/// Appends `text` to `out`, percent-encoded.
pub(crate) fn push_encoded(out: &mut String, text: &str) {
    for chunk in utf8_percent_encode(text, ENCODE) {
        out.push_str(chunk);
    }
}

/// The one stream-ID check of typed operations, shared by their constructors (no prefix),
/// the parameter writer and bulk batching (with the test-environment prefix, which counts
/// toward the limit): non-empty, at most 256 bytes on the wire, and every character in the
/// ID set of spec §7 ([`crate::ids`]).
pub(crate) fn check_stream_id(
    field: &'static str,
    index: Option<usize>,
    id: &str,
    prefix: Option<&str>,
) -> Result<(), ValidationError> {
    check_stream_id_length(field, index, id, prefix)?;
    check_id_chars(field, index, id)
}

/// The part of [`check_stream_id`] that `RawOperation` keeps (it sends whatever
/// characters it is given, spec §7): non-empty, and at most 256 bytes on the wire.
pub(crate) fn check_stream_id_length(
    field: &'static str,
    index: Option<usize>,
    id: &str,
    prefix: Option<&str>,
) -> Result<(), ValidationError> {
    let problem = if id.is_empty() {
        Problem::Empty
    } else {
        let actual = prefix_for(id, prefix).len() + id.len();
        if actual <= MAX_STREAM_ID_BYTES {
            return Ok(());
        }
        Problem::TooLong {
            max_bytes: MAX_STREAM_ID_BYTES,
            actual,
        }
    };
    Err(match index {
        Some(i) => ValidationError::at(field, i, problem),
        None => ValidationError::new(field, problem),
    })
}

/// The test-environment prefix `id` gets on the wire: none if it has it already.
fn prefix_for<'p>(id: &str, prefix: Option<&'p str>) -> &'p str {
    match prefix {
        Some(prefix) if !id.starts_with(prefix) => prefix,
        _ => "",
    }
}

/// `text` percent-encoded once, the way ZEGO wants a free-text field (`CustomReason`,
/// `StreamTitle`) encoded by the caller before the query encoding encodes it again.
pub(crate) fn encoded(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    push_encoded(&mut out, text);
    out
}

/// Writes an operation's business parameters into the request URL.
///
/// Keys and values are percent-encoded here, so an operation cannot produce a
/// malformed query; stream IDs get the test-environment prefix here, so no operation can
/// forget it; and the `Sequence` is the one the call resolved (stamped by the client's
/// coordinator, or given explicitly), so no operation can send a stale one.
#[derive(Debug)]
pub struct ParamWriter<'a> {
    url: &'a mut String,
    stream_prefix: Option<&'a str>,
    sequence: Option<Sequence>,
}

impl<'a> ParamWriter<'a> {
    pub(crate) fn new(
        url: &'a mut String,
        stream_prefix: Option<&'a str>,
        sequence: Option<Sequence>,
    ) -> Self {
        Self {
            url,
            stream_prefix,
            sequence,
        }
    }

    /// Appends `&key=value`.
    pub fn param(&mut self, key: &str, value: &str) {
        self.url.push('&');
        push_encoded(self.url, key);
        self.url.push('=');
        push_encoded(self.url, value);
    }

    /// Appends `&key=value` for a number, without allocating.
    pub fn param_int(&mut self, key: &str, value: impl itoa::Integer) {
        let mut buf = itoa::Buffer::new();
        self.param(key, buf.format(value));
    }

    /// Appends `&Sequence=N` with the call's sequence; an error if none was resolved
    /// (a sequenced operation prepared outside a client without `with_sequence`).
    pub fn sequence(&mut self) -> Result<(), ValidationError> {
        let Some(sequence) = self.sequence else {
            return Err(ValidationError::new(
                "Sequence",
                Problem::Invalid {
                    expected: "a Sequence: give one with `with_sequence`, or send through a client, which stamps one",
                },
            ));
        };
        self.param_int("Sequence", sequence.get());
        Ok(())
    }

    /// Appends a stream ID, adding the test-environment prefix when it applies, and checks
    /// it (at most 256 bytes on the wire, only the characters ZEGO allows).
    pub fn stream_id(
        &mut self,
        key: &'static str,
        index: Option<usize>,
        id: &str,
    ) -> Result<(), ValidationError> {
        check_stream_id(key, index, id, self.stream_prefix)?;
        self.push_stream_id(key, id);
        Ok(())
    }

    /// [`Self::stream_id`] for `RawOperation`: the length is checked, the characters are
    /// sent as given.
    pub(crate) fn raw_stream_id(
        &mut self,
        key: &'static str,
        index: Option<usize>,
        id: &str,
    ) -> Result<(), ValidationError> {
        check_stream_id_length(key, index, id, self.stream_prefix)?;
        self.push_stream_id(key, id);
        Ok(())
    }

    fn push_stream_id(&mut self, key: &str, id: &str) {
        self.url.push('&');
        push_encoded(self.url, key);
        self.url.push('=');
        push_encoded(self.url, prefix_for(id, self.stream_prefix));
        push_encoded(self.url, id);
    }
}

/// Splits a URL's query into decoded `(key, value)` pairs, in order.
///
/// The inverse of what [`crate::wire::prepare`] writes: `StreamId%5B%5D` decodes to
/// `StreamId[]`. `+` is kept as a literal `+` (the SDK never sends it for a space).
///
/// ```
/// let pairs = zego_proto::wire::decode_query("https://h/?Action=A&StreamId%5B%5D=a%20b&X=")?;
/// assert_eq!(pairs, vec![
///     ("Action".to_owned(), "A".to_owned()),
///     ("StreamId[]".to_owned(), "a b".to_owned()),
///     ("X".to_owned(), String::new()),
/// ]);
/// # Ok::<(), zego_proto::ValidationError>(())
/// ```
pub fn decode_query(url: &str) -> Result<Vec<(String, String)>, ValidationError> {
    let query = url.split_once('?').map_or(url, |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let decode = |part: &str| {
        percent_decode_str(part)
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| {
                ValidationError::new(
                    "query",
                    Problem::Invalid {
                        expected: "percent-encoded UTF-8",
                    },
                )
            })
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((decode(key)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_keeps_only_unreserved() {
        let mut s = String::new();
        push_encoded(&mut s, "aZ09-._~ +/[]?&=%中");
        assert_eq!(s, "aZ09-._~%20%2B%2F%5B%5D%3F%26%3D%25%E4%B8%AD");
    }

    #[test]
    fn stream_prefix_is_added_once() {
        let mut url = String::new();
        let mut w = ParamWriter::new(&mut url, Some("zegotest-1-"), None);
        w.stream_id("StreamId", None, "a").unwrap();
        w.stream_id("StreamId", None, "zegotest-1-b").unwrap();
        assert_eq!(url, "&StreamId=zegotest-1-a&StreamId=zegotest-1-b");
    }

    #[test]
    fn typed_stream_ids_are_checked_for_characters_raw_ones_are_not() {
        let mut url = String::new();
        let mut w = ParamWriter::new(&mut url, None, None);
        let err = w.stream_id("StreamId[]", Some(1), "a b").unwrap_err();
        assert!(matches!(
            err.problem(),
            Problem::Character {
                character: ' ',
                position: 2,
                ..
            }
        ));
        w.raw_stream_id("StreamId", None, "a b").unwrap();
        assert!(w.raw_stream_id("StreamId", None, "").is_err());
        assert_eq!(url, "&StreamId=a%20b");
    }

    #[test]
    fn prefixed_length_is_checked() {
        let mut url = String::new();
        let mut w = ParamWriter::new(&mut url, Some("zegotest-1-"), None);
        let id = "x".repeat(250);
        let err = w.stream_id("StreamId[]", Some(3), &id).unwrap_err();
        assert_eq!(err.index(), Some(3));
        assert_eq!(
            err.problem(),
            &Problem::TooLong {
                max_bytes: 256,
                actual: 261
            }
        );
    }

    #[test]
    fn free_text_is_encoded_once() {
        assert_eq!(encoded("spam & abuse"), "spam%20%26%20abuse");
    }

    #[test]
    fn malformed_queries_are_errors_not_panics() {
        assert!(decode_query("?a=%FF").is_err());
        assert_eq!(decode_query("?a=%4").unwrap()[0].1, "%4");
        assert_eq!(decode_query("").unwrap(), vec![]);
    }
}
