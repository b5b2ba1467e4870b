//! The ureq transport trusts a private CA given in
//! `TransportOptions::extra_root_certificates` (and, with `native-roots`, through
//! `SSL_CERT_FILE`), and refuses the same server without it.

use zego_proto::driver::{HttpRequest, TransportErrorKind, TransportOptions};
use zego_transport_blocking::{BlockingTransport, UreqTransport};

use std::sync::Arc;

use zego_conformance::tls::{private_ca, serve, ENVELOPE};

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
        assert_eq!(err.kind(), TransportErrorKind::Tls, "{err}");
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
