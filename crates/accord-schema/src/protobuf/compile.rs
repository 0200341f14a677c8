//! Parsed files turned into a prost-reflect `DescriptorPool`, so that the
//! schema can be inspected (compatibility) with names resolved.
//!
//! Confluent checks syntax and type names only, so it accepts files protoc
//! would refuse (field number 0, a number used twice, an import nothing
//! provides, options nobody declared, a reference under another name than
//! its import path). The descriptors built here keep what protoc would accept
//! and leave the rest out: a field with an invalid or repeated number or
//! name, a reserved or extension range that collides with a field, custom
//! options. Types are resolved as Confluent resolves them (any referenced or
//! built-in file, imported or not; see `types`) and each file depends on the
//! files that define the types it uses; the pool holds the given files
//! (references named as built-in files included) and only the built-in
//! files they import or depend on and do not provide themselves
//! (`Builtins::pool_for`), so that a file may define the names of a
//! built-in file it does not use, and a parsed schema's memory grows with
//! what it uses. If the pool still refuses the
//! files, a second, plainer attempt leaves out defaults, JSON names, reserved
//! ranges, extensions and explicit map entries.

use std::collections::{HashMap, HashSet};

use prost_reflect::prost_types::{
    descriptor_proto::{ExtensionRange, ReservedRange},
    enum_descriptor_proto::EnumReservedRange,
    field_descriptor_proto::{Label as ProtoLabel, Type},
    DescriptorProto, EnumDescriptorProto, EnumOptions, EnumValueDescriptorProto, EnumValueOptions,
    FieldDescriptorProto, FieldOptions, FileDescriptorProto, MessageOptions, MethodDescriptorProto,
    MethodOptions, OneofDescriptorProto, ServiceDescriptorProto, ServiceOptions,
};
use prost_reflect::DescriptorPool;

use super::ast::*;
use super::builtin::Builtins;
use super::parse::MAX_TAG_VALUE;
use super::types::{self, TypeKind, TypeTable};

/// A file to compile: its name in the pool and its parsed form.
pub struct Source<'a> {
    pub name: &'a str,
    pub file: &'a ProtoFile,
}

/// Why the files could not be compiled.
#[derive(Debug)]
pub enum CompileError {
    /// Files that import or use each other in a circle, the first repeated
    /// at the end.
    Cycle(Vec<String>),
    /// An enum without constants (full name, file).
    EmptyEnum(String, String),
    /// What prost-reflect objected to.
    Invalid(String),
}

/// A pool of `sources` and the built-in files they use.
pub fn compile(
    builtins: &Builtins,
    sources: &[Source<'_>],
    table: &TypeTable,
) -> Result<DescriptorPool, CompileError> {
    for source in sources {
        let package = source.file.package.as_deref().unwrap_or_default();
        if let Some(name) = empty_enum(package, &source.file.types) {
            return Err(CompileError::EmptyEnum(name, source.name.to_owned()));
        }
    }
    let with_builtins = |files: Vec<FileDescriptorProto>| {
        let mut pool = builtins.pool_for(&files);
        pool.add_file_descriptor_protos(files).map(|()| pool)
    };
    match with_builtins(descriptors(sources, table, false)?) {
        Ok(pool) => Ok(pool),
        Err(first) => with_builtins(descriptors(sources, table, true)?)
            .map_err(|_| CompileError::Invalid(first.to_string())),
    }
}

/// The full name of the first enum without constants.
fn empty_enum(prefix: &str, types: &[TypeElement]) -> Option<String> {
    types.iter().find_map(|element| {
        let name = if prefix.is_empty() {
            element.name().to_owned()
        } else {
            format!("{prefix}.{}", element.name())
        };
        match element {
            TypeElement::Enum(enumeration) if enumeration.constants.is_empty() => Some(name),
            TypeElement::Enum(_) => None,
            TypeElement::Message(message) => empty_enum(&name, &message.nested_types),
        }
    })
}

fn descriptors(
    sources: &[Source<'_>],
    table: &TypeTable,
    plain: bool,
) -> Result<Vec<FileDescriptorProto>, CompileError> {
    let names: HashSet<&str> = sources.iter().map(|source| source.name).collect();
    let mut files = Vec::with_capacity(sources.len());
    let mut edges: HashMap<&str, Vec<String>> = HashMap::new();
    for source in sources {
        // The plain attempt compiles every file as proto2, which spares the
        // proto3-only rules Confluent does not apply (an enum starting with 0,
        // distinct JSON names).
        let proto3 = source.file.syntax == Some(Syntax::Proto3) && !plain;
        let mut builder = FileBuilder {
            table,
            package: source.file.package.clone().unwrap_or_default(),
            file_name: source.name,
            proto3,
            plain,
            dependencies: Vec::new(),
            dependency_set: HashSet::new(),
        };
        let file = builder.file(source.file);
        let mut uses: Vec<String> = builder
            .dependencies
            .iter()
            .filter(|dependency| names.contains(dependency.as_str()))
            .cloned()
            .collect();
        for import in source
            .file
            .imports
            .iter()
            .chain(&source.file.public_imports)
            .chain(&source.file.weak_imports)
        {
            if names.contains(import.path.as_str()) && !uses.contains(&import.path) {
                uses.push(import.path.clone());
            }
        }
        edges.insert(source.name, uses);
        files.push(file);
    }
    if let Some(cycle) = find_cycle(sources, &edges) {
        return Err(CompileError::Cycle(cycle));
    }
    Ok(files)
}

/// A cycle among the files' imports and type uses, if there is one.
fn find_cycle(sources: &[Source<'_>], edges: &HashMap<&str, Vec<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Visiting,
        Done,
    }
    fn visit<'a>(
        node: &'a str,
        edges: &'a HashMap<&str, Vec<String>>,
        state: &mut HashMap<&'a str, State>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match state.get(node) {
            Some(State::Done) => return None,
            Some(State::Visiting) => {
                let start = path.iter().position(|n| *n == node).unwrap_or(0);
                let mut cycle: Vec<String> =
                    path[start..].iter().map(|n| (*n).to_owned()).collect();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            None => {}
        }
        state.insert(node, State::Visiting);
        path.push(node);
        for next in edges.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, state, path) {
                return Some(cycle);
            }
        }
        path.pop();
        state.insert(node, State::Done);
        None
    }
    let mut state = HashMap::new();
    let mut path = Vec::new();
    sources
        .iter()
        .find_map(|source| visit(source.name, edges, &mut state, &mut path))
}

/// The numbers and names already used in a message.
struct Taken {
    numbers: HashSet<i32>,
    names: HashSet<String>,
    /// `numbers` sorted, once all fields are in.
    sorted: Option<Vec<i32>>,
}

impl Taken {
    /// Whether `field` may be added: a valid number and name not used yet.
    fn accept(&mut self, field: &Field) -> bool {
        if !valid_number(field.tag)
            || self.numbers.contains(&field.tag)
            || self.names.contains(&field.name)
        {
            return false;
        }
        self.numbers.insert(field.tag);
        self.names.insert(field.name.clone());
        true
    }

    fn claim(&mut self, name: &str) -> bool {
        self.names.insert(name.to_owned())
    }

    /// Whether a used number lies in `start..=end`.
    fn any_within(&mut self, start: i32, end: i32) -> bool {
        let sorted = self.sorted.get_or_insert_with(|| {
            let mut numbers: Vec<i32> = self.numbers.iter().copied().collect();
            numbers.sort_unstable();
            numbers
        });
        let first = sorted.partition_point(|n| *n < start);
        sorted.get(first).is_some_and(|n| *n <= end)
    }
}

struct FileBuilder<'a> {
    table: &'a TypeTable,
    package: String,
    file_name: &'a str,
    proto3: bool,
    /// The second attempt: leave out everything optional.
    plain: bool,
    dependencies: Vec<String>,
    dependency_set: HashSet<String>,
}

/// Numbers a field may not use.
fn valid_number(number: i32) -> bool {
    (1..=MAX_TAG_VALUE).contains(&number) && !(19_000..=19_999).contains(&number)
}

impl FileBuilder<'_> {
    fn file(&mut self, file: &ProtoFile) -> FileDescriptorProto {
        let mut scope = Vec::new();
        let mut used_names = HashSet::new();
        let mut message_type = Vec::new();
        let mut enum_type = Vec::new();
        for element in &file.types {
            if !used_names.insert(element.name().to_owned()) {
                continue;
            }
            match element {
                TypeElement::Message(message) => {
                    message_type.push(self.message(message, &mut scope));
                }
                TypeElement::Enum(enumeration) => enum_type.push(self.enumeration(enumeration)),
            }
        }
        for enumeration in &mut enum_type {
            rename_clashing_values(enumeration, |name| used_names.insert(name.to_owned()));
        }
        let service = file
            .services
            .iter()
            .filter(|service| used_names.insert(service.name.clone()))
            .map(|service| self.service(service))
            .collect();
        let extension = if self.plain {
            Vec::new()
        } else {
            self.extends(&file.extends, &scope)
        };
        FileDescriptorProto {
            name: Some(self.file_name.to_owned()),
            package: (!self.package.is_empty()).then(|| self.package.clone()),
            dependency: self.dependencies.clone(),
            message_type,
            enum_type,
            service,
            extension,
            syntax: Some(if self.proto3 { "proto3" } else { "proto2" }.to_owned()),
            ..FileDescriptorProto::default()
        }
    }

    /// The full name (with a leading dot) and kind `name` resolves to from
    /// `scope`; records the defining file as a dependency.
    fn resolve(&mut self, name: &str, scope: &[String]) -> Option<(String, TypeKind)> {
        let full = self.table.resolve(name, &self.package, scope)?;
        let info = self.table.get(&full)?;
        if info.file != self.file_name && self.dependency_set.insert(info.file.clone()) {
            self.dependencies.push(info.file.clone());
        }
        Some((format!(".{full}"), info.kind))
    }

    fn message(&mut self, message: &Message, scope: &mut Vec<String>) -> DescriptorProto {
        scope.push(message.name.clone());
        let mut out = DescriptorProto {
            name: Some(message.name.clone()),
            ..DescriptorProto::default()
        };
        let mut nested_names: HashSet<String> = HashSet::new();
        for nested in &message.nested_types {
            if !nested_names.insert(nested.name().to_owned()) {
                continue;
            }
            match nested {
                TypeElement::Message(nested) => out.nested_type.push(self.message(nested, scope)),
                TypeElement::Enum(nested) => out.enum_type.push(self.enumeration(nested)),
            }
        }
        // Fields, oneofs, nested types and the constants of nested enums share
        // the message's scope; protoc refuses a name used twice in it.
        let mut taken = Taken {
            numbers: HashSet::new(),
            names: nested_names.clone(),
            sorted: None,
        };
        for oneof in &message.oneofs {
            let index = out.oneof_decl.len() as i32;
            let mut fields = Vec::new();
            for field in &oneof.fields {
                if types::map_types(&field.type_name).is_some() || !taken.accept(field) {
                    continue;
                }
                if let Some(mut descriptor) = self.field(field, scope, true) {
                    descriptor.oneof_index = Some(index);
                    fields.push(descriptor);
                }
            }
            if !fields.is_empty() && taken.claim(&oneof.name) {
                out.field.extend(fields);
                out.oneof_decl.push(OneofDescriptorProto {
                    name: Some(oneof.name.clone()),
                    options: None,
                });
            }
        }
        let mut synthetic = Vec::new();
        for field in &message.fields {
            if !taken.accept(field) {
                continue;
            }
            if let Some((key, value)) = types::map_types(&field.type_name) {
                if let Some((descriptor, entry)) =
                    self.map_field(field, key, value, scope, &taken.names)
                {
                    taken.claim(entry.name());
                    out.nested_type.push(entry);
                    out.field.push(descriptor);
                }
                continue;
            }
            let Some(mut descriptor) = self.field(field, scope, false) else {
                continue;
            };
            if descriptor.proto3_optional() {
                synthetic.push(field.name.clone());
                descriptor.oneof_index = Some(-(synthetic.len() as i32));
            }
            out.field.push(descriptor);
        }
        let real_oneofs = out.oneof_decl.len() as i32;
        for descriptor in &mut out.field {
            if let Some(index) = descriptor.oneof_index.filter(|index| *index < 0) {
                descriptor.oneof_index = Some(real_oneofs - index - 1);
            }
        }
        for name in synthetic {
            let mut oneof_name = format!("_{name}");
            while !taken.claim(&oneof_name) {
                oneof_name.insert(0, 'X');
            }
            out.oneof_decl.push(OneofDescriptorProto {
                name: Some(oneof_name),
                options: None,
            });
        }
        if !self.plain {
            for reserved in &message.reserveds {
                for value in &reserved.values {
                    match value {
                        RangeValue::Name(name) if !taken.names.contains(name) => {
                            out.reserved_name.push(name.clone());
                        }
                        RangeValue::Tag(tag) if !taken.numbers.contains(tag) && *tag > 0 => {
                            out.reserved_range.push(ReservedRange {
                                start: Some(*tag),
                                end: Some(tag.saturating_add(1)),
                            });
                        }
                        RangeValue::Range(start, end)
                            if *start > 0 && start <= end && !taken.any_within(*start, *end) =>
                        {
                            out.reserved_range.push(ReservedRange {
                                start: Some(*start),
                                end: Some(end.saturating_add(1)),
                            });
                        }
                        _ => {}
                    }
                }
            }
            for extensions in &message.extensions {
                for value in &extensions.values {
                    let (start, end) = match value {
                        RangeValue::Tag(tag) => (*tag, *tag),
                        RangeValue::Range(start, end) => (*start, *end),
                        RangeValue::Name(_) => continue,
                    };
                    let end = end.min(MAX_TAG_VALUE);
                    if start > 0 && start <= end && !taken.any_within(start, end) {
                        out.extension_range.push(ExtensionRange {
                            start: Some(start),
                            end: Some(end + 1),
                            options: None,
                        });
                    }
                }
            }
            out.extension = self.extends(&message.extends, scope);
        }
        for enumeration in &mut out.enum_type {
            rename_clashing_values(enumeration, |name| taken.claim(name));
        }
        distinct_json_names(&mut out.field);
        let deprecated =
            find_option(&message.options, "deprecated").map(|value| value.plain_text() == "true");
        let map_entry =
            (!self.plain && option_is_true(&message.options, "map_entry")).then_some(true);
        if deprecated.is_some() || map_entry.is_some() {
            out.options = Some(MessageOptions {
                deprecated,
                map_entry,
                ..MessageOptions::default()
            });
        }
        scope.pop();
        out
    }

    fn label(&self, field: &Field) -> (ProtoLabel, bool) {
        match field.label {
            Some(Label::Repeated) => (ProtoLabel::Repeated, false),
            Some(Label::Required) if !self.proto3 => (ProtoLabel::Required, false),
            Some(Label::Optional) if self.proto3 => (ProtoLabel::Optional, true),
            _ => (ProtoLabel::Optional, false),
        }
    }

    fn field(
        &mut self,
        field: &Field,
        scope: &[String],
        in_oneof: bool,
    ) -> Option<FieldDescriptorProto> {
        let (label, proto3_optional) = if in_oneof {
            (ProtoLabel::Optional, false)
        } else {
            self.label(field)
        };
        let mut out = FieldDescriptorProto {
            name: Some(field.name.clone()),
            number: Some(field.tag),
            ..FieldDescriptorProto::default()
        };
        out.set_label(label);
        if proto3_optional {
            out.proto3_optional = Some(true);
        }
        let mut enum_type = None;
        match scalar_type(&field.type_name) {
            Some(kind) => out.set_type(kind),
            None => {
                let (full, kind) = self.resolve(&field.type_name, scope)?;
                match kind {
                    TypeKind::Message => out.set_type(Type::Message),
                    TypeKind::Enum => {
                        out.set_type(Type::Enum);
                        enum_type = Some(full.clone());
                    }
                }
                out.type_name = Some(full);
            }
        }
        if !self.plain {
            if let Some(default) = &field.default_value {
                if !self.proto3 && label != ProtoLabel::Repeated {
                    let values = enum_type
                        .as_deref()
                        .and_then(|name| self.table.get(name))
                        .map(|info| &info.values);
                    out.default_value = valid_default(out.r#type(), default, values);
                }
            }
            out.json_name = field.json_name.clone();
        }
        let deprecated =
            find_option(&field.options, "deprecated").map(|value| value.plain_text() == "true");
        let packable = label == ProtoLabel::Repeated
            && !matches!(
                out.r#type(),
                Type::String | Type::Bytes | Type::Message | Type::Group
            );
        let packed = find_option(&field.options, "packed")
            .filter(|_| packable)
            .map(|value| value.plain_text() == "true");
        if deprecated.is_some() || packed.is_some() {
            out.options = Some(FieldOptions {
                deprecated,
                packed,
                ..FieldOptions::default()
            });
        }
        Some(out)
    }

    /// A `map<K, V>` field and its synthesized entry message, named as protoc
    /// names it.
    fn map_field(
        &mut self,
        field: &Field,
        key: &str,
        value: &str,
        scope: &[String],
        taken: &HashSet<String>,
    ) -> Option<(FieldDescriptorProto, DescriptorProto)> {
        let key_type = scalar_type(key)
            .filter(|kind| !matches!(kind, Type::Float | Type::Double | Type::Bytes))?;
        let entry_name = protoc_map_entry_name(&field.name);
        if taken.contains(&entry_name) {
            return None;
        }
        let mut key_field = FieldDescriptorProto {
            name: Some("key".to_owned()),
            number: Some(1),
            ..FieldDescriptorProto::default()
        };
        key_field.set_label(ProtoLabel::Optional);
        key_field.set_type(key_type);
        let mut value_field = FieldDescriptorProto {
            name: Some("value".to_owned()),
            number: Some(2),
            ..FieldDescriptorProto::default()
        };
        value_field.set_label(ProtoLabel::Optional);
        match scalar_type(value) {
            Some(kind) => value_field.set_type(kind),
            None => {
                let (full, kind) = self.resolve(value, scope)?;
                value_field.set_type(match kind {
                    TypeKind::Message => Type::Message,
                    TypeKind::Enum => Type::Enum,
                });
                value_field.type_name = Some(full);
            }
        }
        let entry = DescriptorProto {
            name: Some(entry_name.clone()),
            field: vec![key_field, value_field],
            options: Some(MessageOptions {
                map_entry: Some(true),
                ..MessageOptions::default()
            }),
            ..DescriptorProto::default()
        };
        let mut full_name: Vec<&str> = Vec::new();
        if !self.package.is_empty() {
            full_name.push(&self.package);
        }
        full_name.extend(scope.iter().map(String::as_str));
        full_name.push(&entry_name);
        let mut out = FieldDescriptorProto {
            name: Some(field.name.clone()),
            number: Some(field.tag),
            type_name: Some(format!(".{}", full_name.join("."))),
            json_name: if self.plain {
                None
            } else {
                field.json_name.clone()
            },
            ..FieldDescriptorProto::default()
        };
        out.set_label(ProtoLabel::Repeated);
        out.set_type(Type::Message);
        Some((out, entry))
    }

    fn extends(&mut self, extends: &[Extend], scope: &[String]) -> Vec<FieldDescriptorProto> {
        let mut out = Vec::new();
        for extend in extends {
            let Some((extendee, TypeKind::Message)) = self.resolve(&extend.name, scope) else {
                continue;
            };
            for field in &extend.fields {
                if !valid_number(field.tag) || types::map_types(&field.type_name).is_some() {
                    continue;
                }
                if let Some(mut descriptor) = self.field(field, scope, false) {
                    descriptor.extendee = Some(extendee.clone());
                    descriptor.proto3_optional = None;
                    descriptor.json_name = None;
                    out.push(descriptor);
                }
            }
        }
        out
    }

    fn enumeration(&mut self, enumeration: &Enum) -> EnumDescriptorProto {
        let mut numbers = HashSet::new();
        let mut names = HashSet::new();
        let mut aliased = false;
        let mut zero_seen = false;
        let mut value = Vec::new();
        for constant in &enumeration.constants {
            if !names.insert(constant.name.clone()) {
                continue;
            }
            aliased |= !numbers.insert(constant.tag);
            let deprecated = find_option(&constant.options, "deprecated")
                .map(|value| value.plain_text() == "true");
            let descriptor = EnumValueDescriptorProto {
                name: Some(constant.name.clone()),
                number: Some(constant.tag),
                options: deprecated.map(|deprecated| EnumValueOptions {
                    deprecated: Some(deprecated),
                    ..EnumValueOptions::default()
                }),
            };
            // The first zero goes first, where proto3 wants it.
            if constant.tag == 0 && !zero_seen {
                zero_seen = true;
                value.insert(0, descriptor);
            } else {
                value.push(descriptor);
            }
        }
        let mut reserved_range = Vec::new();
        let mut reserved_name = Vec::new();
        let mut sorted: Vec<i32> = numbers.iter().copied().collect();
        sorted.sort_unstable();
        let any_within = |start: i32, end: i32| {
            sorted
                .get(sorted.partition_point(|n| *n < start))
                .is_some_and(|n| *n <= end)
        };
        if !self.plain {
            for reserved in &enumeration.reserveds {
                for range in &reserved.values {
                    match range {
                        RangeValue::Name(name) if !names.contains(name) => {
                            reserved_name.push(name.clone());
                        }
                        RangeValue::Tag(tag) if !numbers.contains(tag) => {
                            reserved_range.push(EnumReservedRange {
                                start: Some(*tag),
                                end: Some(*tag),
                            });
                        }
                        RangeValue::Range(start, end)
                            if start <= end && !any_within(*start, *end) =>
                        {
                            reserved_range.push(EnumReservedRange {
                                start: Some(*start),
                                end: Some(*end),
                            });
                        }
                        _ => {}
                    }
                }
            }
        }
        // Confluent accepts aliases without `allow_alias`; protoc does not.
        let allow_alias = aliased.then_some(true);
        let deprecated = find_option(&enumeration.options, "deprecated")
            .map(|value| value.plain_text() == "true");
        EnumDescriptorProto {
            name: Some(enumeration.name.clone()),
            value,
            options: (allow_alias.is_some() || deprecated.is_some()).then(|| EnumOptions {
                allow_alias,
                deprecated,
                ..EnumOptions::default()
            }),
            reserved_range,
            reserved_name,
        }
    }

    fn service(&mut self, service: &Service) -> ServiceDescriptorProto {
        let scope: Vec<String> = Vec::new();
        let mut names = HashSet::new();
        let mut method = Vec::new();
        for rpc in &service.rpcs {
            if !names.insert(rpc.name.clone()) {
                continue;
            }
            let (Some((input, TypeKind::Message)), Some((output, TypeKind::Message))) = (
                self.resolve(&rpc.request_type, &scope),
                self.resolve(&rpc.response_type, &scope),
            ) else {
                continue;
            };
            let deprecated =
                find_option(&rpc.options, "deprecated").map(|value| value.plain_text() == "true");
            method.push(MethodDescriptorProto {
                name: Some(rpc.name.clone()),
                input_type: Some(input),
                output_type: Some(output),
                options: deprecated.map(|deprecated| MethodOptions {
                    deprecated: Some(deprecated),
                    ..MethodOptions::default()
                }),
                client_streaming: Some(rpc.request_streaming),
                server_streaming: Some(rpc.response_streaming),
            });
        }
        let deprecated =
            find_option(&service.options, "deprecated").map(|value| value.plain_text() == "true");
        ServiceDescriptorProto {
            name: Some(service.name.clone()),
            method,
            options: deprecated.map(|deprecated| ServiceOptions {
                deprecated: Some(deprecated),
                ..ServiceOptions::default()
            }),
        }
    }
}

/// Enum constants belong to the enclosing scope, where protoc refuses a
/// name used twice (two enums with `UNKNOWN = 0`, say); Confluent accepts
/// it. A clashing constant is renamed `<ENUM>_<CONSTANT>` here.
fn rename_clashing_values(
    enumeration: &mut EnumDescriptorProto,
    mut claim: impl FnMut(&str) -> bool,
) {
    let enum_name = enumeration.name().to_owned();
    for value in &mut enumeration.value {
        if claim(value.name()) {
            continue;
        }
        let mut name = format!("{enum_name}_{}", value.name());
        while !claim(&name) {
            name.push('_');
        }
        value.name = Some(name);
    }
}

/// protoc refuses two fields with the same JSON name (by default the name in
/// lower camel case: `foo_bar` and `fooBar`); Confluent does not. A later
/// clashing field gets its own name as JSON name.
fn distinct_json_names(fields: &mut [FieldDescriptorProto]) {
    let mut seen: HashSet<String> = HashSet::new();
    for field in fields {
        let json = field
            .json_name
            .clone()
            .unwrap_or_else(|| default_json_name(field.name()));
        if seen.insert(json) {
            continue;
        }
        let mut json = field.name().to_owned();
        while !seen.insert(json.clone()) {
            json.push('_');
        }
        field.json_name = Some(json);
    }
}

/// protoc's default JSON name: underscores dropped, the letter after one
/// upper-cased.
fn default_json_name(name: &str) -> String {
    camel_case(name, false)
}

/// `name` without its underscores, the letter after one upper-cased, and the
/// first letter too if `upper_first`.
fn camel_case(name: &str, upper_first: bool) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = upper_first;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

fn scalar_type(name: &str) -> Option<Type> {
    Some(match name {
        "double" => Type::Double,
        "float" => Type::Float,
        "int64" => Type::Int64,
        "uint64" => Type::Uint64,
        "int32" => Type::Int32,
        "fixed64" => Type::Fixed64,
        "fixed32" => Type::Fixed32,
        "bool" => Type::Bool,
        "string" => Type::String,
        "bytes" => Type::Bytes,
        "uint32" => Type::Uint32,
        "sfixed32" => Type::Sfixed32,
        "sfixed64" => Type::Sfixed64,
        "sint32" => Type::Sint32,
        "sint64" => Type::Sint64,
        _ => return None,
    })
}

/// A default protoc would accept for a field of `kind`, in descriptor form.
fn valid_default(kind: Type, value: &str, enum_values: Option<&HashSet<String>>) -> Option<String> {
    let integer = |value: &str| -> Option<i128> {
        let (negative, digits) = match value.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, value),
        };
        let magnitude = if let Some(hex) = digits
            .strip_prefix("0x")
            .or_else(|| digits.strip_prefix("0X"))
        {
            i128::from_str_radix(hex, 16).ok()?
        } else if digits.len() > 1 && digits.starts_with('0') {
            i128::from_str_radix(&digits[1..], 8).ok()?
        } else {
            digits.parse().ok()?
        };
        Some(if negative { -magnitude } else { magnitude })
    };
    let in_range = |min: i128, max: i128| {
        integer(value)
            .filter(|v| (min..=max).contains(v))
            .map(|v| v.to_string())
    };
    match kind {
        Type::Int32 | Type::Sint32 | Type::Sfixed32 => {
            in_range(i128::from(i32::MIN), i128::from(i32::MAX))
        }
        Type::Int64 | Type::Sint64 | Type::Sfixed64 => {
            in_range(i128::from(i64::MIN), i128::from(i64::MAX))
        }
        Type::Uint32 | Type::Fixed32 => in_range(0, i128::from(u32::MAX)),
        Type::Uint64 | Type::Fixed64 => in_range(0, i128::from(u64::MAX)),
        Type::Float | Type::Double => match value {
            "inf" | "-inf" | "nan" => Some(value.to_owned()),
            _ => value.parse::<f64>().ok().map(|_| value.to_owned()),
        },
        Type::Bool => matches!(value, "true" | "false").then(|| value.to_owned()),
        Type::String => Some(value.to_owned()),
        Type::Bytes => Some(
            value
                .chars()
                .flat_map(|c| match c {
                    '\\' => "\\\\".chars().collect::<Vec<_>>(),
                    c if (' '..='~').contains(&c) => vec![c],
                    c => {
                        let mut buffer = [0; 4];
                        c.encode_utf8(&mut buffer)
                            .bytes()
                            .flat_map(|b| format!("\\{b:03o}").chars().collect::<Vec<_>>())
                            .collect()
                    }
                })
                .collect(),
        ),
        Type::Enum => enum_values
            .filter(|values| values.contains(value))
            .map(|_| value.to_owned()),
        Type::Message | Type::Group => None,
    }
}

/// protoc's name for the entry message of map field `field`.
fn protoc_map_entry_name(field: &str) -> String {
    camel_case(field, true) + "Entry"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_entries_are_named_as_protoc_names_them() {
        assert_eq!(protoc_map_entry_name("my_map"), "MyMapEntry");
        assert_eq!(protoc_map_entry_name("c"), "CEntry");
        assert_eq!(protoc_map_entry_name("fooBar"), "FooBarEntry");
    }
}
