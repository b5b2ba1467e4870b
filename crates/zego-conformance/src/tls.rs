//! Test support for the TLS tests of the transports and the CLI: a private CA made at test
//! time (rcgen) and a tiny HTTPS server on loopback answering a ZEGO envelope (rustls), so
//! that trusting (and refusing) a private CA is tested over real TLS.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

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
