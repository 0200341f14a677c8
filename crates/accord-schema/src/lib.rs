//! Accord's pure schema layer: parsing, canonical forms, identity hashes,
//! compatibility rules and semantic diffs. Nothing here performs I/O: callers
//! hand in schema text together with the text of every schema it references,
//! already resolved.

pub mod avro;
mod compat;
mod diff;
mod error;
mod fingerprint;
mod heap;
mod jackson;
pub mod json_schema;
pub mod protobuf;

pub use avro::ParseOptions;
pub use compat::{
    CheckOptions, CompatibilityLevel, CompatibilityPolicy, Direction, Incompatibility,
};
pub use diff::{Change, ChangeKind};
pub use error::SchemaError;
pub use fingerprint::{guid_from_hex, hash_hex, identity_hash, IdentityInput};

use std::fmt;

/// The schema formats a registry understands. Names are Confluent's, exact
/// upper case on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaType {
    Avro,
    Protobuf,
    Json,
}

impl SchemaType {
    /// Parses Confluent's `schemaType` spelling (case-sensitive, as Confluent is).
    pub fn from_wire(name: &str) -> Option<SchemaType> {
        match name {
            "AVRO" => Some(SchemaType::Avro),
            "PROTOBUF" => Some(SchemaType::Protobuf),
            "JSON" => Some(SchemaType::Json),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SchemaType::Avro => "AVRO",
            SchemaType::Protobuf => "PROTOBUF",
            SchemaType::Json => "JSON",
        }
    }

    /// Formats this build can parse and check, in Confluent's listing order.
    pub fn supported() -> &'static [SchemaType] {
        &[SchemaType::Json, SchemaType::Protobuf, SchemaType::Avro]
    }
}

impl fmt::Display for SchemaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A schema that the schema being parsed refers to, fetched by the caller.
/// `name` is the reference name (for Avro the full name of a named type it
/// defines); `schema` is its stored text.
#[derive(Clone, Copy, Debug)]
pub struct ResolvedReference<'a> {
    pub name: &'a str,
    pub schema: &'a str,
}

/// A parsed, validated schema of any supported format.
#[derive(Clone, Debug)]
pub enum ParsedSchema {
    Avro(avro::AvroSchema),
    Protobuf(protobuf::ProtobufSchema),
    Json(json_schema::JsonSchema),
}

impl ParsedSchema {
    /// Parses `text` as `schema_type`. `references` must list every schema the
    /// text depends on, transitively, dependencies before their dependents.
    pub fn parse(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference<'_>],
    ) -> Result<ParsedSchema, SchemaError> {
        ParsedSchema::parse_with(schema_type, text, references, ParseOptions::default())
    }

    /// Like `parse`, with control over optional validation.
    pub fn parse_with(
        schema_type: SchemaType,
        text: &str,
        references: &[ResolvedReference<'_>],
        options: ParseOptions,
    ) -> Result<ParsedSchema, SchemaError> {
        match schema_type {
            SchemaType::Avro => {
                avro::AvroSchema::parse_with(text, references, options).map(ParsedSchema::Avro)
            }
            SchemaType::Protobuf => {
                protobuf::ProtobufSchema::parse(text, references).map(ParsedSchema::Protobuf)
            }
            SchemaType::Json => {
                json_schema::JsonSchema::parse(text, references).map(ParsedSchema::Json)
            }
        }
    }

    pub fn schema_type(&self) -> SchemaType {
        match self {
            ParsedSchema::Avro(_) => SchemaType::Avro,
            ParsedSchema::Protobuf(_) => SchemaType::Protobuf,
            ParsedSchema::Json(_) => SchemaType::Json,
        }
    }

    /// The text a registry stores and returns for this schema.
    pub fn canonical(&self) -> String {
        match self {
            ParsedSchema::Avro(schema) => schema.canonical(),
            ParsedSchema::Protobuf(schema) => schema.canonical(),
            ParsedSchema::Json(schema) => schema.canonical(),
        }
    }

    /// An estimate of the heap memory the parsed schema holds, for caches
    /// bounded in bytes: it grows with the schema (and its references), and
    /// a Protobuf schema's includes the descriptor pool it owns. It leaves
    /// out the allocator's overhead; see each format's method for how it is
    /// counted.
    pub fn estimated_heap_bytes(&self) -> usize {
        match self {
            ParsedSchema::Avro(schema) => schema.estimated_heap_bytes(),
            ParsedSchema::Protobuf(schema) => schema.estimated_heap_bytes(),
            ParsedSchema::Json(schema) => schema.estimated_heap_bytes(),
        }
    }

    /// The normalized text (`normalize=true`): equal for schemas that differ only
    /// in attribute order and other presentation details.
    pub fn normalized(&self) -> String {
        match self {
            ParsedSchema::Avro(schema) => schema.normalized(),
            ParsedSchema::Protobuf(schema) => schema.normalized(),
            ParsedSchema::Json(schema) => schema.normalized(),
        }
    }

    /// Every incompatibility found when data written with one schema is read
    /// with the other; `direction` says which of `new` and `old` is the reader.
    /// An empty list means compatible. Schemas of different formats are never
    /// compatible.
    pub fn incompatibilities(
        new: &ParsedSchema,
        old: &ParsedSchema,
        direction: Direction,
        options: &CheckOptions,
    ) -> Vec<Incompatibility> {
        match (new, old) {
            (ParsedSchema::Avro(new), ParsedSchema::Avro(old)) => {
                avro::compat::incompatibilities(new, old, direction)
            }
            (ParsedSchema::Protobuf(new), ParsedSchema::Protobuf(old)) => {
                protobuf::compat::incompatibilities(new, old, direction)
            }
            (ParsedSchema::Json(new), ParsedSchema::Json(old)) => {
                json_schema::compat::incompatibilities(new, old, direction, options.policy)
            }
            _ => vec![Incompatibility::different_schema_type(
                new.schema_type(),
                old.schema_type(),
                direction,
            )],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weight(schema_type: SchemaType, text: &str, references: &[ResolvedReference<'_>]) -> usize {
        ParsedSchema::parse(schema_type, text, references)
            .unwrap_or_else(|error| panic!("{error}\n{text}"))
            .estimated_heap_bytes()
    }

    /// Weights of the same schema with 1, 10, 100 and 1,000 elements.
    fn weights(schema_type: SchemaType, text: impl Fn(usize) -> String) -> Vec<usize> {
        [1, 10, 100, 1_000]
            .into_iter()
            .map(|n| weight(schema_type, &text(n), &[]))
            .collect()
    }

    /// Each weight is more than the one before, and at least `factor` times
    /// it when the schema grew tenfold.
    fn grows(weights: &[usize], factor: usize) {
        assert!(weights[0] > 0, "{weights:?}");
        for pair in weights.windows(2) {
            assert!(pair[1] >= pair[0] * factor, "{weights:?}");
        }
    }

    #[test]
    fn avro_weights_grow_with_the_schema_and_its_references() {
        grows(
            &weights(SchemaType::Avro, |n| {
                let fields: Vec<String> = (0..n)
                    .map(|i| {
                        format!(
                            "{{\"name\":\"f{i}\",\"type\":[\"null\",\"string\"],\"default\":null}}"
                        )
                    })
                    .collect();
                format!(
                    "{{\"type\":\"record\",\"name\":\"R\",\"fields\":[{}]}}",
                    fields.join(",")
                )
            }),
            5,
        );
        grows(
            &weights(SchemaType::Avro, |n| {
                let symbols: Vec<String> = (0..n).map(|i| format!("\"S{i}\"")).collect();
                format!(
                    "{{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[{}]}}",
                    symbols.join(",")
                )
            }),
            1,
        );
        let text =
            "{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"a\",\"type\":\"A\"}]}";
        let reference = "{\"type\":\"record\",\"name\":\"A\",\"doc\":\"An address\",\"fields\":[{\"name\":\"street\",\"type\":\"string\"},{\"name\":\"city\",\"type\":\"string\"}]}";
        let references = [ResolvedReference {
            name: "A",
            schema: reference,
        }];
        assert!(
            weight(SchemaType::Avro, text, &references) > weight(SchemaType::Avro, reference, &[])
        );
    }

    #[test]
    fn protobuf_weights_grow_with_the_schema_and_the_pool_it_owns() {
        grows(
            &weights(SchemaType::Protobuf, |n| {
                let fields: String = (0..n)
                    .map(|i| format!("  string f{i} = {};\n", i + 1))
                    .collect();
                format!("syntax = \"proto3\";\npackage p;\nmessage M {{\n{fields}}}\n")
            }),
            2,
        );
        let small = weight(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\nmessage M { string a = 1; }\n",
            &[],
        );
        assert!(small < 20_000, "{small}");
        // One built-in file more, for the type the schema uses.
        let timestamp = weight(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\nimport \"google/protobuf/timestamp.proto\";\n\
             message M { string a = 1; google.protobuf.Timestamp at = 2; }\n",
            &[],
        );
        assert!(timestamp > small + 2_000, "{timestamp} {small}");
        // Every built-in file, for a schema using `Any`.
        let any = weight(
            SchemaType::Protobuf,
            "syntax = \"proto3\";\nimport \"google/protobuf/any.proto\";\n\
             message M { google.protobuf.Any payload = 1; }\n",
            &[],
        );
        assert!(any > 300_000, "{any}");
    }

    #[test]
    fn json_schema_weights_grow_with_the_schema() {
        grows(
            &weights(SchemaType::Json, |n| {
                let properties: Vec<String> = (0..n)
                    .map(|i| format!("\"p{i}\":{{\"type\":\"string\",\"maxLength\":{i}}}"))
                    .collect();
                format!(
                    "{{\"type\":\"object\",\"properties\":{{{}}}}}",
                    properties.join(",")
                )
            }),
            3,
        );
        let plain = weight(SchemaType::Json, "{\"type\":\"object\"}", &[]);
        let patterned = weight(
            SchemaType::Json,
            "{\"type\":\"object\",\"patternProperties\":{\"^x-\":{}}}",
            &[],
        );
        assert!(patterned > plain + 5_000, "{patterned} {plain}");
    }
}
