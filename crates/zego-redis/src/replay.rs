//! [`RedisReplayCache`]: single-use callbacks across a fleet of receivers.
//!
//! Every instance behind one callback URL asks the same Redis "first time?" with one
//! `SET <key> 1 NX PX <ms>`: of two instances that get the same delivery (ZEGO's retry, or a
//! replay of a captured one), exactly one gets `OK`.

use std::fmt;
use std::time::Duration;

use zego_callback::{Delivery, ReplayCache, ReplayCacheError};
use zego_proto::AppId;

use crate::connection::{Failure, RedisIo};
use crate::url::{RedisConfigError, RedisUrl};

/// A [`ReplayCache`] in Redis, shared by every instance of a fleet of callback receivers:
/// a delivery verified by one instance is a duplicate on every other.
///
/// Each delivery is one key, `<prefix>:cb:{<AppId>}:<key>` (the AppId as its Cluster hash
/// tag; `<key>` is [`Delivery::key_hex`]), set with `SET key 1 NX PX <ms>` to expire when
/// the delivery's timestamp leaves the verifier's window ([`Delivery::keep_until`], at
/// least one second ahead). It takes the coordinator's URL forms (`redis://`,
/// `redis+sentinel://`, `redis+cluster://`, and their `rediss` forms with the `tls-rustls`
/// feature) and the same
/// bounded I/O: a connect timeout, then one deadline for the whole reply, and a size cap on
/// what Redis may send. A Redis that cannot answer within them is a [`ReplayCacheError`]:
/// the verifier refuses the callback with 503, and ZEGO retries it later.
///
/// The calls block the caller's thread for at most the connect timeout plus the response
/// timeout (defaults 200 ms and 100 ms); the I/O itself runs on the cache's own one-thread
/// runtime, so an async receiver (axum) keeps working while Redis is slow.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use zego_callback::{CallbackSecret, CallbackVerifier};
/// use zego_proto::AppId;
/// use zego_redis::RedisReplayCache;
///
/// let cache = RedisReplayCache::builder("redis://:hunter2@127.0.0.1:6379/0", AppId::new(1234))?
///     .response_timeout(Duration::from_millis(100))
///     .build();
/// assert!(!format!("{cache:?}").contains("hunter2"));
/// let verifier = CallbackVerifier::new(CallbackSecret::new("callback-secret")?)
///     .replay_cache(Arc::new(cache));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct RedisReplayCache {
    url: RedisUrl,
    key_prefix: String,
    io: RedisIo,
}

/// Configures a [`RedisReplayCache`]. Start with [`RedisReplayCache::builder`].
#[derive(Debug)]
pub struct RedisReplayCacheBuilder {
    url: RedisUrl,
    app_id: AppId,
    key_prefix: String,
    connect_timeout: Duration,
    response_timeout: Duration,
}

impl RedisReplayCache {
    /// A builder for the cache of `app_id`'s callbacks on this Redis (the URL forms of
    /// [`RedisCoordinator::builder`](crate::RedisCoordinator::builder)). A URL that cannot
    /// be used is an error naming the problem, never the password.
    pub fn builder(url: &str, app_id: AppId) -> Result<RedisReplayCacheBuilder, RedisConfigError> {
        Ok(RedisReplayCacheBuilder {
            url: RedisUrl::parse(url)?,
            app_id,
            key_prefix: "zego".to_owned(),
            connect_timeout: Duration::from_millis(200),
            response_timeout: Duration::from_millis(100),
        })
    }

    /// The URL, with its password redacted.
    pub fn redacted_url(&self) -> String {
        self.url.to_string()
    }

    /// Connects now and checks the configuration (`PING`): a wrong password or user, a
    /// missing ACL permission, or an address where something other than Redis answers is
    /// an error; an unreachable Redis is not (every callback is then answered 503 until it
    /// answers). Blocking, within the connect and response timeouts.
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::AppId;
    /// use zego_redis::RedisReplayCache;
    /// // Nothing listens on port 1: an outage, not a configuration error.
    /// let cache = RedisReplayCache::builder("redis://127.0.0.1:1/", AppId::new(1))?
    ///     .connect_timeout(Duration::from_millis(100))
    ///     .build();
    /// assert!(cache.check().is_ok());
    /// # Ok::<(), zego_redis::RedisConfigError>(())
    /// ```
    pub fn check(&self) -> Result<(), RedisConfigError> {
        match self
            .io
            .command_sync(self.key_prefix.clone(), redis::cmd("PING"))
        {
            Err(Failure::Config(problem, error)) => Err(self.url.config_error(problem, &error)),
            Ok(_) | Err(Failure::Outage(_)) => Ok(()),
        }
    }

    fn key(&self, delivery: &Delivery<'_>) -> String {
        format!("{}{}", self.key_prefix, delivery.key_hex())
    }

    /// A failure as the verifier's error, with the password scrubbed (it is logged).
    fn unavailable(&self, failure: Failure) -> ReplayCacheError {
        let detail = match failure {
            Failure::Config(problem, error) => self.url.config_error(problem, &error).to_string(),
            Failure::Outage(error) => format!(
                "Redis at {} did not answer: {}",
                self.url,
                self.url.scrub(&error.to_string())
            ),
        };
        ReplayCacheError::new(detail)
    }
}

impl RedisReplayCacheBuilder {
    /// The prefix of every key (default `zego`, the coordinator's; `{` and `}` are dropped,
    /// so the AppId stays the hash tag).
    #[must_use]
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into().replace(['{', '}'], "");
        self
    }

    /// How long a connection attempt may take (default 200 ms).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one `SET` may take before Redis counts as down and the callback is
    /// answered 503 (default 100 ms).
    #[must_use]
    pub fn response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// Trusts this root certificate (PEM or DER) for a `rediss` URL, besides the platform's
    /// roots: as [`RedisCoordinatorBuilder::extra_root_certificate`](crate::RedisCoordinatorBuilder::extra_root_certificate).
    #[must_use]
    pub fn extra_root_certificate(mut self, certificate: impl Into<Vec<u8>>) -> Self {
        self.url.trust(certificate.into());
        self
    }

    /// Builds the cache. Nothing is connected yet: the first delivery connects
    /// ([`RedisReplayCacheBuilder::connect`] checks the configuration now).
    pub fn build(self) -> RedisReplayCache {
        RedisReplayCache {
            io: RedisIo::new(&self.url, self.connect_timeout, self.response_timeout),
            key_prefix: format!("{}:cb:{{{}}}:", self.key_prefix, self.app_id),
            url: self.url,
        }
    }

    /// Builds the cache and checks its configuration at once ([`RedisReplayCache::check`]).
    ///
    /// ```
    /// use std::time::Duration;
    /// use zego_proto::AppId;
    /// use zego_redis::RedisReplayCache;
    /// let cache = RedisReplayCache::builder("redis://127.0.0.1:1/", AppId::new(1))?
    ///     .connect_timeout(Duration::from_millis(100))
    ///     .connect()?;
    /// # Ok::<(), zego_redis::RedisConfigError>(())
    /// ```
    pub fn connect(self) -> Result<RedisReplayCache, RedisConfigError> {
        let cache = self.build();
        cache.check()?;
        Ok(cache)
    }
}

/// How long Redis keeps a delivery: until [`Delivery::keep_until`] by the receiver's clock,
/// and at least a second (a delivery at the window's edge is still remembered while its
/// retry can arrive).
fn keep_for_ms(delivery: &Delivery<'_>, now_unix_secs: i64) -> i64 {
    delivery
        .keep_until()
        .saturating_sub(now_unix_secs)
        .max(1)
        .saturating_mul(1000)
}

impl ReplayCache for RedisReplayCache {
    fn first_delivery(
        &self,
        delivery: &Delivery<'_>,
        now_unix_secs: i64,
    ) -> Result<bool, ReplayCacheError> {
        let mut set = redis::cmd("SET");
        set.arg(self.key(delivery))
            .arg(1)
            .arg("NX")
            .arg("PX")
            .arg(keep_for_ms(delivery, now_unix_secs));
        match self.io.command_sync(self.key_prefix.clone(), set) {
            Ok(redis::Value::Okay) => Ok(true),
            Ok(redis::Value::Nil) => Ok(false),
            Ok(other) => Err(ReplayCacheError::new(format!(
                "Redis at {} answered SET NX with {other:?}",
                self.url
            ))),
            Err(failure) => Err(self.unavailable(failure)),
        }
    }

    fn forget(&self, delivery: &Delivery<'_>) -> Result<(), ReplayCacheError> {
        let mut del = redis::cmd("DEL");
        del.arg(self.key(delivery));
        self.io
            .command_sync(self.key_prefix.clone(), del)
            .map(drop)
            .map_err(|failure| self.unavailable(failure))
    }
}

impl fmt::Debug for RedisReplayCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisReplayCache")
            .field("url", &self.url)
            .field("key_prefix", &self.key_prefix)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deliveries_are_kept_until_the_window_ends_and_at_least_a_second() {
        let delivery = Delivery::new("n", 1_000);
        assert_eq!(keep_for_ms(&delivery, 1_000), 600_000);
        assert_eq!(keep_for_ms(&delivery, 400), 1_200_000, "from the future");
        assert_eq!(keep_for_ms(&delivery, 1_600), 1_000);
        assert_eq!(keep_for_ms(&delivery, 9_999), 1_000);
    }

    #[test]
    fn keys_carry_the_prefix_and_the_app_hash_tag() {
        let cache = RedisReplayCache::builder("redis://127.0.0.1:1/", AppId::new(42))
            .unwrap()
            .key_prefix("fleet{x}")
            .build();
        let key = cache.key(&Delivery::new("n", 1));
        assert!(key.starts_with("fleetx:cb:{42}:"), "{key}");
        assert_eq!(key.len(), "fleetx:cb:{42}:".len() + 40);
        assert_eq!(
            crate::connection::slot_of(&key),
            crate::connection::slot_of("zego:prod:{42}:rl:g"),
            "the app's slot, as the coordinator's keys"
        );
    }
}
