//! Exit codes and the CLI's one error type, which knows its exit code and a hint on what
//! to do next.

use std::fmt;

use serde_json::{json, Value};
use zego_proto::driver::TransportErrorKind;
use zego_proto::wire::ResponseError;
use zego_proto::{CallError, CallErrorKind, ErrorClass, ReturnCode, ValidationError};

/// Everything worked.
pub const OK: u8 = 0;
/// ZEGO answered with an error, or some streams of a bulk run failed.
pub const API_FAILURE: u8 = 1;
/// The command line, the configuration or an argument is wrong; nothing was sent.
pub const USAGE: u8 = 2;
/// No answer from ZEGO: connection refused, refused TLS certificate, timeout, broken
/// connection. Nothing was applied, except perhaps by a request that timed out or broke.
pub const TRANSPORT: u8 = 3;
/// Something answered, but not with a ZEGO response (a proxy's or a wrong host's page, a
/// malformed body): the request may have been applied.
pub const UNEXPECTED_ANSWER: u8 = 4;
/// The command ran but its result could not be written to stdout (sysexits' `EX_IOERR`).
pub const OUTPUT_LOST: u8 = 74;

/// The exit-code table shown in `--help` and the README, as a literal for `concat!`.
macro_rules! exit_codes_help {
    () => {
        "Exit codes:
  0  success
  1  ZEGO answered with an error code, a bulk forbid/resume was partly done, or a ban
     was stored but is not in force yet (its work is retried) or its store failed
  2  usage, configuration or validation error (nothing was sent)
  3  transport error: no answer from ZEGO (connect, TLS certificate, timeout, broken connection)
  4  an answer that is not a ZEGO response (a proxy or wrong host's page, a malformed
     body): the request may have been applied
 74  the command ran, but its result could not be written to stdout (e.g. a full disk)"
    };
}
pub(crate) use exit_codes_help;

/// Why a command failed.
#[derive(Debug)]
pub enum CliError {
    /// A wrong command line or configuration (exit 2).
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// An argument ZEGO would refuse, caught before sending (exit 2).
    Validation(ValidationError),
    /// A call that failed (exit 1, 2 or 3 by the stage that failed).
    Call(CallError),
    /// Some streams of a bulk run failed; they were already listed (exit 1).
    Partial {
        /// How many streams failed.
        failed: usize,
        /// Whether every stream failed for want of an answer (exit 3 instead of 1).
        all_transport: bool,
    },
    /// A bulk run stopped because its journal could not be written; its summary was
    /// printed (exit 1).
    JournalWrite(String),
    /// A failure after the command's input was accepted that is not one call's: a ban store
    /// that cannot be opened or written, a ban stored but not in force yet (exit 1).
    Failed {
        /// What failed.
        message: String,
        /// What to do.
        hint: String,
    },
    /// A failure the command's own output already reported, on stdout or stderr (exit 1):
    /// a ban stored but not in force yet, a tick whose work partly failed.
    Reported,
    /// A bulk run stopped by SIGINT or SIGTERM; its summary was printed (exit 128 + signal:
    /// 130, 143).
    Interrupted {
        /// The signal's number.
        signal: i32,
    },
}

impl CliError {
    /// A usage error with a hint.
    pub fn usage(message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self::Usage {
            message: message.into(),
            hint: Some(hint.into()),
        }
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Usage { .. } | Self::Validation(_) => USAGE,
            Self::Partial { all_transport, .. } => {
                if *all_transport {
                    TRANSPORT
                } else {
                    API_FAILURE
                }
            }
            Self::Call(e) => call_exit_code(e),
            Self::JournalWrite(_) | Self::Failed { .. } | Self::Reported => API_FAILURE,
            Self::Interrupted { signal } => u8::try_from(128 + signal).unwrap_or(u8::MAX),
        }
    }

    /// What to do about it.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::Usage { hint, .. } => hint.clone(),
            Self::Validation(_) => Some(
                "fix the value named above (see the command's --help); nothing was sent".into(),
            ),
            Self::Call(e) => Some(call_hint(e)),
            Self::Partial { .. } => Some(
                "the failed stream IDs are listed above; fix the cause and run again with just those IDs (or with --journal, the same command)"
                    .into(),
            ),
            Self::JournalWrite(_) => Some(
                "make room (or fix the file), then run the same command again: the journal's torn tail is cut off and what it does not record is sent again".into(),
            ),
            Self::Interrupted { .. } => Some(
                "run the same command again with --journal to skip what is done".into(),
            ),
            Self::Failed { hint, .. } => Some(hint.clone()),
            Self::Reported => None,
        }
    }

    /// The error as a JSON object (stable snake_case field names).
    pub fn to_json(&self) -> Value {
        let mut base = json!({
            "kind": self.kind_name(),
            "message": self.to_string(),
            "code": Value::Null,
            "meaning": Value::Null,
            "class": Value::Null,
            "request_id": Value::Null,
            "attempts": 0,
            "exit_code": self.exit_code(),
            "hint": self.hint(),
        });
        match self {
            Self::Validation(_) | Self::Usage { .. } => {
                base["class"] = json!(ErrorClass::BadRequest.as_str());
            }
            Self::Partial { failed, .. } => base["failed"] = json!(failed),
            Self::Interrupted { signal } => base["signal"] = json!(signal),
            Self::JournalWrite(_) | Self::Failed { .. } | Self::Reported => {}
            Self::Call(e) => {
                // The library's own serialization (stage, class, code, meaning, server
                // message, RequestId, attempts, ...), under the CLI's fields.
                if let Ok(Value::Object(fields)) = serde_json::to_value(e) {
                    for (key, value) in fields {
                        if key != "message" {
                            base[key.as_str()] = value;
                        }
                    }
                }
            }
        }
        base
    }

    fn kind_name(&self) -> &'static str {
        match self {
            Self::Usage { .. } => "usage",
            Self::Validation(_) => "validation",
            Self::Partial { .. } => "partial_failure",
            Self::Interrupted { .. } => "interrupted",
            Self::JournalWrite(_) => "journal_write_failed",
            Self::Failed { .. } => "failed",
            Self::Reported => "reported",
            Self::Call(e) => call_kind_name(e),
        }
    }
}

/// A stable name for the stage at which a call failed.
pub fn call_kind_name(e: &CallError) -> &'static str {
    e.kind().stage()
}

/// The exit code for a failed call.
pub fn call_exit_code(e: &CallError) -> u8 {
    match e.kind() {
        CallErrorKind::Validation(_) => USAGE,
        CallErrorKind::Transport(_) | CallErrorKind::Admission(_) => TRANSPORT,
        CallErrorKind::Response(ResponseError::NotAnEnvelope { .. }) => UNEXPECTED_ANSWER,
        _ => API_FAILURE,
    }
}

/// What to do about a failed call, from its code or stage.
pub fn call_hint(e: &CallError) -> String {
    match e.kind() {
        CallErrorKind::Validation(_) => {
            return "fix the value named above (see the command's --help); nothing was sent".into()
        }
        CallErrorKind::Transport(t) => {
            return match t.kind() {
                TransportErrorKind::Connect => "could not connect: check --endpoint / ZEGO_ENDPOINT / --region and the network".into(),
                TransportErrorKind::Tls => "the server's TLS certificate is not trusted (nothing was sent, not retried): check --endpoint; behind a private CA or a TLS-inspecting proxy, point SSL_CERT_FILE or SSL_CERT_DIR at its CA certificate".into(),
                TransportErrorKind::Timeout => "no answer in time: raise --timeout, or check the network and --endpoint".into(),
                TransportErrorKind::BodyTooLarge { .. } => "the answer was too large: check that --endpoint points at ZEGO".into(),
                _ => "the connection failed: check the network and --endpoint, then retry (--retries N)".into(),
            }
        }
        CallErrorKind::Response(ResponseError::NotAnEnvelope { .. }) => {
            return "something answered, but not with a ZEGO response (a proxy or a wrong host?), and the request may have been applied: check --endpoint, then run the command again (these actions are idempotent)".into()
        }
        CallErrorKind::Response(ResponseError::Data { .. }) => {
            return "ZEGO accepted the request but its answer had an unexpected shape; report it with the RequestId".into()
        }
        CallErrorKind::Admission(_) => {
            return "the rate-limit coordinator could not admit the request; nothing was sent: retry".into()
        }
        CallErrorKind::NotAdmittedInTime(_) => {
            return "the quota named above has no slot within the time allowed; nothing was sent: retry later, or allow a longer wait".into()
        }
        CallErrorKind::Driver(_) => {
            return "an internal error of the client (please report it); nothing more was sent".into()
        }
        _ => {}
    }
    let Some(code) = e.code() else {
        return "see the message above".into();
    };
    match code {
        ReturnCode::InvalidSignature
        | ReturnCode::SignatureAuthFailed5003
        | ReturnCode::SignatureAuthFailed40005 => {
            "check ZEGO_APP_ID / ZEGO_SERVER_SECRET (or --profile): the secret must be the one the ZEGO console shows for this AppId".into()
        }
        ReturnCode::ServerSecretNotFound | ReturnCode::InvalidAppId | ReturnCode::AppIdFormat => {
            "check ZEGO_APP_ID (or --app-id / --profile): ZEGO does not know this AppId".into()
        }
        ReturnCode::IsTestWrong | ReturnCode::NotConfiguredForProduction => {
            "check --test-env: only projects created before 2021-11-16 have a test environment".into()
        }
        ReturnCode::NoPermission | ReturnCode::ServiceNotEnabled => {
            "ask ZEGO support to enable this interface for your AppId".into()
        }
        _ => match code.class() {
            ErrorClass::Clock => "check this machine's clock (NTP): ZEGO refuses timestamps more than 10 minutes off".into(),
            ErrorClass::RateLimited => "over ZEGO's rate limit: lower --concurrency, keep --no-rate-limit off, and retry later".into(),
            ErrorClass::Transient => "a temporary failure at ZEGO: retry, or raise --retries".into(),
            ErrorClass::NotFound => "check the stream, room or user ID".into(),
            ErrorClass::AuthOrConfig => "check the AppId, secret, --test-env and the app's configuration in the ZEGO console".into(),
            ErrorClass::BadRequest => "check the command's arguments (see --help)".into(),
            _ => "quote the RequestId to ZEGO support if it persists".into(),
        },
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage { message, .. } | Self::Failed { message, .. } => f.write_str(message),
            Self::Validation(e) => write!(f, "refused before sending: {e}"),
            Self::Call(e) => fmt::Display::fmt(e, f),
            Self::Partial { failed, .. } => {
                let s = if *failed == 1 { "" } else { "s" };
                write!(f, "{failed} stream{s} failed")
            }
            Self::JournalWrite(message) => {
                write!(f, "{message}; the run stopped: nothing more was sent")
            }
            Self::Interrupted { signal } => write!(f, "interrupted by signal {signal}"),
            Self::Reported => f.write_str("the failure was reported above"),
        }
    }
}

impl std::error::Error for CliError {}

impl From<ValidationError> for CliError {
    fn from(e: ValidationError) -> Self {
        Self::Validation(e)
    }
}

impl From<CallError> for CliError {
    fn from(e: CallError) -> Self {
        Self::Call(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zego_proto::Problem;

    #[test]
    fn codes_by_stage() {
        let v = CliError::Validation(ValidationError::new("RoomId", Problem::Empty));
        assert_eq!(v.exit_code(), USAGE);
        assert_eq!(
            CliError::Partial {
                failed: 2,
                all_transport: false
            }
            .exit_code(),
            API_FAILURE
        );
        let json = v.to_json();
        assert_eq!(json["kind"], "validation");
        assert_eq!(json["exit_code"], 2);
    }
}
