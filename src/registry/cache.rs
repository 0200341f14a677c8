//! The registry's caches, and the one way they are made stale: the changes a
//! committed write reports (`store::Change`), applied by the process that
//! wrote them at once and by every other replica from the change log.
//!
//! A fill races with invalidation: a reader may read the database before a
//! write commits and insert what it read after the write's invalidation ran.
//! Every invalidation therefore bumps an epoch under a write lock, and a fill
//! inserts only if the epoch is still the one it saw before reading (under
//! the read lock), so a value read before a change never outlives it.
//!
//! Every cache is bounded by a share of one byte budget, weighed by an
//! estimate of what each entry holds.

use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use accord_schema::{ParsedSchema, SchemaType};

use bytes::Bytes;
use moka::sync::Cache;
use serde_json::Value;

use super::config::Config;
use super::config::{EffectiveConfig, Mode};
use super::history::SubjectHistory;
use super::read::SchemaFormat;
use crate::domain::{SchemaId, Version};
use crate::store::{Change, SchemaRecord};

/// The default byte budget of all caches together.
pub const DEFAULT_CACHE_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// A schema submitted for registration, lookup or a check, as parsed: the
/// same text, type and normalization parse the same way, so a client that
/// repeats a request does not pay for parsing again. Only schemas without
/// references are kept: what a reference resolves to can change (`-1`, a
/// deleted version), and those would need invalidating on every write.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PreparedKey {
    pub schema_type: SchemaType,
    pub text: String,
    pub normalize: bool,
}

/// What parsing a submitted schema gives.
pub struct Prepared {
    pub schema_type: SchemaType,
    pub parsed: Arc<ParsedSchema>,
    /// The stored text: canonical, or normalized; shared with the
    /// candidates made from it.
    pub text: Arc<str>,
    /// The parsed schema's estimated size.
    pub weight: usize,
    /// The identity hash of the schema alone (no references, metadata or
    /// rule set), the common case, computed once.
    pub plain_hash: String,
}

/// A parsed schema with its estimated size, for the budget.
#[derive(Clone)]
pub struct ParsedEntry {
    pub schema: Arc<ParsedSchema>,
    pub weight: usize,
}

/// A response body rendered once for an immutable resource (a schema by id
/// or GUID in one format), with the entity tag clients revalidate with.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub body: Bytes,
    /// A quoted entity tag (ASCII hex, dashes and letters).
    pub etag: http::HeaderValue,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ResponseKey {
    pub context: String,
    pub id: SchemaId,
    pub format: SchemaFormat,
}

/// A version's response (`GET /subjects/{s}/versions/{v}`, and a lookup's
/// answer). The id is part of the key, so an entry never goes stale: a
/// version number that comes to name another schema is another key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VersionResponseKey {
    pub context: String,
    pub subject: String,
    pub version: Version,
    pub id: SchemaId,
    /// An id reused for other content (an import after a permanent
    /// delete) is another key too.
    pub content_hash: String,
    pub format: SchemaFormat,
}

/// A compatibility verdict between two schemas (by content hash) in one
/// direction under one policy: what the engine answers never changes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct VerdictKey {
    pub new: String,
    pub old: String,
    pub direction: accord_schema::Direction,
    pub policy: accord_schema::CompatibilityPolicy,
}

/// Hits and misses of one cache, kept for metrics.
#[derive(Debug, Default)]
pub struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
}

impl Counters {
    fn count<T>(&self, found: Option<T>) -> Option<T> {
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }
}

/// One cache's figures.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheStats {
    pub name: &'static str,
    pub hits: u64,
    pub misses: u64,
    pub entries: u64,
    /// The estimated bytes held, as weighed against the budget.
    pub bytes: u64,
    pub max_bytes: u64,
}

/// A cache with its counters and its share of the budget.
pub struct Tier<K, V> {
    name: &'static str,
    cache: Cache<K, V>,
    counters: Counters,
    max_bytes: u64,
}

impl<K, V> Tier<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn new(name: &'static str, max_bytes: u64, weigh: fn(&K, &V) -> usize) -> Self {
        Tier {
            name,
            cache: Cache::builder()
                .max_capacity(max_bytes)
                .weigher(move |key, value| {
                    u32::try_from(weigh(key, value).saturating_add(64)).unwrap_or(u32::MAX)
                })
                .support_invalidation_closures()
                .build(),
            counters: Counters::default(),
            max_bytes,
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.counters.count(self.cache.get(key))
    }

    pub fn stats(&self) -> CacheStats {
        self.cache.run_pending_tasks();
        CacheStats {
            name: self.name,
            hits: self.counters.hits.load(Ordering::Relaxed),
            misses: self.counters.misses.load(Ordering::Relaxed),
            entries: self.cache.entry_count(),
            bytes: self.cache.weighted_size(),
            max_bytes: self.max_bytes,
        }
    }
}

/// Proof that a fill started at some epoch; see the module docs.
#[derive(Clone, Copy, Debug)]
pub struct Ticket(u64);

pub struct Caches {
    epoch: AtomicU64,
    fill_lock: RwLock<()>,
    /// Versions of (context, subject).
    pub histories: Tier<(String, String), Arc<SubjectHistory>>,
    /// Schemas by (context, id).
    pub schemas: Tier<(String, SchemaId), Arc<SchemaRecord>>,
    /// Ids by (context, content hash).
    pub ids_by_hash: Tier<(String, String), SchemaId>,
    /// The (context, id) a GUID (content hash) is served from.
    pub guids: Tier<String, (String, SchemaId)>,
    /// Stored config by scope (`None`: none stored there).
    pub configs: Tier<String, Option<Arc<Config>>>,
    /// Stored mode by scope.
    pub modes: Tier<String, Option<Mode>>,
    pub contexts: Tier<(), Arc<Vec<String>>>,
    /// Parsed stored schemas by content hash; a hash fixes text, type and
    /// references, so these are never stale, only evicted.
    pub parsed: Tier<String, ParsedEntry>,
    pub prepared: Tier<Arc<PreparedKey>, Arc<Prepared>>,
    pub responses: Tier<ResponseKey, Rendered>,
    pub version_responses: Tier<VersionResponseKey, Bytes>,
    /// The mode and config in force for (context, subject), resolved along
    /// the scope chain; dropped whole when any config or mode changes.
    pub subject_settings: Tier<(String, String), Arc<(Mode, EffectiveConfig)>>,
    pub verdicts: Tier<VerdictKey, Arc<Vec<accord_schema::Incompatibility>>>,
}

impl Caches {
    /// Caches sharing `max_bytes` between them.
    pub fn new(max_bytes: u64) -> Caches {
        let share = |percent: u64| (max_bytes / 100).saturating_mul(percent).max(64 * 1024);
        Caches {
            epoch: AtomicU64::new(0),
            fill_lock: RwLock::new(()),
            histories: Tier::new("histories", share(10), |(c, s), h| {
                c.len() + s.len() + h.weight()
            }),
            schemas: Tier::new("schemas", share(15), |(c, _), s| c.len() + record_weight(s)),
            ids_by_hash: Tier::new("ids_by_hash", share(2), |(c, h), _| c.len() + h.len()),
            guids: Tier::new("guids", share(1), |h, (c, _)| h.len() + c.len()),
            configs: Tier::new("configs", share(1), |scope, config| {
                scope.len() + config.as_ref().map_or(0, |c| c.weight())
            }),
            modes: Tier::new("modes", share(1), |scope, _| scope.len()),
            contexts: Tier::new("contexts", 64 * 1024, |(), contexts| {
                contexts.iter().map(|c| c.len() + 24).sum()
            }),
            parsed: Tier::new("parsed", share(35), |hash, entry| hash.len() + entry.weight),
            prepared: Tier::new("prepared", share(15), |key, prepared| {
                key.text.len() + prepared.text.len() + prepared.weight
            }),
            responses: Tier::new("responses", share(10), |key, rendered| {
                key.context.len() + rendered.body.len() + rendered.etag.len()
            }),
            version_responses: Tier::new("version_responses", share(6), |key, body| {
                key.context.len() + key.subject.len() + body.len()
            }),
            subject_settings: Tier::new("subject_settings", share(1), |(c, s), _| {
                c.len() + s.len() + 128
            }),
            verdicts: Tier::new("verdicts", share(3), |key, found| {
                key.new.len() + key.old.len() + found.len() * 512
            }),
        }
    }

    /// Taken before reading what a fill will insert.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.epoch.load(Ordering::Acquire))
    }

    /// Inserts unless something was invalidated since `ticket` was taken.
    pub fn fill<K, V>(&self, tier: &Tier<K, V>, ticket: Ticket, key: K, value: V) -> bool
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        let _guard = self.fill_lock.read().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::Acquire) != ticket.0 {
            return false;
        }
        tier.cache.insert(key, value);
        true
    }

    /// Inserts what cannot go stale (parsed schemas by content hash).
    pub fn insert_immutable<K, V>(&self, tier: &Tier<K, V>, key: K, value: V)
    where
        K: Hash + Eq + Send + Sync + 'static,
        V: Clone + Send + Sync + 'static,
    {
        tier.cache.insert(key, value);
    }

    /// Makes what `changes` changed stale.
    pub fn apply(&self, changes: &[Change]) {
        self.apply_own_writes(changes, Vec::new());
    }

    /// Applies writes' own changes, and where a write's view of its subject
    /// was current (nothing invalidated since its ticket), stores the history
    /// it left instead of dropping it, so the next registration in a long
    /// subject does not read every version again.
    pub fn apply_own_writes(
        &self,
        changes: &[Change],
        histories: Vec<(Ticket, (String, String), Arc<SubjectHistory>)>,
    ) {
        let _guard = self.fill_lock.write().unwrap_or_else(|e| e.into_inner());
        let before = self.epoch.fetch_add(1, Ordering::AcqRel);
        for change in changes {
            self.invalidate(change);
        }
        for (ticket, key, history) in histories {
            if before == ticket.0 {
                self.histories.cache.insert(key, history);
            }
        }
    }

    /// Drops everything that can go stale (a replica that lost track of the
    /// change log).
    pub fn invalidate_all(&self) {
        let _guard = self.fill_lock.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.histories.cache.invalidate_all();
        self.schemas.cache.invalidate_all();
        self.ids_by_hash.cache.invalidate_all();
        self.guids.cache.invalidate_all();
        self.configs.cache.invalidate_all();
        self.modes.cache.invalidate_all();
        self.contexts.cache.invalidate_all();
        self.prepared.cache.invalidate_all();
        self.responses.cache.invalidate_all();
        self.version_responses.cache.invalidate_all();
        self.subject_settings.cache.invalidate_all();
    }

    fn invalidate(&self, change: &Change) {
        match change {
            Change::Subject { context, subject } => {
                self.histories
                    .cache
                    .invalidate(&(context.clone(), subject.clone()));
            }
            Change::Schema {
                context,
                id,
                content_hash,
            } => {
                self.schemas.cache.invalidate(&(context.clone(), *id));
                self.ids_by_hash
                    .cache
                    .invalidate(&(context.clone(), content_hash.clone()));
                self.guids.cache.invalidate(content_hash);
                for format in SchemaFormat::ALL {
                    self.responses.cache.invalidate(&ResponseKey {
                        context: context.clone(),
                        id: *id,
                        format,
                    });
                }
            }
            Change::Config { scope } => {
                self.configs.cache.invalidate(scope);
                self.subject_settings.cache.invalidate_all();
            }
            Change::Mode { scope } => {
                self.modes.cache.invalidate(scope);
                self.subject_settings.cache.invalidate_all();
            }
            Change::Contexts => self.contexts.cache.invalidate_all(),
        }
    }

    pub fn stats(&self) -> Vec<CacheStats> {
        vec![
            self.histories.stats(),
            self.schemas.stats(),
            self.ids_by_hash.stats(),
            self.guids.stats(),
            self.configs.stats(),
            self.modes.stats(),
            self.contexts.stats(),
            self.parsed.stats(),
            self.prepared.stats(),
            self.responses.stats(),
            self.version_responses.stats(),
            self.subject_settings.stats(),
            self.verdicts.stats(),
        ]
    }
}

fn record_weight(schema: &SchemaRecord) -> usize {
    let json = |value: &Option<Value>| value.as_ref().map_or(0, |_| 256);
    schema.schema.len()
        + schema.content_hash.len()
        + schema
            .references
            .iter()
            .map(|r| r.name.len() + r.subject.len() + 16)
            .sum::<usize>()
        + json(&schema.metadata)
        + json(&schema.rule_set)
        + 96
}
