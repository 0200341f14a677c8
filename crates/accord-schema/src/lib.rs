//! Accord's pure schema layer: parsing, canonical forms, identity hashes,
//! compatibility rules and semantic diffs. Nothing here performs I/O: callers
//! hand in schema text together with the text of every schema it references,
//! already resolved.

pub mod avro;
mod compat;
mod diff;
mod error;
mod fingerprint;
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
