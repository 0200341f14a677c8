//! Unit tests of the Protobuf diff: oneof moves, recursion, order, explanations.

use super::diff::{self, Difference};
use super::*;
use crate::ResolvedReference;

fn schema(text: &str) -> ProtobufSchema {
    ProtobufSchema::parse(text, &[]).unwrap_or_else(|error| panic!("{text}: {error}"))
}

fn proto3(body: &str) -> ProtobufSchema {
    schema(&format!("syntax = \"proto3\";\npackage p;\n{body}"))
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
fn a_schema_has_no_differences_with_itself() {
    let a = proto3(
        "message A { string a = 1; oneof k { int32 b = 2; B c = 3; } map<string, B> m = 4; }\n\
         message B { repeated B children = 1; enum E { E0 = 0; } E e = 2; }",
    );
    assert!(all_differences(&a, &a).is_empty());
}

#[test]
fn moving_fields_into_oneofs() {
    let plain = proto3("message A { string a = 1; int32 b = 2; int32 c = 3; }");
    // One plain field into a new oneof: compatible both ways.
    let one = proto3("message A { oneof k { string a = 1; } int32 b = 2; int32 c = 3; }");
    assert_eq!(all_differences(&plain, &one), ["ONEOF_ADDED #/A/k"]);
    assert_eq!(
        all_differences(&one, &plain),
        [
            "ONEOF_REMOVED #/A/k",
            "ONEOF_FIELD_MOVED_TO_TOP_LEVEL #/A/1"
        ]
    );
    // Two plain fields into one oneof.
    let two = proto3("message A { oneof k { string a = 1; int32 b = 2; } int32 c = 3; }");
    assert_eq!(
        all_differences(&plain, &two),
        ["MULTIPLE_FIELDS_MOVED_TO_ONEOF #/A/k", "ONEOF_ADDED #/A/k"]
    );
    // A plain field joining members of an existing oneof.
    assert_eq!(
        all_differences(&one, &two),
        [
            "FIELD_MOVED_TO_EXISTING_ONEOF #/A/k",
            "ONEOF_FIELD_ADDED #/A/k/2"
        ]
    );
    // The way back: the member leaves a oneof that stays.
    assert_eq!(
        all_differences(&two, &one),
        [
            "ONEOF_FIELD_REMOVED #/A/k/2",
            "ONEOF_FIELD_MOVED_TO_TOP_LEVEL #/A/2"
        ]
    );
}

#[test]
fn fields_moved_across_oneofs_are_not_compared() {
    // Confluent 7.9 compares a field only where it sits on both sides: a
    // type change hidden by a move into, out of or between oneofs passes.
    let plain = proto3("message A { string a = 1; }");
    let in_oneof = proto3("message A { oneof k { int64 a = 1; } }");
    let renamed = proto3("message A { oneof j { int64 a = 1; } }");
    assert!(incompatibilities(&in_oneof, &plain, Direction::Backward).is_empty());
    assert!(incompatibilities(&plain, &in_oneof, Direction::Backward).is_empty());
    assert!(incompatibilities(&renamed, &in_oneof, Direction::Backward).is_empty());
    // In the same oneof it is compared.
    let same_oneof = proto3("message A { oneof k { string a = 1; } }");
    let found = incompatibilities(&in_oneof, &same_oneof, Direction::Backward);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].rule, "FIELD_SCALAR_KIND_CHANGED");
    assert_eq!(found[0].path, "p.A.a (#1)");
    assert!(found[0].description.contains("'#/A/k/1'"));
}

#[test]
fn differences_come_in_java_hash_order() {
    // "Q" hashes to bucket 1, "C" to bucket 3: Q is reported first although
    // declared last.
    let old = proto3("message C { string c = 1; }\nmessage Q { string q = 1; }\nmessage K {}");
    let new = proto3("message K {}");
    assert_eq!(
        all_differences(&old, &new),
        [
            "MESSAGE_REMOVED #/Q",
            "MESSAGE_REMOVED #/C",
            "MESSAGE_MOVED #/K"
        ]
    );
    // Numbers 17 and 1 share bucket 1 of 16, in insertion order.
    let old = proto3("message A { int32 a = 17; int32 b = 2; int32 c = 1; }");
    let new = proto3("message A { string a = 17; string b = 2; string c = 1; }");
    let paths: Vec<String> = incompatibilities(&new, &old, Direction::Backward)
        .into_iter()
        .map(|found| found.path)
        .collect();
    assert_eq!(paths, ["p.A.a (#17)", "p.A.c (#1)", "p.A.b (#2)"]);
}

#[test]
fn a_local_message_type_is_compared_where_it_is_declared() {
    let old = proto3("message A { B b = 1; }\nmessage B { string x = 1; }");
    let new = proto3("message A { B b = 1; }\nmessage B { int32 x = 1; }");
    // Reported at B's own field, not again through A's field.
    assert_eq!(
        all_differences(&old, &new),
        ["FIELD_SCALAR_KIND_CHANGED #/B/1"]
    );
}

fn with_dep(text: &str, dep: &str) -> ProtobufSchema {
    let references = [ResolvedReference {
        name: "dep.proto",
        schema: dep,
    }];
    ProtobufSchema::parse(text, &references).unwrap_or_else(|error| panic!("{text}: {error}"))
}

#[test]
fn referenced_types_are_compared_recursively_with_cycle_protection() {
    let main = "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage H { dep.X x = 1; }\n";
    let old_dep = "syntax = \"proto3\";\npackage dep;\n\
                   message X { Y y = 1; X self = 2; }\n\
                   message Y { X x = 1; int32 v = 2; }\n";
    let old = with_dep(main, old_dep);
    let new = with_dep(main, &old_dep.replace("int32 v", "string v"));
    assert_eq!(
        all_differences(&old, &new),
        [
            "FIELD_SCALAR_KIND_CHANGED #/Y/2",
            "FIELD_NAMED_TYPE_CHANGED #/X/1",
            "FIELD_NAMED_TYPE_CHANGED #/H/1"
        ]
    );
    // The same reference on both sides is not recursed into.
    assert!(all_differences(&old, &with_dep(main, old_dep)).is_empty());
}

#[test]
fn reused_referenced_types_stay_within_the_comparison_budget() {
    // Every message holds two of the next: Confluent's unmemoised recursion
    // would make 2^30 comparisons.
    let mut dep = String::from("syntax = \"proto3\";\npackage dep;\n");
    for index in 0..30 {
        dep.push_str(&format!(
            "message T{index} {{ T{next} a = 1; T{next} b = 2; }}\n",
            next = index + 1
        ));
    }
    dep.push_str("message T30 { int32 v = 1; }\n");
    let main = "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage H { dep.T0 t = 1; }\n";
    let old = with_dep(main, &dep);
    let new = with_dep(main, &dep.replace("int32 v", "string v"));
    let found = incompatibilities(&new, &old, Direction::Backward);
    assert!(!found.is_empty());
    assert_eq!(found[0].rule, "FIELD_SCALAR_KIND_CHANGED");
}

#[test]
fn descriptions_and_fixes_follow_the_direction() {
    let old = proto3("message A { string a = 1; }\nmessage B { string b = 1; }");
    let new = proto3("message A { string a = 1; }");
    let backward = &incompatibilities(&new, &old, Direction::Backward)[0];
    assert_eq!(backward.rule, "MESSAGE_REMOVED");
    assert_eq!(
        backward.confluent_message(),
        "{errorType:\"MESSAGE_REMOVED\", description:\"The new schema is missing a MESSAGE type at path '#/B' in the old schema\"}"
    );
    assert_eq!(backward.path, "p.B");
    assert_eq!(
        backward.old_fragment.as_deref(),
        Some("message B { string b = 1; }")
    );
    assert_eq!(backward.new_fragment, None);
    assert!(backward
        .fix
        .starts_with("keep message `B` in the new schema"));
    // The same pair read the other way: the new schema adds a message.
    let forward = &incompatibilities(&old, &new, Direction::Forward)[0];
    assert_eq!(
        forward.description,
        "The old schema is missing a MESSAGE type at path '#/B' in the new schema"
    );
    assert_eq!(forward.old_fragment, None);
    assert!(forward
        .fix
        .contains("readers on the old schema cannot resolve `B`"));
}

#[test]
fn fragments_are_declarations() {
    let old = proto3("message A { repeated int32 qty = 2; map<string, A> m = 3; }");
    let new = proto3("message A { repeated string qty = 2; map<int32, A> m = 3; }");
    let found = incompatibilities(&new, &old, Direction::Backward);
    assert_eq!(found.len(), 2);
    assert_eq!(
        found[0].old_fragment.as_deref(),
        Some("repeated int32 qty = 2;")
    );
    assert_eq!(
        found[0].new_fragment.as_deref(),
        Some("repeated string qty = 2;")
    );
    assert_eq!(
        found[0].fix,
        "keep `qty` (#2) in the int32/int64/uint32/uint64/bool/enum group, or add a new field of type `string` with a new number and reserve 2"
    );
    assert_eq!(
        found[1].old_fragment.as_deref(),
        Some("map<string, A> m = 3;")
    );
    assert!(found[1]
        .fix
        .starts_with("keep the keys of map `m` (#3) in the string/bytes group"));
    assert_eq!(found[1].detail, "old type `string`, new type `int32`");
}

#[test]
fn oneof_fixes_name_the_members() {
    let old = proto3("message A { string a = 1; int32 b = 2; }");
    let new = proto3("message A { oneof k { string a = 1; int32 b = 2; } }");
    let found = &incompatibilities(&new, &old, Direction::Backward)[0];
    assert_eq!(found.rule, "MULTIPLE_FIELDS_MOVED_TO_ONEOF");
    assert_eq!(found.path, "p.A.k");
    assert_eq!(
        found.old_fragment.as_deref(),
        Some("string a = 1; int32 b = 2;")
    );
    assert_eq!(
        found.new_fragment.as_deref(),
        Some("oneof k { string a = 1; int32 b = 2; }")
    );
    assert!(found
        .fix
        .starts_with("leave `a` (#1), `b` (#2) outside oneof `k`"));
}

/// A referenced file with a chain of `length` message types, each holding
/// the next; the last one has a field of `field_type`.
fn chain(length: usize, field_type: &str) -> String {
    let mut text = String::from("syntax = \"proto3\";\npackage dep;\n");
    for index in 0..length {
        if index + 1 < length {
            text.push_str(&format!(
                "message T{index} {{ T{} next = 1; }}\n",
                index + 1
            ));
        } else {
            text.push_str(&format!("message T{index} {{ {field_type} x = 1; }}\n"));
        }
    }
    text
}

fn holder(dep: &str) -> ProtobufSchema {
    let text = "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage H { dep.T0 t = 1; }\n";
    let references = [ResolvedReference {
        name: "dep.proto",
        schema: dep,
    }];
    ProtobufSchema::parse(text, &references).expect("holder parses")
}

#[test]
fn long_chains_of_referenced_types_are_compared_within_bounds() {
    // Each link is one recursion into a referenced type: 150 are compared to
    // the end, where every link reports the change inside it.
    let old = holder(&chain(150, "string"));
    let new = holder(&chain(150, "int32"));
    let found = incompatibilities(&new, &old, Direction::Backward);
    assert_eq!(found.len(), 151);
    assert_eq!(found[0].rule, "FIELD_SCALAR_KIND_CHANGED");
    assert_eq!(found[0].path, "dep.T149.x (#1)");
    assert_eq!(found[150].path, "H.t (#1)");
    // Past the depth bound the end of the chain is not reached, and nothing
    // overflows.
    let old = holder(&chain(400, "string"));
    let new = holder(&chain(400, "int32"));
    assert!(incompatibilities(&new, &old, Direction::Backward).is_empty());
}
