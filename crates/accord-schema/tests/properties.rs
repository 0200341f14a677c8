//! Property tests over generated schemas of every format:
//! - every schema is FULL-compatible with itself (no incompatibility in
//!   either direction);
//! - the canonical form is a fixed point: canonical(parse(canonical(x))) ==
//!   canonical(x), and the same for the normalized form;
//! - a schema and its canonical form are compatible both ways;
//! - a schema has no change from itself, its canonical or its normalized form.

use accord_schema::{CheckOptions, Direction, ParsedSchema, SchemaType};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

// --- Avro ---------------------------------------------------------------------

fn avro_primitive() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("null")),
        Just(json!("boolean")),
        Just(json!("int")),
        Just(json!("long")),
        Just(json!("float")),
        Just(json!("double")),
        Just(json!("bytes")),
        Just(json!("string")),
        Just(json!({"type": "int", "logicalType": "date"})),
        Just(json!({"type": "long", "logicalType": "timestamp-millis"})),
        Just(json!({"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2})),
    ]
}

/// Avro types; named types get names from `prefix` so that they are unique.
fn avro_type(depth: u32, prefix: String) -> BoxedStrategy<Value> {
    if depth == 0 {
        return avro_primitive().boxed();
    }
    let p = prefix.clone();
    let q = prefix.clone();
    let r = prefix.clone();
    prop_oneof![
        4 => avro_primitive(),
        1 => avro_type(depth - 1, format!("{prefix}A")).prop_map(|items| json!({"type": "array", "items": items})),
        1 => avro_type(depth - 1, format!("{p}M")).prop_map(|values| json!({"type": "map", "values": values})),
        1 => (avro_type(depth - 1, format!("{q}U")), prop::bool::ANY).prop_map(|(branch, null_first)| {
            // A union may not directly hold another union or two unnamed types of one kind.
            if branch.is_array() || branch == json!("null") {
                json!(["null", "string"])
            } else if null_first {
                json!(["null", branch])
            } else {
                json!([branch, "null"])
            }
        }),
        1 => prop::collection::btree_set("[A-D][A-Z0-9_]{0,3}", 1..5).prop_map({
            let r = r.clone();
            move |symbols| json!({"type": "enum", "name": format!("{r}E"), "symbols": symbols.into_iter().collect::<Vec<_>>()})
        }),
        1 => (1u32..32).prop_map({
            let r = r.clone();
            move |size| json!({"type": "fixed", "name": format!("{r}F"), "size": size})
        }),
        1 => avro_record(depth - 1, format!("{r}R")),
    ]
    .boxed()
}

fn avro_record(depth: u32, name: String) -> BoxedStrategy<Value> {
    prop::collection::vec(prop::bool::ANY, 1..6)
        .prop_flat_map(move |slots| {
            let name = name.clone();
            let fields: Vec<BoxedStrategy<Value>> = slots
                .iter()
                .enumerate()
                .map(|(i, _)| avro_type(depth, format!("{name}f{i}")))
                .collect();
            fields.prop_map(move |types| {
                let fields: Vec<Value> = types
                    .into_iter()
                    .enumerate()
                    .map(|(i, ty)| json!({"name": format!("f{i}"), "type": ty}))
                    .collect();
                json!({"type": "record", "name": name, "namespace": "prop.test", "fields": fields})
            })
        })
        .boxed()
}

// --- Protobuf -----------------------------------------------------------------

const PROTO_SCALARS: &[&str] = &[
    "double", "float", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
    "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes",
];

#[derive(Clone, Debug)]
enum ProtoField {
    Scalar(&'static str, bool),
    Map(&'static str, &'static str),
    Enum,
    Nested,
    Timestamp,
}

fn proto_field() -> impl Strategy<Value = ProtoField> {
    prop_oneof![
        6 => (prop::sample::select(PROTO_SCALARS), prop::bool::ANY).prop_map(|(s, repeated)| ProtoField::Scalar(s, repeated)),
        1 => (prop::sample::select(&["int32", "string", "bool"][..]), prop::sample::select(PROTO_SCALARS)).prop_map(|(k, v)| ProtoField::Map(k, v)),
        1 => Just(ProtoField::Enum),
        1 => Just(ProtoField::Nested),
        1 => Just(ProtoField::Timestamp),
    ]
}

fn protobuf_schema() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(proto_field(), 1..12),
        0usize..3,
        prop::bool::ANY,
    )
        .prop_map(|(fields, oneof_members, with_package)| {
            let mut text = String::from("syntax = \"proto3\";\n");
            if with_package {
                text.push_str("package prop.test;\n");
            }
            text.push_str("import \"google/protobuf/timestamp.proto\";\n\n");
            text.push_str(
                "message Root {\n  enum Kind {\n    KIND_UNSPECIFIED = 0;\n    KIND_A = 1;\n  }\n",
            );
            text.push_str(
                "  message Inner {\n    string name = 1;\n    repeated int64 values = 2;\n  }\n",
            );
            let mut number = 1;
            for field in &fields {
                let declaration = match field {
                    ProtoField::Scalar(kind, true) => format!("repeated {kind}"),
                    ProtoField::Scalar(kind, false) => (*kind).to_owned(),
                    ProtoField::Map(key, value) => format!("map<{key}, {value}>"),
                    ProtoField::Enum => "Kind".to_owned(),
                    ProtoField::Nested => "Inner".to_owned(),
                    ProtoField::Timestamp => "google.protobuf.Timestamp".to_owned(),
                };
                text.push_str(&format!("  {declaration} f{number} = {number};\n"));
                number += 1;
            }
            if oneof_members > 0 {
                text.push_str("  oneof choice {\n");
                for _ in 0..oneof_members {
                    text.push_str(&format!("    string c{number} = {number};\n"));
                    number += 1;
                }
                text.push_str("  }\n");
            }
            text.push_str("}\n\nmessage Second {\n  Root root = 1;\n}\n");
            text
        })
}

// --- JSON Schema ----------------------------------------------------------------

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({"type": "string"})),
        (0u32..10, 10u32..50)
            .prop_map(|(min, max)| json!({"type": "string", "minLength": min, "maxLength": max})),
        Just(json!({"type": "string", "pattern": "^[a-z]+$"})),
        Just(json!({"type": "integer"})),
        (-100i64..0, 0i64..100)
            .prop_map(|(min, max)| json!({"type": "number", "minimum": min, "maximum": max})),
        Just(json!({"type": "boolean"})),
        Just(json!({"enum": ["a", "b", "c"]})),
        Just(json!({"type": ["string", "null"]})),
        Just(json!({})),
    ]
}

fn json_node(depth: u32) -> BoxedStrategy<Value> {
    if depth == 0 {
        return json_leaf().boxed();
    }
    prop_oneof![
        3 => json_leaf(),
        1 => json_node(depth - 1).prop_map(|items| json!({"type": "array", "items": items, "maxItems": 10})),
        1 => json_object(depth - 1),
        1 => prop::collection::vec(json_node(depth - 1), 2..4).prop_map(|branches| json!({"oneOf": branches})),
        1 => prop::collection::vec(json_node(depth - 1), 2..4).prop_map(|branches| json!({"anyOf": branches})),
    ]
    .boxed()
}

fn json_object(depth: u32) -> BoxedStrategy<Value> {
    (
        prop::collection::vec(json_node(depth), 1..6),
        prop::option::of(prop::bool::ANY),
        prop::collection::vec(prop::bool::ANY, 6),
    )
        .prop_map(|(properties, additional, required)| {
            let mut object = Map::new();
            object.insert("type".into(), json!("object"));
            let mut props = Map::new();
            let mut names = Vec::new();
            for (i, property) in properties.into_iter().enumerate() {
                props.insert(format!("p{i}"), property);
                if required[i] {
                    names.push(json!(format!("p{i}")));
                }
            }
            object.insert("properties".into(), Value::Object(props));
            if !names.is_empty() {
                object.insert("required".into(), Value::Array(names));
            }
            if let Some(additional) = additional {
                object.insert("additionalProperties".into(), json!(additional));
            }
            Value::Object(object)
        })
        .boxed()
}

fn json_schema() -> impl Strategy<Value = String> {
    (
        json_object(2),
        prop::sample::select(
            &[
                None,
                Some("http://json-schema.org/draft-04/schema#"),
                Some("http://json-schema.org/draft-07/schema#"),
                Some("https://json-schema.org/draft/2020-12/schema"),
            ][..],
        ),
    )
        .prop_map(|(mut root, draft)| {
            if let (Some(draft), Value::Object(object)) = (draft, &mut root) {
                object.insert("$schema".into(), json!(draft));
            }
            root.to_string()
        })
}

// --- The properties -------------------------------------------------------------

fn parse(schema_type: SchemaType, text: &str) -> ParsedSchema {
    ParsedSchema::parse(schema_type, text, &[]).unwrap_or_else(|error| {
        panic!("generated {schema_type} schema does not parse: {error}\n{text}")
    })
}

fn assert_self_compatible(
    schema_type: SchemaType,
    new: &ParsedSchema,
    old: &ParsedSchema,
    text: &str,
) {
    for direction in [Direction::Backward, Direction::Forward] {
        let found = ParsedSchema::incompatibilities(new, old, direction, &CheckOptions::default());
        assert!(
            found.is_empty(),
            "{schema_type} schema not compatible with itself ({direction:?}): {found:#?}\n{text}"
        );
    }
}

fn assert_no_change(schema_type: SchemaType, old: &ParsedSchema, new: &ParsedSchema, text: &str) {
    let changes = ParsedSchema::diff(old, new, &CheckOptions::default());
    assert!(
        changes.is_empty(),
        "{schema_type} schema differs from itself: {changes:#?}\n{text}"
    );
}

fn check_properties(schema_type: SchemaType, text: &str) {
    let parsed = parse(schema_type, text);
    assert_self_compatible(schema_type, &parsed, &parsed, text);
    assert_no_change(schema_type, &parsed, &parsed, text);

    let canonical = parsed.canonical();
    let reparsed = parse(schema_type, &canonical);
    assert_eq!(
        reparsed.canonical(),
        canonical,
        "canonical form is not stable for\n{text}"
    );
    assert_self_compatible(schema_type, &reparsed, &parsed, text);
    assert_self_compatible(schema_type, &parsed, &reparsed, text);
    assert_no_change(schema_type, &parsed, &reparsed, text);

    let normalized = parsed.normalized();
    let renormalized = parse(schema_type, &normalized);
    assert_eq!(
        renormalized.normalized(),
        normalized,
        "normalized form is not stable for\n{text}"
    );
    assert_self_compatible(schema_type, &renormalized, &parsed, text);
    assert_no_change(schema_type, &parsed, &renormalized, text);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn avro_schemas(schema in avro_record(3, "Root".to_owned())) {
        check_properties(SchemaType::Avro, &schema.to_string());
    }

    #[test]
    fn protobuf_schemas(schema in protobuf_schema()) {
        check_properties(SchemaType::Protobuf, &schema);
    }

    #[test]
    fn json_schemas(schema in json_schema()) {
        check_properties(SchemaType::Json, &schema);
    }
}
