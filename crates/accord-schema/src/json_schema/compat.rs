//! JSON Schema compatibility per Confluent's `SchemaDiff`.

use super::JsonSchema;
use crate::{CompatibilityPolicy, Direction, Incompatibility};

/// Every difference type of Confluent's JSON Schema `SchemaDiff`, compatible or not.
pub const DIFFERENCE_TYPES: &[&str] = &[];

/// Every incompatibility between `new` and `old` in `direction` under `policy`.
pub fn incompatibilities(
    _new: &JsonSchema,
    _old: &JsonSchema,
    _direction: Direction,
    _policy: CompatibilityPolicy,
) -> Vec<Incompatibility> {
    Vec::new()
}
