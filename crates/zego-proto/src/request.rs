//! Building the signed request: the exact bytes a transport sends.

use std::fmt;
use std::ops::Range;
use std::time::Duration;

use rand_core::RngCore;

use crate::config::Config;
use crate::credentials::Credentials;
use crate::encode::{push_encoded, ParamWriter};
use crate::error::ValidationError;
use crate::operation::{Operation, Sequencing};
use crate::sequence::Sequence;
use crate::signature::{sign, Nonce, Signature, SIGNATURE_VERSION};

/// The HTTP method of a request. Every action of the stream-forbid family is a `GET`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// `GET`.
    Get,
}

impl Method {
    /// The method's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
        }
    }
}

/// A signed request, ready to send. Transports send [`HttpRequest::url`] byte for byte.
///
/// `Debug` hides the signature; use [`HttpRequest::redacted_url`] for logs.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    method: Method,
    url: String,
    signature: Range<usize>,
    timeout: Option<Duration>,
}

impl HttpRequest {
    /// The signature this request carries.
    pub(crate) fn signature(&self) -> Signature {
        let mut hex = [0u8; 32];
        if let Some(bytes) = self.url.as_bytes().get(self.signature.clone()) {
            if bytes.len() == hex.len() {
                hex.copy_from_slice(bytes);
            }
        }
        Signature::from_hex_bytes(hex)
    }

    /// How long this attempt may take in all, reading the body included, when the core
    /// wants a tighter bound than the transport's own request timeout: a few seconds for
    /// a sequenced action, so that a hung attempt still leaves time for a retry inside
    /// ZEGO's 10-second ordering window (see
    /// [`RetryPolicy::sequenced_attempt_timeout`](crate::retry::RetryPolicy::sequenced_attempt_timeout)),
    /// and never past the call's deadline. `None`: the transport's own timeout applies.
    /// A transport applies it to this request alone and reports running out of it as
    /// [`TransportErrorKind::Timeout`](crate::driver::TransportErrorKind::Timeout).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Sets [`HttpRequest::timeout`] (the core does, for every attempt it sends).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The full URL with the signed query. It carries the signature: keep it out of logs.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Headers the request needs. Transports add their own `User-Agent`.
    pub fn headers(&self) -> &'static [(&'static str, &'static str)] {
        &[("accept", "application/json")]
    }

    /// The URL with the signature value replaced by `<redacted>`, safe to log.
    pub fn redacted_url(&self) -> String {
        let mut out = String::with_capacity(self.url.len());
        out.push_str(self.url.get(..self.signature.start).unwrap_or_default());
        out.push_str("<redacted>");
        out.push_str(self.url.get(self.signature.end..).unwrap_or_default());
        out
    }

    /// Takes the URL out, e.g. to hand it to an HTTP library without copying.
    pub fn into_url(self) -> String {
        self.url
    }
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.redacted_url())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// An HTTP answer, as a transport received it: the status, the body, and the few headers
/// the core reads (see [`HttpResponse::HEADERS`]).
///
/// `#[non_exhaustive]`: build one with [`HttpResponse::new`] and add headers with
/// [`HttpResponse::with_header`], which keeps the ones the core reads and ignores the
/// rest, so a transport can hand it every header it got.
///
/// ```
/// use zego_proto::wire::HttpResponse;
/// let answer = HttpResponse::new(503, "busy")
///     .with_header("Retry-After", "7")
///     .with_header("Date", "Tue, 14 Nov 2023 22:13:20 GMT")
///     .with_header("Server", "nginx"); // not read by the core: ignored
/// assert_eq!(answer.retry_after.as_deref(), Some("7"));
/// assert_eq!(answer.date.as_deref(), Some("Tue, 14 Nov 2023 22:13:20 GMT"));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The `Retry-After` header, verbatim (delta seconds or an HTTP date): honoured on
    /// 429 and 503 answers.
    pub retry_after: Option<String>,
    /// The `Date` header, verbatim: the server's clock, from which the core measures the
    /// local clock's offset.
    pub date: Option<String>,
}

impl HttpResponse {
    /// The names (lowercase) of the headers the core reads; a transport needs to copy
    /// only these into [`HttpResponse::with_header`].
    pub const HEADERS: [&'static str; 2] = ["retry-after", "date"];

    /// A response with this status and body, and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Self {
            status,
            body: body.into(),
            retry_after: None,
            date: None,
        }
    }

    /// Adds a header if the core reads it (the name is matched case-insensitively; the
    /// first value of a repeated header wins); other headers are ignored.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        let slot = if name.eq_ignore_ascii_case("retry-after") {
            &mut self.retry_after
        } else if name.eq_ignore_ascii_case("date") {
            &mut self.date
        } else {
            return self;
        };
        if slot.is_none() {
            *slot = Some(value.trim().to_owned());
        }
        self
    }
}

/// Signs `op` for sending now, with a fresh nonce from `rng` (a CSPRNG such as `rand::rng()`).
///
/// `unix_time_secs` is the `Timestamp`; call this again for every attempt, so each one is
/// freshly signed (the operation, and so its `Sequence`, stays the same). A sequenced
/// operation needs an explicit `with_sequence` here; a client stamps one itself.
///
/// ```
/// use zego_proto::wire::prepare;
/// use zego_proto::{ops::ForbidRtcStream, Config, Credentials, Endpoint, Sequence};
/// let creds = Credentials::new(1234567890, "0123456789abcdef0123456789abcdef")?;
/// let config = Config::new(Endpoint::Unified);
/// let op = ForbidRtcStream::new("stream-1")?.with_sequence(Sequence::new(7));
/// let request = prepare(&op, &config, &creds, 1_700_000_000, &mut rand::rng())?;
/// assert!(request.url().starts_with(
///     "https://rtc-api.zego.im/?Action=ForbidRTCStream&StreamId=stream-1&Sequence=7&AppId=1234567890&SignatureNonce="
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn prepare<O, R>(
    op: &O,
    config: &Config,
    credentials: &Credentials,
    unix_time_secs: u64,
    rng: &mut R,
) -> Result<HttpRequest, ValidationError>
where
    O: Operation + ?Sized,
    R: RngCore + ?Sized,
{
    prepare_with_nonce(
        op,
        config,
        credentials,
        unix_time_secs,
        Nonce::generate(rng),
    )
}

/// [`prepare`] with a given nonce: for reproducing a signature (dry runs, comparisons
/// with ZEGO's online checker). Never reuse a nonce for real traffic.
///
/// ```
/// use zego_proto::wire::prepare_with_nonce;
/// use zego_proto::{ops::ForbidRtcStreams, Config, Credentials, Sequence};
/// let creds = Credentials::new(12345, "9193cc662a4c0ec135ec71fb57194b38")?;
/// let op = ForbidRtcStreams::new(["rtc01", "rtc02"])?.with_sequence(Sequence::new(1617249600001));
/// let request = prepare_with_nonce(&op, &Config::default(), &creds, 1615186943, "4fd24687296dd9f3".parse()?)?;
/// assert_eq!(request.url(), "https://rtc-api.zego.im/?Action=ForbidRTCStreams\
///     &StreamId%5B%5D=rtc01&StreamId%5B%5D=rtc02&Sequence=1617249600001&AppId=12345\
///     &SignatureNonce=4fd24687296dd9f3&Timestamp=1615186943\
///     &Signature=43e5cfcca828314675f91b001390566a&SignatureVersion=2.0");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn prepare_with_nonce<O>(
    op: &O,
    config: &Config,
    credentials: &Credentials,
    unix_time_secs: u64,
    nonce: Nonce,
) -> Result<HttpRequest, ValidationError>
where
    O: Operation + ?Sized,
{
    prepare_stamped(op, config, credentials, unix_time_secs, None, nonce)
}

/// [`prepare_with_nonce`] as a client would sign it: `stamped` is the `Sequence` its
/// coordinator stamped (used when the operation asks for one to be stamped; an explicit
/// one always wins; ignored by unsequenced actions). For dry runs that reproduce a
/// client's request exactly.
///
/// ```
/// use zego_proto::wire::prepare_stamped;
/// use zego_proto::{ops::ForbidRtcStream, Config, Credentials, Sequence};
/// let creds = Credentials::new(12345, "9193cc662a4c0ec135ec71fb57194b38")?;
/// let op = ForbidRtcStream::new("rtc01")?;
/// let request = prepare_stamped(&op, &Config::default(), &creds, 1615186943, Some(Sequence::new(5)), "4fd24687296dd9f3".parse()?)?;
/// assert!(request.url().contains("&StreamId=rtc01&Sequence=5&"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn prepare_stamped<O>(
    op: &O,
    config: &Config,
    credentials: &Credentials,
    unix_time_secs: u64,
    stamped: Option<Sequence>,
    nonce: Nonce,
) -> Result<HttpRequest, ValidationError>
where
    O: Operation + ?Sized,
{
    let sequence = match op.sequencing() {
        Sequencing::None => None,
        Sequencing::Stamped(_) => stamped,
        Sequencing::Explicit(sequence) => Some(sequence),
    };
    let base = config.endpoint().base_url();
    let action = op.action();
    let app_id = credentials.app_id();
    let test_prefix = config
        .environment()
        .is_test()
        .then(|| test_stream_prefix(app_id.get()));

    // Base, action, business parameters, then the common parameters: the order of ZEGO's
    // own example requests. 140 bytes covers the common parameters at their longest.
    let mut url = String::with_capacity(base.len() + action.len() + op.params_len_hint() + 140);
    url.push_str(base);
    url.push_str("/?Action=");
    push_encoded(&mut url, action);
    op.write_params(&mut ParamWriter::new(
        &mut url,
        test_prefix.as_deref(),
        sequence,
    ))?;

    let signature = sign(app_id, &nonce, credentials.secret(), unix_time_secs);
    let mut common = ParamWriter::new(&mut url, None, None);
    common.param_int("AppId", app_id.get());
    common.param("SignatureNonce", nonce.as_str());
    common.param_int("Timestamp", unix_time_secs);
    url.push_str("&Signature=");
    let start = url.len();
    url.push_str(signature.expose());
    let signature_range = start..url.len();
    url.push_str("&SignatureVersion=");
    url.push_str(SIGNATURE_VERSION);
    if config.environment().is_test() {
        url.push_str("&IsTest=true");
    }
    Ok(HttpRequest {
        method: Method::Get,
        url,
        signature: signature_range,
        timeout: None,
    })
}

/// The prefix every stream ID carries in the test environment: `zegotest-<AppId>-`.
///
/// ```
/// assert_eq!(zego_proto::wire::test_stream_prefix(123456789), "zegotest-123456789-");
/// ```
pub fn test_stream_prefix(app_id: u32) -> String {
    let mut buf = itoa::Buffer::new();
    let id = buf.format(app_id);
    let mut prefix = String::with_capacity(10 + id.len());
    prefix.push_str("zegotest-");
    prefix.push_str(id);
    prefix.push('-');
    prefix
}
