//! The Redis URL: parsed once, shown only with its password redacted.

use std::fmt;

/// A Redis URL that cannot be used. The message names the problem and never contains the
/// URL's password.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedisConfigError {
    /// The URL does not parse, or has a scheme other than `redis://`, `rediss://`,
    /// `redis+sentinel://`, `rediss+sentinel://`, `redis+cluster://`, `rediss+cluster://`.
    InvalidUrl {
        /// The URL, password redacted.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// `rediss://` (and `rediss+sentinel://`, `rediss+cluster://`) needs the crate's
    /// `tls-rustls` feature.
    TlsNotEnabled {
        /// The URL, password redacted.
        url: String,
    },
    /// Redis refused the credentials: NOAUTH (a password is needed), WRONGPASS (wrong
    /// user or password), or another authentication failure.
    Authentication {
        /// The URL, password redacted.
        url: String,
        /// Redis's message, password removed.
        detail: String,
    },
    /// The ACL user may not run a command the coordinator needs (NOPERM): it needs
    /// `EVALSHA`, `SCRIPT LOAD` (`EVAL` after a NOSCRIPT) and the keys `<prefix>:*`.
    Permission {
        /// The URL, password redacted.
        url: String,
        /// Redis's message, password removed.
        detail: String,
    },
    /// No sentinel knows the master name of a `redis+sentinel://` URL.
    UnknownMaster {
        /// The URL, password redacted.
        url: String,
        /// The master name.
        master: String,
    },
    /// What answers at the URL does not speak the Redis protocol.
    NotRedis {
        /// The URL, password redacted.
        url: String,
        /// What went wrong, password removed.
        detail: String,
    },
    /// The TLS handshake of a `rediss` URL was refused: the server's certificate is not
    /// signed by a trusted root (trust its CA: `SSL_CERT_FILE` / `SSL_CERT_DIR`, or
    /// `extra_root_certificate`), does not name the address dialled, has expired, or the
    /// server answers the TLS hello with something that is not TLS. (A plain Redis port
    /// does not answer it at all: an outage, after the connect timeout.)
    Tls {
        /// The URL, password redacted.
        url: String,
        /// rustls's reason.
        detail: String,
    },
}

impl fmt::Display for RedisConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl { url, reason } => write!(f, "invalid Redis URL {url:?}: {reason}"),
            Self::TlsNotEnabled { url } => write!(
                f,
                "Redis URL {url:?} uses TLS (rediss), which needs zego-redis's `tls-rustls` feature"
            ),
            Self::Authentication { url, detail } => write!(
                f,
                "Redis at {url:?} refused the credentials ({detail}): check the user and password in the URL"
            ),
            Self::Permission { url, detail } => write!(
                f,
                "Redis at {url:?} denies a command the coordinator needs ({detail}): the ACL user needs EVALSHA, EVAL, SCRIPT and the keys of its prefix"
            ),
            Self::UnknownMaster { url, master } => write!(
                f,
                "no sentinel of {url:?} monitors a master named {master:?}: check the name after the sentinels' addresses"
            ),
            Self::NotRedis { url, detail } => write!(
                f,
                "{url:?} does not answer as a Redis server ({detail}): check the host and port"
            ),
            Self::Tls { url, detail } => write!(
                f,
                "the TLS handshake with Redis at {url:?} was refused ({detail}): trust the CA that signed its certificate (SSL_CERT_FILE or SSL_CERT_DIR, or extra_root_certificate) and check that the certificate names the address dialled"
            ),
        }
    }
}

impl std::error::Error for RedisConfigError {}

/// Where the coordinator connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// The URL's one address.
    Direct,
    /// The primary that the sentinels name, resolved again on every new connection (so a
    /// failover is followed: a connection ends with the first error, e.g. READONLY from a
    /// demoted primary, or the primary going away).
    Sentinel {
        /// The sentinels' addresses, asked in order.
        sentinels: Vec<(String, u16)>,
        /// The master name.
        master: String,
    },
    /// A Redis Cluster, found from its seed nodes: each admission goes to the primary of its
    /// AppId's slot (the slot map is asked again after any error, e.g. MOVED or a failover).
    Cluster {
        /// The seed nodes' addresses.
        seeds: Vec<(String, u16)>,
    },
}

/// A parsed Redis URL, and the roots its TLS trusts besides the platform's.
pub(crate) struct RedisUrl {
    /// The settings of the URL (password, DB) and, for `Target::Direct`, its address:
    /// always a plain `redis://` URL for redis-rs, TLS being this crate's (`crate::tls`).
    client: redis::Client,
    target: Target,
    /// A `rediss` form: every connection (sentinels and Cluster nodes included) is TLS.
    tls: bool,
    /// Extra root certificates (PEM or DER) for the `rediss` forms.
    extra_roots: Vec<Vec<u8>>,
    redacted: String,
    password: Option<String>,
}

impl fmt::Debug for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

impl fmt::Display for RedisUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted)
    }
}

/// `scheme://user:password@host` → `scheme://user:***@host`, without parsing (so it works
/// on URLs that do not parse): the user-info runs to the *last* `@` (a password may hold
/// `/`, `?` or `#`), and `pass=` / `password=` query values (unix-socket URLs) are masked.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparseable URL>".to_owned();
    };
    let rest = match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or("", |(user, _)| user);
            format!("{user}:***@{host}")
        }
        None => rest.to_owned(),
    };
    let rest = match rest.split_once('?') {
        Some((path, query)) => {
            let masked: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _))
                        if key.eq_ignore_ascii_case("pass")
                            || key.eq_ignore_ascii_case("password") =>
                    {
                        format!("{key}=***")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", masked.join("&"))
        }
        None => rest,
    };
    format!("{scheme}://{rest}")
}

/// The password part of a URL's user-info (to the last `@`), if any, without parsing.
fn raw_password(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let userinfo = rest.rsplit_once('@')?.0;
    userinfo
        .split_once(':')
        .map(|(_, p)| p)
        .filter(|p| !p.is_empty())
}

/// A multi-host URL's parts: the user-info, the addresses, the path after them.
type Hosts<'a> = (Option<&'a str>, Vec<(String, u16)>, &'a str);

/// `[[USER]:PASSWORD@]H1[:P1],H2[:P2],...`: the user-info, if any, and the addresses.
fn hosts(rest: &str, default_port: u16) -> Result<Hosts<'_>, String> {
    let (userinfo, rest) = match rest.rsplit_once('@') {
        Some((userinfo, rest)) => (Some(userinfo), rest),
        None => (None, rest),
    };
    let (hosts, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut addresses = Vec::new();
    for host in hosts.split(',').filter(|h| !h.is_empty()) {
        let (name, port) = match host.rsplit_once(':') {
            Some((name, port)) => (
                name,
                port.parse::<u16>()
                    .map_err(|_| format!("the port of {host:?} is not a port number"))?,
            ),
            None => (host, default_port),
        };
        addresses.push((name.to_owned(), port));
    }
    Ok((userinfo, addresses, path))
}

/// `redis+cluster://[[USER]:PASSWORD@]H1[:P1],H2[:P2],...`: the seed nodes (port 6379 by
/// default) and a `redis://` URL holding the nodes' settings (user, password).
fn cluster(url: &str) -> Result<(String, Target), String> {
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    let (userinfo, seeds, path) = hosts(rest, 6379)?;
    if seeds.is_empty() {
        return Err(
            "give at least one seed node: redis+cluster://H1:P1,H2:P2 (or rediss+cluster://)"
                .into(),
        );
    }
    if !path.is_empty() && path != "0" {
        return Err("a Cluster has only database 0".into());
    }
    let userinfo = userinfo.map_or(String::new(), |u| format!("{u}@"));
    Ok((
        format!("redis://{userinfo}127.0.0.1/0"),
        Target::Cluster { seeds },
    ))
}

/// `redis+sentinel://[[USER]:PASSWORD@]H1[:P1],H2[:P2],.../MASTER[/DB]`: the sentinels (port
/// 26379 by default), the master name, and a `redis://` URL holding the primary's settings
/// (user, password, DB; its address is not used).
fn sentinel(url: &str) -> Result<(String, Target), String> {
    let rest = url.split_once("://").map_or("", |(_, rest)| rest);
    let (userinfo, sentinels, path) = hosts(rest, 26379)?;
    let (master, db) = path.split_once('/').unwrap_or((path, "0"));
    if master.is_empty() {
        return Err(
            "name the master after the sentinels: redis+sentinel://H1:P1,H2:P2/MASTER".into(),
        );
    }
    let db = if db.is_empty() { "0" } else { db };
    if sentinels.is_empty() {
        return Err("give at least one sentinel: redis+sentinel://H1:P1,H2:P2/MASTER".into());
    }
    let userinfo = userinfo.map_or(String::new(), |u| format!("{u}@"));
    Ok((
        format!("redis://{userinfo}127.0.0.1/{db}"),
        Target::Sentinel {
            sentinels,
            master: master.to_owned(),
        },
    ))
}

impl RedisUrl {
    pub(crate) fn parse(url: &str) -> Result<Self, RedisConfigError> {
        let redacted = redact(url);
        let invalid = |reason: &str| RedisConfigError::InvalidUrl {
            url: redacted.clone(),
            reason: reason.to_owned(),
        };
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        let tls = matches!(
            scheme,
            Some("rediss" | "rediss+sentinel" | "rediss+cluster")
        );
        if tls && !cfg!(feature = "tls-rustls") {
            return Err(RedisConfigError::TlsNotEnabled { url: redacted });
        }
        if tls && url.ends_with("#insecure") {
            return Err(invalid(
                "certificate verification cannot be turned off (#insecure): trust the server's CA instead (SSL_CERT_FILE or SSL_CERT_DIR, or extra_root_certificate)",
            ));
        }
        let (settings_url, target) = match scheme {
            Some("redis" | "redis+unix" | "unix") => (url.to_owned(), Target::Direct),
            // redis-rs reads the settings and the address; the TLS is this crate's.
            Some("rediss") => (url.replacen("rediss", "redis", 1), Target::Direct),
            Some("redis+sentinel" | "rediss+sentinel") => {
                sentinel(url).map_err(|reason| invalid(&reason))?
            }
            Some("redis+cluster" | "rediss+cluster") => {
                cluster(url).map_err(|reason| invalid(&reason))?
            }
            _ => return Err(invalid(
                "it must start with redis://, rediss://, redis+sentinel://, rediss+sentinel://, redis+cluster:// or rediss+cluster://",
            )),
        };
        let client = redis::Client::open(settings_url.as_str()).map_err(|e| {
            RedisConfigError::InvalidUrl {
                url: redacted.clone(),
                reason: match raw_password(url) {
                    Some(password) => e.to_string().replace(password, "***"),
                    None => e.to_string(),
                },
            }
        })?;
        let password = client
            .get_connection_info()
            .redis_settings()
            .password()
            .map(str::to_owned);
        Ok(Self {
            client,
            target,
            tls,
            extra_roots: Vec::new(),
            redacted,
            password,
        })
    }

    /// Trusts `certificate` (PEM or DER) besides the platform's roots, for a `rediss` form.
    pub(crate) fn trust(&mut self, certificate: Vec<u8>) {
        self.extra_roots.push(certificate);
    }

    /// The TLS settings of a `rediss` form; `None` for plain Redis.
    pub(crate) fn tls(&self) -> Option<crate::tls::Tls> {
        #[cfg(feature = "tls-rustls")]
        {
            self.tls.then(|| crate::tls::Tls::new(&self.extra_roots))
        }
        #[cfg(not(feature = "tls-rustls"))]
        {
            debug_assert!(!self.tls, "refused by `parse` without the feature");
            None
        }
    }

    pub(crate) fn target(&self) -> &Target {
        &self.target
    }

    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// Removes the password from a message (a Redis error may quote the URL).
    pub(crate) fn scrub(&self, message: &str) -> String {
        match &self.password {
            Some(password) if !password.is_empty() => message.replace(password.as_str(), "***"),
            _ => message.to_owned(),
        }
    }

    /// The typed error of a configuration problem a connection revealed, with the URL and
    /// the detail scrubbed of the password.
    pub(crate) fn config_error(
        &self,
        problem: crate::connection::ConfigProblem,
        error: &redis::RedisError,
    ) -> RedisConfigError {
        use crate::connection::ConfigProblem;
        let url = self.to_string();
        let detail = self.scrub(&error.to_string());
        match problem {
            ConfigProblem::Authentication => RedisConfigError::Authentication { url, detail },
            ConfigProblem::Permission => RedisConfigError::Permission { url, detail },
            ConfigProblem::NotRedis => RedisConfigError::NotRedis { url, detail },
            ConfigProblem::Tls => RedisConfigError::Tls { url, detail },
            ConfigProblem::UnknownMaster => RedisConfigError::UnknownMaster {
                url,
                master: match self.target() {
                    Target::Sentinel { master, .. } => master.clone(),
                    Target::Direct | Target::Cluster { .. } => String::new(),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_everywhere() {
        assert_eq!(
            redact("redis://:s3cret@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(redact("redis://me:s3cret@h"), "redis://me:***@h");
        assert_eq!(redact("redis://127.0.0.1"), "redis://127.0.0.1");
        let url = RedisUrl::parse("redis://:s3cret@127.0.0.1:1/").unwrap();
        assert!(!format!("{url} {url:?}").contains("s3cret"));
        assert_eq!(url.scrub("auth s3cret failed"), "auth *** failed");
    }

    #[test]
    fn odd_passwords_and_unix_urls_are_redacted_too() {
        assert_eq!(redact("redis://:hun/ter2@h:1/0"), "redis://:***@h:1/0");
        assert_eq!(
            redact("redis+unix:///tmp/r.sock?db=1&pass=hunter2"),
            "redis+unix:///tmp/r.sock?db=1&pass=***"
        );
        let err = RedisUrl::parse("redis://:hun/ter2@h:nope").err();
        assert!(err.is_none_or(|e| !e.to_string().contains("ter2")));
        if let Ok(url) = RedisUrl::parse("redis+unix:///tmp/r.sock?pass=hunter2") {
            assert!(!format!("{url} {url:?}").contains("hunter2"));
            assert_eq!(url.scrub("x hunter2 y"), "x *** y");
        }
    }

    #[test]
    fn sentinel_urls_name_the_sentinels_the_master_and_the_primarys_settings() {
        let url = RedisUrl::parse("redis+sentinel://:s3cret@10.0.0.1:26380,h2/mymaster/3").unwrap();
        assert_eq!(
            url.target(),
            &Target::Sentinel {
                sentinels: vec![("10.0.0.1".into(), 26380), ("h2".into(), 26379)],
                master: "mymaster".into(),
            }
        );
        let settings = url.client().get_connection_info().redis_settings();
        assert_eq!(settings.password(), Some("s3cret"));
        assert_eq!(settings.db(), 3);
        let cluster = RedisUrl::parse("redis+cluster://:s3cret@h1:7000,h2").unwrap();
        assert_eq!(
            cluster.target(),
            &Target::Cluster {
                seeds: vec![("h1".into(), 7000), ("h2".into(), 6379)]
            }
        );
        assert!(!format!("{cluster} {cluster:?}").contains("s3cret"));
        assert!(!format!("{url} {url:?}").contains("s3cret"));
        for bad in [
            "redis+sentinel://:s3cret@h1:1,h2:2",
            "redis+sentinel://:s3cret@h1:1,h2:2/",
            "redis+sentinel://:s3cret@h1:x/m",
            "redis+cluster://:s3cret@h1:1,h2:x",
            "redis+cluster://:s3cret@/",
            "rediss+sentinel://:s3cret@h1:1",
            "rediss+cluster://:s3cret@h1:x",
        ] {
            let err = RedisUrl::parse(bad).err().unwrap();
            let expected = if bad.starts_with("rediss") && !cfg!(feature = "tls-rustls") {
                matches!(err, RedisConfigError::TlsNotEnabled { .. })
            } else {
                matches!(err, RedisConfigError::InvalidUrl { .. })
            };
            assert!(expected, "{bad}: {err:?}");
            assert!(!err.to_string().contains("s3cret"), "{err}");
        }
    }

    #[test]
    fn the_tls_forms_are_the_plain_forms_over_tls() {
        for (url, plain) in [
            ("rediss://:s3cret@h:7000/2", "redis://:s3cret@h:7000/2"),
            (
                "rediss+sentinel://:s3cret@h1:1,h2:2/m/1",
                "redis+sentinel://:s3cret@h1:1,h2:2/m/1",
            ),
            (
                "rediss+cluster://:s3cret@h1:1,h2",
                "redis+cluster://:s3cret@h1:1,h2",
            ),
        ] {
            let Ok(tls) = RedisUrl::parse(url) else {
                assert!(matches!(
                    RedisUrl::parse(url).err().unwrap(),
                    RedisConfigError::TlsNotEnabled { .. }
                ));
                continue;
            };
            let plain = RedisUrl::parse(plain).unwrap();
            assert!(tls.tls && !plain.tls);
            assert_eq!(tls.target(), plain.target());
            let (tls_info, plain_info) = (
                tls.client().get_connection_info(),
                plain.client().get_connection_info(),
            );
            assert_eq!(tls_info.addr(), plain_info.addr());
            assert_eq!(
                tls_info.redis_settings().password(),
                plain_info.redis_settings().password()
            );
            assert_eq!(
                tls_info.redis_settings().db(),
                plain_info.redis_settings().db()
            );
            assert!(!format!("{tls} {tls:?}").contains("s3cret"));
        }
        let err = RedisUrl::parse("rediss://:s3cret@h/#insecure")
            .err()
            .unwrap();
        assert!(!err.to_string().contains("s3cret"), "{err}");
    }

    #[test]
    fn bad_urls_are_refused_with_the_reason_and_without_the_password() {
        let err = RedisUrl::parse("http://:s3cret@h").err().unwrap();
        assert!(matches!(err, RedisConfigError::InvalidUrl { .. }));
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let err = RedisUrl::parse("redis://:s3cret@h:notaport").err().unwrap();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        assert!(RedisUrl::parse("not a url").is_err());
        if !cfg!(feature = "tls-rustls") {
            assert!(matches!(
                RedisUrl::parse("rediss://h").err().unwrap(),
                RedisConfigError::TlsNotEnabled { .. }
            ));
        }
    }
}
