//! The `zego` binary trusts a private CA named by SSL_CERT_FILE or SSL_CERT_DIR (besides
//! Mozilla's roots), and refuses the same HTTPS server without it.

mod common;

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{bare, APP, SECRET};
use predicates::prelude::*;

/// The answer of the test server: a ZEGO envelope of success.
const ENVELOPE: &str = r#"{"Code":0,"Message":"ok","RequestId":"1","Data":null}"#;

/// A private CA (its certificate as PEM) and the server settings of a leaf it
/// signed for `localhost` and `127.0.0.1`.
struct PrivateCa {
    ca_pem: String,
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

/// A fresh directory holding `ca.pem`.
fn ca_dir(tag: &str, pem: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("zego-cli-tls-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("ca.pem"), pem).unwrap();
    dir
}

/// `zego --endpoint https://localhost:<port> forbid s1`, with no SSL_CERT_* of the caller.
fn forbid_at(port: u16) -> assert_cmd::Command {
    let mut cmd = bare();
    cmd.env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .env("ZEGO_APP_ID", APP.to_string())
        .env("ZEGO_SERVER_SECRET", SECRET)
        .args(["--retries", "0", "--endpoint"])
        .arg(format!("https://localhost:{port}"))
        .args(["forbid", "s1"]);
    cmd
}

#[test]
fn a_private_ca_in_ssl_cert_file_or_dir_is_trusted() {
    let ca = private_ca("zego-cli test CA");
    let port = serve(Arc::clone(&ca.server));
    let dir = ca_dir("trusted", &ca.ca_pem);
    forbid_at(port)
        .env("SSL_CERT_FILE", dir.join("ca.pem"))
        .assert()
        .success();
    forbid_at(port).env("SSL_CERT_DIR", &dir).assert().success();
    std::fs::remove_dir_all(&dir).ok();
}

/// What the report shows when the server's certificate is refused (and never the secret).
fn certificate_error() -> impl predicates::Predicate<str> {
    predicate::str::contains("invalid peer certificate")
        .or(predicate::str::contains("UnknownIssuer"))
        .and(predicate::str::contains(SECRET).not())
}

#[test]
fn without_the_private_ca_the_server_is_refused() {
    let ca = private_ca("zego-cli test CA (untrusted)");
    let other = private_ca("zego-cli other CA");
    let port = serve(Arc::clone(&ca.server));
    forbid_at(port)
        .assert()
        .failure()
        .stdout(certificate_error());
    let dir = ca_dir("other", &other.ca_pem);
    forbid_at(port)
        .env("SSL_CERT_FILE", dir.join("ca.pem"))
        .assert()
        .failure()
        .stdout(certificate_error());
    std::fs::remove_dir_all(&dir).ok();
}
