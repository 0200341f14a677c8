//! Table-driven Protobuf compatibility conformance tests.
//!
//! `data/confluent/schemas/` holds what Confluent Schema Registry 7.9.0's
//! libraries answered (see `data/confluent/NOTICE`); here its PROTOBUF
//! compatibility pairs (the messages in both directions, exactly, in order)
//! and chains (the verdict per level and the reported messages) are checked.
//!
//! `data/golden/protobuf/*.json` are the golden compatibility tables that
//! `tests/golden.rs` runs for verdicts and rules. A case there may also carry
//! `"confluent": {"BACKWARD": [...], "FORWARD": [...]}`, the messages
//! Confluent gave for it (taken from the recorded HTTP exchanges in the same
//! Apache-2.0 data set, or from the corpus; a case with a `note` says when
//! they were derived from Confluent's source instead); those are compared
//! exactly here.

use std::fs;
use std::path::{Path, PathBuf};

use accord_schema::protobuf::{compat::incompatibilities, ProtobufSchema};
use accord_schema::{CompatibilityLevel, Direction, ResolvedReference, SchemaError, SchemaType};
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

fn parse(schema: &str, refs: &Value) -> Result<ProtobufSchema, SchemaError> {
    ProtobufSchema::parse(schema, &references(refs))
}

fn messages(new: &ProtobufSchema, old: &ProtobufSchema, direction: Direction) -> Vec<String> {
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
    skipped: Vec<String>,
    failures: Vec<String>,
}

impl Report {
    fn new(name: &'static str) -> Report {
        Report {
            name,
            checked: 0,
            skipped: Vec::new(),
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

    /// An item whose schemas our parser does not accept yet: reported, not hidden.
    fn skip(&mut self, id: &str, error: &SchemaError) {
        println!(
            "{}: skipped {id}: a schema does not parse: {error}",
            self.name
        );
        self.skipped.push(id.to_owned());
    }

    fn finish(self) {
        println!(
            "{}: {} of {} match, {} skipped",
            self.name,
            self.checked - self.failures.len(),
            self.checked,
            self.skipped.len()
        );
        assert!(
            self.failures.is_empty(),
            "{} mismatches:\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

fn corpus() -> (Value, Value) {
    let dir = data_dir().join("confluent/schemas");
    (
        read_json(&dir.join("corpus.json")),
        read_json(&dir.join("golden.json")),
    )
}

/// Checks what a reported incompatibility must carry besides the message.
fn explanation_failures(new: &ProtobufSchema, old: &ProtobufSchema) -> Vec<String> {
    let mut failures = Vec::new();
    for direction in [Direction::Backward, Direction::Forward] {
        for incompatibility in incompatibilities(new, old, direction) {
            let complete = incompatibility.schema_type == SchemaType::Protobuf
                && incompatibility.direction == direction
                && !incompatibility.path.is_empty()
                && !incompatibility.description.is_empty()
                && !incompatibility.detail.is_empty()
                && !incompatibility.fix.is_empty()
                && (incompatibility.old_fragment.is_some()
                    || incompatibility.new_fragment.is_some());
            if !complete {
                failures.push(format!("incomplete {incompatibility:?}"));
            }
        }
    }
    failures
}

/// Compares the messages in both directions with Confluent's, exactly.
fn compare_messages(new: &ProtobufSchema, old: &ProtobufSchema, expected: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    for (direction, level) in [
        (Direction::Backward, "BACKWARD"),
        (Direction::Forward, "FORWARD"),
    ] {
        if expected.get(level).is_none() {
            continue;
        }
        let expected = differences(&expected[level]);
        let actual = messages(new, old, direction);
        if actual != expected {
            failures.push(format!(
                "{level}: got {actual:#?}\n    expected {expected:#?}"
            ));
        }
    }
    failures
}

#[test]
fn confluent_compatibility_pairs() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("compat");
    let items = corpus["compat"].as_array().into_iter().flatten();
    for item in items.filter(|item| item["type"] == "PROTOBUF") {
        let id = text(item, "id");
        let parsed = parse(text(item, "old"), &item["old_refs"])
            .and_then(|old| Ok((old, parse(text(item, "new"), &item["new_refs"])?)));
        let (old, new) = match parsed {
            Ok(pair) => pair,
            Err(error) => {
                report.skip(id, &error);
                continue;
            }
        };
        let mut failures = compare_messages(&new, &old, &golden["compat"][id]);
        failures.extend(explanation_failures(&new, &old));
        report.check(id, failures);
    }
    report.finish();
}

/// For each level, the newest version is checked against the latest earlier
/// one (or all earlier ones for transitive levels); the verdict and the
/// reported differences (in any order) are compared, since which versions are
/// compared and how the messages are assembled is the registry's job.
#[test]
fn confluent_chains() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("chains");
    let chains = corpus["chains"].as_array().into_iter().flatten();
    for chain in chains.filter(|chain| {
        chain["types"]
            .as_array()
            .is_some_and(|types| types.iter().all(|t| t == "PROTOBUF"))
    }) {
        let id = text(chain, "id");
        let versions: Result<Vec<ProtobufSchema>, SchemaError> = chain["versions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|version| parse(version.as_str().unwrap_or_default(), &Value::Null))
            .collect();
        let versions = match versions {
            Ok(versions) => versions,
            Err(error) => {
                report.skip(id, &error);
                continue;
            }
        };
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
            let mut found: Vec<String> = compared
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
            let mut expected = differences(expected);
            found.sort();
            expected.sort();
            if !expected.is_empty() && found != expected {
                failures.push(format!(
                    "{level}: got {found:#?}\n    expected {expected:#?}"
                ));
            }
        }
        report.check(id, failures);
    }
    report.finish();
}

fn golden_cases() -> Vec<(String, Value)> {
    let dir = data_dir().join("golden/protobuf");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for path in files {
        let file = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for case in read_json(&path).as_array().into_iter().flatten() {
            cases.push((format!("{file}: {}", text(case, "name")), case.clone()));
        }
    }
    cases
}

/// The golden cases that carry Confluent's messages, compared exactly, and
/// every golden case's explanations checked for completeness.
#[test]
fn golden_cases_messages_and_explanations() {
    let mut report = Report::new("golden messages");
    for (name, case) in golden_cases() {
        let old = parse(text(&case, "old"), &case["old_refs"]).expect("old schema parses");
        let new = parse(text(&case, "new"), &case["new_refs"]).expect("new schema parses");
        let mut failures = compare_messages(&new, &old, &case["confluent"]);
        failures.extend(explanation_failures(&new, &old));
        report.check(&name, failures);
    }
    report.finish();
}
