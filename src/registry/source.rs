//! Where the registry's rules read from: the caches (requests), or a write
//! transaction (re-validation under the context's lock). The rules are
//! written once, over `Source`.

use std::future::Future;
use std::sync::Arc;

use serde_json::Value;

use super::cache::Caches;
use super::config::{Config, Mode};
use super::history::SubjectHistory;
use super::RegistryError;
use crate::domain::SchemaId;
use crate::store::{Queries, Reader, SchemaRecord, Store};

/// Where the config and mode of a scope are read from.
pub trait SettingsSource: Send {
    /// The config stored at exactly this scope.
    fn config(
        &mut self,
        scope: &str,
    ) -> impl Future<Output = Result<Option<Arc<Config>>, RegistryError>> + Send;

    /// The mode stored at exactly this scope.
    fn mode(
        &mut self,
        scope: &str,
    ) -> impl Future<Output = Result<Option<Mode>, RegistryError>> + Send;
}

pub trait Source: SettingsSource {
    /// Every version of a subject (empty if it has none).
    fn history(
        &mut self,
        context: &str,
        subject: &str,
    ) -> impl Future<Output = Result<Arc<SubjectHistory>, RegistryError>> + Send;

    fn schema(
        &mut self,
        context: &str,
        id: SchemaId,
    ) -> impl Future<Output = Result<Option<Arc<SchemaRecord>>, RegistryError>> + Send;

    fn id_by_hash(
        &mut self,
        context: &str,
        content_hash: &str,
    ) -> impl Future<Output = Result<Option<SchemaId>, RegistryError>> + Send;

    /// Contexts that have been written to, in name order.
    fn contexts(&mut self) -> impl Future<Output = Result<Arc<Vec<String>>, RegistryError>> + Send;
}

fn stored_config(value: Option<Value>) -> Result<Option<Arc<Config>>, RegistryError> {
    value
        .map(|value| Config::from_stored(value).map(Arc::new))
        .transpose()
}

/// Straight from the database (inside a transaction, or uncached).
impl Source for Queries<'_> {
    async fn history(
        &mut self,
        context: &str,
        subject: &str,
    ) -> Result<Arc<SubjectHistory>, RegistryError> {
        let records = self.subject_versions(context, subject).await?;
        Ok(Arc::new(SubjectHistory::from_records(&records)))
    }

    async fn schema(
        &mut self,
        context: &str,
        id: SchemaId,
    ) -> Result<Option<Arc<SchemaRecord>>, RegistryError> {
        Ok(self.schema_by_id(context, id).await?.map(Arc::new))
    }

    async fn id_by_hash(
        &mut self,
        context: &str,
        content_hash: &str,
    ) -> Result<Option<SchemaId>, RegistryError> {
        Ok(Queries::id_by_hash(self, context, content_hash).await?)
    }

    async fn contexts(&mut self) -> Result<Arc<Vec<String>>, RegistryError> {
        Ok(Arc::new(Queries::contexts(self).await?))
    }
}

impl SettingsSource for Queries<'_> {
    async fn config(&mut self, scope: &str) -> Result<Option<Arc<Config>>, RegistryError> {
        stored_config(Queries::config(self, scope).await?)
    }

    async fn mode(&mut self, scope: &str) -> Result<Option<Mode>, RegistryError> {
        Queries::mode(self, scope)
            .await?
            .map(|mode| mode.parse())
            .transpose()
    }
}

/// Through the caches; a pooled connection is taken only on the first miss.
pub struct Cached<'r> {
    caches: &'r Caches,
    store: &'r Store,
    reader: Option<Reader>,
}

impl<'r> Cached<'r> {
    pub fn new(caches: &'r Caches, store: &'r Store) -> Self {
        Cached {
            caches,
            store,
            reader: None,
        }
    }

    /// The connection, for what is not cached.
    pub async fn db(&mut self) -> Result<Queries<'_>, RegistryError> {
        if self.reader.is_none() {
            self.reader = Some(self.store.reader().await?);
        }
        Ok(self
            .reader
            .as_mut()
            .expect("the reader was just opened")
            .queries())
    }
}

impl Source for Cached<'_> {
    async fn history(
        &mut self,
        context: &str,
        subject: &str,
    ) -> Result<Arc<SubjectHistory>, RegistryError> {
        let key = (context.to_owned(), subject.to_owned());
        if let Some(history) = self.caches.histories.get(&key) {
            return Ok(history);
        }
        let ticket = self.caches.ticket();
        let history = self.db().await?.history(context, subject).await?;
        self.caches
            .fill(&self.caches.histories, ticket, key, history.clone());
        Ok(history)
    }

    async fn schema(
        &mut self,
        context: &str,
        id: SchemaId,
    ) -> Result<Option<Arc<SchemaRecord>>, RegistryError> {
        let key = (context.to_owned(), id);
        if let Some(schema) = self.caches.schemas.get(&key) {
            return Ok(Some(schema));
        }
        let ticket = self.caches.ticket();
        let schema = self.db().await?.schema(context, id).await?;
        if let Some(schema) = &schema {
            self.caches
                .fill(&self.caches.schemas, ticket, key, schema.clone());
        }
        Ok(schema)
    }

    async fn id_by_hash(
        &mut self,
        context: &str,
        content_hash: &str,
    ) -> Result<Option<SchemaId>, RegistryError> {
        let key = (context.to_owned(), content_hash.to_owned());
        if let Some(id) = self.caches.ids_by_hash.get(&key) {
            return Ok(Some(id));
        }
        // Absent content is not remembered: every new registration would
        // have to invalidate it.
        let ticket = self.caches.ticket();
        let id = Source::id_by_hash(&mut self.db().await?, context, content_hash).await?;
        if let Some(id) = id {
            self.caches.fill(&self.caches.ids_by_hash, ticket, key, id);
        }
        Ok(id)
    }

    async fn contexts(&mut self) -> Result<Arc<Vec<String>>, RegistryError> {
        if let Some(contexts) = self.caches.contexts.get(&()) {
            return Ok(contexts);
        }
        let ticket = self.caches.ticket();
        let contexts = Source::contexts(&mut self.db().await?).await?;
        self.caches
            .fill(&self.caches.contexts, ticket, (), contexts.clone());
        Ok(contexts)
    }
}

impl SettingsSource for Cached<'_> {
    async fn config(&mut self, scope: &str) -> Result<Option<Arc<Config>>, RegistryError> {
        if let Some(config) = self.caches.configs.get(scope) {
            return Ok(config);
        }
        let ticket = self.caches.ticket();
        let config = SettingsSource::config(&mut self.db().await?, scope).await?;
        self.caches.fill(
            &self.caches.configs,
            ticket,
            scope.to_owned(),
            config.clone(),
        );
        Ok(config)
    }

    async fn mode(&mut self, scope: &str) -> Result<Option<Mode>, RegistryError> {
        if let Some(mode) = self.caches.modes.get(scope) {
            return Ok(mode);
        }
        let ticket = self.caches.ticket();
        let mode = SettingsSource::mode(&mut self.db().await?, scope).await?;
        self.caches
            .fill(&self.caches.modes, ticket, scope.to_owned(), mode);
        Ok(mode)
    }
}

/// The config and mode of a few scopes, read at once: the scope chains of
/// a group of registrations, re-read under the write lock in one query
/// rather than one per scope.
pub struct SettingsSnapshot {
    configs: Vec<(String, Arc<Config>)>,
    modes: Vec<(String, Mode)>,
}

impl SettingsSnapshot {
    pub async fn read(queries: &mut Queries<'_>, scopes: &[String]) -> Result<Self, RegistryError> {
        let mut snapshot = SettingsSnapshot {
            configs: Vec::new(),
            modes: Vec::new(),
        };
        for (is_config, scope, value) in queries.settings_at(scopes).await? {
            if !is_config {
                snapshot.modes.push((scope, value.parse()?));
                continue;
            }
            let stored = serde_json::from_str::<Value>(&value)
                .map_err(|error| crate::store::StoreError::Corrupt(format!("config: {error}")))?;
            snapshot
                .configs
                .push((scope, Arc::new(Config::from_stored(stored)?)));
        }
        Ok(snapshot)
    }
}

impl SettingsSource for SettingsSnapshot {
    async fn config(&mut self, scope: &str) -> Result<Option<Arc<Config>>, RegistryError> {
        Ok(self
            .configs
            .iter()
            .find(|(stored, _)| stored == scope)
            .map(|(_, config)| config.clone()))
    }

    async fn mode(&mut self, scope: &str) -> Result<Option<Mode>, RegistryError> {
        Ok(self
            .modes
            .iter()
            .find(|(stored, _)| stored == scope)
            .map(|(_, mode)| *mode))
    }
}
