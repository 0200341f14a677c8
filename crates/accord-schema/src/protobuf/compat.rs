//! Protobuf compatibility per Confluent's `SchemaDiff`.

use super::ProtobufSchema;
use crate::{Direction, Incompatibility};

/// Every difference type of Confluent's Protobuf `SchemaDiff`, compatible or not.
pub const DIFFERENCE_TYPES: &[&str] = &[];

/// Every incompatibility between `new` and `old` in `direction`.
pub fn incompatibilities(
    _new: &ProtobufSchema,
    _old: &ProtobufSchema,
    _direction: Direction,
) -> Vec<Incompatibility> {
    Vec::new()
}
