use crate::SchemaType;

/// Why a schema could not be accepted. The message is meant for a person: it
/// names what is wrong and, where the parser knows it, where.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SchemaError {
    #[error("{0}")]
    Invalid(String),
    #[error("Schema type {0} is not supported by this Accord build")]
    UnsupportedType(SchemaType),
}
