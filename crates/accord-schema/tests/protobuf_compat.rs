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

mod common;

use accord_schema::protobuf::{compat::incompatibilities, ProtobufSchema};
use accord_schema::{Direction, SchemaError, SchemaType};
use common::{
    check_corpus_chains, corpus, golden_cases, items_of_type, references, text, ChainMessages,
    MissingAnswer, Report,
};
use serde_json::Value;

/// Corpus items where we deliberately answer differently, with the reason.
const DELIBERATE_DIFFERENCES: &[(&str, &str)] = &[];

fn parse(schema: &str, refs: &Value) -> Result<ProtobufSchema, SchemaError> {
    ProtobufSchema::parse(schema, &references(refs))
}

fn messages(new: &ProtobufSchema, old: &ProtobufSchema, direction: Direction) -> Vec<String> {
    incompatibilities(new, old, direction)
        .iter()
        .map(|incompatibility| incompatibility.confluent_message())
        .collect()
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
    common::compare_messages(expected, MissingAnswer::Skip, |direction| {
        messages(new, old, direction)
    })
}

#[test]
fn confluent_compatibility_pairs() {
    let (corpus, golden) = corpus();
    let mut report = Report::new("compat", DELIBERATE_DIFFERENCES);
    for item in items_of_type(&corpus, "compat", "PROTOBUF") {
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

/// Each chain's newest version against the earlier ones, per level (see
/// [`check_chain`](common::check_chain)); the differences reported must be
/// Confluent's, in any order. A chain with a version our parser does not
/// accept yet is skipped and reported.
#[test]
fn confluent_chains() {
    check_corpus_chains(
        "PROTOBUF",
        DELIBERATE_DIFFERENCES,
        |version| parse(version, &Value::Null),
        ChainMessages::SameInAnyOrder,
        messages,
    );
}

/// The golden cases that carry Confluent's messages, compared exactly, and
/// every golden case's explanations checked for completeness.
#[test]
fn golden_cases_messages_and_explanations() {
    let mut report = Report::new("golden messages", DELIBERATE_DIFFERENCES);
    for (name, case) in golden_cases("protobuf") {
        let old = parse(text(&case, "old"), &case["old_refs"]).expect("old schema parses");
        let new = parse(text(&case, "new"), &case["new_refs"]).expect("new schema parses");
        let mut failures = compare_messages(&new, &old, &case["confluent"]);
        failures.extend(explanation_failures(&new, &old));
        report.check(&name, failures);
    }
    report.finish();
}
