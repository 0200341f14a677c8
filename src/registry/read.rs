//! Reads: subjects, versions, schemas by id or GUID, contexts.

use accord_schema::{guid_from_hex, ParsedSchema, SchemaType};

use super::subject::{qualify, split_context, Subject, VersionSpec, DEFAULT_CONTEXT};
use super::{Registry, RegistryError};
use crate::store::{Queries, SchemaRecord, SchemaReference, VersionRecord};

/// A schema as the API shows it, with its subject and version when it was
/// reached through one.
#[derive(Clone, Debug)]
pub struct SchemaView {
    pub subject: Option<String>,
    pub version: Option<i64>,
    pub id: i64,
    pub schema_type: String,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<serde_json::Value>,
    pub rule_set: Option<serde_json::Value>,
    pub guid: String,
    pub deleted: bool,
}

impl SchemaView {
    pub(super) fn of(schema: SchemaRecord, version: Option<&VersionRecord>) -> SchemaView {
        SchemaView {
            subject: version.map(|v| qualify(&v.context, &v.subject)),
            version: version.map(|v| v.version),
            id: schema.id,
            schema_type: schema.schema_type,
            schema: schema.schema,
            references: schema.references,
            metadata: schema.metadata,
            rule_set: schema.rule_set,
            guid: guid_from_hex(&schema.content_hash),
            deleted: version.is_some_and(|v| v.deleted),
        }
    }
}

/// The `format` query parameter of the schema-reading endpoints. It only
/// changes Protobuf schemas; other formats are returned as stored, and an
/// unknown value is ignored, as Confluent does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SchemaFormat {
    #[default]
    Stored,
    /// Base64 of the schema's `FileDescriptorProto`.
    Serialized,
    /// The text without extension ranges and `extend` blocks.
    IgnoreExtensions,
}

impl SchemaFormat {
    pub fn from_param(format: Option<&str>) -> SchemaFormat {
        match format {
            Some("serialized") => SchemaFormat::Serialized,
            Some("ignore_extensions") => SchemaFormat::IgnoreExtensions,
            _ => SchemaFormat::Stored,
        }
    }
}

/// `GET /subjects` filters.
#[derive(Clone, Debug, Default)]
pub struct SubjectListFilter {
    pub prefix: Option<String>,
    pub deleted: bool,
    pub deleted_only: bool,
}

impl SubjectListFilter {
    /// Whether a subject in a context passes the prefix. No prefix, or the
    /// wildcard `:*:`, matches every context; a plain prefix matches names in
    /// the default context; `:.ctx:pre` matches within that context.
    fn matches_prefix(&self, context: &str, name: &str) -> bool {
        match self.prefix.as_deref() {
            None | Some(":*:") => true,
            Some(prefix) => match prefix.strip_prefix(":*:") {
                Some(rest) => name.starts_with(rest),
                None => match split_context(prefix) {
                    Some((ctx, rest)) => ctx == context && name.starts_with(rest),
                    None => context == DEFAULT_CONTEXT && name.starts_with(prefix),
                },
            },
        }
    }
}

/// Applies `offset` and `limit` (≤ 0 = no limit) to a list.
pub fn page<T>(items: Vec<T>, offset: usize, limit: i64) -> Vec<T> {
    let limited = items.into_iter().skip(offset);
    if limit > 0 {
        limited.take(limit as usize).collect()
    } else {
        limited.collect()
    }
}

/// Keeps the versions a `deleted`/`deletedOnly` filter asks for.
fn filter_versions(
    versions: Vec<VersionRecord>,
    deleted: bool,
    deleted_only: bool,
) -> Vec<VersionRecord> {
    versions
        .into_iter()
        .filter(|v| {
            if deleted_only {
                v.deleted
            } else {
                deleted || !v.deleted
            }
        })
        .collect()
}

impl Registry {
    /// The versions of a subject, falling back for an unqualified subject
    /// that is absent from the default context to the same name in another
    /// context.
    pub(super) async fn versions_resolving_context(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
        deleted: bool,
    ) -> Result<(Subject, Vec<VersionRecord>), RegistryError> {
        let visible = |versions: &[VersionRecord]| versions.iter().any(|v| deleted || !v.deleted);
        let versions = queries
            .subject_versions(&subject.context, &subject.name)
            .await?;
        if visible(&versions) || !subject.in_default_context() {
            return Ok((subject.clone(), versions));
        }
        for other in self.same_name_in_other_contexts(queries, subject).await? {
            let found = queries
                .subject_versions(&other.context, &other.name)
                .await?;
            if visible(&found) {
                return Ok((other, found));
            }
        }
        Ok((subject.clone(), versions))
    }

    /// For an unqualified subject, the subjects of the same name in the
    /// other contexts, where Confluent's reads fall back to.
    pub(super) async fn same_name_in_other_contexts(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
    ) -> Result<Vec<Subject>, RegistryError> {
        if !subject.in_default_context() {
            return Ok(Vec::new());
        }
        Ok(queries
            .contexts()
            .await?
            .into_iter()
            .filter(|context| context != DEFAULT_CONTEXT)
            .map(|context| Subject {
                context,
                name: subject.name.clone(),
            })
            .collect())
    }

    pub async fn list_subjects(
        &self,
        filter: &SubjectListFilter,
    ) -> Result<Vec<String>, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut subjects: Vec<String> = reader
            .queries()
            .subjects()
            .await?
            .into_iter()
            .filter(|s| {
                let live = s.live_versions > 0;
                let wanted = if filter.deleted_only {
                    !live
                } else {
                    filter.deleted || live
                };
                wanted && filter.matches_prefix(&s.context, &s.subject)
            })
            .map(|s| qualify(&s.context, &s.subject))
            .collect();
        // Confluent orders by the qualified name.
        subjects.sort();
        Ok(subjects)
    }

    /// The versions of a subject; unlike single-version reads, the list does
    /// not fall back to other contexts (as in Confluent).
    pub async fn list_versions(
        &self,
        subject: &Subject,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<i64>, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let versions = queries
            .subject_versions(&subject.context, &subject.name)
            .await?;
        let wanted = filter_versions(versions.clone(), deleted, deleted_only);
        if wanted.is_empty() && (versions.is_empty() || !(deleted || deleted_only)) {
            // `:.ctx:` names the context itself: an existing context lists
            // no versions rather than being an unknown subject.
            let is_context = subject.name.is_empty() && !subject.in_default_context();
            if is_context && queries.contexts().await?.contains(&subject.context) {
                return Ok(Vec::new());
            }
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        Ok(wanted.into_iter().map(|v| v.version).collect())
    }

    /// Finds one version. `latest` is the highest live version whatever
    /// `deleted` says; a number may name a soft-deleted version if `deleted`.
    pub(super) fn pick_version(
        subject: &Subject,
        versions: &[VersionRecord],
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<VersionRecord, RegistryError> {
        let visible = versions.iter().any(|v| deleted || !v.deleted);
        if !visible {
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        let found = match spec {
            VersionSpec::Latest => versions.iter().rev().find(|v| !v.deleted),
            VersionSpec::Number(n) => versions
                .iter()
                .find(|v| v.version == n && (deleted || !v.deleted)),
        };
        found.cloned().ok_or_else(|| {
            RegistryError::VersionNotFound(match spec {
                // Confluent resolves `latest` to -1 before it reports.
                VersionSpec::Latest => "-1".to_owned(),
                VersionSpec::Number(n) => n.to_string(),
            })
        })
    }

    pub async fn get_version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
        format: SchemaFormat,
    ) -> Result<SchemaView, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let (subject, versions) = self
            .versions_resolving_context(&mut queries, subject, deleted)
            .await?;
        let version = Self::pick_version(&subject, &versions, spec, deleted)?;
        let mut schema = queries
            .schema_by_id(&version.context, version.schema_id)
            .await?
            .ok_or_else(|| RegistryError::Internal(format!("version {version:?} has no schema")))?;
        schema.schema = self.render(&mut queries, &schema, format).await?;
        Ok(SchemaView::of(schema, Some(&version)))
    }

    /// The schema's text in the requested format.
    async fn render(
        &self,
        queries: &mut Queries<'_>,
        schema: &SchemaRecord,
        format: SchemaFormat,
    ) -> Result<String, RegistryError> {
        if format == SchemaFormat::Stored || schema.schema_type != SchemaType::Protobuf.as_str() {
            return Ok(schema.schema.clone());
        }
        let subject = Subject {
            context: schema.context.clone(),
            name: String::new(),
        };
        let parsed = self.parse_stored(queries, &subject, schema).await?;
        let ParsedSchema::Protobuf(protobuf) = parsed.as_ref() else {
            return Ok(schema.schema.clone());
        };
        Ok(match format {
            SchemaFormat::Serialized => protobuf.serialized(),
            SchemaFormat::IgnoreExtensions => protobuf.without_extensions(),
            SchemaFormat::Stored => schema.schema.clone(),
        })
    }

    /// The context an id is looked up in, given the optional `subject` query
    /// parameter, and the contexts to fall back to.
    async fn contexts_for_id_lookup(
        &self,
        queries: &mut Queries<'_>,
        subject: Option<&str>,
    ) -> Result<Vec<String>, RegistryError> {
        let Some(raw) = subject.filter(|s| !s.is_empty()) else {
            return Ok(vec![DEFAULT_CONTEXT.to_owned()]);
        };
        let subject = Subject::parse(raw);
        let mut contexts = vec![subject.context.clone()];
        if subject.in_default_context() {
            for context in queries.contexts().await? {
                if !contexts.contains(&context)
                    && !queries
                        .subject_versions(&context, &subject.name)
                        .await?
                        .is_empty()
                {
                    contexts.push(context);
                }
            }
        }
        Ok(contexts)
    }

    async fn find_schema_by_id(
        &self,
        queries: &mut Queries<'_>,
        id: i64,
        subject: Option<&str>,
    ) -> Result<SchemaRecord, RegistryError> {
        for context in self.contexts_for_id_lookup(queries, subject).await? {
            if let Some(schema) = queries.schema_by_id(&context, id).await? {
                return Ok(schema);
            }
        }
        Err(RegistryError::SchemaIdNotFound(id.to_string()))
    }

    pub async fn schema_by_id(
        &self,
        id: i64,
        subject: Option<&str>,
        format: SchemaFormat,
    ) -> Result<SchemaView, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let mut schema = self.find_schema_by_id(&mut queries, id, subject).await?;
        schema.schema = self.render(&mut queries, &schema, format).await?;
        Ok(SchemaView::of(schema, None))
    }

    /// The highest id handed out in the default context (`fetchMaxId`).
    pub async fn max_id(&self, context: &str) -> Result<i64, RegistryError> {
        let mut reader = self.store.reader().await?;
        Ok(reader.queries().max_id(context).await?)
    }

    /// The schema whose GUID is `guid`, in `format` (the Protobuf
    /// deserializers of Confluent's clients ask for `serialized`).
    pub async fn schema_by_guid(
        &self,
        guid: &str,
        format: SchemaFormat,
    ) -> Result<SchemaView, RegistryError> {
        let hash: String = guid
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let found = queries.schemas_by_hash_in_all_contexts(&hash).await?;
        let mut schema = found
            .into_iter()
            .next()
            .ok_or_else(|| RegistryError::SchemaIdNotFound(guid.to_owned()))?;
        schema.schema = self.render(&mut queries, &schema, format).await?;
        Ok(SchemaView::of(schema, None))
    }

    /// The versions that carry an id (`/schemas/ids/{id}/versions` and `/subjects`).
    pub async fn versions_of_id(
        &self,
        id: i64,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<VersionRecord>, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let schema = match self.find_schema_by_id(&mut queries, id, subject).await {
            Err(RegistryError::SchemaIdNotFound(_)) => return Err(RegistryError::SchemaNotFound),
            other => other?,
        };
        let versions = queries
            .versions_of_schema(&schema.context, schema.id)
            .await?;
        Ok(filter_versions(versions, deleted, false))
    }

    pub async fn list_schemas(
        &self,
        filter: &SubjectListFilter,
        latest_only: bool,
    ) -> Result<Vec<SchemaView>, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut rows: Vec<_> = reader
            .queries()
            .versions_with_schemas()
            .await?
            .into_iter()
            .filter(|(v, _)| {
                (filter.deleted || !v.deleted) && filter.matches_prefix(&v.context, &v.subject)
            })
            .collect();
        rows.sort_by(|(a, _), (b, _)| {
            (&a.context, &a.subject, a.version).cmp(&(&b.context, &b.subject, b.version))
        });
        if latest_only {
            let mut latest: Vec<(VersionRecord, SchemaRecord)> = Vec::new();
            for row in rows {
                match latest.last_mut() {
                    Some(last)
                        if last.0.context == row.0.context && last.0.subject == row.0.subject =>
                    {
                        *last = row
                    }
                    _ => latest.push(row),
                }
            }
            rows = latest;
        }
        Ok(rows
            .into_iter()
            .map(|(version, schema)| SchemaView::of(schema, Some(&version)))
            .collect())
    }

    pub async fn referenced_by(
        &self,
        subject: &Subject,
        spec: VersionSpec,
    ) -> Result<Vec<i64>, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let (subject, versions) = self
            .versions_resolving_context(&mut queries, subject, true)
            .await?;
        let version = Self::pick_version(&subject, &versions, spec, true)?;
        Ok(queries
            // Soft-deleted referrers are not listed, as in Confluent.
            .referencing_schema_ids(&version.context, &version.subject, version.version, true)
            .await?)
    }

    /// Contexts, the default one first.
    pub async fn contexts(&self) -> Result<Vec<String>, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut contexts = vec![DEFAULT_CONTEXT.to_owned()];
        contexts.extend(
            reader
                .queries()
                .contexts()
                .await?
                .into_iter()
                .filter(|c| c != DEFAULT_CONTEXT),
        );
        Ok(contexts)
    }

    /// Removes an empty context.
    pub async fn delete_context(&self, context: &str) -> Result<(), RegistryError> {
        let mut tx = self.store.begin_write(context).await?;
        let mut queries = tx.queries();
        let in_use = queries
            .subjects()
            .await?
            .iter()
            .any(|s| s.context == context);
        if in_use {
            return Err(RegistryError::ContextNotEmpty(context.to_owned()));
        }
        queries.delete_context(context).await?;
        tx.commit().await?;
        Ok(())
    }
}
