//! Test support for the TLS tests of the transports and the CLI: a private CA made at test
//! time (rcgen) and a tiny HTTPS server on loopback answering a ZEGO envelope (rustls), so
//! that trusting (and refusing) a private CA is tested over real TLS.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use zego_proto::{
    driver::{TransportError, TransportErrorKind, TransportOptions},
    wire::{HttpRequest, HttpResponse},
};

/// The answer of the test server: a ZEGO envelope of success.
pub const ENVELOPE: &str = r#"{"Code":0,"Message":"ok","RequestId":"1","Data":null}"#;

/// A private CA (its certificate as PEM and DER) and the server settings of a leaf it
/// signed for `localhost` and `127.0.0.1`.
pub struct PrivateCa {
    /// The CA certificate, PEM.
    pub ca_pem: String,
    /// The CA certificate, DER.
    pub ca_der: Vec<u8>,
    /// The server side: the leaf and its key.
    pub server: Arc<rustls::ServerConfig>,
    /// The leaf, PEM (for a server that reads files, such as `redis-server --tls-cert-file`).
    pub leaf_pem: String,
    /// The leaf's private key, PKCS#8 PEM (`--tls-key-file`).
    pub leaf_key_pem: String,
}

/// A new private CA named `name`, and a leaf it signed.
///
/// # Panics
///
/// If rcgen or rustls cannot make the certificates (a bug in this test support).
pub fn private_ca(name: &str) -> PrivateCa {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.distinguished_name.push(DnType::CommonName, name);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let leaf_key = KeyPair::generate().unwrap();
    let mut leaf_params =
        CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "localhost");
    let leaf = leaf_params.signed_by(&leaf_key, &issuer).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let server = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)
    .unwrap();
    PrivateCa {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().to_vec(),
        server: Arc::new(server),
        leaf_pem: leaf.pem(),
        leaf_key_pem: leaf_key.serialize_pem(),
    }
}

/// Serves HTTPS on 127.0.0.1 (an ephemeral port, returned), answering every request
/// with [`ENVELOPE`], until the test process ends.
///
/// # Panics
///
/// If no loopback port can be bound.
pub fn serve(config: Arc<rustls::ServerConfig>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            // A client refusing the certificate ends the handshake with an error: ignored.
            thread::spawn(move || drop(answer(config, stream)));
        }
    });
    port
}

fn answer(config: Arc<rustls::ServerConfig>, tcp: TcpStream) -> io::Result<()> {
    tcp.set_read_timeout(Some(Duration::from_secs(10)))?;
    let connection = rustls::ServerConnection::new(config).map_err(io::Error::other)?;
    let mut tls = rustls::StreamOwned::new(connection, tcp);
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = tls.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
    }
    write!(
        tls,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{ENVELOPE}",
        ENVELOPE.len()
    )?;
    tls.flush()?;
    tls.conn.send_close_notify();
    tls.flush()
}

/// Sends one request through the transport under test, built from these options (an
/// async transport blocks on its own runtime): the TLS scenarios below take it, so both
/// transports run the same checks.
pub type SendWith<'a> =
    &'a dyn Fn(&TransportOptions, HttpRequest) -> Result<HttpResponse, TransportError>;

/// A signed request to `https://{host}:{port}`.
///
/// # Panics
///
/// If the request cannot be prepared (a bug in this test support).
pub fn request_to(host: &str, port: u16) -> HttpRequest {
    let config = zego_proto::Config::new(
        zego_proto::Endpoint::custom(&format!("https://{host}:{port}")).unwrap(),
    );
    let credentials = zego_proto::Credentials::new(1u32, "secret").unwrap();
    let op = zego_proto::ops::DelForbidStreamRule::new("room", "s1").unwrap();
    zego_proto::wire::prepare(&op, &config, &credentials, 1_700_000_000, &mut rand::rng()).unwrap()
}

/// A private CA given as an extra PEM root is trusted, by name and by loopback address.
///
/// # Panics
///
/// When the transport refuses the server (the check failing).
pub fn an_extra_pem_root_makes_the_private_ca_trusted(send: SendWith<'_>) {
    let ca = private_ca("zego-rs test CA");
    let port = serve(Arc::clone(&ca.server));
    let options = TransportOptions::default().with_extra_root_certificate(ca.ca_pem.clone());
    for host in ["localhost", "127.0.0.1"] {
        let answer = send(&options, request_to(host, port)).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, ENVELOPE.as_bytes());
    }
}

/// A DER root is trusted even without Mozilla's roots, and a junk root beside it is
/// skipped.
///
/// # Panics
///
/// When the transport refuses the server (the check failing).
pub fn an_extra_der_root_is_trusted_even_alone(send: SendWith<'_>) {
    let ca = private_ca("zego-rs test CA (DER)");
    let port = serve(Arc::clone(&ca.server));
    let options = TransportOptions::default()
        .with_webpki_roots(false)
        .with_extra_root_certificate(b"not a certificate".to_vec())
        .with_extra_root_certificate(ca.ca_der.clone());
    let answer = send(&options, request_to("localhost", port)).unwrap();
    assert_eq!(answer.body, ENVELOPE.as_bytes());
}

/// Without the private CA (or with another one) the server is refused as a TLS error.
///
/// # Panics
///
/// When the transport accepts the server, or reports another kind (the check failing).
pub fn without_the_private_ca_the_server_is_refused(send: SendWith<'_>) {
    let ca = private_ca("zego-rs test CA (untrusted)");
    let other = private_ca("zego-rs other CA");
    let port = serve(Arc::clone(&ca.server));
    for options in [
        TransportOptions::default(),
        TransportOptions::default().with_extra_root_certificate(other.ca_pem.clone()),
    ] {
        let err = send(&options, request_to("localhost", port)).unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Tls, "{err}");
        assert!(
            err.message().to_lowercase().contains("certificate"),
            "{err}"
        );
    }
}

/// The platform's roots read `SSL_CERT_FILE`. It sets process environment variables:
/// call it from the only test of its binary that reads the platform's roots.
///
/// # Panics
///
/// When the transport refuses the server (the check failing).
pub fn platform_roots_read_ssl_cert_file(send: SendWith<'_>, file_tag: &str) {
    let ca = private_ca("zego-rs test CA (SSL_CERT_FILE)");
    let port = serve(Arc::clone(&ca.server));
    let file = std::env::temp_dir().join(format!("zego-{file_tag}-ca-{}.pem", std::process::id()));
    std::fs::write(&file, &ca.ca_pem).unwrap();
    std::env::set_var("SSL_CERT_FILE", &file);
    std::env::remove_var("SSL_CERT_DIR");
    let options = TransportOptions::default().with_platform_roots(true);
    let answer = send(&options, request_to("localhost", port));
    std::env::remove_var("SSL_CERT_FILE");
    std::fs::remove_file(&file).ok();
    assert_eq!(answer.unwrap().body, ENVELOPE.as_bytes());
}
