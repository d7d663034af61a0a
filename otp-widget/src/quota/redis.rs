//! The Redis store: counters and marks shared by every replica of a back end.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use redis::aio::ConnectionManager;

use super::{Hit, QuotaError, QuotaStore};

/// Counts one event in a fixed window: the first one sets the window's expiry.
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

/// A [`QuotaStore`] in Redis, so that several replicas of a back end share one quota. It
/// reconnects by itself (redis-rs's `ConnectionManager`); while Redis cannot be reached,
/// the router refuses what it would have to count.
///
/// ```no_run
/// # async fn run() -> Result<(), redis::RedisError> {
/// let store = otp_widget::RedisStore::connect("redis://127.0.0.1:6379/").await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    hit: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://host:port/db`).
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        Ok(Self::new(ConnectionManager::new(client).await?))
    }

    /// A store over a connection the application already has.
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            hit: redis::Script::new(HIT),
        }
    }
}

fn failed(e: redis::RedisError) -> QuotaError {
    QuotaError(Box::new(e))
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl QuotaStore for RedisStore {
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<Hit, QuotaError>> {
        async move {
            let mut connection = self.connection.clone();
            let (count, ttl): (u64, i64) = self
                .hit
                .key(key)
                .arg(millis(window))
                .invoke_async(&mut connection)
                .await
                .map_err(failed)?;
            Ok(Hit {
                count,
                resets_in: Duration::from_millis(u64::try_from(ttl).unwrap_or(0)),
            })
        }
        .boxed()
    }

    fn count<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, QuotaError>> {
        async move {
            let mut connection = self.connection.clone();
            let count: Option<u64> = redis::cmd("GET")
                .arg(key)
                .query_async(&mut connection)
                .await
                .map_err(failed)?;
            Ok(count.unwrap_or(0))
        }
        .boxed()
    }

    fn first_use<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, QuotaError>> {
        async move {
            let mut connection = self.connection.clone();
            let set: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(1)
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl))
                .query_async(&mut connection)
                .await
                .map_err(failed)?;
            Ok(set.is_some())
        }
        .boxed()
    }
}
