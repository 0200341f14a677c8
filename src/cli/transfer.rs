//! `accord export`, `import`, `migrate` and `backup`: a registry moved or
//! kept with every id and version.
//!
//! The export file is JSON lines (format `accord-export`, version 1): a
//! header, then one record per line, in a stable order so that exporting the
//! same registry twice gives the same bytes:
//! - `context`: a context's name (`.` is the default one);
//! - `version`: one subject version with its schema: subject (qualified with
//!   its context), version, id, GUID (when the registry has them), deleted
//!   flag, schema type, schema text, references, metadata and rule set;
//! - `config` and `mode`: a stored config (compatibility, policy, alias, …)
//!   or mode, by scope: `""` the top level, `:.ctx:` a context, else a
//!   subject.
//!
//! Import goes through the Confluent REST API in IMPORT mode, so the target
//! can be Accord or Confluent: each version is registered with its id and
//! version (references first), soft-deleted if it was, then configs and
//! modes are written. A version the target already has with the same id is
//! skipped, so a second run (or one that resumes after a failure) changes
//! nothing; a version it has with another id is a conflict that stops the
//! import.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use accord_serde::{encode_path_segment, RegistryClient, RegistryError};
use clap::Args;
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::{AuthArgs, CliError};
use crate::domain::Page;
use crate::registry::{
    Registry, RegistryOptions, SchemaFormat, Subject, SubjectListFilter, VersionSpec,
};
use crate::store::Store;

pub const FORMAT: &str = "accord-export";
pub const FORMAT_VERSION: u32 = 1;

/// One line of an export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Record {
    Header { format: String, version: u32 },
    Context { context: String },
    Version(ExportedVersion),
    Config { scope: String, config: Value },
    Mode { scope: String, mode: String },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedVersion {
    pub subject: String,
    pub version: i64,
    pub id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guid: Option<String>,
    pub deleted: bool,
    pub schema_type: String,
    pub schema: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule_set: Option<Value>,
}

/// A registry's whole content, in export order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Export {
    pub contexts: Vec<String>,
    pub versions: Vec<ExportedVersion>,
    pub configs: Vec<(String, Value)>,
    pub modes: Vec<(String, String)>,
}

/// Where an export is read from.
#[derive(Args, Clone, Debug)]
pub struct SourceArgs {
    /// Read this Accord database directly (sqlite://FILE or postgres://…).
    #[arg(long, value_name = "URL", conflicts_with = "registry")]
    pub database: Option<String>,
    /// Read any Confluent-compatible registry through its REST API.
    #[arg(long, value_name = "URL")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub auth: AuthArgs,
}

#[derive(Args, Clone, Debug)]
pub struct ExportArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Write the export here instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Args, Clone, Debug)]
pub struct ImportArgs {
    /// The export file.
    pub file: PathBuf,
    /// The registry to write to (Accord or Confluent-compatible).
    #[arg(long, value_name = "URL", env = "ACCORD_REGISTRY_URL")]
    pub registry: String,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Show what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Clone, Debug)]
pub struct MigrateArgs {
    /// The registry to read (a URL), or an Accord database
    /// (sqlite://…, postgres://…).
    #[arg(long, value_name = "URL")]
    pub from: String,
    /// The registry to write to.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Credentials and TLS settings for both registries.
    #[command(flatten)]
    pub auth: AuthArgs,
    /// Show what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Clone, Debug)]
pub struct BackupArgs {
    /// The SQLite database of a running (or stopped) Accord.
    #[arg(long, value_name = "URL", env = "ACCORD_DATABASE_URL")]
    pub database: String,
    /// The backup file to write (must not exist).
    pub output: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Cli(#[from] CliError),
    #[error("{path}: {reason}")]
    BadFile { path: String, reason: String },
    #[error("{0}")]
    Registry(String),
    #[error("{subject} version {version} exists in the target with id {found}, not {expected}: the target is not empty of this registry's ids; import into an empty registry (or context)")]
    Conflict {
        subject: String,
        version: i64,
        expected: i64,
        found: i64,
    },
    #[error("cannot open the database")]
    Store(#[source] crate::store::StoreError),
    #[error("{0}")]
    Database(String),
}

fn registry_error(context: &str) -> impl Fn(RegistryError) -> TransferError + '_ {
    move |error| TransferError::Registry(format!("{context}: {error}"))
}

/// `accord export`.
pub async fn export(args: ExportArgs, errors: &mut dyn Write) -> ExitCode {
    let result = async {
        let export = read_export(&args.source, errors).await?;
        let mut out: Box<dyn Write> = match &args.output {
            Some(path) => Box::new(std::io::BufWriter::new(
                std::fs::File::create(path).map_err(CliError::Io)?,
            )),
            None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
        };
        write_export(&export, &mut out).map_err(CliError::Io)?;
        out.flush().map_err(CliError::Io)?;
        Ok::<_, TransferError>(export)
    }
    .await;
    finish("export", result.map(|export| summary(&export)), errors)
}

/// `accord import`.
pub async fn import(args: ImportArgs, errors: &mut dyn Write) -> ExitCode {
    let result = async {
        let export = read_export_file(&args.file)?;
        let client = args.auth.client(&args.registry)?;
        write_registry(&client, &export, args.dry_run, errors).await
    }
    .await;
    finish("import", result, errors)
}

/// `accord migrate`.
pub async fn migrate(args: MigrateArgs, errors: &mut dyn Write) -> ExitCode {
    let result = async {
        let is_database = ["sqlite:", "postgres:", "postgresql:"]
            .iter()
            .any(|scheme| args.from.starts_with(scheme));
        let source = SourceArgs {
            database: is_database.then(|| args.from.clone()),
            registry: (!is_database).then(|| args.from.clone()),
            auth: args.auth.clone(),
        };
        let export = read_export(&source, errors).await?;
        let client = args.auth.client(&args.to)?;
        write_registry(&client, &export, args.dry_run, errors).await
    }
    .await;
    finish("migrate", result, errors)
}

/// `accord backup`: SQLite's `VACUUM INTO`, which copies the database as
/// of one read transaction while writers go on (WAL mode).
pub async fn backup(args: BackupArgs, errors: &mut dyn Write) -> ExitCode {
    let result = async {
        if !args.database.starts_with("sqlite:") {
            return Err(TransferError::Database(
                "accord backup copies an SQLite database; back up PostgreSQL with pg_dump, or any registry with accord export".to_owned(),
            ));
        }
        if args.output.exists() {
            return Err(TransferError::Database(format!(
                "{} exists; name a new file",
                args.output.display()
            )));
        }
        let path = args.output.to_str().ok_or_else(|| {
            TransferError::Database("the backup path is not valid UTF-8".to_owned())
        })?;
        let store = Store::connect(&args.database)
            .await
            .map_err(TransferError::Store)?;
        store
            .backup_into(path)
            .await
            .map_err(|error| TransferError::Database(crate::error_chain(&error)))?;
        store.close().await;
        Ok(format!("backed up to {}", args.output.display()))
    }
    .await;
    finish("backup", result, errors)
}

fn finish(
    command: &str,
    result: Result<String, TransferError>,
    errors: &mut dyn Write,
) -> ExitCode {
    match result {
        Ok(summary) => {
            let _ = writeln!(errors, "accord {command}: {summary}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            let _ = writeln!(errors, "accord {command}: {}", crate::error_chain(&error));
            ExitCode::from(2)
        }
    }
}

fn summary(export: &Export) -> String {
    format!(
        "{} contexts, {} versions ({} deleted), {} configs, {} modes",
        export.contexts.len(),
        export.versions.len(),
        export.versions.iter().filter(|v| v.deleted).count(),
        export.configs.len(),
        export.modes.len()
    )
}

async fn read_export(source: &SourceArgs, errors: &mut dyn Write) -> Result<Export, TransferError> {
    match (&source.database, &source.registry) {
        (Some(database), _) => export_database(database).await,
        (None, Some(url)) => {
            let client = source.auth.client(url)?;
            export_registry(&client, errors).await
        }
        (None, None) => {
            Err(CliError::Usage("name --database URL or --registry URL".to_owned()).into())
        }
    }
}

/// Writes the header and the records, one a line.
pub fn write_export(export: &Export, out: &mut dyn Write) -> std::io::Result<()> {
    let mut line = |record: &Record| -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, record)?;
        out.write_all(b"\n")
    };
    line(&Record::Header {
        format: FORMAT.to_owned(),
        version: FORMAT_VERSION,
    })?;
    for context in &export.contexts {
        line(&Record::Context {
            context: context.clone(),
        })?;
    }
    for version in &export.versions {
        line(&Record::Version(version.clone()))?;
    }
    for (scope, config) in &export.configs {
        line(&Record::Config {
            scope: scope.clone(),
            config: config.clone(),
        })?;
    }
    for (scope, mode) in &export.modes {
        line(&Record::Mode {
            scope: scope.clone(),
            mode: mode.clone(),
        })?;
    }
    Ok(())
}

fn read_export_file(path: &std::path::Path) -> Result<Export, TransferError> {
    let bad = |line: usize, reason: String| TransferError::BadFile {
        path: format!("{}:{line}", path.display()),
        reason,
    };
    let file = std::fs::File::open(path).map_err(|source| CliError::ReadFile {
        path: path.to_owned(),
        source,
    })?;
    let mut export = Export::default();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(CliError::Io)?;
        if line.trim().is_empty() {
            continue;
        }
        let record: Record =
            serde_json::from_str(&line).map_err(|error| bad(n + 1, error.to_string()))?;
        match record {
            Record::Header { format, version } => {
                if n != 0 || format != FORMAT || version != FORMAT_VERSION {
                    return Err(bad(
                        n + 1,
                        format!("expected the header of {FORMAT} version {FORMAT_VERSION}"),
                    ));
                }
            }
            _ if n == 0 => return Err(bad(1, format!("not an {FORMAT} file: no header"))),
            Record::Context { context } => export.contexts.push(context),
            Record::Version(version) => export.versions.push(version),
            Record::Config { scope, config } => export.configs.push((scope, config)),
            Record::Mode { scope, mode } => export.modes.push((scope, mode)),
        }
    }
    if export == Export::default() {
        return Err(bad(0, "the file is empty".to_owned()));
    }
    Ok(export)
}

/// Sorts what was read into export order.
fn ordered(mut export: Export) -> Export {
    export.contexts.sort();
    export.contexts.dedup();
    export
        .versions
        .sort_by(|a, b| (&a.subject, a.version).cmp(&(&b.subject, b.version)));
    export.configs.sort_by(|a, b| a.0.cmp(&b.0));
    export.modes.sort_by(|a, b| a.0.cmp(&b.0));
    export
}

/// Reads an Accord database through the registry service.
async fn export_database(url: &str) -> Result<Export, TransferError> {
    let store = Store::connect(url).await.map_err(TransferError::Store)?;
    let registry = Registry::new(
        store.clone(),
        RegistryOptions {
            max_schema_bytes: usize::MAX,
            default_compatibility: accord_schema::CompatibilityLevel::Backward,
            cache_max_bytes: crate::registry::DEFAULT_CACHE_MAX_BYTES,
        },
    );
    let failed =
        |error: crate::registry::RegistryError| TransferError::Database(crate::error_chain(&error));
    let mut export = Export {
        contexts: registry.contexts().await.map_err(failed)?,
        ..Export::default()
    };
    let every = SubjectListFilter {
        prefix: Some(":*:".to_owned()),
        deleted: true,
        deleted_only: false,
    };
    for name in registry
        .list_subjects(&every, Page::ALL)
        .await
        .map_err(failed)?
    {
        let subject = Subject::parse(&name);
        let versions = registry
            .list_versions(&subject, true, false)
            .await
            .map_err(failed)?;
        for version in versions {
            let view = registry
                .get_version(
                    &subject,
                    VersionSpec::Number(version),
                    true,
                    SchemaFormat::Stored,
                )
                .await
                .map_err(failed)?;
            export.versions.push(ExportedVersion {
                subject: name.clone(),
                version: version.get(),
                id: view.id.get(),
                guid: Some(view.guid),
                deleted: view.deleted,
                schema_type: view.schema_type.to_string(),
                schema: view.schema,
                references: view
                    .references
                    .iter()
                    .map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
                    .collect(),
                metadata: view.metadata,
                rule_set: view.rule_set,
            });
        }
    }
    let (configs, modes) = registry.stored_settings().await.map_err(failed)?;
    export.configs = configs
        .into_iter()
        .map(|(scope, config)| (scope_name(&scope), config))
        .collect();
    export.modes = modes
        .into_iter()
        .map(|(scope, mode)| (scope_name(&scope), mode))
        .collect();
    store.close().await;
    Ok(ordered(export))
}

/// A stored scope key as the export names it: the top level is `""`.
fn scope_name(key: &str) -> String {
    if key == ":.:" {
        String::new()
    } else {
        key.to_owned()
    }
}

/// GET, with a 404 as `None`.
async fn get_optional(
    client: &RegistryClient,
    path: &str,
    query: &[(&str, &str)],
) -> Result<Option<Value>, TransferError> {
    match client.send_json(Method::GET, path, query, None).await {
        Ok(value) => Ok(Some(value)),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(registry_error(path)(error)),
    }
}

/// Reads any Confluent-compatible registry through its REST API.
async fn export_registry(
    client: &RegistryClient,
    errors: &mut dyn Write,
) -> Result<Export, TransferError> {
    let mut export = Export::default();
    if let Some(Value::Array(contexts)) = get_optional(client, "/contexts", &[]).await? {
        export.contexts = contexts
            .into_iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
    }
    let subjects: Vec<String> = client
        .send_json(
            Method::GET,
            "/subjects",
            &[("deleted", "true"), ("subjectPrefix", ":*:")],
            None,
        )
        .await
        .map_err(registry_error("/subjects"))
        .and_then(|value| {
            serde_json::from_value(value)
                .map_err(|e| TransferError::Registry(format!("/subjects: {e}")))
        })?;
    let mut progress = Progress::new("export", subjects.len(), errors);
    for subject in &subjects {
        let base = format!("/subjects/{}/versions", encode_path_segment(subject));
        let all = versions(client, &base, true).await?;
        let live: BTreeSet<i64> = versions(client, &base, false).await?.into_iter().collect();
        for version in all {
            let path = format!("{base}/{version}");
            let Some(body) = get_optional(client, &path, &[("deleted", "true")]).await? else {
                continue;
            };
            export
                .versions
                .push(version_of(subject, version, &live, body, &path)?);
        }
        for (kind, list) in [("config", &mut export.configs)] {
            let path = format!("/{kind}/{}", encode_path_segment(subject));
            if let Some(config) =
                get_optional(client, &path, &[("defaultToGlobal", "false")]).await?
            {
                list.push((subject.clone(), config));
            }
        }
        let path = format!("/mode/{}", encode_path_segment(subject));
        if let Some(mode) = get_optional(client, &path, &[("defaultToGlobal", "false")]).await? {
            if let Some(mode) = mode["mode"].as_str() {
                export.modes.push((subject.clone(), mode.to_owned()));
            }
        }
        progress.step();
    }
    progress.done();
    // Context and top-level settings.
    let mut scopes: Vec<String> = export
        .contexts
        .iter()
        .filter(|c| c.as_str() != ".")
        .map(|c| format!(":{c}:"))
        .collect();
    scopes.insert(0, String::new());
    for scope in scopes {
        let suffix = if scope.is_empty() {
            String::new()
        } else {
            format!("/{}", encode_path_segment(&scope))
        };
        let query: &[(&str, &str)] = if scope.is_empty() {
            &[]
        } else {
            &[("defaultToGlobal", "false")]
        };
        if let Some(config) = get_optional(client, &format!("/config{suffix}"), query).await? {
            export.configs.push((scope.clone(), config));
        }
        if let Some(mode) = get_optional(client, &format!("/mode{suffix}"), query).await? {
            if let Some(mode) = mode["mode"].as_str() {
                export.modes.push((scope.clone(), mode.to_owned()));
            }
        }
    }
    Ok(ordered(export))
}

async fn versions(
    client: &RegistryClient,
    path: &str,
    deleted: bool,
) -> Result<Vec<i64>, TransferError> {
    let query: &[(&str, &str)] = if deleted { &[("deleted", "true")] } else { &[] };
    Ok(match get_optional(client, path, query).await? {
        Some(value) => serde_json::from_value(value)
            .map_err(|e| TransferError::Registry(format!("{path}: {e}")))?,
        None => Vec::new(),
    })
}

fn version_of(
    subject: &str,
    version: i64,
    live: &BTreeSet<i64>,
    body: Value,
    path: &str,
) -> Result<ExportedVersion, TransferError> {
    let invalid = |what: &str| TransferError::Registry(format!("{path}: no {what} in the answer"));
    Ok(ExportedVersion {
        subject: subject.to_owned(),
        version,
        id: body["id"].as_i64().ok_or_else(|| invalid("id"))?,
        guid: body["guid"].as_str().map(str::to_owned),
        deleted: !live.contains(&version),
        // Confluent leaves out the type of Avro schemas.
        schema_type: body["schemaType"].as_str().unwrap_or("AVRO").to_owned(),
        schema: body["schema"]
            .as_str()
            .ok_or_else(|| invalid("schema"))?
            .to_owned(),
        references: body["references"].as_array().cloned().unwrap_or_default(),
        metadata: Some(body["metadata"].clone()).filter(|v| !v.is_null()),
        rule_set: Some(body["ruleSet"].clone()).filter(|v| !v.is_null()),
    })
}

/// The order to register versions in: every version after the versions its
/// references name (which the export holds, or the target has already).
fn import_order(versions: &[ExportedVersion]) -> Vec<&ExportedVersion> {
    let index: BTreeMap<(&str, i64), usize> = versions
        .iter()
        .enumerate()
        .map(|(n, v)| ((v.subject.as_str(), v.version), n))
        .collect();
    let mut placed = vec![false; versions.len()];
    let mut order = Vec::with_capacity(versions.len());
    fn place<'a>(
        n: usize,
        versions: &'a [ExportedVersion],
        index: &BTreeMap<(&str, i64), usize>,
        placed: &mut [bool],
        order: &mut Vec<&'a ExportedVersion>,
    ) {
        if placed[n] {
            return;
        }
        placed[n] = true;
        let version = &versions[n];
        for reference in &version.references {
            let subject = reference["subject"].as_str().unwrap_or("");
            let qualified = qualify_like(&version.subject, subject);
            if let Some(target) = reference["version"]
                .as_i64()
                .and_then(|v| index.get(&(qualified.as_str(), v)))
            {
                place(*target, versions, index, placed, order);
            }
        }
        order.push(version);
    }
    for n in 0..versions.len() {
        place(n, versions, &index, &mut placed, &mut order);
    }
    order
}

/// A reference's subject is in its referrer's context unless qualified.
fn qualify_like(referrer: &str, subject: &str) -> String {
    if subject.starts_with(':') {
        return subject.to_owned();
    }
    match referrer
        .strip_prefix(':')
        .and_then(|rest| rest.split_once(':'))
    {
        Some((context, _)) if context != "." => format!(":{context}:{subject}"),
        _ => subject.to_owned(),
    }
}

/// Writes `export` into the registry behind `client`; see the module docs.
/// IMPORT mode is set on each subject while its versions are written (and
/// removed after), so the registry's own top-level and context modes are
/// left as they were.
async fn write_registry(
    client: &RegistryClient,
    export: &Export,
    dry_run: bool,
    errors: &mut dyn Write,
) -> Result<String, TransferError> {
    let mut changes = Changes::default();
    let mut importing = BTreeSet::new();
    let written = write_versions(
        client,
        export,
        dry_run,
        &mut changes,
        &mut importing,
        errors,
    )
    .await;
    for subject in &importing {
        let path = format!("/mode/{}", encode_path_segment(subject));
        client
            .send_json(Method::DELETE, &path, &[], None)
            .await
            .map_err(registry_error(&path))?;
    }
    written?;
    write_settings(client, export, dry_run, &mut changes, errors).await?;
    Ok(changes.summary(dry_run))
}

#[derive(Default)]
struct Changes {
    registered: usize,
    deleted: usize,
    settings: usize,
    unchanged: usize,
}

impl Changes {
    fn say(&self, errors: &mut dyn Write, line: String) {
        let _ = writeln!(errors, "{line}");
    }

    fn summary(&self, dry_run: bool) -> String {
        let verb = if dry_run {
            "would register"
        } else {
            "registered"
        };
        format!(
            "{verb} {} versions, soft-deleted {}, set {} configs and modes; {} already there",
            self.registered, self.deleted, self.settings, self.unchanged
        )
    }
}

async fn write_versions(
    client: &RegistryClient,
    export: &Export,
    dry_run: bool,
    changes: &mut Changes,
    importing: &mut BTreeSet<String>,
    errors: &mut dyn Write,
) -> Result<(), TransferError> {
    let order = import_order(&export.versions);
    let mut progress = Progress::new("import", order.len(), errors);
    for version in order {
        let subject = encode_path_segment(&version.subject);
        let path = format!("/subjects/{subject}/versions/{}", version.version);
        // A registry may answer for an unqualified subject with the same
        // name in another context (Confluent does): that is not this one.
        let existing = get_optional(client, &path, &[("deleted", "true")])
            .await?
            .filter(|found| found["subject"].as_str() == Some(version.subject.as_str()));
        let mut deleted_there = false;
        match existing {
            Some(found) => {
                let found_id = found["id"].as_i64().unwrap_or(-1);
                if found_id != version.id {
                    return Err(TransferError::Conflict {
                        subject: version.subject.clone(),
                        version: version.version,
                        expected: version.id,
                        found: found_id,
                    });
                }
                deleted_there = found["deleted"].as_bool().unwrap_or(false)
                    || !versions(client, &format!("/subjects/{subject}/versions"), false)
                        .await?
                        .contains(&version.version);
                changes.unchanged += 1;
            }
            None if dry_run => {
                progress.say(format!(
                    "would register {} version {} as id {}",
                    version.subject, version.version, version.id
                ));
                changes.registered += 1;
            }
            None => {
                if importing.insert(version.subject.clone()) {
                    let path = format!("/mode/{subject}");
                    client
                        .send_json(
                            Method::PUT,
                            &path,
                            &[("force", "true")],
                            Some(&json!({ "mode": "IMPORT" })),
                        )
                        .await
                        .map_err(registry_error(&path))?;
                }
                let mut body = json!({
                    "schema": version.schema,
                    "schemaType": version.schema_type,
                    "references": version.references,
                    "id": version.id,
                    "version": version.version,
                });
                if let Some(metadata) = &version.metadata {
                    body["metadata"] = metadata.clone();
                }
                if let Some(rule_set) = &version.rule_set {
                    body["ruleSet"] = rule_set.clone();
                }
                let answer = client
                    .send_json(
                        Method::POST,
                        &format!("/subjects/{subject}/versions"),
                        &[],
                        Some(&body),
                    )
                    .await
                    .map_err(registry_error(&version.subject))?;
                if answer["id"].as_i64() != Some(version.id) {
                    return Err(TransferError::Registry(format!(
                        "{} version {}: the target gave id {}, not {}",
                        version.subject, version.version, answer["id"], version.id
                    )));
                }
                changes.registered += 1;
            }
        }
        if version.deleted && !deleted_there {
            if dry_run {
                progress.say(format!(
                    "would soft-delete {} version {}",
                    version.subject, version.version
                ));
            } else {
                client
                    .send_json(Method::DELETE, &path, &[], None)
                    .await
                    .map_err(registry_error(&path))?;
            }
            changes.deleted += 1;
        }
        progress.step();
    }
    progress.done();
    Ok(())
}

async fn write_settings(
    client: &RegistryClient,
    export: &Export,
    dry_run: bool,
    changes: &mut Changes,
    errors: &mut dyn Write,
) -> Result<(), TransferError> {
    let path = |kind: &str, scope: &str| {
        if scope.is_empty() {
            format!("/{kind}")
        } else {
            format!("/{kind}/{}", encode_path_segment(scope))
        }
    };
    for (scope, config) in &export.configs {
        let path = path("config", scope);
        let query: &[(&str, &str)] = if scope.is_empty() {
            &[]
        } else {
            &[("defaultToGlobal", "false")]
        };
        // A registry shows a scope's config with the defaults it fills in:
        // in force already when every exported field is.
        let current = get_optional(client, &path, query).await?;
        if current.is_some_and(|current| holds(&current, config)) {
            continue;
        }
        changes.settings += 1;
        let verb = if dry_run { "would set" } else { "setting" };
        changes.say(errors, format!("{verb} {path} to {config}"));
        if dry_run {
            continue;
        }
        client
            .send_json(Method::PUT, &path, &[], Some(&config_update(config)))
            .await
            .map_err(registry_error(&path))?;
    }
    for (scope, mode) in &export.modes {
        let path = path("mode", scope);
        let query: &[(&str, &str)] = if scope.is_empty() {
            &[]
        } else {
            &[("defaultToGlobal", "false")]
        };
        let current = get_optional(client, &path, query).await?;
        if current.as_ref().and_then(|m| m["mode"].as_str()) == Some(mode.as_str()) {
            continue;
        }
        changes.settings += 1;
        let verb = if dry_run { "would set" } else { "setting" };
        changes.say(errors, format!("{verb} {path} to {mode}"));
        if dry_run {
            continue;
        }
        client
            .send_json(
                Method::PUT,
                &path,
                &[("force", "true")],
                Some(&json!({ "mode": mode })),
            )
            .await
            .map_err(registry_error(&path))?;
    }
    Ok(())
}

/// Whether every field of `config` has its value in `current`.
fn holds(current: &Value, config: &Value) -> bool {
    match (current.as_object(), config.as_object()) {
        (Some(current), Some(config)) => config
            .iter()
            .all(|(field, value)| current.get(field) == Some(value)),
        _ => current == config,
    }
}

/// A config as `GET /config` shows it, as `PUT /config` takes it: the
/// level is `compatibilityLevel` in one and `compatibility` in the other.
fn config_update(config: &Value) -> Value {
    let mut update = config.clone();
    if let Some(fields) = update.as_object_mut() {
        if let Some(level) = fields.remove("compatibilityLevel") {
            fields.insert("compatibility".to_owned(), level);
        }
    }
    update
}

/// Progress of a long run: a bar redrawn in place on a terminal, a plain
/// line every 10% otherwise.
struct Progress<'w> {
    what: &'static str,
    total: usize,
    done: usize,
    terminal: bool,
    out: &'w mut dyn Write,
}

impl<'w> Progress<'w> {
    fn new(what: &'static str, total: usize, out: &'w mut dyn Write) -> Progress<'w> {
        Progress {
            what,
            total,
            done: 0,
            terminal: std::io::stderr().is_terminal(),
            out,
        }
    }

    fn say(&mut self, line: String) {
        if self.terminal {
            let _ = write!(self.out, "\r\x1b[2K");
        }
        let _ = writeln!(self.out, "{line}");
    }

    fn step(&mut self) {
        self.done += 1;
        if self.terminal {
            let width = 30;
            let filled = (self.done * width).checked_div(self.total).unwrap_or(width);
            let _ = write!(
                self.out,
                "\r{} [{}{}] {}/{}",
                self.what,
                "#".repeat(filled),
                " ".repeat(width - filled.min(width)),
                self.done,
                self.total
            );
            let _ = self.out.flush();
        } else if self.total >= 10 && self.done.is_multiple_of(self.total / 10) {
            let _ = writeln!(self.out, "{}: {}/{}", self.what, self.done, self.total);
        }
    }

    fn done(&mut self) {
        if self.terminal && self.total > 0 {
            let _ = writeln!(self.out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(subject: &str, version: i64, references: Vec<Value>) -> ExportedVersion {
        ExportedVersion {
            subject: subject.to_owned(),
            version,
            id: version,
            guid: None,
            deleted: false,
            schema_type: "AVRO".to_owned(),
            schema: "\"string\"".to_owned(),
            references,
            metadata: None,
            rule_set: None,
        }
    }

    #[test]
    fn references_are_imported_before_their_referrers() {
        let versions = vec![
            version(
                "a",
                1,
                vec![json!({"name": "b", "subject": "b", "version": 1})],
            ),
            version(
                ":.ctx:c",
                1,
                vec![json!({"name": "d", "subject": "d", "version": 2})],
            ),
            version("b", 1, Vec::new()),
            version(":.ctx:d", 2, Vec::new()),
        ];
        let order: Vec<(&str, i64)> = import_order(&versions)
            .iter()
            .map(|v| (v.subject.as_str(), v.version))
            .collect();
        assert_eq!(order, [("b", 1), ("a", 1), (":.ctx:d", 2), (":.ctx:c", 1)]);
    }

    #[test]
    fn the_file_round_trips_and_names_its_format() {
        let export = Export {
            contexts: vec![".".to_owned()],
            versions: vec![version("a", 1, Vec::new())],
            configs: vec![(String::new(), json!({"compatibilityLevel": "FULL"}))],
            modes: vec![("a".to_owned(), "READONLY".to_owned())],
        };
        let mut bytes = Vec::new();
        write_export(&export, &mut bytes).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        assert!(
            text.starts_with("{\"kind\":\"header\",\"format\":\"accord-export\",\"version\":1}\n")
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("export.jsonl");
        std::fs::write(&path, &text).unwrap();
        assert_eq!(read_export_file(&path).unwrap(), export);
        std::fs::write(&path, text.lines().skip(1).collect::<Vec<_>>().join("\n")).unwrap();
        assert!(read_export_file(&path)
            .unwrap_err()
            .to_string()
            .contains("no header"));
    }
}
