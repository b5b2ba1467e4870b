//! Field checks shared by the operations.

use crate::encode::{check_stream_id, check_stream_id_length};
use crate::error::{Problem, ValidationError};
use crate::ids::{check_room_id_at, check_user_id_at};

/// A required value without a documented form (an IP address before parsing): non-empty.
pub(crate) fn required(field: &'static str, value: String) -> Result<String, ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(field, Problem::Empty));
    }
    Ok(value)
}

/// A stream ID given to `RawOperation`: non-empty and at most 256 bytes, any characters.
pub(crate) fn raw_stream_id(
    field: &'static str,
    index: Option<usize>,
    value: String,
) -> Result<String, ValidationError> {
    check_stream_id_length(field, index, &value, None)?;
    Ok(value)
}

/// A stream ID: non-empty, at most 256 bytes, only the characters ZEGO allows (the one
/// check of [`check_stream_id`]).
pub(crate) fn stream_id(
    field: &'static str,
    index: Option<usize>,
    value: String,
) -> Result<String, ValidationError> {
    check_stream_id(field, index, &value, None)?;
    Ok(value)
}

/// A user ID (spec section 7, [`check_user_id_at`]).
pub(crate) fn user_id(
    field: &'static str,
    index: Option<usize>,
    value: String,
) -> Result<String, ValidationError> {
    check_user_id_at(field, index, &value)?;
    Ok(value)
}

/// A room ID (spec section 7, [`check_room_id_at`]).
pub(crate) fn room_id(
    field: &'static str,
    index: Option<usize>,
    value: String,
) -> Result<String, ValidationError> {
    check_room_id_at(field, index, &value)?;
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
    list(field, ids, max, stream_id)
}

/// A list of `1..=max` entries, each passing `check` (which gets the field and the index).
pub(crate) fn list<I, S>(
    field: &'static str,
    ids: I,
    max: usize,
    check: fn(&'static str, Option<usize>, String) -> Result<String, ValidationError>,
) -> Result<Vec<String>, ValidationError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let mut ids = ids.into_iter();
    let mut out = Vec::new();
    for (i, id) in ids.by_ref().take(max).enumerate() {
        out.push(check(field, Some(i), id.into())?);
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

/// An optional free-text field ZEGO wants URL-encoded by the caller on top of the query
/// encoding (`CustomReason`): encoded once here, and at most `max_bytes` once encoded.
pub(crate) fn pre_encoded_text(
    field: &'static str,
    text: &str,
    max_bytes: usize,
) -> Result<String, ValidationError> {
    let encoded = crate::encode::encoded(text);
    if encoded.len() > max_bytes {
        return Err(ValidationError::new(
            field,
            Problem::TooLong {
                max_bytes,
                actual: encoded.len(),
            },
        ));
    }
    Ok(encoded)
}

/// An optional free-text reason ZEGO wants URL-encoded by the caller on top of the query
/// encoding (`CustomReason`): at most `max_bytes` of *text* (ZEGO limits the reason, not
/// one encoder's spelling of it: spec section 4b), then encoded once here.
pub(crate) fn reason_text(
    field: &'static str,
    text: &str,
    max_bytes: usize,
) -> Result<String, ValidationError> {
    if text.len() > max_bytes {
        return Err(ValidationError::new(
            field,
            Problem::TooLong {
                max_bytes,
                actual: text.len(),
            },
        ));
    }
    Ok(crate::encode::encoded(text))
}

/// A plain text field of at most `max_bytes` (as given, before any encoding).
pub(crate) fn text(
    field: &'static str,
    value: String,
    max_bytes: usize,
) -> Result<String, ValidationError> {
    if value.len() > max_bytes {
        return Err(ValidationError::new(
            field,
            Problem::TooLong {
                max_bytes,
                actual: value.len(),
            },
        ));
    }
    Ok(value)
}

/// Rough encoded length of a list of IDs, for sizing the URL.
pub(crate) fn ids_len_hint(key_len: usize, ids: &[String]) -> usize {
    ids.iter().map(|id| key_len + 2 + id.len() * 3).sum()
}
