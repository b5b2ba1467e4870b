//! The ureq transport trusts a private CA given in
//! `TransportOptions::extra_root_certificates` (and, with `native-roots`, through
//! `SSL_CERT_FILE`), and refuses the same server without it.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use zego_proto::driver::{HttpRequest, TransportErrorKind, TransportOptions};
use zego_transport_blocking::{BlockingTransport, UreqTransport};

/// The answer of the test server: a ZEGO envelope of success.
const ENVELOPE: &str = r#"{"Code":0,"Message":"ok","RequestId":"1","Data":null}"#;

/// A private CA (its certificate as PEM and DER) and the server settings of a leaf it
/// signed for `localhost` and `127.0.0.1`.
struct PrivateCa {
    ca_pem: String,
    ca_der: Vec<u8>,
    server: Arc<rustls::ServerConfig>,
}

fn private_ca(name: &str) -> PrivateCa {
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
fn serve(config: Arc<rustls::ServerConfig>) -> u16 {
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

fn request_to(host: &str, port: u16) -> HttpRequest {
    let config = zego_proto::Config::new(
        zego_proto::Endpoint::custom(&format!("https://{host}:{port}")).unwrap(),
    );
    let credentials = zego_proto::Credentials::new(1u32, "secret").unwrap();
    let op = zego_proto::ops::DelForbidStreamRule::new("room", "s1").unwrap();
    zego_proto::wire::prepare(&op, &config, &credentials, 1_700_000_000, &mut rand::rng()).unwrap()
}

#[test]
fn an_extra_pem_root_makes_the_private_ca_trusted() {
    let ca = private_ca("zego-rs blocking test CA");
    let port = serve(Arc::clone(&ca.server));
    let options = TransportOptions::default().with_extra_root_certificate(ca.ca_pem.clone());
    let transport = UreqTransport::new(&options);
    for host in ["localhost", "127.0.0.1"] {
        let answer = transport.send(request_to(host, port)).unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, ENVELOPE.as_bytes());
    }
}

#[test]
fn an_extra_der_root_is_trusted_even_alone() {
    let ca = private_ca("zego-rs blocking test CA (DER)");
    let port = serve(Arc::clone(&ca.server));
    let options = TransportOptions::default()
        .with_webpki_roots(false)
        .with_extra_root_certificate(b"not a certificate".to_vec())
        .with_extra_root_certificate(ca.ca_der.clone());
    let answer = UreqTransport::new(&options)
        .send(request_to("localhost", port))
        .unwrap();
    assert_eq!(answer.body, ENVELOPE.as_bytes());
}

#[test]
fn without_the_private_ca_the_server_is_refused() {
    let ca = private_ca("zego-rs blocking test CA (untrusted)");
    let other = private_ca("zego-rs blocking other CA");
    let port = serve(Arc::clone(&ca.server));
    for options in [
        TransportOptions::default(),
        TransportOptions::default().with_extra_root_certificate(other.ca_pem.clone()),
    ] {
        let err = UreqTransport::new(&options)
            .send(request_to("localhost", port))
            .unwrap_err();
        assert_eq!(err.kind(), TransportErrorKind::Connect, "{err}");
        assert!(
            err.message().to_lowercase().contains("certificate"),
            "{err}"
        );
    }
}

#[cfg(feature = "native-roots")]
#[test]
fn platform_roots_read_ssl_cert_file() {
    let ca = private_ca("zego-rs blocking test CA (SSL_CERT_FILE)");
    let port = serve(Arc::clone(&ca.server));
    let file = std::env::temp_dir().join(format!("zego-blocking-ca-{}.pem", std::process::id()));
    std::fs::write(&file, &ca.ca_pem).unwrap();
    // The only test of this binary that reads the platform's roots.
    std::env::set_var("SSL_CERT_FILE", &file);
    std::env::remove_var("SSL_CERT_DIR");
    let options = TransportOptions::default().with_platform_roots(true);
    let answer = UreqTransport::new(&options).send(request_to("localhost", port));
    std::env::remove_var("SSL_CERT_FILE");
    std::fs::remove_file(&file).ok();
    assert_eq!(answer.unwrap().body, ENVELOPE.as_bytes());
}
