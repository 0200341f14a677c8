//! Prints a parsed file as Confluent Schema Registry does
//! (`ProtobufSchemaUtils.toString` / `toFormattedString`): the canonical text,
//! the normalized text (`normalize=true`) and the text without extensions
//! (`format=ignore_extensions`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;

use super::ast::*;
use super::parse::MAX_TAG_VALUE;
use super::types::{self, TypeTable};
use crate::jackson::java_string_order;

#[derive(Clone, Copy, Debug, Default)]
pub struct Mode {
    pub normalize: bool,
    pub ignore_extensions: bool,
}

/// A type name the normalized form needed but could not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub type_name: String,
    /// What refers to it, e.g. ``field `Order.customer` ``.
    pub used_by: String,
    pub location: Location,
}

pub fn print(
    file: &ProtoFile,
    mode: Mode,
    table: &TypeTable,
) -> std::result::Result<String, Unresolved> {
    let mut printer = Printer {
        mode,
        table,
        package: file.package.clone().unwrap_or_default(),
        scope: Vec::new(),
    };
    printer.file(file)
}

/// One field as the canonical text writes it, e.g. `int32 qty = 2;` or
/// `string a = 1 [deprecated = true];` (several options span lines).
pub fn field_declaration(field: &Field) -> String {
    let table = TypeTable::default();
    let mut printer = Printer {
        mode: Mode::default(),
        table: &table,
        package: String::new(),
        scope: Vec::new(),
    };
    printer
        .field(field)
        .map(|text| text.trim_end().to_owned())
        .unwrap_or_default()
}

type Result<T> = std::result::Result<T, Unresolved>;

struct Printer<'a> {
    mode: Mode,
    table: &'a TypeTable,
    package: String,
    /// Names of the enclosing messages.
    scope: Vec<String>,
}

impl Printer<'_> {
    fn normalize(&self) -> bool {
        self.mode.normalize
    }

    fn file(&mut self, file: &ProtoFile) -> Result<String> {
        let mut out = String::new();
        if let Some(syntax) = file.syntax {
            // Normalizing leaves out the default `proto2`, unless nothing
            // else is there: an empty text would not parse back.
            let alone = file.package.is_none()
                && file.imports.is_empty()
                && file.public_imports.is_empty()
                && file.options.is_empty()
                && file.types.is_empty();
            if !self.normalize() || syntax == Syntax::Proto3 || alone {
                let _ = writeln!(out, "syntax = \"{}\";", syntax.as_str());
            }
        }
        if let Some(package) = &file.package {
            let _ = writeln!(out, "package {package};");
        }
        if !file.imports.is_empty() || !file.public_imports.is_empty() {
            out.push('\n');
            for path in self.import_paths(&file.imports) {
                let _ = writeln!(out, "import \"{path}\";");
            }
            for path in self.import_paths(&file.public_imports) {
                let _ = writeln!(out, "import public \"{path}\";");
            }
        }
        let options = self.filter_options(&file.options);
        if !options.is_empty() {
            out.push('\n');
            for option in &options {
                out.push_str(&self.option_declaration(option));
            }
        }
        let types = self.filter_types(&file.types);
        if !types.is_empty() {
            out.push('\n');
            out.push_str(&self.types(&types, false)?);
        }
        if !self.mode.ignore_extensions && !file.extends.is_empty() {
            out.push('\n');
            for extend in self.extends(&file.extends)? {
                out.push_str(&self.extend(&extend)?);
            }
        }
        if !file.services.is_empty() {
            out.push('\n');
            for service in &file.services {
                out.push_str(&self.service(service)?);
            }
        }
        Ok(out)
    }

    fn import_paths<'i>(&self, imports: &'i [Import]) -> Vec<&'i str> {
        let mut paths: Vec<&str> = imports.iter().map(|import| import.path.as_str()).collect();
        if self.normalize() {
            paths.sort_unstable();
            paths.dedup();
        }
        paths
    }

    /// Messages first, then enums, each in declaration order (message order
    /// matters: clients derive message indexes from it).
    fn types(&mut self, types: &[&TypeElement], indent: bool) -> Result<String> {
        let mut out = String::new();
        for element in types {
            if let TypeElement::Message(message) = element {
                self.scope.push(message.name.clone());
                let text = self.message(message);
                self.scope.pop();
                push_maybe_indented(&mut out, &text?, indent);
            }
        }
        for element in types {
            if let TypeElement::Enum(enumeration) = element {
                self.scope.push(enumeration.name.clone());
                let text = self.enumeration(enumeration);
                self.scope.pop();
                push_maybe_indented(&mut out, &text, indent);
            }
        }
        Ok(out)
    }

    /// When normalizing, map-entry messages are left out: their fields print
    /// as `map<K, V>`.
    fn filter_types<'t>(&self, types: &'t [TypeElement]) -> Vec<&'t TypeElement> {
        types
            .iter()
            .filter(|element| {
                !self.normalize()
                    || !matches!(element, TypeElement::Message(_))
                    || self
                        .resolve(element.name())
                        .and_then(|full| self.table.get(&full))
                        .is_none_or(|info| info.map_entry.is_none())
            })
            .collect()
    }

    fn resolve(&self, name: &str) -> Option<String> {
        self.table.resolve(name, &self.package, &self.scope)
    }

    /// `.full.Name`, as the normalized form writes type names.
    fn resolve_required(&self, name: &str, used_by: String, location: Location) -> Result<String> {
        match self.resolve(name) {
            Some(full) => Ok(format!(".{full}")),
            None => Err(Unresolved {
                type_name: name.to_owned(),
                used_by,
                location,
            }),
        }
    }

    fn scoped_name(&self, name: &str) -> String {
        let mut parts: Vec<&str> = self.scope.iter().map(String::as_str).collect();
        parts.push(name);
        parts.join(".")
    }

    fn service(&mut self, service: &Service) -> Result<String> {
        let mut out = format!("service {} {{", service.name);
        let options = self.filter_options(&service.options);
        if !options.is_empty() {
            out.push('\n');
            for option in &options {
                append_indented(&mut out, &self.option_declaration(option));
            }
        }
        if !service.rpcs.is_empty() {
            out.push('\n');
            for rpc in &service.rpcs {
                let text = self.rpc(&service.name, rpc)?;
                append_indented(&mut out, &text);
            }
        }
        out.push_str("}\n");
        Ok(out)
    }

    fn rpc(&mut self, service: &str, rpc: &Rpc) -> Result<String> {
        let mut out = format!("rpc {} (", rpc.name);
        if rpc.request_streaming {
            out.push_str("stream ");
        }
        let used_by = || format!("rpc `{service}.{}`", rpc.name);
        if self.normalize() {
            out.push_str(&self.resolve_required(&rpc.request_type, used_by(), rpc.location)?);
        } else {
            out.push_str(&rpc.request_type);
        }
        out.push_str(") returns (");
        if rpc.response_streaming {
            out.push_str("stream ");
        }
        if self.normalize() {
            out.push_str(&self.resolve_required(&rpc.response_type, used_by(), rpc.location)?);
        } else {
            out.push_str(&rpc.response_type);
        }
        out.push(')');
        let options = self.filter_options(&rpc.options);
        if !options.is_empty() {
            out.push_str(" {\n");
            for option in &options {
                append_indented(&mut out, &self.option_declaration(option));
            }
            out.push('}');
        }
        out.push_str(";\n");
        Ok(out)
    }

    fn enumeration(&mut self, enumeration: &Enum) -> String {
        let mut out = format!("enum {} {{", enumeration.name);
        if !enumeration.reserveds.is_empty() {
            out.push('\n');
            for reserved in self.split_ranges(&enumeration.reserveds, true) {
                append_indented(&mut out, &self.ranges("reserved", &reserved));
            }
        }
        if enumeration.reserveds.is_empty()
            && (!enumeration.options.is_empty() || !enumeration.constants.is_empty())
        {
            out.push('\n');
        }
        for option in &self.filter_options(&enumeration.options) {
            append_indented(&mut out, &self.option_declaration(option));
        }
        let mut constants: Vec<&EnumConstant> = enumeration.constants.iter().collect();
        if self.normalize() {
            constants.sort_by(|a, b| a.tag.cmp(&b.tag).then_with(|| a.name.cmp(&b.name)));
        }
        for constant in constants {
            let mut line = format!("{} = {}", constant.name, constant.tag);
            let options = self.filter_options(&constant.options);
            if !options.is_empty() {
                line.push(' ');
                let items: Vec<Item> = options.iter().map(Item::Option).collect();
                self.append_options(&mut line, &items);
            }
            line.push_str(";\n");
            append_indented(&mut out, &line);
        }
        out.push_str("}\n");
        out
    }

    fn message(&mut self, message: &Message) -> Result<String> {
        let mut out = format!("message {} {{", message.name);
        if !message.reserveds.is_empty() {
            out.push('\n');
            for reserved in self.split_ranges(&message.reserveds, true) {
                append_indented(&mut out, &self.ranges("reserved", &reserved));
            }
        }
        let options = self.filter_options(&message.options);
        if !options.is_empty() {
            out.push('\n');
            for option in &options {
                append_indented(&mut out, &self.option_declaration(option));
            }
        }
        self.append_fields(&mut out, &message.fields)?;
        if !message.oneofs.is_empty() {
            out.push('\n');
            let mut oneofs: Vec<(&OneOf, Vec<&Field>)> = message
                .oneofs
                .iter()
                .map(|oneof| (oneof, oneof.fields.iter().collect::<Vec<_>>()))
                .collect();
            if self.normalize() {
                oneofs.retain(|(_, fields)| !fields.is_empty());
                for (_, fields) in &mut oneofs {
                    fields.sort_by_key(|field| field.tag);
                }
                oneofs.sort_by_key(|(_, fields)| fields[0].tag);
            }
            for (oneof, fields) in oneofs {
                let text = self.oneof(oneof, &fields)?;
                append_indented(&mut out, &text);
            }
        }
        if !message.groups.is_empty() {
            out.push('\n');
            for group in self.sorted_groups(&message.groups) {
                let text = self.group(group)?;
                append_indented(&mut out, &text);
            }
        }
        if !self.mode.ignore_extensions && !message.extensions.is_empty() {
            out.push('\n');
            let ranges: Vec<Vec<RangeValue>> = if self.normalize() {
                let mut split: Vec<Vec<RangeValue>> = message
                    .extensions
                    .iter()
                    .flat_map(|extensions| extensions.values.iter().map(|v| vec![v.clone()]))
                    .collect();
                split.sort_by_key(|values| values[0].sort_start());
                split
            } else {
                message
                    .extensions
                    .iter()
                    .map(|extensions| extensions.values.clone())
                    .collect()
            };
            for values in ranges {
                append_indented(&mut out, &self.ranges("extensions", &values));
            }
        }
        if !self.mode.ignore_extensions && !message.extends.is_empty() {
            out.push('\n');
            for extend in self.extends(&message.extends)? {
                let text = self.extend(&extend)?;
                append_indented(&mut out, &text);
            }
        }
        let types = self.filter_types(&message.nested_types);
        if !types.is_empty() {
            out.push('\n');
            out.push_str(&self.types(&types, true)?);
        }
        out.push_str("}\n");
        Ok(out)
    }

    /// Reserved statements; when normalizing, one value per statement, sorted.
    fn split_ranges(&self, reserveds: &[Reserved], by_text_too: bool) -> Vec<Vec<RangeValue>> {
        if !self.normalize() {
            return reserveds.iter().map(|r| r.values.clone()).collect();
        }
        let mut split: Vec<Vec<RangeValue>> = reserveds
            .iter()
            .flat_map(|reserved| reserved.values.iter().map(|v| vec![v.clone()]))
            .collect();
        split.sort_by(|a, b| {
            let order = a[0].sort_start().cmp(&b[0].sort_start());
            if by_text_too {
                order.then_with(|| java_string_order(&a[0].sort_text(), &b[0].sort_text()))
            } else {
                order
            }
        });
        split
    }

    fn ranges(&self, keyword: &str, values: &[RangeValue]) -> String {
        let parts: Vec<String> = values
            .iter()
            .map(|value| match value {
                RangeValue::Name(name) => format!("\"{name}\""),
                RangeValue::Tag(tag) => tag.to_string(),
                RangeValue::Range(start, end) if self.normalize() && start == end => {
                    start.to_string()
                }
                RangeValue::Range(start, end) if *end < MAX_TAG_VALUE => {
                    format!("{start} to {end}")
                }
                RangeValue::Range(start, _) => format!("{start} to max"),
            })
            .collect();
        format!("{keyword} {};\n", parts.join(", "))
    }

    fn oneof(&mut self, oneof: &OneOf, fields: &[&Field]) -> Result<String> {
        let mut out = format!("oneof {} {{", oneof.name);
        let options = self.filter_options(&oneof.options);
        if !options.is_empty() {
            out.push('\n');
            for option in &options {
                append_indented(&mut out, &self.option_declaration(option));
            }
        }
        if !fields.is_empty() {
            out.push('\n');
            for field in fields {
                let text = self.field(field)?;
                append_indented(&mut out, &text);
            }
        }
        if !oneof.groups.is_empty() {
            out.push('\n');
            for group in self.sorted_groups(&oneof.groups) {
                let text = self.group(group)?;
                append_indented(&mut out, &text);
            }
        }
        out.push_str("}\n");
        Ok(out)
    }

    fn sorted_groups<'g>(&self, groups: &'g [Group]) -> Vec<&'g Group> {
        let mut groups: Vec<&Group> = groups.iter().collect();
        if self.normalize() {
            groups.sort_by_key(|group| group.tag);
        }
        groups
    }

    fn group(&mut self, group: &Group) -> Result<String> {
        let mut out = String::new();
        if let Some(label) = group.label {
            out.push_str(label.as_str());
            out.push(' ');
        }
        let _ = write!(out, "group {} = {} {{", group.name, group.tag);
        self.append_fields(&mut out, &group.fields)?;
        out.push_str("}\n");
        Ok(out)
    }

    /// When normalizing, extend blocks are regrouped by the resolved name of
    /// the extended message.
    fn extends(&self, extends: &[Extend]) -> Result<Vec<Extend>> {
        if !self.normalize() {
            return Ok(extends.to_vec());
        }
        let mut grouped: Vec<Extend> = Vec::new();
        let mut positions: HashMap<String, usize> = HashMap::new();
        for extend in extends {
            for field in &extend.fields {
                let name = self.resolve_required(
                    &extend.name,
                    format!("extend `{}`", extend.name),
                    extend.location,
                )?;
                match positions.get(&name) {
                    Some(&position) => grouped[position].fields.push(field.clone()),
                    None => {
                        positions.insert(name.clone(), grouped.len());
                        grouped.push(Extend {
                            location: extend.location,
                            name,
                            fields: vec![field.clone()],
                        });
                    }
                }
            }
        }
        Ok(grouped)
    }

    fn extend(&mut self, extend: &Extend) -> Result<String> {
        let mut out = format!("extend {} {{", extend.name);
        self.append_fields(&mut out, &extend.fields)?;
        out.push_str("}\n");
        Ok(out)
    }

    /// The fields of a message, group or extend block after a blank line,
    /// sorted by tag when normalizing; nothing when there are none.
    fn append_fields(&mut self, out: &mut String, fields: &[Field]) -> Result<()> {
        if fields.is_empty() {
            return Ok(());
        }
        out.push('\n');
        let mut fields: Vec<&Field> = fields.iter().collect();
        if self.normalize() {
            fields.sort_by_key(|field| field.tag);
        }
        for field in fields {
            let text = self.field(field)?;
            append_indented(out, &text);
        }
        Ok(())
    }

    fn field(&mut self, field: &Field) -> Result<String> {
        let mut label = field.label;
        let mut type_name = field.type_name.clone();
        if self.normalize() {
            let mut map = types::map_types(&type_name).map(|(k, v)| (k.to_owned(), v.to_owned()));
            if !types::is_scalar(&type_name) && map.is_none() {
                type_name = self.resolve_required(
                    &type_name,
                    format!("field `{}`", self.scoped_name(&field.name)),
                    field.location,
                )?;
                map = self
                    .table
                    .get(&type_name)
                    .and_then(|info| info.map_entry.clone());
            }
            if let Some((key, value)) = map {
                // A map's value type is qualified when it resolves; it may not.
                type_name = match self.resolve(&value) {
                    Some(full) => format!("map<{key}, .{full}>"),
                    None => format!("map<{key}, {value}>"),
                };
                label = None;
            }
        }
        let mut out = String::new();
        if let Some(label) = label {
            out.push_str(label.as_str());
            out.push(' ');
        }
        let _ = write!(out, "{type_name} {} = {}", field.name, field.tag);
        let mut options = field.options.clone();
        if let Some(default) = &field.default_value {
            options.push(OptionElement {
                name: "default".to_owned(),
                value: default_value(&type_name, default),
                parenthesized: false,
            });
        }
        if let Some(json_name) = &field.json_name {
            options.push(OptionElement {
                name: "json_name".to_owned(),
                value: OptionValue::String(json_name.clone()),
                parenthesized: false,
            });
        }
        let options = self.filter_options(&options);
        if !options.is_empty() {
            out.push(' ');
            let items: Vec<Item> = options.iter().map(Item::Option).collect();
            self.append_options(&mut out, &items);
        }
        out.push_str(";\n");
        Ok(out)
    }

    /// Drops custom options for `ignore_extensions`; when normalizing,
    /// qualifies custom option names, sorts options by name and merges the
    /// values of a non-repeated extension set more than once.
    fn filter_options(&self, options: &[OptionElement]) -> Vec<OptionElement> {
        let mut options: Vec<OptionElement> = options
            .iter()
            .filter(|option| {
                !self.mode.ignore_extensions
                    || !option.parenthesized
                    || option.name.starts_with("confluent.")
            })
            .cloned()
            .collect();
        if !self.normalize() || options.is_empty() {
            return options;
        }
        for option in &mut options {
            if option.parenthesized {
                if let Some(resolved) =
                    self.table
                        .resolve_extension(&option.name, &self.package, &self.scope)
                {
                    option.name = resolved;
                    *option = transform(option.clone());
                }
            }
        }
        options.sort_by(|a, b| java_string_order(&a.name, &b.name));
        let mut result: Vec<OptionElement> = Vec::with_capacity(options.len());
        let mut start = 0;
        while start < options.len() {
            let end = start
                + options[start..]
                    .iter()
                    .take_while(|option| option.name == options[start].name)
                    .count();
            let group = &options[start..end];
            let single = self
                .table
                .extension(&group[0].name)
                .is_some_and(|info| !info.repeated);
            if single {
                let merged = group[1..].iter().fold(group[0].clone(), |existing, next| {
                    merge(existing, next.clone())
                });
                result.push(merged);
            } else {
                result.extend(group.iter().cloned());
            }
            start = end;
        }
        result
    }

    fn option_declaration(&self, option: &OptionElement) -> String {
        format!("option {};\n", self.option(option))
    }

    fn option(&self, option: &OptionElement) -> String {
        let mut out = if option.parenthesized {
            format!("({})", option.name)
        } else {
            option.name.clone()
        };
        match &option.value {
            OptionValue::String(text) => {
                let _ = write!(out, " = \"{}\"", escape(text));
            }
            OptionValue::Bool(word) | OptionValue::Enum(word) => {
                let _ = write!(out, " = {word}");
            }
            OptionValue::Number(word) => {
                let _ = write!(out, " = {}", self.number(word));
            }
            OptionValue::Option(inner) => {
                out.push('.');
                out.push_str(&self.option(inner));
            }
            OptionValue::Map(entries) => {
                out.push_str(" = {\n");
                self.format_map(&mut out, entries);
                out.push('}');
            }
            OptionValue::List(items) => {
                out.push_str(" = ");
                let items: Vec<Item> = items.iter().map(Item::Value).collect();
                self.append_options(&mut out, &items);
            }
        }
        out
    }

    fn format_map(&self, out: &mut String, entries: &[(String, OptionValue)]) {
        let mut entries: Vec<(String, &OptionValue)> = entries
            .iter()
            .map(|(key, value)| (key.clone(), value))
            .collect();
        if self.normalize() {
            let mut sorted: BTreeMap<JavaKey, &OptionValue> = BTreeMap::new();
            for (key, value) in entries {
                if matches!(value, OptionValue::List(items) if items.is_empty()) {
                    continue;
                }
                let key = match key.strip_prefix('[').and_then(|k| k.strip_suffix(']')) {
                    Some(extension) => self
                        .table
                        .resolve_extension(extension, &self.package, &self.scope)
                        .map_or(key.clone(), |resolved| format!("[{resolved}]")),
                    None => key,
                };
                sorted.entry(JavaKey(key)).or_insert(value);
            }
            entries = sorted
                .into_iter()
                .map(|(key, value)| (key.0, value))
                .collect();
        }
        let last = entries.len().saturating_sub(1);
        for (index, (key, value)) in entries.iter().enumerate() {
            let separator = if index != last { "," } else { "" };
            let line = format!("{key}: {}{separator}", self.format_value(value));
            append_indented(out, &line);
        }
    }

    fn format_value(&self, value: &OptionValue) -> String {
        match value {
            OptionValue::String(text) => format!("\"{}\"", escape(text)),
            OptionValue::Map(entries) => {
                let mut out = "{\n".to_owned();
                self.format_map(&mut out, entries);
                out.push('}');
                out
            }
            OptionValue::List(items) if self.normalize() && items.len() == 1 => {
                self.format_value(&items[0])
            }
            OptionValue::List(items) => {
                let mut out = "[\n".to_owned();
                let last = items.len().saturating_sub(1);
                for (index, item) in items.iter().enumerate() {
                    let separator = if index != last { "," } else { "" };
                    append_indented(&mut out, &format!("{}{separator}", self.format_value(item)));
                }
                out.push(']');
                out
            }
            OptionValue::Bool(word) | OptionValue::Enum(word) => word.clone(),
            OptionValue::Number(word) => self.number(word),
            OptionValue::Option(option) => self.option(option),
        }
    }

    fn append_options(&self, out: &mut String, items: &[Item]) {
        let format = |item: &Item| match item {
            Item::Option(option) => self.option(option),
            Item::Value(value) => self.format_value(value),
        };
        if items.len() == 1 {
            let _ = write!(out, "[{}]", format(&items[0]));
            return;
        }
        out.push_str("[\n");
        for (index, item) in items.iter().enumerate() {
            let separator = if index + 1 < items.len() { "," } else { "" };
            append_indented(out, &format!("{}{separator}", format(item)));
        }
        out.push(']');
    }

    fn number(&self, word: &str) -> String {
        if self.normalize() {
            format_number(word).unwrap_or_else(|| word.to_owned())
        } else {
            word.to_owned()
        }
    }
}

enum Item<'a> {
    Option(&'a OptionElement),
    Value(&'a OptionValue),
}

/// A map key ordered as Java orders strings (by UTF-16 code units).
#[derive(PartialEq, Eq)]
struct JavaKey(String);

impl PartialOrd for JavaKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for JavaKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        java_string_order(&self.0, &other.0)
    }
}

/// The `default` pseudo-option keeps the kind Confluent gives it from the
/// field's type: quoted for `string`, bare for everything else.
fn default_value(type_name: &str, value: &str) -> OptionValue {
    let simple = type_name.rsplit('.').next().unwrap_or(type_name);
    match simple {
        "bool" => OptionValue::Bool(value.to_owned()),
        "string" => OptionValue::String(value.to_owned()),
        "bytes" | "double" | "float" | "fixed32" | "fixed64" | "int32" | "int64" | "sfixed32"
        | "sfixed64" | "sint32" | "sint64" | "uint32" | "uint64" => {
            OptionValue::Number(value.to_owned())
        }
        _ => OptionValue::Enum(value.to_owned()),
    }
}

/// Turns `(name).sub = v` into `(name) = { sub: v }`.
fn transform(option: OptionElement) -> OptionElement {
    match option.value {
        OptionValue::Option(inner) => OptionElement {
            name: option.name,
            value: OptionValue::Map(transform_map(*inner)),
            parenthesized: option.parenthesized,
        },
        _ => option,
    }
}

fn transform_map(inner: OptionElement) -> Vec<(String, OptionValue)> {
    let value = match inner.value {
        OptionValue::Option(nested) => OptionValue::Map(transform_map(*nested)),
        other => other,
    };
    vec![(inner.name, value)]
}

/// Confluent's `ProtobufSchema.merge`: values of the same key collect into a
/// list without duplicates.
fn merge(existing: OptionElement, replacement: OptionElement) -> OptionElement {
    let replacement = transform(replacement);
    match (existing.value, replacement.value) {
        (OptionValue::Map(mut merged), OptionValue::Map(more)) => {
            let mut positions: HashMap<String, usize> = merged
                .iter()
                .enumerate()
                .map(|(i, (key, _))| (key.clone(), i))
                .collect();
            for (key, value) in more {
                match positions.get(&key) {
                    Some(&position) => {
                        let current = &mut merged[position].1;
                        let items =
                            flatten(std::mem::replace(current, OptionValue::List(Vec::new())))
                                .into_iter()
                                .chain(flatten(value));
                        *current = OptionValue::List(distinct(items));
                    }
                    None => {
                        positions.insert(key.clone(), merged.len());
                        merged.push((key, value));
                    }
                }
            }
            OptionElement {
                name: replacement.name,
                value: OptionValue::Map(merged),
                parenthesized: replacement.parenthesized,
            }
        }
        (_, value) => OptionElement {
            name: replacement.name,
            value,
            parenthesized: replacement.parenthesized,
        },
    }
}

/// The values in order, each kept once (a Java `LinkedHashSet`).
pub(crate) fn distinct(items: impl IntoIterator<Item = OptionValue>) -> Vec<OptionValue> {
    let mut seen: HashSet<String> = HashSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(format!("{item:?}")))
        .collect()
}

fn flatten(value: OptionValue) -> Vec<OptionValue> {
    match value {
        OptionValue::List(items) => items,
        other => vec![other],
    }
}

/// Confluent's `escapeChars`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            other => out.push(other),
        }
    }
    out
}

/// Numbers as the normalized form writes them (commons-lang
/// `NumberUtils.createNumber`, then a `DecimalFormat` without grouping and
/// with at most three decimals); `None` when it is not a number.
fn format_number(word: &str) -> Option<String> {
    let (negative, unsigned) = match word.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, word),
    };
    let sign = if negative { "-" } else { "" };
    let integer = if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
        .or_else(|| unsigned.strip_prefix('#'))
    {
        i128::from_str_radix(hex, 16).ok()
    } else if unsigned.len() > 1
        && unsigned.starts_with('0')
        && unsigned.bytes().all(|b| b.is_ascii_digit())
    {
        i128::from_str_radix(&unsigned[1..], 8).ok()
    } else if !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit()) {
        unsigned.parse::<i128>().ok()
    } else {
        None
    };
    if let Some(value) = integer {
        return Some(if value == 0 {
            "0".to_owned()
        } else {
            format!("{sign}{value}")
        });
    }
    if !unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        || !unsigned.bytes().any(|b| b.is_ascii_digit())
    {
        return None;
    }
    let value: f64 = word.trim_end_matches(['f', 'F', 'd', 'D']).parse().ok()?;
    // createNumber prefers a float when it holds the value.
    let float = value as f32;
    let value = if float.is_finite() {
        f64::from(float)
    } else {
        value
    };
    let text = format!("{value:.3}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    Some(text.to_owned())
}

/// Java's `appendIndented`: every line of `value` indented by two spaces.
pub(crate) fn append_indented(out: &mut String, value: &str) {
    for line in java_lines(value) {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
}

fn push_maybe_indented(out: &mut String, value: &str, indent: bool) {
    if indent {
        append_indented(out, value);
    } else {
        out.push_str(value);
    }
}

/// `value.split("\n")` in Java: trailing empty strings are dropped.
fn java_lines(value: &str) -> Vec<&str> {
    if value.is_empty() {
        return vec![""];
    }
    let mut lines: Vec<&str> = value.split('\n').collect();
    while lines.last().is_some_and(|line| line.is_empty()) {
        lines.pop();
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_normalize_like_decimal_format() {
        assert_eq!(format_number("5").as_deref(), Some("5"));
        assert_eq!(format_number("0x10").as_deref(), Some("16"));
        assert_eq!(format_number("010").as_deref(), Some("8"));
        assert_eq!(format_number("-3").as_deref(), Some("-3"));
        assert_eq!(format_number("1.0").as_deref(), Some("1"));
        assert_eq!(format_number("1.5").as_deref(), Some("1.5"));
        assert_eq!(format_number("1e5").as_deref(), Some("100000"));
        assert_eq!(format_number("0.12345").as_deref(), Some("0.123"));
        assert_eq!(format_number("inf"), None);
        assert_eq!(format_number("nan"), None);
    }

    #[test]
    fn java_split_drops_trailing_empty_lines() {
        assert_eq!(java_lines("a\n\nb\n\n"), vec!["a", "", "b"]);
        assert_eq!(java_lines(""), vec![""]);
    }
}
