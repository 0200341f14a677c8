//! The registry's rules: registration, identity and id reuse, versions, soft
//! and hard deletes, modes, effective config and which versions a
//! compatibility level compares against. Format details come from
//! `accord-schema`; persistence from `store`.

mod compatibility;
mod delete;
mod error;
mod read;
mod register;
mod settings;
mod subject;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use accord_schema::{CompatibilityLevel, ParsedSchema};

pub use compatibility::{CompatibilityReport, Finding};
pub use error::RegistryError;
pub use read::{page, SchemaFormat, SchemaView, SubjectListFilter};
pub use register::{RegisterRequest, Registered};
pub use settings::{Mode, Scope};
pub use subject::{qualify, Subject, VersionSpec, DEFAULT_CONTEXT};

use crate::store::Store;

/// Limits and defaults the registry enforces.
#[derive(Clone, Debug)]
pub struct RegistrySettings {
    /// Largest schema text accepted, in bytes.
    pub max_schema_bytes: usize,
    /// The level in force where no config sets one.
    pub default_compatibility: CompatibilityLevel,
}

/// How many parsed schemas to keep; parsing is the expensive part of a check.
const PARSED_CACHE_CAPACITY: usize = 4096;

#[derive(Clone)]
pub struct Registry {
    store: Store,
    settings: RegistrySettings,
    /// Parsed schemas by content hash. A hash fixes text, type and
    /// references, so entries never go stale.
    parsed: Arc<Mutex<HashMap<String, Arc<ParsedSchema>>>>,
}

impl Registry {
    pub fn new(store: Store, settings: RegistrySettings) -> Registry {
        Registry {
            store,
            settings,
            parsed: Arc::default(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    fn cached_parse(&self, content_hash: &str) -> Option<Arc<ParsedSchema>> {
        self.parsed
            .lock()
            .expect("parsed-schema cache poisoned")
            .get(content_hash)
            .cloned()
    }

    fn remember_parse(&self, content_hash: &str, schema: Arc<ParsedSchema>) {
        let mut cache = self.parsed.lock().expect("parsed-schema cache poisoned");
        if cache.len() >= PARSED_CACHE_CAPACITY {
            // Crude but bounded: parsed schemas are cheap to rebuild.
            cache.clear();
        }
        cache.insert(content_hash.to_owned(), schema);
    }
}
