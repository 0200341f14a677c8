//! Avro: parsing, canonical text, normalization and compatibility, following
//! Apache Avro Java and Confluent's Avro provider, whose outputs (stored text,
//! error messages, compatibility messages) clients compare against.

pub(crate) mod canonical;
pub mod compat;
mod parse;
pub(crate) mod schema;

pub use schema::{AvroSchema, ParseOptions};
