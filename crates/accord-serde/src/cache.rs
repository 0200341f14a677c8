//! A concurrent cache with one in-flight fetch per key (single-flight) and
//! an optional time to live.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

struct Entry<V> {
    value: V,
    stored: Instant,
}

pub(crate) struct Cache<K, V> {
    entries: RwLock<HashMap<K, Entry<V>>>,
    /// One gate per key being fetched; the first caller holds it while it
    /// fetches, the others wait on it and then read the cache.
    in_flight: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
    ttl: Option<Duration>,
}

impl<K: Eq + Hash + Clone, V: Clone> Cache<K, V> {
    /// A cache whose entries live forever (`ttl` None) or for `ttl`.
    pub(crate) fn new(ttl: Option<Duration>) -> Self {
        Cache {
            entries: RwLock::new(HashMap::new()),
            in_flight: Mutex::new(HashMap::new()),
            ttl,
        }
    }

    pub(crate) fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(key)?;
        match self.ttl {
            Some(ttl) if entry.stored.elapsed() >= ttl => None,
            _ => Some(entry.value.clone()),
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
