//! [`RedisScriptRunner`]: the coordinator's bounded connection, lent to another crate's Lua
//! scripts (the Redis ban store of `zego-moderation`).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::connection::{Failure, RedisIo, ReplyBudget};
use crate::url::{RedisConfigError, RedisUrl};

/// What one script's reply may weigh: 1 MiB per call, and 4 MiB ahead of the calls in
/// flight. A caller pages what may be larger.
pub const SCRIPT_REPLY_BUDGET: usize = 1024 * 1024;

const BUDGET: ReplyBudget = ReplyBudget {
    per_request: SCRIPT_REPLY_BUDGET,
    max_unread: 4 * SCRIPT_REPLY_BUDGET,
};

/// Runs Lua scripts on a Redis with the coordinator's URL forms (`redis://`, `rediss://`
/// with `tls-rustls`, `redis+sentinel://`, `redis+cluster://`) and its bounds: a connect
/// timeout, one deadline for the whole reply, and a size cap ([`SCRIPT_REPLY_BUDGET`]).
///
/// Each call is one `EVALSHA` (the script is loaded again after a NOSCRIPT) sent to the node
/// that serves `KEYS[1]`: in a Cluster, every key a script touches must share `KEYS[1]`'s
/// hash tag. Calls block the caller's thread; the I/O runs on the runner's own one-thread
/// runtime. The URL's password never appears in `Debug`, errors or [`RedisScriptRunner::redacted_url`].
///
/// ```
/// use std::time::Duration;
/// use zego_redis::{RedisScript, RedisScriptRunner};
///
/// let runner = RedisScriptRunner::new(
///     "redis://:hunter2@127.0.0.1:1/",
///     Duration::from_millis(50),
///     Duration::from_millis(50),
/// )?;
/// assert!(!format!("{runner:?}").contains("hunter2"));
/// let script = RedisScript::new("return redis.call('INCR', KEYS[1])");
/// // Nothing listens on port 1: an outage, reported without the password.
/// let error = runner.run(&script, &["{app}:n".into()], &[]).unwrap_err();
/// assert!(!error.is_config() && !error.to_string().contains("hunter2"));
/// # Ok::<(), zego_redis::RedisConfigError>(())
/// ```
pub struct RedisScriptRunner {
    url: RedisUrl,
    io: RedisIo,
}

/// A Lua script, hashed once (its SHA1 is what `EVALSHA` sends).
#[derive(Clone, Debug)]
pub struct RedisScript(Arc<redis::Script>);

impl RedisScript {
    /// The script of `code`.
    pub fn new(code: &str) -> Self {
        Self(Arc::new(redis::Script::new(code)))
    }
}

/// Why a script call failed. Its text never contains the URL's password.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisScriptError {
    /// The configuration is wrong: credentials, ACL permissions, not a Redis.
    Config(RedisConfigError),
    /// Redis did not answer within the bounds (down, slow, out of budget), or the script
    /// failed; the text says which.
    Unavailable(String),
}

impl RedisScriptError {
    /// Whether the configuration is at fault (not an outage).
    pub fn is_config(&self) -> bool {
        matches!(self, Self::Config(_))
    }
}

impl fmt::Display for RedisScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Config(error) => error.fmt(f),
            Self::Unavailable(detail) => f.write_str(detail),
        }
    }
}

impl std::error::Error for RedisScriptError {}

impl RedisScriptRunner {
    /// A runner for `url` (nothing is connected yet: the first call connects). A URL that
    /// cannot be used is an error naming the problem, never the password.
    pub fn new(
        url: &str,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Result<Self, RedisConfigError> {
        let url = RedisUrl::parse(url)?;
        let io = RedisIo::with_budget(&url, connect_timeout, response_timeout, BUDGET);
        Ok(Self { url, io })
    }

    /// The same runner with other timeouts (nothing is connected before the first call, so
    /// this costs nothing).
    #[must_use]
    pub fn with_timeouts(self, connect_timeout: Duration, response_timeout: Duration) -> Self {
        let io = RedisIo::with_budget(&self.url, connect_timeout, response_timeout, BUDGET);
        Self { url: self.url, io }
    }

    /// The URL, with its password redacted.
    pub fn redacted_url(&self) -> String {
        self.url.to_string()
    }

    /// Runs `script` with `keys` and `args` on the node of `keys[0]` (blocking, within the
    /// connect and response timeouts).
    pub fn run(
        &self,
        script: &RedisScript,
        keys: &[String],
        args: &[Vec<u8>],
    ) -> Result<redis::Value, RedisScriptError> {
        self.io
            .script_sync(Arc::clone(&script.0), keys.to_vec(), args.to_vec())
            .map_err(|failure| self.error(failure))
    }

    /// Connects now and checks the configuration with a `PING` on the node of `key`: a
    /// wrong password or user, a missing permission, or something other than Redis is an
    /// error; an unreachable Redis is not.
    pub fn check(&self, key: &str) -> Result<(), RedisConfigError> {
        match self.io.command_sync(key.to_owned(), redis::cmd("PING")) {
            Err(Failure::Config(problem, error)) => Err(self.url.config_error(problem, &error)),
            Ok(_) | Err(Failure::Outage(_)) => Ok(()),
        }
    }

    fn error(&self, failure: Failure) -> RedisScriptError {
        match failure {
            Failure::Config(problem, error) => {
                RedisScriptError::Config(self.url.config_error(problem, &error))
            }
            Failure::Outage(error) => RedisScriptError::Unavailable(format!(
                "Redis at {} did not answer: {}",
                self.url,
                self.url.scrub(&error.to_string())
            )),
        }
    }
}

impl fmt::Debug for RedisScriptRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisScriptRunner")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}
