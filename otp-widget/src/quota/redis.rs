//! The Redis store: counters and marks shared by every replica of a back end.

use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use redis::aio::ConnectionManager;

use super::{Hit, QuotaError, QuotaStore};

/// Counts one event in a fixed window: the first one sets the window's expiry.
/// The window's name is when it ends, in milliseconds of the server's clock: two windows of
/// one key never end together (the next opens after the last ended).
const HIT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if n == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
local now = redis.call('TIME')
local ends = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ttl
return {n, ttl, ends}
";

/// Takes one event back from the window that ends at `ARGV[1]` (within the clock's
/// millisecond rounding), and leaves the window's expiry as it is; a count back at zero
/// deletes the key (a refused send leaves none); nothing when another window is open. (`replicate_commands`: Redis before 5 refuses a write after
/// `TIME` without it; from 5 on it is how scripts replicate anyway.)
const RELEASE: &str = r"
redis.replicate_commands()
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  return 0
end
local now = redis.call('TIME')
local ends = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) + ttl
if math.abs(ends - tonumber(ARGV[1])) > 2 then
  return 0
end
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 1 then
  redis.call('DECR', KEYS[1])
elseif n == 1 then
  redis.call('DEL', KEYS[1])
end
return 0
";

/// Counts one event in a sliding window: `KEYS[1]` is a sorted set of the window's events
/// (scored by when they happened, in milliseconds of the server's clock), `KEYS[2]` the
/// sequence that names them; `ARGV[1]` is the window's length. Returns the events of the last
/// window, this one included, how long until the oldest leaves it, and this event's number.
const HIT_SLIDING: &str = r"
redis.replicate_commands()
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ms - window)
local id = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], ms, id)
redis.call('PEXPIRE', KEYS[1], window)
redis.call('PEXPIRE', KEYS[2], window)
local n = redis.call('ZCARD', KEYS[1])
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local resets = tonumber(oldest[2]) + window - ms
return {n, resets, id}
";

/// Takes event `ARGV[1]` out of the sliding window `KEYS[1]`; an empty window goes.
const RELEASE_EVENT: &str = r"
redis.call('ZREM', KEYS[1], ARGV[1])
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
end
return 0
";

/// A [`QuotaStore`] in Redis, so that several replicas of a back end share one quota. It
/// reconnects by itself (redis-rs's `ConnectionManager`); while Redis cannot be reached,
/// the router refuses what it would have to count, within [`REDIS_TIMEOUT`] (a connection, and
/// each command, that takes longer fails), never waiting on a dead Redis for seconds.
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
    release: redis::Script,
    hit_sliding: redis::Script,
    release_event: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

/// How long connecting to Redis, and each command, may take before the store fails (and
/// the router refuses): 500 ms.
pub const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://host:port/db`), with [`REDIS_TIMEOUT`] on the
    /// connection and on each command, and reconnecting by itself after Redis comes back.
    pub async fn connect(url: &str) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(REDIS_TIMEOUT))
            .set_response_timeout(Some(REDIS_TIMEOUT))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let store = Self::new(ConnectionManager::new_with_config(client, config).await?);
        store.check_eviction_policy().await;
        Ok(store)
    }

    /// Says, at `ERROR`, when Redis may evict the store's keys under memory pressure: every
    /// key here expires, so any `maxmemory-policy` but `noeviction` (under which a full Redis
    /// refuses writes, and the router fails closed) may drop a cap's count to make room, and
    /// the cap starts again from zero. A Redis that does not let this client read its
    /// configuration (managed services often do not) is not checked.
    async fn check_eviction_policy(&self) {
        let mut connection = self.connection.clone();
        let mut command = redis::cmd("CONFIG");
        command.arg("GET").arg("maxmemory-policy");
        let asked = command.query_async::<Vec<String>>(&mut connection);
        if let Ok(Ok(answer)) = tokio::time::timeout(REDIS_TIMEOUT, asked).await
            && let Some(policy) = answer.get(1)
            && policy != "noeviction"
        {
            tracing::error!(
                policy,
                "Redis's maxmemory-policy may evict the widget's counts under memory \
                 pressure, and a cap would start again from zero: set it to noeviction"
            );
        }
    }

    /// A store over a connection the application already has (its own timeouts apply, and
    /// each command is cut at [`REDIS_TIMEOUT`] besides).
    pub fn new(connection: ConnectionManager) -> Self {
        Self {
            connection,
            hit: redis::Script::new(HIT),
            release: redis::Script::new(RELEASE),
            hit_sliding: redis::Script::new(HIT_SLIDING),
            release_event: redis::Script::new(RELEASE_EVENT),
        }
    }
}

/// `command`, or a failure once [`REDIS_TIMEOUT`] has passed.
async fn within<T>(
    command: impl std::future::Future<Output = Result<T, redis::RedisError>>,
) -> Result<T, QuotaError> {
    match tokio::time::timeout(REDIS_TIMEOUT, command).await {
        Ok(result) => result.map_err(failed),
        Err(_) => Err(QuotaError(
            format!(
                "Redis did not answer within {} ms",
                REDIS_TIMEOUT.as_millis()
            )
            .into(),
        )),
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
            let (count, ttl, ends): (u64, i64, u64) = within(
                self.hit
                    .key(key)
                    .arg(millis(window))
                    .invoke_async(&mut connection),
            )
            .await?;
            Ok(Hit {
                count,
                resets_in: Duration::from_millis(u64::try_from(ttl).unwrap_or(0)),
                window: ends,
            })
        }
        .boxed()
    }

    fn hit_sliding<'a>(
        &'a self,
        key: &'a str,
        window: Duration,
    ) -> BoxFuture<'a, Result<Hit, QuotaError>> {
        async move {
            let mut connection = self.connection.clone();
            let (count, resets, id): (u64, i64, u64) = within(
                self.hit_sliding
                    .key(key)
                    .key(format!("{key}:seq"))
                    .arg(millis(window))
                    .invoke_async(&mut connection),
            )
            .await?;
            Ok(Hit {
                count,
                resets_in: Duration::from_millis(u64::try_from(resets).unwrap_or(0)),
                window: id,
            })
        }
        .boxed()
    }

    fn release_event<'a>(
        &'a self,
        key: &'a str,
        event: u64,
    ) -> BoxFuture<'a, Result<(), QuotaError>> {
        async move {
            let mut connection = self.connection.clone();
            let _: i64 = within(
                self.release_event
                    .key(key)
                    .arg(event)
                    .invoke_async(&mut connection),
            )
            .await?;
            Ok(())
        }
        .boxed()
    }

    fn count<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, QuotaError>> {
        async move {
            let mut connection = self.connection.clone();
            let count: Option<u64> =
                within(redis::cmd("GET").arg(key).query_async(&mut connection)).await?;
            Ok(count.unwrap_or(0))
        }
        .boxed()
    }

    fn release<'a>(&'a self, key: &'a str, window: u64) -> BoxFuture<'a, Result<(), QuotaError>> {
        async move {
            let mut connection = self.connection.clone();
            let _: i64 = within(
                self.release
                    .key(key)
                    .arg(window)
                    .invoke_async(&mut connection),
            )
            .await?;
            Ok(())
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
            let set: Option<String> = within(
                redis::cmd("SET")
                    .arg(key)
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(millis(ttl))
                    .query_async(&mut connection),
            )
            .await?;
            Ok(set.is_some())
        }
        .boxed()
    }
}
