//! Reads: subjects, versions, schemas by id or GUID, contexts.

use std::sync::Arc;

use accord_schema::{guid_from_hex, ParsedSchema, SchemaType};

use bytes::Bytes;

use super::cache::{Rendered, ResponseKey, VersionResponseKey};
use super::history::{SubjectHistory, VersionEntry};
use super::source::Source;
use super::subject::{qualify, split_context, Subject, VersionSpec, DEFAULT_CONTEXT};
use super::{Registry, RegistryError};
use crate::domain::{Page, SchemaId, SchemaReference, Version};
use crate::store::{ListFilter, LiveFilter, SchemaRecord, VersionRecord};

/// A schema as the API shows it, with its subject and version when it was
/// reached through one.
#[derive(Clone, Debug)]
pub struct SchemaView {
    pub subject: Option<String>,
    pub version: Option<Version>,
    pub id: SchemaId,
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<serde_json::Value>,
    pub rule_set: Option<serde_json::Value>,
    pub guid: String,
    pub deleted: bool,
}

impl SchemaView {
    pub(super) fn of(
        schema: &SchemaRecord,
        version: Option<(&Subject, VersionEntry)>,
    ) -> SchemaView {
        SchemaView {
            subject: version.map(|(subject, _)| subject.qualified()),
            version: version.map(|(_, entry)| entry.version),
            id: schema.id,
            schema_type: schema.schema_type,
            schema: schema.schema.clone(),
            references: schema.references.clone(),
            metadata: schema.metadata.clone(),
            rule_set: schema.rule_set.clone(),
            guid: guid_from_hex(&schema.content_hash),
            deleted: version.is_some_and(|(_, entry)| entry.deleted),
        }
    }

    pub(super) fn of_record(schema: SchemaRecord, version: &VersionRecord) -> SchemaView {
        SchemaView {
            subject: Some(qualify(&version.context, &version.subject)),
            version: Some(version.version),
            id: schema.id,
            schema_type: schema.schema_type,
            schema: schema.schema,
            references: schema.references,
            metadata: schema.metadata,
            rule_set: schema.rule_set,
            guid: guid_from_hex(&schema.content_hash),
            deleted: version.deleted,
        }
    }
}

/// The `format` query parameter of the schema-reading endpoints. It only
/// changes Protobuf schemas; other formats are returned as stored, and an
/// unknown value is ignored, as Confluent does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SchemaFormat {
    #[default]
    Stored,
    /// Base64 of the schema's `FileDescriptorProto`.
    Serialized,
    /// The text without extension ranges and `extend` blocks.
    IgnoreExtensions,
}

impl SchemaFormat {
    pub const ALL: [SchemaFormat; 3] = [
        SchemaFormat::Stored,
        SchemaFormat::Serialized,
        SchemaFormat::IgnoreExtensions,
    ];

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
    /// The store's filter for the prefix. No prefix, or the wildcard `:*:`,
    /// matches every context; a plain prefix matches names in the default
    /// context; `:.ctx:pre` matches within that context.
    fn store_filter(&self) -> ListFilter {
        let (context, name_prefix) = match self.prefix.as_deref() {
            None => (None, ""),
            Some(prefix) => match prefix.strip_prefix(":*:") {
                Some(rest) => (None, rest),
                None => match split_context(prefix) {
                    Some((context, rest)) => (Some(context), rest),
                    None => (Some(DEFAULT_CONTEXT), prefix),
                },
            },
        };
        ListFilter {
            context: context.map(str::to_owned),
            name_prefix: name_prefix.to_owned(),
        }
    }

    fn live_filter(&self) -> LiveFilter {
        match (self.deleted_only, self.deleted) {
            (true, _) => LiveFilter::NoneLive,
            (false, true) => LiveFilter::Any,
            (false, false) => LiveFilter::SomeLive,
        }
    }
}

impl Registry {
    /// The versions of a subject, falling back for an unqualified subject
    /// that is absent from the default context to the same name in another
    /// context.
    pub(super) async fn versions_resolving_context(
        &self,
        source: &mut impl Source,
        subject: &Subject,
        deleted: bool,
    ) -> Result<(Subject, Arc<SubjectHistory>), RegistryError> {
        let visible =
            |history: &SubjectHistory| !history.is_empty() && history.any_visible(deleted);
        let history = source.history(&subject.context, &subject.name).await?;
        if visible(&history) || !subject.in_default_context() {
            return Ok((subject.clone(), history));
        }
        for other in self.same_name_in_other_contexts(source, subject).await? {
            let found = source.history(&other.context, &other.name).await?;
            if visible(&found) {
                return Ok((other, found));
            }
        }
        Ok((subject.clone(), history))
    }

    /// For an unqualified subject, the subjects of the same name in the
    /// other contexts, where Confluent's reads fall back to.
    pub(super) async fn same_name_in_other_contexts(
        &self,
        source: &mut impl Source,
        subject: &Subject,
    ) -> Result<Vec<Subject>, RegistryError> {
        if !subject.in_default_context() {
            return Ok(Vec::new());
        }
        Ok(source
            .contexts()
            .await?
            .iter()
            .filter(|context| *context != DEFAULT_CONTEXT)
            .map(|context| Subject {
                context: context.clone(),
                name: subject.name.clone(),
            })
            // Never fall back to a subject the caller may not read.
            .filter(|other| super::visibility::may_see(&other.qualified()))
            .collect())
    }

    /// One page of subject names, ordered by qualified name as Confluent
    /// orders them; only the page is read.
    pub async fn list_subjects(
        &self,
        filter: &SubjectListFilter,
        page: Page,
    ) -> Result<Vec<String>, RegistryError> {
        let mut reader = self.store.reader().await?;
        Ok(reader
            .queries()
            .subjects_page(&filter.store_filter(), filter.live_filter(), page)
            .await?
            .into_iter()
            .map(|s| qualify(&s.context, &s.subject))
            .collect())
    }

    /// The versions of a subject; unlike single-version reads, the list does
    /// not fall back to other contexts (as in Confluent).
    pub async fn list_versions(
        &self,
        subject: &Subject,
        deleted: bool,
        deleted_only: bool,
    ) -> Result<Vec<Version>, RegistryError> {
        let mut source = self.cached();
        let history = source.history(&subject.context, &subject.name).await?;
        let wanted = history.filtered(deleted, deleted_only);
        if wanted.is_empty() && (history.is_empty() || !(deleted || deleted_only)) {
            // `:.ctx:` names the context itself: an existing context lists
            // no versions rather than being an unknown subject.
            let is_context = subject.name.is_empty() && !subject.in_default_context();
            if is_context && source.contexts().await?.contains(&subject.context) {
                return Ok(Vec::new());
            }
            return Err(RegistryError::SubjectNotFound(subject.qualified()));
        }
        Ok(wanted.into_iter().map(|v| v.version).collect())
    }

    pub async fn get_version(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
        format: SchemaFormat,
    ) -> Result<SchemaView, RegistryError> {
        let mut source = self.cached();
        let (subject, version, schema) = self
            .find_version(&mut source, subject, spec, deleted)
            .await?;
        let mut view = SchemaView::of(&schema, Some((&subject, version)));
        if let Some(text) = self.render(&mut source, &schema, format).await? {
            view.schema = text;
        }
        Ok(view)
    }

    /// The version a request names, with the subject it was found under
    /// (another context's, for an unqualified name) and its schema.
    async fn find_version(
        &self,
        source: &mut impl Source,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
    ) -> Result<(Subject, VersionEntry, Arc<SchemaRecord>), RegistryError> {
        let (subject, history) = self
            .versions_resolving_context(source, subject, deleted)
            .await?;
        let version = history.pick(&subject, spec, deleted)?;
        let schema = stored_schema(source, &subject.context, version.schema_id).await?;
        Ok((subject, version, schema))
    }

    /// `get_version`'s answer rendered by `render`, once per version and
    /// format, then served from the cache.
    pub async fn version_response(
        &self,
        subject: &Subject,
        spec: VersionSpec,
        deleted: bool,
        format: SchemaFormat,
        render: impl FnOnce(&SchemaView) -> Vec<u8>,
    ) -> Result<Bytes, RegistryError> {
        let mut source = self.cached();
        let (subject, version, schema) = self
            .find_version(&mut source, subject, spec, deleted)
            .await?;
        self.cached_version_response(&mut source, &subject, version, &schema, format, render)
            .await
    }

    pub(super) async fn cached_version_response(
        &self,
        source: &mut impl Source,
        subject: &Subject,
        version: VersionEntry,
        schema: &SchemaRecord,
        format: SchemaFormat,
        render: impl FnOnce(&SchemaView) -> Vec<u8>,
    ) -> Result<Bytes, RegistryError> {
        let key = VersionResponseKey {
            context: subject.context.clone(),
            subject: subject.name.clone(),
            version: version.version,
            id: schema.id,
            content_hash: schema.content_hash.clone(),
            format,
        };
        if let Some(body) = self.caches.version_responses.get(&key) {
            return Ok(body);
        }
        let mut view = SchemaView::of(schema, Some((subject, version)));
        if let Some(text) = self.render(source, schema, format).await? {
            view.schema = text;
        }
        let body = Bytes::from(render(&view));
        self.caches
            .insert_immutable(&self.caches.version_responses, key, body.clone());
        Ok(body)
    }

    /// The schema's text in the requested format, where it differs from the
    /// stored text.
    async fn render(
        &self,
        source: &mut impl Source,
        schema: &SchemaRecord,
        format: SchemaFormat,
    ) -> Result<Option<String>, RegistryError> {
        if format == SchemaFormat::Stored || schema.schema_type != SchemaType::Protobuf {
            return Ok(None);
        }
        let subject = Subject {
            context: schema.context.clone(),
            name: String::new(),
        };
        let parsed = self.parse_stored(source, &subject, schema).await?;
        let ParsedSchema::Protobuf(protobuf) = parsed.as_ref() else {
            return Ok(None);
        };
        Ok(match format {
            SchemaFormat::Serialized => Some(protobuf.serialized()),
            SchemaFormat::IgnoreExtensions => Some(protobuf.without_extensions()),
            SchemaFormat::Stored => None,
        })
    }

    /// The context an id is looked up in, given the optional `subject` query
    /// parameter, and the contexts to fall back to.
    async fn contexts_for_id_lookup(
        &self,
        source: &mut impl Source,
        subject: Option<&str>,
    ) -> Result<Vec<String>, RegistryError> {
        let Some(raw) = subject.filter(|s| !s.is_empty()) else {
            return Ok(vec![DEFAULT_CONTEXT.to_owned()]);
        };
        let subject = Subject::parse(raw);
        let mut contexts = vec![subject.context.clone()];
        if subject.in_default_context() {
            let all = source.contexts().await?;
            for context in all.iter() {
                if !contexts.contains(context)
                    && !source.history(context, &subject.name).await?.is_empty()
                {
                    contexts.push(context.clone());
                }
            }
        }
        Ok(contexts)
    }

    async fn find_schema_by_id(
        &self,
        source: &mut impl Source,
        id: SchemaId,
        subject: Option<&str>,
    ) -> Result<Arc<SchemaRecord>, RegistryError> {
        for context in self.contexts_for_id_lookup(source, subject).await? {
            if let Some(schema) = source.schema(&context, id).await? {
                return Ok(schema);
            }
        }
        Err(RegistryError::SchemaIdNotFound(id.to_string()))
    }

    pub async fn schema_by_id(
        &self,
        id: SchemaId,
        subject: Option<&str>,
        format: SchemaFormat,
    ) -> Result<SchemaView, RegistryError> {
        let mut source = self.cached();
        let schema = self.find_schema_by_id(&mut source, id, subject).await?;
        self.view_in_format(&mut source, &schema, format).await
    }

    async fn view_in_format(
        &self,
        source: &mut impl Source,
        schema: &SchemaRecord,
        format: SchemaFormat,
    ) -> Result<SchemaView, RegistryError> {
        let mut view = SchemaView::of(schema, None);
        if let Some(text) = self.render(source, schema, format).await? {
            view.schema = text;
        }
        Ok(view)
    }

    /// The response for one schema by id, rendered by `render` once per
    /// (context, id, format) and then served from the cache: a schema's id
    /// names the same bytes until it is deleted for good.
    pub async fn schema_response_by_id(
        &self,
        id: SchemaId,
        subject: Option<&str>,
        format: SchemaFormat,
        render: impl FnOnce(&SchemaView) -> Vec<u8>,
    ) -> Result<Rendered, RegistryError> {
        if subject.is_none_or(str::is_empty) {
            // The default context's: answered without looking anything else up.
            let key = ResponseKey {
                context: DEFAULT_CONTEXT.to_owned(),
                id,
                format,
            };
            if let Some(rendered) = self.caches.responses.get(&key) {
                return Ok(rendered);
            }
        }
        let mut source = self.cached();
        let ticket = self.caches.ticket();
        let schema = self.find_schema_by_id(&mut source, id, subject).await?;
        self.cached_response(&mut source, ticket, &schema, format, render)
            .await
    }

    async fn cached_response(
        &self,
        source: &mut impl Source,
        ticket: super::cache::Ticket,
        schema: &SchemaRecord,
        format: SchemaFormat,
        render: impl FnOnce(&SchemaView) -> Vec<u8>,
    ) -> Result<Rendered, RegistryError> {
        let key = ResponseKey {
            context: schema.context.clone(),
            id: schema.id,
            format,
        };
        if let Some(rendered) = self.caches.responses.get(&key) {
            return Ok(rendered);
        }
        let view = self.view_in_format(source, schema, format).await?;
        let suffix = match format {
            SchemaFormat::Stored => "",
            SchemaFormat::Serialized => "-s",
            SchemaFormat::IgnoreExtensions => "-x",
        };
        let rendered = Rendered {
            body: render(&view).into(),
            // The content hash fixes the schema; the id is part of the body.
            etag: http::HeaderValue::from_str(&format!(
                "\"{}-{}{suffix}\"",
                schema.content_hash, schema.id
            ))
            .map_err(|_| RegistryError::Internal("an entity tag that is not ASCII".to_owned()))?,
        };
        self.caches
            .fill(&self.caches.responses, ticket, key, rendered.clone());
        Ok(rendered)
    }

    /// The highest id handed out in the default context (`fetchMaxId`).
    pub async fn max_id(&self, context: &str) -> Result<Option<SchemaId>, RegistryError> {
        let mut reader = self.store.reader().await?;
        Ok(reader.queries().max_id(context).await?)
    }

    /// The schema a GUID names: the content hash, found in the default
    /// context first.
    async fn find_schema_by_guid(
        &self,
        source: &mut super::source::Cached<'_>,
        guid: &str,
    ) -> Result<Arc<SchemaRecord>, RegistryError> {
        let hash = guid_hash(guid);
        if let Some((context, id)) = self.caches.guids.get(hash.as_str()) {
            if let Some(schema) = source.schema(&context, id).await? {
                return Ok(schema);
            }
        }
        let ticket = self.caches.ticket();
        let found = source
            .db()
            .await?
            .schemas_by_hash_in_all_contexts(&hash)
            .await?;
        let schema = found
            .into_iter()
            .next()
            .map(Arc::new)
            .ok_or_else(|| RegistryError::SchemaIdNotFound(guid.to_owned()))?;
        self.caches.fill(
            &self.caches.guids,
            ticket,
            hash,
            (schema.context.clone(), schema.id),
        );
        Ok(schema)
    }

    /// The schema whose GUID is `guid`, in `format` (the Protobuf
    /// deserializers of Confluent's clients ask for `serialized`).
    pub async fn schema_by_guid(
        &self,
        guid: &str,
        format: SchemaFormat,
    ) -> Result<SchemaView, RegistryError> {
        let mut source = self.cached();
        let schema = self.find_schema_by_guid(&mut source, guid).await?;
        self.view_in_format(&mut source, &schema, format).await
    }

    /// Like `schema_response_by_id`, by GUID.
    pub async fn schema_response_by_guid(
        &self,
        guid: &str,
        format: SchemaFormat,
        render: impl FnOnce(&SchemaView) -> Vec<u8>,
    ) -> Result<Rendered, RegistryError> {
        if let Some((context, id)) = self.caches.guids.get(guid_hash(guid).as_str()) {
            if let Some(rendered) = self.caches.responses.get(&ResponseKey {
                context,
                id,
                format,
            }) {
                return Ok(rendered);
            }
        }
        let mut source = self.cached();
        let ticket = self.caches.ticket();
        let schema = self.find_schema_by_guid(&mut source, guid).await?;
        self.cached_response(&mut source, ticket, &schema, format, render)
            .await
    }

    /// The versions that carry an id (`/schemas/ids/{id}/versions` and `/subjects`).
    pub async fn versions_of_id(
        &self,
        id: SchemaId,
        subject: Option<&str>,
        deleted: bool,
    ) -> Result<Vec<(Subject, Version)>, RegistryError> {
        let mut source = self.cached();
        let schema = match self.find_schema_by_id(&mut source, id, subject).await {
            Err(RegistryError::SchemaIdNotFound(_)) => return Err(RegistryError::SchemaNotFound),
            other => other?,
        };
        Self::versions_carrying(&mut source, &schema, deleted).await
    }

    /// The subjects and versions that carry the schema a GUID names, in
    /// the context where it is found first (for authorisation).
    pub async fn versions_of_guid(
        &self,
        guid: &str,
    ) -> Result<Vec<(Subject, Version)>, RegistryError> {
        let mut source = self.cached();
        let schema = self.find_schema_by_guid(&mut source, guid).await?;
        Self::versions_carrying(&mut source, &schema, true).await
    }

    async fn versions_carrying(
        source: &mut super::source::Cached<'_>,
        schema: &SchemaRecord,
        deleted: bool,
    ) -> Result<Vec<(Subject, Version)>, RegistryError> {
        let versions = source
            .db()
            .await?
            .versions_of_schema(&schema.context, schema.id)
            .await?;
        Ok(versions
            .into_iter()
            .filter(|v| deleted || !v.deleted)
            .map(|v| {
                let subject = Subject {
                    context: v.context,
                    name: v.subject,
                };
                (subject, v.version)
            })
            .collect())
    }

    /// One page of versions with their schemas (`GET /schemas`); only the
    /// page is read.
    pub async fn list_schemas(
        &self,
        filter: &SubjectListFilter,
        latest_only: bool,
        page: Page,
    ) -> Result<Vec<SchemaView>, RegistryError> {
        let mut reader = self.store.reader().await?;
        Ok(reader
            .queries()
            .versions_with_schemas_page(&filter.store_filter(), filter.deleted, latest_only, page)
            .await?
            .into_iter()
            .map(|(version, schema)| SchemaView::of_record(schema, &version))
            .collect())
    }

    pub async fn referenced_by(
        &self,
        subject: &Subject,
        spec: VersionSpec,
    ) -> Result<Vec<SchemaId>, RegistryError> {
        let mut source = self.cached();
        let (subject, history) = self
            .versions_resolving_context(&mut source, subject, true)
            .await?;
        let version = history.pick(&subject, spec, true)?;
        Ok(source
            .db()
            .await?
            // Soft-deleted referrers are not listed, as in Confluent.
            .referencing_schema_ids(&subject.context, &subject.name, version.version, true)
            .await?)
    }

    /// Contexts, the default one first.
    pub async fn contexts(&self) -> Result<Vec<String>, RegistryError> {
        let mut contexts = vec![DEFAULT_CONTEXT.to_owned()];
        contexts.extend(
            self.cached()
                .contexts()
                .await?
                .iter()
                .filter(|c| *c != DEFAULT_CONTEXT)
                .cloned(),
        );
        Ok(contexts)
    }

    /// The contexts holding a subject that `readable` accepts (by qualified
    /// name), for callers who may not see every context.
    pub async fn readable_contexts(
        &self,
        readable: impl Fn(&str) -> bool,
    ) -> Result<std::collections::HashSet<String>, RegistryError> {
        let mut reader = self.store.reader().await?;
        Ok(reader
            .queries()
            .subjects()
            .await?
            .into_iter()
            .filter(|s| readable(&qualify(&s.context, &s.subject)))
            .map(|s| s.context)
            .collect())
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
        crate::audit::record(&mut tx, serde_json::json!({ "context": context }));
        self.caches.apply(&tx.commit().await?);
        Ok(())
    }
}

/// The content hash a GUID spells: case and dashes do not matter.
fn guid_hash(guid: &str) -> String {
    guid.chars()
        .filter(|c| *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The schema a version carries; a version without one is corrupt data.
pub(super) async fn stored_schema(
    source: &mut impl Source,
    context: &str,
    id: SchemaId,
) -> Result<Arc<SchemaRecord>, RegistryError> {
    source
        .schema(context, id)
        .await?
        .ok_or_else(|| RegistryError::Internal(format!("schema {id} of a version is missing")))
}
