//! The two texts Confluent stores for an Avro schema: Apache Avro Java's
//! `Schema.toString()` (the canonical form) and Confluent's normalized form
//! (`AvroSchemaUtils.toNormalizedString`, re-parsed and printed again).
//!
//! One deliberate difference: Java pre-declares only the top-level type of
//! each reference, so a nested type of a reference is printed in full and the
//! stored text then fails to parse next to its references ("Can't redefine").
//! Here every named type a reference defines is printed by name.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::parse::Parser;
use super::schema::{
    AvroSchema, AvroType, EnumType, Field, Fixed, Kind, Named, Order, ParseOptions, Props, Record,
    TypeId,
};
use crate::jackson::{
    java_double, java_float, java_string_order, parse_java_double, write_array, write_object,
    write_string, write_value, JsonOut,
};

/// Past this many nested types a named type is printed by name even when it
/// has not been printed yet. Only messages that print a part of a schema
/// from scratch nest this deep; a whole schema never does, because the JSON
/// it was read from is at most 128 levels deep.
const MAX_PRINT_DEPTH: usize = 256;

/// Apache Avro Java's `Schema.toString(referencedSchemas, false)`.
pub(crate) fn canonical(schema: &AvroSchema) -> String {
    let mut printer = Printer::new(&schema.types, reference_types(schema));
    printer.write(schema.root);
    printer.out
}

/// One type printed on its own, as Java's `Schema.toString()` prints it in
/// error messages.
pub(crate) fn schema_text(types: &[AvroType], id: TypeId) -> String {
    let mut printer = Printer::new(types, HashSet::new());
    printer.write(id);
    printer.out
}

/// One record field printed on its own, as `schema_text` prints a type.
pub(crate) fn field_text(types: &[AvroType], field: &Field) -> String {
    let mut printer = Printer::new(types, HashSet::new());
    printer.write_field(field);
    printer.out
}

/// Confluent's `normalize=true` text: the normalized JSON is parsed again
/// (together with the references) and that schema's canonical form is stored.
pub(crate) fn normalized(schema: &AvroSchema) -> String {
    let mut writer = NormalizedWriter {
        types: &schema.types,
        written: reference_types(schema),
        space: None,
        out: String::new(),
    };
    writer.write(schema.root);
    let reference_types = schema.types[..schema.first_own_type].to_vec();
    // Defaults were checked (or deliberately not) when `schema` was parsed.
    let lenient = ParseOptions {
        validate_defaults: false,
    };
    let mut parser = Parser::with_types(reference_types, lenient);
    match parser.parse_document(&writer.out) {
        Ok(root) => AvroSchema {
            types: parser.into_types(),
            root,
            first_own_type: schema.first_own_type,
        }
        .canonical(),
        // The normalized text is written from a valid schema and names every
        // type as it was defined, so it parses; should it not, the canonical
        // form is the closest correct answer.
        Err(_) => canonical(schema),
    }
}

/// Named types defined by the references, which are printed by name.
fn reference_types(schema: &AvroSchema) -> HashSet<TypeId> {
    (0..schema.first_own_type)
        .filter(|&id| schema.is_reference_type(id))
        .collect()
}

/// What the canonical and the normalized form write alike: primitives,
/// unions, arrays and maps have the same layout in both. The forms differ in
/// how they write nested named types and in the order of custom properties,
/// which each printer supplies.
trait TypePrinter: JsonOut {
    /// Writes the type `id`, by name or in full as the form requires.
    fn write(&mut self, id: TypeId);

    /// Custom properties, each as a `,"key":value` member of the object being
    /// written.
    fn write_props(&mut self, props: &Props);

    /// A primitive with properties is an object; without, just its name.
    fn write_primitive(&mut self, kind: Kind, props: &Props) {
        if props.is_empty() {
            write_string(self.out(), kind.name());
        } else {
            self.out().push_str("{\"type\":");
            write_string(self.out(), kind.name());
            self.write_props(props);
            self.out().push('}');
        }
    }

    fn write_union(&mut self, branches: &[TypeId]) {
        write_array(self, branches, |printer, branch| printer.write(*branch));
    }

    /// An array (whose element type is under `items`) or a map (`values`).
    fn write_collection(&mut self, kind: Kind, element_key: &str, element: TypeId, props: &Props) {
        let header = format!("{{\"type\":\"{}\",\"{element_key}\":", kind.name());
        self.out().push_str(&header);
        self.write(element);
        self.write_props(props);
        self.out().push('}');
    }
}

/// Appends each property as a `,"key":value` member, in the order given.
fn append_props<'p>(out: &mut String, props: impl IntoIterator<Item = (&'p String, &'p Value)>) {
    for (key, value) in props {
        out.push(',');
        write_string(out, key);
        out.push(':');
        write_value(out, value);
    }
}

struct Printer<'a> {
    types: &'a [AvroType],
    /// Named types already printed in full (Java's `Names`).
    written: HashSet<TypeId>,
    /// The namespace names are written relative to.
    space: Option<&'a str>,
    depth: usize,
    out: String,
}

impl JsonOut for Printer<'_> {
    fn out(&mut self) -> &mut String {
        &mut self.out
    }
}

impl<'a> TypePrinter for Printer<'a> {
    fn write(&mut self, id: TypeId) {
        self.depth += 1;
        match &self.types[id] {
            AvroType::Primitive { kind, props } => self.write_primitive(*kind, props),
            AvroType::Array { items, props } => {
                self.write_collection(Kind::Array, "items", *items, props);
            }
            AvroType::Map { values, props } => {
                self.write_collection(Kind::Map, "values", *values, props);
            }
            AvroType::Union { branches } => self.write_union(branches),
            AvroType::Record(record) => {
                if !self.write_reference(id, &record.named) {
                    self.write_record(record);
                }
            }
            AvroType::Enum(enumeration) => {
                if !self.write_reference(id, &enumeration.named) {
                    self.write_enum(enumeration);
                }
            }
            AvroType::Fixed(fixed) => {
                if !self.write_reference(id, &fixed.named) {
                    self.write_header("fixed", &fixed.named);
                    self.write_doc(&fixed.named);
                    self.out.push_str(&format!(",\"size\":{}", fixed.size));
                    self.write_props(&fixed.named.props);
                    self.write_aliases(&fixed.named);
                    self.out.push('}');
                }
            }
        }
        self.depth -= 1;
    }

    /// Properties in the order they were written.
    fn write_props(&mut self, props: &Props) {
        append_props(&mut self.out, props);
    }
}

impl<'a> Printer<'a> {
    fn new(types: &'a [AvroType], written: HashSet<TypeId>) -> Printer<'a> {
        Printer {
            types,
            written,
            space: None,
            depth: 0,
            out: String::new(),
        }
    }

    fn write_record(&mut self, record: &'a Record) {
        let saved_space = self.space;
        let kind = if record.is_error { "error" } else { "record" };
        self.write_header(kind, &record.named);
        // Names inside the record are written relative to its namespace.
        self.space = record.named.name.space.as_deref();
        self.write_doc(&record.named);
        self.out.push_str(",\"fields\":");
        write_array(self, &record.fields, Self::write_field);
        self.write_props(&record.named.props);
        self.write_aliases(&record.named);
        self.out.push('}');
        self.space = saved_space;
    }

    fn write_field(&mut self, field: &Field) {
        self.out.push_str("{\"name\":");
        write_string(&mut self.out, &field.name);
        self.out.push_str(",\"type\":");
        self.write(field.ty);
        if let Some(doc) = &field.doc {
            self.out.push_str(",\"doc\":");
            write_string(&mut self.out, doc);
        }
        if let Some(default) = &field.default {
            self.out.push_str(",\"default\":");
            write_value(&mut self.out, default);
        }
        if field.order != Order::Ascending {
            self.out.push_str(",\"order\":");
            write_string(&mut self.out, field.order.name());
        }
        if !field.aliases.is_empty() {
            self.out.push_str(",\"aliases\":");
            let aliases = field.aliases.iter().map(String::as_str);
            write_array(&mut self.out, aliases, write_string);
        }
        self.write_props(&field.props);
        self.out.push('}');
    }

    fn write_enum(&mut self, enumeration: &EnumType) {
        self.write_header("enum", &enumeration.named);
        self.write_doc(&enumeration.named);
        self.out.push_str(",\"symbols\":");
        let symbols = enumeration.symbols.iter().map(String::as_str);
        write_array(&mut self.out, symbols, write_string);
        if let Some(default) = &enumeration.default {
            self.out.push_str(",\"default\":");
            write_string(&mut self.out, default);
        }
        self.write_props(&enumeration.named.props);
        self.write_aliases(&enumeration.named);
        self.out.push('}');
    }

    /// Writes a named type by name if it was printed before (Java's
    /// `writeNameRef`); otherwise records that it is being printed now.
    fn write_reference(&mut self, id: TypeId, named: &Named) -> bool {
        if self.written.contains(&id) || self.depth > MAX_PRINT_DEPTH {
            write_string(&mut self.out, named.name.qualified(self.space));
            return true;
        }
        self.written.insert(id);
        false
    }

    /// `{"type":…,"name":…` and the namespace when it differs from the
    /// enclosing one (`""` for the null namespace inside another).
    fn write_header(&mut self, kind: &str, named: &Named) {
        self.out.push_str("{\"type\":");
        write_string(&mut self.out, kind);
        self.out.push_str(",\"name\":");
        write_string(&mut self.out, &named.name.name);
        match (named.name.space.as_deref(), self.space) {
            (Some(space), current) if Some(space) != current => {
                self.out.push_str(",\"namespace\":");
                write_string(&mut self.out, space);
            }
            (None, Some(_)) => self.out.push_str(",\"namespace\":\"\""),
            _ => {}
        }
    }

    fn write_doc(&mut self, named: &Named) {
        if let Some(doc) = &named.doc {
            self.out.push_str(",\"doc\":");
            write_string(&mut self.out, doc);
        }
    }

    fn write_aliases(&mut self, named: &Named) {
        if !named.aliases.is_empty() {
            self.out.push_str(",\"aliases\":");
            let space = named.name.space.as_deref();
            let aliases = named.aliases.iter().map(|alias| alias.qualified(space));
            write_array(&mut self.out, aliases, write_string);
        }
    }
}

/// Writes Confluent's normalized JSON (`AvroSchemaUtils.build`): names fully
/// qualified, fixed key order, custom properties and aliases sorted, a valid
/// logical type's attributes first, defaults converted to the field's type.
/// Keys may repeat (a logical type's attributes are written again among the
/// sorted properties); the re-parse keeps the first position and last value,
/// as Jackson does.
struct NormalizedWriter<'a> {
    types: &'a [AvroType],
    written: HashSet<TypeId>,
    /// Namespace of the enclosing record, which a name without one would
    /// inherit on the re-parse.
    space: Option<&'a str>,
    out: String,
}

impl JsonOut for NormalizedWriter<'_> {
    fn out(&mut self) -> &mut String {
        &mut self.out
    }
}

impl<'a> TypePrinter for NormalizedWriter<'a> {
    fn write(&mut self, id: TypeId) {
        let ty = &self.types[id];
        match ty {
            AvroType::Union { branches } => self.write_union(branches),
            AvroType::Array { items, props } => {
                self.write_collection(Kind::Array, "items", *items, props);
            }
            AvroType::Map { values, props } => {
                self.write_collection(Kind::Map, "values", *values, props);
            }
            AvroType::Primitive { kind, props } => match logical_type(ty) {
                Some(logical) => {
                    self.out.push_str("{\"type\":");
                    write_string(&mut self.out, kind.name());
                    self.write_logical_props(&logical);
                    self.write_props(props);
                    self.out.push('}');
                }
                None => self.write_primitive(*kind, props),
            },
            AvroType::Record(Record { named, .. })
            | AvroType::Enum(EnumType { named, .. })
            | AvroType::Fixed(Fixed { named, .. }) => self.write_named(id, named),
        }
    }

    /// Properties sorted by key, as Confluent writes them.
    fn write_props(&mut self, props: &Props) {
        let mut entries: Vec<(&String, &Value)> = props.iter().collect();
        entries.sort_by(|(a, _), (b, _)| java_string_order(a, b));
        append_props(&mut self.out, entries);
    }
}

impl<'a> NormalizedWriter<'a> {
    fn write_named(&mut self, id: TypeId, named: &'a Named) {
        let ty = &self.types[id];
        if !self.written.insert(id) {
            write_string(&mut self.out, &named.name.full);
            return;
        }
        self.out.push_str("{\"name\":");
        write_string(&mut self.out, &named.name.full);
        // Confluent omits this, so on its re-parse a type in the null
        // namespace nested in a namespaced record moves into that namespace;
        // writing it keeps the type's name.
        if named.name.space.is_none() && self.space.is_some() {
            self.out.push_str(",\"namespace\":\"\"");
        }
        self.out.push_str(",\"type\":");
        write_string(&mut self.out, ty.kind().name());
        match ty {
            AvroType::Enum(enumeration) => {
                self.out.push_str(",\"symbols\":");
                let symbols = enumeration.symbols.iter().map(String::as_str);
                write_array(&mut self.out, symbols, write_string);
            }
            AvroType::Fixed(fixed) => {
                self.out.push_str(&format!(",\"size\":{}", fixed.size));
                if let Some(logical) = logical_type(ty) {
                    self.write_logical_props(&logical);
                }
            }
            AvroType::Record(record) => {
                let saved_space = self.space;
                self.space = named.name.space.as_deref();
                self.out.push_str(",\"fields\":");
                write_array(self, &record.fields, Self::write_field);
                self.space = saved_space;
            }
            _ => {}
        }
        if let Some(doc) = named.doc.as_deref().filter(|doc| !doc.is_empty()) {
            self.out.push_str(",\"doc\":");
            write_string(&mut self.out, doc);
        }
        if !named.aliases.is_empty() {
            let mut aliases: Vec<&str> = named
                .aliases
                .iter()
                .map(|alias| alias.full.as_str())
                .collect();
            aliases.sort_by(|a, b| java_string_order(a, b));
            self.out.push_str(",\"aliases\":");
            write_array(&mut self.out, aliases, write_string);
        }
        if let AvroType::Enum(enumeration) = ty {
            if let Some(default) = &enumeration.default {
                self.out.push_str(",\"default\":");
                write_string(&mut self.out, default);
            }
        }
        self.write_props(&named.props);
        self.out.push('}');
    }

    fn write_field(&mut self, field: &Field) {
        self.out.push_str("{\"name\":");
        write_string(&mut self.out, &field.name);
        self.out.push_str(",\"type\":");
        self.write(field.ty);
        let order = match field.order {
            Order::Ascending => "ASCENDING",
            Order::Descending => "DESCENDING",
            Order::Ignore => "IGNORE",
        };
        self.out.push_str(&format!(",\"order\":\"{order}\""));
        if let Some(doc) = &field.doc {
            self.out.push_str(",\"doc\":");
            write_string(&mut self.out, doc);
        }
        if !field.aliases.is_empty() {
            let mut aliases: Vec<&str> = field.aliases.iter().map(String::as_str).collect();
            aliases.sort_by(|a, b| java_string_order(a, b));
            self.out.push_str(",\"aliases\":");
            write_array(&mut self.out, aliases, write_string);
        }
        let default = field
            .default
            .as_ref()
            .and_then(|default| self.datum(default, Some(field.ty)));
        if let Some(default) = default {
            self.out.push_str(",\"default\":");
            default.write(&mut self.out);
        }
        self.write_props(&field.props);
        self.out.push('}');
    }

    fn write_logical_props(&mut self, logical: &LogicalType) {
        self.out.push_str(",\"logicalType\":");
        write_string(&mut self.out, logical.name());
        if let LogicalType::Decimal { precision, scale } = logical {
            self.out.push_str(&format!(",\"precision\":{precision}"));
            if *scale != 0 {
                self.out.push_str(&format!(",\"scale\":{scale}"));
            }
        }
    }

    /// Avro Java's `JacksonUtils.toObject(default, schema)`: the default as the
    /// Java value a reader would see, typed by the schema (a union by its
    /// first branch). `None` is a value that does not fit the type, which
    /// Confluent leaves out of the normalized form.
    fn datum(&self, value: &Value, ty: Option<TypeId>) -> Option<Datum> {
        let ty = match ty.map(|id| &self.types[id]) {
            Some(AvroType::Union { branches }) => Some(*branches.first()?),
            _ => ty,
        };
        let kind = ty.map(|id| self.types[id].kind());
        match value {
            Value::Null => Some(Datum::Null),
            Value::Bool(flag) => Some(Datum::Boolean(*flag)),
            Value::Number(number) => match (number.as_i64(), number.as_f64(), kind) {
                (Some(int), _, None | Some(Kind::Int | Kind::Long)) => Some(Datum::Integer(int)),
                (Some(_), Some(float), Some(Kind::Float)) => Some(Datum::Float(float as f32)),
                (Some(_), Some(float), Some(Kind::Double)) => Some(Datum::Double(float)),
                // Beyond a long: Jackson's BigInteger, which Avro does not convert.
                (None, _, _) if !number.is_f64() => None,
                (None, Some(float), None | Some(Kind::Double)) => Some(Datum::Double(float)),
                (None, Some(float), Some(Kind::Float)) => Some(Datum::Float(float as f32)),
                _ => None,
            },
            Value::String(text) => match kind {
                None | Some(Kind::String | Kind::Enum) => Some(Datum::Text(text.clone())),
                // Bytes round-trip through ISO-8859-1, so other characters
                // become `?`.
                Some(Kind::Bytes | Kind::Fixed) => Some(Datum::Text(
                    text.chars()
                        .map(|c| {
                            if u32::from(c) <= 0xFF {
                                c.to_string()
                            } else {
                                "?".repeat(c.len_utf16())
                            }
                        })
                        .collect(),
                )),
                // A float default written as "NaN" or "Infinity" (see `Field::default`).
                Some(Kind::Float) => parse_java_double(text)
                    .ok()
                    .map(|float| Datum::Float(float as f32)),
                Some(Kind::Double) => parse_java_double(text).ok().map(Datum::Double),
                _ => None,
            },
            Value::Array(items) => {
                let item_type = match ty.map(|id| &self.types[id]) {
                    None => None,
                    Some(AvroType::Array { items, .. }) => Some(*items),
                    Some(_) => return None,
                };
                Some(Datum::List(
                    items
                        .iter()
                        .map(|item| self.datum(item, item_type))
                        .collect(),
                ))
            }
            Value::Object(entries) => {
                // A record's field types by name, so that a large default
                // stays linear; the first field of a name wins, as a search
                // in order would find it.
                let mut field_types: HashMap<&str, TypeId> = HashMap::new();
                if let Some(AvroType::Record(record)) = ty.map(|id| &self.types[id]) {
                    for field in &record.fields {
                        field_types.entry(field.name.as_str()).or_insert(field.ty);
                    }
                }
                let value_type = |key: &str| match ty.map(|id| &self.types[id]) {
                    Some(AvroType::Map { values, .. }) => Some(*values),
                    Some(AvroType::Record(_)) => field_types.get(key).copied(),
                    _ => None,
                };
                Some(Datum::Map(
                    entries
                        .iter()
                        .map(|(key, item)| (key.clone(), self.datum(item, value_type(key))))
                        .collect(),
                ))
            }
        }
    }
}

/// A default value as a Java object, written back as Jackson writes it.
enum Datum {
    Null,
    Boolean(bool),
    Integer(i64),
    Float(f32),
    Double(f64),
    Text(String),
    /// Elements that do not fit their type make Confluent fail with a
    /// `NullPointerException`; here they are written as `null`.
    List(Vec<Option<Datum>>),
    Map(Vec<(String, Option<Datum>)>),
}

impl Datum {
    fn write(&self, out: &mut String) {
        match self {
            Datum::Null => out.push_str("null"),
            Datum::Boolean(flag) => out.push_str(if *flag { "true" } else { "false" }),
            Datum::Integer(int) => out.push_str(&int.to_string()),
            Datum::Float(float) if float.is_finite() => out.push_str(&java_float(*float)),
            Datum::Double(double) if double.is_finite() => out.push_str(&java_double(*double)),
            // Jackson quotes NaN and the infinities.
            Datum::Float(float) => write_string(out, &java_float(*float)),
            Datum::Double(double) => write_string(out, &java_double(*double)),
            Datum::Text(text) => write_string(out, text),
            Datum::List(items) => {
                write_array(out, items.iter().map(Option::as_ref), write_optional)
            }
            Datum::Map(entries) => {
                let entries = entries.iter().map(|(key, item)| (key, item.as_ref()));
                write_object(out, entries, write_optional);
            }
        }
    }
}

fn write_optional(out: &mut String, datum: Option<&Datum>) {
    match datum {
        Some(datum) => datum.write(out),
        None => out.push_str("null"),
    }
}

/// A logical type Avro Java accepts (`LogicalTypes.fromSchemaIgnoreInvalid`);
/// an invalid or unknown one is just a property.
enum LogicalType {
    Decimal { precision: i32, scale: i32 },
    Other(&'static str),
}

impl LogicalType {
    fn name(&self) -> &'static str {
        match self {
            LogicalType::Decimal { .. } => "decimal",
            LogicalType::Other(name) => name,
        }
    }
}

/// The logical types built into Avro 1.11 and the types they annotate.
const LOGICAL_TYPES: [(&str, Kind); 8] = [
    ("uuid", Kind::String),
    ("date", Kind::Int),
    ("time-millis", Kind::Int),
    ("time-micros", Kind::Long),
    ("timestamp-millis", Kind::Long),
    ("timestamp-micros", Kind::Long),
    ("local-timestamp-millis", Kind::Long),
    ("local-timestamp-micros", Kind::Long),
];

fn logical_type(ty: &AvroType) -> Option<LogicalType> {
    let props = ty.props()?;
    let name = props.get("logicalType")?.as_str()?;
    if name == "decimal" {
        return decimal(ty, props);
    }
    LOGICAL_TYPES
        .iter()
        .find(|(known, kind)| *known == name && *kind == ty.kind())
        .map(|(known, _)| LogicalType::Other(known))
}

/// Avro Java's `LogicalTypes.Decimal` checks: an int precision greater than 0
/// that the bytes can hold, and an int scale from 0 to the precision.
fn decimal(ty: &AvroType, props: &Props) -> Option<LogicalType> {
    let int_prop = |key: &str| {
        props
            .get(key)
            .and_then(Value::as_i64)
            .and_then(|v| i32::try_from(v).ok())
    };
    let precision = int_prop("precision")?;
    let scale = match props.get("scale") {
        Some(_) => int_prop("scale")?,
        None => 0,
    };
    let max_precision = match ty {
        AvroType::Primitive {
            kind: Kind::Bytes, ..
        } => i32::MAX,
        AvroType::Fixed(fixed) => {
            // Java computes `8 * size - 1` in int arithmetic.
            let bits = fixed.size.wrapping_mul(8).wrapping_sub(1);
            (f64::from(bits) * std::f64::consts::LOG10_2).floor() as i32
        }
        _ => return None,
    };
    (precision > 0 && precision <= max_precision && scale >= 0 && scale <= precision)
        .then_some(LogicalType::Decimal { precision, scale })
}

#[cfg(test)]
mod tests {
    use crate::avro::AvroSchema;

    fn canonical(text: &str) -> String {
        AvroSchema::parse(text, &[]).unwrap().canonical()
    }

    fn normalized(text: &str) -> String {
        AvroSchema::parse(text, &[]).unwrap().normalized()
    }

    #[test]
    fn canonical_keeps_java_attribute_order() {
        let text = r#"{"aliases":["Old"],"fields":[{"aliases":["b"],"order":"ignore","default":1,"doc":"d","type":"int","name":"a","x":1}],"doc":"r","name":"R","namespace":"n","type":"record","p":true}"#;
        assert_eq!(
            canonical(text),
            r#"{"type":"record","name":"R","namespace":"n","doc":"r","fields":[{"name":"a","type":"int","doc":"d","default":1,"order":"ignore","aliases":["b"],"x":1}],"p":true,"aliases":["Old"]}"#
        );
    }

    #[test]
    fn nested_namespaces_print_relative_to_the_enclosing_one() {
        let text = r#"{"type":"record","name":"a.R","fields":[
            {"name":"x","type":{"type":"enum","name":"E","symbols":["A"]}},
            {"name":"y","type":{"type":"fixed","name":"F","namespace":"","size":1}},
            {"name":"z","type":{"type":"record","name":"b.S","fields":[{"name":"e","type":"a.E"}]}},
            {"name":"w","type":["E","F","b.S"]}]}"#;
        assert_eq!(
            canonical(text),
            r#"{"type":"record","name":"R","namespace":"a","fields":[{"name":"x","type":{"type":"enum","name":"E","symbols":["A"]}},{"name":"y","type":{"type":"fixed","name":"F","namespace":"","size":1}},{"name":"z","type":{"type":"record","name":"S","namespace":"b","fields":[{"name":"e","type":"a.E"}]}},{"name":"w","type":["E","F","b.S"]}]}"#
        );
    }

    #[test]
    fn normalized_sorts_properties_and_puts_logical_types_first() {
        let text = r#"{"type":"record","name":"R","fields":[{"name":"t","type":{"type":"long","z":1,"connect.name":"x","logicalType":"timestamp-millis"},"b":2,"a":1,"aliases":["y","x"]}],"zz":1,"aa":2,"aliases":["Q","P"],"doc":""}"#;
        assert_eq!(
            normalized(text),
            r#"{"type":"record","name":"R","fields":[{"name":"t","type":{"type":"long","logicalType":"timestamp-millis","connect.name":"x","z":1},"aliases":["x","y"],"a":1,"b":2}],"aa":2,"zz":1,"aliases":["P","Q"]}"#
        );
    }

    #[test]
    fn normalized_converts_defaults_to_the_field_type() {
        let text = r#"{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":1},{"name":"f","type":"float","default":1.1},{"name":"u","type":["long","null"],"default":5},{"name":"b","type":"bytes","default":"☃x"}]}"#;
        assert_eq!(
            normalized(text),
            r#"{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":1.0},{"name":"f","type":"float","default":1.1},{"name":"u","type":["long","null"],"default":5},{"name":"b","type":"bytes","default":"?x"}]}"#
        );
    }

    #[test]
    fn normalized_keeps_a_null_namespace_inside_a_namespaced_record() {
        let text = r#"{"type":"record","name":"a.R","fields":[{"name":"x","type":{"type":"fixed","name":"F","namespace":"","size":1}},{"name":"y","type":"F"}]}"#;
        assert_eq!(normalized(text), canonical(text));
    }

    #[test]
    fn decimal_scale_zero_and_invalid_logical_types() {
        assert_eq!(
            normalized(r#"{"type":"bytes","scale":0,"a":1,"precision":4,"logicalType":"decimal"}"#),
            r#"{"type":"bytes","logicalType":"decimal","precision":4,"a":1,"scale":0}"#
        );
        // Invalid (scale > precision): all properties simply sorted.
        assert_eq!(
            normalized(r#"{"type":"bytes","precision":2,"scale":5,"logicalType":"decimal","a":1}"#),
            r#"{"type":"bytes","a":1,"logicalType":"decimal","precision":2,"scale":5}"#
        );
    }
}
