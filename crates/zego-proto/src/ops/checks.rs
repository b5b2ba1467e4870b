//! Field checks shared by the operations.

use crate::encode::check_stream_id;
use crate::error::{Problem, ValidationError};

/// A required identifier (RoomId, UserId, IP, ...): non-empty.
pub(crate) fn required(field: &'static str, value: String) -> Result<String, ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Problem::Empty));
    }
    Ok(value)
}

/// A stream ID: non-empty and at most 256 bytes (the one check of [`check_stream_id`]).
pub(crate) fn stream_id(
    field: &'static str,
    index: Option<usize>,
    value: String,
) -> Result<String, ValidationError> {
    check_stream_id(field, index, &value, None)?;
    Ok(value)
}

/// A list of stream IDs with `1..=max` valid entries.
pub(crate) fn stream_ids<I, S>(
    field: &'static str,
    ids: I,
    max: usize,
) -> Result<Vec<String>, ValidationError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut ids = ids.into_iter();
    let mut out = Vec::new();
    for (i, id) in ids.by_ref().take(max).enumerate() {
        out.push(stream_id(field, Some(i), id.into())?);
    }
    // Count the rest without keeping it, so the error reports the real size.
    let beyond_max = ids.count();
    if out.is_empty() || beyond_max > 0 {
        return Err(ValidationError::new(
            field,
            Problem::Count {
                min: 1,
                max,
                actual: out.len() + beyond_max,
            },
        ));
    }
    Ok(out)
}

/// Rough encoded length of a list of IDs, for sizing the URL.
pub(crate) fn ids_len_hint(key_len: usize, ids: &[String]) -> usize {
    ids.iter().map(|id| key_len + 2 + id.len() * 3).sum()
}

/// The punctuation §7 of the spec allows in user and room IDs, besides ASCII letters and
/// digits.
#[cfg_attr(not(feature = "token"), allow(dead_code))]
const ID_PUNCTUATION: &[u8] = b"~!@#$%^&*()_+=-`;',.<>/\\";

/// A user ID (at most 64 bytes) or room ID (at most 128 bytes): non-empty, ASCII letters,
/// digits and [`ID_PUNCTUATION`] only, naming the first offending character and its position.
#[cfg_attr(not(feature = "token"), allow(dead_code))]
pub(crate) fn identifier(
    field: &'static str,
    value: &str,
    max_bytes: usize,
) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Problem::Empty));
    }
    if value.len() > max_bytes {
        return Err(ValidationError::new(
            field,
            Problem::TooLong {
                max_bytes,
                actual: value.len(),
            },
        ));
    }
    if value
        .bytes()
        .any(|b| !(b.is_ascii_alphanumeric() || ID_PUNCTUATION.contains(&b)))
    {
        return Err(ValidationError::new(
            field,
            Problem::Invalid {
                expected: "ASCII letters, digits and ~!@#$%^&*()_+=-`;',.<>/\\ only",
            },
        ));
    }
    Ok(())
}
