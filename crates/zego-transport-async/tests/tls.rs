//! The reqwest transport trusts a private CA given in
//! `TransportOptions::extra_root_certificates` (and, with `native-roots`, through
//! `SSL_CERT_FILE`), and refuses the same server without it: the shared scenarios of
//! `zego_conformance::tls`.

use zego_conformance::tls;
use zego_proto::{
    driver::{TransportError, TransportOptions},
    wire::{HttpRequest, HttpResponse},
};
use zego_transport_async::{AsyncTransport, ReqwestTransport};

/// One request on a runtime of its own (the scenarios are synchronous).
fn send(options: &TransportOptions, request: HttpRequest) -> Result<HttpResponse, TransportError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(ReqwestTransport::new(options).send(request))
}

#[test]
fn an_extra_pem_root_makes_the_private_ca_trusted() {
    tls::an_extra_pem_root_makes_the_private_ca_trusted(&send);
}

#[test]
fn an_extra_der_root_is_trusted_even_alone() {
    tls::an_extra_der_root_is_trusted_even_alone(&send);
}

#[test]
fn without_the_private_ca_the_server_is_refused() {
    tls::without_the_private_ca_the_server_is_refused(&send);
}

#[cfg(feature = "native-roots")]
#[test]
fn platform_roots_read_ssl_cert_file() {
    // The only test of this binary that reads the platform's roots.
    tls::platform_roots_read_ssl_cert_file(&send, "async");
}
