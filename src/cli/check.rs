//! `accord check`: are the project's schema files compatible with an
//! earlier git revision of themselves (offline, with accord-schema), or with
//! the live versions of their subjects in a registry?

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use accord_schema::{CheckOptions, CompatibilityLevel, Direction, ParsedSchema, ResolvedReference};
use accord_serde::{Reference, RegistryClient, Schema, SubjectVersion};
use clap::Args;

use super::locate::line_of;
use super::project::{format_name, Project, SchemaFile, Schemas, DEFAULT_PROJECT_FILE};
use super::report::{CheckReport, Finding, ReportFormat, SchemaVerdict, Status};
use super::tree::Tree;
use super::{AuthArgs, CliError};

/// Options of `accord check`.
#[derive(Args, Clone, Debug)]
pub struct CheckArgs {
    /// The project file mapping schema files to subjects.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_PROJECT_FILE)]
    pub config: PathBuf,
    /// What to check against: `git:REF` (a branch, tag or commit; offline)
    /// or a registry URL (the live versions of each subject).
    #[arg(long, value_name = "git:REF|URL", default_value = "git:HEAD")]
    pub against: String,
    /// The compatibility level to check at, overriding accord.toml and
    /// the registry.
    #[arg(long, value_name = "LEVEL", value_parser = parse_level)]
    pub level: Option<CompatibilityLevel>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    #[command(flatten)]
    pub auth: AuthArgs,
}

pub(crate) fn parse_level(name: &str) -> Result<CompatibilityLevel, String> {
    CompatibilityLevel::from_str(name).map_err(|()| {
        "use NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE"
            .to_owned()
    })
}

/// What a check runs against.
enum Baseline {
    Git(String),
    Registry(String),
}

impl Baseline {
    fn parse(against: &str) -> Result<Baseline, CliError> {
        if let Some(revision) = against.strip_prefix("git:") {
            Ok(Baseline::Git(revision.to_owned()))
        } else if against.starts_with("http://") || against.starts_with("https://") {
            Ok(Baseline::Registry(against.to_owned()))
        } else {
            Err(CliError::Usage(format!(
                "--against `{against}`: give git:REF (a branch, tag or commit) or a registry URL (http:// or https://)"
            )))
        }
    }
}

/// Runs `accord check`; exit status 0 when every schema is compatible, 1
/// when any breaks, 2 when the check cannot run.
pub async fn check(args: CheckArgs, output: &mut dyn Write, errors: &mut dyn Write) -> ExitCode {
    match run(&args).await {
        Ok(report) => {
            let text = report.render(args.format);
            if let Err(error) = output
                .write_all(text.as_bytes())
                .and_then(|()| output.flush())
            {
                let _ = writeln!(errors, "accord check: cannot write the report: {error}");
                return ExitCode::from(2);
            }
            if report.compatible {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(error) => {
            let _ = writeln!(errors, "accord check: {error}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &CheckArgs) -> Result<CheckReport, CliError> {
    let baseline = Baseline::parse(&args.against)?;
    let project = Project::load(&args.config)?;
    let working = project.schemas(&Tree::Working {
        root: project.root.clone(),
    })?;
    // Every file must parse before anything is compared: a broken file is
    // an error (exit 2), not a verdict.
    let mut parsed = Vec::with_capacity(working.files.len());
    for file in &working.files {
        parsed.push(parse(&project, &working, file, "")?);
    }
    let verdicts: Vec<SchemaVerdict> = match baseline {
        Baseline::Git(revision) => {
            let tree = Tree::git(&project.root, &revision)?;
            let earlier = project.schemas(&tree)?;
            working
                .files
                .iter()
                .zip(&parsed)
                .map(|(file, new)| {
                    against_revision(&project, args, file, new, &working, &earlier, &tree.name())
                })
                .collect()
        }
        Baseline::Registry(url) => {
            let client = args.auth.client(&url)?;
            let mut online = Online {
                client,
                registered: HashMap::new(),
            };
            let mut verdicts = Vec::with_capacity(working.files.len());
            for file in working.in_dependency_order()? {
                let index = working
                    .files
                    .iter()
                    .position(|f| f.path == file.path)
                    .expect("ordered files come from the list");
                let verdict = online
                    .verdict(&project, args, &working, file, &parsed[index])
                    .await?;
                verdicts.push((index, verdict));
            }
            verdicts.sort_by_key(|(index, _)| *index);
            verdicts.into_iter().map(|(_, verdict)| verdict).collect()
        }
    };
    Ok(CheckReport {
        against: args.against.clone(),
        compatible: verdicts.iter().all(|v| v.status != Status::Incompatible),
        schemas: verdicts,
    })
}

/// Parses a project file with the project files it references.
pub(super) fn parse(
    project: &Project,
    schemas: &Schemas,
    file: &SchemaFile,
    at: &str,
) -> Result<ParsedSchema, CliError> {
    let dependencies = schemas.dependencies(file)?;
    // The name each dependency is referred to by, from whichever file of
    // the closure refers to it.
    let mut names: HashMap<&str, &str> = HashMap::new();
    for referring in dependencies.iter().copied().chain([file]) {
        for reference in &referring.references {
            names.entry(&reference.path).or_insert(&reference.name);
        }
    }
    let references: Vec<ResolvedReference<'_>> = dependencies
        .iter()
        .map(|dependency| ResolvedReference {
            name: names.get(dependency.path.as_str()).copied().unwrap_or(""),
            schema: &dependency.text,
        })
        .collect();
    ParsedSchema::parse(file.schema_type, &file.text, &references).map_err(|error| {
        CliError::Usage(format!(
            "{}{at}: not a valid {} schema: {}",
            project.display_path(&file.path),
            format_name(file.schema_type),
            one_line(&error.to_string())
        ))
    })
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The level a file is checked at: `--level`, accord.toml's, or the
/// registry default BACKWARD.
fn offline_level(args: &CheckArgs, file: &SchemaFile) -> CompatibilityLevel {
    args.level
        .or(file.level)
        .unwrap_or(CompatibilityLevel::Backward)
}

fn against_revision(
    project: &Project,
    args: &CheckArgs,
    file: &SchemaFile,
    new: &ParsedSchema,
    working: &Schemas,
    earlier: &Schemas,
    revision: &str,
) -> SchemaVerdict {
    let level = offline_level(args, file);
    let mut verdict = new_verdict(project, file);
    verdict.level = level.to_string();
    verdict.compared_with = revision.to_owned();
    // The subject is what registries know a schema by, so a file that
    // moved is compared with its subject's earlier file.
    let Some(old_file) = earlier.files.iter().find(|f| f.subject == file.subject) else {
        verdict.note = Some(format!(
            "subject {} has no schema at {revision}",
            file.subject
        ));
        return verdict;
    };
    let dependency_texts = |file: &SchemaFile, schemas: &'_ Schemas| -> Vec<String> {
        schemas
            .dependencies(file)
            .map(|files| files.iter().map(|f| f.text.clone()).collect())
            .unwrap_or_default()
    };
    if old_file.text == file.text
        && dependency_texts(old_file, earlier) == dependency_texts(file, working)
    {
        verdict.status = Status::Unchanged;
        return verdict;
    }
    let old = match parse(project, earlier, old_file, &format!(" at {revision}")) {
        Ok(old) => old,
        Err(error) => {
            verdict.note = Some(format!("nothing to compare with: {error}"));
            return verdict;
        }
    };
    verdict.findings = findings(new, &old, level, None, &format!("the schema at {revision}"));
    locate(project, working, file, &mut verdict.findings);
    verdict.status = status_of(&verdict.findings);
    verdict
}

/// A verdict for `file` with nothing compared yet.
fn new_verdict(project: &Project, file: &SchemaFile) -> SchemaVerdict {
    SchemaVerdict {
        file: project.display_path(&file.path),
        subject: file.subject.clone(),
        format: file.schema_type.as_str(),
        level: String::new(),
        status: Status::New,
        compared_with: String::new(),
        note: None,
        findings: Vec::new(),
    }
}

/// Who cannot read whose data, `old` naming the earlier schema (`version
/// 3`, `the schema at git:main`), in the server's `explain` wording.
fn breaks(direction: Direction, old: &str) -> String {
    match direction {
        Direction::Backward => {
            format!("data written with {old} cannot be read with the new schema")
        }
        Direction::Forward => {
            format!("data written with the new schema cannot be read by readers still on {old}")
        }
    }
}

/// Points each finding at a line: of the schema's own file or, for a path
/// into a type that another project file defines (a Protobuf import), of
/// that file.
fn locate(project: &Project, working: &Schemas, file: &SchemaFile, findings: &mut [Finding]) {
    let dependencies = working.dependencies(file).unwrap_or_default();
    for finding in findings {
        if finding.path.is_empty() {
            continue;
        }
        finding.line = line_of(file.schema_type, &file.text, &finding.path);
        if finding.line.is_some() {
            continue;
        }
        for dependency in &dependencies {
            if let Some(line) = line_of(dependency.schema_type, &dependency.text, &finding.path) {
                finding.file = Some(project.display_path(&dependency.path));
                finding.line = Some(line);
                break;
            }
        }
    }
}

/// Every incompatibility of `new` with `old` (named `old_name` in the
/// findings) at `level`.
fn findings(
    new: &ParsedSchema,
    old: &ParsedSchema,
    level: CompatibilityLevel,
    version: Option<i64>,
    old_name: &str,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for &direction in level.directions() {
        for incompatibility in
            ParsedSchema::incompatibilities(new, old, direction, &CheckOptions::default())
        {
            findings.push(Finding {
                file: None,
                line: None,
                rule: incompatibility.rule.to_owned(),
                path: incompatibility.path,
                direction: direction_name(direction).to_owned(),
                version,
                breaks: breaks(direction, old_name),
                description: incompatibility.description,
                detail: incompatibility.detail,
                old: incompatibility.old_fragment,
                new: incompatibility.new_fragment,
                fix: incompatibility.fix,
            });
        }
    }
    findings
}

fn status_of(findings: &[Finding]) -> Status {
    if findings.is_empty() {
        Status::Compatible
    } else {
        Status::Incompatible
    }
}

/// A registry check's state: which project files are registered as what,
/// so that files referring to them can name their versions.
struct Online {
    client: RegistryClient,
    /// Per project file: the version its current text is registered as
    /// under its subject, or `None` when it is not registered.
    registered: HashMap<String, Option<i32>>,
}

impl Online {
    /// `file`'s references as registry references, or `None` when one of
    /// them is not registered in its current form.
    fn references(&self, working: &Schemas, file: &SchemaFile) -> Option<Vec<Reference>> {
        file.references
            .iter()
            .map(|reference| {
                let version = (*self.registered.get(&reference.path)?)?;
                let target = working.by_path(&reference.path)?;
                Some(Reference {
                    name: reference.name.clone(),
                    subject: target.subject.clone(),
                    version,
                })
            })
            .collect()
    }

    async fn verdict(
        &mut self,
        project: &Project,
        args: &CheckArgs,
        working: &Schemas,
        file: &SchemaFile,
        new: &ParsedSchema,
    ) -> Result<SchemaVerdict, CliError> {
        let registry_error = |error: accord_serde::RegistryError| CliError::Codec(error.into());
        let subject = &file.subject;
        let mut verdict = new_verdict(project, file);
        // The schema as the registry would take it, when every reference
        // is registered.
        let schema = self.references(working, file).map(|references| Schema {
            schema_type: file.schema_type,
            schema: file.text.clone(),
            references,
            guid: None,
        });
        let mut registered = None;
        if let Some(schema) = &schema {
            registered = match self.client.lookup(subject, schema, false).await {
                Ok(registration) => registration.version,
                Err(error) if error.is_not_found() => None,
                Err(error) => return Err(registry_error(error)),
            };
        }
        self.registered.insert(file.path.clone(), registered);

        let versions = match self.client.versions(subject).await {
            Ok(versions) => versions,
            Err(error) if error.is_not_found() => Vec::new(),
            Err(error) => return Err(registry_error(error)),
        };
        let level = match args.level.or(file.level) {
            Some(level) => level,
            None => {
                let name = self
                    .client
                    .compatibility_level(subject)
                    .await
                    .map_err(registry_error)?;
                CompatibilityLevel::from_str(&name).map_err(|()| {
                    CliError::Usage(format!(
                        "the registry gives subject {subject} the unknown compatibility level `{name}`"
                    ))
                })?
            }
        };
        verdict.level = level.to_string();
        let Some(&latest) = versions.last() else {
            verdict.note = Some(format!("subject {subject} has no versions in the registry"));
            return Ok(verdict);
        };
        let compared: Vec<i32> = if level.is_transitive() {
            versions.clone()
        } else {
            vec![latest]
        };
        verdict.compared_with = match compared.as_slice() {
            [one] => format!("version {one}"),
            many => format!(
                "versions {}",
                many.iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        if let Some(version) = registered {
            // Registering it again would change nothing.
            verdict.status = Status::Unchanged;
            verdict.note = Some(format!("registered as version {version}"));
            return Ok(verdict);
        }

        match (args.level.or(file.level), &schema) {
            // The registry's own check, at the subject's own level.
            (None, Some(schema)) => {
                let answer = self
                    .client
                    .check_compatibility(subject, schema)
                    .await
                    .map_err(registry_error)?;
                verdict.findings = answer
                    .incompatibilities
                    .into_iter()
                    .map(|found| Finding {
                        file: None,
                        line: None,
                        rule: found.rule,
                        path: found.path,
                        direction: found.direction,
                        version: Some(found.version),
                        breaks: found.breaks,
                        description: found.description,
                        detail: found.detail,
                        old: found.old,
                        new: found.new,
                        fix: found.fix,
                    })
                    .collect();
                if !answer.is_compatible && verdict.findings.is_empty() {
                    // A registry without `explain`: its verbose messages.
                    verdict.findings = plain_findings(&answer.messages);
                }
                verdict.status = if answer.is_compatible {
                    Status::Compatible
                } else {
                    Status::Incompatible
                };
            }
            // A level of our own, or references the registry does not have
            // yet: the same engine, here, on the versions the level reads.
            (_, schema) => {
                if schema.is_none() {
                    verdict.note = Some(
                        "a schema it references is not registered in its current form, so it \
                         was checked here against the registry's versions"
                            .to_owned(),
                    );
                }
                for version in compared {
                    let old = self
                        .client
                        .version(subject, version)
                        .await
                        .map_err(registry_error)?;
                    let old_schema = parse_registered(&self.client, &old).await?;
                    verdict.findings.extend(findings(
                        new,
                        &old_schema,
                        level,
                        Some(i64::from(version)),
                        &format!("version {version}"),
                    ));
                }
                verdict.status = status_of(&verdict.findings);
            }
        }
        locate(project, working, file, &mut verdict.findings);
        Ok(verdict)
    }
}

/// A registered version, parsed with the schemas it references.
pub(super) async fn parse_registered(
    client: &RegistryClient,
    registered: &SubjectVersion,
) -> Result<ParsedSchema, CliError> {
    let dependencies = client
        .referenced_schemas(&registered.schema)
        .await
        .map_err(|error| CliError::Codec(error.into()))?;
    let references: Vec<ResolvedReference<'_>> = dependencies
        .iter()
        .map(|(name, schema)| ResolvedReference {
            name,
            schema: &schema.schema,
        })
        .collect();
    let schema = &registered.schema;
    ParsedSchema::parse(schema.schema_type, &schema.schema, &references).map_err(|error| {
        CliError::Usage(format!(
            "subject {} version {} in the registry does not parse: {}",
            registered.subject,
            registered.version,
            one_line(&error.to_string())
        ))
    })
}

/// Findings from a registry's verbose messages, for registries that do not
/// explain: Confluent writes `{errorType:'…', description:'…', …}` per
/// difference, then context lines about the old version.
fn plain_findings(messages: &[String]) -> Vec<Finding> {
    messages
        .iter()
        .filter(|message| {
            ![
                "{oldSchemaVersion",
                "{oldSchema",
                "{validateFields",
                "{compatibility",
            ]
            .iter()
            .any(|context| message.starts_with(context))
        })
        .map(|message| {
            let rule = error_types(message)
                .into_iter()
                .next()
                .unwrap_or_else(|| "INCOMPATIBLE".to_owned());
            Finding {
                rule,
                path: String::new(),
                file: None,
                line: None,
                direction: String::new(),
                version: None,
                breaks: "the registry refuses the change".to_owned(),
                description: message.clone(),
                detail: String::new(),
                old: None,
                new: None,
                fix: String::new(),
            }
        })
        .collect()
}

fn direction_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Backward => "BACKWARD",
        Direction::Forward => "FORWARD",
    }
}

/// The `errorType:'…'` rule names in a Confluent message, in order.
pub(super) fn error_types(message: &str) -> Vec<String> {
    message
        .split("errorType:")
        .skip(1)
        .filter_map(|rest| {
            let rest = rest.trim_start_matches(['\'', '"']);
            let name = rest.split(['\'', '"']).next()?;
            (!name.is_empty()).then(|| name.to_owned())
        })
        .collect()
}
