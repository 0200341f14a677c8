//! Registration, lookup by content, and preparing a submitted schema
//! (type, size, references, parse, canonical text, identity).

use std::collections::HashSet;
use std::sync::Arc;

use accord_schema::{
    guid_from_hex, hash_hex, identity_hash, IdentityInput, ParseOptions, ParsedSchema,
    ResolvedReference, SchemaType,
};
use serde_json::Value;

use super::cache::{ParsedEntry, Prepared, PreparedKey};
use super::compatibility::BLOCKING_SCHEMA_BYTES;
use super::config::{read_only, EffectiveConfig, Mode, Scope};
use super::history::{SubjectHistory, VersionEntry};
use super::read::{SchemaFormat, SchemaView};
use super::source::{SettingsSnapshot, Source};
use super::subject::{Subject, VersionSpec};
use super::{parsed_schema_weight, Registry, RegistryError};
use crate::domain::{SchemaId, SchemaReference, Version};
use crate::store::{RegistrationState, SchemaRecord, VersionRecord, WriteTx};

/// The most references one schema may name itself.
pub const MAX_DIRECT_REFERENCES: usize = 1_000;
/// How deep references may nest: a schema's own references are level 1,
/// theirs level 2.
pub const MAX_REFERENCE_DEPTH: usize = 64;
/// The most schemas one schema may depend on, transitively.
pub const MAX_DEPENDENCIES: usize = 10_000;

/// How often a registration plans again after the subject moved between
/// its check and its write lock, before it checks under the lock instead.
const OPTIMISTIC_ATTEMPTS: usize = 3;

/// A registration or lookup body, after JSON decoding.
#[derive(Clone, Debug, Default)]
pub struct RegisterRequest {
    pub schema: Option<String>,
    pub schema_type: Option<String>,
    pub references: Vec<RequestedReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    /// The id asked for (IMPORT mode only).
    pub id: Option<RequestedId>,
    /// Explicit version.
    pub version: Option<Version>,
}

/// The id a registration asks for: Confluent's `id` field, where a negative
/// value (`-1`) means none and `0` asks an import for a fresh one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestedId {
    Fresh,
    Exactly(SchemaId),
}

impl RequestedId {
    /// The `id` field of a body; `None` for "no id".
    pub fn from_wire(id: i64) -> Option<RequestedId> {
        match id {
            0 => Some(RequestedId::Fresh),
            id => SchemaId::new(id).map(RequestedId::Exactly),
        }
    }

    fn exact(self) -> Option<SchemaId> {
        match self {
            RequestedId::Fresh => None,
            RequestedId::Exactly(id) => Some(id),
        }
    }
}

/// A reference as submitted: its version may be `latest` (`-1`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestedReference {
    pub name: String,
    pub subject: String,
    pub version: VersionSpec,
}

impl From<&SchemaReference> for RequestedReference {
    fn from(stored: &SchemaReference) -> RequestedReference {
        RequestedReference {
            name: stored.name.clone(),
            subject: stored.subject.clone(),
            version: VersionSpec::Number(stored.version),
        }
    }
}

/// What a registration produced (or found already there).
#[derive(Clone, Debug)]
pub struct Registered {
    pub id: SchemaId,
    pub version: Version,
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
    pub text: Arc<str>,
    /// References with `-1` versions made concrete.
    pub references: Vec<SchemaReference>,
    pub metadata: Option<Value>,
    pub rule_set: Option<Value>,
    /// The identity hash of all of the above (and so the GUID).
    content_hash: String,
}

impl Candidate {
    fn new(
        prepared: &Prepared,
        references: Vec<SchemaReference>,
        request: &RegisterRequest,
    ) -> Candidate {
        let plain =
            references.is_empty() && request.metadata.is_none() && request.rule_set.is_none();
        let content_hash = if plain {
            // Computed once, with the parse.
            prepared.plain_hash.clone()
        } else {
            identity(
                prepared.schema_type,
                &prepared.text,
                &references,
                request.metadata.as_ref(),
                request.rule_set.as_ref(),
            )
        };
        Candidate {
            schema_type: prepared.schema_type,
            parsed: prepared.parsed.clone(),
            text: prepared.text.clone(),
            references,
            metadata: request.metadata.clone(),
            rule_set: request.rule_set.clone(),
            content_hash,
        }
    }

    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }
}

/// The hex identity hash of a schema as it is stored (Confluent's: text,
/// references, metadata and rule set).
fn identity(
    schema_type: SchemaType,
    text: &str,
    references: &[SchemaReference],
    metadata: Option<&Value>,
    rule_set: Option<&Value>,
) -> String {
    let references: Vec<(&str, &str, i64)> = references
        .iter()
        .map(|r| (r.name.as_str(), r.subject.as_str(), r.version.get()))
        .collect();
    let metadata = metadata.map(Value::to_string);
    let rule_set = rule_set.map(Value::to_string);
    hash_hex(&identity_hash(&IdentityInput {
        schema_type,
        schema: text,
        references: &references,
        metadata: metadata.as_deref(),
        rule_set: rule_set.as_deref(),
    }))
}

/// How a submitted schema failed to parse, in Confluent's words.
fn invalid_schema(
    subject: &Subject,
    schema_type: SchemaType,
    text: &str,
    references: &[RequestedReference],
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

/// What a registration will write, worked out from what it read (the
/// caches), so that the write lock is held only to re-validate and insert.
pub(super) struct Plan {
    candidate: Candidate,
    content_hash: String,
    /// The id the content already has in the context.
    existing: Option<SchemaId>,
    /// The explicit id an import asked for.
    requested_id: Option<SchemaId>,
    version: Version,
    /// What the plan was made against.
    history: Arc<SubjectHistory>,
    mode: Mode,
    config: EffectiveConfig,
}

enum Planned {
    /// Nothing to write: the subject has this content already, or the
    /// request is refused.
    Done(Registered),
    Write(Box<Plan>),
}

impl Plan {
    /// The subject's history after this plan's write, unless the write also
    /// drops versions (an import over an existing version, or soft-deleted
    /// versions of the same content giving way).
    pub(super) fn history_after(&self, registered: &Registered) -> Option<SubjectHistory> {
        let drops = self.history.find(self.version).is_some()
            || self
                .history
                .all()
                .iter()
                .any(|v| v.deleted && v.schema_id == registered.id);
        (!drops).then(|| {
            self.history.with(VersionEntry {
                version: registered.version,
                schema_id: registered.id,
                deleted: false,
            })
        })
    }
}

impl Registry {
    /// Parses a submitted schema with its references resolved in `subject`'s context.
    pub(super) async fn prepare(
        &self,
        source: &mut impl Source,
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
        if text.len() > self.options.max_schema_bytes {
            return Err(RegistryError::SchemaTooLarge {
                size: text.len(),
                limit: self.options.max_schema_bytes,
            });
        }
        let invalid = |details: &str| {
            invalid_schema(subject, schema_type, text, &request.references, details)
        };
        if request.references.is_empty() {
            let key = PreparedKey {
                schema_type,
                text: text.to_owned(),
                normalize,
            };
            if let Some(prepared) = self.caches.prepared.get(&key) {
                return Ok(Candidate::new(&prepared, Vec::new(), request));
            }
            let prepared = parse_submitted(schema_type, text.to_owned(), Vec::new(), normalize)
                .await?
                .map_err(|details| invalid(&details))?;
            let prepared = Arc::new(prepared);
            self.caches
                .insert_immutable(&self.caches.prepared, Arc::new(key), prepared.clone());
            return Ok(Candidate::new(&prepared, Vec::new(), request));
        }
        let (references, dependencies) = match self
            .resolve_references(source, subject, &request.references)
            .await
        {
            Err(missing @ RegistryError::ReferenceNotFound { .. }) => {
                return Err(invalid(&missing.to_string()))
            }
            resolved => resolved?,
        };
        let prepared = parse_submitted(schema_type, text.to_owned(), dependencies, normalize)
            .await?
            .map_err(|details| invalid(&details))?;
        Ok(Candidate::new(&prepared, references, request))
    }

    /// Makes reference versions concrete and collects the text of every
    /// schema they depend on, transitively, dependencies first.
    pub(super) async fn resolve_references(
        &self,
        source: &mut impl Source,
        subject: &Subject,
        references: &[RequestedReference],
    ) -> Result<(Vec<SchemaReference>, Vec<(String, String)>), RegistryError> {
        if references.len() > MAX_DIRECT_REFERENCES {
            return Err(RegistryError::InvalidSchema(format!(
                "The schema names {} references; a schema may name at most {MAX_DIRECT_REFERENCES}",
                references.len()
            )));
        }
        let mut concrete = Vec::with_capacity(references.len());
        let mut dependencies = Vec::new();
        let mut done: HashSet<(String, String, Version)> = HashSet::new();
        // (reference, the subject it is relative to, children already
        // pushed, named by the schema itself, depth)
        let mut stack: Vec<(RequestedReference, Subject, bool, bool, usize)> = references
            .iter()
            .rev()
            .map(|r| (r.clone(), subject.clone(), false, true, 1))
            .collect();
        while let Some((reference, base, expanded, top_level, depth)) = stack.pop() {
            let target = base.relative(&reference.subject);
            let not_found = || RegistryError::ReferenceNotFound {
                subject: reference.subject.clone(),
                version: reference.version,
            };
            let history = source.history(&target.context, &target.name).await?;
            let version = match reference.version {
                VersionSpec::Latest => history.latest_live(),
                VersionSpec::Number(number) => history.find(number),
            }
            .ok_or_else(not_found)?;
            let key = (target.context.clone(), target.name.clone(), version.version);
            if top_level && !expanded {
                concrete.push(SchemaReference {
                    name: reference.name.clone(),
                    subject: reference.subject.clone(),
                    version: version.version,
                });
            }
            if done.contains(&key) {
                continue;
            }
            let schema = source
                .schema(&target.context, version.schema_id)
                .await?
                .ok_or_else(not_found)?;
            if expanded {
                done.insert(key);
                dependencies.push((reference.name.clone(), schema.schema.clone()));
                if dependencies.len() > MAX_DEPENDENCIES {
                    return Err(RegistryError::InvalidSchema(format!(
                        "The schema depends on more than {MAX_DEPENDENCIES} schemas through its references"
                    )));
                }
                continue;
            }
            if !schema.references.is_empty() && depth >= MAX_REFERENCE_DEPTH {
                return Err(RegistryError::InvalidSchema(format!(
                    "References nest more than {MAX_REFERENCE_DEPTH} levels deep (through subject '{}')",
                    target.qualified()
                )));
            }
            // Bounded by the limits above: each schema is expanded once.
            if stack.len() > MAX_DEPENDENCIES * 4 {
                return Err(RegistryError::InvalidSchema(format!(
                    "The schema's references fan out to more than {} schemas",
                    MAX_DEPENDENCIES * 4
                )));
            }
            stack.push((reference.clone(), target.clone(), true, false, depth));
            for child in schema.references.iter().rev() {
                stack.push((child.into(), target.clone(), false, false, depth + 1));
            }
        }
        Ok((concrete, dependencies))
    }

    /// Parses a stored schema (with its references), reusing earlier parses.
    pub(super) async fn parse_stored(
        &self,
        source: &mut impl Source,
        subject: &Subject,
        schema: &SchemaRecord,
    ) -> Result<Arc<ParsedSchema>, RegistryError> {
        if let Some(entry) = self.caches.parsed.get(&schema.content_hash) {
            return Ok(entry.schema);
        }
        let schema_type = schema.schema_type;
        let references: Vec<RequestedReference> =
            schema.references.iter().map(Into::into).collect();
        let (_, dependencies) = self
            .resolve_references(source, subject, &references)
            .await?;
        let text = schema.schema.clone();
        let parse = move || {
            let resolved: Vec<ResolvedReference<'_>> = dependencies
                .iter()
                .map(|(name, schema)| ResolvedReference { name, schema })
                .collect();
            let options = ParseOptions {
                validate_defaults: false,
            };
            ParsedSchema::parse_with(schema_type, &text, &resolved, options)
                .map(|parsed| {
                    let weight = parsed_schema_weight(&parsed, text.len());
                    ParsedEntry {
                        schema: Arc::new(parsed),
                        weight,
                    }
                })
                .map_err(|error| error.to_string())
        };
        let entry = run_cpu_bound(schema.schema.len(), parse)
            .await?
            .map_err(|error| {
                RegistryError::Internal(format!(
                    "stored schema {} no longer parses: {error}",
                    schema.id
                ))
            })?;
        self.caches.insert_immutable(
            &self.caches.parsed,
            schema.content_hash.clone(),
            entry.clone(),
        );
        Ok(entry.schema)
    }

    /// `POST /subjects/{s}/versions`. The schema is parsed and checked
    /// against what the caches hold, without a lock; the context's write
    /// lock is then taken to re-validate what the check depended on and to
    /// insert. If the subject moved meanwhile, it plans again; after a few
    /// tries it plans under the lock. Content the subject already has is
    /// answered without a write transaction.
    pub async fn register(
        &self,
        subject: &Subject,
        request: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> Result<Registered, RegistryError> {
        let outcome = self
            .register_planned(subject, request, normalize, force)
            .await;
        self.metrics.registration(&outcome);
        outcome
    }

    async fn register_planned(
        &self,
        subject: &Subject,
        request: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> Result<Registered, RegistryError> {
        for _ in 0..OPTIMISTIC_ATTEMPTS {
            let ticket = self.caches.ticket();
            // The plan's reads end (and give back any pooled connection)
            // before the write waits for the writer, which needs one.
            let planned = {
                let mut source = self.cached();
                let settings = self.subject_settings(&mut source, subject).await?;
                self.plan(
                    &mut source,
                    subject,
                    settings.as_ref().clone(),
                    request.clone(),
                    normalize,
                    force,
                )
                .await?
            };
            let plan = match planned {
                Planned::Done(registered) => return Ok(registered),
                Planned::Write(plan) => plan,
            };
            if let Some(registered) = self.write_grouped(subject, *plan, ticket).await? {
                return Ok(registered);
            }
            // The subject moved under the plan: read it again.
            self.caches.apply(&[crate::store::Change::Subject {
                context: subject.context.clone(),
                subject: subject.name.clone(),
            }]);
        }
        self.register_locked(subject, request, normalize, force)
            .await
    }

    /// Plans and writes under the context's lock, reading from the
    /// transaction: for a subject that keeps moving.
    async fn register_locked(
        &self,
        subject: &Subject,
        request: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> Result<Registered, RegistryError> {
        let mut tx = self.store.begin_write(&subject.context).await?;
        let mut queries = tx.queries();
        let mode = self
            .effective_mode_in(&mut queries, &Scope::Subject(subject.clone()))
            .await?;
        let config = self.config_for(&mut queries, subject).await?;
        let plan = match self
            .plan(
                &mut queries,
                subject,
                (mode, config),
                request,
                normalize,
                force,
            )
            .await?
        {
            Planned::Done(registered) => return Ok(registered),
            Planned::Write(plan) => plan,
        };
        let registered = self.insert(&mut tx, subject, &plan).await?;
        if let Some(scope) = crate::audit::current() {
            audit_registration(&scope, &mut tx, subject, &registered);
        }
        self.caches.apply(&tx.commit().await?);
        self.metrics.versions_created(1);
        Ok(registered)
    }

    /// Works out what registering `request` means for the subject as
    /// `source` shows it.
    async fn plan(
        &self,
        source: &mut impl Source,
        subject: &Subject,
        (mode, config): (Mode, EffectiveConfig),
        mut request: RegisterRequest,
        normalize: bool,
        force: bool,
    ) -> Result<Planned, RegistryError> {
        if mode.is_read_only() {
            return Err(read_only(&subject.qualified()));
        }
        let import = mode.is_import();
        match (import, request.id) {
            (false, Some(_)) => {
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
        let history = source.history(&subject.context, &subject.name).await?;
        let latest_schema = match history.latest_live() {
            Some(version) => source.schema(&subject.context, version.schema_id).await?,
            None => None,
        };
        // A body without a schema re-registers the latest one (metadata updates).
        if request.schema.is_none() {
            if let Some(latest) = &latest_schema {
                request.schema = Some(latest.schema.clone());
                request
                    .schema_type
                    .get_or_insert_with(|| latest.schema_type.as_str().to_owned());
                if request.references.is_empty() {
                    request.references = latest.references.iter().map(Into::into).collect();
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
        let normalize = mode.normalizes(normalize, &config);
        let candidate = self.prepare(source, subject, &request, normalize).await?;
        let content_hash = candidate.content_hash().to_owned();
        let existing = source.id_by_hash(&subject.context, &content_hash).await?;

        let explicit_version = request.version.is_some();
        // Identical content already live under this subject: nothing to do.
        if let Some(existing) = existing {
            if let Some(live) = history.live().find(|v| v.schema_id == existing) {
                match request.id {
                    Some(RequestedId::Exactly(id)) if id != existing => {
                        return Err(overwrite_refused(&id.to_string(), &subject.context))
                    }
                    // Confluent refuses a fresh-id import of live content too.
                    Some(RequestedId::Fresh) => {
                        return Err(overwrite_refused("0", &subject.context))
                    }
                    _ => {}
                }
                let echo = metadata_inherited || (import && explicit_version);
                return Ok(Planned::Done(Registered {
                    id: existing,
                    version: live.version,
                    guid: guid_from_hex(&content_hash),
                    stored: echo.then(|| (candidate.text.to_string(), candidate.metadata.clone())),
                }));
            }
        }

        let next_version = history.next_version().ok_or_else(|| {
            RegistryError::OperationNotPermitted(format!(
                "Subject {} has used every version number",
                subject.qualified()
            ))
        })?;
        let version = match request.version {
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
            let report = self
                .check_history(source, subject, &candidate, &config, &history, None)
                .await?;
            if !report.is_compatible {
                return Err(RegistryError::Incompatible {
                    subject: subject.qualified(),
                    messages: report.messages,
                });
            }
        }

        let requested_id = request.id.and_then(RequestedId::exact);
        if let (Some(existing), Some(id)) = (existing, requested_id) {
            if existing != id {
                // One content, one id per context: an import may not mint a second.
                return Err(RegistryError::OperationNotPermitted(format!(
                    "Cannot import this schema with id {id}: the same schema is already registered with id {existing} in this context"
                )));
            }
        }
        if let (None, Some(id)) = (existing, requested_id) {
            if source.schema(&subject.context, id).await?.is_some() {
                return Err(overwrite_refused(&id.to_string(), &subject.context));
            }
        }
        Ok(Planned::Write(Box::new(Plan {
            candidate,
            content_hash,
            existing,
            requested_id,
            version,
            history,
            mode,
            config,
        })))
    }

    /// Whether what a plan read still holds, read under the context's lock.
    /// A plain level depends on the latest live version only, read in one or
    /// two index probes; transitive levels, compatibility groups and imports
    /// on every version.
    /// `settings` holds the config and mode of the subject's scope chain,
    /// read under the lock.
    pub(super) async fn still_holds(
        &self,
        tx: &mut WriteTx,
        settings: &mut SettingsSnapshot,
        subject: &Subject,
        plan: &Plan,
    ) -> Result<bool, RegistryError> {
        tx.lock_context(&subject.context).await?;
        let mut queries = tx.queries();
        let scope = Scope::Subject(subject.clone());
        if self.effective_mode_in(settings, &scope).await? != plan.mode
            || self.config_for(settings, subject).await? != plan.config
        {
            return Ok(false);
        }
        let whole_history = plan.config.level.is_transitive()
            || plan.config.compatibility_group.is_some()
            || plan.mode.is_import();
        let state = queries
            .registration_state(&subject.context, &subject.name, &plan.content_hash)
            .await?;
        let planned = RegistrationState {
            max_version: plan.history.max_version(),
            latest_live: plan
                .history
                .latest_live()
                .map(|latest| (latest.version, latest.schema_id)),
            existing: plan.existing,
        };
        if state != planned {
            return Ok(false);
        }
        if whole_history
            && *queries.history(&subject.context, &subject.name).await? != *plan.history
        {
            return Ok(false);
        }
        if plan.existing.is_none() {
            if let Some(id) = plan.requested_id {
                if queries.schema_by_id(&subject.context, id).await?.is_some() {
                    return Ok(false);
                }
            }
        }
        for reference in &plan.candidate.references {
            let target = subject.relative(&reference.subject);
            let history = queries.history(&target.context, &target.name).await?;
            if history.find(reference.version).is_none() {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The inserts of a registration, inside its transaction (which holds
    /// the context's lock).
    pub(super) async fn insert(
        &self,
        tx: &mut WriteTx,
        subject: &Subject,
        plan: &Plan,
    ) -> Result<Registered, RegistryError> {
        tx.lock_context(&subject.context).await?;
        let candidate = &plan.candidate;
        let id = match (plan.existing, plan.requested_id) {
            (Some(existing), _) => existing,
            (None, Some(id)) => id,
            (None, None) => SchemaId::after(tx.max_id(&subject.context)).ok_or_else(|| {
                RegistryError::OperationNotPermitted(format!(
                    "Context {} has used every schema id",
                    subject.context
                ))
            })?,
        };
        if plan.existing.is_none() {
            tx.queries()
                .insert_schema(&SchemaRecord {
                    context: subject.context.clone(),
                    id,
                    schema_type: candidate.schema_type,
                    schema: candidate.text.to_string(),
                    references: candidate.references.clone(),
                    metadata: candidate.metadata.clone(),
                    rule_set: candidate.rule_set.clone(),
                    content_hash: plan.content_hash.clone(),
                })
                .await?;
            tx.raise_max_id(&subject.context, id);
            let weight = parsed_schema_weight(&candidate.parsed, candidate.text.len());
            self.caches.insert_immutable(
                &self.caches.parsed,
                plan.content_hash.clone(),
                ParsedEntry {
                    schema: candidate.parsed.clone(),
                    weight,
                },
            );
        }
        let mut queries = tx.queries();
        if let Some(replaced) = plan.history.find(plan.version) {
            queries
                .hard_delete_version(
                    &subject.context,
                    &subject.name,
                    replaced.version,
                    replaced.schema_id,
                )
                .await?;
        }
        queries
            .insert_version(&VersionRecord {
                context: subject.context.clone(),
                subject: subject.name.clone(),
                version: plan.version,
                schema_id: id,
                deleted: false,
            })
            .await?;
        // Soft-deleted versions of the same content give way to the new one.
        for stale in plan
            .history
            .all()
            .iter()
            .filter(|v| v.deleted && v.schema_id == id)
        {
            let referenced = queries
                .referencing_schema_ids(&subject.context, &subject.name, stale.version, false)
                .await?;
            if referenced.is_empty() {
                queries
                    .hard_delete_version(&subject.context, &subject.name, stale.version, id)
                    .await?;
            }
        }
        Ok(Registered {
            id,
            version: plan.version,
            guid: guid_from_hex(&plan.content_hash),
            stored: candidate
                .metadata
                .clone()
                .map(|metadata| (candidate.text.to_string(), Some(metadata))),
        })
    }

    /// `POST /subjects/{s}`: is this schema already registered under the
    /// subject? The answer is the version's, rendered by `render` (and
    /// cached as `GET /subjects/{s}/versions/{v}` caches it).
    pub async fn lookup(
        &self,
        subject: &Subject,
        request: RegisterRequest,
        normalize: bool,
        deleted: bool,
        render: impl FnOnce(&SchemaView) -> Vec<u8>,
    ) -> Result<bytes::Bytes, RegistryError> {
        let mut source = self.cached();
        let settings = self.subject_settings(&mut source, subject).await?;
        let (mode, config) = settings.as_ref();
        let normalize = mode.normalizes(normalize, config);
        let candidate = self
            .prepare(&mut source, subject, &request, normalize)
            .await?;
        // Confluent 7.9 matches the schema as given (a plain schema does not
        // find a version registered with metadata), first under the subject
        // itself, then, for an unqualified subject, under the same name in
        // other contexts.
        let hash = candidate.content_hash();
        let mut places = vec![subject.clone()];
        places.extend(
            self.same_name_in_other_contexts(&mut source, subject)
                .await?,
        );
        let mut subject_exists = false;
        for place in &places {
            let history = source.history(&place.context, &place.name).await?;
            let any_visible = !history.is_empty() && history.any_visible(deleted);
            if place == subject {
                subject_exists = any_visible;
            }
            if !any_visible {
                continue;
            }
            if let Some(id) = source.id_by_hash(&place.context, hash).await? {
                let carrying = history
                    .all()
                    .iter()
                    .rev()
                    .find(|v| (deleted || !v.deleted) && v.schema_id == id);
                if let Some(version) = carrying {
                    if let Some(schema) = source.schema(&place.context, id).await? {
                        return self
                            .cached_version_response(
                                &mut source,
                                place,
                                *version,
                                &schema,
                                SchemaFormat::Stored,
                                render,
                            )
                            .await;
                    }
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

/// Parses a submitted schema; large ones on the blocking pool, so that a
/// huge schema does not hold up other requests on its thread. The inner
/// error is the parser's message.
async fn parse_submitted(
    schema_type: SchemaType,
    text: String,
    dependencies: Vec<(String, String)>,
    normalize: bool,
) -> Result<Result<Prepared, String>, RegistryError> {
    let size = text.len() + dependencies.iter().map(|(_, d)| d.len()).sum::<usize>();
    run_cpu_bound(size, move || {
        let resolved: Vec<ResolvedReference<'_>> = dependencies
            .iter()
            .map(|(name, schema)| ResolvedReference { name, schema })
            .collect();
        // Confluent checks field defaults only when it normalizes.
        let options = ParseOptions {
            validate_defaults: normalize,
        };
        let parsed = ParsedSchema::parse_with(schema_type, &text, &resolved, options)
            .map_err(|error| error.to_string())?;
        let stored = if normalize {
            parsed.normalized()
        } else {
            parsed.canonical()
        };
        let weight = parsed_schema_weight(&parsed, text.len());
        let plain_hash = identity(schema_type, &stored, &[], None, None);
        Ok(Prepared {
            schema_type,
            parsed: Arc::new(parsed),
            text: stored.into(),
            weight,
            plain_hash,
        })
    })
    .await
}

/// Records a registration in its transaction: what it wrote.
pub(super) fn audit_registration(
    scope: &crate::audit::AuditScope,
    tx: &mut WriteTx,
    subject: &Subject,
    registered: &Registered,
) {
    let details = serde_json::json!({
        "subject": subject.qualified(),
        "version": registered.version,
        "id": registered.id,
        "guid": registered.guid,
    });
    crate::audit::record_in(scope, tx, details);
}

/// Runs `work` inline when `size` is small, else on the blocking pool.
async fn run_cpu_bound<T: Send + 'static>(
    size: usize,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RegistryError> {
    if size <= BLOCKING_SCHEMA_BYTES {
        return Ok(work());
    }
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| RegistryError::Internal(format!("parsing failed: {error}")))
}

fn overwrite_refused(id: &str, context: &str) -> RegistryError {
    let place = if context == super::DEFAULT_CONTEXT {
        String::new()
    } else {
        format!(" in context {context}")
    };
    RegistryError::OperationNotPermitted(format!(
        "Overwrite new schema with id {id}{place} is not permitted."
    ))
}
