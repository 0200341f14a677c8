//! `accord register`: pushes the project's schemas to a registry, each
//! after the schemas it references, registering only what is not there yet.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use accord_serde::{Reference, RegistryError, Schema};
use clap::{Args, ValueEnum};
use serde::Serialize;

use super::project::{Project, SchemaFile, Schemas, DEFAULT_PROJECT_FILE};
use super::tree::Tree;
use super::{CliError, RegistryArgs};

/// Options of `accord register`.
#[derive(Args, Clone, Debug)]
pub struct RegisterArgs {
    /// The project file mapping schema files to subjects.
    #[arg(long, value_name = "FILE", default_value = DEFAULT_PROJECT_FILE)]
    pub config: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
    /// Show what would be registered, and whether the registry would accept
    /// it, without registering anything.
    #[arg(long)]
    pub dry_run: bool,
    /// Have the registry normalize each schema before it compares and
    /// stores it.
    #[arg(long)]
    pub normalize: bool,
    /// How to print what happened.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    #[default]
    Text,
    Json,
}

/// What happened (or, in a dry run, would happen) to one schema file.
#[derive(Clone, Debug, Serialize)]
struct Outcome {
    file: String,
    subject: String,
    action: Action,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Action {
    /// Already registered under the subject: nothing to do.
    Unchanged,
    Registered,
    /// Dry run: would be registered.
    WouldRegister,
    /// Dry run: the registry would refuse it (incompatible).
    WouldBeRefused,
    /// The registry refused it; the reason says why.
    Refused,
    /// Not attempted: a schema it references was refused.
    Skipped,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Unchanged => "unchanged",
            Action::Registered => "registered",
            Action::WouldRegister => "would register",
            Action::WouldBeRefused => "would be refused",
            Action::Refused => "refused",
            Action::Skipped => "skipped",
        }
    }

    fn failed(self) -> bool {
        matches!(
            self,
            Action::Refused | Action::Skipped | Action::WouldBeRefused
        )
    }
}

/// Runs `accord register`: exit status 0 when everything is registered
/// (or would be), 1 when the registry refuses a schema, 2 when it cannot
/// run.
pub async fn register(
    args: RegisterArgs,
    output: &mut dyn Write,
    errors: &mut dyn Write,
) -> ExitCode {
    match run(&args).await {
        Ok(outcomes) => {
            let text = match args.format {
                PlanFormat::Text => text(&outcomes, args.dry_run),
                PlanFormat::Json => {
                    serde_json::to_string_pretty(&outcomes).expect("outcomes serialize") + "\n"
                }
            };
            if let Err(error) = output
                .write_all(text.as_bytes())
                .and_then(|()| output.flush())
            {
                let _ = writeln!(errors, "accord register: cannot write: {error}");
                return ExitCode::from(2);
            }
            if outcomes.iter().any(|o| o.action.failed()) {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            let _ = writeln!(errors, "accord register: {error}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &RegisterArgs) -> Result<Vec<Outcome>, CliError> {
    let project = Project::load(&args.config)?;
    let schemas = project.schemas(&Tree::Working {
        root: project.root.clone(),
    })?;
    // Parse everything first: nothing is registered from a project with a
    // broken file.
    for file in &schemas.files {
        super::check::parse(&project, &schemas, file, "")?;
    }
    let client = args.registry.client()?;
    let registry_error = |error: RegistryError| CliError::Codec(error.into());
    // Per file: the version its text has under its subject, if any.
    let mut versions: HashMap<&str, Known> = HashMap::new();
    let mut outcomes = Vec::new();
    for file in schemas.in_dependency_order()? {
        let mut outcome = Outcome {
            file: project.display_path(&file.path),
            subject: file.subject.clone(),
            action: Action::Unchanged,
            version: None,
            id: None,
            reason: None,
        };
        let references = match references(&schemas, file, &versions) {
            Ok(references) => references,
            Err(Pending::Refused(path)) => {
                outcome.action = Action::Skipped;
                outcome.reason = Some(format!(
                    "it references {}, which was not registered",
                    project.display_path(path)
                ));
                versions.insert(&file.path, Known::Failed);
                outcomes.push(outcome);
                continue;
            }
            Err(Pending::DryRun(path)) => {
                // Its reference would get a new version first, so the
                // registry cannot be asked about this one yet.
                outcome.action = Action::WouldRegister;
                outcome.reason = Some(format!(
                    "after {}, which it references",
                    project.display_path(path)
                ));
                versions.insert(&file.path, Known::WouldRegister);
                outcomes.push(outcome);
                continue;
            }
        };
        let schema = Schema {
            schema_type: file.schema_type,
            schema: file.text.clone(),
            references,
            guid: None,
        };
        match client.lookup(&file.subject, &schema, args.normalize).await {
            Ok(found) => {
                outcome.version = found.version;
                outcome.id = Some(found.id);
                versions.insert(&file.path, Known::version(found.version));
                outcomes.push(outcome);
                continue;
            }
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(registry_error(error)),
        }
        if args.dry_run {
            let answer = match client.check_compatibility(&file.subject, &schema).await {
                Ok(answer) => Some(answer),
                Err(error) if error.is_not_found() => None,
                Err(error) => return Err(registry_error(error)),
            };
            match answer {
                Some(answer) if !answer.is_compatible => {
                    outcome.action = Action::WouldBeRefused;
                    outcome.reason = Some(refusal_reason(&answer));
                    versions.insert(&file.path, Known::Failed);
                }
                _ => {
                    outcome.action = Action::WouldRegister;
                    versions.insert(&file.path, Known::WouldRegister);
                }
            }
            outcomes.push(outcome);
            continue;
        }
        match client
            .register(&file.subject, &schema, args.normalize)
            .await
        {
            Ok(registration) => {
                outcome.action = Action::Registered;
                outcome.id = Some(registration.id);
                outcome.version = match registration.version {
                    Some(version) => Some(version),
                    // Older registries answer with the id only.
                    None => {
                        client
                            .lookup(&file.subject, &schema, args.normalize)
                            .await
                            .map_err(registry_error)?
                            .version
                    }
                };
                versions.insert(&file.path, Known::version(outcome.version));
            }
            Err(RegistryError::Api {
                status: 409 | 422,
                message,
                ..
            }) => {
                outcome.action = Action::Refused;
                outcome.reason = Some(summarize_refusal(&message));
                versions.insert(&file.path, Known::Failed);
            }
            Err(error) => return Err(registry_error(error)),
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// What is known of a file that others may reference.
#[derive(Clone, Copy)]
enum Known {
    Version(i32),
    /// Dry run: it would get a new version.
    WouldRegister,
    /// It was refused or skipped, or the registry named no version.
    Failed,
}

impl Known {
    fn version(version: Option<i32>) -> Known {
        version.map_or(Known::Failed, Known::Version)
    }
}

/// Why a file's references cannot be named yet.
enum Pending<'a> {
    /// A referenced file was refused or skipped.
    Refused(&'a str),
    /// Dry run: a referenced file is not registered yet.
    DryRun(&'a str),
}

fn references<'a>(
    schemas: &Schemas,
    file: &'a SchemaFile,
    versions: &HashMap<&str, Known>,
) -> Result<Vec<Reference>, Pending<'a>> {
    let mut references = Vec::new();
    for reference in &file.references {
        let target = schemas
            .by_path(&reference.path)
            .expect("project references name project files");
        match versions.get(reference.path.as_str()) {
            Some(Known::Version(version)) => references.push(Reference {
                name: reference.name.clone(),
                subject: target.subject.clone(),
                version: *version,
            }),
            Some(Known::WouldRegister) => return Err(Pending::DryRun(&reference.path)),
            Some(Known::Failed) | None => return Err(Pending::Refused(&reference.path)),
        }
    }
    Ok(references)
}

fn refusal_reason(answer: &accord_serde::CompatibilityAnswer) -> String {
    let rules: Vec<String> = answer
        .incompatibilities
        .iter()
        .map(|found| format!("{} at {}", found.rule, found.path))
        .collect();
    if rules.is_empty() {
        "incompatible with the subject's versions".to_owned()
    } else {
        format!("incompatible: {}", rules.join("; "))
    }
}

/// A registry's refusal in one line: the rules it names (Confluent lists
/// them, with the whole old schema, after `details:`), else its first line.
fn summarize_refusal(message: &str) -> String {
    let rules = super::check::error_types(message);
    if rules.is_empty() {
        message.lines().next().unwrap_or_default().to_owned()
    } else {
        format!("incompatible: {}", rules.join(", "))
    }
}

fn text(outcomes: &[Outcome], dry_run: bool) -> String {
    let mut out = String::new();
    for outcome in outcomes {
        let _ = write!(
            out,
            "{:<17} {}  {}",
            outcome.action.as_str(),
            outcome.subject,
            outcome.file
        );
        if let Some(version) = outcome.version {
            let _ = write!(out, "  version {version}");
        }
        if let Some(id) = outcome.id {
            let _ = write!(out, "  id {id}");
        }
        if let Some(reason) = &outcome.reason {
            let _ = write!(out, "  ({reason})");
        }
        out.push('\n');
    }
    let count = |action: Action| outcomes.iter().filter(|o| o.action == action).count();
    let _ = writeln!(
        out,
        "{} schema{}: {}",
        outcomes.len(),
        if outcomes.len() == 1 { "" } else { "s" },
        if dry_run {
            format!(
                "{} would be registered, {} would be refused, {} skipped, {} unchanged (dry run: nothing was written)",
                count(Action::WouldRegister),
                count(Action::WouldBeRefused),
                count(Action::Skipped),
                count(Action::Unchanged)
            )
        } else {
            format!(
                "{} registered, {} refused, {} skipped, {} unchanged",
                count(Action::Registered),
                count(Action::Refused),
                count(Action::Skipped),
                count(Action::Unchanged)
            )
        }
    );
    out
}
