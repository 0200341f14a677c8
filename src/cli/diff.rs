//! `accord diff OLD NEW`: the semantic changes between two schemas (files,
//! or versions of subjects in a registry), each with whom it breaks.

use std::fmt::Write as _;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use accord_schema::{Change, ChangeKind, CheckOptions, ParsedSchema, SchemaType};
use clap::Args;
use serde_json::json;

use super::project::{format_name, format_of, Project, Schemas, DEFAULT_PROJECT_FILE};
use super::register::PlanFormat;
use super::tree::Tree;
use super::{AuthArgs, CliError, Format};

/// Options of `accord diff`.
#[derive(Args, Clone, Debug)]
pub struct DiffArgs {
    /// The old schema: a file, or SUBJECT:VERSION (a number, or `latest`)
    /// read from --registry.
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new schema, as OLD.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// The format of schema files whose extension does not tell
    /// (.avsc, .proto and .json do).
    #[arg(long = "type", value_enum, value_name = "FORMAT")]
    pub schema_type: Option<Format>,
    /// The project file: a schema file it lists is read with the project
    /// files it references (Protobuf imports, Avro named types).
    #[arg(long, value_name = "FILE", default_value = DEFAULT_PROJECT_FILE)]
    pub config: PathBuf,
    /// The registry for SUBJECT:VERSION operands.
    #[arg(long, value_name = "URL", env = "ACCORD_REGISTRY_URL")]
    pub registry: Option<String>,
    #[command(flatten)]
    pub auth: AuthArgs,
    /// How to print the changes.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
}

/// One side of the diff.
struct Side {
    label: String,
    text: String,
    schema: ParsedSchema,
}

/// Runs `accord diff`: exit status 0 when no change breaks anyone, 1 when
/// some change breaks readers or writers, 2 when it cannot run.
pub async fn diff(args: DiffArgs, output: &mut dyn Write, errors: &mut dyn Write) -> ExitCode {
    match run(&args).await {
        Ok((text, breaking)) => {
            if let Err(error) = output
                .write_all(text.as_bytes())
                .and_then(|()| output.flush())
            {
                let _ = writeln!(errors, "accord diff: cannot write: {error}");
                return ExitCode::from(2);
            }
            if breaking {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            let _ = writeln!(errors, "accord diff: {error}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &DiffArgs) -> Result<(String, bool), CliError> {
    // A project file lets schema files be read with their references.
    let project = if args.config.is_file() {
        let project = Project::load(&args.config)?;
        let schemas = project.schemas(&Tree::Working {
            root: project.root.clone(),
        })?;
        Some((project, schemas))
    } else {
        None
    };
    let old = load(args, project.as_ref(), &args.old).await?;
    let new = load(args, project.as_ref(), &args.new).await?;
    let changes = ParsedSchema::diff(&old.schema, &new.schema, &CheckOptions::default());
    let breaking = changes
        .iter()
        .any(|change| change.breaks_readers || change.breaks_writers);
    let text = match args.format {
        PlanFormat::Text => text(&old, &new, &changes),
        PlanFormat::Json => {
            let changes: Vec<_> = changes
                .iter()
                .map(|change| {
                    json!({
                        "kind": kind_name(change.kind),
                        "path": change.path,
                        "line": line(&old, &new, change),
                        "description": change.description,
                        "old": change.old,
                        "new": change.new,
                        "breaks_readers": change.breaks_readers,
                        "breaks_writers": change.breaks_writers,
                        "rules": change.rules,
                    })
                })
                .collect();
            let document = json!({
                "old": old.label,
                "new": new.label,
                "breaking": breaking,
                "changes": changes,
            });
            serde_json::to_string_pretty(&document).expect("JSON serializes") + "\n"
        }
    };
    Ok((text, breaking))
}

fn kind_name(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
        ChangeKind::Changed => "changed",
    }
}

/// Where a change is: in the new text, or for a removal in the old one.
fn line(old: &Side, new: &Side, change: &Change) -> Option<String> {
    let (side, marker) = match change.kind {
        ChangeKind::Removed => (old, "old"),
        _ => (new, "new"),
    };
    let line = super::locate::line_of(side.schema.schema_type(), &side.text, &change.path)?;
    Some(format!("{marker}:{line}"))
}

fn text(old: &Side, new: &Side, changes: &[Change]) -> String {
    let mut out = format!("--- {}\n+++ {}\n", old.label, new.label);
    for change in changes {
        let sign = match change.kind {
            ChangeKind::Added => '+',
            ChangeKind::Removed => '-',
            ChangeKind::Changed => '~',
        };
        let impact = match (change.breaks_readers, change.breaks_writers) {
            (false, false) => "breaks neither readers nor writers".to_owned(),
            (true, false) => "breaks readers".to_owned(),
            (false, true) => "breaks writers".to_owned(),
            (true, true) => "breaks readers and writers".to_owned(),
        };
        let rules = if change.rules.is_empty() {
            String::new()
        } else {
            format!(" ({})", change.rules.join(", "))
        };
        let path = if change.path.is_empty() {
            "the schema"
        } else {
            &change.path
        };
        let location = line(old, new, change)
            .map(|line| format!(" [{line}]"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{sign} {path}{location}: {}\n    {impact}{rules}",
            change.description
        );
    }
    let count = |test: fn(&Change) -> bool| changes.iter().filter(|c| test(c)).count();
    let _ = writeln!(
        out,
        "{} change{}: {} break{} readers (consumers still on the old schema cannot read new data), \
         {} break{} writers (data already written cannot be read with the new schema)",
        changes.len(),
        if changes.len() == 1 { "" } else { "s" },
        count(|c| c.breaks_readers),
        if count(|c| c.breaks_readers) == 1 { "s" } else { "" },
        count(|c| c.breaks_writers),
        if count(|c| c.breaks_writers) == 1 { "s" } else { "" },
    );
    out
}

async fn load(
    args: &DiffArgs,
    project: Option<&(Project, Schemas)>,
    operand: &str,
) -> Result<Side, CliError> {
    let path = Path::new(operand);
    if path.is_file() {
        return load_file(args, project, path);
    }
    let Some((subject, version)) = operand.rsplit_once(':') else {
        return Err(CliError::Usage(format!(
            "{operand}: no such file (give a schema file, or SUBJECT:VERSION with --registry)"
        )));
    };
    let Some(url) = &args.registry else {
        return Err(CliError::Usage(format!(
            "{operand}: no such file; to read subject {subject} from a registry, give --registry URL"
        )));
    };
    let client = args.auth.client(url)?;
    let registry_error = |error: accord_serde::RegistryError| CliError::Codec(error.into());
    let found = if version == "latest" || version == "-1" {
        client.latest_version(subject).await
    } else {
        let number: i32 = version.parse().map_err(|_| {
            CliError::Usage(format!(
                "{operand}: the version must be a number or `latest`"
            ))
        })?;
        client.version(subject, number).await
    }
    .map_err(registry_error)?;
    let schema = super::check::parse_registered(&client, &found).await?;
    Ok(Side {
        label: format!("{subject}:{}", found.version),
        text: found.schema.schema.clone(),
        schema,
    })
}

fn load_file(
    args: &DiffArgs,
    project: Option<&(Project, Schemas)>,
    path: &Path,
) -> Result<Side, CliError> {
    let label = path.display().to_string();
    // A file of the project is read with the project files it references.
    if let Some((project, schemas)) = project {
        let relative = if project.root == Path::new(".") {
            Some(path)
        } else {
            path.strip_prefix(&project.root).ok()
        };
        let relative = relative.map(|relative| relative.to_string_lossy().replace('\\', "/"));
        if let Some(file) = relative.and_then(|r| schemas.by_path(r.trim_start_matches("./"))) {
            return Ok(Side {
                label,
                text: file.text.clone(),
                schema: super::check::parse(project, schemas, file, "")?,
            });
        }
    }
    let text = super::read_file(path)?;
    let schema_type = match args.schema_type {
        Some(format) => SchemaType::from(format),
        None => format_of(&label).ok_or_else(|| {
            CliError::Usage(format!(
                "{label}: cannot tell the format from the extension; give --type avro, protobuf or json"
            ))
        })?,
    };
    let schema = ParsedSchema::parse(schema_type, &text, &[]).map_err(|error| {
        CliError::Usage(format!(
            "{label}: not a valid {} schema: {}",
            format_name(schema_type),
            error
                .to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        ))
    })?;
    Ok(Side {
        label,
        text,
        schema,
    })
}
