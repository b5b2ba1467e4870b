//! The TLS roots of the zego-rs transports, in one place: which certificates to trust
//! besides Mozilla's (the platform's, with the `native-roots` feature, and
//! [`TransportOptions::extra_root_certificates`]), checked to be usable trust anchors.
//!
//! Both `zego-transport-blocking` (ureq) and `zego-transport-async` (reqwest) build their
//! TLS configuration from [`added_roots`]; their `native-roots` features turn this crate's on.
//!
//! ```
//! use zego_proto::driver::TransportOptions;
//! // No extra roots asked for: nothing to add to Mozilla's.
//! assert!(zego_tls::added_roots(&TransportOptions::default()).is_empty());
//! // A certificate that does not parse is skipped (with a warning), never a panic.
//! let junk = TransportOptions::default().with_extra_root_certificate(b"not a certificate".to_vec());
//! assert!(zego_tls::added_roots(&junk).is_empty());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::CertificateDer;
use zego_proto::driver::TransportOptions;

/// The DER root certificates to trust besides the built-in (Mozilla) ones: the platform's
/// when [`TransportOptions::platform_roots`] asks for them, then
/// [`TransportOptions::extra_root_certificates`]. Each is checked to be a usable trust
/// anchor; a warning is logged for each extra one that is not.
pub fn added_roots(options: &TransportOptions) -> Vec<Vec<u8>> {
    let mut roots = Vec::new();
    if options.platform_roots {
        roots.extend(platform_roots());
    }
    for (index, entry) in options.extra_root_certificates.iter().enumerate() {
        if is_pem(entry) {
            let before = roots.len();
            for item in CertificateDer::pem_slice_iter(entry) {
                match item {
                    Ok(cert) => push_anchor(&mut roots, &cert, index),
                    Err(error) => {
                        tracing::warn!(index, %error, "skipping an extra root certificate: bad PEM");
                    }
                }
            }
            if roots.len() == before {
                tracing::warn!(
                    index,
                    "an extra root certificate entry holds no usable certificate"
                );
            }
        } else {
            push_anchor(&mut roots, entry, index);
        }
    }
    roots
}

fn is_pem(bytes: &[u8]) -> bool {
    bytes.windows(11).any(|w| w == b"-----BEGIN ")
}

fn push_anchor(roots: &mut Vec<Vec<u8>>, der: &[u8], index: usize) {
    match webpki::anchor_from_trusted_cert(&CertificateDer::from(der)) {
        Ok(_) => roots.push(der.to_vec()),
        Err(error) => {
            tracing::warn!(index, %error, "skipping an extra root certificate that does not parse");
        }
    }
}

/// The platform's roots, as rustls-native-certs finds them (`SSL_CERT_FILE` /
/// `SSL_CERT_DIR` when set, else the system store); ones that do not parse are left out,
/// as system stores often hold some.
#[cfg(feature = "native-roots")]
fn platform_roots() -> Vec<Vec<u8>> {
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(%error, "could not load some of the platform's root certificates");
    }
    let roots: Vec<Vec<u8>> = found
        .certs
        .iter()
        .filter(|cert| webpki::anchor_from_trusted_cert(cert).is_ok())
        .map(|cert| cert.to_vec())
        .collect();
    if roots.is_empty() {
        tracing::warn!("no usable root certificate found on the platform");
    }
    roots
}

#[cfg(not(feature = "native-roots"))]
fn platform_roots() -> Vec<Vec<u8>> {
    tracing::warn!(
        "TransportOptions::platform_roots needs the `native-roots` feature of {}; ignored",
        "zego-tls"
    );
    Vec::new()
}
