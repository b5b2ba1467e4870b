//! The two ZEGO environments.

use serde::Serialize;

/// The environment a request addresses: `IsTest=true` selects [`Env::Test`]; `IsTest=false` or no
/// `IsTest` selects [`Env::Production`]. The two keep fully separate state and rate limits.
///
/// ```
/// use zego_sim::Env;
/// assert_eq!(Env::Test.as_str(), "test");
/// assert_ne!(Env::Test, Env::Production);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Env {
    /// The production environment (the default).
    Production,
    /// The legacy test environment (`IsTest=true`); stream IDs must carry `zegotest-<AppId>-`.
    Test,
}

impl Env {
    /// `"production"` or `"test"`.
    ///
    /// ```
    /// assert_eq!(zego_sim::Env::Production.as_str(), "production");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Env::Production => "production",
            Env::Test => "test",
        }
    }
}

impl std::fmt::Display for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
