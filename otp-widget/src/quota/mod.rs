//! Where the counts behind the abuse protection live: one small trait, an in-memory store
//! (the default) and a Redis store (feature `redis`) that several replicas share.

mod memory;
#[cfg(feature = "redis")]
mod redis;

use std::time::Duration;

use futures::future::BoxFuture;

pub use memory::MemoryStore;
#[cfg(feature = "redis")]
pub use redis::{REDIS_TIMEOUT, RedisStore};

/// One more event counted in a fixed window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    /// How many events the window holds, this one included.
    pub count: u64,
    /// How long until the window ends and the count starts again from zero.
    pub resets_in: Duration,
    /// Which window of the key counted it, as the store tells its windows apart: what
    /// [`QuotaStore::release`] takes, so that a refund never lands in a later window.
    pub window: u64,
}

/// The store could not answer. The router then refuses (fails closed).
#[derive(Debug, thiserror::Error)]
#[error("the quota store failed: {0}")]
pub struct QuotaError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Counters with expiry, and one-time marks: what the router's quotas need of a store.
///
/// Keys are the router's own (prefixed, and with phone numbers hashed). A window starts at
/// its first event and lasts `window`; its count then starts again from zero.
pub trait QuotaStore: Send + Sync + 'static {
    /// Counts one more event under `key`.
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<Hit, QuotaError>>;

    /// Counts one more event under `key` at once, when this store can answer without
    /// waiting; `None` (the default) when it must wait. The router asks this first on every
    /// request and calls [`hit`](Self::hit) only on `None`: an in-memory store answers here
    /// with no future to allocate (and [`MemoryStore`] does). A store that answers must
    /// count exactly as `hit` does.
    fn hit_now(&self, key: &str, window: Duration) -> Option<Result<Hit, QuotaError>> {
        let _ = (key, window);
        None
    }

    /// Counts one more event under `key` in a sliding window of `window`: [`Hit::count`] is
    /// how many events the last `window` holds, this one included, whenever it is asked, and
    /// [`Hit::window`] names this event for [`release_event`](Self::release_event). The send
    /// limits count this way, so that no span of `window` ever holds more than a limit
    /// (fixed windows let twice a limit through across a window's end: a limit's worth just
    /// before it, and again just after). The default counts in fixed windows
    /// ([`hit`](Self::hit)), for a store of the application's own that has no sliding
    /// windows.
    fn hit_sliding<'a>(
        &'a self,
        key: &'a str,
        window: Duration,
    ) -> BoxFuture<'a, Result<Hit, QuotaError>> {
        self.hit(key, window)
    }

    /// Takes back the event `event` of `key`'s sliding window (the [`Hit::window`] of
    /// [`hit_sliding`](Self::hit_sliding)); a window left empty goes. The default:
    /// [`release`](Self::release).
    fn release_event<'a>(
        &'a self,
        key: &'a str,
        event: u64,
    ) -> BoxFuture<'a, Result<(), QuotaError>> {
        self.release(key, event)
    }

    /// How many events `key`'s current window holds, without counting one.
    fn count<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, QuotaError>>;

    /// Takes back one event counted under `key` in `window` (the [`Hit`]'s: the router's
    /// refund of a `send` the service refused, which sent nothing), never below zero; nothing
    /// when that window is over, even if another has opened since (taking one back from it
    /// would allow one send more than its limit).
    fn release<'a>(&'a self, key: &'a str, window: u64) -> BoxFuture<'a, Result<(), QuotaError>>;

    /// Marks `key` for `ttl`: `true` the first time, `false` while the mark lasts.
    fn first_use<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, QuotaError>>;
}
