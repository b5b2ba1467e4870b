//! Where requests go and which ZEGO environment they address.

use std::fmt;
use std::str::FromStr;

use crate::error::ConfigError;

/// A regional ZEGO API host. ZEGO recommends the caller's own region.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    /// Shanghai, mainland China (`sha`).
    Shanghai,
    /// Hong Kong, Macao and Taiwan (`hkg`).
    HongKong,
    /// Frankfurt, Europe (`fra`).
    Frankfurt,
    /// California, North America (`lax`).
    California,
    /// Mumbai, India (`bom`).
    Mumbai,
    /// Singapore, South-East Asia (`sgp`).
    Singapore,
}

impl Region {
    /// All regions, in the spec's order.
    pub const ALL: [Region; 6] = [
        Self::Shanghai,
        Self::HongKong,
        Self::Frankfurt,
        Self::California,
        Self::Mumbai,
        Self::Singapore,
    ];

    /// The three-letter code used in the host name.
    pub fn code(self) -> &'static str {
        match self {
            Self::Shanghai => "sha",
            Self::HongKong => "hkg",
            Self::Frankfurt => "fra",
            Self::California => "lax",
            Self::Mumbai => "bom",
            Self::Singapore => "sgp",
        }
    }

    /// The region's base URL.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Shanghai => "https://rtc-api-sha.zego.im",
            Self::HongKong => "https://rtc-api-hkg.zego.im",
            Self::Frankfurt => "https://rtc-api-fra.zego.im",
            Self::California => "https://rtc-api-lax.zego.im",
            Self::Mumbai => "https://rtc-api-bom.zego.im",
            Self::Singapore => "https://rtc-api-sgp.zego.im",
        }
    }
}

impl FromStr for Region {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|r| r.code().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| ConfigError::InvalidEndpoint {
                url: s.to_owned(),
                reason: "unknown region: use one of sha, hkg, fra, lax, bom, sgp",
            })
    }
}

/// The ZEGO API host requests are sent to.
///
/// ```
/// use zego_proto::{Endpoint, Region};
/// assert_eq!(Endpoint::Unified.base_url(), "https://rtc-api.zego.im");
/// assert_eq!(Endpoint::Region(Region::Frankfurt).base_url(), "https://rtc-api-fra.zego.im");
/// let sim = Endpoint::custom("http://127.0.0.1:8080/")?;
/// assert_eq!(sim.base_url(), "http://127.0.0.1:8080");
/// # Ok::<(), zego_proto::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Endpoint {
    /// `https://rtc-api.zego.im`, routed by ZEGO.
    #[default]
    Unified,
    /// A regional host.
    Region(Region),
    /// Any base URL, e.g. a simulator at `http://127.0.0.1:PORT`.
    Custom(CustomUrl),
}

/// A validated custom base URL: `http://` or `https://`, no query, no fragment,
/// no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CustomUrl(String);

impl CustomUrl {
    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Endpoint {
    /// A custom base URL: any `https://` one, or a simulator's `http://127.0.0.1:PORT`.
    ///
    /// Plain `http://` is refused unless the host is a loopback address (`127.0.0.0/8`,
    /// `::1`, `localhost`): a v2 signature covers neither the action nor the parameters
    /// and stays valid for 10 minutes, so a request seen in clear can be replayed with
    /// other parameters. [`Endpoint::custom_insecure`] is the explicit opt-in for a
    /// simulator on another host.
    ///
    /// ```
    /// use zego_proto::Endpoint;
    /// assert!(Endpoint::custom("https://rtc-api.example.test").is_ok());
    /// assert!(Endpoint::custom("http://[::1]:8080").is_ok());
    /// let err = Endpoint::custom("http://rtc-api.zego.im").unwrap_err();
    /// assert!(err.to_string().contains("plain http://"));
    /// ```
    pub fn custom(url: &str) -> Result<Self, ConfigError> {
        Self::parse_custom(url, false)
    }

    /// Like [`Endpoint::custom`], but accepts plain `http://` to any host: only for a
    /// simulator or a test server on a network you trust.
    ///
    /// ```
    /// use zego_proto::Endpoint;
    /// let staging = Endpoint::custom_insecure("http://sim.staging.internal:8080")?;
    /// assert_eq!(staging.base_url(), "http://sim.staging.internal:8080");
    /// # Ok::<(), zego_proto::ConfigError>(())
    /// ```
    pub fn custom_insecure(url: &str) -> Result<Self, ConfigError> {
        Self::parse_custom(url, true)
    }

    fn parse_custom(url: &str, allow_plain_http: bool) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidEndpoint {
            url: url.to_owned(),
            reason,
        };
        let given = url.trim();
        let (scheme, rest) = if let Some(rest) = given.strip_prefix("https://") {
            ("https://", rest)
        } else if let Some(rest) = given.strip_prefix("http://") {
            ("http://", rest)
        } else {
            return Err(invalid("the base URL must start with http:// or https://"));
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() {
            return Err(invalid("the base URL has no host"));
        }
        if rest.contains(['?', '#']) {
            return Err(invalid("the base URL must not carry a query or a fragment"));
        }
        if rest
            .bytes()
            .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
        {
            return Err(invalid(
                "the base URL must not contain spaces or control characters",
            ));
        }
        let authority = rest.split('/').next().unwrap_or_default();
        if authority.contains('@') {
            return Err(invalid(
                "the base URL must not carry a user name or password (ZEGO authenticates by signature)",
            ));
        }
        let host = host_of(authority).map_err(invalid)?;
        if scheme == "http://" && !allow_plain_http && !is_loopback(host) {
            return Err(invalid(
                "plain http:// is refused for a host that is not loopback: a signature does not cover the action or the parameters and stays valid for 10 minutes, so a request seen in clear can be replayed and altered; use https://, or opt in explicitly for a simulator on a trusted network",
            ));
        }
        Ok(Self::Custom(CustomUrl(format!("{scheme}{rest}"))))
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        match self {
            Self::Unified => "https://rtc-api.zego.im",
            Self::Region(region) => region.base_url(),
            Self::Custom(url) => url.as_str(),
        }
    }
}

/// The host of `host[:port]` or `[v6][:port]`, with the port checked (1..=65535).
fn host_of(authority: &str) -> Result<&str, &'static str> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6
            .split_once(']')
            .ok_or("the IPv6 address in the base URL has no closing ]")?;
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or("unexpected text after the IPv6 address")?,
            ),
        };
        (host, port)
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("the base URL has no host");
    }
    if let Some(port) = port {
        let valid = !port.is_empty()
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u16>().is_ok_and(|p| p != 0);
        if !valid {
            return Err("the port must be a number from 1 to 65535");
        }
    }
    Ok(host)
}

/// `127.0.0.0/8`, `::1` or `localhost`: a server on this machine.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.base_url())
    }
}

/// Which ZEGO environment a request addresses.
///
/// Only projects created on or before 2021-11-16 still have a test environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Environment {
    /// The normal, production environment (`IsTest` is not sent).
    #[default]
    Production,
    /// The legacy test environment: `IsTest=true` is sent and every stream ID gets the
    /// `zegotest-<AppId>-` prefix (added by the SDK unless already present).
    Test,
}

impl Environment {
    /// Whether this is the test environment.
    pub fn is_test(self) -> bool {
        self == Self::Test
    }
}

/// Request-building configuration: endpoint and environment.
///
/// ```
/// use zego_proto::{Config, Endpoint, Environment};
/// let config = Config::new(Endpoint::custom("http://127.0.0.1:9000")?).with_environment(Environment::Test);
/// assert!(config.environment().is_test());
/// # Ok::<(), zego_proto::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Config {
    endpoint: Endpoint,
    environment: Environment,
}

impl Config {
    /// A production configuration for `endpoint`.
    pub fn new(endpoint: Endpoint) -> Self {
        Self {
            endpoint,
            environment: Environment::Production,
        }
    }

    /// The same configuration for another environment.
    #[must_use]
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The environment.
    pub fn environment(&self) -> Environment {
        self.environment
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_is_only_for_loopback_unless_opted_in() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:9/base",
            "http://LOCALHOST",
            "http://[::1]:80",
            "https://rtc-api.zego.im",
        ] {
            assert!(Endpoint::custom(ok).is_ok(), "{ok}");
        }
        for refused in [
            "http://rtc-api.zego.im",
            "http://10.0.0.1:8080",
            "http://localhost.evil.test",
            "http://127.0.0.1.nip.io",
            "http://[::2]",
        ] {
            let err = Endpoint::custom(refused).unwrap_err().to_string();
            assert!(err.contains("plain http://"), "{refused}: {err}");
            assert!(Endpoint::custom_insecure(refused).is_ok(), "{refused}");
        }
        let err = Endpoint::custom("http://").unwrap_err().to_string();
        assert!(err.contains("no host"), "{err}");
    }

    #[test]
    fn custom_endpoints_are_validated() {
        assert!(Endpoint::custom("127.0.0.1:80").is_err());
        assert!(Endpoint::custom("http://").is_err());
        assert!(Endpoint::custom("http://h/?a=b").is_err());
        assert!(Endpoint::custom("http://h/#x").is_err());
        assert!(Endpoint::custom("http://h x").is_err());
        assert!(Endpoint::custom("http://127.0.0.1:0").is_err());
        assert!(Endpoint::custom("http://127.0.0.1:65536").is_err());
        assert!(Endpoint::custom("http://127.0.0.1:x").is_err());
        assert!(Endpoint::custom("https://u:p@h").is_err());
        assert!(Endpoint::custom("http://[::1").is_err());
        assert_eq!(
            Endpoint::custom("https://example.test/base//")
                .unwrap()
                .base_url(),
            "https://example.test/base"
        );
    }

    #[test]
    fn regions_parse_from_their_codes() {
        for r in Region::ALL {
            assert_eq!(r.code().parse::<Region>().unwrap(), r);
            assert_eq!(
                r.base_url(),
                format!("https://rtc-api-{}.zego.im", r.code())
            );
        }
        assert!("xyz".parse::<Region>().is_err());
    }
}
