//! The registry's rules: registration, identity and id reuse, versions, soft
//! and hard deletes, modes, effective config and which versions a
//! compatibility level compares against; and the caches those rules read
//! through. Format details come from `accord-schema`; persistence from
//! `store`.

pub mod cache;
mod compatibility;
mod config;
mod delete;
mod error;
mod follow;
mod history;
mod read;
mod register;
mod source;
mod subject;
pub mod visibility;
mod writer;

use std::sync::Arc;

use accord_schema::{CompatibilityLevel, ParsedSchema};

use crate::metrics::RegistryMetrics;

pub use cache::{CacheStats, Caches, Rendered, DEFAULT_CACHE_MAX_BYTES};
pub use compatibility::{CompatibilityReport, Finding};
pub use config::{Config, ConfigUpdate, Mode, Scope};
pub use error::RegistryError;
pub use follow::{ChangeFollower, STALENESS_BOUND};
pub use history::{SubjectHistory, VersionEntry};
pub use read::{SchemaFormat, SchemaView, SubjectListFilter};
pub use register::{RegisterRequest, Registered, RequestedId, RequestedReference};
pub use subject::{context_in_path, qualify, Subject, VersionSpec, DEFAULT_CONTEXT};

use crate::store::{Change, Store};
use source::Cached;

/// The registry's own limits and defaults, set when the process starts (as
/// opposed to `ServeSettings`, the process's flags, and to the config and
/// mode Confluent's API sets per scope, in `config.rs`).
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Largest schema text accepted, in bytes.
    pub max_schema_bytes: usize,
    /// The level in force where no config sets one.
    pub default_compatibility: CompatibilityLevel,
    /// The byte budget of every cache together.
    pub cache_max_bytes: u64,
}

#[derive(Clone)]
pub struct Registry {
    store: Store,
    options: RegistryOptions,
    caches: Arc<Caches>,
    /// Registrations waiting to be committed together.
    queue: Arc<writer::WriteQueue>,
    metrics: RegistryMetrics,
}

impl Registry {
    pub fn new(store: Store, options: RegistryOptions) -> Registry {
        Registry {
            caches: Arc::new(Caches::new(options.cache_max_bytes)),
            queue: Arc::default(),
            metrics: RegistryMetrics::default(),
            store,
            options,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What registrations and checks counted, for `/metrics`.
    pub fn metrics(&self) -> &RegistryMetrics {
        &self.metrics
    }

    pub fn caches(&self) -> &Caches {
        &self.caches
    }

    /// Reads through the caches.
    fn cached(&self) -> Cached<'_> {
        Cached::new(&self.caches, &self.store)
    }

    /// Makes what another replica's writes changed stale.
    pub fn apply_changes(&self, changes: &[Change]) {
        if !changes.is_empty() {
            self.caches.apply(changes);
        }
    }
}

/// An estimate of the memory a parsed schema holds: what the caches weigh
/// it by. The text it was parsed from is held beside it by the caller.
pub(crate) fn parsed_schema_weight(schema: &ParsedSchema, text_len: usize) -> usize {
    schema.estimated_heap_bytes() + text_len
}
