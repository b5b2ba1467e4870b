//! The strategies the other modules share: awkward characters, IDs, environments.

use super::*;

/// Characters that stress the encoder: separators, escapes, spaces, controls, non-ASCII.
pub(crate) fn nasty_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(vec![
            '&', '=', '%', '+', ' ', '?', '#', '[', ']', '/', '\\', '"', '\'', '\0', '\n', '\r',
            '\t', '\u{7f}', '\u{85}', '\u{a0}', '\u{200b}', '\u{feff}', 'é', '中', '😀', '~', '-',
            '.', '_',
        ]),
        4 => prop::char::range('a', 'z'),
        1 => any::<char>(),
    ]
}

/// Any text, from empty to well beyond 256 bytes.
pub(crate) fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(nasty_char(), 0..24).prop_map(String::from_iter),
        1 => any::<String>(),
        1 => prop::collection::vec(nasty_char(), 60..120).prop_map(String::from_iter),
        1 => (250usize..=262).prop_map(|n| "x".repeat(n)),
    ]
}

/// The punctuation spec §7 allows in stream, user and room IDs (written out here again, on
/// purpose: the test is an independent reading of the spec).
pub(crate) const ID_PUNCTUATION: &str = "-_~!@#$%^&*()+=`;',.<>/\\";

/// A character of the ID set, biased toward those that need percent-encoding.
pub(crate) fn id_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => prop::sample::select(ID_PUNCTUATION.chars().collect::<Vec<_>>()),
        4 => prop::char::range('a', 'z'),
        1 => prop::char::range('A', 'Z'),
        1 => prop::char::range('0', '9'),
    ]
}

/// Whether spec §7 allows `c` in an ID.
pub(crate) fn allowed_in_id(c: char) -> bool {
    c.is_ascii_alphanumeric() || ID_PUNCTUATION.contains(c)
}

/// A character spec §7 refuses in an ID.
pub(crate) fn refused_char() -> impl Strategy<Value = char> {
    prop_oneof![nasty_char(), any::<char>()]
        .prop_filter("outside the ID set", |c| !allowed_in_id(*c))
}

/// The error spec §7 gives an ID with a refused character: the first one, and its
/// 1-based position in characters.
pub(crate) fn character_problem(id: &str) -> Option<(char, usize)> {
    id.chars()
        .enumerate()
        .find(|(_, c)| !allowed_in_id(*c))
        .map(|(i, c)| (c, i + 1))
}

/// A non-empty ID of at most `max_bytes` bytes, with awkward (but allowed) characters.
pub(crate) fn valid_id(max_bytes: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::collection::vec(id_char(), 1..40).prop_map(String::from_iter),
        1 => (1..=max_bytes).prop_map(|n| "s".repeat(n)),
        1 => prop::collection::vec(id_char(), 1..300).prop_map(String::from_iter),
    ]
    .prop_map(move |s| truncate_to(s, max_bytes))
    .prop_filter("non-empty", |s| !s.is_empty())
}

pub(crate) fn truncate_to(mut s: String, max_bytes: usize) -> String {
    while s.len() > max_bytes {
        s.pop();
    }
    s
}

pub(crate) fn environment() -> impl Strategy<Value = Environment> {
    prop_oneof![Just(Environment::Production), Just(Environment::Test)]
}

pub(crate) fn config(env: Environment) -> Config {
    Config::new(Endpoint::Unified).with_environment(env)
}

pub(crate) fn nonce_of(bytes: [u8; 8]) -> Nonce {
    Nonce::from_bytes(bytes)
}
