//! The golden compatibility tables: `data/golden/<format>/*.json`, each a list
//! of (old, new, level) cases with the expected verdict and rule ids. A new
//! case is a new entry in a data file, never new code.
//!
//! A case is
//! `{"name", "level", "policy"?, "old", "new", "old_refs"?, "new_refs"?,
//!   "compatible", "rules", "covers"?}`:
//! `old`/`new` are schema texts (for Avro and JSON Schema a JSON value is
//! accepted too), `*_refs` are `[{"name", "schema"}]` in dependency order,
//! `rules` are the rule ids reported over every direction the level checks
//! (sorted, without repeats; empty when compatible), and `covers` names the
//! difference types the case exercises that report no rule (Confluent's
//! compatible differences). Every difference type a format's engine knows
//! must be exercised by some case.

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use accord_schema::{
    CheckOptions, CompatibilityLevel, CompatibilityPolicy, ParsedSchema, SchemaType,
};
use common::{data_dir, json_files, owned_references, read_json, resolved};
use serde_json::Value;

/// The minimum number of cases per format.
const MINIMUM_CASES: usize = 60;

fn golden_dir(schema_type: SchemaType) -> PathBuf {
    let folder = match schema_type {
        SchemaType::Avro => "avro",
        SchemaType::Protobuf => "protobuf",
        SchemaType::Json => "json",
    };
    data_dir().join("golden").join(folder)
}

/// Every difference type a format's engine can report or deliberately accept.
fn difference_types(schema_type: SchemaType) -> &'static [&'static str] {
    match schema_type {
        SchemaType::Avro => accord_schema::avro::compat::DIFFERENCE_TYPES,
        SchemaType::Protobuf => accord_schema::protobuf::compat::DIFFERENCE_TYPES,
        SchemaType::Json => accord_schema::json_schema::compat::DIFFERENCE_TYPES,
    }
}

fn parse(schema_type: SchemaType, case: &Value, which: &str) -> ParsedSchema {
    let text = match &case[which] {
        Value::Null => panic!("case {} has no `{which}`", case["name"]),
        other => common::schema_text(other),
    };
    let refs = owned_references(&case[format!("{which}_refs")]);
    ParsedSchema::parse(schema_type, &text, &resolved(&refs))
        .unwrap_or_else(|error| panic!("case {}: `{which}` does not parse: {error}", case["name"]))
}

/// Runs every case of one format; returns the failures and the difference
/// types exercised.
fn run_format(schema_type: SchemaType) -> (usize, Vec<String>, BTreeSet<String>) {
    let files = json_files(&golden_dir(schema_type));
    let mut count = 0;
    let mut failures = Vec::new();
    let mut exercised = BTreeSet::new();
    for file in files {
        let cases = read_json(&file);
        for case in cases.as_array().expect("a list of cases") {
            count += 1;
            let name = format!(
                "{}: {}",
                file.file_name().unwrap().to_string_lossy(),
                case["name"]
            );
            let level: CompatibilityLevel = case["level"]
                .as_str()
                .and_then(|level| level.parse().ok())
                .unwrap_or_else(|| panic!("{name}: bad level"));
            let policy = match case["policy"].as_str() {
                Some(policy) => policy
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}: bad policy")),
                None => CompatibilityPolicy::Strict,
            };
            let old = parse(schema_type, case, "old");
            let new = parse(schema_type, case, "new");
            let mut found = Vec::new();
            for &direction in level.directions() {
                found.extend(ParsedSchema::incompatibilities(
                    &new,
                    &old,
                    direction,
                    &CheckOptions { policy },
                ));
            }
            let rules: BTreeSet<String> = found.iter().map(|found| found.rule.to_owned()).collect();
            let expected: BTreeSet<String> = case["rules"]
                .as_array()
                .unwrap_or_else(|| panic!("{name}: `rules` missing"))
                .iter()
                .map(|rule| rule.as_str().expect("rule id").to_owned())
                .collect();
            let compatible = case["compatible"]
                .as_bool()
                .unwrap_or_else(|| panic!("{name}: `compatible` missing"));
            if compatible != found.is_empty() || rules != expected {
                failures.push(format!(
                    "{name}: expected compatible={compatible} rules={expected:?}, got {rules:?}"
                ));
            }
            for incompatibility in &found {
                let explained = !incompatibility.path.is_empty()
                    && !incompatibility.description.is_empty()
                    && !incompatibility.fix.is_empty()
                    && (incompatibility.old_fragment.is_some()
                        || incompatibility.new_fragment.is_some());
                if !explained {
                    failures.push(format!(
                        "{name}: incomplete explanation {incompatibility:?}"
                    ));
                }
            }
            exercised.extend(rules);
            exercised.extend(
                case["covers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(str::to_owned),
            );
        }
    }
    (count, failures, exercised)
}

fn check_format(schema_type: SchemaType) {
    let (count, mut failures, exercised) = run_format(schema_type);
    for difference in difference_types(schema_type) {
        if !exercised.contains(*difference) {
            failures.push(format!("no case exercises {difference}"));
        }
    }
    if count < MINIMUM_CASES {
        failures.push(format!(
            "only {count} cases; at least {MINIMUM_CASES} wanted"
        ));
    }
    assert!(
        failures.is_empty(),
        "{schema_type}: {} of {count} golden cases fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn avro_golden_table() {
    check_format(SchemaType::Avro);
}

#[test]
fn protobuf_golden_table() {
    check_format(SchemaType::Protobuf);
}

#[test]
fn json_schema_golden_table() {
    check_format(SchemaType::Json);
}
