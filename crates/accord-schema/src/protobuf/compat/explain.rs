//! Turns a difference into an `Incompatibility`: Confluent's description,
//! our path, the declarations on each side and a fix for the author.

use prost_reflect::{FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, OneofDescriptor};

use super::diff::{
    local_name, real_oneof, written_label, Difference, FieldPart, FieldType, ScalarGroup, Site,
};
use super::DifferenceType;
use crate::{Direction, Incompatibility, SchemaType};

/// Most members shown in an abbreviated `message { … }` or `oneof { … }`.
const SHOWN_MEMBERS: usize = 4;

/// Which of Confluent's original/update is the old and which the new schema.
#[derive(Clone, Copy)]
struct Roles {
    direction: Direction,
}

impl Roles {
    /// Confluent's `update` is the reader: the new schema for BACKWARD.
    fn update_is_new(self) -> bool {
        self.direction == Direction::Backward
    }

    /// The words Confluent fills into its description: update first.
    fn update_and_original_words(self) -> (&'static str, &'static str) {
        if self.update_is_new() {
            ("new", "old")
        } else {
            ("old", "new")
        }
    }

    /// (old, new) from (original, update).
    fn old_new<T>(self, original: T, update: T) -> (T, T) {
        if self.update_is_new() {
            (original, update)
        } else {
            (update, original)
        }
    }
}

pub(super) fn explain(difference: &Difference, direction: Direction) -> Incompatibility {
    let roles = Roles { direction };
    let explanation = match &difference.site {
        Site::Package { original, update } => {
            let (old, new) = roles.old_new(original, update);
            package(old, new)
        }
        Site::Message { original, update } => {
            let (old, new) = roles.old_new(original.as_ref(), update.as_ref());
            message(difference.kind, old, new)
        }
        Site::Field {
            messages,
            original,
            update,
            part,
        } => {
            let (old, new) = roles.old_new(original.as_ref(), update.as_ref());
            let (old_message, new_message) = roles.old_new(&messages.0, &messages.1);
            field(
                difference.kind,
                roles,
                FieldSides {
                    old,
                    new,
                    old_message,
                    new_message,
                },
                part,
            )
        }
        Site::Oneof {
            messages,
            original,
            update,
            moved,
        } => {
            let (old_message, new_message) = roles.old_new(&messages.0, &messages.1);
            let oneof = update.as_ref().or(original.as_ref());
            oneof_move(
                difference.kind,
                roles,
                oneof,
                moved,
                old_message,
                new_message,
            )
        }
        Site::Enum => Explanation::compatible(),
    };
    let (update_word, original_word) = roles.update_and_original_words();
    Incompatibility {
        schema_type: SchemaType::Protobuf,
        rule: difference.kind.name(),
        path: explanation.path,
        description: description(
            difference.kind,
            &difference.confluent_path,
            update_word,
            original_word,
        ),
        detail: explanation.detail,
        old_fragment: explanation.old_fragment,
        new_fragment: explanation.new_fragment,
        direction,
        fix: explanation.fix,
    }
}

/// Confluent's `Difference.error()`, its `%s`s filled with the update's and
/// then the original's role (`new`/`old`).
fn description(kind: DifferenceType, path: &str, update: &str, original: &str) -> String {
    match kind {
        DifferenceType::PackageChanged => format!(
            "The package at '{path}' in the {update} schema does not match the package in the {original} schema"
        ),
        DifferenceType::MessageRemoved => format!(
            "The {update} schema is missing a MESSAGE type at path '{path}' in the {original} schema"
        ),
        DifferenceType::FieldKindChanged => format!(
            "The type of a field at path '{path}' in the {update} schema does not match the {original} schema"
        ),
        DifferenceType::FieldScalarKindChanged => format!(
            "The kind of a SCALAR field at path '{path}' in the {update} schema does not match its kind in the {original} schema"
        ),
        DifferenceType::FieldNamedTypeChanged => format!(
            "The type of a MESSAGE field at path '{path}' in the {update} schema does not match its type in the {original} schema"
        ),
        DifferenceType::FieldNumericLabelChanged => format!(
            "The label for a NUMERIC field at path '{path}' in the {update} schema does not match its label in the {original} schema"
        ),
        // Confluent's text has the double space.
        DifferenceType::RequiredFieldAdded => format!(
            "A required field  at path '{path}' in the {update} schema is missing in the {original} schema"
        ),
        DifferenceType::RequiredFieldRemoved => format!(
            "The {update} schema is missing a required field at path: '{path}' in the {original} schema"
        ),
        DifferenceType::OneofFieldRemoved => format!(
            "The {update} schema is missing a oneof field at path '{path}' in the {original} schema"
        ),
        DifferenceType::MultipleFieldsMovedToOneof => format!(
            "Multiple fields in the oneof at path '{path}' in the {update} schema are outside a oneof in the {original} schema"
        ),
        DifferenceType::FieldMovedToExistingOneof => format!(
            "A field in the oneof at path '{path}' in the {update} schema is outside an existing oneof in the {original} schema"
        ),
        _ => String::new(),
    }
}

struct Explanation {
    path: String,
    detail: String,
    old_fragment: Option<String>,
    new_fragment: Option<String>,
    fix: String,
}

impl Explanation {
    /// Compatible differences are never reported; nothing to explain.
    fn compatible() -> Explanation {
        Explanation {
            path: String::new(),
            detail: String::new(),
            old_fragment: None,
            new_fragment: None,
            fix: String::new(),
        }
    }
}

fn package(old: &FileDescriptor, new: &FileDescriptor) -> Explanation {
    let (old_package, new_package) = (old.package_name(), new.package_name());
    let declaration = |package: &str| (!package.is_empty()).then(|| format!("package {package};"));
    let fix = match (old_package.is_empty(), new_package.is_empty()) {
        (true, _) => format!(
            "keep the schema without a package declaration: `package {new_package};` renames every message, so register it under a new subject instead"
        ),
        (false, true) => format!(
            "keep `package {old_package};`: dropping it renames every message, so register the package-less schema under a new subject instead"
        ),
        (false, false) => format!(
            "keep `package {old_package};`: a new package renames every message, so register package `{new_package}` under a new subject instead"
        ),
    };
    Explanation {
        path: if new_package.is_empty() {
            old_package.to_owned()
        } else {
            new_package.to_owned()
        },
        detail: format!(
            "old package {}, new package {}",
            shown_package(old_package),
            shown_package(new_package)
        ),
        old_fragment: declaration(old_package),
        new_fragment: declaration(new_package),
        fix,
    }
}

fn shown_package(package: &str) -> String {
    if package.is_empty() {
        "(none)".to_owned()
    } else {
        format!("`{package}`")
    }
}

fn message(
    kind: DifferenceType,
    old: Option<&MessageDescriptor>,
    new: Option<&MessageDescriptor>,
) -> Explanation {
    let Some(present) = new.or(old) else {
        return Explanation::compatible();
    };
    let name = local_name(present);
    let (detail, fix) = match (kind, old.is_some()) {
        (DifferenceType::MessageRemoved, true) => (
            "the message is declared in the old schema only".to_owned(),
            format!(
                "keep message `{name}` in the new schema, even unused: data written with the old schema can name it in its message indexes (if it was renamed, keep the old name)"
            ),
        ),
        (DifferenceType::MessageRemoved, false) => (
            "the message is declared in the new schema only".to_owned(),
            format!(
                "keep the old name if `{name}` renames a message, otherwise add it while the subject checks BACKWARD only: readers on the old schema cannot resolve `{name}`"
            ),
        ),
        _ => return Explanation::compatible(),
    };
    Explanation {
        path: present.full_name().to_owned(),
        detail,
        old_fragment: old.map(message_declaration),
        new_fragment: new.map(message_declaration),
        fix,
    }
}

/// The two sides of a field difference, in old/new terms.
struct FieldSides<'a> {
    old: Option<&'a FieldDescriptor>,
    new: Option<&'a FieldDescriptor>,
    old_message: &'a MessageDescriptor,
    new_message: &'a MessageDescriptor,
}

fn field(
    kind: DifferenceType,
    roles: Roles,
    sides: FieldSides<'_>,
    part: &FieldPart,
) -> Explanation {
    let Some(present) = sides.new.or(sides.old) else {
        return Explanation::compatible();
    };
    let path = format!("{} (#{})", present.full_name(), present.number());
    let subject = subject(present, part);
    let number = present.number();
    let fragments = (
        sides.old.map(field_declaration),
        sides.new.map(field_declaration),
    );
    let (detail, fix) = match kind {
        DifferenceType::FieldKindChanged => {
            let (old, new) = both(&sides, present);
            let (old_type, new_type) = (part_type(old, part), part_type(new, part));
            (
                format!(
                    "old {} `{}`, new {} `{}`",
                    old_type.kind().word(),
                    type_name(&old_type, old),
                    new_type.kind().word(),
                    type_name(&new_type, new)
                ),
                format!(
                    "keep {subject} a {} type; for a {} value add a new field with a new number and reserve {number}",
                    old_type.kind().word(),
                    new_type.kind().word()
                ),
            )
        }
        DifferenceType::FieldScalarKindChanged => {
            let (old, new) = both(&sides, present);
            let (old_type, new_type) = (part_type(old, part), part_type(new, part));
            let keep = match &old_type {
                FieldType::Scalar(kind) => match ScalarGroup::of(kind).map(ScalarGroup::members) {
                    Some(group) if group.contains('/') => format!("in the {group} group"),
                    _ => format!("of type `{}`", type_name(&old_type, old)),
                },
                _ => format!("of type `{}`", type_name(&old_type, old)),
            };
            (
                format!(
                    "old type `{}`, new type `{}`",
                    type_name(&old_type, old),
                    type_name(&new_type, new)
                ),
                format!(
                    "keep {subject} {keep}, or add a new field of type `{}` with a new number and reserve {number}",
                    type_name(&new_type, new)
                ),
            )
        }
        DifferenceType::FieldNamedTypeChanged => {
            let (old, new) = both(&sides, present);
            match part {
                FieldPart::Inside { original, update } => {
                    let (old_name, new_name) = roles.old_new(original, update);
                    let shown = if old_name == new_name {
                        format!("`{old_name}`")
                    } else {
                        format!("`{old_name}` (now `{new_name}`)")
                    };
                    (
                        format!("message type {shown} changed incompatibly inside"),
                        format!(
                            "make the changes inside {shown} compatible (see the errors reported at its own fields), since {subject} uses it"
                        ),
                    )
                }
                _ => {
                    let (old_type, new_type) = (part_type(old, part), part_type(new, part));
                    (
                        format!(
                            "old type `{}`, new type `{}`",
                            full_type_name(&old_type),
                            full_type_name(&new_type)
                        ),
                        format!(
                            "keep {subject} of type `{}`, or add a field of type `{}` with a new number and reserve {number}",
                            type_name(&old_type, old),
                            type_name(&new_type, new)
                        ),
                    )
                }
            }
        }
        DifferenceType::FieldNumericLabelChanged => {
            let (old, new) = both(&sides, present);
            let label = |field: &FieldDescriptor| {
                written_label(field).map_or("(no label)", |label| label.keyword())
            };
            (
                format!("old label `{}`, new label `{}`", label(old), label(new)),
                format!(
                    "keep numeric field {subject} `{}`; to make it `{}`, add a new field with a new number and reserve {number}",
                    label(old),
                    label(new)
                ),
            )
        }
        DifferenceType::RequiredFieldAdded | DifferenceType::RequiredFieldRemoved => {
            if sides.new.is_some() {
                (
                    "a required field only the new schema has".to_owned(),
                    format!(
                        "declare the new field {subject} `optional` instead of `required`: a required field can neither be added nor removed"
                    ),
                )
            } else {
                (
                    "a required field only the old schema has".to_owned(),
                    format!(
                        "keep required field {subject} in the new schema: a required field can neither be added nor removed"
                    ),
                )
            }
        }
        DifferenceType::OneofFieldRemoved => {
            return oneof_member(&sides, present, path);
        }
        _ => return Explanation::compatible(),
    };
    Explanation {
        path,
        detail,
        old_fragment: fragments.0,
        new_fragment: fragments.1,
        fix,
    }
}

/// `ONEOF_FIELD_REMOVED`: a member one side's oneof has and the other's lacks.
fn oneof_member(sides: &FieldSides<'_>, present: &FieldDescriptor, path: String) -> Explanation {
    let Some(oneof) = real_oneof(present) else {
        return Explanation::compatible();
    };
    let name = oneof.name();
    let member = format!("`{}` (#{})", present.name(), present.number());
    let oneof_in = |message: &MessageDescriptor| {
        message
            .oneofs()
            .find(|candidate| candidate.name() == name)
            .map(|oneof| oneof_declaration(&oneof))
    };
    let has_number = |message: &MessageDescriptor| message.get_field(present.number()).is_some();
    let (detail, fix) = if sides.old.is_some() {
        let fix = if has_number(sides.new_message) {
            format!(
                "keep {member} inside oneof `{name}` as in the old schema: a member may not leave a oneof that stays"
            )
        } else {
            format!(
                "keep {member} in oneof `{name}`, or remove the whole oneof at once: single members may not be removed"
            )
        };
        (
            "the old schema's oneof has this member, the new one's lacks it".to_owned(),
            fix,
        )
    } else {
        let fix = if has_number(sides.old_message) {
            format!("keep {member} outside oneof `{name}`, where the old schema has it")
        } else {
            format!(
                "add {member} as a plain field instead of to the existing oneof `{name}`: readers on the old schema see `{name}` as unset when {member} is set"
            )
        };
        (
            "the new schema's oneof has this member, the old one's lacks it".to_owned(),
            fix,
        )
    };
    Explanation {
        path,
        detail,
        old_fragment: oneof_in(sides.old_message),
        new_fragment: oneof_in(sides.new_message),
        fix,
    }
}

/// `MULTIPLE_FIELDS_MOVED_TO_ONEOF` and `FIELD_MOVED_TO_EXISTING_ONEOF`:
/// `moved` are members of the update's oneof that are plain fields in the
/// original.
fn oneof_move(
    kind: DifferenceType,
    roles: Roles,
    oneof: Option<&OneofDescriptor>,
    moved: &[FieldDescriptor],
    old_message: &MessageDescriptor,
    new_message: &MessageDescriptor,
) -> Explanation {
    let Some(oneof) = oneof else {
        return Explanation::compatible();
    };
    let name = oneof.name();
    let members = moved
        .iter()
        .map(|field| format!("`{}` (#{})", field.name(), field.number()))
        .collect::<Vec<_>>()
        .join(", ");
    // The plain fields on the original's side, where the members came from.
    let plain_side = |message: &MessageDescriptor| {
        let declarations: Vec<String> = moved
            .iter()
            .filter_map(|field| message.get_field(field.number()))
            .map(|field| field_declaration(&field))
            .collect();
        (!declarations.is_empty()).then(|| declarations.join(" "))
    };
    let (old_fragment, new_fragment, fix) = if roles.update_is_new() {
        let fix = match kind {
            DifferenceType::MultipleFieldsMovedToOneof => format!(
                "leave {members} outside oneof `{name}`: data written with the old schema may set several of them at once, and a oneof may take over at most one existing field"
            ),
            _ => format!(
                "leave {members} outside oneof `{name}`: data written with the old schema may set it together with another member of the oneof"
            ),
        };
        (plain_side(old_message), Some(oneof_declaration(oneof)), fix)
    } else {
        let fix = match kind {
            DifferenceType::MultipleFieldsMovedToOneof => format!(
                "keep {members} inside oneof `{name}` as in the old schema: readers on the old schema cannot take several of them set at once"
            ),
            _ => format!(
                "keep {members} inside oneof `{name}` as in the old schema: readers on the old schema cannot take it set together with another member"
            ),
        };
        (Some(oneof_declaration(oneof)), plain_side(new_message), fix)
    };
    let detail = match (kind, roles.update_is_new()) {
        (DifferenceType::MultipleFieldsMovedToOneof, true) => {
            format!("the new schema moves plain fields {members} into one oneof `{name}`")
        }
        (DifferenceType::MultipleFieldsMovedToOneof, false) => {
            format!("the new schema takes {members} out of oneof `{name}`")
        }
        (_, true) => format!(
            "the new schema moves plain field {members} into oneof `{name}` with existing members"
        ),
        (_, false) => format!(
            "the new schema takes {members} out of oneof `{name}`, which keeps other members"
        ),
    };
    Explanation {
        path: oneof.full_name().to_owned(),
        detail,
        old_fragment,
        new_fragment,
        fix,
    }
}

/// Both sides of a field comparison (present for every type change).
fn both<'a>(
    sides: &FieldSides<'a>,
    present: &'a FieldDescriptor,
) -> (&'a FieldDescriptor, &'a FieldDescriptor) {
    (sides.old.unwrap_or(present), sides.new.unwrap_or(present))
}

/// How a fix names the field or the part of it that changed.
fn subject(field: &FieldDescriptor, part: &FieldPart) -> String {
    let field_ref = format!("`{}` (#{})", field.name(), field.number());
    match part {
        FieldPart::MapKey => format!("the keys of map {field_ref}"),
        FieldPart::MapValue => format!("the values of map {field_ref}"),
        FieldPart::Whole | FieldPart::Inside { .. } => field_ref,
    }
}

/// The type a difference is about: the field's, or its map's key or value.
fn part_type(field: &FieldDescriptor, part: &FieldPart) -> FieldType {
    let whole = FieldType::of(field);
    match (part, whole) {
        (FieldPart::MapKey, FieldType::Map(key, _)) => scalar_or_message(key),
        (FieldPart::MapValue, FieldType::Map(_, value)) => scalar_or_message(value),
        (_, whole) => whole,
    }
}

fn scalar_or_message(kind: Kind) -> FieldType {
    match kind {
        Kind::Message(message) => FieldType::Message(message),
        other => FieldType::Scalar(other),
    }
}

/// A type as the field's file would write it: package-local names short.
fn type_name(field_type: &FieldType, field: &FieldDescriptor) -> String {
    let package = field.parent_file().package_name().to_owned();
    match field_type {
        FieldType::Scalar(kind) => kind_name(kind, &package),
        FieldType::Message(message) => relative(message.full_name(), &package),
        FieldType::Map(key, value) => {
            format!(
                "map<{}, {}>",
                kind_name(key, &package),
                kind_name(value, &package)
            )
        }
    }
}

fn full_type_name(field_type: &FieldType) -> String {
    match field_type {
        FieldType::Scalar(kind) => kind_name(kind, ""),
        FieldType::Message(message) => message.full_name().to_owned(),
        FieldType::Map(key, value) => {
            format!("map<{}, {}>", kind_name(key, ""), kind_name(value, ""))
        }
    }
}

fn relative(full_name: &str, package: &str) -> String {
    if package.is_empty() {
        return full_name.to_owned();
    }
    full_name
        .strip_prefix(package)
        .and_then(|rest| rest.strip_prefix('.'))
        .unwrap_or(full_name)
        .to_owned()
}

fn kind_name(kind: &Kind, package: &str) -> String {
    match kind {
        Kind::Message(message) => relative(message.full_name(), package),
        Kind::Enum(enumeration) => relative(enumeration.full_name(), package),
        scalar => scalar_name(scalar).unwrap_or_default().to_owned(),
    }
}

/// The .proto keyword of a scalar kind; `None` for messages and enums.
pub(crate) fn scalar_name(kind: &Kind) -> Option<&'static str> {
    Some(match kind {
        Kind::Double => "double",
        Kind::Float => "float",
        Kind::Int32 => "int32",
        Kind::Int64 => "int64",
        Kind::Uint32 => "uint32",
        Kind::Uint64 => "uint64",
        Kind::Sint32 => "sint32",
        Kind::Sint64 => "sint64",
        Kind::Fixed32 => "fixed32",
        Kind::Fixed64 => "fixed64",
        Kind::Sfixed32 => "sfixed32",
        Kind::Sfixed64 => "sfixed64",
        Kind::Bool => "bool",
        Kind::String => "string",
        Kind::Bytes => "bytes",
        Kind::Message(_) | Kind::Enum(_) => return None,
    })
}

/// `repeated int32 qty = 2;`, `map<string, B> m = 3;`.
pub(crate) fn field_declaration(field: &FieldDescriptor) -> String {
    let label = written_label(field).map_or(String::new(), |label| format!("{} ", label.keyword()));
    format!(
        "{label}{} {} = {};",
        type_name(&FieldType::of(field), field),
        field.name(),
        field.number()
    )
}

/// `oneof k { string a = 1; int32 b = 2; }`, abbreviated after a few members.
pub(crate) fn oneof_declaration(oneof: &OneofDescriptor) -> String {
    let members: Vec<String> = oneof
        .fields()
        .map(|field| field_declaration(&field))
        .collect();
    format!("oneof {} {{ {} }}", oneof.name(), abbreviate(members))
}

/// `message A { string a = 1; B b = 2; ... }`: fields and oneofs in
/// declaration order, nested types as `message N { ... }`, abbreviated.
pub(crate) fn message_declaration(message: &MessageDescriptor) -> String {
    let mut members = Vec::new();
    let mut oneofs_shown: Vec<String> = Vec::new();
    for raw in &message.descriptor_proto().field {
        let Some(field) = message.get_field_by_name(raw.name()) else {
            continue;
        };
        match real_oneof(&field) {
            Some(oneof) => {
                if !oneofs_shown.iter().any(|shown| shown == oneof.name()) {
                    oneofs_shown.push(oneof.name().to_owned());
                    members.push(oneof_declaration(&oneof));
                }
            }
            None => members.push(field_declaration(&field)),
        }
    }
    for child in message
        .child_messages()
        .filter(|child| !child.is_map_entry())
    {
        members.push(format!("message {} {{ ... }}", child.name()));
    }
    for child in message.child_enums() {
        members.push(format!("enum {} {{ ... }}", child.name()));
    }
    if members.is_empty() {
        format!("message {} {{}}", message.name())
    } else {
        format!("message {} {{ {} }}", message.name(), abbreviate(members))
    }
}

fn abbreviate(mut members: Vec<String>) -> String {
    if members.len() > SHOWN_MEMBERS {
        members.truncate(SHOWN_MEMBERS);
        members.push("...".to_owned());
    }
    members.join(" ")
}
