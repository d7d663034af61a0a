//! The in-memory store: a map from key to window, split into shards behind their own locks,
//! each shard bounded and expiring its windows in the order they end. A count is one hash,
//! one uncontended lock and one probe; nothing here waits on I/O.

use std::collections::{BTreeMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use hashbrown::HashTable;

use super::{Hit, QuotaError, QuotaStore};

/// A [`QuotaStore`] in this process's memory: bounded and expiring (each key when its window
/// ends; a count taken back to zero goes at once, so a refused send leaves no key). A store
/// of 2,048 keys or more is split into shards (at most 64) that each hold their share of
/// `max_keys`.
///
/// When a shard is full of open windows, a store made with [`new`](Self::new) refuses to
/// count a new key (the router then refuses the request, counted as `store_failed`): the
/// counts the caps depend on are never forgotten to make room, however many keys a flood
/// brings. Size it above the keys one window sees. A store made with
/// [`evicting`](Self::evicting) drops the key whose window ends first instead: right for the
/// per-client request limit (the router's default `request_limit_store`), where a flood of
/// addresses should cost the flood's own counts, not every client's requests. One replica
/// only: several replicas share quotas through `RedisStore`.
///
/// Keys are hashed with a key drawn at random for each store (std's `RandomState`), so that
/// no one can choose keys that collide, or that all land in one shard.
///
/// ```
/// let store = otp_widget::MemoryStore::new(100_000);
/// ```
#[derive(Clone)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

struct Inner {
    hasher: RandomState,
    /// Whether a full shard drops its first-ending window for a new key.
    evicts: bool,
    shards: Box<[Mutex<Shard>]>,
    /// Keys one shard holds at most.
    per_shard: usize,
}

/// Keys per shard: a store of fewer than twice this many is one shard, so that a small
/// store holds its whole size whichever keys it is given.
const KEYS_PER_SHARD: u64 = 1024;

/// At most this many shards: more than the cores that contend for them.
const MAX_SHARDS: u64 = 64;

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("keys", &self.keys())
            .finish()
    }
}

/// A key's window: its count and its end.
#[derive(Debug, Clone, Copy)]
struct Window {
    count: u64,
    ends: Instant,
    /// This window's number, unique in the process: what a refund names.
    id: u64,
}

impl Window {
    /// A window of `length` from `now`, with nothing counted yet.
    fn open(now: Instant, length: Duration) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            count: 0,
            ends: now
                .checked_add(length)
                .unwrap_or(now + Duration::from_secs(365 * 24 * 3600)),
            id: NEXT.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn is_open(&self, now: Instant) -> bool {
        self.ends > now
    }
}

struct Entry {
    key: Box<str>,
    hash: u64,
    window: Window,
}

/// One shard: its keys, and the same windows ordered by when they end (for expiry and
/// eviction), each naming its entry by hash and window number.
#[derive(Default)]
struct Shard {
    table: HashTable<Entry>,
    by_end: BTreeMap<(Instant, u64), u64>,
    /// The sliding windows: each key's events of its last window.
    logs: HashTable<Log>,
}

/// A key's sliding window: the time and number of each event it holds, oldest first.
struct Log {
    key: Box<str>,
    hash: u64,
    window: Duration,
    events: VecDeque<(Instant, u64)>,
}

impl Log {
    /// Drops the events older than the window.
    fn prune(&mut self, now: Instant) {
        while let Some(&(at, _)) = self.events.front() {
            if now.saturating_duration_since(at) < self.window {
                break;
            }
            self.events.pop_front();
        }
    }
}

impl Shard {
    /// The open window of `key`, if any.
    fn open_window(&mut self, hash: u64, key: &str, now: Instant) -> Option<&mut Window> {
        self.table
            .find_mut(hash, |e| &*e.key == key)
            .map(|e| &mut e.window)
            .filter(|w| w.is_open(now))
    }

    /// The open window of `key`, opened (for `length`) when there is none; `None` when the
    /// shard is full and may not evict.
    fn window(
        &mut self,
        hash: u64,
        key: &str,
        now: Instant,
        length: Duration,
        capacity: usize,
        evicts: bool,
    ) -> Option<&mut Window> {
        match self.table.find_entry(hash, |e| &*e.key == key) {
            Ok(found) => {
                let window = &mut found.into_mut().window;
                if !window.is_open(now) {
                    // A window that ended is replaced in place, under the same key.
                    let next = Window::open(now, length);
                    self.by_end.remove(&(window.ends, window.id));
                    self.by_end.insert((next.ends, next.id), hash);
                    *window = next;
                }
                Some(window)
            }
            Err(absent) => {
                let table = absent.into_table();
                if !make_room(table, &mut self.by_end, now, capacity, evicts) {
                    return None;
                }
                let window = Window::open(now, length);
                self.by_end.insert((window.ends, window.id), hash);
                let entry = Entry {
                    key: key.into(),
                    hash,
                    window,
                };
                Some(
                    &mut table
                        .insert_unique(hash, entry, |e| e.hash)
                        .into_mut()
                        .window,
                )
            }
        }
    }
}

/// Drops the windows that have ended, then, while the shard is full, the one that ends
/// first where it `evicts`; whether there is room for one key more.
fn make_room(
    table: &mut HashTable<Entry>,
    by_end: &mut BTreeMap<(Instant, u64), u64>,
    now: Instant,
    capacity: usize,
    evicts: bool,
) -> bool {
    debug_assert_eq!(table.len(), by_end.len(), "each window is indexed once");
    while let Some(first) = by_end.first_entry() {
        let &(ends, id) = first.key();
        if ends > now && (table.len() < capacity || !evicts) {
            break;
        }
        let hash = first.remove();
        if let Ok(found) = table.find_entry(hash, |e| e.window.id == id) {
            found.remove();
        }
    }
    table.len() < capacity
}

impl MemoryStore {
    /// A store that holds at most `max_keys` keys (at least one), and refuses to count a
    /// new key when it is full of open windows (see the type's docs).
    pub fn new(max_keys: u64) -> Self {
        Self::with(max_keys, false)
    }

    /// A store that holds at most `max_keys` keys (at least one), and drops the key whose
    /// window ends first for a new key when it is full.
    pub fn evicting(max_keys: u64) -> Self {
        Self::with(max_keys, true)
    }

    fn with(max_keys: u64, evicts: bool) -> Self {
        let max_keys = max_keys.max(1);
        let shards = (max_keys / KEYS_PER_SHARD).clamp(1, MAX_SHARDS);
        // A power of two, to pick a shard from the hash's bits.
        let shards = 1 << shards.ilog2();
        Self {
            inner: Arc::new(Inner {
                hasher: RandomState::new(),
                evicts,
                shards: (0..shards).map(|_| Mutex::default()).collect(),
                per_shard: usize::try_from(max_keys / shards).unwrap_or(usize::MAX),
            }),
        }
    }

    /// `key`'s hash and the shard that holds it, locked. The shard is picked by bits that
    /// the shard's table uses neither for its buckets nor for its tags.
    fn shard(&self, key: &str) -> (u64, MutexGuard<'_, Shard>) {
        let hash = self.inner.hasher.hash_one(key);
        let index = (hash >> 32) as usize & (self.inner.shards.len() - 1);
        let shard = self.inner.shards[index]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        (hash, shard)
    }

    /// How many keys the store holds (windows that ended included, until they are dropped).
    fn keys(&self) -> usize {
        self.inner
            .shards
            .iter()
            .map(|s| {
                let shard = s.lock().unwrap_or_else(PoisonError::into_inner);
                shard.table.len() + shard.logs.len()
            })
            .sum()
    }

    fn counted(&self, key: &str, length: Duration) -> Result<Hit, QuotaError> {
        let now = Instant::now();
        let (hash, mut shard) = self.shard(key);
        let room = self.inner.per_shard.saturating_sub(shard.logs.len());
        let Some(window) = shard.window(hash, key, now, length, room, self.inner.evicts) else {
            return Err(full());
        };
        window.count += 1;
        Ok(Hit {
            count: window.count,
            resets_in: window.ends.saturating_duration_since(now),
            window: window.id,
        })
    }

    fn current(&self, key: &str) -> u64 {
        let (hash, mut shard) = self.shard(key);
        shard
            .open_window(hash, key, Instant::now())
            .map_or(0, |w| w.count)
    }

    /// Counts an event of `key` in its sliding window of `length`.
    fn logged(&self, key: &str, length: Duration) -> Result<Hit, QuotaError> {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let now = Instant::now();
        let (hash, mut shard) = self.shard(key);
        let shard = &mut *shard;
        let capacity = self.inner.per_shard;
        if shard.logs.find(hash, |l| &*l.key == key).is_none() {
            // Room for a new key: the windows and logs that ended go first; then a full
            // shard evicts (where it may) the window that ends first, or refuses.
            if shard.table.len() + shard.logs.len() >= capacity {
                shard.logs.retain(|log| {
                    log.prune(now);
                    !log.events.is_empty()
                });
                let room = capacity.saturating_sub(shard.logs.len());
                let has_room = make_room(
                    &mut shard.table,
                    &mut shard.by_end,
                    now,
                    room,
                    self.inner.evicts,
                );
                if !has_room {
                    return Err(full());
                }
            }
            let log = Log {
                key: key.into(),
                hash,
                window: length,
                events: VecDeque::new(),
            };
            shard.logs.insert_unique(hash, log, |l| l.hash);
        }
        let log = shard
            .logs
            .find_mut(hash, |l| &*l.key == key)
            .expect("found or inserted above");
        log.window = length;
        log.prune(now);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        log.events.push_back((now, id));
        let oldest = log.events.front().map_or(now, |&(at, _)| at);
        Ok(Hit {
            count: log.events.len() as u64,
            resets_in: (oldest + length).saturating_duration_since(now),
            window: id,
        })
    }

    /// Takes back event `id` of `key`'s sliding window; an empty window goes.
    fn take_back_event(&self, key: &str, id: u64) {
        let (hash, mut shard) = self.shard(key);
        let Ok(mut found) = shard.logs.find_entry(hash, |l| &*l.key == key) else {
            return;
        };
        let log = found.get_mut();
        log.events.retain(|&(_, event)| event != id);
        log.prune(Instant::now());
        if log.events.is_empty() {
            found.remove();
        }
    }

    /// Takes one back from `key`'s window `id`; a count back at zero drops the key.
    fn take_back(&self, key: &str, id: u64) {
        let (hash, mut shard) = self.shard(key);
        let shard = &mut *shard;
        let Ok(found) = shard
            .table
            .find_entry(hash, |e| &*e.key == key && e.window.id == id)
        else {
            return;
        };
        let window = found.get().window;
        if !window.is_open(Instant::now()) {
            return;
        }
        if window.count <= 1 {
            found.remove();
            shard.by_end.remove(&(window.ends, window.id));
        } else {
            found.into_mut().window.count -= 1;
        }
    }
}

/// What a full store that may not evict answers.
fn full() -> QuotaError {
    QuotaError(
        "the memory store is full of open windows: refusing rather than forgetting a count \
         (give it more keys)"
            .into(),
    )
}

impl Default for MemoryStore {
    /// 100,000 keys, refusing when full.
    fn default() -> Self {
        Self::new(crate::DEFAULTS.memory_store_keys)
    }
}

/// Each answer is worked out when the method is called (nothing here waits): the future
/// only carries it.
impl QuotaStore for MemoryStore {
    fn hit<'a>(&'a self, key: &'a str, window: Duration) -> BoxFuture<'a, Result<Hit, QuotaError>> {
        Box::pin(std::future::ready(self.counted(key, window)))
    }

    fn hit_now(&self, key: &str, window: Duration) -> Option<Result<Hit, QuotaError>> {
        Some(self.counted(key, window))
    }

    fn hit_sliding<'a>(
        &'a self,
        key: &'a str,
        window: Duration,
    ) -> BoxFuture<'a, Result<Hit, QuotaError>> {
        Box::pin(std::future::ready(self.logged(key, window)))
    }

    fn release_event<'a>(
        &'a self,
        key: &'a str,
        event: u64,
    ) -> BoxFuture<'a, Result<(), QuotaError>> {
        self.take_back_event(key, event);
        Box::pin(std::future::ready(Ok(())))
    }

    fn count<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<u64, QuotaError>> {
        Box::pin(std::future::ready(Ok(self.current(key))))
    }

    fn release<'a>(&'a self, key: &'a str, window: u64) -> BoxFuture<'a, Result<(), QuotaError>> {
        self.take_back(key, window);
        Box::pin(std::future::ready(Ok(())))
    }

    fn first_use<'a>(
        &'a self,
        key: &'a str,
        ttl: Duration,
    ) -> BoxFuture<'a, Result<bool, QuotaError>> {
        Box::pin(std::future::ready(
            self.counted(key, ttl).map(|hit| hit.count == 1),
        ))
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
    async fn a_full_evicting_store_forgets_first_what_ends_first() {
        let store = MemoryStore::evicting(3);
        let minute = Duration::from_secs(60);
        store.hit("long", minute * 10).await.unwrap();
        store.hit("short", minute).await.unwrap();
        store.hit("middle", minute * 5).await.unwrap();
        store.hit("new", minute * 2).await.unwrap();
        let kept = [
            ("long", store.count("long").await.unwrap()),
            ("short", store.count("short").await.unwrap()),
            ("middle", store.count("middle").await.unwrap()),
            ("new", store.count("new").await.unwrap()),
        ];
        assert_eq!(
            kept,
            [("long", 1), ("short", 0), ("middle", 1), ("new", 1)],
            "what a full store kept"
        );
    }

    /// Full of open windows, the default store refuses a new key and forgets nothing; a
    /// count taken back to zero frees its key.
    #[tokio::test]
    async fn a_full_store_refuses_a_new_key_and_forgets_nothing() {
        let store = MemoryStore::new(2);
        let minute = Duration::from_secs(60);
        let cap = store.hit("country", minute).await.unwrap();
        store.hit("range", minute).await.unwrap();
        let refused = store.hit("flood", minute).await;
        assert!(refused.is_err(), "a new key in a full store: {refused:?}");
        assert!(store.first_use("token", minute).await.is_err());
        assert_eq!(
            store.count("country").await.unwrap(),
            1,
            "the cap's count stayed"
        );
        assert_eq!(
            store.hit("country", minute).await.unwrap().count,
            2,
            "a known key counts"
        );
        store.release("country", cap.window).await.unwrap();
        store.release("country", cap.window).await.unwrap();
        assert_eq!(store.keys(), 1, "a count back at zero drops its key");
        assert_eq!(
            store.hit("flood", minute).await.unwrap().count,
            1,
            "room again"
        );
    }

    /// A sliding window counts the events of the last window whenever it is asked, and a
    /// released event leaves it.
    #[tokio::test]
    async fn a_sliding_window_counts_the_last_window() {
        let store = MemoryStore::new(10);
        let window = Duration::from_millis(300);
        let first = store.hit_sliding("k", window).await.unwrap();
        assert_eq!(first.count, 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
        let second = store.hit_sliding("k", window).await.unwrap();
        assert_eq!(second.count, 2);
        assert!(second.resets_in <= Duration::from_millis(100), "{second:?}");
        tokio::time::sleep(Duration::from_millis(150)).await;
        // The first left the window at 300 ms; a fixed window would have started over.
        assert_eq!(store.hit_sliding("k", window).await.unwrap().count, 2);
        store.release_event("k", second.window).await.unwrap();
        assert_eq!(store.hit_sliding("k", window).await.unwrap().count, 2);
    }

    #[tokio::test]
    async fn windows_that_ended_make_room_before_any_that_is_open() {
        let store = MemoryStore::new(2);
        store.hit("open", Duration::from_secs(60)).await.unwrap();
        store.hit("ends", Duration::from_millis(50)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(80)).await;
        store.hit("next", Duration::from_secs(30)).await.unwrap();
        assert_eq!(store.keys(), 2);
        assert_eq!(store.count("open").await.unwrap(), 1, "an open window went");
        assert_eq!(store.count("next").await.unwrap(), 1);
    }

    #[test]
    fn a_large_store_is_split_into_shards_that_hold_its_size_between_them() {
        for (max, shards) in [
            (0, 1),
            (1, 1),
            (2047, 1),
            (2048, 2),
            (100_000, 64),
            (u64::MAX, 64),
        ] {
            let store = MemoryStore::new(max);
            assert_eq!(store.inner.shards.len(), shards, "shards of {max}");
            let held = store.inner.per_shard as u64 * shards as u64;
            assert!(
                held <= max.max(1) && held > max.max(1) - shards as u64,
                "{max}: {held}"
            );
        }
    }

    #[tokio::test]
    async fn memory_is_bounded() {
        let refusing = MemoryStore::new(100);
        let counted = (0..1_000)
            .filter(|i| {
                refusing
                    .hit_now(&format!("k{i}"), Duration::from_secs(60))
                    .is_some_and(|hit| hit.is_ok())
            })
            .count();
        assert_eq!(counted, refusing.keys(), "every key counted is kept");
        assert!(refusing.keys() <= 100, "{} keys", refusing.keys());
        let store = MemoryStore::evicting(100);
        for i in 0..10_000 {
            store
                .hit(&format!("k{i}"), Duration::from_secs(60))
                .await
                .unwrap();
        }
        assert!(store.keys() <= 100, "{} keys", store.keys());
        // Full, it still keeps a new mark: a spent token stays spent.
        let ttl = Duration::from_secs(60);
        assert!(store.first_use("token", ttl).await.unwrap());
        assert!(
            !store.first_use("token", ttl).await.unwrap(),
            "a full store forgot a spent token"
        );
    }
}
