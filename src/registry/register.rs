//! Registration, lookup by content, and preparing a submitted schema
//! (type, size, references, parse, canonical text, identity).

use std::collections::HashSet;
use std::sync::Arc;

use accord_schema::{
    guid_from_hex, hash_hex, identity_hash, IdentityInput, ParseOptions, ParsedSchema,
    ResolvedReference, SchemaType,
};
use serde_json::Value;

use super::read::SchemaView;
use super::settings::{read_only, Mode, Scope};
use super::subject::Subject;
use super::{Registry, RegistryError};
use crate::store::{Queries, SchemaRecord, SchemaReference, VersionRecord};

/// A registration or lookup body, after JSON decoding.
#[derive(Clone, Debug, Default)]
pub struct RegisterRequest {
    pub schema: Option<String>,
    pub schema_type: Option<String>,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    /// Explicit id (IMPORT mode only).
    pub id: Option<i64>,
    /// Explicit version.
    pub version: Option<i64>,
}

/// What a registration produced (or found already there).
#[derive(Clone, Debug)]
pub struct Registered {
    pub id: i64,
    pub version: i64,
    pub guid: String,
    /// The stored schema text and metadata, when Confluent 7.9 echoes them:
    /// a new version carries metadata, an existing one was found through
    /// inherited metadata, or an import named the version it already has.
    pub stored: Option<(String, Option<Value>)>,
}

/// A submitted schema, parsed and in the form it would be stored.
pub(super) struct Candidate {
    pub schema_type: SchemaType,
    pub parsed: Arc<ParsedSchema>,
    /// The stored text: canonical, or normalized.
    pub text: String,
    /// References with `-1` versions made concrete.
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
}

impl Candidate {
    pub fn content_hash(&self) -> String {
        let references: Vec<(&str, &str, i64)> = self
            .references
            .iter()
            .map(|r| (r.name.as_str(), r.subject.as_str(), r.version))
            .collect();
        let metadata = self.metadata.as_ref().map(Value::to_string);
        let rule_set = self.rule_set.as_ref().map(Value::to_string);
        let hash = identity_hash(&IdentityInput {
            schema_type: self.schema_type,
            schema: &self.text,
            references: &references,
            metadata: metadata.as_deref(),
            rule_set: rule_set.as_deref(),
        });
        hash_hex(&hash)
    }
}

/// How a submitted schema failed to parse, in Confluent's words.
fn invalid_schema(
    subject: &Subject,
    schema_type: SchemaType,
    text: &str,
    references: &[SchemaReference],
    details: &str,
) -> RegistryError {
    let refs: Vec<String> = references
        .iter()
        .map(|r| {
            format!(
                "{{name='{}', subject='{}', version={}}}",
                r.name, r.subject, r.version
            )
        })
        .collect();
    let refs = refs.join(", ");
    RegistryError::InvalidSchema(format!(
        "Invalid schema {{subject={},version=0,id=-1,schemaType={schema_type},references=[{refs}],metadata=null,ruleSet=null,schema={text},schemaTags=null}} with refs [{refs}] of type {schema_type}, details: {details}",
        subject.qualified(),
    ))
}

impl Registry {
    /// Parses a submitted schema with its references resolved in `subject`'s context.
    pub(super) async fn prepare(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
        request: &RegisterRequest,
        normalize: bool,
    ) -> Result<Candidate, RegistryError> {
        let schema_type = match request.schema_type.as_deref() {
            None => SchemaType::Avro,
            Some(name) => SchemaType::from_wire(name)
                .ok_or_else(|| RegistryError::InvalidSchemaType(name.to_owned()))?,
        };
        let text = match request.schema.as_deref() {
            Some(text) if !text.trim().is_empty() => text,
            _ => return Err(RegistryError::EmptySchema),
        };
        if text.len() > self.settings.max_schema_bytes {
            return Err(RegistryError::SchemaTooLarge {
                size: text.len(),
                limit: self.settings.max_schema_bytes,
            });
        }
        let (references, dependencies) = match self
            .resolve_references(queries, subject, &request.references)
            .await
        {
            Err(missing @ RegistryError::ReferenceNotFound { .. }) => {
                return Err(invalid_schema(
                    subject,
                    schema_type,
                    text,
                    &request.references,
                    &missing.to_string(),
                ))
            }
            resolved => resolved?,
        };
        let resolved: Vec<ResolvedReference<'_>> = dependencies
            .iter()
            .map(|(name, schema)| ResolvedReference { name, schema })
            .collect();
        // Confluent checks field defaults only when it normalizes.
        let options = ParseOptions {
            validate_defaults: normalize,
        };
        let parsed =
            ParsedSchema::parse_with(schema_type, text, &resolved, options).map_err(|error| {
                invalid_schema(
                    subject,
                    schema_type,
                    text,
                    &request.references,
                    &error.to_string(),
                )
            })?;
        let text = if normalize {
            parsed.normalized()
        } else {
            parsed.canonical()
        };
        Ok(Candidate {
            schema_type,
            parsed: Arc::new(parsed),
            text,
            references,
            metadata: request.metadata.clone(),
            rule_set: request.rule_set.clone(),
        })
    }

    /// Makes reference versions concrete and collects the text of every
    /// schema they depend on, transitively, dependencies first.
    pub(super) async fn resolve_references(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
        references: &[SchemaReference],
    ) -> Result<(Vec<SchemaReference>, Vec<(String, String)>), RegistryError> {
        let mut concrete = Vec::with_capacity(references.len());
        let mut dependencies = Vec::new();
        let mut done: HashSet<(String, String, i64)> = HashSet::new();
        // (reference, the subject it is relative to, children already pushed)
        let mut stack: Vec<(SchemaReference, Subject, bool, bool)> = references
            .iter()
            .rev()
            .map(|r| (r.clone(), subject.clone(), false, true))
            .collect();
        while let Some((reference, base, expanded, top_level)) = stack.pop() {
            let target = base.relative(&reference.subject);
            let not_found = || RegistryError::ReferenceNotFound {
                subject: reference.subject.clone(),
                version: reference.version,
            };
            let versions = queries
                .subject_versions(&target.context, &target.name)
                .await?;
            let version = match reference.version {
                -1 => versions.iter().rev().find(|v| !v.deleted),
                n => versions.iter().find(|v| v.version == n),
            }
            .ok_or_else(not_found)?
            .clone();
            let key = (target.context.clone(), target.name.clone(), version.version);
            if top_level && !expanded {
                concrete.push(SchemaReference {
                    version: version.version,
                    ..reference.clone()
                });
            }
            if done.contains(&key) {
                continue;
            }
            let schema = queries
                .schema_by_id(&version.context, version.schema_id)
                .await?
                .ok_or_else(not_found)?;
            if expanded {
                done.insert(key);
                dependencies.push((reference.name.clone(), schema.schema));
                continue;
            }
            if stack.len() > 10_000 {
                return Err(RegistryError::InvalidSchema(
                    "References nest too deeply".to_owned(),
                ));
            }
            stack.push((reference.clone(), target.clone(), true, false));
            for child in schema.references.iter().rev() {
                stack.push((child.clone(), target.clone(), false, false));
            }
        }
        Ok((concrete, dependencies))
    }

    /// Parses a stored schema (with its references), reusing earlier parses.
    pub(super) async fn parse_stored(
        &self,
        queries: &mut Queries<'_>,
        subject: &Subject,
        schema: &SchemaRecord,
    ) -> Result<Arc<ParsedSchema>, RegistryError> {
        if let Some(parsed) = self.cached_parse(&schema.content_hash) {
            return Ok(parsed);
        }
        let schema_type = SchemaType::from_wire(&schema.schema_type).ok_or_else(|| {
            RegistryError::Internal(format!("stored schema type {}", schema.schema_type))
        })?;
        let (_, dependencies) = self
            .resolve_references(queries, subject, &schema.references)
            .await?;
        let resolved: Vec<ResolvedReference<'_>> = dependencies
            .iter()
            .map(|(name, schema)| ResolvedReference { name, schema })
            .collect();
        let parsed = Arc::new(
            ParsedSchema::parse_with(
                schema_type,
                &schema.schema,
                &resolved,
                ParseOptions {
                    validate_defaults: false,
                },
            )
            .map_err(|error| {
                RegistryError::Internal(format!(
                    "stored schema {} no longer parses: {error}",
                    schema.id
                ))
            })?,
        );
        self.remember_parse(&schema.content_hash, parsed.clone());
        Ok(parsed)
    }

    /// `POST /subjects/{s}/versions`.
    pub async fn register(
        &self,
        subject: &Subject,
        mut request: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> Result<Registered, RegistryError> {
        let mut tx = self.store.begin_write(&subject.context).await?;
        let max_id = tx.max_id();
        let mut queries = tx.queries();
        let scope = Scope::Subject(subject.clone());
        let mode = self.effective_mode_in(&mut queries, &scope).await?;
        if mode.is_read_only() {
            return Err(read_only(&subject.qualified()));
        }
        let import = mode.is_import();
        // `id: -1` is Confluent's "no id"; `0` asks IMPORT for a fresh one.
        if request.id == Some(-1) {
            request.id = None;
        }
        match (import, request.id) {
            (false, Some(id)) if id >= 0 => {
                return Err(RegistryError::OperationNotPermitted(format!(
                    "Subject {} is not in import mode",
                    subject.qualified()
                )))
            }
            (true, None) => {
                return Err(RegistryError::OperationNotPermitted(format!(
                    "Subject {} is not in read-write mode",
                    subject.qualified()
                )))
            }
            _ => {}
        }
        let config = self.config_for(&mut queries, subject).await?;
        let versions = queries
            .subject_versions(&subject.context, &subject.name)
            .await?;
        let latest_live = versions.iter().rev().find(|v| !v.deleted).cloned();
        let latest_schema = match &latest_live {
            Some(version) => {
                queries
                    .schema_by_id(&subject.context, version.schema_id)
                    .await?
            }
            None => None,
        };
        // A body without a schema re-registers the latest one (metadata updates).
        if request.schema.is_none() {
            if let Some(latest) = &latest_schema {
                request.schema = Some(latest.schema.clone());
                request
                    .schema_type
                    .get_or_insert_with(|| latest.schema_type.clone());
                if request.references.is_empty() {
                    request.references = latest.references.clone();
                }
            }
        }
        // Metadata and rule sets carry over from the latest version unless given.
        let mut metadata_inherited = false;
        if !import {
            if let Some(latest) = &latest_schema {
                if request.metadata.is_none() {
                    request.metadata = latest.metadata.clone();
                    metadata_inherited = request.metadata.is_some();
                }
                if request.rule_set.is_none() {
                    request.rule_set = latest.rule_set.clone();
                }
            }
        }
        let normalize = !import && (normalize || config.normalize);
        let candidate = self
            .prepare(&mut queries, subject, &request, normalize)
            .await?;
        let content_hash = candidate.content_hash();
        let existing = queries
            .schema_by_hash(&subject.context, &content_hash)
            .await?;

        let explicit_version = request.version.is_some_and(|v| v > 0);
        // Identical content already live under this subject: nothing to do.
        if let Some(existing) = &existing {
            if let Some(live) = versions
                .iter()
                .find(|v| v.schema_id == existing.id && !v.deleted)
            {
                if let Some(id) = request.id.filter(|id| *id >= 0 && *id != existing.id) {
                    return Err(overwrite_refused(id, &subject.context));
                }
                let echo = metadata_inherited || (import && explicit_version);
                return Ok(Registered {
                    id: existing.id,
                    version: live.version,
                    guid: guid_from_hex(&content_hash),
                    stored: echo.then(|| (candidate.text.clone(), candidate.metadata.clone())),
                });
            }
        }

        let next_version = versions.last().map_or(1, |v| v.version + 1);
        let version = match request.version.filter(|v| *v > 0) {
            // An import names its version; one already there is replaced.
            Some(explicit) if import => explicit,
            Some(explicit) if explicit != next_version => {
                return Err(RegistryError::InvalidVersionInBody(format!(
                    "Version is not one more than previous version; expected {next_version}, got {explicit}"
                )));
            }
            _ => next_version,
        };

        if !import && !force {
            let live: Vec<VersionRecord> =
                versions.iter().filter(|v| !v.deleted).cloned().collect();
            let report = self
                .check_history(&mut queries, subject, &candidate, &config, &live, None)
                .await?;
            if !report.is_compatible {
                return Err(RegistryError::Incompatible {
                    subject: subject.qualified(),
                    messages: report.messages,
                });
            }
        }

        let id = match (&existing, request.id.filter(|id| *id > 0)) {
            (Some(existing), None) => existing.id,
            (Some(existing), Some(id)) if existing.id == id => id,
            (Some(existing), Some(id)) => {
                // One content, one id per context: an import may not mint a second.
                return Err(RegistryError::OperationNotPermitted(format!(
                    "Cannot import this schema with id {id}: the same schema is already registered with id {} in this context",
                    existing.id
                )));
            }
            (None, Some(id)) => {
                if queries.schema_by_id(&subject.context, id).await?.is_some() {
                    return Err(overwrite_refused(id, &subject.context));
                }
                id
            }
            (None, None) => max_id + 1,
        };
        if existing.is_none() {
            queries
                .insert_schema(&SchemaRecord {
                    context: subject.context.clone(),
                    id,
                    schema_type: candidate.schema_type.as_str().to_owned(),
                    schema: candidate.text.clone(),
                    references: candidate.references.clone(),
                    metadata: candidate.metadata.clone(),
                    rule_set: candidate.rule_set.clone(),
                    content_hash: content_hash.clone(),
                })
                .await?;
            queries.raise_max_id(&subject.context, id).await?;
            self.remember_parse(&content_hash, candidate.parsed.clone());
        }
        if let Some(replaced) = versions.iter().find(|v| v.version == version) {
            queries
                .hard_delete_version(
                    &replaced.context,
                    &replaced.subject,
                    replaced.version,
                    replaced.schema_id,
                )
                .await?;
        }
        queries
            .insert_version(&VersionRecord {
                context: subject.context.clone(),
                subject: subject.name.clone(),
                version,
                schema_id: id,
                deleted: false,
            })
            .await?;
        // Soft-deleted versions of the same content give way to the new one.
        for stale in versions.iter().filter(|v| v.deleted && v.schema_id == id) {
            let referenced = queries
                .referencing_schema_ids(&stale.context, &stale.subject, stale.version, false)
                .await?;
            if referenced.is_empty() {
                queries
                    .hard_delete_version(&stale.context, &stale.subject, stale.version, id)
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(Registered {
            id,
            version,
            guid: guid_from_hex(&content_hash),
            stored: candidate
                .metadata
                .map(|metadata| (candidate.text, Some(metadata))),
        })
    }

    /// `POST /subjects/{s}`: is this schema already registered under the subject?
    pub async fn lookup(
        &self,
        subject: &Subject,
        request: RegisterRequest,
        normalize: bool,
        deleted: bool,
    ) -> Result<SchemaView, RegistryError> {
        let mut reader = self.store.reader().await?;
        let mut queries = reader.queries();
        let config = self.config_for(&mut queries, subject).await?;
        let mode = self
            .effective_mode_in(&mut queries, &Scope::Subject(subject.clone()))
            .await?;
        let normalize = mode != Mode::Import && (normalize || config.normalize);
        let candidate = self
            .prepare(&mut queries, subject, &request, normalize)
            .await?;
        // Confluent 7.9 matches the schema as given (a plain schema does not
        // find a version registered with metadata), first under the subject
        // itself, then, for an unqualified subject, under the same name in
        // other contexts.
        let hash = candidate.content_hash();
        let mut places = vec![subject.clone()];
        places.extend(
            self.same_name_in_other_contexts(&mut queries, subject)
                .await?,
        );
        let mut subject_exists = false;
        for place in &places {
            let versions = queries
                .subject_versions(&place.context, &place.name)
                .await?;
            let visible: Vec<&VersionRecord> =
                versions.iter().filter(|v| deleted || !v.deleted).collect();
            if place == subject {
                subject_exists = !visible.is_empty();
            }
            if visible.is_empty() {
                continue;
            }
            if let Some(schema) = queries.schema_by_hash(&place.context, &hash).await? {
                if let Some(version) = visible.iter().rev().find(|v| v.schema_id == schema.id) {
                    return Ok(SchemaView::of(schema, Some(version)));
                }
            }
        }
        Err(if subject_exists {
            RegistryError::SchemaNotFound
        } else {
            RegistryError::SubjectNotFound(subject.qualified())
        })
    }
}

fn overwrite_refused(id: i64, context: &str) -> RegistryError {
    let place = if context == super::DEFAULT_CONTEXT {
        String::new()
    } else {
        format!(" in context {context}")
    };
    RegistryError::OperationNotPermitted(format!(
        "Overwrite new schema with id {id}{place} is not permitted."
    ))
}
