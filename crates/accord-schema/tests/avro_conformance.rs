//! Table-driven Avro conformance tests.
//!
//! `data/confluent/schemas/` holds what Confluent Schema Registry 7.9.0's
//! libraries answered (see `data/confluent/NOTICE`): for each schema whether it
//! is valid, its canonical and normalized text or its error; for each pair of
//! schemas the compatibility messages in both directions; for each chain of
//! versions the messages per compatibility level. Only the AVRO items are
//! checked here.
//!
//! `data/avro/` holds our own cases: `compat/*.json`, one case per file, lists
//! the rules and paths reported in each direction; `parse/*.json`, lists of
//! cases, give the canonical text, normalized text or error of a schema. The
//! `parse/http-*.json` lists are taken from Confluent's recorded HTTP answers
//! (the same Apache-2.0 data set as `data/confluent/`, see its NOTICE).

use std::fs;
use std::path::{Path, PathBuf};

use accord_schema::avro::{compat::incompatibilities, AvroSchema, ParseOptions};
use accord_schema::{CompatibilityLevel, Direction, ResolvedReference, SchemaError};
use serde_json::Value;

/// Corpus items where we deliberately answer differently, with the reason.
const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[];

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read_json(path: &Path) -> Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` missing in {value}"))
}

fn references(refs: &Value) -> Vec<ResolvedReference<'_>> {
    refs.as_array()
        .into_iter()
        .flatten()
        .map(|reference| ResolvedReference {
            name: text(reference, "name"),
            schema: text(reference, "schema"),
        })
        .collect()
}

fn parse(schema: &str, refs: &Value) -> Result<AvroSchema, SchemaError> {
    AvroSchema::parse(schema, &references(refs))
}

fn messages(new: &AvroSchema, old: &AvroSchema, direction: Direction) -> Vec<String> {
    incompatibilities(new, old, direction)
        .iter()
        .map(|incompatibility| incompatibility.confluent_message())
        .collect()
}

/// The per-difference messages of a Confluent message list, without the
/// trailers (`{oldSchemaVersion: …}`, `{oldSchema: …}`, …) the server adds.
fn differences(list: &Value) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|message| message.starts_with("{errorType:"))
        .map(str::to_owned)
        .collect()
}

fn is_deliberate(id: &str) -> bool {
    DELIBERATE_DIFFERENCES.iter().any(|(known, _)| *known == id)
}

/// Collects mismatches so that one run shows all of them.
struct Report {
    name: &'static str,
    checked: usize,
    failures: Vec<String>,
}

impl Report {
    fn new(name: &'static str) -> Report {
        Report {
            name,
            checked: 0,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, id: &str, failures: Vec<String>) {
        self.checked += 1;
        if !failures.is_empty() && !is_deliberate(id) {
            self.failures
                .push(format!("{id}:\n  {}", failures.join("\n  ")));
        }
    }

    fn finish(self) {
        println!(
            "{}: {} of {} match",
            self.name,
            self.checked - self.failures.len(),
            self.checked
        );
        assert!(
            self.failures.is_empty(),
            "{} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn expect_equal(failures: &mut Vec<String>, what: &str, actual: &str, expected: &str) {
    if actual != expected {
        failures.push(format!("{what}: got {actual}\n    expected {expected}"));
    }
}

fn corpus() -> (Value, Value) {
    let dir = data_dir().join("confluent/schemas");
    (
        read_json(&dir.join("corpus.json")),
        read_json(&dir.join("golden.json")),
    )
}

fn avro_items<'a>(corpus: &'a Value, section: &str) -> impl Iterator<Item = &'a Value> {
    corpus[section]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "AVRO")
}

#[test]
fn confluent_schemas() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("schemas");
    for item in avro_items(&corpus, "schemas") {
        let id = text(item, "id");
        let expected = &golden["schemas"][id];
        let mut failures = Vec::new();
        match (
            parse(text(item, "schema"), &item["refs"]),
            expected["valid"].as_bool(),
        ) {
            (Ok(schema), Some(true)) => {
                expect_equal(
                    &mut failures,
                    "canonical",
                    &schema.canonical(),
                    text(expected, "canonical"),
                );
                expect_equal(
                    &mut failures,
                    "normalized",
                    &schema.normalized(),
                    text(expected, "normalized"),
                );
            }
            (Err(SchemaError::Invalid(message)), Some(false)) => {
                let error = text(expected, "error");
                // Jackson's parse errors are not reproduced word for word.
                if !error.starts_with("com.fasterxml.jackson") {
                    expect_equal(&mut failures, "error", &message, error);
                }
            }
            (outcome, _) => failures.push(format!("got {outcome:?}, expected {expected}")),
        }
        report.check(id, failures);
    }
    report.finish();
}

#[test]
fn confluent_compatibility() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("compat");
    for item in avro_items(&corpus, "compat") {
        let id = text(item, "id");
        let old = parse(text(item, "old"), &item["old_refs"]).expect("old schema parses");
        let new = parse(text(item, "new"), &item["new_refs"]).expect("new schema parses");
        let mut failures = Vec::new();
        for (direction, level) in [
            (Direction::Backward, "BACKWARD"),
            (Direction::Forward, "FORWARD"),
        ] {
            let expected = differences(&golden["compat"][id][level]);
            let actual = messages(&new, &old, direction);
            if actual != expected {
                failures.push(format!(
                    "{level}: got {actual:#?}\n    expected {expected:#?}"
                ));
            }
        }
        report.check(id, failures);
    }
    report.finish();
}

/// For each level, the newest version is checked against the latest earlier
/// one (or all earlier ones for transitive levels); only the verdict and the
/// presence of each reported difference are compared, since which versions
/// are compared and how the messages are assembled is the registry's job.
#[test]
fn confluent_chains() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("chains");
    let chains = corpus["chains"].as_array().into_iter().flatten();
    for chain in chains.filter(|chain| {
        chain["types"]
            .as_array()
            .is_some_and(|types| types.iter().all(|t| t == "AVRO"))
    }) {
        let id = text(chain, "id");
        let versions: Vec<AvroSchema> = chain["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|version| {
                parse(version.as_str().unwrap_or_default(), &Value::Null).expect("version parses")
            })
            .collect();
        let Some((newest, earlier)) = versions.split_last() else {
            continue;
        };
        let mut failures = Vec::new();
        for (level, expected) in golden["chains"][id].as_object().into_iter().flatten() {
            let level: CompatibilityLevel = level.parse().expect("known level");
            let compared = if level.is_transitive() {
                earlier
            } else {
                &earlier[earlier.len() - 1..]
            };
            let found: Vec<String> = compared
                .iter()
                .rev()
                .flat_map(|old| {
                    level
                        .directions()
                        .iter()
                        .flat_map(|&direction| messages(newest, old, direction))
                })
                .collect();
            let expected_compatible = expected.as_array().is_some_and(Vec::is_empty);
            if found.is_empty() != expected_compatible {
                failures.push(format!(
                    "{level}: compatible = {}, expected {expected_compatible}",
                    found.is_empty()
                ));
            }
            for message in differences(expected) {
                if !found.contains(&message) {
                    failures.push(format!("{level}: missing {message}"));
                }
            }
        }
        report.check(id, failures);
    }
    report.finish();
}

fn case_files(kind: &str) -> Vec<(String, Value)> {
    let dir = data_dir().join("avro").join(kind);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let name = path
                .file_stem()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, read_json(&path))
        })
        .collect()
}

/// `{"old", "new", "old_refs"?, "new_refs"?, "backward": [...], "forward": [...]}`
/// where each entry is `"RULE /path"`.
#[test]
fn handwritten_compatibility_cases() {
    let mut report = Report::new("handwritten compat");
    for (name, case) in case_files("compat") {
        let old = parse(&case["old"].to_string(), &case["old_refs"]).expect("old schema parses");
        let new = parse(&case["new"].to_string(), &case["new_refs"]).expect("new schema parses");
        let mut failures = Vec::new();
        for (direction, key) in [
            (Direction::Backward, "backward"),
            (Direction::Forward, "forward"),
        ] {
            let found: Vec<String> = incompatibilities(&new, &old, direction)
                .iter()
                .map(|incompatibility| format!("{} {}", incompatibility.rule, incompatibility.path))
                .collect();
            let expected: Vec<&str> = case[key]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if found != expected {
                failures.push(format!("{key}: got {found:?}, expected {expected:?}"));
            }
            for incompatibility in incompatibilities(&new, &old, direction) {
                if incompatibility.fix.is_empty() || incompatibility.direction != direction {
                    failures.push(format!("{key}: incomplete {incompatibility:?}"));
                }
            }
        }
        report.check(&name, failures);
    }
    report.finish();
}

/// Each file is a list of cases `{"name", "schema", "refs"?,
/// "validate_defaults"? (default true), then "error", or "invalid": true, or
/// any of "canonical", "normalized", "normalized_is_canonical", "full_name"}`;
/// a `schema` given as a JSON string is used as is. `differs_from_confluent`
/// explains a case where we deliberately answer differently.
#[test]
fn handwritten_parse_cases() {
    let mut report = Report::new("handwritten parse");
    for (file, cases) in case_files("parse") {
        for case in cases.as_array().into_iter().flatten() {
            let name = format!("{file}: {}", text(case, "name"));
            report.check(&name, check_parse_case(case));
        }
    }
    report.finish();
}

fn check_parse_case(case: &Value) -> Vec<String> {
    let schema_text = match &case["schema"] {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    let options = ParseOptions {
        validate_defaults: case["validate_defaults"].as_bool().unwrap_or(true),
    };
    let parsed = AvroSchema::parse_with(&schema_text, &references(&case["refs"]), options);
    let mut failures = Vec::new();
    let expects_error = case["error"].is_string() || case["invalid"] == true;
    match parsed {
        Err(SchemaError::Invalid(message)) if expects_error => {
            if let Some(error) = case["error"].as_str() {
                expect_equal(&mut failures, "error", &message, error);
            }
        }
        Ok(schema) if !expects_error => {
            let canonical = schema.canonical();
            let normalized = schema.normalized();
            if let Some(expected) = case["canonical"].as_str() {
                expect_equal(&mut failures, "canonical", &canonical, expected);
            }
            if let Some(expected) = case["normalized"].as_str() {
                expect_equal(&mut failures, "normalized", &normalized, expected);
            }
            if let Some(expected) = case["normalized_is_canonical"].as_bool() {
                if (normalized == canonical) != expected {
                    failures.push(format!("normalized {normalized} vs canonical {canonical}: expected equal = {expected}"));
                }
            }
            if let Some(expected) = case["full_name"].as_str() {
                expect_equal(
                    &mut failures,
                    "full_name",
                    schema.full_name().unwrap_or_default(),
                    expected,
                );
            }
        }
        outcome => failures.push(format!("got {outcome:?}")),
    }
    failures
}
