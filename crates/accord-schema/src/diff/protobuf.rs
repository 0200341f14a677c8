//! The changes between two Protobuf schemas: the package and syntax, then
//! messages and enums by name (in declaration order), fields by number,
//! oneofs by name, enum values by number, nested types likewise.
//!
//! Paths are Confluent's (`#/Message/Nested/oneof/3`), the paths of its
//! `SchemaDiff` that `protobuf::compat` keeps for every incompatibility, so
//! anchors are simply the change's own path: Confluent reports both
//! directions there.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use prost_reflect::{EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor};

use super::{align, Anchor, ChangeKind, Found, Located, RecordChanges};
use crate::protobuf::compat::{
    field_declaration, local_name, located_incompatibilities, message_declaration,
    oneof_declaration, real_oneof, written_label, Label,
};
use crate::protobuf::{ProtobufSchema, TypeElement};
use crate::Direction;

const TYPE_RULES: &[&str] = &[
    "FIELD_KIND_CHANGED",
    "FIELD_SCALAR_KIND_CHANGED",
    "FIELD_NAMED_TYPE_CHANGED",
];
const LABEL_RULES: &[&str] = &[
    "FIELD_NUMERIC_LABEL_CHANGED",
    "FIELD_STRING_OR_BYTES_LABEL_CHANGED",
];
const MOVE_RULES: &[&str] = &[
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    "FIELD_MOVED_TO_EXISTING_ONEOF",
];
const PACKAGE_RULES: &[&str] = &["PACKAGE_CHANGED"];
const INSIDE_RULES: &[&str] = &["FIELD_NAMED_TYPE_CHANGED"];

/// Most enum values or members shown in a declaration fragment.
const SHOWN_MEMBERS: usize = 4;

pub(super) fn changes(old: &ProtobufSchema, new: &ProtobufSchema) -> Vec<Found> {
    let (old_file, new_file) = (old.file(), new.file());
    let mut walker = Walker {
        found: Vec::new(),
        compared: HashMap::new(),
        old_main: old_file.name().to_owned(),
        new_main: new_file.name().to_owned(),
    };
    walker.file(old, new, &old_file, &new_file);
    walker.found
}

/// Every incompatibility of both directions at Confluent's path.
pub(super) fn located(old: &ProtobufSchema, new: &ProtobufSchema) -> Vec<Located> {
    [Direction::Backward, Direction::Forward]
        .into_iter()
        .flat_map(|direction| located_incompatibilities(new, old, direction))
        .map(|(path, incompatibility)| Located {
            places: vec![path],
            incompatibility,
        })
        .collect()
}

fn path(segments: &[String]) -> String {
    format!("#/{}", segments.join("/"))
}

fn extend(base: &[String], segment: &str) -> Vec<String> {
    let mut path = base.to_vec();
    path.push(segment.to_owned());
    path
}

/// A message or enum declared in one scope.
#[derive(Clone)]
enum Declared {
    Message(MessageDescriptor),
    Enum(EnumDescriptor),
}

impl Declared {
    fn name(&self) -> &str {
        match self {
            Declared::Message(message) => message.name(),
            Declared::Enum(enumeration) => enumeration.name(),
        }
    }

    fn same_sort(&self, other: &Declared) -> bool {
        matches!(
            (self, other),
            (Declared::Message(_), Declared::Message(_)) | (Declared::Enum(_), Declared::Enum(_))
        )
    }
}

/// The types of a scope in the order the text declares them (descriptors
/// list messages and enums apart); map entries and groups are not declared.
fn declared(
    messages: impl Iterator<Item = MessageDescriptor>,
    enums: impl Iterator<Item = EnumDescriptor>,
    order: &[TypeElement],
) -> Vec<Declared> {
    let groups_and_entries = |message: &MessageDescriptor| {
        message.is_map_entry()
            || message.parent_message().is_some_and(|parent| {
                parent.fields().any(|field| {
                    field.is_group()
                        && field
                            .kind()
                            .as_message()
                            .is_some_and(|group| group.full_name() == message.full_name())
                })
            })
    };
    let mut all: Vec<Declared> = messages
        .filter(|message| !groups_and_entries(message))
        .map(Declared::Message)
        .chain(enums.map(Declared::Enum))
        .collect();
    let position = |item: &Declared| {
        order
            .iter()
            .position(|element| element.name() == item.name())
            .unwrap_or(usize::MAX)
    };
    all.sort_by_key(position);
    all
}

/// The written declarations of the scope at `names` below the file.
fn scope<'a>(types: &'a [TypeElement], names: &[String]) -> &'a [TypeElement] {
    let mut types = types;
    for name in names {
        match types.iter().find(|element| element.name() == name) {
            Some(element) => types = element.nested_types(),
            None => return &[],
        }
    }
    types
}

struct Walker {
    found: Vec<Found>,
    /// Message pairs from referenced files already walked, with the changes
    /// found inside (none yet while walking).
    compared: HashMap<(String, String), Option<Range<usize>>>,
    old_main: String,
    new_main: String,
}

impl RecordChanges for Walker {
    fn found(&mut self) -> &mut Vec<Found> {
        &mut self.found
    }
}

impl Walker {
    fn file(
        &mut self,
        old: &ProtobufSchema,
        new: &ProtobufSchema,
        old_file: &FileDescriptor,
        new_file: &FileDescriptor,
    ) {
        let (old_syntax, new_syntax) = (
            syntax_name(old_file.syntax()),
            syntax_name(new_file.syntax()),
        );
        if old_syntax != new_syntax {
            self.push(
                ChangeKind::Changed,
                path(&[]),
                format!("syntax changed from {old_syntax} to {new_syntax}"),
                (
                    Some(format!("syntax = \"{old_syntax}\";")),
                    Some(format!("syntax = \"{new_syntax}\";")),
                ),
                Vec::new(),
            );
        }
        let (old_package, new_package) = (old_file.package_name(), new_file.package_name());
        if old_package != new_package {
            let shown = |package: &str| {
                if package.is_empty() {
                    "(none)".to_owned()
                } else {
                    format!("`{package}`")
                }
            };
            let declaration =
                |package: &str| (!package.is_empty()).then(|| format!("package {package};"));
            self.push(
                ChangeKind::Changed,
                path(&[]),
                format!(
                    "package changed from {} to {}",
                    shown(old_package),
                    shown(new_package)
                ),
                (declaration(old_package), declaration(new_package)),
                Anchor::both(&path(&[]))
                    .map(|anchor| anchor.with_rules(PACKAGE_RULES))
                    .into(),
            );
        }
        let old_types = declared(old_file.messages(), old_file.enums(), &old.parsed().types);
        let new_types = declared(new_file.messages(), new_file.enums(), &new.parsed().types);
        self.scope(&old_types, &new_types, &[], (old, new));
    }

    /// The messages and enums of one scope, by name.
    fn scope(
        &mut self,
        old: &[Declared],
        new: &[Declared],
        at: &[String],
        schemas: (&ProtobufSchema, &ProtobufSchema),
    ) {
        let matched: Vec<Option<usize>> = new
            .iter()
            .map(|new| {
                old.iter()
                    .position(|old| old.name() == new.name() && old.same_sort(new))
            })
            .collect();
        for pair in align(old.len(), &matched) {
            match pair {
                (None, Some(new_index)) => {
                    self.declared_alone(&new[new_index], at, ChangeKind::Added)
                }
                (Some(old_index), None) => {
                    self.declared_alone(&old[old_index], at, ChangeKind::Removed)
                }
                (Some(old_index), Some(new_index)) => match (&old[old_index], &new[new_index]) {
                    (Declared::Message(old), Declared::Message(new)) => {
                        self.message(old, new, &extend(at, new.name()), Some(schemas));
                    }
                    (Declared::Enum(old), Declared::Enum(new)) => {
                        self.enumeration(old, new, &extend(at, new.name()));
                    }
                    _ => {}
                },
                (None, None) => {}
            }
        }
    }

    /// A message or enum only one side declares.
    fn declared_alone(&mut self, item: &Declared, at: &[String], kind: ChangeKind) {
        let here = path(&extend(at, item.name()));
        let verb = if kind == ChangeKind::Added {
            "added"
        } else {
            "removed"
        };
        let (description, fragment, anchors) = match item {
            Declared::Message(message) => (
                format!("message `{}` {verb}", local_name(message)),
                message_declaration(message),
                // A reader lacking a message cannot resolve its indexes.
                Anchor::both(&here).into(),
            ),
            Declared::Enum(enumeration) => (
                format!("enum `{}` {verb}", enum_local_name(enumeration)),
                enum_declaration(enumeration),
                Vec::new(),
            ),
        };
        let fragments = if kind == ChangeKind::Added {
            (None, Some(fragment))
        } else {
            (Some(fragment), None)
        };
        self.push(kind, here, description, fragments, anchors);
    }

    /// Fields by number, then nested types. `schemas` is `None` for a message
    /// of a referenced file, whose nested types Confluent does not walk.
    fn message(
        &mut self,
        old: &MessageDescriptor,
        new: &MessageDescriptor,
        at: &[String],
        schemas: Option<(&ProtobufSchema, &ProtobufSchema)>,
    ) {
        let old_fields = declared_fields(old);
        let new_fields = declared_fields(new);
        let matched: Vec<Option<usize>> = new_fields
            .iter()
            .map(|new| {
                old_fields
                    .iter()
                    .position(|old| old.number() == new.number())
            })
            .collect();
        let mut oneofs_seen: HashSet<String> = HashSet::new();
        let old_oneofs: HashSet<String> = old
            .oneofs()
            .filter(|oneof| !oneof.is_synthetic())
            .map(|oneof| oneof.name().to_owned())
            .collect();
        let new_oneofs: HashSet<String> = new
            .oneofs()
            .filter(|oneof| !oneof.is_synthetic())
            .map(|oneof| oneof.name().to_owned())
            .collect();
        for pair in align(old_fields.len(), &matched) {
            // A oneof only one side has is listed where its first member is.
            for (field, others, kind) in [
                (
                    pair.1.map(|index| &new_fields[index]),
                    &old_oneofs,
                    ChangeKind::Added,
                ),
                (
                    pair.0.map(|index| &old_fields[index]),
                    &new_oneofs,
                    ChangeKind::Removed,
                ),
            ] {
                let Some(oneof) = field.and_then(real_oneof) else {
                    continue;
                };
                if others.contains(oneof.name()) || !oneofs_seen.insert(oneof.name().to_owned()) {
                    continue;
                }
                let verb = if kind == ChangeKind::Added {
                    "added"
                } else {
                    "removed"
                };
                let declaration = oneof_declaration(&oneof);
                self.push(
                    kind,
                    path(&extend(at, oneof.name())),
                    format!("oneof `{}` {verb}", oneof.name()),
                    if kind == ChangeKind::Added {
                        (None, Some(declaration))
                    } else {
                        (Some(declaration), None)
                    },
                    Vec::new(),
                );
            }
            match pair {
                (None, Some(new_index)) => {
                    self.field_alone(&new_fields[new_index], at, ChangeKind::Added);
                }
                (Some(old_index), None) => {
                    self.field_alone(&old_fields[old_index], at, ChangeKind::Removed);
                }
                (Some(old_index), Some(new_index)) => {
                    self.field_pair(&old_fields[old_index], &new_fields[new_index], at);
                }
                (None, None) => {}
            }
        }
        if let Some(schemas) = schemas {
            let written = (
                scope(&schemas.0.parsed().types, at),
                scope(&schemas.1.parsed().types, at),
            );
            let old_types = declared(old.child_messages(), old.child_enums(), written.0);
            let new_types = declared(new.child_messages(), new.child_enums(), written.1);
            self.scope(&old_types, &new_types, at, schemas);
        }
    }

    fn field_alone(&mut self, field: &FieldDescriptor, at: &[String], kind: ChangeKind) {
        let here = path(&field_path(at, field));
        let verb = if kind == ChangeKind::Added {
            "added"
        } else {
            "removed"
        };
        let mut description = format!("field `{}` (#{}) {verb}", field.name(), field.number());
        if let Some(oneof) = real_oneof(field) {
            let preposition = if kind == ChangeKind::Added {
                "to"
            } else {
                "from"
            };
            description.push_str(&format!(" {preposition} oneof `{}`", oneof.name()));
        }
        if written_label(field) == Some(Label::Required) {
            description.push_str(" (required)");
        }
        let declaration = field_declaration(field);
        let fragments = if kind == ChangeKind::Added {
            (None, Some(declaration))
        } else {
            (Some(declaration), None)
        };
        self.push(
            kind,
            here.clone(),
            description,
            fragments,
            Anchor::both(&here).into(),
        );
    }

    fn field_pair(&mut self, old: &FieldDescriptor, new: &FieldDescriptor, at: &[String]) {
        let (old_path, new_path) = (path(&field_path(at, old)), path(&field_path(at, new)));
        let number = new.number();
        let named = format!("field `{}` (#{number})", new.name());
        let fragments = || (Some(field_declaration(old)), Some(field_declaration(new)));
        let (old_oneof, new_oneof) = (
            real_oneof(old).map(|oneof| oneof.name().to_owned()),
            real_oneof(new).map(|oneof| oneof.name().to_owned()),
        );
        if old.name() != new.name() {
            self.push(
                ChangeKind::Changed,
                new_path.clone(),
                format!(
                    "field #{number} renamed from `{}` to `{}`",
                    old.name(),
                    new.name()
                ),
                fragments(),
                Vec::new(),
            );
        }
        if old_oneof != new_oneof {
            let description = match (&old_oneof, &new_oneof) {
                (None, Some(oneof)) => format!("{named} moved into oneof `{oneof}`"),
                (Some(oneof), None) => format!("{named} moved out of oneof `{oneof}`"),
                (Some(from), Some(to)) => {
                    format!("{named} moved from oneof `{from}` to oneof `{to}`")
                }
                (None, None) => String::new(),
            };
            // A member leaving a oneof that stays is reported at the member;
            // plain fields taken into a oneof at the oneof, by the direction
            // whose reader has them in it.
            let mut anchors: Vec<Anchor> = Anchor::both(&new_path).into();
            anchors.extend(Anchor::both(&old_path));
            let oneof_anchor = |direction, oneof: &String| {
                Anchor::any(direction, path(&extend(at, oneof))).with_rules(MOVE_RULES)
            };
            anchors.extend(
                new_oneof
                    .iter()
                    .map(|oneof| oneof_anchor(Direction::Backward, oneof)),
            );
            anchors.extend(
                old_oneof
                    .iter()
                    .map(|oneof| oneof_anchor(Direction::Forward, oneof)),
            );
            self.push(
                ChangeKind::Changed,
                new_path.clone(),
                description,
                fragments(),
                anchors,
            );
        }
        let (old_type, new_type) = (type_name(old), type_name(new));
        if old_type != new_type {
            self.push(
                ChangeKind::Changed,
                new_path.clone(),
                format!("{named} type changed from {old_type} to {new_type}"),
                fragments(),
                Anchor::both(&new_path)
                    .map(|anchor| anchor.with_rules(TYPE_RULES))
                    .into(),
            );
        } else if let (Kind::Message(old_message), Kind::Message(new_message)) =
            (old.kind(), new.kind())
        {
            self.referenced_message(&old_message, &new_message, &new_path);
        }
        // A move into or out of a oneof changes the written label too.
        if old_oneof.is_none() && new_oneof.is_none() && !old.is_map() && !new.is_map() {
            let (old_label, new_label) = (cardinality(old), cardinality(new));
            if old_label != new_label {
                self.push(
                    ChangeKind::Changed,
                    new_path.clone(),
                    format!("{named} changed from {old_label} to {new_label}"),
                    fragments(),
                    Anchor::both(&new_path)
                        .map(|anchor| anchor.with_rules(LABEL_RULES))
                        .into(),
                );
            }
        }
        // A rename changes the default JSON name too; only an explicit one
        // of a field that keeps its name is a change of its own.
        if old.name() == new.name() && old.json_name() != new.json_name() {
            self.push(
                ChangeKind::Changed,
                new_path.clone(),
                format!(
                    "{named} json_name changed from `{}` to `{}`",
                    old.json_name(),
                    new.json_name()
                ),
                fragments(),
                Vec::new(),
            );
        }
        let default = |field: &FieldDescriptor| {
            let proto = field.field_descriptor_proto();
            proto.default_value.clone()
        };
        let (old_default, new_default) = (default(old), default(new));
        if old_default != new_default {
            let shown =
                |value: &Option<String>| value.clone().unwrap_or_else(|| "(none)".to_owned());
            self.push(
                ChangeKind::Changed,
                new_path,
                format!(
                    "{named} default changed from {} to {}",
                    shown(&old_default),
                    shown(&new_default)
                ),
                fragments(),
                Vec::new(),
            );
        }
    }

    /// A message type from a referenced file, on both sides under the same
    /// name: Confluent compares it at its own path (its package-less name),
    /// and reports at each field using it that it changed incompatibly inside.
    fn referenced_message(
        &mut self,
        old: &MessageDescriptor,
        new: &MessageDescriptor,
        field_path: &str,
    ) {
        let own =
            old.parent_file().name() == self.old_main && new.parent_file().name() == self.new_main;
        if own {
            return;
        }
        let key = (old.full_name().to_owned(), new.full_name().to_owned());
        let inside = match self.compared.get(&key) {
            Some(inside) => inside.clone(),
            None => {
                self.compared.insert(key.clone(), None);
                let first = self.found.len();
                let at: Vec<String> = local_name(old).split('.').map(str::to_owned).collect();
                self.message(old, new, &at, None);
                let inside = first..self.found.len();
                self.compared.insert(key, Some(inside.clone()));
                Some(inside)
            }
        };
        let Some(inside) = inside else { return };
        for change in &mut self.found[inside] {
            if !change.anchors.is_empty() {
                change
                    .anchors
                    .extend(Anchor::both(field_path).map(|anchor| anchor.with_rules(INSIDE_RULES)));
            }
        }
    }

    /// Values by number; every change to an enum is compatible for Confluent.
    fn enumeration(&mut self, old: &EnumDescriptor, new: &EnumDescriptor, at: &[String]) {
        let old_values: Vec<_> = old.values().collect();
        let new_values: Vec<_> = new.values().collect();
        let mut taken = vec![false; old_values.len()];
        let mut matched: Vec<Option<usize>> = vec![None; new_values.len()];
        // Aliases share a number: the same name first, then any.
        for same_name in [true, false] {
            for (new_index, value) in new_values.iter().enumerate() {
                if matched[new_index].is_some() {
                    continue;
                }
                let found = old_values.iter().enumerate().position(|(index, old)| {
                    !taken[index]
                        && old.number() == value.number()
                        && (!same_name || old.name() == value.name())
                });
                if let Some(old_index) = found {
                    taken[old_index] = true;
                    matched[new_index] = Some(old_index);
                }
            }
        }
        let name = enum_local_name(new);
        for pair in align(old_values.len(), &matched) {
            match pair {
                (None, Some(index)) => {
                    let value = &new_values[index];
                    self.push(
                        ChangeKind::Added,
                        path(&extend(at, &value.number().to_string())),
                        format!(
                            "enum `{name}` value `{}` ({}) added",
                            value.name(),
                            value.number()
                        ),
                        (
                            None,
                            Some(format!("{} = {};", value.name(), value.number())),
                        ),
                        Vec::new(),
                    );
                }
                (Some(index), None) => {
                    let value = &old_values[index];
                    self.push(
                        ChangeKind::Removed,
                        path(&extend(at, &value.number().to_string())),
                        format!(
                            "enum `{name}` value `{}` ({}) removed",
                            value.name(),
                            value.number()
                        ),
                        (
                            Some(format!("{} = {};", value.name(), value.number())),
                            None,
                        ),
                        Vec::new(),
                    );
                }
                (Some(old_index), Some(new_index)) => {
                    let (old_value, new_value) = (&old_values[old_index], &new_values[new_index]);
                    if old_value.name() != new_value.name() {
                        self.push(
                            ChangeKind::Changed,
                            path(&extend(at, &new_value.number().to_string())),
                            format!(
                                "enum `{name}` value {} renamed from `{}` to `{}`",
                                new_value.number(),
                                old_value.name(),
                                new_value.name()
                            ),
                            (
                                Some(format!("{} = {};", old_value.name(), old_value.number())),
                                Some(format!("{} = {};", new_value.name(), new_value.number())),
                            ),
                            Vec::new(),
                        );
                    }
                }
                (None, None) => {}
            }
        }
    }
}

fn syntax_name(syntax: prost_reflect::Syntax) -> &'static str {
    match syntax {
        prost_reflect::Syntax::Proto2 => "proto2",
        prost_reflect::Syntax::Proto3 => "proto3",
    }
}

/// Fields (oneof members included) in declaration order, without groups.
fn declared_fields(message: &MessageDescriptor) -> Vec<FieldDescriptor> {
    message
        .descriptor_proto()
        .field
        .iter()
        .filter_map(|raw| message.get_field_by_name(raw.name()))
        .filter(|field| !field.is_group())
        .collect()
}

/// Confluent's path of a field: its oneof's name, if any, then its number.
fn field_path(at: &[String], field: &FieldDescriptor) -> Vec<String> {
    let mut path = at.to_vec();
    if let Some(oneof) = real_oneof(field) {
        path.push(oneof.name().to_owned());
    }
    path.push(field.number().to_string());
    path
}

/// `singular`, `optional`, `required` or `repeated`, as written.
fn cardinality(field: &FieldDescriptor) -> &'static str {
    written_label(field).map_or("singular", |label| label.keyword())
}

/// A field's type as its file would write it, with message and enum types
/// without the package: `int32`, `Address`, `map<string, Item>`.
fn type_name(field: &FieldDescriptor) -> String {
    match field.kind() {
        Kind::Message(message) if field.is_map() => format!(
            "map<{}, {}>",
            kind_name(&message.map_entry_key_field().kind()),
            kind_name(&message.map_entry_value_field().kind())
        ),
        kind => kind_name(&kind),
    }
}

fn kind_name(kind: &Kind) -> String {
    match kind {
        Kind::Message(message) => local_name(message).to_owned(),
        Kind::Enum(enumeration) => enum_local_name(enumeration),
        scalar => crate::protobuf::compat::explain::scalar_name(scalar)
            .unwrap_or_default()
            .to_owned(),
    }
}

fn enum_local_name(enumeration: &EnumDescriptor) -> String {
    let package = enumeration.package_name();
    let full = enumeration.full_name();
    if package.is_empty() {
        full.to_owned()
    } else {
        full.strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full)
            .to_owned()
    }
}

/// `enum Color { RED = 0; GREEN = 1; ... }`.
fn enum_declaration(enumeration: &EnumDescriptor) -> String {
    let mut values: Vec<String> = enumeration
        .values()
        .map(|value| format!("{} = {};", value.name(), value.number()))
        .collect();
    if values.len() > SHOWN_MEMBERS {
        values.truncate(SHOWN_MEMBERS);
        values.push("...".to_owned());
    }
    format!("enum {} {{ {} }}", enumeration.name(), values.join(" "))
}
