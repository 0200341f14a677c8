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

mod common;

use accord_schema::avro::{compat::incompatibilities, AvroSchema, ParseOptions};
use accord_schema::{Direction, SchemaError};
use common::{
    case_files, check_corpus_chains, check_corpus_schemas, compare_messages, corpus, data_dir,
    expect_canonical_and_normalized, expect_equal, items_of_type, listed_cases, references,
    schema_text, text, ChainMessages, MissingAnswer, Report,
};
use serde_json::Value;

/// Corpus items where we deliberately answer differently, with the reason.
const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[];

fn parse(schema: &str, refs: &Value) -> Result<AvroSchema, SchemaError> {
    AvroSchema::parse(schema, &references(refs))
}

fn messages(new: &AvroSchema, old: &AvroSchema, direction: Direction) -> Vec<String> {
    incompatibilities(new, old, direction)
        .iter()
        .map(|incompatibility| incompatibility.confluent_message())
        .collect()
}

#[test]
fn confluent_schemas() {
    check_corpus_schemas(
        "AVRO",
        DELIBERATE_DIFFERENCES,
        parse,
        |failures, _, schema: &AvroSchema, expected| {
            expect_canonical_and_normalized(
                failures,
                &schema.canonical(),
                &schema.normalized(),
                expected,
            );
        },
        |failures, message, error| {
            // Jackson's parse errors are not reproduced word for word.
            if !error.starts_with("com.fasterxml.jackson") {
                expect_equal(failures, "error", message, error);
            }
        },
    );
}

#[test]
fn confluent_compatibility() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("compat", DELIBERATE_DIFFERENCES);
    for item in items_of_type(&corpus, "compat", "AVRO") {
        let id = text(item, "id");
        let old = parse(text(item, "old"), &item["old_refs"]).expect("old schema parses");
        let new = parse(text(item, "new"), &item["new_refs"]).expect("new schema parses");
        let failures = compare_messages(
            &golden["compat"][id],
            MissingAnswer::ExpectNone,
            |direction| messages(&new, &old, direction),
        );
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
        "AVRO",
        DELIBERATE_DIFFERENCES,
        |version| Ok(parse(version, &Value::Null).expect("version parses")),
        ChainMessages::Contained,
        messages,
    );
}

/// `{"old", "new", "old_refs"?, "new_refs"?, "backward": [...], "forward": [...]}`
/// where each entry is `"RULE /path"`.
#[test]
fn handwritten_compatibility_cases() {
    let mut report = Report::new("handwritten compat", DELIBERATE_DIFFERENCES);
    for (name, case) in case_files(&data_dir().join("avro/compat")) {
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
    let mut report = Report::new("handwritten parse", DELIBERATE_DIFFERENCES);
    for (name, case) in listed_cases(&data_dir().join("avro/parse")) {
        report.check(&name, check_parse_case(&case));
    }
    report.finish();
}

fn check_parse_case(case: &Value) -> Vec<String> {
    let schema_text = schema_text(&case["schema"]);
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
