//! Unit tests of the Protobuf diff: oneof moves, recursion, order.

use super::diff::{self, Difference};
use super::*;
use crate::ResolvedReference;

fn schema(text: &str) -> ProtobufSchema {
    ProtobufSchema::parse(text, &[]).unwrap_or_else(|error| panic!("{text}: {error}"))
}

/// Every difference (compatible ones too) as `TYPE #/path`.
fn all_differences(original: &ProtobufSchema, update: &ProtobufSchema) -> Vec<String> {
    diff::compare(&original.file(), &update.file())
        .iter()
        .map(|difference: &Difference| {
            format!("{} {}", difference.kind.name(), difference.confluent_path)
        })
        .collect()
}

#[test]
fn difference_types_match_the_enum() {
    let names: Vec<&str> = DifferenceType::ALL.iter().map(|kind| kind.name()).collect();
    assert_eq!(names, DIFFERENCE_TYPES);
}

#[test]
fn a_schema_is_compatible_with_itself() {
    let text = "syntax = \"proto3\"; package p; message A { string a = 1; }";
    let a = schema(text);
    assert!(incompatibilities(&a, &a, Direction::Backward).is_empty());
    let _ = ResolvedReference {
        name: "",
        schema: "",
    };
    assert!(all_differences(&a, &a).is_empty());
}
