//! `accord.toml`: the schema files of a project, and the subjects, formats,
//! references and compatibility levels they have.
//!
//! ```toml
//! [defaults]
//! level = "BACKWARD"            # optional; online checks take the registry's
//!
//! [[schema]]
//! files = "avro/*.avsc"         # a path or glob (*, ?, **), relative to accord.toml
//! subject = "{stem}-{role}"     # the default; {stem} is the file name without extension
//! role = "value"                # or "key"
//! format = "avro"               # default: from the extension
//!
//! [[schema]]
//! files = "proto/order.proto"
//! subject = "orders-value"
//! references = [{ name = "common/money.proto", file = "proto/common/money.proto" }]
//! ```

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use accord_schema::{CompatibilityLevel, SchemaType};
use serde::Deserialize;

use super::tree::Tree;
use super::CliError;

pub const DEFAULT_PROJECT_FILE: &str = "accord.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectToml {
    #[serde(default)]
    defaults: DefaultsToml,
    #[serde(default, rename = "schema")]
    schemas: Vec<EntryToml>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DefaultsToml {
    level: Option<String>,
    role: Option<Role>,
    subject: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryToml {
    files: OneOrMany,
    subject: Option<String>,
    format: Option<String>,
    role: Option<Role>,
    level: Option<String>,
    #[serde(default)]
    references: Vec<ReferenceToml>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReferenceToml {
    name: String,
    file: String,
}

/// Whether a subject holds message keys or values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Key,
    #[default]
    Value,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Key => "key",
            Role::Value => "value",
        }
    }
}

/// One `[[schema]]` table, validated.
struct Entry {
    patterns: Vec<String>,
    subject: String,
    format: Option<SchemaType>,
    role: Role,
    level: Option<CompatibilityLevel>,
    references: Vec<ReferenceToml>,
}

/// A loaded `accord.toml`.
pub struct Project {
    /// The directory of accord.toml: file paths are relative to it.
    pub root: PathBuf,
    entries: Vec<Entry>,
}

/// A schema the project maps to a subject, with its text in one tree.
#[derive(Clone, Debug)]
pub struct SchemaFile {
    /// Relative to the project root, `/`-separated.
    pub path: String,
    pub subject: String,
    pub schema_type: SchemaType,
    /// The level accord.toml sets (the entry's, else `[defaults]`), if any.
    pub level: Option<CompatibilityLevel>,
    pub references: Vec<FileReference>,
    pub text: String,
}

/// A reference from one schema file to another of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileReference {
    /// The name the referring schema uses: an Avro full name, a Protobuf
    /// import path, a JSON Schema `$ref` URL.
    pub name: String,
    /// The referenced file, relative to the project root.
    pub path: String,
}

/// The schema files of a project in one tree.
pub struct Schemas {
    pub files: Vec<SchemaFile>,
}

impl Project {
    pub fn load(path: &Path) -> Result<Project, CliError> {
        let text = std::fs::read_to_string(path).map_err(|source| CliError::ReadFile {
            path: path.to_owned(),
            source,
        })?;
        let invalid = |reason: String| CliError::Usage(format!("{}: {reason}", path.display()));
        let parsed: ProjectToml = toml::from_str(&text).map_err(|error| {
            // toml's Display spans several lines with a source excerpt; the
            // message and the line fit on one.
            let message = error.message().trim_end().to_owned();
            match error.span() {
                Some(span) => {
                    let line = text[..span.start].matches('\n').count() + 1;
                    CliError::Usage(format!("{}:{line}: {message}", path.display()))
                }
                None => invalid(message),
            }
        })?;
        if parsed.schemas.is_empty() {
            return Err(invalid(
                "lists no schemas: add a [[schema]] table with `files = \"…\"`".to_owned(),
            ));
        }
        let default_level = parsed
            .defaults
            .level
            .as_deref()
            .map(parse_level)
            .transpose()
            .map_err(invalid)?;
        let mut entries = Vec::new();
        for (index, entry) in parsed.schemas.into_iter().enumerate() {
            let at = |reason: String| invalid(format!("[[schema]] #{}: {reason}", index + 1));
            let patterns = match entry.files {
                OneOrMany::One(pattern) => vec![pattern],
                OneOrMany::Many(patterns) => patterns,
            };
            if patterns.is_empty() || patterns.iter().any(|p| p.trim().is_empty()) {
                return Err(at("`files` must name at least one path or glob".to_owned()));
            }
            for pattern in &patterns {
                if pattern.starts_with('/') || pattern.split('/').any(|part| part == "..") {
                    return Err(at(format!(
                        "`{pattern}` must be relative to accord.toml and stay inside its directory"
                    )));
                }
            }
            let format = entry
                .format
                .as_deref()
                .map(|name| {
                    SchemaType::from_wire(&name.to_ascii_uppercase()).ok_or_else(|| {
                        at(format!(
                            "unknown format `{name}`: use avro, protobuf or json"
                        ))
                    })
                })
                .transpose()?;
            let level = entry
                .level
                .as_deref()
                .map(parse_level)
                .transpose()
                .map_err(at)?;
            let subject = entry
                .subject
                .or_else(|| parsed.defaults.subject.clone())
                .unwrap_or_else(|| "{stem}-{role}".to_owned());
            entries.push(Entry {
                patterns,
                subject,
                format,
                role: entry.role.or(parsed.defaults.role).unwrap_or_default(),
                level: level.or(default_level),
                references: entry.references,
            });
        }
        let root = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
            _ => PathBuf::from("."),
        };
        Ok(Project { root, entries })
    }

    /// How a path relative to the root is shown to the user: relative to
    /// the directory the command runs in, as given in `--config`.
    pub fn display_path(&self, path: &str) -> String {
        if self.root == Path::new(".") {
            path.to_owned()
        } else {
            format!("{}/{path}", self.root.display())
        }
    }

    /// The project's schema files as they are in `tree`. In the working tree
    /// every listed path must exist and every glob must match; at a git
    /// revision, files missing there are simply absent (they are new).
    pub fn schemas(&self, tree: &Tree) -> Result<Schemas, CliError> {
        let required = matches!(tree, Tree::Working { .. });
        let mut files: Vec<(usize, SchemaFile)> = Vec::new();
        let mut listings: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (index, entry) in self.entries.iter().enumerate() {
            for pattern in &entry.patterns {
                let paths = if is_glob(pattern) {
                    let base = literal_prefix(pattern);
                    if !listings.contains_key(&base) {
                        listings.insert(base.clone(), tree.files_under(&base)?);
                    }
                    let matched: Vec<String> = listings[&base]
                        .iter()
                        .filter(|path| glob_matches(pattern, path))
                        .cloned()
                        .collect();
                    if matched.is_empty() && required {
                        return Err(CliError::Usage(format!(
                            "`{}` in {} matches no file",
                            pattern,
                            self.display_path(DEFAULT_PROJECT_FILE)
                        )));
                    }
                    matched
                } else {
                    vec![pattern.trim_start_matches("./").to_owned()]
                };
                for path in paths {
                    let Some(text) = tree.read(&path)? else {
                        if required {
                            return Err(CliError::Usage(format!(
                                "{}: no such file (listed in accord.toml)",
                                self.display_path(&path)
                            )));
                        }
                        continue;
                    };
                    let schema_type = match entry.format {
                        Some(format) => format,
                        None => format_of(&path).ok_or_else(|| {
                            CliError::Usage(format!(
                                "{}: cannot tell the format from the extension; set `format` in accord.toml",
                                self.display_path(&path)
                            ))
                        })?,
                    };
                    let subject = entry
                        .subject
                        .replace("{stem}", stem(&path))
                        .replace("{role}", entry.role.as_str());
                    files.push((
                        index,
                        SchemaFile {
                            path,
                            subject,
                            schema_type,
                            level: entry.level,
                            references: Vec::new(),
                            text,
                        },
                    ));
                }
            }
        }
        let mut subjects: BTreeMap<&str, &str> = BTreeMap::new();
        for (_, file) in &files {
            if let Some(other) = subjects.insert(&file.subject, &file.path) {
                if other != file.path {
                    return Err(CliError::Usage(format!(
                        "subject `{}` gets two schema files, {} and {}; give them different subjects in accord.toml",
                        file.subject,
                        self.display_path(other),
                        self.display_path(&file.path)
                    )));
                }
            }
        }
        let present: HashSet<String> = files.iter().map(|(_, f)| f.path.clone()).collect();
        // Attach references: the explicit ones of each file's entry, then
        // a Protobuf file's imports of other project files.
        for (entry, file) in &mut files {
            let entry = &self.entries[*entry];
            for reference in &entry.references {
                let path = reference.file.trim_start_matches("./").to_owned();
                if !present.contains(&path) && required {
                    return Err(CliError::Usage(format!(
                        "{} references {}, which is not a schema file of accord.toml",
                        self.display_path(&file.path),
                        self.display_path(&path)
                    )));
                }
                file.references.push(FileReference {
                    name: reference.name.clone(),
                    path,
                });
            }
            if file.schema_type == SchemaType::Protobuf {
                for import in protobuf_imports(&file.text) {
                    if import.starts_with("google/protobuf/")
                        || file.references.iter().any(|r| r.name == import)
                    {
                        continue;
                    }
                    let beside = match file.path.rsplit_once('/') {
                        Some((dir, _)) => format!("{dir}/{import}"),
                        None => import.clone(),
                    };
                    let found = [import.clone(), beside]
                        .into_iter()
                        .find(|candidate| present.contains(candidate));
                    match found {
                        Some(path) => file.references.push(FileReference { name: import, path }),
                        None if required => {
                            return Err(CliError::Usage(format!(
                            "{} imports \"{import}\", which is not a schema file of accord.toml; \
                                 add it, or list it in the entry's references",
                            self.display_path(&file.path)
                        )))
                        }
                        None => {}
                    }
                }
            }
        }
        let schemas = Schemas {
            files: files.into_iter().map(|(_, file)| file).collect(),
        };
        // Reject cycles now, so that every later walk terminates.
        for file in &schemas.files {
            schemas.dependencies(file)?;
        }
        Ok(schemas)
    }
}

impl Schemas {
    pub fn by_path(&self, path: &str) -> Option<&SchemaFile> {
        self.files.iter().find(|file| file.path == path)
    }

    /// The files `file` refers to, transitively, dependencies before their
    /// dependents (the order accord-schema and registries want them in).
    pub fn dependencies<'a>(&'a self, file: &SchemaFile) -> Result<Vec<&'a SchemaFile>, CliError> {
        let mut ordered: Vec<&SchemaFile> = Vec::new();
        let mut visiting: Vec<String> = vec![file.path.clone()];
        self.visit(file, &mut visiting, &mut ordered)?;
        Ok(ordered)
    }

    fn visit<'a>(
        &'a self,
        file: &SchemaFile,
        visiting: &mut Vec<String>,
        ordered: &mut Vec<&'a SchemaFile>,
    ) -> Result<(), CliError> {
        for reference in &file.references {
            let Some(target) = self.by_path(&reference.path) else {
                continue;
            };
            if visiting.contains(&target.path) {
                visiting.push(target.path.clone());
                return Err(CliError::Usage(format!(
                    "schema references form a cycle: {}",
                    visiting.join(" -> ")
                )));
            }
            if ordered.iter().any(|done| done.path == target.path) {
                continue;
            }
            visiting.push(target.path.clone());
            self.visit(target, visiting, ordered)?;
            visiting.pop();
            ordered.push(target);
        }
        Ok(())
    }

    /// Every file, each after the files it references.
    pub fn in_dependency_order(&self) -> Result<Vec<&SchemaFile>, CliError> {
        let mut ordered: Vec<&SchemaFile> = Vec::new();
        for file in &self.files {
            for dependency in self.dependencies(file)? {
                if !ordered.iter().any(|done| done.path == dependency.path) {
                    ordered.push(dependency);
                }
            }
            if !ordered.iter().any(|done| done.path == file.path) {
                ordered.push(file);
            }
        }
        Ok(ordered)
    }
}

fn parse_level(name: &str) -> Result<CompatibilityLevel, String> {
    CompatibilityLevel::from_str(name).map_err(|()| {
        format!(
            "unknown compatibility level `{name}`: use NONE, BACKWARD, BACKWARD_TRANSITIVE, \
             FORWARD, FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE"
        )
    })
}

/// A format's name in messages.
pub fn format_name(schema_type: SchemaType) -> &'static str {
    match schema_type {
        SchemaType::Avro => "Avro",
        SchemaType::Protobuf => "Protobuf",
        SchemaType::Json => "JSON Schema",
    }
}

/// The format a file's extension implies.
pub fn format_of(path: &str) -> Option<SchemaType> {
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    match extension.as_str() {
        "avsc" | "avro" => Some(SchemaType::Avro),
        "proto" => Some(SchemaType::Protobuf),
        "json" => Some(SchemaType::Json),
        _ => None,
    }
}

fn stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name.split_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => name,
    }
}

/// The `import "…";` paths of a .proto file, comments skipped.
pub fn protobuf_imports(text: &str) -> Vec<String> {
    let mut imports = Vec::new();
    let mut in_block_comment = false;
    for line in text.lines() {
        let mut line = line;
        if in_block_comment {
            match line.find("*/") {
                Some(end) => {
                    line = &line[end + 2..];
                    in_block_comment = false;
                }
                None => continue,
            }
        }
        if let Some(start) = line.find("/*") {
            if !line[start..].contains("*/") {
                in_block_comment = true;
            }
            line = &line[..start];
        }
        let line = line.split("//").next().unwrap_or("").trim();
        let Some(rest) = line.strip_prefix("import") else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix("public")
            .or_else(|| rest.strip_prefix("weak"))
            .unwrap_or(rest)
            .trim_start();
        let quote = match rest.chars().next() {
            Some(quote @ ('"' | '\'')) => quote,
            _ => continue,
        };
        if let Some(end) = rest[1..].find(quote) {
            imports.push(rest[1..1 + end].to_owned());
        }
    }
    imports
}

fn is_glob(pattern: &str) -> bool {
    pattern.contains(['*', '?'])
}

/// The directory part of a glob before its first wildcard: only that
/// directory needs listing.
fn literal_prefix(pattern: &str) -> String {
    let parts: Vec<&str> = pattern.trim_start_matches("./").split('/').collect();
    let literal: Vec<&str> = parts
        .iter()
        .take(parts.len() - 1)
        .take_while(|part| !is_glob(part))
        .copied()
        .collect();
    literal.join("/")
}

/// Whether `path` matches `pattern`: `*` and `?` within one path segment,
/// `**` across any number of segments.
pub fn glob_matches(pattern: &str, path: &str) -> bool {
    let pattern: Vec<&str> = pattern.trim_start_matches("./").split('/').collect();
    let path: Vec<&str> = path.split('/').collect();
    segments_match(&pattern, &path)
}

fn segments_match(pattern: &[&str], path: &[&str]) -> bool {
    match pattern.split_first() {
        None => path.is_empty(),
        Some((&"**", rest)) => (0..=path.len()).any(|skip| segments_match(rest, &path[skip..])),
        Some((first, rest)) => match path.split_first() {
            Some((segment, path_rest)) => {
                segment_matches(first.as_bytes(), segment.as_bytes())
                    && segments_match(rest, path_rest)
            }
            None => false,
        },
    }
}

fn segment_matches(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| segment_matches(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && segment_matches(rest, &text[1..]),
        Some((byte, rest)) => text.first() == Some(byte) && segment_matches(rest, &text[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_within_and_across_directories() {
        assert!(glob_matches("avro/*.avsc", "avro/user.avsc"));
        assert!(!glob_matches("avro/*.avsc", "avro/nested/user.avsc"));
        assert!(glob_matches("avro/**/*.avsc", "avro/user.avsc"));
        assert!(glob_matches("avro/**/*.avsc", "avro/a/b/user.avsc"));
        assert!(glob_matches("**/*.proto", "x/y.proto"));
        assert!(glob_matches("./v?.json", "v1.json"));
        assert!(!glob_matches("v?.json", "v10.json"));
        assert_eq!(literal_prefix("avro/**/*.avsc"), "avro");
        assert_eq!(literal_prefix("*.avsc"), "");
        assert_eq!(literal_prefix("a/b/c*.avsc"), "a/b");
    }

    #[test]
    fn imports_are_read_without_comments() {
        let text = "syntax = \"proto3\";\n// import \"no.proto\";\n/* import \"no2.proto\";\n*/\nimport \"common/money.proto\";\nimport public 'x.proto';\n";
        assert_eq!(
            protobuf_imports(text),
            vec!["common/money.proto", "x.proto"]
        );
    }

    #[test]
    fn subjects_default_to_stem_and_role() {
        assert_eq!(stem("avro/user.avsc"), "user");
        assert_eq!(stem("user.schema.json"), "user");
        assert_eq!(format_of("a/b.proto"), Some(SchemaType::Protobuf));
        assert_eq!(format_of("README"), None);
    }
}
