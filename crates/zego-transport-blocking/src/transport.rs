//! Sending one prepared request: the [`BlockingTransport`] trait and its default,
//! ureq-based implementation [`UreqTransport`].

use std::fmt;
use std::io::{self, Read};
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use zego_proto::{
    driver::{TransportError, TransportErrorKind, TransportOptions},
    wire::{HttpRequest, HttpResponse},
};

/// Sends one prepared request and returns the HTTP answer, whatever its status.
///
/// A transport sends [`HttpRequest::url`] byte for byte (plus [`HttpRequest::headers`]),
/// within [`HttpRequest::timeout`] when the core set one, returns any HTTP answer as an
/// [`HttpResponse`] (non-2xx statuses included, with the headers named by
/// [`HttpResponse::HEADERS`] added through [`HttpResponse::with_header`]) and reports
/// only the failure to get an answer as a [`TransportError`], whose message must never
/// contain the URL. Everything else — admission, signing, retrying, parsing — is done by
/// the core that drives it. `Arc<T>` and `Box<T>` of a transport are transports too.
///
/// A closure becomes one with [`transport_fn`], which makes recorded or scripted
/// transports one-liners:
///
/// ```
/// use zego_proto::{ops::ForbidRtcStream, Credentials};
/// use zego_proto::wire::HttpResponse;
/// use zego_transport_blocking::{transport_fn, Client};
///
/// let client = Client::builder(Credentials::new(1u32, "secret")?)
///     .transport(transport_fn(|_request| Ok(HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"42"}"#))))
///     .build();
/// let answer = client.execute(&ForbidRtcStream::new("stream-1")?)?;
/// assert_eq!(answer.request_id, "42");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait BlockingTransport: Send + Sync {
    /// Sends `request` and waits for the whole answer.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

impl<T: BlockingTransport + ?Sized> BlockingTransport for Arc<T> {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}

impl<T: BlockingTransport + ?Sized> BlockingTransport for Box<T> {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request)
    }
}

/// A closure as a transport: see [`transport_fn`].
#[derive(Clone)]
pub struct FnTransport<F>(F);

impl<F> fmt::Debug for FnTransport<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnTransport")
    }
}

/// Makes a transport of a closure from [`HttpRequest`] to an answer (a test double, a
/// recording, another HTTP stack).
pub fn transport_fn<F>(send: F) -> FnTransport<F>
where
    F: Fn(HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync,
{
    FnTransport(send)
}

impl<F> BlockingTransport for FnTransport<F>
where
    F: Fn(HttpRequest) -> Result<HttpResponse, TransportError> + Send + Sync,
{
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (self.0)(request)
    }
}

/// Any transport, boxed: what [`ClientBuilder::transport`](crate::ClientBuilder) and
/// [`Client::with_transport`](crate::Client::with_transport) take. Every
/// [`BlockingTransport`] converts into it.
pub struct BoxedTransport(Box<dyn BlockingTransport>);

impl fmt::Debug for BoxedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxedTransport")
    }
}

impl<T: BlockingTransport + 'static> From<T> for BoxedTransport {
    fn from(transport: T) -> Self {
        Self(Box::new(transport))
    }
}

impl BoxedTransport {
    /// The boxed transport.
    pub fn into_inner(self) -> Box<dyn BlockingTransport> {
        self.0
    }
}

/// The default transport: a [`ureq`] agent with keep-alive pooling, rustls, no redirects
/// (a 3xx is returned as the answer), the connect and whole-request timeouts, body cap and
/// trusted roots of [`TransportOptions`], and the proxy from the environment (`ALL_PROXY`,
/// `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`, as ureq reads them).
///
/// It trusts Mozilla's roots ([`TransportOptions::webpki_roots`]), plus, when asked, the
/// platform's ([`TransportOptions::platform_roots`], with this crate's `native-roots`
/// feature: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the system store) and any
/// [`TransportOptions::extra_root_certificates`] (a private CA, a TLS-inspecting proxy).
///
/// Bring your own agent (a proxy, middleware) with `From<ureq::Agent>`.
/// Configure it with `http_status_as_error(false)` and no redirects, as [`UreqTransport::new`]
/// does, so that every answer reaches the core:
///
/// ```
/// use zego_proto::driver::TransportOptions;
/// use zego_transport_blocking::{BlockingTransport, UreqTransport};
/// let transport = UreqTransport::new(&TransportOptions::default());
/// let _: &dyn BlockingTransport = &transport;
///
/// let agent: ureq::Agent = ureq::Agent::config_builder()
///     .http_status_as_error(false)
///     .max_redirects(0)
///     .build()
///     .into();
/// let mine = UreqTransport::from(agent);
/// # let _ = mine;
/// ```
pub struct UreqTransport {
    agent: ureq::Agent,
    max_body_bytes: usize,
}

impl fmt::Debug for UreqTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UreqTransport")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl UreqTransport {
    /// A transport with these options.
    pub fn new(options: &TransportOptions) -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_connect(Some(options.connect_timeout))
            .timeout_global(Some(options.request_timeout))
            .max_redirects(0)
            .max_redirects_will_error(false)
            .http_status_as_error(false)
            .user_agent(options.user_agent.as_str())
            .proxy(ureq::Proxy::try_from_env())
            .tls_config(tls_config(options))
            .build();
        // ureq's own connector, with a resolver that starts no thread per request.
        let agent = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::new(),
            crate::resolver::ReusingResolver::default(),
        );
        Self {
            agent,
            max_body_bytes: options.max_body_bytes,
        }
    }
}

/// The roots of [`TransportOptions`] as ureq's TLS settings.
fn tls_config(options: &TransportOptions) -> ureq::tls::TlsConfig {
    let added = zego_tls::added_roots(options);
    let roots = if added.is_empty() && options.webpki_roots {
        ureq::tls::RootCerts::WebPki
    } else {
        let webpki: &[CertificateDer<'static>] = if options.webpki_roots {
            webpki_root_certs::TLS_SERVER_ROOT_CERTS
        } else {
            &[]
        };
        webpki
            .iter()
            .map(|cert| ureq::tls::Certificate::from_der(cert).to_owned())
            .chain(
                added
                    .iter()
                    .map(|der| ureq::tls::Certificate::from_der(der).to_owned()),
            )
            .collect::<Vec<_>>()
            .into()
    };
    ureq::tls::TlsConfig::builder().root_certs(roots).build()
}

impl From<ureq::Agent> for UreqTransport {
    /// Sends through this agent, with the default body cap.
    fn from(agent: ureq::Agent) -> Self {
        Self {
            agent,
            max_body_bytes: TransportOptions::default().max_body_bytes,
        }
    }
}

impl UreqTransport {
    /// Caps the bodies read (default 1 MiB).
    #[must_use]
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }
}

impl Default for UreqTransport {
    fn default() -> Self {
        Self::new(&TransportOptions::default())
    }
}

impl BlockingTransport for UreqTransport {
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = self.agent.get(request.url());
        if let Some(timeout) = request.timeout() {
            // This attempt's own bound, decided by the core (it replaces the agent's).
            builder = builder.config().timeout_global(Some(timeout)).build();
        }
        for (name, value) in request.headers() {
            builder = builder.header(*name, *value);
        }
        let response = builder
            .call()
            .map_err(|e| map_error(&e, self.max_body_bytes))?;
        let status = response.status().as_u16();
        let mut answer = HttpResponse::new(status, Vec::new());
        for name in HttpResponse::HEADERS {
            if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
                answer = answer.with_header(name, value);
            }
        }
        let limit = u64::try_from(self.max_body_bytes)
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let mut body = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(limit)
            .read_to_end(&mut body)
            .map_err(|e| map_io_error(&e, self.max_body_bytes))?;
        if body.len() > self.max_body_bytes {
            return Err(body_too_large(self.max_body_bytes));
        }
        answer.body = body;
        Ok(answer)
    }
}

fn body_too_large(limit: usize) -> TransportError {
    TransportError::new(
        TransportErrorKind::BodyTooLarge { limit },
        format!("the answer's body is larger than {limit} bytes"),
    )
}

/// Maps a ureq error to the shared error type, keeping the URL out of the message.
pub(crate) fn map_error(error: &ureq::Error, max_body_bytes: usize) -> TransportError {
    use ureq::Error as E;
    use TransportErrorKind as K;
    let (kind, message) = match error {
        E::Timeout(which) => (K::Timeout, format!("no complete answer in time ({which})")),
        E::Io(io) => return map_io_error(io, max_body_bytes),
        E::HostNotFound => (K::Connect, "host not found".to_owned()),
        E::ConnectionFailed => (K::Connect, "connection failed".to_owned()),
        E::Tls(_) | E::Rustls(_) | E::Pem(_) => (K::Tls, format!("TLS failure: {error}")),
        E::TlsRequired => (K::Connect, format!("TLS failure: {error}")),
        E::ConnectProxyFailed(_) | E::InvalidProxyUrl => {
            (K::Connect, "could not connect through the proxy".to_owned())
        }
        E::BodyExceedsLimit(_) => return body_too_large(max_body_bytes),
        E::BadUri(_) | E::Http(_) | E::RequireHttpsOnly(_) => (
            K::InvalidRequest,
            "the request could not be built (bad URL)".to_owned(),
        ),
        E::Protocol(e) => (K::Interrupted, format!("HTTP protocol error: {e}")),
        E::LargeResponseHeader(..) => (K::Other, "response header too large".to_owned()),
        E::BodyStalled => (K::Timeout, "the body stalled".to_owned()),
        other => (K::Other, other.to_string()),
    };
    TransportError::new(kind, message)
}

fn map_io_error(error: &io::Error, max_body_bytes: usize) -> TransportError {
    use io::ErrorKind as IoKind;
    use TransportErrorKind as K;
    if let Some(inner) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<ureq::Error>())
    {
        return map_error(inner, max_body_bytes);
    }
    if let Some(tls) = error
        .get_ref()
        .and_then(|e| e.downcast_ref::<rustls::Error>())
    {
        // A refused certificate, a failed handshake: no request was sent.
        return TransportError::new(K::Tls, format!("TLS failure: {tls}"));
    }
    let kind = match error.kind() {
        IoKind::TimedOut | IoKind::WouldBlock => K::Timeout,
        IoKind::ConnectionRefused
        | IoKind::NotFound
        | IoKind::AddrNotAvailable
        | IoKind::AddrInUse
        | IoKind::PermissionDenied => K::Connect,
        _ => K::Interrupted,
    };
    TransportError::new(kind, format!("I/O error: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn defaults_match_the_documentation() {
        let o = TransportOptions::default();
        assert_eq!(o.connect_timeout, Duration::from_secs(5));
        assert_eq!(o.request_timeout, Duration::from_secs(10));
        assert_eq!(o.max_body_bytes, 1 << 20);
        assert_eq!(o.user_agent, concat!("zego-rs/", env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn io_errors_map_to_kinds() {
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "refused");
        assert_eq!(
            map_io_error(&refused, 1).kind(),
            TransportErrorKind::Connect
        );
        let reset = io::Error::new(io::ErrorKind::ConnectionReset, "reset");
        assert_eq!(
            map_io_error(&reset, 1).kind(),
            TransportErrorKind::Interrupted
        );
        let wrapped = ureq::Error::BodyExceedsLimit(3).into_io();
        assert_eq!(
            map_io_error(&wrapped, 7).kind(),
            TransportErrorKind::BodyTooLarge { limit: 7 }
        );
        let bad = ureq::Error::BadUri("http://x/?Signature=abc".into());
        let mapped = map_error(&bad, 1);
        assert_eq!(mapped.kind(), TransportErrorKind::InvalidRequest);
        assert!(!mapped.message().contains("Signature"));
    }

    #[test]
    fn a_refused_connection_is_a_connect_error_without_the_url() {
        // Bind then drop a listener, so the port is (very likely) closed.
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = zego_proto::Config::new(
            zego_proto::Endpoint::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
        );
        let credentials = zego_proto::Credentials::new(1u32, "secret").unwrap();
        let op = zego_proto::ops::DelForbidStreamRule::new("room", "stream").unwrap();
        let request =
            zego_proto::wire::prepare(&op, &config, &credentials, 1_700_000_000, &mut rand::rng())
                .unwrap();
        let url = request.url().to_owned();
        let err = UreqTransport::default().send(request).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
        assert!(!err.message().contains(&url));
        assert!(!err.message().contains("Signature="));
    }
}
