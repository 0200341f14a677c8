//! What `accord check` found, and the five ways it prints it: text for
//! people, JSON for scripts, GitHub workflow annotations, JUnit XML and SARIF
//! for CI dashboards and code scanning.

use std::fmt::Write as _;

use clap::ValueEnum;
use serde::Serialize;
use serde_json::{json, Value};

/// The outcome of `accord check`.
#[derive(Clone, Debug, Serialize)]
pub struct CheckReport {
    /// What the schemas were checked against: `git:REF` or a registry URL.
    pub against: String,
    pub compatible: bool,
    pub schemas: Vec<SchemaVerdict>,
}

/// One schema file's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct SchemaVerdict {
    /// The file, as the user names it (relative to where accord runs).
    pub file: String,
    pub subject: String,
    /// `AVRO`, `PROTOBUF` or `JSON`.
    pub format: &'static str,
    /// The compatibility level it was checked at.
    pub level: String,
    pub status: Status,
    /// What it was compared with: `git:REF`, or the subject's versions.
    pub compared_with: String,
    /// Why nothing was compared, when that needs saying.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub findings: Vec<Finding>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Checked, and nothing breaks.
    Compatible,
    /// Checked, and something breaks.
    Incompatible,
    /// The same text as before: nothing to check.
    Unchanged,
    /// Nothing earlier to compare with.
    New,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Compatible => "compatible",
            Status::Incompatible => "incompatible",
            Status::Unchanged => "unchanged",
            Status::New => "new",
        }
    }
}

/// One incompatibility.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: String,
    pub path: String,
    /// The file the line is in when it is not the schema's own: a file the
    /// schema imports, where the broken type is defined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line where the path leads, where it can be found.
    pub line: Option<usize>,
    /// `BACKWARD` (the new schema cannot read old data) or `FORWARD` (old
    /// readers cannot read new data).
    pub direction: String,
    /// The registry version it breaks against; none for a git revision.
    pub version: Option<i64>,
    /// Who cannot read whose data.
    pub breaks: String,
    pub description: String,
    pub detail: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub fix: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For people: file:line, rule, path, what breaks and the fix.
    #[default]
    Text,
    /// The whole report as one JSON document.
    Json,
    /// GitHub Actions workflow commands: an error annotation per finding.
    Github,
    /// JUnit XML: a test case per schema, a failure per incompatible one.
    Junit,
    /// SARIF 2.1.0, for code-scanning dashboards.
    Sarif,
}

impl Finding {
    /// The file the finding points at.
    fn file<'a>(&'a self, schema: &'a SchemaVerdict) -> &'a str {
        self.file.as_deref().unwrap_or(&schema.file)
    }

    /// `file:line`, or the file alone when the line is unknown.
    fn location(&self, schema: &SchemaVerdict) -> String {
        match self.line {
            Some(line) => format!("{}:{line}", self.file(schema)),
            None => self.file(schema).to_owned(),
        }
    }

    /// What breaks, for whom, and the fix, as sentences.
    fn message(&self) -> String {
        let mut message = sentence(&self.description);
        message.push_str(" Breaks: ");
        message.push_str(&sentence(&self.breaks));
        if !self.fix.is_empty() {
            message.push_str(" Fix: ");
            message.push_str(&sentence(&self.fix));
        }
        message
    }
}

fn sentence(text: &str) -> String {
    let text = text.trim_end();
    if text.ends_with(['.', '!', '?']) {
        text.to_owned()
    } else {
        format!("{text}.")
    }
}

impl CheckReport {
    pub fn render(&self, format: ReportFormat) -> String {
        match format {
            ReportFormat::Text => self.text(),
            ReportFormat::Json => {
                let mut text = serde_json::to_string_pretty(self).expect("a report serializes");
                text.push('\n');
                text
            }
            ReportFormat::Github => self.github(),
            ReportFormat::Junit => self.junit(),
            ReportFormat::Sarif => {
                let mut text =
                    serde_json::to_string_pretty(&self.sarif()).expect("SARIF serializes");
                text.push('\n');
                text
            }
        }
    }

    fn count(&self, status: Status) -> usize {
        self.schemas.iter().filter(|s| s.status == status).count()
    }

    fn summary(&self) -> String {
        let mut parts = Vec::new();
        for status in [
            Status::Incompatible,
            Status::Compatible,
            Status::Unchanged,
            Status::New,
        ] {
            let count = self.count(status);
            if count > 0 {
                parts.push(format!("{count} {}", status.as_str()));
            }
        }
        let schemas = self.schemas.len();
        format!(
            "{schemas} schema{} checked against {}: {}",
            if schemas == 1 { "" } else { "s" },
            self.against,
            parts.join(", ")
        )
    }

    fn text(&self) -> String {
        let mut out = String::new();
        for schema in &self.schemas {
            let _ = write!(
                out,
                "{:<12} {}  {} ({}, {})",
                schema.status.as_str(),
                schema.file,
                schema.subject,
                schema.format,
                schema.level,
            );
            match schema.status {
                Status::New => {}
                _ => {
                    let _ = write!(out, " against {}", schema.compared_with);
                }
            }
            out.push('\n');
            if let Some(note) = &schema.note {
                let _ = writeln!(out, "  note: {note}");
            }
            for finding in &schema.findings {
                let location = finding.location(schema);
                let path = if finding.path.is_empty() {
                    "the schema".to_owned()
                } else {
                    finding.path.clone()
                };
                let _ = writeln!(
                    out,
                    "  {location}: {} at {path} ({})",
                    finding.rule, finding.direction
                );
                let _ = writeln!(out, "    {}", finding.description);
                if !finding.detail.is_empty() && finding.detail != finding.description {
                    let _ = writeln!(out, "    detail: {}", finding.detail);
                }
                let _ = writeln!(out, "    breaks: {}", finding.breaks);
                if !finding.fix.is_empty() {
                    let _ = writeln!(out, "    fix: {}", finding.fix);
                }
            }
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    fn github(&self) -> String {
        let mut out = String::new();
        for schema in &self.schemas {
            for finding in &schema.findings {
                let mut properties = format!("file={}", github_property(finding.file(schema)));
                if let Some(line) = finding.line {
                    let _ = write!(properties, ",line={line}");
                }
                let _ = write!(
                    properties,
                    ",title={}",
                    github_property(&format!("{}: {}", schema.subject, finding.rule))
                );
                let message = format!(
                    "{} at {}: {}",
                    finding.rule,
                    if finding.path.is_empty() {
                        "the schema"
                    } else {
                        &finding.path
                    },
                    finding.message()
                );
                let _ = writeln!(out, "::error {properties}::{}", github_data(&message));
            }
        }
        let summary = self.summary();
        if self.compatible {
            let _ = writeln!(
                out,
                "::notice title=accord check::{}",
                github_data(&summary)
            );
        } else {
            let _ = writeln!(out, "::error title=accord check::{}", github_data(&summary));
        }
        out
    }

    fn junit(&self) -> String {
        let failures = self.count(Status::Incompatible);
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuites name=\"accord check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
            self.schemas.len()
        );
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">",
            xml(&format!("accord check against {}", self.against)),
            self.schemas.len()
        );
        for schema in &self.schemas {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
                xml(&schema.subject),
                xml(&format!("{} ({})", schema.file, schema.level)),
                xml(&schema.file)
            );
            if schema.findings.is_empty() {
                let _ = writeln!(
                    out,
                    ">\n      <system-out>{}</system-out>\n    </testcase>",
                    xml(&format!(
                        "{}{}",
                        schema.status.as_str(),
                        schema
                            .note
                            .as_deref()
                            .map(|n| format!(": {n}"))
                            .unwrap_or_default()
                    ))
                );
                continue;
            }
            out.push_str(">\n");
            let rules: Vec<&str> = schema.findings.iter().map(|f| f.rule.as_str()).collect();
            let mut body = String::new();
            for finding in &schema.findings {
                let location = finding.location(schema);
                let _ = writeln!(
                    body,
                    "{location}: {} at {} ({})\n  {}\n  breaks: {}\n  fix: {}",
                    finding.rule,
                    finding.path,
                    finding.direction,
                    finding.description,
                    finding.breaks,
                    finding.fix
                );
            }
            let _ =
                writeln!(
                out,
                "      <failure message=\"{}\" type=\"incompatible\">{}</failure>\n    </testcase>",
                xml(&format!(
                    "{} incompatibilit{} with {}: {}",
                    schema.findings.len(),
                    if schema.findings.len() == 1 { "y" } else { "ies" },
                    schema.compared_with,
                    rules.join(", ")
                )),
                xml(&body)
            );
        }
        out.push_str("  </testsuite>\n</testsuites>\n");
        out
    }

    fn sarif(&self) -> Value {
        let mut rules: Vec<&str> = self
            .schemas
            .iter()
            .flat_map(|s| s.findings.iter().map(|f| f.rule.as_str()))
            .collect();
        rules.sort_unstable();
        rules.dedup();
        let results: Vec<Value> = self
            .schemas
            .iter()
            .flat_map(|schema| {
                schema.findings.iter().map(move |finding| {
                    let mut location = json!({
                        "physicalLocation": {
                            "artifactLocation": { "uri": finding.file(schema) },
                        },
                        "logicalLocations": [{
                            "fullyQualifiedName": format!("{}: {}", schema.subject, finding.path),
                            "kind": "member",
                        }],
                    });
                    if let Some(line) = finding.line {
                        location["physicalLocation"]["region"] = json!({ "startLine": line });
                    }
                    json!({
                        "ruleId": finding.rule,
                        "level": "error",
                        "message": { "text": finding.message() },
                        "locations": [location],
                        "properties": {
                            "subject": schema.subject,
                            "path": finding.path,
                            "direction": finding.direction,
                            "level": schema.level,
                            "comparedWith": schema.compared_with,
                        },
                    })
                })
            })
            .collect();
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "accord",
                        "version": env!("CARGO_PKG_VERSION"),
                        "rules": rules.iter().map(|rule| json!({
                            "id": rule,
                            "shortDescription": { "text": rule_title(rule) },
                        })).collect::<Vec<_>>(),
                    }
                },
                "results": results,
            }],
        })
    }
}

/// A rule id as a title: `READER_FIELD_MISSING_DEFAULT_VALUE` reads
/// "Reader field missing default value".
fn rule_title(rule: &str) -> String {
    let words = rule.to_ascii_lowercase().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

/// Escapes a workflow command's message.
fn github_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn xml(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            // XML 1.0 has no way to carry other control characters.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => escaped.push('\u{FFFD}'),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_follow_each_format() {
        assert_eq!(github_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(github_property("a:b,c"), "a%3Ab%2Cc");
        assert_eq!(
            xml("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
        assert_eq!(rule_title("TYPE_MISMATCH"), "Type mismatch");
    }
}
