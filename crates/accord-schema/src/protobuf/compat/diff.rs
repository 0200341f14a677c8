//! Confluent 7.9's Protobuf `SchemaDiff.compare(original, update)`, over
//! prost-reflect descriptors instead of Square Wire's parsed elements.
//!
//! What Wire's elements would show is rebuilt from the descriptors: map entry
//! and group messages are not nested types, proto3 `optional` fields are plain
//! fields (their synthetic oneofs are dropped), and a field's label is the one
//! written in the text (none for proto3 singular fields, oneof members and
//! maps). The walk, the order of differences (Java hash-set order) and the
//! paths (`#/Message/oneof/tag`) are Confluent's.
//!
//! Confluent's quirks that show in its answers are kept: fields moved into or
//! out of a oneof are not compared; a field leaving a oneof that still exists
//! is a `ONEOF_FIELD_REMOVED`; a message type from the same file on both sides
//! is compared only by its package-less name (the message itself is compared
//! where it is declared), one from a referenced file is compared recursively.

use std::collections::{HashMap, HashSet};

use prost_reflect::prost_types::FileDescriptorProto;
use prost_reflect::{
    EnumDescriptor, FieldDescriptor, FileDescriptor, Kind, MessageDescriptor, OneofDescriptor,
    Syntax,
};

use super::java_order::JavaHashSet;
use super::DifferenceType;

/// Most message comparisons one diff makes. Confluent recurses into a
/// referenced message type at every field that uses it, without memoising,
/// which can grow exponentially; past this budget referenced types are no
/// longer recursed into.
const MAX_MESSAGE_COMPARISONS: usize = 20_000;

/// Deepest nesting of message comparisons (nested types and referenced
/// types); deeper ones are not compared, so the stack stays bounded.
const MAX_DEPTH: usize = 200;

/// One difference between the original and the updated schema.
#[derive(Clone, Debug)]
pub(super) struct Difference {
    pub(super) kind: DifferenceType,
    /// Confluent's path: `#/` then message names, oneof names and numbers.
    pub(super) confluent_path: String,
    pub(super) site: Site,
}

/// Where a difference is, on each side, for explaining it.
#[derive(Clone, Debug)]
pub(super) enum Site {
    Package {
        original: FileDescriptor,
        update: FileDescriptor,
    },
    Message {
        original: Option<MessageDescriptor>,
        update: Option<MessageDescriptor>,
    },
    /// Enums and their constants: every change to them is compatible.
    Enum,
    /// A field (or a map's key or value type) of two matched messages.
    Field {
        messages: (MessageDescriptor, MessageDescriptor),
        original: Option<FieldDescriptor>,
        update: Option<FieldDescriptor>,
        part: FieldPart,
    },
    /// A oneof of two matched messages; `moved` are the update's members that
    /// are plain fields in the original.
    Oneof {
        messages: (MessageDescriptor, MessageDescriptor),
        original: Option<OneofDescriptor>,
        update: Option<OneofDescriptor>,
        moved: Vec<FieldDescriptor>,
    },
}

/// Which part of a field a difference is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum FieldPart {
    /// The field itself.
    Whole,
    MapKey,
    MapValue,
    /// The field's message type (same name on both sides) changed
    /// incompatibly inside; the inner differences precede this one.
    Inside {
        original: String,
        update: String,
    },
}

/// A field's label as written in the text (Wire's `Field.Label`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Label {
    Optional,
    Required,
    Repeated,
}

impl Label {
    pub(crate) fn keyword(self) -> &'static str {
        match self {
            Label::Optional => "optional",
            Label::Required => "required",
            Label::Repeated => "repeated",
        }
    }
}

/// The label Wire would have parsed: none for proto3 singular fields, oneof
/// members and map fields.
pub(crate) fn written_label(field: &FieldDescriptor) -> Option<Label> {
    use prost_reflect::Cardinality;
    if field.is_map() {
        return None;
    }
    match field.cardinality() {
        Cardinality::Required => Some(Label::Required),
        Cardinality::Repeated => Some(Label::Repeated),
        Cardinality::Optional => {
            let proto3_optional = field.field_descriptor_proto().proto3_optional();
            if real_oneof(field).is_some() {
                None
            } else if proto3_optional || field.parent_file().syntax() == Syntax::Proto2 {
                Some(Label::Optional)
            } else {
                None
            }
        }
    }
}

/// The oneof a field belongs to, not counting proto3 `optional`'s synthetic ones.
pub(crate) fn real_oneof(field: &FieldDescriptor) -> Option<OneofDescriptor> {
    field
        .containing_oneof()
        .filter(|oneof| !oneof.is_synthetic())
}

/// Confluent's field kinds: enums count as scalars.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FieldKind {
    Scalar,
    Message,
    Map,
}

impl FieldKind {
    pub(super) fn word(self) -> &'static str {
        match self {
            FieldKind::Scalar => "scalar",
            FieldKind::Message => "message",
            FieldKind::Map => "map",
        }
    }
}

/// The groups of wire-compatible scalar types (Protobuf's "updating a
/// message type" rules as Confluent reads them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ScalarGroup {
    GeneralNumber,
    SignedNumber,
    StringOrBytes,
    Fixed32,
    Fixed64,
    Float,
    Double,
}

impl ScalarGroup {
    pub(super) fn of(kind: &Kind) -> Option<ScalarGroup> {
        Some(match kind {
            Kind::Int32
            | Kind::Int64
            | Kind::Uint32
            | Kind::Uint64
            | Kind::Bool
            | Kind::Enum(_) => ScalarGroup::GeneralNumber,
            Kind::Sint32 | Kind::Sint64 => ScalarGroup::SignedNumber,
            Kind::String | Kind::Bytes => ScalarGroup::StringOrBytes,
            Kind::Fixed32 | Kind::Sfixed32 => ScalarGroup::Fixed32,
            Kind::Fixed64 | Kind::Sfixed64 => ScalarGroup::Fixed64,
            Kind::Float => ScalarGroup::Float,
            Kind::Double => ScalarGroup::Double,
            Kind::Message(_) => return None,
        })
    }

    /// The types of the group, as an author would list them.
    pub(super) fn members(self) -> &'static str {
        match self {
            ScalarGroup::GeneralNumber => "int32/int64/uint32/uint64/bool/enum",
            ScalarGroup::SignedNumber => "sint32/sint64",
            ScalarGroup::StringOrBytes => "string/bytes",
            ScalarGroup::Fixed32 => "fixed32/sfixed32",
            ScalarGroup::Fixed64 => "fixed64/sfixed64",
            ScalarGroup::Float => "float",
            ScalarGroup::Double => "double",
        }
    }

    fn is_numeric(self) -> bool {
        self != ScalarGroup::StringOrBytes
    }
}

/// A field's type as Confluent compares it.
#[derive(Clone, Debug)]
pub(super) enum FieldType {
    /// A scalar or an enum.
    Scalar(Kind),
    Message(MessageDescriptor),
    Map(Kind, Kind),
}

impl FieldType {
    pub(super) fn of(field: &FieldDescriptor) -> FieldType {
        match field.kind() {
            Kind::Message(message) if field.is_map() => FieldType::Map(
                message.map_entry_key_field().kind(),
                message.map_entry_value_field().kind(),
            ),
            Kind::Message(message) => FieldType::Message(message),
            scalar => FieldType::Scalar(scalar),
        }
    }

    fn of_kind(kind: Kind) -> FieldType {
        match kind {
            Kind::Message(message) => FieldType::Message(message),
            scalar => FieldType::Scalar(scalar),
        }
    }

    pub(super) fn kind(&self) -> FieldKind {
        match self {
            FieldType::Scalar(_) => FieldKind::Scalar,
            FieldType::Message(_) => FieldKind::Message,
            FieldType::Map(..) => FieldKind::Map,
        }
    }
}

/// A message's full name without its file's package, as Confluent compares
/// message-typed fields.
pub(crate) fn local_name(message: &MessageDescriptor) -> &str {
    let package = message.package_name();
    let full = message.full_name();
    if package.is_empty() {
        full
    } else {
        full.strip_prefix(package)
            .and_then(|rest| rest.strip_prefix('.'))
            .unwrap_or(full)
    }
}

/// Every difference Confluent's `SchemaDiff.compare(original, update)` finds,
/// compatible ones included, in Confluent's order.
pub(super) fn compare(original: &FileDescriptor, update: &FileDescriptor) -> Vec<Difference> {
    let mut differ = Differ {
        original_main: original.name().to_owned(),
        update_main: update.name().to_owned(),
        differences: Vec::new(),
        path: Vec::new(),
        on_stack: Vec::new(),
        comparisons: 0,
        depth: 0,
        same_files: HashMap::new(),
    };
    if original.package_name() != update.package_name() {
        differ.add(
            DifferenceType::PackageChanged,
            Site::Package {
                original: original.clone(),
                update: update.clone(),
            },
        );
    }
    differ.compare_types(&Types::of_file(original), &Types::of_file(update));
    differ.differences
}

/// The message and enum types declared in one scope, as Wire lists them.
struct Types {
    /// Messages in declaration order; the position is Confluent's message index.
    messages: Vec<MessageDescriptor>,
    enums: Vec<EnumDescriptor>,
    message_index: HashMap<String, usize>,
    enum_index: HashMap<String, usize>,
}

impl Types {
    fn of_file(file: &FileDescriptor) -> Types {
        Types::new(file.messages().collect(), file.enums().collect())
    }

    /// Nested types, without map entries and groups (Wire has neither as
    /// nested types).
    fn of_message(message: &MessageDescriptor) -> Types {
        let groups: HashSet<String> = message
            .fields()
            .filter(FieldDescriptor::is_group)
            .filter_map(|field| field.kind().as_message().map(|m| m.full_name().to_owned()))
            .collect();
        Types::new(
            message
                .child_messages()
                .filter(|child| !child.is_map_entry() && !groups.contains(child.full_name()))
                .collect(),
            message.child_enums().collect(),
        )
    }

    fn new(messages: Vec<MessageDescriptor>, enums: Vec<EnumDescriptor>) -> Types {
        let message_index = messages
            .iter()
            .enumerate()
            .map(|(index, message)| (message.name().to_owned(), index))
            .collect();
        let enum_index = enums
            .iter()
            .enumerate()
            .map(|(index, enumeration)| (enumeration.name().to_owned(), index))
            .collect();
        Types {
            messages,
            enums,
            message_index,
            enum_index,
        }
    }

    fn message(&self, name: &str) -> Option<(usize, &MessageDescriptor)> {
        let index = *self.message_index.get(name)?;
        Some((index, &self.messages[index]))
    }

    fn enumeration(&self, name: &str) -> Option<&EnumDescriptor> {
        self.enum_index.get(name).map(|&index| &self.enums[index])
    }

    fn message_names(&self) -> JavaHashSet<String> {
        names(self.messages.iter().map(|message| message.name()))
    }

    fn enum_names(&self) -> JavaHashSet<String> {
        names(self.enums.iter().map(|enumeration| enumeration.name()))
    }
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> JavaHashSet<String> {
    let mut set = JavaHashSet::new();
    for name in names {
        set.insert(name.to_owned());
    }
    set
}

/// The union of two Java key sets, as `new HashSet<>(a.keySet()); addAll(b.keySet())`.
fn union<K: super::java_order::JavaHash + std::hash::Hash + Eq + Clone>(
    original: &JavaHashSet<K>,
    update: &JavaHashSet<K>,
) -> Vec<K> {
    let mut all = JavaHashSet::copy_of(original);
    all.insert_all(update);
    all.iter_order()
}

/// A message's fields as Wire lists them: plain fields (not in a real oneof,
/// not groups) in declaration order.
fn plain_fields(message: &MessageDescriptor) -> Vec<FieldDescriptor> {
    declared_fields(message)
        .filter(|field| real_oneof(field).is_none())
        .collect()
}

/// Fields in declaration order (prost-reflect's `fields()` is by number).
fn declared_fields(message: &MessageDescriptor) -> impl Iterator<Item = FieldDescriptor> + '_ {
    message
        .descriptor_proto()
        .field
        .iter()
        .filter_map(|raw| message.get_field_by_name(raw.name()))
        .filter(|field| !field.is_group())
}

/// A message's oneofs as Wire lists them (no synthetic ones).
fn real_oneofs(message: &MessageDescriptor) -> Vec<OneofDescriptor> {
    message
        .oneofs()
        .filter(|oneof| !oneof.is_synthetic())
        .collect()
}

fn oneof_fields(oneof: &OneofDescriptor) -> Vec<FieldDescriptor> {
    oneof.fields().filter(|field| !field.is_group()).collect()
}

/// Field numbers of `fields` as a Java `HashMap<Integer, FieldElement>` key set.
fn numbers(fields: &[FieldDescriptor]) -> JavaHashSet<u32> {
    let mut set = JavaHashSet::new();
    for field in fields {
        set.insert(field.number());
    }
    set
}

/// Fields by number (Wire's `Map<Integer, FieldElement>`).
fn by_number(fields: &[FieldDescriptor]) -> HashMap<u32, &FieldDescriptor> {
    fields.iter().map(|field| (field.number(), field)).collect()
}

fn by_name(oneofs: &[OneofDescriptor]) -> HashMap<&str, &OneofDescriptor> {
    oneofs.iter().map(|oneof| (oneof.name(), oneof)).collect()
}

struct Differ {
    original_main: String,
    update_main: String,
    differences: Vec<Difference>,
    /// Confluent's `fullPath`.
    path: Vec<String>,
    /// The original messages being compared (Confluent's `SchemaScope`s).
    on_stack: Vec<String>,
    comparisons: usize,
    depth: usize,
    /// Whether two files and everything they import are the same text.
    same_files: HashMap<(String, String), bool>,
}

impl Differ {
    fn add(&mut self, kind: DifferenceType, site: Site) {
        self.differences.push(Difference {
            kind,
            confluent_path: format!("#/{}", self.path.join("/")),
            site,
        });
    }

    fn enter(&mut self, segment: impl Into<String>) {
        self.path.push(segment.into());
    }

    fn leave(&mut self) {
        self.path.pop();
    }

    /// `SchemaDiff.compareTypeElements`: messages by name, then enums by name.
    fn compare_types(&mut self, original: &Types, update: &Types) {
        for name in union(&original.message_names(), &update.message_names()) {
            self.enter(name.clone());
            match (original.message(&name), update.message(&name)) {
                (Some((_, original)), None) => self.add(
                    DifferenceType::MessageRemoved,
                    Site::Message {
                        original: Some(original.clone()),
                        update: None,
                    },
                ),
                (None, Some((_, update))) => self.add(
                    DifferenceType::MessageAdded,
                    Site::Message {
                        original: None,
                        update: Some(update.clone()),
                    },
                ),
                (Some((original_index, original)), Some((update_index, update))) => {
                    self.compare_message(original, update);
                    if original_index != update_index {
                        self.add(
                            DifferenceType::MessageMoved,
                            Site::Message {
                                original: Some(original.clone()),
                                update: Some(update.clone()),
                            },
                        );
                    }
                }
                (None, None) => {}
            }
            self.leave();
        }
        for name in union(&original.enum_names(), &update.enum_names()) {
            self.enter(name.clone());
            match (original.enumeration(&name), update.enumeration(&name)) {
                (Some(_), None) => self.add(DifferenceType::EnumRemoved, Site::Enum),
                (None, Some(_)) => self.add(DifferenceType::EnumAdded, Site::Enum),
                (Some(original), Some(update)) => self.compare_enum(original, update),
                (None, None) => {}
            }
            self.leave();
        }
    }

    /// `EnumSchemaDiff.compare`: constants by number.
    fn compare_enum(&mut self, original: &EnumDescriptor, update: &EnumDescriptor) {
        let numbers_of = |enumeration: &EnumDescriptor| {
            let mut set = JavaHashSet::new();
            for value in enumeration.values() {
                set.insert(value.number());
            }
            set
        };
        // Aliases share a number; Wire's map keeps the last one.
        let values_by_number = |enumeration: &EnumDescriptor| {
            let mut values = HashMap::new();
            for value in enumeration.values() {
                values.insert(value.number(), value);
            }
            values
        };
        let (original_values, update_values) =
            (values_by_number(original), values_by_number(update));
        for number in union(&numbers_of(original), &numbers_of(update)) {
            self.enter(number.to_string());
            let original_value = original_values.get(&number);
            let update_value = update_values.get(&number);
            let kind = match (original_value, update_value) {
                (Some(_), None) => Some(DifferenceType::EnumConstRemoved),
                (None, Some(_)) => Some(DifferenceType::EnumConstAdded),
                (Some(original), Some(update)) if original.name() != update.name() => {
                    Some(DifferenceType::EnumConstChanged)
                }
                _ => None,
            };
            if let Some(kind) = kind {
                self.add(kind, Site::Enum);
            }
            self.leave();
        }
    }

    /// `MessageSchemaDiff.compare` (7.9): oneof moves, oneofs by name, plain
    /// fields by number, then nested types. A message already being compared
    /// further up (a cycle through referenced types) has only its nested
    /// types compared, as in Confluent.
    fn compare_message(&mut self, original: &MessageDescriptor, update: &MessageDescriptor) {
        if self.depth >= MAX_DEPTH {
            return;
        }
        self.depth += 1;
        self.comparisons += 1;
        let entered = !self
            .on_stack
            .iter()
            .any(|name| name == original.full_name());
        if entered {
            self.on_stack.push(original.full_name().to_owned());
            self.compare_fields(original, update);
        }
        self.compare_types(&Types::of_message(original), &Types::of_message(update));
        if entered {
            self.on_stack.pop();
        }
        self.depth -= 1;
    }

    fn compare_fields(&mut self, original: &MessageDescriptor, update: &MessageDescriptor) {
        let (original_message, update_message) = (original, update);
        let original_plain = plain_fields(original);
        let update_plain = plain_fields(update);
        let mut original_numbers = numbers(&original_plain);
        let update_numbers = numbers(&update_plain);
        let original_oneofs = real_oneofs(original);
        let update_oneofs = real_oneofs(update);
        let original_oneof_members: Vec<FieldDescriptor> =
            original_oneofs.iter().flat_map(oneof_fields).collect();
        let original_plain_by_number = by_number(&original_plain);
        let update_plain_by_number = by_number(&update_plain);
        let original_members_by_number = by_number(&original_oneof_members);
        let original_oneofs_by_name = by_name(&original_oneofs);
        let update_oneofs_by_name = by_name(&update_oneofs);

        // Each oneof of the update may take over at most one plain field of
        // the original, and then no member of an original oneof.
        for oneof in &update_oneofs {
            self.enter(oneof.name());
            let mut moved = Vec::new();
            let mut existing = 0;
            for field in oneof_fields(oneof) {
                if original_numbers.remove(&field.number()) {
                    moved.push(field);
                } else if original_members_by_number.contains_key(&field.number()) {
                    existing += 1;
                }
            }
            let kind = if moved.len() > 1 {
                Some(DifferenceType::MultipleFieldsMovedToOneof)
            } else if moved.len() == 1 && existing > 0 {
                Some(DifferenceType::FieldMovedToExistingOneof)
            } else {
                None
            };
            if let Some(kind) = kind {
                let original_oneof = original_oneofs_by_name.get(oneof.name()).copied().cloned();
                self.add(
                    kind,
                    Site::Oneof {
                        messages: (original_message.clone(), update_message.clone()),
                        original: original_oneof,
                        update: Some(oneof.clone()),
                        moved,
                    },
                );
            }
            self.leave();
        }

        let oneof_names = |oneofs: &[OneofDescriptor]| names(oneofs.iter().map(|o| o.name()));
        for name in union(&oneof_names(&original_oneofs), &oneof_names(&update_oneofs)) {
            self.enter(name.clone());
            let original_oneof = original_oneofs_by_name.get(name.as_str()).copied();
            let update_oneof = update_oneofs_by_name.get(name.as_str()).copied();
            match (original_oneof, update_oneof) {
                (Some(original), None) => self.add(
                    DifferenceType::OneofRemoved,
                    Site::Oneof {
                        messages: (original_message.clone(), update_message.clone()),
                        original: Some(original.clone()),
                        update: None,
                        moved: Vec::new(),
                    },
                ),
                (None, Some(update)) => self.add(
                    DifferenceType::OneofAdded,
                    Site::Oneof {
                        messages: (original_message.clone(), update_message.clone()),
                        original: None,
                        update: Some(update.clone()),
                        moved: Vec::new(),
                    },
                ),
                (Some(original), Some(update)) => self.compare_oneof(original, update),
                (None, None) => {}
            }
            self.leave();
        }

        for number in union(&original_numbers, &update_numbers) {
            self.enter(number.to_string());
            let original_field = original_plain_by_number
                .get(&number)
                .copied()
                .filter(|_| original_numbers.contains(&number));
            let update_field = update_plain_by_number.get(&number).copied();
            match (original_field, update_field) {
                (Some(original), None) => {
                    let kind = if written_label(original) == Some(Label::Required) {
                        DifferenceType::RequiredFieldRemoved
                    } else {
                        DifferenceType::FieldRemoved
                    };
                    self.add_field(
                        kind,
                        (original_message, update_message),
                        Some(original),
                        None,
                        FieldPart::Whole,
                    );
                }
                (None, Some(update)) => {
                    let kind = if written_label(update) == Some(Label::Required) {
                        DifferenceType::RequiredFieldAdded
                    } else if original_members_by_number.contains_key(&number) {
                        // Confluent 7.9 reports a FIELD_ADDED here; later
                        // versions name the move. Both are compatible.
                        DifferenceType::OneofFieldMovedToTopLevel
                    } else {
                        DifferenceType::FieldAdded
                    };
                    self.add_field(
                        kind,
                        (original_message, update_message),
                        None,
                        Some(update),
                        FieldPart::Whole,
                    );
                }
                (Some(original), Some(update)) => self.compare_field(original, update),
                (None, None) => {}
            }
            self.leave();
        }
    }

    /// `OneOfDiff.compare` (7.9): members of two same-named oneofs by number.
    fn compare_oneof(&mut self, original: &OneofDescriptor, update: &OneofDescriptor) {
        let messages = (original.parent_message(), update.parent_message());
        let original_fields = oneof_fields(original);
        let update_fields = oneof_fields(update);
        let (original_by_number, update_by_number) =
            (by_number(&original_fields), by_number(&update_fields));
        for number in union(&numbers(&original_fields), &numbers(&update_fields)) {
            self.enter(number.to_string());
            match (
                original_by_number.get(&number).copied(),
                update_by_number.get(&number).copied(),
            ) {
                (Some(original), None) => self.add_field(
                    DifferenceType::OneofFieldRemoved,
                    messages,
                    Some(original),
                    None,
                    FieldPart::Whole,
                ),
                (None, Some(update)) => self.add_field(
                    DifferenceType::OneofFieldAdded,
                    messages,
                    None,
                    Some(update),
                    FieldPart::Whole,
                ),
                (Some(original), Some(update)) => self.compare_field(original, update),
                (None, None) => {}
            }
            self.leave();
        }
    }

    fn add_field(
        &mut self,
        kind: DifferenceType,
        messages: (&MessageDescriptor, &MessageDescriptor),
        original: Option<&FieldDescriptor>,
        update: Option<&FieldDescriptor>,
        part: FieldPart,
    ) {
        self.add(
            kind,
            Site::Field {
                messages: (messages.0.clone(), messages.1.clone()),
                original: original.cloned(),
                update: update.cloned(),
                part,
            },
        );
    }

    /// `FieldSchemaDiff.compare`.
    fn compare_field(&mut self, original: &FieldDescriptor, update: &FieldDescriptor) {
        if original.name() != update.name() {
            self.add_field(
                DifferenceType::FieldNameChanged,
                (original.parent_message(), update.parent_message()),
                Some(original),
                Some(update),
                FieldPart::Whole,
            );
        }
        self.compare_labels_and_types(
            (original, update),
            (written_label(original), written_label(update)),
            (FieldType::of(original), FieldType::of(update)),
            FieldPart::Whole,
        );
    }

    /// `FieldSchemaDiff.compareLabelsAndTypes`; map keys and values are
    /// compared as types without labels.
    fn compare_labels_and_types(
        &mut self,
        fields: (&FieldDescriptor, &FieldDescriptor),
        labels: (Option<Label>, Option<Label>),
        types: (FieldType, FieldType),
        part: FieldPart,
    ) {
        let (original_field, update_field) = fields;
        let messages = (
            original_field.parent_message(),
            update_field.parent_message(),
        );
        if types.0.kind() != types.1.kind() {
            self.add_field(
                DifferenceType::FieldKindChanged,
                messages,
                Some(original_field),
                Some(update_field),
                part,
            );
            return;
        }
        match types {
            (FieldType::Scalar(original), FieldType::Scalar(update)) => {
                let group = ScalarGroup::of(&original);
                if group != ScalarGroup::of(&update) {
                    self.add_field(
                        DifferenceType::FieldScalarKindChanged,
                        messages,
                        Some(original_field),
                        Some(update_field),
                        part,
                    );
                } else if let (Some(original_label), Some(update_label), Some(group)) =
                    (labels.0, labels.1, group)
                {
                    if original_label != update_label {
                        let kind = if group.is_numeric() {
                            DifferenceType::FieldNumericLabelChanged
                        } else {
                            DifferenceType::FieldStringOrBytesLabelChanged
                        };
                        self.add_field(
                            kind,
                            messages,
                            Some(original_field),
                            Some(update_field),
                            part,
                        );
                    }
                }
            }
            (FieldType::Message(original), FieldType::Message(update)) => {
                self.compare_message_types(fields, &original, &update, part);
            }
            (
                FieldType::Map(original_key, original_value),
                FieldType::Map(update_key, update_value),
            ) => {
                self.compare_labels_and_types(
                    fields,
                    (None, None),
                    (
                        FieldType::of_kind(original_key),
                        FieldType::of_kind(update_key),
                    ),
                    FieldPart::MapKey,
                );
                self.compare_labels_and_types(
                    fields,
                    (None, None),
                    (
                        FieldType::of_kind(original_value),
                        FieldType::of_kind(update_value),
                    ),
                    FieldPart::MapValue,
                );
            }
            _ => {}
        }
    }

    /// `FieldSchemaDiff.compareMessageTypes`: the package-less names must be
    /// equal; a type from a referenced file is then compared recursively at
    /// its own path, and any incompatibility inside also fails the field.
    fn compare_message_types(
        &mut self,
        fields: (&FieldDescriptor, &FieldDescriptor),
        original: &MessageDescriptor,
        update: &MessageDescriptor,
        part: FieldPart,
    ) {
        let original_name = local_name(original).to_owned();
        if original_name != local_name(update) {
            self.add_field(
                DifferenceType::FieldNamedTypeChanged,
                (fields.0.parent_message(), fields.1.parent_message()),
                Some(fields.0),
                Some(fields.1),
                part,
            );
            return;
        }
        if !self.needs_recursion(original, update) {
            return;
        }
        if self.comparisons >= MAX_MESSAGE_COMPARISONS {
            return;
        }
        let outer_path = std::mem::replace(
            &mut self.path,
            original_name.split('.').map(str::to_owned).collect(),
        );
        let first_inner = self.differences.len();
        self.compare_message(original, update);
        self.path = outer_path;
        let incompatible_inside = self.differences[first_inner..]
            .iter()
            .any(|difference| !difference.kind.is_compatible());
        if incompatible_inside {
            self.add_field(
                DifferenceType::FieldNamedTypeChanged,
                (fields.0.parent_message(), fields.1.parent_message()),
                Some(fields.0),
                Some(fields.1),
                FieldPart::Inside {
                    original: original.full_name().to_owned(),
                    update: update.full_name().to_owned(),
                },
            );
        }
    }

    /// Confluent skips the recursion when both types come from the schema
    /// itself (they are compared where declared) or from the same reference
    /// subject and version. Without subjects here, "the same file text, with
    /// the same imports" stands for the latter: when the files differ only in
    /// subject or version, Confluent's recursion finds nothing incompatible
    /// either.
    fn needs_recursion(
        &mut self,
        original: &MessageDescriptor,
        update: &MessageDescriptor,
    ) -> bool {
        let original_file = original.parent_file();
        let update_file = update.parent_file();
        if original_file.name() == self.original_main && update_file.name() == self.update_main {
            return false;
        }
        !self.same_file_closure(&original_file, &update_file)
    }

    fn same_file_closure(&mut self, original: &FileDescriptor, update: &FileDescriptor) -> bool {
        let key = (original.name().to_owned(), update.name().to_owned());
        if let Some(&same) = self.same_files.get(&key) {
            return same;
        }
        // Assume equal while comparing, so import cycles terminate.
        self.same_files.insert(key.clone(), true);
        let same = original.name() != self.original_main
            && update.name() != self.update_main
            && without_source_info(original) == without_source_info(update)
            && original.dependencies().len() == update.dependencies().len()
            && original
                .dependencies()
                .zip(update.dependencies())
                .all(|(original, update)| self.same_file_closure(&original, &update));
        self.same_files.insert(key, same);
        same
    }
}

fn without_source_info(file: &FileDescriptor) -> FileDescriptorProto {
    let mut proto = file.file_descriptor_proto().clone();
    proto.source_code_info = None;
    proto
}
