//! The request log: in memory, and optionally as JSON lines in a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use crate::env::Env;
use crate::error::SimError;

/// One request as the simulator saw and answered it.
///
/// Serialized (in the JSON-lines file) with these field names; `params` is a list of
/// `[key, value]` pairs in request order (keys may repeat), with the value of `Signature` replaced
/// by `"<redacted>"`. Server secrets are never logged.
///
/// ```
/// let sim = zego_sim::Simulator::builder().app(1, "s").start().unwrap();
/// let _ = ureq_free_get(&format!("{}/?Action=ForbidRTCStream", sim.base_url()));
/// let log = sim.request_log();
/// assert_eq!(log[0].action, "ForbidRTCStream");
/// assert_eq!(log[0].code, Some(100_000_001)); // no AppId
/// # fn ureq_free_get(url: &str) -> std::io::Result<()> {
/// #     use std::io::{Read, Write};
/// #     let rest = url.trim_start_matches("http://");
/// #     let (host, path) = rest.split_at(rest.find('/').unwrap());
/// #     let mut s = std::net::TcpStream::connect(host)?;
/// #     write!(s, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
/// #     let mut out = String::new();
/// #     s.read_to_string(&mut out)?;
/// #     Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct LoggedRequest {
    /// Simulator-clock time the request was received, Unix milliseconds.
    pub time_ms: i64,
    /// The `Action` parameter as sent (may be empty or unknown).
    pub action: String,
    /// The AppId, when it parsed.
    pub app_id: Option<u32>,
    /// The environment, once known (after the gateway accepted the request).
    pub env: Option<Env>,
    /// Decoded parameters with the signature redacted.
    pub params: Vec<(String, String)>,
    /// The `Code` answered, if a ZEGO envelope was sent.
    pub code: Option<i64>,
    /// The HTTP status sent; `None` when the connection was dropped or hung.
    pub http_status: Option<u16>,
    /// The injected fault(s), e.g. `"transient:30003"`, `"http503"`, `"delay:200ms"`.
    pub fault: Option<String>,
    /// Whether the `Sequence` rule dropped at least one operation of this request.
    pub sequence_rejected: bool,
    /// The `RequestId` answered (empty when none).
    pub request_id: String,
}

/// Copies parameters with `Signature` redacted.
pub(crate) fn redact(params: &[(String, String)]) -> Vec<(String, String)> {
    params
        .iter()
        .map(|(k, v)| {
            if k == "Signature" {
                (k.clone(), "<redacted>".to_owned())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect()
}

/// The JSON-lines file sink.
#[derive(Debug)]
pub(crate) struct FileLog {
    out: BufWriter<File>,
}

impl FileLog {
    pub fn open(path: &Path) -> Result<Self, SimError> {
        let f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(SimError::RequestLog)?;
        Ok(Self {
            out: BufWriter::new(f),
        })
    }

    pub fn write(&mut self, entry: &LoggedRequest) {
        let ok = serde_json::to_writer(&mut self.out, entry).is_ok()
            && self.out.write_all(b"\n").is_ok()
            && self.out.flush().is_ok();
        if !ok {
            tracing::warn!("zego-sim: cannot write the request log file");
        }
    }
}
