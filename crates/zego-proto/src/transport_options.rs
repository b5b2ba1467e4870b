//! Settings shared by the built-in HTTP transports (blocking and async), so both read
//! the same options with the same defaults.

use std::time::Duration;

/// The default User-Agent: `zego-rs/<version>`.
pub const DEFAULT_USER_AGENT: &str = concat!("zego-rs/", env!("CARGO_PKG_VERSION"));

/// Settings of the built-in HTTP transports.
///
/// `#[non_exhaustive]`: start from [`TransportOptions::default`] and set fields directly
/// or with the chaining setters.
///
/// ```
/// use std::time::Duration;
/// use zego_proto::driver::TransportOptions;
/// let options = TransportOptions::default()
///     .with_request_timeout(Duration::from_secs(3))
///     .with_max_body_bytes(64 * 1024);
/// assert_eq!(options.connect_timeout, Duration::from_secs(5));
/// assert_eq!(options.request_timeout, Duration::from_secs(3));
/// assert!(options.user_agent.starts_with("zego-rs/"));
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportOptions {
    /// How long to wait for a connection (default 5 s).
    pub connect_timeout: Duration,
    /// How long one request may take in all, reading the body included (default 10 s).
    pub request_timeout: Duration,
    /// The largest body accepted; a larger one fails with
    /// [`crate::driver::TransportErrorKind::BodyTooLarge`] (default 1 MiB).
    pub max_body_bytes: usize,
    /// The `User-Agent` header (default `zego-rs/<version>`).
    pub user_agent: String,
    /// Trust Mozilla's root certificates, as compiled into the transport (default `true`).
    pub webpki_roots: bool,
    /// Trust the platform's root certificates (default `false`): those of the files named
    /// by `SSL_CERT_FILE` / `SSL_CERT_DIR` when either is set, else the system's store.
    ///
    /// Needs the transport's `native-roots` cargo feature; without it this is ignored
    /// (with a warning logged) and only the other roots are trusted.
    pub platform_roots: bool,
    /// More root certificates to trust, each PEM (possibly several certificates) or DER
    /// bytes (default none): a company's private CA, a TLS-inspecting proxy. Ones that do
    /// not parse are skipped with a warning logged.
    ///
    /// With [`TransportOptions::webpki_roots`] and [`TransportOptions::platform_roots`]
    /// both off, these are the only roots trusted.
    pub extra_root_certificates: Vec<Vec<u8>>,
}

impl Default for TransportOptions {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
            max_body_bytes: 1024 * 1024,
            user_agent: DEFAULT_USER_AGENT.to_owned(),
            webpki_roots: true,
            platform_roots: false,
            extra_root_certificates: Vec::new(),
        }
    }
}

impl TransportOptions {
    /// Sets [`TransportOptions::connect_timeout`].
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`TransportOptions::request_timeout`].
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets [`TransportOptions::max_body_bytes`].
    #[must_use]
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Sets [`TransportOptions::user_agent`].
    #[must_use]
    pub fn with_user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets [`TransportOptions::webpki_roots`].
    #[must_use]
    pub fn with_webpki_roots(mut self, trust: bool) -> Self {
        self.webpki_roots = trust;
        self
    }

    /// Sets [`TransportOptions::platform_roots`].
    ///
    /// ```
    /// use zego_proto::driver::TransportOptions;
    /// // The platform's roots instead of Mozilla's.
    /// let options = TransportOptions::default()
    ///     .with_webpki_roots(false)
    ///     .with_platform_roots(true);
    /// assert!(options.platform_roots && !options.webpki_roots);
    /// ```
    #[must_use]
    pub fn with_platform_roots(mut self, trust: bool) -> Self {
        self.platform_roots = trust;
        self
    }

    /// Adds one entry to [`TransportOptions::extra_root_certificates`]: PEM (one or more
    /// certificates) or DER bytes.
    ///
    /// ```
    /// use zego_proto::driver::TransportOptions;
    /// let company_ca = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";
    /// let options = TransportOptions::default().with_extra_root_certificate(company_ca);
    /// assert_eq!(options.extra_root_certificates.len(), 1);
    /// assert!(options.webpki_roots); // still trusted as well
    /// ```
    #[must_use]
    pub fn with_extra_root_certificate(mut self, certificate: impl Into<Vec<u8>>) -> Self {
        self.extra_root_certificates.push(certificate.into());
        self
    }
}
