//! A concurrent cache with one in-flight fetch per key (single-flight) and
//! an optional time to live.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

/// A multiply-and-fold hash a word at a time (wyhash's mix) with
/// MurmurHash3's finalizer. The keys
/// here (topics, schema ids) come from the application, not from an
/// attacker, and SipHash's DoS resistance would cost a third of a cached
/// lookup on the hot path.
#[derive(Default)]
pub(crate) struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        // The length first: without it "ab" and "ab\0" would be one key.
        self.add(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, value: u8) {
        self.add(u64::from(value));
    }

    fn write_u32(&mut self, value: u32) {
        self.add(u64::from(value));
    }

    fn write_u64(&mut self, value: u64) {
        self.add(value);
    }

    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        // wyhash's mix: the 128-bit product of the word with a constant,
        // its halves folded together.
        let product = u128::from(self.0 ^ word ^ 0xa076_1d64_78bd_642f)
            * u128::from(0xe703_7ed1_a0b4_28db_u64);
        self.0 = (product as u64) ^ ((product >> 64) as u64);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

struct Entry<V> {
    value: V,
    stored: Instant,
}

pub(crate) struct Cache<K, V> {
    entries: RwLock<FastMap<K, Entry<V>>>,
    /// One gate per key being fetched; the first caller holds it while it
    /// fetches, the others wait on it and then read the cache.
    in_flight: Mutex<FastMap<K, Arc<tokio::sync::Mutex<()>>>>,
    ttl: Option<Duration>,
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    /// A cache whose entries live forever (`ttl` None) or for `ttl`.
    pub(crate) fn new(ttl: Option<Duration>) -> Self {
        Cache {
            entries: RwLock::new(FastMap::default()),
            in_flight: Mutex::new(FastMap::default()),
            ttl,
        }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with(key, V::clone)
    }

    /// Runs `use_value` on the cached value, under the cache's read lock
    /// (no clone: the hot path of every serializer).
    pub(crate) fn with<Q, R>(&self, key: &Q, use_value: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(key)?;
        match self.ttl {
            Some(ttl) if entry.stored.elapsed() >= ttl => None,
            _ => Some(use_value(&entry.value)),
        }
    }

    pub(crate) fn insert(&self, key: K, value: V) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                key,
                Entry {
                    value,
                    stored: Instant::now(),
                },
            );
    }

    /// The cached value, or the result of `fetch`, which runs at most once
    /// at a time per key: concurrent callers for the same key wait for it.
    /// Errors are not cached.
    pub(crate) async fn get_or_fetch<E, F, Fut>(&self, key: &K, fetch: F) -> Result<V, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V, E>>,
    {
        if let Some(value) = self.get(key) {
            return Ok(value);
        }
        let gate = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key.clone())
            .or_default()
            .clone();
        let result = {
            let _turn = gate.lock().await;
            match self.get(key) {
                Some(value) => Ok(value),
                None => {
                    let result = fetch().await;
                    if let Ok(value) = &result {
                        self.insert(key.clone(), value.clone());
                    }
                    result
                }
            }
        };
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if in_flight
            .get(key)
            .is_some_and(|current| Arc::ptr_eq(current, &gate) && Arc::strong_count(current) == 2)
        {
            in_flight.remove(key);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn fx_hash_spreads_keys() {
        use std::hash::BuildHasher;
        let build = BuildHasherDefault::<FxHasher>::default();
        let mut keys: Vec<String> = (0..10_000).map(|n| format!("topic-{n}")).collect();
        keys.extend((0..10_000).map(|n| format!("orders-{n}-value")));
        let hashes: std::collections::HashSet<u64> =
            keys.iter().map(|key| build.hash_one(key)).collect();
        assert_eq!(hashes.len(), keys.len());
        let ids: std::collections::HashSet<u64> =
            (0..10_000u32).map(|id| build.hash_one(id)).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[tokio::test]
    async fn concurrent_misses_fetch_once() {
        let cache: Arc<Cache<u32, u32>> = Arc::new(Cache::new(None));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..16 {
            let cache = cache.clone();
            let fetches = fetches.clone();
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch(&7, || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ()>(49)
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(49));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        assert!(cache.in_flight.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn errors_are_not_cached_and_entries_expire() {
        let cache: Cache<&str, u32> = Cache::new(Some(Duration::from_millis(30)));
        assert_eq!(
            cache.get_or_fetch(&"a", || async { Err("down") }).await,
            Err("down")
        );
        assert_eq!(
            cache
                .get_or_fetch(&"a", || async { Ok::<_, &str>(1) })
                .await,
            Ok(1)
        );
        assert_eq!(
            cache
                .get_or_fetch(&"a", || async { Ok::<_, &str>(2) })
                .await,
            Ok(1)
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(cache.get(&"a"), None);
        assert_eq!(
            cache
                .get_or_fetch(&"a", || async { Ok::<_, &str>(3) })
                .await,
            Ok(3)
        );
    }
}
