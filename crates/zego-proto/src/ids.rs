//! The character and length rules of ZEGO's identifiers (spec §7), in one place for every
//! operation that takes a stream, user or room ID.
//!
//! ZEGO's current client SDKs accept only ASCII letters, digits, `-` and `_` in a stream
//! ID; an older FAQ also allowed `` ~ ! @ # $ % ^ & * ( ) + = ` ; ' , . < > / \ ``. A stream
//! that exists on ZEGO was published through a client SDK, so a typed operation refuses any
//! other character (a control character, a space, non-ASCII text, a quote, `?`, `{` ...):
//! such an ID names no stream, and forbidding it would leave the real one live while
//! reporting success. User and room IDs have the same character set. `RawOperation` is
//! exempt: it sends what it is given.

use crate::error::{Problem, ValidationError};

/// The punctuation ZEGO allows in stream, user and room IDs, besides ASCII letters and
/// digits: the union of the current client SDKs' `-` `_` and the older FAQ's set.
pub(crate) const ID_PUNCTUATION: &str = "-_~!@#$%^&*()+=`;',.<>/\\";

/// What the error message of [`Problem::Character`] says is allowed (kept next to the
/// set it describes).
pub(crate) const ID_CHARACTERS: &str =
    "ASCII letters, digits and - _ ~ ! @ # $ % ^ & * ( ) + = ` ; ' , . < > / \\";

/// Most bytes a user ID may have.
pub const MAX_USER_ID_BYTES: usize = 64;

/// Most bytes a room ID may have.
pub const MAX_ROOM_ID_BYTES: usize = 128;

/// Whether ZEGO allows `c` in a stream, user or room ID.
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || (c.is_ascii() && ID_PUNCTUATION.contains(c))
}

/// The first character of `id` outside the ID set, with its 1-based position in
/// characters.
fn first_bad_char(id: &str) -> Option<(char, usize)> {
    id.chars()
        .enumerate()
        .find(|(_, c)| !is_id_char(*c))
        .map(|(i, c)| (c, i + 1))
}

fn error(field: &'static str, index: Option<usize>, problem: Problem) -> ValidationError {
    match index {
        Some(i) => ValidationError::at(field, i, problem),
        None => ValidationError::new(field, problem),
    }
}

/// The character rule for stream, user and room IDs: every character in the ID set.
pub(crate) fn check_id_chars(
    field: &'static str,
    index: Option<usize>,
    id: &str,
) -> Result<(), ValidationError> {
    match first_bad_char(id) {
        None => Ok(()),
        Some((character, position)) => Err(error(
            field,
            index,
            Problem::Character {
                character,
                position,
            },
        )),
    }
}

/// A non-empty ID of at most `max_bytes` bytes in the ID set.
fn check_id(
    field: &'static str,
    index: Option<usize>,
    id: &str,
    max_bytes: usize,
) -> Result<(), ValidationError> {
    if id.is_empty() {
        return Err(error(field, index, Problem::Empty));
    }
    if id.len() > max_bytes {
        return Err(error(
            field,
            index,
            Problem::TooLong {
                max_bytes,
                actual: id.len(),
            },
        ));
    }
    check_id_chars(field, index, id)
}

/// A user ID: 1 to 64 bytes in the ID set, errors naming `field` (and `index`).
pub(crate) fn check_user_id_at(
    field: &'static str,
    index: Option<usize>,
    id: &str,
) -> Result<(), ValidationError> {
    check_id(field, index, id, MAX_USER_ID_BYTES)
}

/// A room ID: 1 to 128 bytes in the ID set, errors naming `field` (and `index`).
pub(crate) fn check_room_id_at(
    field: &'static str,
    index: Option<usize>,
    id: &str,
) -> Result<(), ValidationError> {
    check_id(field, index, id, MAX_ROOM_ID_BYTES)
}

/// Checks a user ID as every operation taking one does (1 to [`MAX_USER_ID_BYTES`] bytes,
/// ZEGO's ID characters), without building an operation. The error names the field
/// `UserId` and the limit or the character.
///
/// ```
/// use zego_proto::ids::check_user_id;
/// assert!(check_user_id("alice_01").is_ok());
/// let err = check_user_id("alice smith").unwrap_err();
/// assert_eq!(err.field(), "UserId");
/// assert!(err.to_string().contains("U+0020 at position 6"), "{err}");
/// assert!(check_user_id(&"u".repeat(65)).is_err());
/// ```
pub fn check_user_id(id: &str) -> Result<(), ValidationError> {
    check_user_id_at("UserId", None, id)
}

/// Checks a room ID as every operation taking one does (1 to [`MAX_ROOM_ID_BYTES`] bytes,
/// ZEGO's ID characters), without building an operation. The error names the field
/// `RoomId`.
///
/// ```
/// use zego_proto::ids::check_room_id;
/// assert!(check_room_id("room-1").is_ok());
/// assert_eq!(check_room_id("").unwrap_err().to_string(), "RoomId: must not be empty");
/// ```
pub fn check_room_id(id: &str) -> Result<(), ValidationError> {
    check_room_id_at("RoomId", None, id)
}

/// Checks a stream ID as the stream operations do in production (1 to
/// [`MAX_STREAM_ID_BYTES`](crate::wire::MAX_STREAM_ID_BYTES) bytes, ZEGO's ID characters),
/// without building an operation. The error names the field `StreamId`. (In the test
/// environment the `zegotest-<AppId>-` prefix also counts toward the limit; operations
/// check that when they are signed.)
///
/// ```
/// use zego_proto::ids::check_stream_id;
/// assert!(check_stream_id("stream-1").is_ok());
/// assert!(check_stream_id("stream?1").is_err());
/// ```
pub fn check_stream_id(id: &str) -> Result<(), ValidationError> {
    crate::encode::check_stream_id("StreamId", None, id, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_public_checks_are_the_operations_rules() {
        assert!(check_user_id(&"u".repeat(MAX_USER_ID_BYTES)).is_ok());
        let err = check_user_id(&"u".repeat(65)).unwrap_err();
        assert_eq!(err.field(), "UserId");
        assert!(check_room_id(&"r".repeat(MAX_ROOM_ID_BYTES)).is_ok());
        assert_eq!(check_room_id("room 1").unwrap_err().field(), "RoomId");
        assert!(check_stream_id(&"s".repeat(256)).is_ok());
        assert_eq!(
            check_stream_id(&"s".repeat(257)).unwrap_err().field(),
            "StreamId"
        );
        assert!(check_stream_id("a\u{7f}").is_err());
    }

    #[test]
    fn the_set_is_letters_digits_and_the_documented_punctuation() {
        let allowed: String = (0u8..=127)
            .map(char::from)
            .filter(|c| is_id_char(*c))
            .collect();
        assert_eq!(
            allowed,
            "!#$%&'()*+,-./0123456789;<=>@ABCDEFGHIJKLMNOPQRSTUVWXYZ\\^_`abcdefghijklmnopqrstuvwxyz~"
        );
        for c in [
            ' ', '"', '?', '{', '}', '[', ']', '|', ':', '\0', '\r', '\n', '\u{1b}', '\u{7f}', 'é',
            '\u{feff}',
        ] {
            assert!(!is_id_char(c), "{c:?}");
        }
    }

    #[test]
    fn the_error_names_the_character_and_its_position() {
        let err = check_id_chars("StreamId[]", Some(2), "ab\u{0}c").unwrap_err();
        assert_eq!(err.index(), Some(2));
        assert!(matches!(
            err.problem(),
            Problem::Character {
                character: '\0',
                position: 3,
                ..
            }
        ));
        assert_eq!(
            err.to_string(),
            "StreamId[] (entry 2): character U+0000 at position 3 is not allowed; ZEGO accepts ASCII letters, digits and - _ ~ ! @ # $ % ^ & * ( ) + = ` ; ' , . < > / \\"
        );
        // Positions count characters, not bytes.
        let err = check_id_chars("UserId", None, "中 x").unwrap_err();
        assert!(matches!(
            err.problem(),
            Problem::Character {
                character: '中',
                position: 1,
                ..
            }
        ));
        assert!(err.to_string().contains("U+4E2D at position 1"), "{err}");
        let err = check_id_chars("RoomId", None, "a?").unwrap_err();
        assert!(
            err.to_string().contains("'?' (U+003F) at position 2"),
            "{err}"
        );
    }

    #[test]
    fn user_and_room_lengths() {
        assert!(check_user_id_at("UserId", None, &"u".repeat(64)).is_ok());
        assert_eq!(
            check_user_id_at("UserId", None, &"u".repeat(65))
                .unwrap_err()
                .problem(),
            &Problem::TooLong {
                max_bytes: 64,
                actual: 65
            }
        );
        assert!(check_room_id_at("RoomId", None, &"r".repeat(128)).is_ok());
        assert_eq!(
            check_room_id_at("RoomId", None, &"r".repeat(129))
                .unwrap_err()
                .problem(),
            &Problem::TooLong {
                max_bytes: 128,
                actual: 129
            }
        );
        assert_eq!(
            check_room_id_at("RoomId", None, "").unwrap_err().problem(),
            &Problem::Empty
        );
        assert!(check_room_id_at("RoomId", None, "room 1").is_err());
    }
}
