//! Table-driven JSON Schema conformance tests.
//!
//! `data/confluent/schemas/` holds what Confluent Schema Registry 7.9.0's
//! libraries answered (see `data/confluent/NOTICE`): for each schema whether it
//! is valid, its canonical and normalized text or its error; for each pair of
//! schemas the compatibility messages in both directions; for each chain of
//! versions the messages per compatibility level. Only the JSON items are
//! checked here.
//!
//! `data/json/` holds further cases: `parse/*.json` (lists of schemas with
//! their canonical text, normalized text or error) and `compat/*.json` (lists
//! of pairs with the messages or `RULE #/path` entries expected in each
//! direction). The `http-*.json` files are taken from Confluent's recorded HTTP
//! answers (the same Apache-2.0 data set as `data/confluent/`, see its NOTICE).
//!
//! The golden tables (`data/golden/json/`) are run by `tests/golden.rs`; here
//! we only check that the compatible difference types a golden case claims to
//! cover really occur in it.

use std::fs;
use std::path::{Path, PathBuf};

use accord_schema::json_schema::compat::{changes, incompatibilities};
use accord_schema::json_schema::JsonSchema;
use accord_schema::{
    CompatibilityLevel, CompatibilityPolicy, Direction, ResolvedReference, SchemaError,
};
use serde_json::Value;

/// Where we deliberately answer differently from Confluent, with the reason.
/// Corpus items listed here are reported but not failed; the golden cases
/// listed here state Accord's answer (the table in `tests/golden.rs` checks
/// it) and are named only to record the difference.
const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[
    (
        "json-exclusiveMaximum-10-5",
        "Confluent 7.9 throws a NullPointerException in BACKWARD (it compares the old \
         exclusiveMaximum with the new schema's absent `maximum`) and records no FORWARD \
         answer; Accord reports EXCLUSIVE_MAXIMUM_DECREASED in BACKWARD, the difference \
         Confluent means, and nothing in FORWARD",
    ),
    (
        "numbers.json: exclusiveMaximum lowered",
        "the same NullPointerException as json-exclusiveMaximum-10-5",
    ),
    (
        "numbers.json: fractional multipleOf halves",
        "Confluent truncates multipleOf values to integers and divides by zero for \
         fractions below 1; Accord compares the exact values",
    ),
    (
        "types.json: array items schema added",
        "Confluent's SCHEMA_ADDED message has an empty description; Accord uses the \
         \"keyword … is not present\" sentence (same verdict and path)",
    ),
];

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

/// A schema given as a JSON string is used as is; any other JSON value is
/// written out compactly.
fn schema_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn references(refs: &Value) -> Vec<(String, String)> {
    refs.as_array()
        .into_iter()
        .flatten()
        .map(|reference| {
            (
                text(reference, "name").to_owned(),
                schema_text(&reference["schema"]),
            )
        })
        .collect()
}

fn parse(schema: &str, refs: &Value) -> Result<JsonSchema, SchemaError> {
    let refs = references(refs);
    let resolved: Vec<ResolvedReference<'_>> = refs
        .iter()
        .map(|(name, schema)| ResolvedReference { name, schema })
        .collect();
    JsonSchema::parse(schema, &resolved)
}

fn messages(
    new: &JsonSchema,
    old: &JsonSchema,
    direction: Direction,
    policy: CompatibilityPolicy,
) -> Vec<String> {
    incompatibilities(new, old, direction, policy)
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
    deliberate: usize,
    failures: Vec<String>,
}

impl Report {
    fn new(name: &'static str) -> Report {
        Report {
            name,
            checked: 0,
            deliberate: 0,
            failures: Vec::new(),
        }
    }

    fn check(&mut self, id: &str, failures: Vec<String>) {
        self.checked += 1;
        if failures.is_empty() {
            return;
        }
        if is_deliberate(id) {
            self.deliberate += 1;
            println!("{id}: deliberate difference:\n  {}", failures.join("\n  "));
        } else {
            self.failures
                .push(format!("{id}:\n  {}", failures.join("\n  ")));
        }
    }

    fn finish(self) {
        println!(
            "{}: {} of {} match, {} deliberate differences",
            self.name,
            self.checked - self.failures.len() - self.deliberate,
            self.checked,
            self.deliberate
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

/// Confluent's error texts are generic (`Invalid JSON Schema`, `Invalid JSON
/// {…}`); ours start the same way and then say what is wrong and where.
fn expect_error(failures: &mut Vec<String>, message: &str, expected: &str) {
    let prefix = if expected.starts_with("Invalid JSON Schema") {
        "Invalid JSON Schema: "
    } else if expected.starts_with("Invalid JSON") {
        "Invalid JSON: "
    } else {
        expected
    };
    if !message.starts_with(prefix) {
        failures.push(format!(
            "error: got {message}\n    expected it to start with {prefix:?} (Confluent: {expected})"
        ));
    }
}

fn corpus() -> (Value, Value) {
    let dir = data_dir().join("confluent/schemas");
    (
        read_json(&dir.join("corpus.json")),
        read_json(&dir.join("golden.json")),
    )
}

fn json_items<'a>(corpus: &'a Value, section: &str) -> impl Iterator<Item = &'a Value> {
    corpus[section]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["type"] == "JSON")
}

#[test]
fn confluent_schemas() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("schemas");
    for item in json_items(&corpus, "schemas") {
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
                expect_error(&mut failures, &message, text(expected, "error"));
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
    for item in json_items(&corpus, "compat") {
        let id = text(item, "id");
        let old = parse(text(item, "old"), &item["old_refs"]).expect("old schema parses");
        let new = parse(text(item, "new"), &item["new_refs"]).expect("new schema parses");
        let mut failures = Vec::new();
        for (direction, level) in [
            (Direction::Backward, "BACKWARD"),
            (Direction::Forward, "FORWARD"),
        ] {
            let recorded = &golden["compat"][id];
            if recorded.get(level).is_none() {
                failures.push(format!(
                    "{level}: Confluent recorded no answer ({recorded})"
                ));
                continue;
            }
            let expected = differences(&recorded[level]);
            let actual = messages(&new, &old, direction, CompatibilityPolicy::Strict);
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
            .is_some_and(|types| types.iter().all(|t| t == "JSON"))
    }) {
        let id = text(chain, "id");
        let versions: Vec<JsonSchema> = chain["versions"]
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
                    level.directions().iter().flat_map(|&direction| {
                        messages(newest, old, direction, CompatibilityPolicy::Strict)
                    })
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
    let dir = data_dir().join("json").join(kind);
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

/// Each file is a list of cases `{"name", "schema", "refs"?, then "error"
/// (a prefix of our message), "confluent_error" (Confluent's message, which
/// ours must start like), "invalid": true, or any of "canonical",
/// "normalized"}`.
#[test]
fn parse_cases() {
    let mut report = Report::new("parse cases");
    for (file, cases) in case_files("parse") {
        for case in cases.as_array().into_iter().flatten() {
            let name = format!("{file}: {}", text(case, "name"));
            report.check(&name, check_parse_case(case));
        }
    }
    report.finish();
}

fn check_parse_case(case: &Value) -> Vec<String> {
    let parsed = parse(&schema_text(&case["schema"]), &case["refs"]);
    let mut failures = Vec::new();
    let expects_error =
        case["error"].is_string() || case["confluent_error"].is_string() || case["invalid"] == true;
    match parsed {
        Err(SchemaError::Invalid(message)) if expects_error => {
            if let Some(error) = case["error"].as_str() {
                if !message.starts_with(error) {
                    failures.push(format!("error: got {message}\n    expected {error}…"));
                }
            }
            if let Some(error) = case["confluent_error"].as_str() {
                expect_error(&mut failures, &message, error);
            }
        }
        Ok(schema) if !expects_error => {
            if let Some(expected) = case["canonical"].as_str() {
                expect_equal(&mut failures, "canonical", &schema.canonical(), expected);
            }
            if let Some(expected) = case["normalized"].as_str() {
                expect_equal(&mut failures, "normalized", &schema.normalized(), expected);
            }
        }
        outcome => failures.push(format!("got {outcome:?}")),
    }
    failures
}

/// Each file is a list of cases `{"name", "old", "new", "old_refs"?,
/// "new_refs"?, "policy"?, "backward": [...], "forward": [...]}` where an entry
/// is either Confluent's message (`{errorType:…`) or `RULE #/path`; the whole
/// list must match in order.
#[test]
fn compatibility_cases() {
    let mut report = Report::new("compat cases");
    for (file, cases) in case_files("compat") {
        for case in cases.as_array().into_iter().flatten() {
            let name = format!("{file}: {}", text(case, "name"));
            report.check(&name, check_compat_case(case));
        }
    }
    report.finish();
}

fn policy_of(case: &Value) -> CompatibilityPolicy {
    case["policy"]
        .as_str()
        .map(|policy| policy.parse().expect("known policy"))
        .unwrap_or_default()
}

fn check_compat_case(case: &Value) -> Vec<String> {
    let old = parse(&schema_text(&case["old"]), &case["old_refs"]).expect("old schema parses");
    let new = parse(&schema_text(&case["new"]), &case["new_refs"]).expect("new schema parses");
    let policy = policy_of(case);
    let mut failures = Vec::new();
    for (direction, key) in [
        (Direction::Backward, "backward"),
        (Direction::Forward, "forward"),
    ] {
        let Some(expected) = case[key].as_array() else {
            continue;
        };
        let expected: Vec<&str> = expected.iter().filter_map(Value::as_str).collect();
        let found = incompatibilities(&new, &old, direction, policy);
        let as_messages = expected
            .first()
            .is_some_and(|entry| entry.starts_with("{errorType:"));
        let actual: Vec<String> = found
            .iter()
            .map(|incompatibility| {
                if as_messages {
                    incompatibility.confluent_message()
                } else {
                    format!("{} {}", incompatibility.rule, incompatibility.path)
                }
            })
            .collect();
        if actual != expected {
            failures.push(format!(
                "{key}: got {actual:#?}\n    expected {expected:#?}"
            ));
        }
        for incompatibility in &found {
            if incompatibility.fix.is_empty()
                || incompatibility.description.is_empty()
                || incompatibility.direction != direction
            {
                failures.push(format!("{key}: incomplete {incompatibility:?}"));
            }
        }
    }
    failures
}

/// A golden case's `covers` names compatible differences; check that the
/// comparison really finds each of them in some direction its level checks.
#[test]
fn golden_covers_are_real() {
    let dir = data_dir().join("golden/json");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    let mut report = Report::new("golden covers");
    for file in files {
        let file_name = file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        for case in read_json(&file).as_array().into_iter().flatten() {
            let name = format!("{file_name}: {}", text(case, "name"));
            let covers: Vec<&str> = case["covers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            if covers.is_empty() {
                continue;
            }
            let old = parse(&schema_text(&case["old"]), &case["old_refs"]).expect("old parses");
            let new = parse(&schema_text(&case["new"]), &case["new_refs"]).expect("new parses");
            let level: CompatibilityLevel = text(case, "level").parse().expect("level");
            let policy = policy_of(case);
            let found: Vec<(&str, bool)> = level
                .directions()
                .iter()
                .flat_map(|&direction| changes(&new, &old, direction, policy))
                .map(|change| (change.rule, change.compatible))
                .collect();
            let missing: Vec<String> = covers
                .iter()
                .filter(|rule| !found.contains(&(**rule, true)))
                .map(|rule| format!("{rule} is not a compatible difference here (found {found:?})"))
                .collect();
            report.check(&name, missing);
        }
    }
    report.finish();
}

/// Every schema of the test data (corpus and golden cases) with its references.
fn all_schemas() -> Vec<(String, Vec<(String, String)>)> {
    let mut schemas = Vec::new();
    let (corpus, _) = corpus();
    for item in json_items(&corpus, "schemas") {
        schemas.push((text(item, "schema").to_owned(), references(&item["refs"])));
    }
    for item in json_items(&corpus, "compat") {
        for (key, refs) in [("old", "old_refs"), ("new", "new_refs")] {
            schemas.push((text(item, key).to_owned(), references(&item[refs])));
        }
    }
    let dir = data_dir().join("golden/json");
    for entry in fs::read_dir(&dir).expect("golden directory") {
        let path = entry.expect("entry").path();
        for case in read_json(&path).as_array().into_iter().flatten() {
            for (key, refs) in [("old", "old_refs"), ("new", "new_refs")] {
                schemas.push((schema_text(&case[key]), references(&case[refs])));
            }
        }
    }
    schemas
}

fn parse_with(text: &str, refs: &[(String, String)]) -> Result<JsonSchema, SchemaError> {
    let resolved: Vec<ResolvedReference<'_>> = refs
        .iter()
        .map(|(name, schema)| ResolvedReference { name, schema })
        .collect();
    JsonSchema::parse(text, &resolved)
}

/// Invariants over every schema we have: the canonical text parses to itself,
/// normalizing is idempotent, and a schema is compatible with itself in both
/// directions under both policies.
#[test]
fn invariants() {
    let mut failures = Vec::new();
    for (text, refs) in all_schemas() {
        let Ok(schema) = parse_with(&text, &refs) else {
            continue;
        };
        let again = parse_with(&schema.canonical(), &refs).expect("canonical text parses");
        if again.canonical() != schema.canonical() {
            failures.push(format!("canonical not stable: {text}"));
        }
        let normalized = parse_with(&schema.normalized(), &refs).expect("normalized text parses");
        if normalized.normalized() != schema.normalized() {
            failures.push(format!("normalized not idempotent: {text}"));
        }
        for policy in [CompatibilityPolicy::Strict, CompatibilityPolicy::Lenient] {
            for direction in [Direction::Backward, Direction::Forward] {
                let found = incompatibilities(&schema, &again, direction, policy);
                if !found.is_empty() {
                    failures.push(format!("{text} is incompatible with itself: {found:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Broken documents (every prefix of every schema, and characters swapped for
/// JSON punctuation) are refused with a message, never a panic.
#[test]
fn broken_documents_are_refused_cleanly() {
    for (text, refs) in all_schemas() {
        for (cut, _) in text.char_indices() {
            let _ = parse_with(&text[..cut], &refs);
        }
        for replacement in ["{", "}", "[", "]", ":", ",", "\"", "1", "true"] {
            for (at, character) in text.char_indices().step_by(7) {
                let mutated = format!(
                    "{}{replacement}{}",
                    &text[..at],
                    &text[at + character.len_utf8()..]
                );
                if let Err(SchemaError::Invalid(message)) = parse_with(&mutated, &refs) {
                    assert!(message.starts_with("Invalid JSON"), "{message}");
                }
            }
        }
    }
}
