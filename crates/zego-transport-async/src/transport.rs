//! Sending one prepared request: the [`AsyncTransport`] trait and its default,
//! reqwest-based implementation [`ReqwestTransport`].

use std::error::Error as _;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
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
/// contain the URL. Object safe (`Box<dyn AsyncTransport>` and `Arc<dyn AsyncTransport>`
/// are transports too); a closure returning a `Send` future becomes one with
/// [`transport_fn`]:
///
/// ```
/// use zego_proto::{ops::ForbidRtcStream, Credentials};
/// use zego_proto::wire::{HttpRequest, HttpResponse};
/// use zego_transport_async::{transport_fn, Client};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::builder(Credentials::new(1u32, "secret")?)
///     .transport(transport_fn(|_request: HttpRequest| async {
///         Ok(HttpResponse::new(200, r#"{"Code":0,"Message":"ok","RequestId":"42"}"#))
///     }))
///     .build();
/// assert_eq!(client.execute(&ForbidRtcStream::new("stream-1")?).await?.request_id, "42");
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait AsyncTransport: Send + Sync {
    /// Sends `request` and waits for the whole answer.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError>;
}

#[async_trait]
impl<T: AsyncTransport + ?Sized> AsyncTransport for Arc<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
    }
}

#[async_trait]
impl<T: AsyncTransport + ?Sized> AsyncTransport for Box<T> {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (**self).send(request).await
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

/// Makes a transport of a closure from [`HttpRequest`] to a `Send` future of the answer
/// (a test double, a recording, another HTTP stack).
pub fn transport_fn<F, Fut>(send: F) -> FnTransport<F>
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send,
{
    FnTransport(send)
}

#[async_trait]
impl<F, Fut> AsyncTransport for FnTransport<F>
where
    F: Fn(HttpRequest) -> Fut + Send + Sync,
    Fut: Future<Output = Result<HttpResponse, TransportError>> + Send,
{
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        (self.0)(request).await
    }
}

/// Any transport, boxed: what [`ClientBuilder::transport`](crate::ClientBuilder) and
/// [`Client::with_transport`](crate::Client::with_transport) take. Every
/// [`AsyncTransport`] converts into it.
pub struct BoxedTransport(Box<dyn AsyncTransport>);

impl fmt::Debug for BoxedTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BoxedTransport")
    }
}

impl<T: AsyncTransport + 'static> From<T> for BoxedTransport {
    fn from(transport: T) -> Self {
        Self(Box::new(transport))
    }
}

impl BoxedTransport {
    /// The boxed transport.
    pub fn into_inner(self) -> Box<dyn AsyncTransport> {
        self.0
    }
}

/// The default transport: a [`reqwest::Client`] with connection pooling, rustls, no
/// redirects (a 3xx is returned as the answer), the connect and whole-request timeouts and
/// trusted roots of [`TransportOptions`], a body cap enforced while streaming the body, and
/// the proxy from the environment (reqwest's default).
///
/// It trusts Mozilla's roots ([`TransportOptions::webpki_roots`]), plus, when asked, the
/// platform's ([`TransportOptions::platform_roots`], with this crate's `native-roots`
/// feature: `SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the system store) and any
/// [`TransportOptions::extra_root_certificates`] (a private CA, a TLS-inspecting proxy).
///
/// Bring your own `reqwest::Client` (a proxy, middleware) with
/// `From<reqwest::Client>`; build it without redirects, as [`ReqwestTransport::new`] does,
/// so that every answer reaches the core:
///
/// ```
/// use zego_proto::driver::TransportOptions;
/// use zego_transport_async::{AsyncTransport, ReqwestTransport};
/// let transport = ReqwestTransport::new(&TransportOptions::default());
/// let _: Box<dyn AsyncTransport> = Box::new(transport);
///
/// let http = reqwest::Client::builder()
///     .redirect(reqwest::redirect::Policy::none())
///     .build()?;
/// let mine = ReqwestTransport::from(http);
/// # let _ = mine;
/// # Ok::<(), reqwest::Error>(())
/// ```
#[derive(Clone)]
pub struct ReqwestTransport {
    client: reqwest::Client,
    max_body_bytes: usize,
}

impl fmt::Debug for ReqwestTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReqwestTransport")
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}

impl ReqwestTransport {
    /// A transport with these options.
    ///
    /// # Panics
    ///
    /// If the TLS backend cannot be initialised (as [`reqwest::Client::new`] does).
    pub fn new(options: &TransportOptions) -> Self {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout)
            .timeout(options.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(options.user_agent.clone())
            .tls_built_in_root_certs(options.webpki_roots);
        for der in zego_tls::added_roots(options) {
            match reqwest::Certificate::from_der(&der) {
                Ok(cert) => builder = builder.add_root_certificate(cert),
                Err(error) => tracing::warn!(%error, "skipping a root certificate"),
            }
        }
        let client = builder
            .build()
            .expect("the HTTP client (TLS backend) could not be initialised");
        Self {
            client,
            max_body_bytes: options.max_body_bytes,
        }
    }
}

impl From<reqwest::Client> for ReqwestTransport {
    /// Sends through this client, with the default body cap.
    fn from(client: reqwest::Client) -> Self {
        Self {
            client,
            max_body_bytes: TransportOptions::default().max_body_bytes,
        }
    }
}

impl ReqwestTransport {
    /// Caps the bodies read (default 1 MiB).
    #[must_use]
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }
}

impl Default for ReqwestTransport {
    fn default() -> Self {
        Self::new(&TransportOptions::default())
    }
}

#[async_trait]
impl AsyncTransport for ReqwestTransport {
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, TransportError> {
        let mut builder = self.client.get(request.url());
        if let Some(timeout) = request.timeout() {
            // This attempt's own bound, decided by the core (it replaces the client's).
            builder = builder.timeout(timeout);
        }
        for (name, value) in request.headers() {
            builder = builder.header(*name, *value);
        }
        let mut response = builder.send().await.map_err(|e| map_error(&e))?;
        let status = response.status().as_u16();
        let mut answer = HttpResponse::new(status, Vec::new());
        for name in HttpResponse::HEADERS {
            if let Some(value) = response.headers().get(name).and_then(|v| v.to_str().ok()) {
                answer = answer.with_header(name, value);
            }
        }
        let max = self.max_body_bytes;
        if response
            .content_length()
            .is_some_and(|len| usize::try_from(len).map_or(true, |len| len > max))
        {
            return Err(body_too_large(max));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| map_error(&e))? {
            if body.len().saturating_add(chunk.len()) > max {
                return Err(body_too_large(max));
            }
            body.extend_from_slice(&chunk);
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

/// Maps a reqwest error to the shared error type, keeping the URL out of the message.
pub(crate) fn map_error(error: &reqwest::Error) -> TransportError {
    use TransportErrorKind as K;
    let kind = if error.is_timeout() {
        K::Timeout
    } else if is_tls(error) {
        K::Tls
    } else if error.is_connect() {
        K::Connect
    } else if error.is_builder() {
        K::InvalidRequest
    } else if error.is_request() || error.is_body() || error.is_decode() {
        K::Interrupted
    } else {
        K::Other
    };
    // reqwest's own message carries the URL; its sources (hyper, io) do not.
    let mut message = match kind {
        K::Timeout => "no complete answer in time".to_owned(),
        K::Connect => "could not connect".to_owned(),
        K::Tls => "TLS failure".to_owned(),
        K::InvalidRequest => "the request could not be built (bad URL)".to_owned(),
        K::Interrupted => "the connection broke".to_owned(),
        _ => "HTTP error".to_owned(),
    };
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    TransportError::new(kind, message)
}

/// Whether rustls refused the handshake (a certificate not trusted, most often): reqwest
/// reports it as a connect error, with the rustls error in its sources, possibly inside
/// I/O errors (whose `source` skips what they wrap, hence `get_ref`).
fn is_tls(error: &reqwest::Error) -> bool {
    let mut source = error.source();
    while let Some(cause) = source {
        let mut inner: &(dyn std::error::Error + 'static) = cause;
        loop {
            if inner.is::<rustls::Error>() {
                return true;
            }
            match inner
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        source = cause.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request_for(config: &zego_proto::Config) -> HttpRequest {
        let credentials = zego_proto::Credentials::new(1u32, "secret").unwrap();
        let op = zego_proto::ops::DelForbidStreamRule::new("room", "stream").unwrap();
        zego_proto::wire::prepare(&op, config, &credentials, 1_700_000_000, &mut rand::rng())
            .unwrap()
    }

    #[test]
    fn defaults_match_the_documentation() {
        let o = TransportOptions::default();
        assert_eq!(o.connect_timeout, Duration::from_secs(5));
        assert_eq!(o.request_timeout, Duration::from_secs(10));
        assert_eq!(o.max_body_bytes, 1 << 20);
        assert_eq!(o.user_agent, concat!("zego-rs/", env!("CARGO_PKG_VERSION")));
    }

    #[tokio::test]
    async fn a_refused_connection_is_a_connect_error_without_the_url() {
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let config = zego_proto::Config::new(
            zego_proto::Endpoint::custom(&format!("http://127.0.0.1:{port}")).unwrap(),
        );
        let request = request_for(&config);
        let err = ReqwestTransport::default().send(request).await.unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
        assert!(!err.message().contains("127.0.0.1"), "{err}");
        assert!(!err.message().contains("Signature"), "{err}");
    }

    #[test]
    fn boxed_transports_are_object_safe() {
        let boxed: Box<dyn AsyncTransport> = Box::new(transport_fn(|_req: HttpRequest| async {
            Ok(HttpResponse::new(204, Vec::new()))
        }));
        let request = request_for(&zego_proto::Config::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let answer = runtime.block_on(boxed.send(request)).unwrap();
        assert_eq!(answer.status, 204);
    }
}
