//! Protobuf compatibility per Confluent's `SchemaDiff`.

use super::ProtobufSchema;
use crate::{Direction, Incompatibility};

/// Every incompatibility between `new` and `old` in `direction`.
pub fn incompatibilities(
    _new: &ProtobufSchema,
    _old: &ProtobufSchema,
    _direction: Direction,
) -> Vec<Incompatibility> {
    Vec::new()
}
