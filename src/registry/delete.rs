//! Soft and permanent deletes of versions and subjects.

use super::config::{read_only, Scope};
use super::history::{SubjectHistory, VersionEntry};
use super::source::Source;
use super::subject::{Subject, VersionSpec};
use super::{Registry, RegistryError};
use crate::audit;
use crate::domain::Version;
use crate::store::Queries;
use serde_json::json;
use std::sync::Arc;

impl Registry {
    /// Refuses to delete a version that live schemas still reference. As in
    /// Confluent, referrers that are themselves soft-deleted do not count,
    /// for soft and permanent deletes alike.
    async fn ensure_unreferenced(
        queries: &mut Queries<'_>,
        subject: &Subject,
        version: &VersionEntry,
    ) -> Result<(), RegistryError> {
        let referrers = queries
            .referencing_schema_ids(&subject.context, &subject.name, version.version, true)
            .await?;
        if referrers.is_empty() {
            Ok(())
        } else {
            Err(RegistryError::ReferenceExists((
                subject.qualified(),
                version.version,
            )))
        }
    }

    /// The subject's versions, once its mode allows deletes and it has any.
    async fn versions_to_delete(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
    ) -> Result<Arc<SubjectHistory>, RegistryError> {
        let mode = self
            .effective_mode_in(queries, &Scope::Subject(subject.clone()))
            .await?;
        if mode.is_read_only() {
            return Err(read_only(&subject.qualified()));
        }
        let history = queries.history(&subject.context, &subject.name).await?;
        if history.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        Ok(history)
    }

    /// `DELETE /subjects/{s}/versions/{v}`: returns the deleted version.
    pub async fn delete_version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<Version, RegistryError> {
        let mut tx = self.store.begin_write(&subject.context).await?;
        let mut queries = tx.queries();
        let history = self.versions_to_delete(&mut queries, subject).await?;
        let version = history.pick_for_delete(spec)?;
        if permanent {
            if !version.deleted {
                return Err(RegistryError::VersionNotSoftDeleted(
                    subject.qualified(),
                    version.version,
                ));
            }
            Self::ensure_unreferenced(&mut queries, subject, &version).await?;
            queries
                .hard_delete_version(
                    &subject.context,
                    &subject.name,
                    version.version,
                    version.schema_id,
                )
                .await?;
            if history.len() == 1 {
                Self::forget_subject_settings(&mut queries, subject).await?;
            }
        } else {
            if version.deleted {
                return Err(RegistryError::VersionSoftDeleted(
                    subject.qualified(),
                    version.version,
                ));
            }
            Self::ensure_unreferenced(&mut queries, subject, &version).await?;
            queries
                .soft_delete_version(&subject.context, &subject.name, version.version)
                .await?;
        }
        let details = json!({
            "subject": subject.qualified(),
            "version": version.version,
            "id": version.schema_id,
            "permanent": permanent,
        });
        audit::record(&mut tx, details);
        self.caches.apply(&tx.commit().await?);
        Ok(version.version)
    }

    /// `DELETE /subjects/{s}`: returns the versions deleted, ascending.
    pub async fn delete_subject(
        &self,
        subject: &Subject,
        permanent: bool,
    ) -> Result<Vec<Version>, RegistryError> {
        let mut tx = self.store.begin_write(&subject.context).await?;
        let mut queries = tx.queries();
        let history = self.versions_to_delete(&mut queries, subject).await?;
        let any_live = history.latest_live().is_some();
        let deleted: Vec<Version> = if permanent {
            // Confluent reports live referrers before a missing soft delete.
            for version in history.all() {
                Self::ensure_unreferenced(&mut queries, subject, version).await?;
            }
            if any_live {
                return Err(RegistryError::SubjectNotSoftDeleted(subject.qualified()));
            }
            for version in history.all() {
                queries
                    .hard_delete_version(
                        &subject.context,
                        &subject.name,
                        version.version,
                        version.schema_id,
                    )
                    .await?;
            }
            Self::forget_subject_settings(&mut queries, subject).await?;
            history.all().iter().map(|v| v.version).collect()
        } else {
            if !any_live {
                return Err(RegistryError::SubjectSoftDeleted(subject.qualified()));
            }
            for version in history.live() {
                Self::ensure_unreferenced(&mut queries, subject, version).await?;
            }
            let live: Vec<VersionEntry> = history.live().copied().collect();
            for version in &live {
                queries
                    .soft_delete_version(&subject.context, &subject.name, version.version)
                    .await?;
            }
            live.iter().map(|v| v.version).collect()
        };
        let details = json!({
            "subject": subject.qualified(),
            "versions": deleted,
            "permanent": permanent,
        });
        audit::record(&mut tx, details);
        self.caches.apply(&tx.commit().await?);
        Ok(deleted)
    }

    /// A subject deleted for good takes its config and mode with it.
    async fn forget_subject_settings(
        queries: &mut Queries<'_>,
        subject: &Subject,
    ) -> Result<(), RegistryError> {
        queries.delete_config(&subject.qualified()).await?;
        queries.delete_mode(&subject.qualified()).await?;
        Ok(())
    }
}
