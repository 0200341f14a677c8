//! Table-driven Protobuf conformance tests (parsing and printing; the
//! compatibility rules have their own golden tables).
//!
//! `data/confluent/schemas/` holds what Confluent Schema Registry 7.9.0's
//! libraries answered (see `data/confluent/NOTICE`): for each schema whether it
//! is valid, its canonical and normalized text or its error. Only the PROTOBUF
//! items are checked here.
//!
//! `data/protobuf/*.json` are lists of cases `{"name", "schema", "refs"?, then
//! "error", or "invalid": true, or "valid": true, or any of "canonical",
//! "normalized", "serialized", "without_extensions", "message_names",
//! "message_indexes"}`. The `http-*.json` lists are taken from Confluent's
//! recorded HTTP answers (the same Apache-2.0 data set as `data/confluent/`,
//! see its NOTICE): the text a registration returned, its `format=serialized`
//! and `format=ignore_extensions` forms, the error it gave. `printing.json`
//! and `parsing.json` are our own cases, worked out from the printing rules
//! of Confluent's `ProtobufSchemaUtils` and the parsing rules of Wire's
//! `ProtoParser` where no recording covers them.
//!
//! Our error messages start with Confluent's and may add where the problem is
//! (`Could not resolve type: dep.D (field `H.d` at line 4, column 3; …)`), so
//! errors are compared by prefix.

mod common;

use accord_schema::protobuf::ProtobufSchema;
use accord_schema::SchemaError;
use common::{check_corpus_schemas, data_dir, listed_cases, references, text, Report};
use serde_json::Value;

/// Cases where we deliberately answer differently from Confluent, with the
/// reason. The data files hold our answer, so these cases are still checked.
const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[
    (
        "parsing: an enum without constants",
        "Wire accepts `enum E {}` and Confluent checks nothing more; protoc refuses it, no \
         client can use it, and no descriptor can be built for it",
    ),
    (
        "parsing: comments only",
        "Wire parses it to an empty file and Confluent would store an empty text; we refuse it \
         as for an empty schema",
    ),
    (
        "parsing: references that import each other",
        "Confluent never follows the imports of references, so a cycle goes unnoticed; we \
         report it, since no descriptor can be built for a cycle",
    ),
];

fn parse(schema: &str, refs: &Value) -> Result<ProtobufSchema, SchemaError> {
    ProtobufSchema::parse(schema, &references(refs))
}

fn expect_equal(failures: &mut Vec<String>, what: &str, actual: &str, expected: &str) {
    if actual != expected {
        failures.push(format!("{what}: got {actual:?}\n    expected {expected:?}"));
    }
}

fn expect_error(failures: &mut Vec<String>, actual: &str, expected: &str) {
    if !actual.starts_with(expected) {
        failures.push(format!("error: got {actual:?}\n    expected {expected:?}"));
    }
}

/// The canonical and normalized texts parse again to themselves.
fn expect_stable(failures: &mut Vec<String>, schema: &ProtobufSchema, refs: &Value) {
    for (what, text) in [
        ("canonical", schema.canonical()),
        ("normalized", schema.normalized()),
    ] {
        if text.trim().is_empty() {
            continue;
        }
        match parse(&text, refs) {
            Ok(again) if what == "canonical" => {
                expect_equal(
                    failures,
                    "canonical of canonical",
                    &again.canonical(),
                    &text,
                );
            }
            Ok(again) => {
                expect_equal(
                    failures,
                    "normalized of normalized",
                    &again.normalized(),
                    &text,
                );
            }
            Err(error) => failures.push(format!("{what} does not parse again: {error}")),
        }
    }
}

#[test]
fn confluent_schemas() {
    check_corpus_schemas(
        "PROTOBUF",
        DELIBERATE_DIFFERENCES,
        parse,
        |failures, item, schema, expected| {
            expect_equal(
                failures,
                "canonical",
                &schema.canonical(),
                text(expected, "canonical"),
            );
            expect_equal(
                failures,
                "normalized",
                &schema.normalized(),
                text(expected, "normalized"),
            );
            expect_stable(failures, schema, &item["refs"]);
        },
        expect_error,
    );
}

#[test]
fn every_deliberate_difference_names_a_case() {
    let names: Vec<String> = listed_cases(&data_dir().join("protobuf"))
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for (id, _) in DELIBERATE_DIFFERENCES {
        assert!(names.iter().any(|name| name == id), "no case named {id}");
    }
}

#[test]
fn parse_cases() {
    // Deliberate differences are checked like any case (the data holds our
    // answer); only corpus items may fail because of them.
    let mut report = Report::new("parse cases", &[]);
    for (name, case) in listed_cases(&data_dir().join("protobuf")) {
        report.check(&name, check_case(&case));
    }
    report.finish();
}

fn check_case(case: &Value) -> Vec<String> {
    let mut failures = Vec::new();
    let expects_error = case["error"].is_string() || case["invalid"] == true;
    match parse(text(case, "schema"), &case["refs"]) {
        Err(SchemaError::Invalid(message)) if expects_error => {
            if let Some(error) = case["error"].as_str() {
                expect_error(&mut failures, &message, error);
            }
        }
        Ok(schema) if !expects_error => {
            for (key, actual) in [
                ("canonical", schema.canonical()),
                ("normalized", schema.normalized()),
                ("serialized", schema.serialized()),
                ("without_extensions", schema.without_extensions()),
            ] {
                if let Some(expected) = case[key].as_str() {
                    expect_equal(&mut failures, key, &actual, expected);
                }
            }
            if let Some(expected) = case["message_names"].as_array() {
                let expected: Vec<&str> = expected.iter().filter_map(Value::as_str).collect();
                let actual = schema.message_names();
                if actual != expected {
                    failures.push(format!(
                        "message_names: got {actual:?}, expected {expected:?}"
                    ));
                }
            }
            if let Some(expected) = case["message_indexes"].as_object() {
                for (message, indexes) in expected {
                    let indexes: Vec<i32> = indexes
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_i64)
                        .map(|index| index as i32)
                        .collect();
                    let actual = schema.message_indexes(message);
                    if actual.as_ref() != Some(&indexes) {
                        failures.push(format!(
                            "message_indexes({message}): got {actual:?}, expected {indexes:?}"
                        ));
                    }
                    let name = schema.message_name(&indexes);
                    if name.as_deref() != Some(message.as_str()) {
                        failures.push(format!(
                            "message_name({indexes:?}): got {name:?}, expected {message}"
                        ));
                    }
                }
            }
            expect_stable(&mut failures, &schema, &case["refs"]);
        }
        outcome => failures.push(format!("got {outcome:?}")),
    }
    failures
}
