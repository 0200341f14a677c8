//! Protobuf compatibility per Confluent's `SchemaDiff` (Schema Registry 7.9).
//!
//! Confluent diffs `original` against `update` and reports every difference
//! whose type is not in its list of compatible changes. For BACKWARD it runs
//! `compare(old, new)`, for FORWARD `compare(new, old)`: the update is always
//! the reader. Its descriptions name the update's schema first, so the same
//! template reads "in the new schema … in the old schema" for BACKWARD and the
//! other way round for FORWARD.

mod diff;
pub(crate) mod explain;
mod java_order;

pub(crate) use diff::{local_name, real_oneof, written_label, Label};
pub(crate) use explain::{field_declaration, message_declaration, oneof_declaration};

use super::ProtobufSchema;
use crate::{Direction, Incompatibility};

/// Every difference type of Confluent's Protobuf `SchemaDiff`, compatible or not.
/// `ONEOF_FIELD_MOVED_TO_TOP_LEVEL` is Confluent 8's name for a move that 7.9
/// counts as a compatible `FIELD_ADDED`.
pub const DIFFERENCE_TYPES: &[&str] = &[
    "PACKAGE_CHANGED",
    "MESSAGE_ADDED",
    "MESSAGE_REMOVED",
    "MESSAGE_MOVED",
    "ENUM_ADDED",
    "ENUM_REMOVED",
    "ENUM_CONST_ADDED",
    "ENUM_CONST_CHANGED",
    "ENUM_CONST_REMOVED",
    "FIELD_ADDED",
    "FIELD_REMOVED",
    "FIELD_NAME_CHANGED",
    "FIELD_KIND_CHANGED",
    "FIELD_SCALAR_KIND_CHANGED",
    "FIELD_NAMED_TYPE_CHANGED",
    "FIELD_NUMERIC_LABEL_CHANGED",
    "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
    "REQUIRED_FIELD_ADDED",
    "REQUIRED_FIELD_REMOVED",
    "ONEOF_ADDED",
    "ONEOF_REMOVED",
    "ONEOF_FIELD_ADDED",
    "ONEOF_FIELD_REMOVED",
    "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    "FIELD_MOVED_TO_EXISTING_ONEOF",
];

/// Every incompatibility between `new` and `old` in `direction`, in
/// Confluent's order; empty when compatible.
pub fn incompatibilities(
    new: &ProtobufSchema,
    old: &ProtobufSchema,
    direction: Direction,
) -> Vec<Incompatibility> {
    located_incompatibilities(new, old, direction)
        .into_iter()
        .map(|(_, incompatibility)| incompatibility)
        .collect()
}

/// [`incompatibilities`], each with Confluent's path of the difference it
/// explains (`#/Message/oneof/3`): `Incompatibility::path` names the field
/// instead (`pkg.Message.field (#3)`), and a schema diff places changes by
/// Confluent's path.
pub(crate) fn located_incompatibilities(
    new: &ProtobufSchema,
    old: &ProtobufSchema,
    direction: Direction,
) -> Vec<(String, Incompatibility)> {
    let (original, update) = match direction {
        Direction::Backward => (old, new),
        Direction::Forward => (new, old),
    };
    diff::compare(&original.file(), &update.file())
        .iter()
        .filter(|difference| !difference.kind.is_compatible())
        .map(|difference| {
            (
                difference.confluent_path.clone(),
                explain::explain(difference, direction),
            )
        })
        .collect()
}

/// Confluent's `Difference.Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DifferenceType {
    PackageChanged,
    MessageAdded,
    MessageRemoved,
    MessageMoved,
    EnumAdded,
    EnumRemoved,
    EnumConstAdded,
    EnumConstChanged,
    EnumConstRemoved,
    FieldAdded,
    FieldRemoved,
    FieldNameChanged,
    FieldKindChanged,
    FieldScalarKindChanged,
    FieldNamedTypeChanged,
    FieldNumericLabelChanged,
    FieldStringOrBytesLabelChanged,
    RequiredFieldAdded,
    RequiredFieldRemoved,
    OneofAdded,
    OneofRemoved,
    OneofFieldAdded,
    OneofFieldRemoved,
    OneofFieldMovedToTopLevel,
    MultipleFieldsMovedToOneof,
    FieldMovedToExistingOneof,
}

impl DifferenceType {
    #[cfg(test)]
    const ALL: [DifferenceType; 26] = [
        DifferenceType::PackageChanged,
        DifferenceType::MessageAdded,
        DifferenceType::MessageRemoved,
        DifferenceType::MessageMoved,
        DifferenceType::EnumAdded,
        DifferenceType::EnumRemoved,
        DifferenceType::EnumConstAdded,
        DifferenceType::EnumConstChanged,
        DifferenceType::EnumConstRemoved,
        DifferenceType::FieldAdded,
        DifferenceType::FieldRemoved,
        DifferenceType::FieldNameChanged,
        DifferenceType::FieldKindChanged,
        DifferenceType::FieldScalarKindChanged,
        DifferenceType::FieldNamedTypeChanged,
        DifferenceType::FieldNumericLabelChanged,
        DifferenceType::FieldStringOrBytesLabelChanged,
        DifferenceType::RequiredFieldAdded,
        DifferenceType::RequiredFieldRemoved,
        DifferenceType::OneofAdded,
        DifferenceType::OneofRemoved,
        DifferenceType::OneofFieldAdded,
        DifferenceType::OneofFieldRemoved,
        DifferenceType::OneofFieldMovedToTopLevel,
        DifferenceType::MultipleFieldsMovedToOneof,
        DifferenceType::FieldMovedToExistingOneof,
    ];

    fn name(self) -> &'static str {
        match self {
            DifferenceType::PackageChanged => "PACKAGE_CHANGED",
            DifferenceType::MessageAdded => "MESSAGE_ADDED",
            DifferenceType::MessageRemoved => "MESSAGE_REMOVED",
            DifferenceType::MessageMoved => "MESSAGE_MOVED",
            DifferenceType::EnumAdded => "ENUM_ADDED",
            DifferenceType::EnumRemoved => "ENUM_REMOVED",
            DifferenceType::EnumConstAdded => "ENUM_CONST_ADDED",
            DifferenceType::EnumConstChanged => "ENUM_CONST_CHANGED",
            DifferenceType::EnumConstRemoved => "ENUM_CONST_REMOVED",
            DifferenceType::FieldAdded => "FIELD_ADDED",
            DifferenceType::FieldRemoved => "FIELD_REMOVED",
            DifferenceType::FieldNameChanged => "FIELD_NAME_CHANGED",
            DifferenceType::FieldKindChanged => "FIELD_KIND_CHANGED",
            DifferenceType::FieldScalarKindChanged => "FIELD_SCALAR_KIND_CHANGED",
            DifferenceType::FieldNamedTypeChanged => "FIELD_NAMED_TYPE_CHANGED",
            DifferenceType::FieldNumericLabelChanged => "FIELD_NUMERIC_LABEL_CHANGED",
            DifferenceType::FieldStringOrBytesLabelChanged => "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
            DifferenceType::RequiredFieldAdded => "REQUIRED_FIELD_ADDED",
            DifferenceType::RequiredFieldRemoved => "REQUIRED_FIELD_REMOVED",
            DifferenceType::OneofAdded => "ONEOF_ADDED",
            DifferenceType::OneofRemoved => "ONEOF_REMOVED",
            DifferenceType::OneofFieldAdded => "ONEOF_FIELD_ADDED",
            DifferenceType::OneofFieldRemoved => "ONEOF_FIELD_REMOVED",
            DifferenceType::OneofFieldMovedToTopLevel => "ONEOF_FIELD_MOVED_TO_TOP_LEVEL",
            DifferenceType::MultipleFieldsMovedToOneof => "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
            DifferenceType::FieldMovedToExistingOneof => "FIELD_MOVED_TO_EXISTING_ONEOF",
        }
    }

    /// Confluent's `SchemaDiff.COMPATIBLE_CHANGES`, plus the 8.x name of a
    /// change 7.9 already accepted.
    fn is_compatible(self) -> bool {
        matches!(
            self,
            DifferenceType::MessageAdded
                | DifferenceType::MessageMoved
                | DifferenceType::EnumAdded
                | DifferenceType::EnumRemoved
                | DifferenceType::EnumConstAdded
                | DifferenceType::EnumConstChanged
                | DifferenceType::EnumConstRemoved
                | DifferenceType::FieldAdded
                | DifferenceType::FieldRemoved
                | DifferenceType::FieldNameChanged
                | DifferenceType::FieldStringOrBytesLabelChanged
                | DifferenceType::OneofAdded
                | DifferenceType::OneofRemoved
                | DifferenceType::OneofFieldAdded
                | DifferenceType::OneofFieldMovedToTopLevel
        )
    }
}

#[cfg(test)]
mod tests;
