//! Where callbacks go: the URL checked once, at start, before anything is sent.

use std::net::IpAddr;

/// Checks a callback URL: `http` or `https`, with a host, and (unless `allow_remote`) a
/// loopback host (`localhost`, `127.0.0.0/8`, `::1`) so that a simulator never posts to
/// another machine by mistake. The error says what is wrong and how to opt in.
pub(crate) fn check_url(url: &str, allow_remote: bool) -> Result<(), String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("callback URL {url:?} is not a URL: {e}"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => {
            return Err(format!(
                "callback URL {url:?}: the scheme must be http or https"
            ))
        }
    }
    let Some(host) = uri.host().filter(|h| !h.is_empty()) else {
        return Err(format!("callback URL {url:?} has no host"));
    };
    if allow_remote || is_loopback(host) {
        Ok(())
    } else {
        Err(format!(
            "callback URL host {host:?} is not loopback (localhost, 127.0.0.0/8, ::1); \
             allow it explicitly with allow_remote_callbacks(true) (CLI: --allow-remote-callbacks)"
        ))
    }
}

fn is_loopback(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn loopback_urls_pass_and_others_need_the_opt_in() {
        for ok in [
            "http://127.0.0.1:8088/zego/callback",
            "http://localhost/cb",
            "http://[::1]:9/x",
            "https://127.1.2.3/",
        ] {
            assert_eq!(check_url(ok, false), Ok(()), "{ok}");
        }
        for remote in [
            "https://example.com/cb",
            "http://10.0.0.1/cb",
            "http://127.0.0.1.nip.io/cb",
        ] {
            let err = check_url(remote, false).unwrap_err();
            assert!(err.contains("allow_remote_callbacks"), "{err}");
            assert_eq!(check_url(remote, true), Ok(()), "{remote}");
        }
        for bad in ["", "127.0.0.1:80", "ftp://127.0.0.1/", "/just/a/path"] {
            assert!(check_url(bad, true).is_err(), "{bad}");
        }
    }
}
