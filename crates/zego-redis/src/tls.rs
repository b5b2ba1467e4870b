//! TLS for the `rediss` URL forms (`rediss://`, `rediss+sentinel://`, `rediss+cluster://`):
//! rustls (on ring, the provider of the rest of the workspace) over the coordinator's own
//! TCP stream, so that every node — a sentinel, the primary it names, a Cluster node from
//! the slot map — is reached the same way, and the size budget of
//! [`BoundedStream`](crate::connection) holds over TLS too.
//!
//! The roots are those `rediss://` trusted when it went through redis-rs: the platform's
//! (`SSL_CERT_FILE` / `SSL_CERT_DIR` when set, else the system store), plus the
//! certificates given to `extra_root_certificate` — both read and checked by `zego-tls`,
//! the one place the SDK's HTTP transports take theirs from too. The server's certificate
//! must name the address the client dials: the URL's host, and for Sentinel and Cluster the
//! address the sentinels or the slot map announce (usually an IP address).

use crate::connection::Failure;

/// The stream a TLS connection runs on.
#[cfg(feature = "tls-rustls")]
pub(crate) type TlsStream = tokio_rustls::client::TlsStream<tokio::net::TcpStream>;
/// Without the `tls-rustls` feature no [`Tls`] exists, so no TLS stream either.
#[cfg(not(feature = "tls-rustls"))]
pub(crate) type TlsStream = tokio::net::TcpStream;

/// The TLS settings of the `rediss` forms: which roots to trust.
#[cfg(feature = "tls-rustls")]
#[derive(Clone)]
pub(crate) struct Tls {
    /// The connector, or why rustls could not make one (not expected with ring).
    connector: Result<tokio_rustls::TlsConnector, String>,
}

/// Without the `tls-rustls` feature a `rediss` URL is refused when parsed: no `Tls` exists.
#[cfg(not(feature = "tls-rustls"))]
#[derive(Clone)]
pub(crate) enum Tls {}

#[cfg(feature = "tls-rustls")]
impl Tls {
    /// The platform's roots and `extra_roots` (PEM or DER; ones that are not usable trust
    /// anchors are skipped with a warning, by `zego-tls`).
    pub(crate) fn new(extra_roots: &[Vec<u8>]) -> Self {
        let options = extra_roots.iter().fold(
            zego_proto::driver::TransportOptions::default().with_platform_roots(true),
            |options, root| options.with_extra_root_certificate(root.clone()),
        );
        let mut roots = rustls::RootCertStore::empty();
        let (added, ignored) = roots.add_parsable_certificates(
            zego_tls::added_roots(&options)
                .into_iter()
                .map(rustls::pki_types::CertificateDer::from),
        );
        if added == 0 {
            tracing::warn!(
                ignored,
                "no root certificate to verify Redis's TLS certificate with: every rediss connection will be refused"
            );
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let connector = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|builder| {
                let config = builder.with_root_certificates(roots).with_no_client_auth();
                tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            })
            .map_err(|error| error.to_string());
        Self { connector }
    }

    /// The TLS handshake with `host` over `tcp`. A refused certificate (another CA, a name
    /// that does not match, expired), or a peer that does not speak TLS, is a configuration
    /// error; the connection breaking off is an outage.
    pub(crate) async fn handshake(
        &self,
        host: &str,
        tcp: tokio::net::TcpStream,
    ) -> Result<TlsStream, Failure> {
        let refused = |what: &'static str, detail: String| {
            Failure::Config(
                crate::connection::ConfigProblem::Tls,
                redis::RedisError::from((redis::ErrorKind::InvalidClientConfig, what, detail)),
            )
        };
        let connector = self
            .connector
            .as_ref()
            .map_err(|error| refused("no TLS configuration", error.clone()))?;
        let name = rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|_| refused("not a name a TLS certificate can hold", host.to_owned()))?;
        connector
            .connect(name, tcp)
            .await
            .map_err(|error| match tls_error(&error) {
                Some(tls) => refused("TLS handshake refused", tls.to_string()),
                None => Failure::Outage(error.into()),
            })
    }
}

#[cfg(feature = "tls-rustls")]
fn tls_error(error: &std::io::Error) -> Option<&rustls::Error> {
    error.get_ref()?.downcast_ref::<rustls::Error>()
}

#[cfg(not(feature = "tls-rustls"))]
impl Tls {
    #[allow(clippy::unused_async)] // The signature of the TLS build's.
    pub(crate) async fn handshake(
        &self,
        _host: &str,
        _tcp: tokio::net::TcpStream,
    ) -> Result<TlsStream, Failure> {
        match *self {}
    }
}
