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

mod common;

use accord_schema::json_schema::compat::{changes, incompatibilities};
use accord_schema::json_schema::JsonSchema;
use accord_schema::{CompatibilityLevel, CompatibilityPolicy, Direction, SchemaError};
use common::{
    check_corpus_chains, check_corpus_schemas, compare_messages, corpus, data_dir,
    expect_canonical_and_normalized, expect_equal, golden_cases, items_of_type, listed_cases,
    owned_references, resolved, schema_text, text, ChainMessages, MissingAnswer, Report,
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

fn parse(schema: &str, refs: &Value) -> Result<JsonSchema, SchemaError> {
    parse_with(schema, &owned_references(refs))
}

fn parse_with(text: &str, refs: &[(String, String)]) -> Result<JsonSchema, SchemaError> {
    JsonSchema::parse(text, &resolved(refs))
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

#[test]
fn confluent_schemas() {
    check_corpus_schemas(
        "JSON",
        DELIBERATE_DIFFERENCES,
        parse,
        |failures, _, schema: &JsonSchema, expected| {
            expect_canonical_and_normalized(
                failures,
                &schema.canonical(),
                &schema.normalized(),
                expected,
            );
        },
        expect_error,
    );
}

#[test]
fn confluent_compatibility() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("compat", DELIBERATE_DIFFERENCES);
    for item in items_of_type(&corpus, "compat", "JSON") {
        let id = text(item, "id");
        let old = parse(text(item, "old"), &item["old_refs"]).expect("old schema parses");
        let new = parse(text(item, "new"), &item["new_refs"]).expect("new schema parses");
        let failures = compare_messages(&golden["compat"][id], MissingAnswer::Fail, |direction| {
            messages(&new, &old, direction, CompatibilityPolicy::Strict)
        });
        report.check(id, failures);
    }
    report.finish();
}

/// Each chain's newest version against the earlier ones, per level (see
/// [`check_chain`](common::check_chain)); each difference Confluent reports
/// must be among ours.
#[test]
fn confluent_chains() {
    check_corpus_chains(
        "JSON",
        DELIBERATE_DIFFERENCES,
        |version| Ok(parse(version, &Value::Null).expect("version parses")),
        ChainMessages::Contained,
        |new, old, direction| messages(new, old, direction, CompatibilityPolicy::Strict),
    );
}

/// Each file is a list of cases `{"name", "schema", "refs"?, then "error"
/// (a prefix of our message), "confluent_error" (Confluent's message, which
/// ours must start like), "invalid": true, or any of "canonical",
/// "normalized"}`.
#[test]
fn parse_cases() {
    let mut report = Report::new("parse cases", DELIBERATE_DIFFERENCES);
    for (name, case) in listed_cases(&data_dir().join("json/parse")) {
        report.check(&name, check_parse_case(&case));
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
    let mut report = Report::new("compat cases", DELIBERATE_DIFFERENCES);
    for (name, case) in listed_cases(&data_dir().join("json/compat")) {
        report.check(&name, check_compat_case(&case));
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
    let mut report = Report::new("golden covers", DELIBERATE_DIFFERENCES);
    for (name, case) in golden_cases("json") {
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
        let level: CompatibilityLevel = text(&case, "level").parse().expect("level");
        let policy = policy_of(&case);
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
    report.finish();
}

/// Every schema of the test data (corpus and golden cases) with its references.
fn all_schemas() -> Vec<(String, Vec<(String, String)>)> {
    let mut schemas = Vec::new();
    let (corpus, _) = corpus();
    for item in items_of_type(&corpus, "schemas", "JSON") {
        schemas.push((
            text(item, "schema").to_owned(),
            owned_references(&item["refs"]),
        ));
    }
    for item in items_of_type(&corpus, "compat", "JSON") {
        for (key, refs) in [("old", "old_refs"), ("new", "new_refs")] {
            schemas.push((text(item, key).to_owned(), owned_references(&item[refs])));
        }
    }
    for (_, case) in golden_cases("json") {
        for (key, refs) in [("old", "old_refs"), ("new", "new_refs")] {
            schemas.push((schema_text(&case[key]), owned_references(&case[refs])));
        }
    }
    schemas
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
