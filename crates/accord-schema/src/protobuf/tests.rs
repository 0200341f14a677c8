//! Unit tests of the Protobuf schema engine: what the table-driven
//! conformance tests do not show.

use prost_reflect::Kind;

use super::*;

fn parse_ok(text: &str) -> ProtobufSchema {
    ProtobufSchema::parse(text, &[]).unwrap_or_else(|error| panic!("{error}\n{text}"))
}

fn parse_with(text: &str, references: &[(&str, &str)]) -> Result<ProtobufSchema, String> {
    let references: Vec<ResolvedReference<'_>> = references
        .iter()
        .map(|(name, schema)| ResolvedReference { name, schema })
        .collect();
    ProtobufSchema::parse(text, &references).map_err(|error| error.to_string())
}

fn field_kinds(schema: &ProtobufSchema, message: &str) -> Vec<(String, u32, String)> {
    schema
        .file()
        .messages()
        .find(|m| m.full_name() == message)
        .unwrap_or_else(|| panic!("no message {message}"))
        .fields()
        .map(|field| {
            let kind = match field.kind() {
                Kind::Message(m) => m.full_name().to_owned(),
                Kind::Enum(e) => e.full_name().to_owned(),
                other => format!("{other:?}").to_lowercase(),
            };
            (field.name().to_owned(), field.number(), kind)
        })
        .collect()
}

#[test]
fn a_base64_descriptor_is_read_as_proto_text() {
    // What Confluent answered for `format=serialized` of
    // `syntax = "proto3"; message M { string a = 1; }` (reg-proto-valid).
    let serialized = "CgdkZWZhdWx0IgwKAU0SBwoBYRgBKAliBnByb3RvMw==";
    let schema = parse_ok(serialized);
    assert_eq!(
        schema.canonical(),
        "syntax = \"proto3\";\n\nmessage M {\n  string a = 1;\n}\n"
    );
    assert_eq!(schema.serialized(), serialized);
    // Unpadded, as Java's decoder also accepts it.
    assert_eq!(
        parse_ok(serialized.trim_end_matches('=')).canonical(),
        schema.canonical()
    );
}

#[test]
fn a_descriptor_from_a_serializer_keeps_its_map_entries_and_qualified_names() {
    let descriptor = FileDescriptorProto {
        name: Some("orders.proto".into()),
        package: Some("acme".into()),
        dependency: vec!["google/protobuf/timestamp.proto".into()],
        message_type: vec![prost_reflect::prost_types::DescriptorProto {
            name: Some("Order".into()),
            field: vec![
                scalar_field("id", 1, 9, None),
                message_field("at", 2, ".google.protobuf.Timestamp", 1, None),
                message_field("tags", 3, ".acme.Order.TagsEntry", 3, None),
                scalar_field("note", 4, 9, Some(0)),
            ],
            nested_type: vec![prost_reflect::prost_types::DescriptorProto {
                name: Some("TagsEntry".into()),
                field: vec![
                    scalar_field("key", 1, 9, None),
                    scalar_field("value", 2, 9, None),
                ],
                options: Some(prost_reflect::prost_types::MessageOptions {
                    map_entry: Some(true),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            oneof_decl: vec![prost_reflect::prost_types::OneofDescriptorProto {
                name: Some("_note".into()),
                options: None,
            }],
            ..Default::default()
        }],
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    let mut descriptor = descriptor;
    descriptor.message_type[0].field[3].proto3_optional = Some(true);
    let text = base64::engine::general_purpose::STANDARD.encode(descriptor.encode_to_vec());
    let schema = parse_ok(&text);
    assert_eq!(
        schema.canonical(),
        "syntax = \"proto3\";\npackage acme;\n\nimport \"google/protobuf/timestamp.proto\";\n\n\
         message Order {\n  string id = 1;\n  .google.protobuf.Timestamp at = 2;\n  \
         repeated .acme.Order.TagsEntry tags = 3;\n  optional string note = 4;\n\n  \
         message TagsEntry {\n    option map_entry = true;\n  \n    string key = 1;\n    \
         string value = 2;\n  }\n}\n"
    );
    assert!(schema
        .normalized()
        .contains("  map<string, string> tags = 3;\n"));
    assert!(field_kinds(&schema, "acme.Order").contains(&(
        "at".to_owned(),
        2,
        "google.protobuf.Timestamp".to_owned()
    )));
}

fn scalar_field(
    name: &str,
    number: i32,
    kind: i32,
    oneof: Option<i32>,
) -> prost_reflect::prost_types::FieldDescriptorProto {
    prost_reflect::prost_types::FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(1),
        r#type: Some(kind),
        oneof_index: oneof,
        ..Default::default()
    }
}

fn message_field(
    name: &str,
    number: i32,
    type_name: &str,
    label: i32,
    oneof: Option<i32>,
) -> prost_reflect::prost_types::FieldDescriptorProto {
    prost_reflect::prost_types::FieldDescriptorProto {
        name: Some(name.into()),
        number: Some(number),
        label: Some(label),
        r#type: Some(11),
        type_name: Some(type_name.into()),
        oneof_index: oneof,
        ..Default::default()
    }
}

#[test]
fn a_descriptor_whose_text_would_not_read_back_is_refused() {
    let descriptor = FileDescriptorProto {
        name: Some("x.proto".into()),
        message_type: vec![prost_reflect::prost_types::DescriptorProto {
            name: Some("not a name".into()),
            ..Default::default()
        }],
        syntax: Some("proto3".into()),
        ..Default::default()
    };
    let text = base64::engine::general_purpose::STANDARD.encode(descriptor.encode_to_vec());
    let error = parse_with(&text, &[]).unwrap_err();
    assert!(
        error.starts_with(
            "Could not parse Protobuf - the descriptor does not make valid .proto text: "
        ),
        "{error}"
    );
}

#[test]
fn text_that_is_neither_proto_nor_a_descriptor_gets_the_proto_error() {
    assert_eq!(
        parse_with("bWVzc2FnZQ==", &[]).unwrap_err(),
        "Could not parse Protobuf - Syntax error in :1:1: unexpected label: bWVzc2FnZQ"
    );
}

#[test]
fn message_indexes_count_messages_only_at_each_level() {
    let schema = parse_ok(
        "syntax = \"proto3\";\npackage acme;\n\
         enum Status { S0 = 0; }\n\
         message A {\n  enum K { K0 = 0; }\n  message B { message C {} }\n  message D {}\n}\n\
         message E {}\n",
    );
    assert_eq!(
        schema.message_names(),
        vec!["acme.A", "acme.A.B", "acme.A.B.C", "acme.A.D", "acme.E"]
    );
    assert_eq!(schema.message_indexes("acme.A"), Some(vec![0]));
    assert_eq!(schema.message_indexes("acme.E"), Some(vec![1]));
    assert_eq!(schema.message_indexes("acme.A.B.C"), Some(vec![0, 0, 0]));
    assert_eq!(schema.message_indexes("acme.A.D"), Some(vec![0, 1]));
    assert_eq!(schema.message_indexes("A.D"), Some(vec![0, 1]));
    assert_eq!(schema.message_indexes(".acme.E"), Some(vec![1]));
    assert_eq!(schema.message_indexes("acme.Status"), None);
    assert_eq!(schema.message_indexes("acme.Nope"), None);
    assert_eq!(schema.message_name(&[0, 1]).as_deref(), Some("acme.A.D"));
    assert_eq!(schema.message_name(&[1]).as_deref(), Some("acme.E"));
    assert_eq!(schema.message_name(&[]).as_deref(), Some("acme.A"));
    assert_eq!(schema.message_name(&[2]), None);
    assert_eq!(schema.message_name(&[-1]), None);
}

#[test]
fn the_name_is_the_first_message_else_the_first_enum() {
    let schema = parse_ok("syntax = \"proto3\";\npackage p;\nenum E { E0 = 0; }\nmessage M {}\n");
    assert_eq!(schema.name().as_deref(), Some("p.M"));
    let schema = parse_ok("syntax = \"proto3\";\nenum E { E0 = 0; }\n");
    assert_eq!(schema.name().as_deref(), Some("E"));
}

#[test]
fn a_field_declaration_prints_as_in_the_canonical_text() {
    let schema = parse_ok(
        "syntax = \"proto3\";\nmessage M {\n  int32 qty = 2;\n  repeated string tags = 3 [packed = false, json_name = \"t\"];\n}\n",
    );
    let TypeElement::Message(message) = &schema.parsed().types[0] else {
        panic!("a message")
    };
    assert_eq!(field_declaration(&message.fields[0]), "int32 qty = 2;");
    assert_eq!(
        field_declaration(&message.fields[1]),
        "repeated string tags = 3 [\n  packed = false,\n  json_name = \"t\"\n];"
    );
}

#[test]
fn message_indexes_without_a_package() {
    let schema = parse_ok("syntax = \"proto3\";\nmessage A {}\nmessage B { message C {} }\n");
    assert_eq!(schema.message_indexes("B.C"), Some(vec![1, 0]));
    assert_eq!(schema.message_name(&[1, 0]).as_deref(), Some("B.C"));
}

#[test]
fn an_unresolved_type_is_named_with_its_position() {
    let error = parse_with(
        "syntax = \"proto3\";\npackage p;\nmessage A {\n  message B {\n    Missing m = 1;\n  }\n}\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "Could not resolve type: Missing (field `A.B.m` at line 5, column 5)"
    );
}

#[test]
fn an_import_no_reference_provides_is_fine_until_a_type_from_it_is_used() {
    let unused = parse_with(
        "syntax = \"proto3\";\nimport \"missing.proto\";\nmessage M { string a = 1; }\n",
        &[],
    )
    .expect("an unused missing import is accepted");
    assert!(unused.canonical().contains("import \"missing.proto\";"));
    // The serialized descriptor only lists the imports something provides.
    assert_eq!(
        unused.serialized(),
        "CgdkZWZhdWx0IgwKAU0SBwoBYRgBKAliBnByb3RvMw=="
    );
    let error = parse_with(
        "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage H {\n  dep.D d = 1;\n}\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "Could not resolve type: dep.D (field `H.d` at line 4, column 3; \
         no reference provides the import \"dep.proto\" (line 2))"
    );
}

#[test]
fn a_reference_resolves_whatever_its_name() {
    let dep = "syntax = \"proto3\";\npackage dep;\nmessage D {\n  int32 v = 1;\n}\n";
    let text = "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage H {\n  dep.D d = 1;\n}\n";
    for name in ["dep.proto", "other.proto"] {
        let schema = parse_with(text, &[(name, dep)]).expect("resolves");
        assert_eq!(
            field_kinds(&schema, "H"),
            vec![("d".to_owned(), 1, "dep.D".to_owned())]
        );
    }
}

#[test]
fn references_may_use_each_other() {
    let a = "syntax = \"proto3\";\npackage a;\nmessage A { int32 v = 1; }\n";
    let b = "syntax = \"proto3\";\npackage b;\nimport \"a.proto\";\nmessage B { a.A a = 1; }\n";
    let schema = parse_with(
        "syntax = \"proto3\";\nimport \"b.proto\";\nmessage M { b.B b = 1; }\n",
        &[("a.proto", a), ("b.proto", b)],
    )
    .expect("resolves");
    assert_eq!(
        field_kinds(&schema, "M"),
        vec![("b".to_owned(), 1, "b.B".to_owned())]
    );
}

#[test]
fn an_import_cycle_is_reported() {
    let a = "syntax = \"proto3\";\npackage a;\nimport \"b.proto\";\nmessage A { b.B b = 1; }\n";
    let b = "syntax = \"proto3\";\npackage b;\nimport \"a.proto\";\nmessage B { a.A a = 1; }\n";
    let error = parse_with(
        "syntax = \"proto3\";\nimport \"a.proto\";\nmessage M { a.A a = 1; }\n",
        &[("a.proto", a), ("b.proto", b)],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "Import cycle among the referenced files: a.proto -> b.proto -> a.proto"
    );
    let itself = "syntax = \"proto3\";\npackage a;\nimport \"a.proto\";\nmessage A {}\n";
    let error = parse_with(
        "syntax = \"proto3\";\nimport \"a.proto\";\nmessage M { a.A a = 1; }\n",
        &[("a.proto", itself)],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "Import cycle among the referenced files: a.proto -> a.proto"
    );
}

#[test]
fn what_confluent_accepts_and_protoc_refuses_still_gets_a_descriptor() {
    // Field number 0 and a number used twice: the descriptor keeps the first
    // valid field.
    let schema =
        parse_ok("syntax = \"proto3\";\nmessage M { string z = 0; string a = 1; string b = 1; }\n");
    assert_eq!(
        field_kinds(&schema, "M"),
        vec![("a".to_owned(), 1, "string".to_owned())]
    );
    // Two enums in one scope with the same constant.
    let schema = parse_ok(
        "syntax = \"proto3\";\nenum E { UNKNOWN = 0; }\nenum F { UNKNOWN = 0; }\nmessage M { E e = 1; F f = 2; }\n",
    );
    assert_eq!(schema.file().enums().count(), 2);
    // A proto3 enum that does not start with 0, clashing JSON names.
    let schema = parse_ok(
        "syntax = \"proto3\";\nenum E { ONE = 1; }\nmessage M { E e = 1; string foo_bar = 2; string fooBar = 3; }\n",
    );
    assert_eq!(field_kinds(&schema, "M").len(), 3);
    // Options nobody declared, a field inside a reserved range.
    let schema = parse_ok(
        "syntax = \"proto3\";\noption (x.y) = 1;\nmessage M { reserved 1 to 5; string a = 2 [(z) = true]; }\n",
    );
    assert_eq!(field_kinds(&schema, "M").len(), 1);
}

#[test]
fn an_enum_without_constants_is_refused() {
    assert_eq!(
        parse_with(
            "syntax = \"proto3\";\npackage p;\nmessage M { enum E {} }\n",
            &[]
        )
        .unwrap_err(),
        "Enum p.M.E has no constants; a Protobuf enum needs at least one"
    );
}

#[test]
fn empty_text_is_an_empty_schema() {
    for text in ["", "  \n", "// just a comment\n"] {
        assert_eq!(parse_with(text, &[]).unwrap_err(), "Empty schema");
    }
}

#[test]
fn the_well_known_and_common_types_need_no_reference() {
    let schema = parse_ok(
        "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n\
         message M {\n  google.protobuf.Timestamp at = 1;\n  google.type.Money price = 2;\n  \
         confluent.type.Decimal amount = 3;\n}\n",
    );
    assert_eq!(
        field_kinds(&schema, "M"),
        vec![
            ("at".to_owned(), 1, "google.protobuf.Timestamp".to_owned()),
            ("price".to_owned(), 2, "google.type.Money".to_owned()),
            ("amount".to_owned(), 3, "confluent.type.Decimal".to_owned()),
        ]
    );
}

#[test]
fn the_descriptor_keeps_maps_oneofs_and_optional_fields() {
    let schema = parse_ok(
        "syntax = \"proto3\";\npackage p;\nmessage M {\n  map<string, M> children = 1;\n  \
         oneof k { string s = 2; int64 n = 3; }\n  optional int32 o = 4;\n}\n",
    );
    let message = schema
        .file()
        .parent_pool()
        .get_message_by_name("p.M")
        .expect("message p.M");
    let children = message.get_field_by_name("children").expect("children");
    assert!(children.is_map());
    assert_eq!(
        message
            .oneofs()
            .map(|o| o.name().to_owned())
            .collect::<Vec<_>>(),
        vec!["k", "_o"]
    );
    assert!(message
        .get_field_by_name("o")
        .expect("o")
        .supports_presence());
}

#[test]
fn ninety_nine_nested_messages_parse_and_print() {
    let text = format!(
        "syntax = \"proto3\";\n{}M m = 1;{}",
        "message M { ".repeat(99),
        " }".repeat(99)
    );
    let schema = parse_ok(&text);
    assert_eq!(schema.message_names().len(), 99);
    assert!(schema
        .normalized()
        .contains(&format!(" .M{} m = 1;", ".M".repeat(98))));
}

#[test]
fn a_reference_that_does_not_parse_is_named() {
    let error = parse_with(
        "syntax = \"proto3\";\nmessage M { string a = 1; }\n",
        &[("bad.proto", "message {")],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "Could not parse Protobuf reference \"bad.proto\" - Syntax error in :1:9: expected a word"
    );
}

#[test]
fn a_schema_can_cross_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ProtobufSchema>();
}

/// The names of the files in a schema's descriptor pool, sorted.
fn pool_files(schema: &ProtobufSchema) -> Vec<String> {
    let mut names: Vec<String> = schema
        .file()
        .parent_pool()
        .files()
        .map(|file| file.name().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_schema_that_uses_no_built_in_type_owns_a_pool_of_its_own_file() {
    // Each schema owns its pool: one holding every built-in file made 2,000
    // small schemas take 1.5 GB.
    for i in 0..2_000 {
        let schema = parse_ok(&format!(
            "syntax = \"proto3\";\npackage shop.v{i};\n\
             message Customer{i} {{\n  string id = 1;\n  int64 created_at = 2;\n}}\n"
        ));
        assert_eq!(pool_files(&schema), [MAIN_FILE]);
        assert_eq!(schema.name(), Some(format!("shop.v{i}.Customer{i}")));
    }
}

#[test]
fn a_pool_holds_the_built_in_files_a_schema_uses_and_what_they_import() {
    let schema = parse_ok(
        "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n\
         import \"google/protobuf/duration.proto\";\n\
         message M {\n  google.protobuf.Timestamp at = 1;\n}\n",
    );
    // An import nothing uses adds nothing.
    assert_eq!(
        pool_files(&schema),
        [MAIN_FILE, "google/protobuf/timestamp.proto"]
    );

    // Confluent resolves a built-in type whether or not it is imported; the
    // file defining it joins the pool, with the files it imports.
    let schema = parse_ok(
        "syntax = \"proto3\";\npackage p;\n\
         message M {\n  google.type.Money price = 1;\n  google.type.Color color = 2;\n}\n",
    );
    assert_eq!(
        pool_files(&schema),
        [
            MAIN_FILE,
            "google/protobuf/wrappers.proto",
            "google/type/color.proto",
            "google/type/money.proto",
        ]
    );
    assert_eq!(
        field_kinds(&schema, "p.M"),
        vec![
            ("price".to_owned(), 1, "google.type.Money".to_owned()),
            ("color".to_owned(), 2, "google.type.Color".to_owned()),
        ]
    );

    // A reference's built-in types count too.
    let schema = parse_with(
        "syntax = \"proto3\";\nimport \"dep.proto\";\nmessage M {\n  d.D d = 1;\n}\n",
        &[(
            "dep.proto",
            "syntax = \"proto3\";\npackage d;\nmessage D {\n  google.protobuf.Duration after = 1;\n}\n",
        )],
    )
    .unwrap();
    assert_eq!(
        pool_files(&schema),
        [MAIN_FILE, "dep.proto", "google/protobuf/duration.proto"]
    );
}

#[test]
fn a_schema_using_any_keeps_every_built_in_file_it_does_not_clash_with() {
    let every_file = builtin::builtins().files.len() + 1;
    // An `Any` is read and written by looking up the type it holds by name.
    let text = "syntax = \"proto3\";\nimport \"google/protobuf/any.proto\";\n\
                message M {\n  google.protobuf.Any payload = 1;\n}\n";
    let schema = parse_ok(text);
    assert_eq!(pool_files(&schema).len(), every_file);
    // Less the one whose name the schema defines too.
    let text = text.replace("\nimport", "\npackage google.type;\nimport")
        + "message Date { int32 year = 1; }\n";
    let schema = parse_ok(&text);
    let files = pool_files(&schema);
    assert_eq!(files.len(), every_file - 1);
    assert!(!files.iter().any(|file| file == "google/type/date.proto"));
    let pool = schema.file().parent_pool().clone();
    let date = pool.get_message_by_name("google.type.Date").expect("Date");
    assert_eq!(date.parent_file().name(), MAIN_FILE);
    assert!(pool.get_message_by_name("google.type.Money").is_some());
}

#[test]
fn a_name_a_built_in_file_defines_is_free_when_the_file_is_not_used() {
    // Before, any file whose package or top-level name started with a
    // built-in root (`google`, `confluent`) got every built-in file in its
    // pool, and a name one of them defines was refused as defined twice.
    let schema =
        parse_ok("syntax = \"proto3\";\npackage google.type;\nmessage Date { int32 year = 1; }\n");
    assert_eq!(pool_files(&schema), [MAIN_FILE]);
    assert_eq!(
        field_kinds(&schema, "google.type.Date"),
        vec![("year".to_owned(), 1, "int32".to_owned())]
    );
    let schema =
        parse_ok("syntax = \"proto3\";\npackage google.shop;\nmessage M { int32 a = 1; }\n");
    assert_eq!(pool_files(&schema), [MAIN_FILE]);
    // As protoc, a message named like a built-in package is accepted, and
    // refused once a built-in file with that package is used.
    let schema = parse_ok("syntax = \"proto3\";\nmessage google { int32 a = 1; }\n");
    assert_eq!(pool_files(&schema), [MAIN_FILE]);
    let error = parse_with(
        "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n\
         message google { google.protobuf.Timestamp at = 1; }\n",
        &[],
    )
    .unwrap_err();
    assert_eq!(
        error,
        "Could not build a descriptor for this Protobuf schema: \
         name 'google' is already defined in file 'google/protobuf/timestamp.proto'"
    );
}

#[test]
fn a_reference_named_as_a_built_in_file_replaces_it() {
    // What clients registering the well-known files as references send
    // (`skip.known.types=false`): the reference is the file in the pool,
    // even when it differs from the built-in one.
    let timestamp = "syntax = \"proto3\";\npackage google.protobuf;\n\
                     message Timestamp {\n  int64 seconds = 1;\n  int32 nanos = 2;\n  string zone = 3;\n}\n";
    let text = "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n\
                message M {\n  google.protobuf.Timestamp at = 1;\n}\n";
    let schema = parse_with(text, &[("google/protobuf/timestamp.proto", timestamp)])
        .expect("a reference may define a built-in file's names");
    assert_eq!(
        pool_files(&schema),
        [MAIN_FILE, "google/protobuf/timestamp.proto"]
    );
    let fields: Vec<String> = schema
        .file()
        .parent_pool()
        .get_message_by_name("google.protobuf.Timestamp")
        .expect("Timestamp")
        .fields()
        .map(|field| field.name().to_owned())
        .collect();
    assert_eq!(fields, ["seconds", "nanos", "zone"]);
    // The file itself registers with no reference, as a subject of its own.
    let schema = parse_ok(timestamp);
    assert_eq!(pool_files(&schema), [MAIN_FILE]);
}

#[test]
fn relative_names_resolve_through_the_enclosing_packages() {
    // `b.Y` from package `a.b` is `a.b.Y`; `protobuf.Timestamp` from
    // `google.api` is `google.protobuf.Timestamp` (google/protobuf/compiler/
    // plugin.proto writes `protobuf.FileDescriptorProto` this way).
    let schema = parse_ok(
        "syntax = \"proto3\";\npackage a.b;\nmessage Y {}\nmessage M {\n  b.Y y = 1;\n}\n",
    );
    assert!(parse_ok(
        "syntax = \"proto3\";\npackage google.api;\nimport \"google/protobuf/timestamp.proto\";\n\
         message N {\n  protobuf.Timestamp at = 1;\n}\n"
    )
    .normalized()
    .contains(".google.protobuf.Timestamp at = 1;"));
    assert_eq!(
        field_kinds(&schema, "a.b.M"),
        vec![("y".to_owned(), 1, "a.b.Y".to_owned())]
    );
    assert!(
        schema.normalized().contains(".a.b.Y y = 1;"),
        "{}",
        schema.normalized()
    );
    // A qualified name whose first component is found is looked for
    // inside it only: `b` is the package `a.b`, which has no `Z`.
    let error = parse_with(
        "syntax = \"proto3\";\npackage a.b;\nmessage M {\n  b.Z z = 1;\n}\n",
        &[(
            "b.proto",
            "syntax = \"proto3\";\npackage b;\nmessage Z {}\n",
        )],
    )
    .unwrap_err();
    assert!(
        error.starts_with("Could not resolve type: b.Z (field `M.z`"),
        "{error}"
    );
}

/// Found by fuzzing: a leading dot made message names prost-reflect could
/// not look up, and the compatibility check panicked on them.
#[test]
fn a_package_must_be_identifiers_joined_by_dots() {
    for package in [".cme", "a..b", "a."] {
        let text = format!("syntax = \"proto3\";\npackage {package};\nmessage A {{}}\n");
        let error = parse_with(&text, &[]).unwrap_err();
        assert!(
            error.contains("identifiers joined by dots"),
            "{package}: {error}"
        );
    }
    parse_ok("syntax = \"proto3\";\npackage a.b_c.d1;\nmessage A {}\n");
}

/// Found by fuzzing: the normal form of a file with nothing but its
/// `proto2` syntax line was empty, which does not parse back.
#[test]
fn the_normal_form_of_a_bare_proto2_file_parses_back() {
    let schema = parse_ok("syntax = \"proto2\";\n");
    let normalized = schema.normalized();
    assert_eq!(normalized, "syntax = \"proto2\";\n");
    parse_ok(&normalized);
}
