//! The `FileDescriptorProto` Confluent returns for `format=serialized`, byte
//! for byte: built from the parsed file as Confluent's `toDynamicSchema` does
//! (file name `default`, type names as written, oneof fields first, map entry
//! messages after the declared nested types, a synthetic oneof for each proto3
//! `optional` field, imports kept only when some reference or built-in file
//! provides them), and written in field-number order as protobuf-java writes.

use std::collections::HashMap;

use super::ast::*;
use super::print::distinct;
use super::types::{self, TypeKind, TypeTable};

/// Confluent's `Meta` extension number on every options message.
const META_EXTENSION: u32 = 1088;

pub fn serialize(file: &ProtoFile, table: &TypeTable, available: &dyn Fn(&str) -> bool) -> Vec<u8> {
    let builder = Builder {
        table,
        package: file.package.clone().unwrap_or_default(),
        proto3: file.syntax == Some(Syntax::Proto3),
    };
    builder.file(file, available).encode()
}

/// A protobuf message under construction; fields are written sorted by
/// number, repeated ones in the order added.
#[derive(Default)]
struct Wire {
    fields: Vec<(u32, Value)>,
}

enum Value {
    Varint(u64),
    Bytes(Vec<u8>),
    Message(Wire),
}

impl Wire {
    fn string(&mut self, number: u32, value: &str) {
        self.fields
            .push((number, Value::Bytes(value.as_bytes().to_vec())));
    }

    fn int(&mut self, number: u32, value: i32) {
        // int32 is sign-extended to 64 bits on the wire.
        self.fields
            .push((number, Value::Varint(i64::from(value) as u64)));
    }

    fn boolean(&mut self, number: u32, value: bool) {
        self.fields.push((number, Value::Varint(u64::from(value))));
    }

    fn message(&mut self, number: u32, value: Wire) {
        self.fields.push((number, Value::Message(value)));
    }

    fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    fn encode(mut self) -> Vec<u8> {
        self.fields.sort_by_key(|(number, _)| *number);
        let mut out = Vec::new();
        for (number, value) in self.fields {
            match value {
                Value::Varint(value) => {
                    varint(&mut out, u64::from(number) << 3);
                    varint(&mut out, value);
                }
                Value::Bytes(bytes) => {
                    varint(&mut out, (u64::from(number) << 3) | 2);
                    varint(&mut out, bytes.len() as u64);
                    out.extend(bytes);
                }
                Value::Message(message) => {
                    let bytes = message.encode();
                    varint(&mut out, (u64::from(number) << 3) | 2);
                    varint(&mut out, bytes.len() as u64);
                    out.extend(bytes);
                }
            }
        }
        out
    }
}

fn varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// Options by name as Confluent merges them (`mergeOptions`): the last one
/// set wins, parentheses and a leading dot do not matter.
fn find<'a>(options: &'a [OptionElement], name: &str) -> Option<&'a OptionValue> {
    find_option(options, name)
}

fn find_bool(options: &[OptionElement], name: &str) -> Option<bool> {
    find(options, name).map(|value| value.plain_text().eq_ignore_ascii_case("true"))
}

fn find_string(options: &[OptionElement], name: &str) -> Option<String> {
    find(options, name).map(OptionValue::plain_text)
}

struct Builder<'a> {
    table: &'a TypeTable,
    package: String,
    proto3: bool,
}

impl Builder<'_> {
    fn file(&self, file: &ProtoFile, available: &dyn Fn(&str) -> bool) -> Wire {
        let mut out = Wire::default();
        out.string(1, "default");
        if let Some(package) = &file.package {
            out.string(2, package);
        }
        let mut dependencies: Vec<&str> = Vec::new();
        let mut positions: HashMap<&str, usize> = HashMap::new();
        for import in &file.imports {
            if available(&import.path) && !positions.contains_key(import.path.as_str()) {
                positions.insert(&import.path, dependencies.len());
                dependencies.push(&import.path);
            }
        }
        let mut public = Vec::new();
        for import in &file.public_imports {
            if available(&import.path) {
                let index = *positions.entry(&import.path).or_insert_with(|| {
                    dependencies.push(&import.path);
                    dependencies.len() - 1
                });
                public.push(index as i32);
            }
        }
        for dependency in dependencies {
            out.string(3, dependency);
        }
        for index in public {
            out.int(10, index);
        }
        let mut scope = Vec::new();
        for element in &file.types {
            match element {
                TypeElement::Message(message) => out.message(4, self.message(message, &mut scope)),
                TypeElement::Enum(enumeration) => out.message(5, self.enumeration(enumeration)),
            }
        }
        for service in &file.services {
            out.message(6, self.service(service));
        }
        for extend in &file.extends {
            for field in &extend.fields {
                out.message(7, self.extension(extend, field, &scope));
            }
        }
        let options = self.file_options(&file.options);
        if !options.is_empty() {
            out.message(8, options);
        }
        if let Some(syntax) = file.syntax {
            out.string(12, syntax.as_str());
        }
        out
    }

    fn file_options(&self, options: &[OptionElement]) -> Wire {
        let mut out = Wire::default();
        for (name, number) in [
            ("java_package", 1),
            ("java_outer_classname", 8),
            ("go_package", 11),
            ("objc_class_prefix", 36),
            ("csharp_namespace", 37),
            ("swift_prefix", 39),
            ("php_class_prefix", 40),
            ("php_namespace", 41),
            ("php_metadata_namespace", 44),
            ("ruby_package", 45),
        ] {
            if let Some(value) = find_string(options, name) {
                out.string(number, &value);
            }
        }
        for (name, number) in [
            ("java_multiple_files", 10),
            ("java_generate_equals_and_hash", 20),
            ("java_string_check_utf8", 27),
            ("cc_generic_services", 16),
            ("java_generic_services", 17),
            ("py_generic_services", 18),
            ("php_generic_services", 42),
            ("deprecated", 23),
            ("cc_enable_arenas", 31),
        ] {
            if let Some(value) = find_bool(options, name) {
                out.boolean(number, value);
            }
        }
        if let Some(mode) = find_string(options, "optimize_for") {
            let value = match mode.as_str() {
                "SPEED" => Some(1),
                "CODE_SIZE" => Some(2),
                "LITE_RUNTIME" => Some(3),
                _ => None,
            };
            if let Some(value) = value {
                out.int(9, value);
            }
        }
        self.meta(&mut out, options, "confluent.file_meta");
        out
    }

    fn message(&self, message: &Message, scope: &mut Vec<String>) -> Wire {
        scope.push(message.name.clone());
        let mut out = Wire::default();
        out.string(1, &message.name);
        for nested in &message.nested_types {
            match nested {
                TypeElement::Message(nested) => out.message(3, self.message(nested, scope)),
                TypeElement::Enum(nested) => out.message(4, self.enumeration(nested)),
            }
        }
        let mut oneof_index = 0;
        for oneof in &message.oneofs {
            let mut decl = Wire::default();
            decl.string(1, &oneof.name);
            decl.message(2, Wire::default());
            out.message(8, decl);
            for field in &oneof.fields {
                let mut wire = self.field_core(field, Some(1), &field.type_name, scope);
                wire.int(9, oneof_index);
                self.field_options(&mut wire, field, false);
                out.message(2, wire);
            }
            oneof_index += 1;
        }
        for field in &message.fields {
            let mut label = field.label.map(label_number);
            let mut type_name = field.type_name.clone();
            if let Some((key, value)) = types::map_types(&field.type_name) {
                label = Some(3);
                type_name = map_entry_name(&field.name);
                let mut entry = Wire::default();
                entry.string(1, &type_name);
                for (name, number, field_type) in [("key", 1, key), ("value", 2, value)] {
                    let mut wire = Wire::default();
                    wire.string(1, name);
                    wire.int(3, number);
                    self.set_type(&mut wire, field_type, scope);
                    entry.message(2, wire);
                }
                let mut options = Wire::default();
                options.boolean(7, true);
                entry.message(7, options);
                out.message(3, entry);
            }
            if field.label == Some(Label::Optional) && self.proto3 {
                let mut decl = Wire::default();
                decl.string(1, &format!("_{}", field.name));
                decl.message(2, Wire::default());
                out.message(8, decl);
                let mut wire = self.field_core(field, Some(1), &type_name, scope);
                wire.boolean(17, true);
                wire.int(9, oneof_index);
                oneof_index += 1;
                self.field_options(&mut wire, field, false);
                out.message(2, wire);
            } else {
                let mut wire = self.field_core(field, label, &type_name, scope);
                self.field_options(&mut wire, field, true);
                out.message(2, wire);
            }
        }
        for reserved in &message.reserveds {
            for value in &reserved.values {
                match value {
                    RangeValue::Name(name) => out.string(10, name),
                    RangeValue::Tag(tag) => out.message(9, range(*tag, tag.wrapping_add(1), None)),
                    RangeValue::Range(start, end) => {
                        out.message(9, range(*start, end.wrapping_add(1), None));
                    }
                }
            }
        }
        for extensions in &message.extensions {
            for value in &extensions.values {
                match value {
                    RangeValue::Tag(tag) => {
                        out.message(5, range(*tag, tag.wrapping_add(1), Some(Wire::default())));
                    }
                    RangeValue::Range(start, end) => {
                        out.message(5, range(*start, end.wrapping_add(1), Some(Wire::default())));
                    }
                    RangeValue::Name(_) => {}
                }
            }
        }
        for extend in &message.extends {
            for field in &extend.fields {
                out.message(6, self.extension(extend, field, scope));
            }
        }
        let mut options = Wire::default();
        if let Some(value) = find_bool(&message.options, "no_standard_descriptor_accessor") {
            options.boolean(2, value);
        }
        if let Some(value) = find_bool(&message.options, "deprecated") {
            options.boolean(3, value);
        }
        if let Some(value) = find_bool(&message.options, "map_entry") {
            options.boolean(7, value);
        }
        self.meta(&mut options, &message.options, "confluent.message_meta");
        if !options.is_empty() {
            out.message(7, options);
        }
        scope.pop();
        out
    }

    /// Name, number, label and type of a field.
    fn field_core(
        &self,
        field: &Field,
        label: Option<i32>,
        type_name: &str,
        scope: &[String],
    ) -> Wire {
        let mut out = Wire::default();
        out.string(1, &field.name);
        out.int(3, field.tag);
        if let Some(label) = label {
            out.int(4, label);
        }
        self.set_type(&mut out, type_name, scope);
        if let Some(default) = &field.default_value {
            out.string(7, default);
        }
        if let Some(json_name) = &field.json_name {
            out.string(10, json_name);
        }
        out
    }

    fn extension(&self, extend: &Extend, field: &Field, scope: &[String]) -> Wire {
        let mut out = self.field_core(
            field,
            field.label.map(label_number),
            &field.type_name,
            scope,
        );
        out.string(2, &extend.name);
        self.field_options(&mut out, field, true);
        out
    }

    /// A scalar's type, or the name as written with the kind it resolves to.
    fn set_type(&self, out: &mut Wire, type_name: &str, scope: &[String]) {
        if let Some(number) = scalar_type_number(type_name) {
            out.int(5, number);
            return;
        }
        out.string(6, type_name);
        let kind = self
            .table
            .resolve(type_name, &self.package, scope)
            .and_then(|full| self.table.get(&full).map(|info| info.kind));
        match kind {
            Some(TypeKind::Message) => out.int(5, 11),
            Some(TypeKind::Enum) => out.int(5, 14),
            None => {}
        }
    }

    fn field_options(&self, out: &mut Wire, field: &Field, packed_allowed: bool) {
        let mut options = Wire::default();
        if let Some(ctype) = find_string(&field.options, "ctype") {
            if let Some(value) = enum_number(&ctype, &["STRING", "CORD", "STRING_PIECE"]) {
                options.int(1, value);
            }
        }
        if packed_allowed {
            if let Some(packed) = find_bool(&field.options, "packed") {
                options.boolean(2, packed);
            }
        }
        if let Some(jstype) = find_string(&field.options, "jstype") {
            if let Some(value) = enum_number(&jstype, &["JS_NORMAL", "JS_STRING", "JS_NUMBER"]) {
                options.int(6, value);
            }
        }
        if let Some(deprecated) = find_bool(&field.options, "deprecated") {
            options.boolean(3, deprecated);
        }
        self.meta(&mut options, &field.options, "confluent.field_meta");
        if !options.is_empty() {
            out.message(8, options);
        }
    }

    fn enumeration(&self, enumeration: &Enum) -> Wire {
        let mut out = Wire::default();
        out.string(1, &enumeration.name);
        for constant in &enumeration.constants {
            let mut value = Wire::default();
            value.string(1, &constant.name);
            value.int(2, constant.tag);
            let mut options = Wire::default();
            if let Some(deprecated) = find_bool(&constant.options, "deprecated") {
                options.boolean(1, deprecated);
            }
            self.meta(&mut options, &constant.options, "confluent.enum_value_meta");
            if !options.is_empty() {
                value.message(3, options);
            }
            out.message(2, value);
        }
        let mut options = Wire::default();
        if let Some(value) = find_bool(&enumeration.options, "allow_alias") {
            options.boolean(2, value);
        }
        if let Some(value) = find_bool(&enumeration.options, "deprecated") {
            options.boolean(3, value);
        }
        self.meta(&mut options, &enumeration.options, "confluent.enum_meta");
        if !options.is_empty() {
            out.message(3, options);
        }
        for reserved in &enumeration.reserveds {
            for value in &reserved.values {
                match value {
                    RangeValue::Name(name) => out.string(5, name),
                    RangeValue::Tag(tag) => out.message(4, range(*tag, *tag, None)),
                    RangeValue::Range(start, end) => out.message(4, range(*start, *end, None)),
                }
            }
        }
        out
    }

    fn service(&self, service: &Service) -> Wire {
        let mut out = Wire::default();
        out.string(1, &service.name);
        for rpc in &service.rpcs {
            let mut method = Wire::default();
            method.string(1, &rpc.name);
            method.string(2, &rpc.request_type);
            method.string(3, &rpc.response_type);
            let mut options = Wire::default();
            if let Some(deprecated) = find_bool(&rpc.options, "deprecated") {
                options.boolean(33, deprecated);
            }
            if let Some(level) = find_string(&rpc.options, "idempotency_level") {
                if let Some(value) = enum_number(
                    &level,
                    &["IDEMPOTENCY_UNKNOWN", "NO_SIDE_EFFECTS", "IDEMPOTENT"],
                ) {
                    options.int(34, value);
                }
            }
            if !options.is_empty() {
                method.message(4, options);
            }
            method.boolean(5, rpc.request_streaming);
            method.boolean(6, rpc.response_streaming);
            out.message(2, method);
        }
        if let Some(deprecated) = find_bool(&service.options, "deprecated") {
            let mut options = Wire::default();
            options.boolean(33, deprecated);
            out.message(3, options);
        }
        out
    }

    /// Confluent's `Meta` (doc, params, tags) from a `(confluent.*_meta)`
    /// option, set as extension 1088 of the options message.
    fn meta(&self, out: &mut Wire, options: &[OptionElement], name: &str) {
        let Some(value) = merged_meta(options, name) else {
            return;
        };
        let field = |key: &str| match &value {
            OptionValue::Map(entries) => entries
                .iter()
                .find(|(entry, _)| entry == key)
                .map(|(_, value)| value.clone()),
            _ => None,
        };
        let mut meta = Wire::default();
        if let Some(doc) = field("doc")
            .map(|doc| doc.plain_text())
            .filter(|d| !d.is_empty())
        {
            meta.string(1, &doc);
        }
        let mut params = Params::default();
        match field("params") {
            Some(OptionValue::Map(entries)) => {
                for (key, value) in entries {
                    params.put(key, value.plain_text());
                }
            }
            Some(OptionValue::List(items)) => {
                for item in items {
                    if let OptionValue::Map(entries) = item {
                        let get = |name: &str| {
                            entries
                                .iter()
                                .find(|(key, _)| key == name)
                                .map(|(_, value)| value.plain_text())
                                .unwrap_or_default()
                        };
                        params.put(get("key"), get("value"));
                    }
                }
            }
            _ => {}
        }
        for (key, value) in params.entries {
            let mut entry = Wire::default();
            entry.string(1, &key);
            entry.string(2, &value);
            meta.message(2, entry);
        }
        match field("tags") {
            Some(OptionValue::List(items)) => {
                for item in items {
                    meta.string(3, &item.plain_text());
                }
            }
            Some(other) => meta.string(3, &other.plain_text()),
            None => {}
        }
        if !meta.is_empty() {
            out.message(META_EXTENSION, meta);
        }
    }
}

/// `Meta.params`: a Java `LinkedHashMap`, the last value of a key wins.
#[derive(Default)]
struct Params {
    entries: Vec<(String, String)>,
    positions: HashMap<String, usize>,
}

impl Params {
    fn put(&mut self, key: String, value: String) {
        match self.positions.get(&key) {
            Some(&position) => self.entries[position].1 = value,
            None => {
                self.positions.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }
}

/// The value of a Confluent meta option, `(name).field = v` forms merged in.
fn merged_meta(options: &[OptionElement], name: &str) -> Option<OptionValue> {
    let mut merged: Option<Vec<(String, OptionValue)>> = None;
    let mut positions: HashMap<String, usize> = HashMap::new();
    for option in options {
        if option.name.trim_start_matches('.') != name {
            continue;
        }
        let entries = match &option.value {
            OptionValue::Map(entries) => entries.clone(),
            OptionValue::Option(inner) => vec![(inner.name.clone(), inner.value.clone())],
            _ => continue,
        };
        let target = merged.get_or_insert_with(Vec::new);
        for (key, value) in entries {
            match positions.get(&key) {
                Some(&position) => {
                    let current = &mut target[position].1;
                    let mut items = match std::mem::replace(current, OptionValue::List(Vec::new()))
                    {
                        OptionValue::List(items) => items,
                        other => vec![other],
                    };
                    match value {
                        OptionValue::List(more) => items.extend(more),
                        other => items.push(other),
                    }
                    *current = OptionValue::List(distinct(items));
                }
                None => {
                    positions.insert(key.clone(), target.len());
                    target.push((key, value));
                }
            }
        }
    }
    merged.map(OptionValue::Map)
}

fn range(start: i32, end: i32, options: Option<Wire>) -> Wire {
    let mut out = Wire::default();
    out.int(1, start);
    out.int(2, end);
    if let Some(options) = options {
        out.message(3, options);
    }
    out
}

fn label_number(label: Label) -> i32 {
    match label {
        Label::Optional => 1,
        Label::Required => 2,
        Label::Repeated => 3,
    }
}

fn enum_number(name: &str, names: &[&str]) -> Option<i32> {
    names.iter().position(|n| *n == name).map(|i| i as i32)
}

fn scalar_type_number(type_name: &str) -> Option<i32> {
    Some(match type_name {
        "double" => 1,
        "float" => 2,
        "int64" => 3,
        "uint64" => 4,
        "int32" => 5,
        "fixed64" => 6,
        "fixed32" => 7,
        "bool" => 8,
        "string" => 9,
        "bytes" => 12,
        "uint32" => 13,
        "sfixed32" => 15,
        "sfixed64" => 16,
        "sint32" => 17,
        "sint64" => 18,
        _ => return None,
    })
}

/// Confluent's `toMapEntry`: a name with underscores goes from lower
/// underscore to upper camel case (Guava), then `Entry` is appended.
pub fn map_entry_name(field: &str) -> String {
    if !field.contains('_') {
        return format!("{field}Entry");
    }
    let mut out = String::new();
    for word in field.split('_') {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    out.push_str("Entry");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_entry_names_follow_guava() {
        assert_eq!(map_entry_name("c"), "cEntry");
        assert_eq!(map_entry_name("myMap"), "myMapEntry");
        assert_eq!(map_entry_name("my_map"), "MyMapEntry");
        assert_eq!(map_entry_name("my_URL_map"), "MyUrlMapEntry");
    }

    #[test]
    fn varints_and_negative_ints() {
        let mut wire = Wire::default();
        wire.int(3, -1);
        wire.int(1, 300);
        assert_eq!(
            wire.encode(),
            vec![
                0x08, 0xac, 0x02, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
            ]
        );
    }
}
