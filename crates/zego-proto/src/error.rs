//! Errors raised before anything is sent: bad input and bad configuration.

use std::fmt;

/// What is wrong with a field.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The field is required but empty or absent.
    Empty,
    /// The field is longer than ZEGO accepts.
    TooLong {
        /// The largest accepted length in bytes.
        max_bytes: usize,
        /// The length given.
        actual: usize,
    },
    /// A list has fewer or more entries than ZEGO accepts.
    Count {
        /// The fewest entries accepted.
        min: usize,
        /// The most entries accepted.
        max: usize,
        /// The number given.
        actual: usize,
    },
    /// A number is outside the accepted range.
    OutOfRange {
        /// The smallest accepted value.
        min: i64,
        /// The largest accepted value.
        max: i64,
        /// The value given.
        actual: i64,
    },
    /// `SetForbidStreamRule` must disable audio, video or both.
    NothingDisabled,
    /// The value has the wrong form.
    Invalid {
        /// What a valid value looks like.
        expected: &'static str,
    },
    /// The field name is one the SDK sets itself.
    Reserved,
    /// A character ZEGO does not allow in this identifier (a control character, a space,
    /// non-ASCII text, ...).
    Character {
        /// The first character refused.
        character: char,
        /// Its 1-based position, counted in characters.
        position: usize,
    },
    /// The value must have exactly this length (a Token04 ServerSecret: 32 characters).
    WrongLength {
        /// The one accepted length in bytes.
        expected: usize,
        /// The length given.
        actual: usize,
    },
}

/// A value the SDK refused before sending, naming the field and the limit.
///
/// ```
/// use zego_proto::ops::ForbidRtcStreams;
/// let ids: Vec<String> = (0..21).map(|i| format!("s{i}")).collect();
/// let err = ForbidRtcStreams::new(ids).unwrap_err();
/// assert_eq!(err.field(), "StreamId[]");
/// assert_eq!(err.to_string(), "StreamId[]: 21 entries given, ZEGO accepts 1..=20");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    field: &'static str,
    index: Option<usize>,
    problem: Problem,
}

impl ValidationError {
    /// An error about `field`.
    pub fn new(field: &'static str, problem: Problem) -> Self {
        Self {
            field,
            index: None,
            problem,
        }
    }

    /// An error about entry `index` of the list `field`.
    pub fn at(field: &'static str, index: usize, problem: Problem) -> Self {
        Self {
            field,
            index: Some(index),
            problem,
        }
    }

    /// The ZEGO parameter name (or `ServerSecret`, `Endpoint`, ...).
    pub fn field(&self) -> &'static str {
        self.field
    }

    /// For a list, the position of the offending entry.
    pub fn index(&self) -> Option<usize> {
        self.index
    }

    /// What is wrong.
    pub fn problem(&self) -> &Problem {
        &self.problem
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.field)?;
        if let Some(i) = self.index {
            write!(f, " (entry {i})")?;
        }
        f.write_str(": ")?;
        match &self.problem {
            Problem::Empty => f.write_str("must not be empty"),
            Problem::TooLong { max_bytes, actual } => {
                write!(f, "is {actual} bytes long, ZEGO accepts at most {max_bytes}")
            }
            Problem::Count { min, max, actual } => {
                write!(f, "{actual} entries given, ZEGO accepts {min}..={max}")
            }
            Problem::OutOfRange { min, max, actual } => {
                write!(f, "{actual} is out of range, ZEGO accepts {min}..={max}")
            }
            Problem::NothingDisabled => f.write_str(
                "at least one of DisableAudio and DisableVideo must be set (nothing would be banned)",
            ),
            Problem::Invalid { expected } => write!(f, "invalid value, expected {expected}"),
            Problem::Reserved => f.write_str("is set by the SDK itself and cannot be given"),
            Problem::Character {
                character,
                position,
            } => {
                // Only a visible ASCII character is shown as itself: anything else could be
                // an escape sequence for the terminal, or look like something it is not.
                let code = u32::from(*character);
                if character.is_ascii_graphic() {
                    write!(f, "character '{character}' (U+{code:04X})")?;
                } else {
                    write!(f, "character U+{code:04X}")?;
                }
                write!(
                    f,
                    " at position {position} is not allowed; ZEGO accepts {}",
                    crate::ids::ID_CHARACTERS
                )
            }
            Problem::WrongLength { expected, actual } => {
                write!(f, "is {actual} bytes long, it must be exactly {expected}")
            }
        }
    }
}

impl std::error::Error for ValidationError {}

/// A configuration that cannot be used (endpoint, environment variables).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A required environment variable is not set.
    #[error("environment variable {name} is not set")]
    MissingVariable {
        /// The variable's name.
        name: &'static str,
    },
    /// The AppId is not a decimal `u32`.
    #[error("invalid AppId: {reason}")]
    InvalidAppId {
        /// Why.
        reason: &'static str,
    },
    /// The endpoint is not an `http://` or `https://` base URL.
    #[error("invalid endpoint {url:?}: {reason}")]
    InvalidEndpoint {
        /// The URL given.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// An environment variable's value cannot be used (the reason never quotes a secret).
    #[error("environment variable {name}: {reason}")]
    InvalidVariable {
        /// The variable's name.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// A value failed validation (e.g. an empty ServerSecret).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}
