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
    /// A custom base URL such as a simulator's `http://127.0.0.1:PORT`.
    pub fn custom(url: &str) -> Result<Self, ConfigError> {
        let invalid = |reason| ConfigError::InvalidEndpoint {
            url: url.to_owned(),
            reason,
        };
        let trimmed = url.trim().trim_end_matches('/');
        let rest = trimmed
            .strip_prefix("https://")
            .or_else(|| trimmed.strip_prefix("http://"))
            .ok_or_else(|| invalid("the base URL must start with http:// or https://"))?;
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
        Ok(Self::Custom(CustomUrl(trimmed.to_owned())))
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
    fn custom_endpoints_are_validated() {
        assert!(Endpoint::custom("127.0.0.1:80").is_err());
        assert!(Endpoint::custom("http://").is_err());
        assert!(Endpoint::custom("http://h/?a=b").is_err());
        assert!(Endpoint::custom("http://h/#x").is_err());
        assert!(Endpoint::custom("http://h x").is_err());
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
