//! The in-memory store: a bounded cache (moka) whose entries expire with their window. Its
//! synchronous cache: nothing here waits on I/O, so the async cache's wakers and event
//! listeners would only add cost to every request. A count is a read of the cache and an
//! atomic increment; the cache is written once per window.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use moka::Expiry;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use super::{Hit, QuotaError, QuotaStore};

/// A [`QuotaStore`] in this process's memory: bounded (when it is full, the least recently
/// used key goes, and a new key is always kept) and expiring (each key when its window
/// ends). A flood of more keys than it holds can still push out a count or a spent captcha
/// token's mark: size it above the keys one window sees. One replica only: several replicas
/// share quotas through `RedisStore`.
///
/// ```
/// let store = otp_widget::MemoryStore::new(100_000);
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    cache: Cache<String, Arc<Slot>>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.cache.entry_count())
            .finish()
    }
}

/// A window: its count, counted in place (an update of the cache is a write, with its
/// housekeeping, where a read of the slot and an atomic increment are cheap), and its end.
#[derive(Debug)]
struct Slot {
    count: AtomicU64,
    ends: Instant,
    /// This window's number, unique in the process: what a refund names.
    id: u64,
}

impl Slot {
    fn new(ends: Instant) -> Arc<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Arc::new(Self {
            count: AtomicU64::new(0),
            ends,
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        })
    }
}

/// Each entry lives until its window ends, however often it is counted.
struct UntilTheWindowEnds;

impl Expiry<String, Arc<Slot>> for UntilTheWindowEnds {
    fn expire_after_create(&self, _: &String, slot: &Arc<Slot>, now: Instant) -> Option<Duration> {
        Some(slot.ends.saturating_duration_since(now))
    }

    fn expire_after_update(
        &self,
        _: &String,
        slot: &Arc<Slot>,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        Some(slot.ends.saturating_duration_since(now))
    }
}

impl MemoryStore {
    /// A store that holds at most `max_keys` keys.
    pub fn new(max_keys: u64) -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(max_keys)
                // Least recently used goes first. moka's default (TinyLFU) may refuse to
                // store a new key when full: a fresh window or a spent token's mark would
                // be forgotten at once.
                .eviction_policy(EvictionPolicy::lru())
                .expire_after(UntilTheWindowEnds)
                .build(),
        }
    }

    /// The window of `key` that is open at `now`, if any.
    fn open(&self, key: &str, now: Instant) -> Option<Arc<Slot>> {
        self.cache.get(key).filter(|slot| slot.ends > now)
    }
}

impl Default for MemoryStore {
    /// 100,000 keys.
    fn default() -> Self {
        Self::new(100_000)
    }
}

impl QuotaStore for MemoryStore {
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<Hit, QuotaError>> {
        async move {
            let now = Instant::now();
            // A window is opened once (of callers racing to open it, one wins and all
            // count in it), then counted in place.
            let slot = match self.open(key, now) {
                Some(slot) => slot,
                None => self
                    .cache
                    .entry_by_ref(key)
                    .and_upsert_with(|current| match current.map(|e| e.into_value()) {
                        Some(slot) if slot.ends > now => slot,
                        _ => Slot::new(
                            now.checked_add(window)
                                .unwrap_or(now + Duration::from_secs(365 * 24 * 3600)),
                        ),
                    })
                    .into_value(),
            };
            Ok(Hit {
                count: slot.count.fetch_add(1, Ordering::Relaxed) + 1,
                resets_in: slot.ends.saturating_duration_since(now),
                window: slot.id,
            })
        }
        .boxed()
    }

    fn count<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, QuotaError>> {
        async move {
            Ok(self
                .open(key, Instant::now())
                .map_or(0, |slot| slot.count.load(Ordering::Relaxed)))
        }
        .boxed()
    }

    fn release<'a>(&'a self, key: &'a str, window: u64) -> BoxFuture<'a, Result<(), QuotaError>> {
        async move {
            let open = self.open(key, Instant::now());
            if let Some(slot) = open.filter(|slot| slot.id == window) {
                let _ = slot
                    .count
                    .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1));
            }
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
            let now = Instant::now();
            let entry = self.cache.entry_by_ref(key).or_insert_with(|| {
                Slot::new(
                    now.checked_add(ttl)
                        .unwrap_or(now + Duration::from_secs(365 * 24 * 3600)),
                )
            });
            // An entry whose time is up is not returned: a mark still there is still spent.
            Ok(entry.is_fresh())
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_release_takes_one_back_and_never_goes_below_zero() {
        let store = MemoryStore::new(10);
        let window = Duration::from_secs(60);
        let first = store.hit("k", window).await.unwrap();
        store.hit("k", window).await.unwrap();
        store.release("k", first.window).await.unwrap();
        assert_eq!(store.count("k").await.unwrap(), 1);
        for _ in 0..3 {
            store.release("k", first.window).await.unwrap();
        }
        assert_eq!(store.count("k").await.unwrap(), 0);
        store.release("nothing", first.window).await.unwrap();
        assert_eq!(store.hit("k", window).await.unwrap().count, 1);
    }

    #[tokio::test]
    async fn a_release_never_lands_in_a_later_window() {
        let store = MemoryStore::new(10);
        let window = Duration::from_millis(100);
        let old = store.hit("k", window).await.unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        let new = store.hit("k", window).await.unwrap();
        assert_ne!(old.window, new.window);
        store.release("k", old.window).await.unwrap();
        assert_eq!(
            store.count("k").await.unwrap(),
            1,
            "the new window kept its count"
        );
        store.release("k", new.window).await.unwrap();
        assert_eq!(store.count("k").await.unwrap(), 0);
    }

    #[tokio::test]
    async fn counts_in_a_fixed_window_then_starts_again() {
        let store = MemoryStore::new(10);
        let window = Duration::from_millis(200);
        assert_eq!(store.hit("k", window).await.unwrap().count, 1);
        let second = store.hit("k", window).await.unwrap();
        assert_eq!(second.count, 2);
        assert!(second.resets_in <= window);
        assert_eq!(store.count("k").await.unwrap(), 2);
        assert_eq!(store.count("other").await.unwrap(), 0);
        tokio::time::sleep(window + Duration::from_millis(50)).await;
        assert_eq!(store.count("k").await.unwrap(), 0);
        assert_eq!(store.hit("k", window).await.unwrap().count, 1);
    }

    #[tokio::test]
    async fn a_mark_is_first_once_until_it_expires() {
        let store = MemoryStore::new(10);
        let ttl = Duration::from_millis(200);
        assert!(store.first_use("t", ttl).await.unwrap());
        assert!(!store.first_use("t", ttl).await.unwrap());
        tokio::time::sleep(ttl + Duration::from_millis(50)).await;
        assert!(store.first_use("t", ttl).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_hits_each_count_once_in_one_window() {
        let store = MemoryStore::new(10);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let mut seen = Vec::new();
                    for _ in 0..500 {
                        seen.push(store.hit("k", Duration::from_secs(60)).await.unwrap().count);
                    }
                    seen
                })
            })
            .collect();
        let mut seen = Vec::new();
        for task in tasks {
            seen.extend(task.await.unwrap());
        }
        seen.sort_unstable();
        let expected: Vec<u64> = (1..=4000).collect();
        // Each count once (not 4,000 numbers printed when one repeats).
        let mut distinct = seen.clone();
        distinct.dedup();
        assert!(
            seen == expected,
            "counts seen: {} distinct of {}",
            distinct.len(),
            seen.len()
        );
        assert_eq!(store.count("k").await.unwrap(), 4000);
    }

    #[tokio::test]
    async fn memory_is_bounded() {
        let store = MemoryStore::new(100);
        for i in 0..10_000 {
            store
                .hit(&format!("k{i}"), Duration::from_secs(60))
                .await
                .unwrap();
        }
        store.cache.run_pending_tasks();
        assert!(
            store.cache.entry_count() <= 100,
            "{}",
            store.cache.entry_count()
        );
        // Full, it still keeps a new mark: a spent token stays spent.
        let ttl = Duration::from_secs(60);
        assert!(store.first_use("token", ttl).await.unwrap());
        store.cache.run_pending_tasks();
        assert!(
            !store.first_use("token", ttl).await.unwrap(),
            "a full store forgot a spent token"
        );
    }
}
