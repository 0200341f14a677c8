//! Large schemas go through every step a registry takes — parse, canonical
//! and normalized text, compatibility with itself both ways — and come out
//! right. Each step used to compare every element with every other one
//! somewhere (enum symbols, record fields, object keys, enum values), which
//! made a schema of a megabyte take seconds to minutes; they are linear now.
//! No timings are asserted: a quadratic step shows as a test that runs for
//! minutes.

use accord_schema::{CheckOptions, Direction, Incompatibility, ParsedSchema, SchemaType};

fn parse(schema_type: SchemaType, text: &str) -> ParsedSchema {
    ParsedSchema::parse(schema_type, text, &[]).expect("the schema parses")
}

fn check(new: &ParsedSchema, old: &ParsedSchema, direction: Direction) -> Vec<Incompatibility> {
    ParsedSchema::incompatibilities(new, old, direction, &CheckOptions::default())
}

/// Parses `text` and checks the steps every format shares: the canonical
/// and normalized texts read back to themselves, and the schema is
/// compatible with itself both ways.
fn every_step(schema_type: SchemaType, text: &str) -> ParsedSchema {
    let schema = parse(schema_type, text);
    let canonical = schema.canonical();
    let normalized = schema.normalized();
    assert_eq!(parse(schema_type, &canonical).canonical(), canonical);
    assert_eq!(parse(schema_type, &normalized).normalized(), normalized);
    for direction in [Direction::Backward, Direction::Forward] {
        assert_eq!(check(&schema, &schema, direction), []);
    }
    schema
}

fn avro_enum(symbols: impl Iterator<Item = String>) -> String {
    let symbols: Vec<String> = symbols.map(|symbol| format!("\"{symbol}\"")).collect();
    format!(
        "{{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[{}]}}",
        symbols.join(",")
    )
}

#[test]
fn an_avro_enum_of_120_000_symbols() {
    let text = avro_enum((0..120_000).map(|i| format!("S{i}")));
    let schema = every_step(SchemaType::Avro, &text);
    assert_eq!(schema.canonical(), text);
    assert_eq!(schema.normalized(), text);

    // A reader without one symbol cannot read it; without the symbol twice
    // over, the duplicate is found.
    let fewer = parse(
        SchemaType::Avro,
        &avro_enum(
            (0..120_000)
                .filter(|i| *i != 7_777)
                .map(|i| format!("S{i}")),
        ),
    );
    let problems = check(&fewer, &schema, Direction::Backward);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].rule, "MISSING_ENUM_SYMBOLS");
    assert!(problems[0].detail.contains("[S7777]"), "{problems:?}");
    assert_eq!(check(&fewer, &schema, Direction::Forward), []);
    let repeated = avro_enum((0..120_000).map(|i| format!("S{}", i.min(119_998))));
    let error = ParsedSchema::parse(SchemaType::Avro, &repeated, &[]).unwrap_err();
    assert_eq!(error.to_string(), "Duplicate enum symbol: S119998");
}

fn avro_record(fields: impl Iterator<Item = String>) -> String {
    let fields: Vec<String> = fields.collect();
    format!(
        "{{\"type\":\"record\",\"name\":\"R\",\"fields\":[{}]}}",
        fields.join(",")
    )
}

fn avro_field(i: usize) -> String {
    format!("{{\"name\":\"f{i}\",\"type\":\"int\"}}")
}

#[test]
fn an_avro_record_of_20_000_fields() {
    let text = avro_record((0..20_000).map(avro_field));
    let schema = every_step(SchemaType::Avro, &text);
    assert_eq!(schema.canonical(), text);

    // Fields are matched by name and by alias.
    let renamed = avro_record((0..20_000).map(|i| match i {
        19_999 => "{\"name\":\"g\",\"type\":\"int\",\"aliases\":[\"f19999\"]}".to_owned(),
        i => avro_field(i),
    }));
    let renamed = parse(SchemaType::Avro, &renamed);
    assert_eq!(check(&renamed, &schema, Direction::Backward), []);
    let added = avro_record((0..20_001).map(avro_field));
    let added = parse(SchemaType::Avro, &added);
    let problems = check(&added, &schema, Direction::Backward);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].rule, "READER_FIELD_MISSING_DEFAULT_VALUE");
    assert_eq!(problems[0].path, "/fields/20000");
    assert_eq!(check(&added, &schema, Direction::Forward), []);
}

fn proto_message(fields: impl Iterator<Item = String>) -> String {
    let fields: String = fields.collect();
    format!("syntax = \"proto3\";\npackage p;\n\nmessage M {{\n{fields}}}\n")
}

/// Numbers from 20001 up, clear of the range Protobuf reserves (19000 to 19999).
fn proto_field(i: usize) -> String {
    format!("  int32 f{i} = {};\n", i + 20_001)
}

#[test]
fn a_protobuf_message_of_20_000_fields() {
    let text = proto_message((0..20_000).map(proto_field));
    let schema = every_step(SchemaType::Protobuf, &text);
    assert_eq!(schema.canonical(), text);
    let ParsedSchema::Protobuf(proto) = &schema else {
        unreachable!("parsed as Protobuf");
    };
    assert_eq!(
        proto.file().messages().next().unwrap().fields().len(),
        20_000
    );

    let changed = proto_message((0..20_000).map(|i| match i {
        12_345 => "  string f12345 = 32346;\n".to_owned(),
        i => proto_field(i),
    }));
    let changed = parse(SchemaType::Protobuf, &changed);
    for direction in [Direction::Backward, Direction::Forward] {
        let problems = check(&changed, &schema, direction);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].rule, "FIELD_SCALAR_KIND_CHANGED");
        assert_eq!(problems[0].path, "p.M.f12345 (#32346)");
    }
}

fn proto_enum(values: impl Iterator<Item = String>) -> String {
    let values: String = values.collect();
    format!("syntax = \"proto3\";\npackage p;\n\nenum E {{\n{values}}}\n")
}

fn proto_value(i: usize) -> String {
    format!("  V{i} = {i};\n")
}

#[test]
fn a_protobuf_enum_of_50_000_values() {
    let text = proto_enum((0..50_000).map(proto_value));
    let schema = every_step(SchemaType::Protobuf, &text);
    assert_eq!(schema.canonical(), text);
    let ParsedSchema::Protobuf(proto) = &schema else {
        unreachable!("parsed as Protobuf");
    };
    assert_eq!(proto.file().enums().next().unwrap().values().len(), 50_000);

    // Confluent counts every change to an enum as compatible, renamed and
    // removed constants included.
    let changed = proto_enum((0..49_999).map(|i| match i {
        4_321 => "  RENAMED = 4321;\n".to_owned(),
        i => proto_value(i),
    }));
    let changed = parse(SchemaType::Protobuf, &changed);
    for direction in [Direction::Backward, Direction::Forward] {
        assert_eq!(check(&changed, &schema, direction), []);
    }
}

fn json_object(properties: impl Iterator<Item = String>) -> String {
    let properties: Vec<String> = properties.collect();
    format!(
        "{{\"type\":\"object\",\"properties\":{{{}}}}}",
        properties.join(",")
    )
}

fn json_property(i: usize) -> String {
    format!("\"p{i}\":{{\"type\":\"integer\"}}")
}

#[test]
fn a_json_schema_object_of_20_000_properties() {
    let text = json_object((0..20_000).map(json_property));
    let schema = every_step(SchemaType::Json, &text);
    assert_eq!(schema.canonical(), text);
    // Keys sorted at every level: `p10` before `p2`, `properties` before `type`.
    let mut sorted: Vec<usize> = (0..20_000).collect();
    sorted.sort_by_key(|i| format!("p{i}"));
    let sorted: Vec<String> = sorted.into_iter().map(json_property).collect();
    assert_eq!(
        schema.normalized(),
        format!(
            "{{\"properties\":{{{}}},\"type\":\"object\"}}",
            sorted.join(",")
        )
    );

    // A key written twice keeps its first place and its last value.
    let repeated = json_object(
        (0..20_000)
            .map(json_property)
            .chain(["\"p0\":{\"type\":\"string\"}".to_owned()]),
    );
    let repeated = parse(SchemaType::Json, &repeated);
    let expected = json_object((0..20_000).map(|i| match i {
        0 => "\"p0\":{\"type\":\"string\"}".to_owned(),
        i => json_property(i),
    }));
    assert_eq!(repeated.canonical(), expected);
    let problems = check(&repeated, &schema, Direction::Backward);
    assert!(!problems.is_empty());
    assert!(
        problems.iter().all(|problem| problem.path.contains("p0")),
        "{problems:?}"
    );
}
