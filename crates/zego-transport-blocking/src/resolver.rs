//! [`ReusingResolver`]: name resolution that does not start a thread per request.
//!
//! ureq resolves the host before it looks in its connection pool, so every request — even one
//! sent on a kept-alive connection — resolves again; and with a timeout set (we always set
//! one) its default resolver runs each lookup on a new thread so that it can give up on it.
//! A bulk run of 10,000 IDs started about one thread per request that way (issue 23). This
//! resolver answers IP literals (the simulator, a test server, an operator's pinned address)
//! without any lookup, and keeps a host's addresses for [`ReusingResolver::TTL`], so the
//! default resolver (and its thread) runs once per host and TTL, not once per request.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use ureq::config::Config;
use ureq::http::Uri;
use ureq::unversioned::resolver::{DefaultResolver, ResolvedSocketAddrs, Resolver};
use ureq::unversioned::transport::NextTimeout;

/// Resolves through ureq's [`DefaultResolver`], reusing what it found (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct ReusingResolver {
    inner: DefaultResolverDebug,
    found: Mutex<HashMap<String, (ResolvedSocketAddrs, Instant)>>,
}

/// [`DefaultResolver`] has no `Debug`.
#[derive(Default)]
struct DefaultResolverDebug(DefaultResolver);

impl std::fmt::Debug for DefaultResolverDebug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DefaultResolver")
    }
}

impl ReusingResolver {
    /// How long a host's addresses are reused: short enough to follow a DNS change of the
    /// API's host within a minute, long enough that a bulk run resolves a handful of times.
    pub(crate) const TTL: Duration = Duration::from_secs(30);

    /// The address of an IP literal host, without any lookup.
    fn literal(&self, uri: &Uri) -> Option<ResolvedSocketAddrs> {
        let host = uri.host()?;
        let ip: IpAddr = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        let port = uri.port_u16().or_else(|| match uri.scheme_str() {
            Some("http") => Some(80),
            Some("https") => Some(443),
            _ => None,
        })?;
        let mut addrs = self.empty();
        addrs.push(SocketAddr::new(ip, port));
        Some(addrs)
    }
}

impl Resolver for ReusingResolver {
    fn resolve(
        &self,
        uri: &Uri,
        config: &Config,
        timeout: NextTimeout,
    ) -> Result<ResolvedSocketAddrs, ureq::Error> {
        if let Some(addrs) = self.literal(uri) {
            return Ok(addrs);
        }
        let key = uri.authority().map(ToString::to_string).unwrap_or_default();
        let now = Instant::now();
        {
            let found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((addrs, at)) = found.get(&key) {
                if now.duration_since(*at) < Self::TTL {
                    return Ok(addrs.clone());
                }
            }
        }
        let addrs = self.inner.0.resolve(uri, config, timeout)?;
        let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        // Few hosts per client: drop the stale ones rather than grow.
        found.retain(|_, (_, at)| now.duration_since(*at) < Self::TTL);
        found.insert(key, (addrs.clone(), now));
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(resolver: &ReusingResolver, url: &str) -> Vec<SocketAddr> {
        let uri: Uri = url.parse().unwrap();
        let config = ureq::Agent::config_builder().build();
        let timeout = NextTimeout {
            after: ureq::unversioned::transport::time::Duration::from_secs(5),
            reason: ureq::Timeout::Resolve,
            per_read: None,
            per_write: None,
        };
        resolver
            .resolve(&uri, &config, timeout)
            .unwrap()
            .iter()
            .copied()
            .collect()
    }

    #[test]
    fn ip_literals_need_no_lookup_and_names_are_reused() {
        let resolver = ReusingResolver::default();
        assert_eq!(
            resolve(&resolver, "http://127.0.0.1:8080/?a=1"),
            ["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(
            resolve(&resolver, "https://[::1]/"),
            ["[::1]:443".parse().unwrap()]
        );
        assert!(resolver.found.lock().unwrap().is_empty(), "no lookup");
        let first = resolve(&resolver, "http://localhost:9/");
        assert!(!first.is_empty());
        assert_eq!(resolver.found.lock().unwrap().len(), 1);
        assert_eq!(resolve(&resolver, "http://localhost:9/"), first);
    }
}
