//! Soft and permanent deletes of versions and subjects.

use super::config::{read_only, Scope};
use super::subject::{Subject, VersionSpec};
use super::{Registry, RegistryError};
use crate::store::{Queries, VersionRecord};

impl Registry {
    /// Refuses to delete a version that live schemas still reference. As in
    /// Confluent, referrers that are themselves soft-deleted do not count,
    /// for soft and permanent deletes alike.
    async fn ensure_unreferenced(
        queries: &mut Queries<'_>,
        version: &VersionRecord,
    ) -> Result<(), RegistryError> {
        let referrers = queries
            .referencing_schema_ids(&version.context, &version.subject, version.version, true)
            .await?;
        if referrers.is_empty() {
            Ok(())
        } else {
            Err(RegistryError::ReferenceExists((
                super::subject::qualify(&version.context, &version.subject),
                version.version,
            )))
        }
    }

    /// The subject's versions, once its mode allows deletes and it has any.
    async fn versions_to_delete(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
    ) -> Result<Vec<VersionRecord>, RegistryError> {
        let mode = self
            .effective_mode_in(queries, &Scope::Subject(subject.clone()))
            .await?;
        if mode.is_read_only() {
            return Err(read_only(&subject.qualified()));
        }
        let versions = queries
            .subject_versions(&subject.context, &subject.name)
            .await?;
        if versions.is_empty() {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        Ok(versions)
    }

    /// `DELETE /subjects/{s}/versions/{v}`: returns the deleted version.
    pub async fn delete_version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        permanent: bool,
    ) -> Result<i64, RegistryError> {
        let mut tx = self.store.begin_write(&subject.context).await?;
        let mut queries = tx.queries();
        let versions = self.versions_to_delete(&mut queries, subject).await?;
        let version = match spec {
            VersionSpec::Latest => versions.iter().rev().find(|v| !v.deleted),
            VersionSpec::Number(n) => versions.iter().find(|v| v.version == n),
        }
        .cloned()
        .ok_or_else(|| {
            RegistryError::VersionNotFound(match spec {
                VersionSpec::Latest => "-1".to_owned(),
                VersionSpec::Number(n) => n.to_string(),
            })
        })?;
        if permanent {
            if !version.deleted {
                return Err(RegistryError::VersionNotSoftDeleted(
                    subject.qualified(),
                    version.version,
                ));
            }
            Self::ensure_unreferenced(&mut queries, &version).await?;
            queries
                .hard_delete_version(
                    &subject.context,
                    &subject.name,
                    version.version,
                    version.schema_id,
                )
                .await?;
            if versions.len() == 1 {
                Self::forget_subject_settings(&mut queries, subject).await?;
            }
        } else {
            if version.deleted {
                return Err(RegistryError::VersionSoftDeleted(
                    subject.qualified(),
                    version.version,
                ));
            }
            Self::ensure_unreferenced(&mut queries, &version).await?;
            queries
                .soft_delete_version(&subject.context, &subject.name, version.version)
                .await?;
        }
        self.caches.apply(&tx.commit().await?);
        Ok(version.version)
    }

    /// `DELETE /subjects/{s}`: returns the versions deleted, ascending.
    pub async fn delete_subject(
        &self,
        subject: &Subject,
        permanent: bool,
    ) -> Result<Vec<i64>, RegistryError> {
        let mut tx = self.store.begin_write(&subject.context).await?;
        let mut queries = tx.queries();
        let versions = self.versions_to_delete(&mut queries, subject).await?;
        let any_live = versions.iter().any(|v| !v.deleted);
        let deleted: Vec<i64> = if permanent {
            // Confluent reports live referrers before a missing soft delete.
            for version in &versions {
                Self::ensure_unreferenced(&mut queries, version).await?;
            }
            if any_live {
                return Err(RegistryError::SubjectNotSoftDeleted(subject.qualified()));
            }
            for version in &versions {
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
            versions.iter().map(|v| v.version).collect()
        } else {
            if !any_live {
                return Err(RegistryError::SubjectSoftDeleted(subject.qualified()));
            }
            let live: Vec<&VersionRecord> = versions.iter().filter(|v| !v.deleted).collect();
            for version in &live {
                Self::ensure_unreferenced(&mut queries, version).await?;
            }
            for version in &live {
                queries
                    .soft_delete_version(&subject.context, &subject.name, version.version)
                    .await?;
            }
            live.iter().map(|v| v.version).collect()
        };
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
