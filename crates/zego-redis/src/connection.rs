//! The Redis I/O: the connections (a synchronous one for the blocking client, a
//! multiplexed one for the async client) and the scripts' round trips on them. No decision
//! is taken here: errors go back to the coordinator, which records them in the failover
//! state.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::script::{Invocation, Reply, Scripts};

/// The connections to one Redis.
pub(crate) struct RedisIo {
    client: redis::Client,
    scripts: Scripts,
    connect_timeout: Duration,
    response_timeout: Duration,
    sync_connection: Mutex<Option<redis::Connection>>,
    /// The async connection; dropped after an error, so the next call builds a new one
    /// (a manager whose reconnection gave up while Redis was down stays broken).
    async_connection: Mutex<Option<ConnectionManager>>,
}

impl RedisIo {
    pub(crate) fn new(
        client: redis::Client,
        connect_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        Self {
            client,
            scripts: Scripts::new(),
            connect_timeout,
            response_timeout,
            sync_connection: Mutex::new(None),
            async_connection: Mutex::new(None),
        }
    }

    /// Runs `f` on the synchronous connection, connecting first if needed; an error drops
    /// the connection so the next call reconnects (a sync connection does not by itself).
    /// `bypassed` is asked once the connection is ours: threads that queued behind a call
    /// that timed out must not each wait out their own timeout.
    fn with_sync<T>(
        &self,
        bypassed: impl FnOnce() -> bool,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> redis::RedisResult<T> {
        let mut slot = self
            .sync_connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if bypassed() {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Io,
                "Redis is being bypassed (circuit open)",
            )));
        }
        if slot.is_none() {
            let connection = self
                .client
                .get_connection_with_timeout(self.connect_timeout)?;
            connection.set_read_timeout(Some(self.response_timeout))?;
            connection.set_write_timeout(Some(self.response_timeout))?;
            *slot = Some(connection);
        }
        let Some(connection) = slot.as_mut() else {
            unreachable!("the connection was just set")
        };
        let result = f(connection);
        if result.is_err() {
            *slot = None;
        }
        result
    }

    /// The admission script, blocking: first each `(group key, wait µs)` of `push_backs`
    /// (the reconciliation after an outage), then `call`.
    pub(crate) fn admit_sync(
        &self,
        bypassed: impl Fn() -> bool,
        push_backs: &[(String, u64)],
        call: &Invocation,
    ) -> redis::RedisResult<Reply> {
        for (group_key, wait_us) in push_backs {
            self.push_back_sync(&bypassed, group_key, *wait_us)?;
        }
        self.with_sync(bypassed, |connection| {
            self.scripts.admit_call(call).invoke(connection)
        })
    }

    /// Pushes the group's next slot to at least now + `wait_us`, blocking.
    pub(crate) fn push_back_sync(
        &self,
        bypassed: impl FnOnce() -> bool,
        group_key: &str,
        wait_us: u64,
    ) -> redis::RedisResult<()> {
        self.with_sync(bypassed, |connection| {
            self.scripts
                .push_back
                .key(group_key)
                .arg(wait_us)
                .invoke::<i64>(connection)
                .map(drop)
        })
    }

    async fn async_connection(&self) -> redis::RedisResult<ConnectionManager> {
        let existing = self
            .async_connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(connection) = existing {
            return Ok(connection);
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.connect_timeout))
            .set_response_timeout(Some(self.response_timeout))
            .set_number_of_retries(1);
        let connection = ConnectionManager::new_with_config(self.client.clone(), config).await?;
        *self
            .async_connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }

    /// Forgets the async connection after an error.
    fn drop_async_connection<T>(&self, result: &redis::RedisResult<T>) {
        if result.is_err() {
            *self
                .async_connection
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = None;
        }
    }

    /// The admission script, async: as [`RedisIo::admit_sync`].
    pub(crate) async fn admit_async(
        &self,
        push_backs: &[(String, u64)],
        call: &Invocation,
    ) -> redis::RedisResult<Reply> {
        let result = async {
            let mut connection = self.async_connection().await?;
            for (group_key, wait_us) in push_backs {
                self.scripts
                    .push_back
                    .key(group_key)
                    .arg(*wait_us)
                    .invoke_async::<i64>(&mut connection)
                    .await?;
            }
            self.scripts
                .admit_call(call)
                .invoke_async::<Reply>(&mut connection)
                .await
        }
        .await;
        self.drop_async_connection(&result);
        result
    }

    /// Pushes the group's next slot to at least now + `wait_us`, async.
    pub(crate) async fn push_back_async(
        &self,
        group_key: &str,
        wait_us: u64,
    ) -> redis::RedisResult<()> {
        let result = async {
            let mut connection = self.async_connection().await?;
            self.scripts
                .push_back
                .key(group_key)
                .arg(wait_us)
                .invoke_async::<i64>(&mut connection)
                .await
                .map(drop)
        }
        .await;
        self.drop_async_connection(&result);
        result
    }
}
