//! ZEGO return codes: one table, from which the enum, its docs, its meanings and its
//! classification are all generated.
//!
//! The table is the single place a code number appears. It follows section 5 of the
//! wire spec (gateway, media service, room service and older generic codes) and the
//! classification read from ZEGO's "handling advice" column.

use std::fmt;

/// How a return code should be handled.
///
/// The retry policy decides from this class alone, so a code the vendor adds later
/// only needs a table row to be handled correctly.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorClass {
    /// Code 0: the request succeeded.
    Success,
    /// The AppId or the whole app is over its quota: back off and retry.
    RateLimited,
    /// A server-side hiccup: retrying the same operation is safe and expected.
    Transient,
    /// The timestamp was refused: re-sign with a corrected clock.
    Clock,
    /// Credentials or app configuration are wrong: retrying cannot help.
    AuthOrConfig,
    /// The request itself is wrong: retrying cannot help.
    BadRequest,
    /// The stream, live or rule named does not exist.
    NotFound,
    /// A failure with no documented handling (including codes this SDK does not know).
    Other,
}

impl ErrorClass {
    /// Whether a request that got this class may be sent again unchanged (modulo signing).
    pub fn is_retryable(self) -> bool {
        matches!(self, Self::RateLimited | Self::Transient | Self::Clock)
    }

    /// A short lowercase name, stable for logs and JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::RateLimited => "rate_limited",
            Self::Transient => "transient",
            Self::Clock => "clock",
            Self::AuthOrConfig => "auth_or_config",
            Self::BadRequest => "bad_request",
            Self::NotFound => "not_found",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for ErrorClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A return code this SDK version has no name for (see [`ReturnCode::Unknown`]).
///
/// ```
/// use zego_proto::ReturnCode;
/// let ReturnCode::Unknown(unknown) = ReturnCode::from_code(77) else { unreachable!() };
/// assert_eq!(unknown.get(), 77);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnknownCode(i64);

impl UnknownCode {
    /// The number.
    pub const fn get(self) -> i64 {
        self.0
    }
}

/// Generates [`ReturnCode`], its conversions and [`ReturnCode::TABLE`] from one list.
macro_rules! return_codes {
    ($( $variant:ident = $code:literal, $class:ident, $meaning:literal; )*) => {
        /// A ZEGO server API return code (`Code` in the response envelope).
        ///
        /// Convert with [`ReturnCode::from_code`] (total: unknown numbers become
        /// [`ReturnCode::Unknown`]) and back with [`ReturnCode::code`].
        ///
        /// ```
        /// use zego_proto::{ErrorClass, ReturnCode};
        /// let code = ReturnCode::from_code(30002);
        /// assert_eq!(code, ReturnCode::RateTooHigh);
        /// assert_eq!(code.class(), ErrorClass::RateLimited);
        /// assert_eq!(ReturnCode::from_code(77).code(), 77);
        /// ```
        #[non_exhaustive]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ReturnCode {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $meaning, ".")]
                $variant,
            )*
            /// A code this SDK version does not know. Opaque on purpose: when a later
            /// version names the code, matching on `Unknown(_)` still compiles; read the
            /// number with [`ReturnCode::code`] or [`UnknownCode::get`].
            Unknown(UnknownCode),
        }

        impl ReturnCode {
            /// Every known code with its class and meaning, in table order.
            pub const TABLE: &'static [(ReturnCode, i64, ErrorClass, &'static str)] = &[
                $( (ReturnCode::$variant, $code, ErrorClass::$class, $meaning), )*
            ];

            /// The code for a number; unknown numbers give [`ReturnCode::Unknown`].
            pub fn from_code(code: i64) -> Self {
                match code {
                    $( $code => Self::$variant, )*
                    other => Self::Unknown(UnknownCode(other)),
                }
            }

            /// The number sent on the wire.
            pub fn code(self) -> i64 {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Unknown(code) => code.0,
                }
            }

            /// What the code means, in ZEGO's words.
            pub fn meaning(self) -> &'static str {
                match self {
                    $( Self::$variant => $meaning, )*
                    Self::Unknown(_) => "unknown return code",
                }
            }

            /// How to handle the code.
            pub fn class(self) -> ErrorClass {
                match self {
                    $( Self::$variant => ErrorClass::$class, )*
                    Self::Unknown(_) => ErrorClass::Other,
                }
            }
        }
    };
}

return_codes! {
    // Success.
    Ok = 0, Success, "success";
    // Media service (forbid/resume, CDN, stream state) and room service (rules).
    Failed = 1, Transient, "request failed (room service: retry)";
    BadParameter = 2, BadRequest, "bad parameter";
    // 3 means "authentication failed" in the media service and "parameter too long" in the
    // room service; both are never-retry, and the request is what must change in either case.
    AuthFailedOrParameterTooLong = 3, BadRequest, "authentication failed (media service) or parameter too long (room service)";
    UnknownCdnType = 4, BadRequest, "unknown CDN type";
    RateLimitExceeded = 7, RateLimited, "rate limit exceeded";
    DecodingFailed = 8, BadRequest, "decoding failed";
    NoPermission = 9, AuthOrConfig, "no permission for this interface (ask ZEGO support to enable it)";
    RoomNotFound104 = 104, NotFound, "room does not exist";
    SetStreamInfoFailed = 123, Transient, "setting stream info failed (retry)";
    // The DeleteStream page says "please retry" for 124 (spec section 5 gives no advice).
    DeleteStreamInfoFailed = 124, Transient, "deleting stream info failed (retry)";
    // The DeleteStream page also says "please retry" for 138, but a stream that does not
    // exist does not start existing by asking again.
    StreamInfoNotFound = 138, NotFound, "stream info does not exist";
    ListInfoFailed = 154, Transient, "getting the list failed (retry)";
    AppQpsTooHigh = 206, RateLimited, "app QPS too high";
    RoomQpsTooHigh = 207, RateLimited, "room QPS too high";
    RateTooHighMedia = 1010, RateLimited, "rate too high";
    StreamOperatedByManyUsers = 1012, BadRequest, "several users operate on the same stream";
    InvalidApp = 3000, AuthOrConfig, "invalid App";
    InternalError3001 = 3001, Transient, "internal error";
    TimestampError = 3002, Clock, "timestamp error (check the clock)";
    AppHasNoToken = 3003, AuthOrConfig, "App has no token configured";
    InternalError5000 = 5000, Transient, "internal error";
    InternalError5001 = 5001, Transient, "internal error";
    InternalError5002 = 5002, Transient, "internal error";
    SignatureAuthFailed5003 = 5003, AuthOrConfig, "authentication failed (check the Signature)";
    InvalidRequest = 5005, BadRequest, "invalid request";
    InternalError5006 = 5006, Transient, "internal error";
    RateTooHigh5007 = 5007, RateLimited, "rate too high";
    // CloseRoom's page reads 5018 as "room destroyed or does not exist"; spec section 5
    // (retry later) is kept, so a retry budget, not a wrong NotFound, is the cost.
    RoomStateMismatch = 5018, Transient, "room state mismatch (or room destroyed), retry later";
    RoomNotFound5024 = 5024, NotFound, "room does not exist";
    RateTooHigh = 30002, RateLimited, "rate too high (lower the request rate)";
    InternalError30003 = 30003, Transient, "internal error";
    IsTestWrong = 30004, AuthOrConfig, "IsTest is wrong (check the environment and the zegotest- stream prefix)";
    InvalidAppId = 30005, AuthOrConfig, "invalid AppId";
    InvalidStreamIdList = 30006, BadRequest, "invalid StreamId list";
    InvalidStreamId = 30009, BadRequest, "invalid StreamId";
    InvalidDispatchAction = 30010, BadRequest, "invalid dispatch action";
    InvalidClientIp = 30011, AuthOrConfig, "invalid client IP";
    SignatureAuthFailed40005 = 40005, AuthOrConfig, "authentication failed (check the Signature)";
    LiveNotFound = 41003, NotFound, "live does not exist";
    StreamIdNotFound = 41004, NotFound, "StreamId does not exist";
    StreamClosed = 41006, NotFound, "stream exists but is closed";
    ForbidFailed = 42001, Other, "forbid failed";
    ResumeFailed = 42002, Other, "resume failed";
    BatchForbidFailed = 42003, Transient, "batch forbid failed (retry)";
    BatchResumeFailed = 42004, Other, "batch resume failed";
    RoomNotFound = 50001, NotFound, "room does not exist";
    TooManyUsers = 50011, BadRequest, "too many users in the request";
    TooManyLiveBanRules = 50123, Other, "too many live ban rules";
    RuleToDeleteNotFound = 50124, NotFound, "the rule to delete does not exist";
    // Gateway (any action).
    BadHostHeader = 100000000, AuthOrConfig, "bad Host header";
    AppIdFormat = 100000001, AuthOrConfig, "AppId format is wrong";
    TimestampEmpty = 100000002, AuthOrConfig, "Timestamp is empty";
    TimestampFormat = 100000003, AuthOrConfig, "Timestamp format is wrong";
    SignatureExpired = 100000004, Clock, "signature expired (clock skew or stale timestamp)";
    InvalidSignature = 100000005, AuthOrConfig, "invalid signature (check AppId and ServerSecret)";
    ActionEmpty = 100000006, AuthOrConfig, "Action is empty";
    UnsupportedAction = 100000007, AuthOrConfig, "unsupported Action";
    SignatureNonceEmpty = 100000008, AuthOrConfig, "SignatureNonce is empty";
    SignatureEmpty = 100000009, AuthOrConfig, "Signature is empty";
    ServerSecretNotFound = 100000010, AuthOrConfig, "ServerSecret not found (check the AppId)";
    AppConfigNotFound = 100000011, AuthOrConfig, "App configuration not found";
    BodyUnreadable = 100000012, AuthOrConfig, "request body unreadable";
    SignatureVersionEmpty = 100000013, AuthOrConfig, "SignatureVersion is empty";
    UnsupportedSignatureVersion = 100000014, AuthOrConfig, "unsupported SignatureVersion";
    GatewayInternalError = 100000015, Transient, "gateway internal error";
    NotConfiguredForProduction = 100000016, AuthOrConfig, "App not configured for production (check IsTest)";
    ServiceNotEnabled = 100000017, AuthOrConfig, "service not enabled";
}

impl ReturnCode {
    /// Whether this is code 0.
    pub fn is_success(self) -> bool {
        self == Self::Ok
    }
}

impl From<i64> for ReturnCode {
    fn from(code: i64) -> Self {
        Self::from_code(code)
    }
}

impl fmt::Display for ReturnCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.code(), self.meaning())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn no_code_appears_twice() {
        let mut seen = HashSet::new();
        for (_, code, _, _) in ReturnCode::TABLE {
            assert!(seen.insert(code), "code {code} appears twice");
        }
    }

    #[test]
    fn from_code_and_code_round_trip_over_the_table() {
        for &(variant, code, class, meaning) in ReturnCode::TABLE {
            assert_eq!(ReturnCode::from_code(code), variant);
            assert_eq!(variant.code(), code);
            assert_eq!(variant.class(), class);
            assert_eq!(variant.meaning(), meaning);
        }
    }

    #[test]
    fn unknown_codes_are_kept_verbatim_including_beyond_32_bits() {
        for code in [-1, 6, 99_999, i64::from(u32::MAX) + 5, i64::MAX, i64::MIN] {
            let rc = ReturnCode::from_code(code);
            assert!(matches!(rc, ReturnCode::Unknown(u) if u.get() == code));
            assert_eq!(rc.code(), code);
            assert_eq!(rc.class(), ErrorClass::Other);
        }
    }

    #[test]
    fn classification_matches_the_spec() {
        let class = |c| ReturnCode::from_code(c).class();
        for c in [7, 206, 207, 1010, 5007, 30002] {
            assert_eq!(class(c), ErrorClass::RateLimited, "{c}");
        }
        for c in [
            1,
            123,
            3001,
            5000,
            5001,
            5002,
            5006,
            30003,
            42003,
            100_000_015,
        ] {
            assert_eq!(class(c), ErrorClass::Transient, "{c}");
        }
        for c in [3002, 100_000_004] {
            assert_eq!(class(c), ErrorClass::Clock, "{c}");
        }
        for c in (100_000_001..=100_000_014).filter(|c| *c != 100_000_004) {
            assert_eq!(class(c), ErrorClass::AuthOrConfig, "{c}");
        }
        for c in [
            5003,
            40005,
            100_000_016,
            100_000_017,
            9,
            3000,
            3003,
            30004,
            30005,
        ] {
            assert_eq!(class(c), ErrorClass::AuthOrConfig, "{c}");
        }
        for c in [2, 3, 8, 30006, 30009] {
            assert_eq!(class(c), ErrorClass::BadRequest, "{c}");
        }
        // Room moderation (spec section 4b and the room OpenAPI files).
        for c in [104, 138, 5024, 50001] {
            assert_eq!(class(c), ErrorClass::NotFound, "{c}");
        }
        for c in [124, 154, 5018] {
            assert_eq!(class(c), ErrorClass::Transient, "{c}");
        }
        for c in [1012, 50011] {
            assert_eq!(class(c), ErrorClass::BadRequest, "{c}");
        }
        assert_eq!(class(0), ErrorClass::Success);
    }

    #[test]
    fn display_shows_number_and_meaning() {
        assert_eq!(
            ReturnCode::from_code(30006).to_string(),
            "30006 (invalid StreamId list)"
        );
    }
}
