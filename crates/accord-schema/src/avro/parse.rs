//! Reads schema JSON into [`AvroType`]s the way Apache Avro Java's
//! `Schema.Parser` does: the same checks in the same order, with the same
//! messages, because Confluent's error responses embed them.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Number, Value};

use super::canonical::schema_text;
use super::schema::{
    validate_name, AvroType, EnumType, Field, Fixed, Kind, Name, Named, Order, ParseOptions, Props,
    Record, TypeId,
};
use crate::jackson::{java_double, parse_java_double, read_document, value_text};
use crate::SchemaError;

/// Attributes of a type that are not custom properties.
const TYPE_ATTRIBUTES: [&str; 10] = [
    "doc",
    "fields",
    "items",
    "name",
    "namespace",
    "size",
    "symbols",
    "values",
    "type",
    "aliases",
];

/// Attributes of a field that are not custom properties.
const FIELD_ATTRIBUTES: [&str; 6] = ["default", "doc", "name", "order", "type", "aliases"];

/// Largest `fixed` size Avro Java accepts (`SystemLimitException`).
const MAX_FIXED_SIZE: i64 = i32::MAX as i64 - 8;

/// One parse session. Like a Java `Schema.Parser`, it keeps the named types
/// of every document it has read, so references parsed first are known to the
/// schemas parsed after them.
pub(crate) struct Parser {
    types: Vec<AvroType>,
    /// Full name to type.
    names: HashMap<String, TypeId>,
    /// The namespace unqualified names resolve in (Java's `Names.space`).
    space: Option<String>,
    /// Records whose fields are still being read.
    open_records: HashSet<TypeId>,
    options: ParseOptions,
}

impl Parser {
    pub(crate) fn new(options: ParseOptions) -> Parser {
        Parser::with_types(Vec::new(), options)
    }

    /// A parser that already knows `types` (the references of a parsed schema).
    pub(crate) fn with_types(types: Vec<AvroType>, options: ParseOptions) -> Parser {
        let names = types
            .iter()
            .enumerate()
            .filter_map(|(id, ty)| ty.named().map(|named| (named.name.full.clone(), id)))
            .collect();
        Parser {
            types,
            names,
            space: None,
            open_records: HashSet::new(),
            options,
        }
    }

    pub(crate) fn type_count(&self) -> usize {
        self.types.len()
    }

    pub(crate) fn into_types(self) -> Vec<AvroType> {
        self.types
    }

    /// Parses one schema document and returns its top-level type.
    pub(crate) fn parse_document(&mut self, text: &str) -> Result<TypeId, SchemaError> {
        let json = read_document(text).map_err(SchemaError::Invalid)?;
        self.parse(&json).map_err(SchemaError::Invalid)
    }

    fn add(&mut self, ty: AvroType) -> TypeId {
        self.types.push(ty);
        self.types.len() - 1
    }

    fn define(&mut self, name: &Name, id: TypeId) -> Result<(), String> {
        if self.names.contains_key(&name.full) {
            return Err(format!("Can't redefine: {}", name.full));
        }
        self.names.insert(name.full.clone(), id);
        Ok(())
    }

    /// A named type by the name written in a schema: looked up in the current
    /// namespace first, then in the null namespace.
    fn lookup_named(&self, name: &str) -> Result<Option<TypeId>, String> {
        let in_space = Name::new(name, self.space.as_deref())?;
        if let Some(&id) = self.names.get(&in_space.full) {
            return Ok(Some(id));
        }
        let global = Name::new(name, None)?;
        Ok(self.names.get(&global.full).copied())
    }

    fn parse(&mut self, json: &Value) -> Result<TypeId, String> {
        match json {
            Value::String(name) => match Kind::primitive(name) {
                Some(kind) => Ok(self.add(primitive(kind))),
                None => self
                    .lookup_named(name)?
                    .ok_or_else(|| format!("Undefined name: {}", value_text(json))),
            },
            Value::Object(object) => self.parse_object(json, object),
            Value::Array(branches) => self.parse_union(branches),
            _ => Err(format!("Schema not yet supported: {}", value_text(json))),
        }
    }

    fn parse_object(
        &mut self,
        json: &Value,
        object: &Map<String, Value>,
    ) -> Result<TypeId, String> {
        let type_name = required_text(json, "type", "No type")?;
        let saved_space = self.space.clone();
        let is_record = type_name == "record" || type_name == "error";
        let is_named = is_record || type_name == "enum" || type_name == "fixed";
        let mut header = None;
        if is_named {
            let space = text(object.get("namespace")).or(saved_space.as_deref());
            let doc = text(object.get("doc")).map(str::to_owned);
            let name = Name::new(required_text(json, "name", "No name in schema")?, space)?;
            self.space = name.space.clone();
            header = Some(Named {
                name,
                doc,
                aliases: Vec::new(),
                props: Props::new(),
            });
        }
        let id = match (Kind::primitive(type_name), header) {
            (Some(kind), _) => self.add(primitive(kind)),
            (None, Some(named)) if is_record => {
                self.parse_record(json, object, named, type_name == "error")?
            }
            (None, Some(named)) if type_name == "enum" => self.parse_enum(json, object, named)?,
            (None, Some(named)) => self.parse_fixed(json, object, named)?,
            (None, None) if type_name == "array" => {
                let items = object
                    .get("items")
                    .ok_or_else(|| format!("Array has no items type: {}", value_text(json)))?;
                let items = self.parse(items)?;
                self.add(AvroType::Array {
                    items,
                    props: Props::new(),
                })
            }
            (None, None) if type_name == "map" => {
                let values = object
                    .get("values")
                    .ok_or_else(|| format!("Map has no values type: {}", value_text(json)))?;
                let values = self.parse(values)?;
                self.add(AvroType::Map {
                    values,
                    props: Props::new(),
                })
            }
            (None, None) => {
                // `{"type": "com.acme.Thing"}` refers to a named type.
                let name = Name::new(type_name, self.space.as_deref())?;
                return self
                    .names
                    .get(&name.full)
                    .copied()
                    .ok_or_else(|| format!("Type not supported: {type_name}"));
            }
        };
        // An enum's `default` is its default symbol; on any other type it is
        // a custom property.
        let is_attribute =
            |key: &str| TYPE_ATTRIBUTES.contains(&key) || (type_name == "enum" && key == "default");
        let props: Props = object
            .iter()
            .filter(|(key, _)| !is_attribute(key))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        self.space = saved_space;
        let aliases = if is_named {
            self.named_aliases(json, id)?
        } else {
            Vec::new()
        };
        set_props_and_aliases(&mut self.types[id], props, aliases);
        Ok(id)
    }

    /// The `aliases` of a named type, qualified with its namespace.
    fn named_aliases(&self, json: &Value, id: TypeId) -> Result<Vec<Name>, String> {
        let space = self.types[id]
            .named()
            .and_then(|named| named.name.space.clone());
        let mut aliases: Vec<Name> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for alias in parse_aliases(json)? {
            let alias = Name::new(&alias, space.as_deref())?;
            if seen.insert(alias.full.clone()) {
                aliases.push(alias);
            }
        }
        Ok(aliases)
    }

    fn parse_record(
        &mut self,
        json: &Value,
        object: &Map<String, Value>,
        named: Named,
        is_error: bool,
    ) -> Result<TypeId, String> {
        check_not_primitive(&named.name)?;
        let name = named.name.clone();
        let id = self.add(AvroType::Record(Record {
            named,
            is_error,
            fields: Vec::new(),
        }));
        // Defined before its fields are read, so that fields can refer to it.
        self.define(&name, id)?;
        let Some(Value::Array(field_nodes)) = object.get("fields") else {
            return Err(format!("Record has no fields: {}", value_text(json)));
        };
        self.open_records.insert(id);
        let fields = field_nodes
            .iter()
            .map(|field| self.parse_field(field))
            .collect::<Result<Vec<_>, _>>()?;
        self.open_records.remove(&id);
        self.check_field_names(&name, &fields)?;
        if let AvroType::Record(record) = &mut self.types[id] {
            record.fields = fields;
        }
        Ok(id)
    }

    fn check_field_names(&self, record: &Name, fields: &[Field]) -> Result<(), String> {
        let mut positions: HashMap<&str, usize> = HashMap::new();
        for (position, field) in fields.iter().enumerate() {
            if let Some(&earlier) = positions.get(field.name.as_str()) {
                let describe = |field: &Field, position: usize| {
                    let kind = self.types[field.ty].kind().java_name();
                    format!("{} type:{kind} pos:{position}", field.name)
                };
                return Err(format!(
                    "Duplicate field {} in record {}: {} and {}.",
                    field.name,
                    record.full,
                    describe(field, position),
                    describe(&fields[earlier], earlier),
                ));
            }
            positions.insert(&field.name, position);
        }
        Ok(())
    }

    fn parse_field(&mut self, json: &Value) -> Result<Field, String> {
        let attribute = |key: &str| json.as_object().and_then(|object| object.get(key));
        let name = required_text(json, "name", "No field name")?.to_owned();
        let doc = text(attribute("doc")).map(str::to_owned);
        let type_node =
            attribute("type").ok_or_else(|| format!("No field type: {}", value_text(json)))?;
        if let Value::String(type_name) = type_node {
            if Kind::primitive(type_name).is_none() && self.lookup_named(type_name)?.is_none() {
                return Err(format!(
                    "{} is not a defined name. The type of the \"{name}\" field must be a defined \
                     name or a {{\"type\": ...}} expression.",
                    value_text(type_node)
                ));
            }
        }
        let ty = self.parse(type_node)?;
        let order = match attribute("order") {
            Some(order) => parse_order(&name, order)?,
            None => Order::Ascending,
        };
        let default = attribute("default").cloned();
        // Avro Java reads a string default of a float or double field as a
        // number; any number is a valid default for those types.
        let (default, is_checked) = match default {
            Some(Value::String(number)) if matches!(self.kind(ty), Kind::Float | Kind::Double) => {
                (Some(double_value(parse_java_double(&number)?)), true)
            }
            default => (default, false),
        };
        validate_name(&name)?;
        if let Some(default) = &default {
            if self.options.validate_defaults && !is_checked && !self.is_valid_default(ty, default)
            {
                return Err(format!(
                    "Invalid default for field {name}: {} not a {}",
                    value_text(default),
                    schema_text(&self.types, ty)
                ));
            }
        }
        let props = json
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(key, _)| !FIELD_ATTRIBUTES.contains(&key.as_str()))
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        let mut aliases: Vec<String> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for alias in parse_aliases(json)? {
            if seen.insert(alias.clone()) {
                aliases.push(alias);
            }
        }
        Ok(Field {
            name,
            ty,
            doc,
            default,
            order,
            aliases,
            props,
        })
    }

    fn parse_enum(
        &mut self,
        json: &Value,
        object: &Map<String, Value>,
        named: Named,
    ) -> Result<TypeId, String> {
        let Some(Value::Array(symbol_nodes)) = object.get("symbols") else {
            return Err(format!("Enum has no symbols: {}", value_text(json)));
        };
        check_not_primitive(&named.name)?;
        let mut symbols: Vec<String> = Vec::with_capacity(symbol_nodes.len());
        let mut seen: HashSet<&str> = HashSet::with_capacity(symbol_nodes.len());
        for symbol in symbol_nodes {
            let symbol = symbol.as_str().ok_or("Null name")?;
            validate_name(symbol)?;
            if !seen.insert(symbol) {
                return Err(format!("Duplicate enum symbol: {symbol}"));
            }
            symbols.push(symbol.to_owned());
        }
        // A default that is not a string is ignored, as in Avro Java.
        let default = text(object.get("default")).map(str::to_owned);
        if let Some(default) = &default {
            if !symbols.contains(default) {
                return Err(format!(
                    "The Enum Default: {default} is not in the enum symbol set: [{}]",
                    symbols.join(", ")
                ));
            }
        }
        let name = named.name.clone();
        let id = self.add(AvroType::Enum(EnumType {
            named,
            symbols,
            default,
        }));
        self.define(&name, id)?;
        Ok(id)
    }

    fn parse_fixed(
        &mut self,
        json: &Value,
        object: &Map<String, Value>,
        named: Named,
    ) -> Result<TypeId, String> {
        let size = object
            .get("size")
            .and_then(Value::as_i64)
            .and_then(|size| i32::try_from(size).ok())
            .ok_or_else(|| format!("Invalid or no size: {}", value_text(json)))?;
        check_not_primitive(&named.name)?;
        if size < 0 {
            return Err(format!("Malformed data. Length is negative: {size}"));
        }
        if i64::from(size) > MAX_FIXED_SIZE {
            return Err(format!(
                "Cannot read arrays longer than {MAX_FIXED_SIZE} bytes in Java library"
            ));
        }
        let name = named.name.clone();
        let id = self.add(AvroType::Fixed(Fixed { named, size }));
        self.define(&name, id)?;
        Ok(id)
    }

    fn parse_union(&mut self, branch_nodes: &[Value]) -> Result<TypeId, String> {
        let branches = branch_nodes
            .iter()
            .map(|branch| self.parse(branch))
            .collect::<Result<Vec<_>, _>>()?;
        let id = self.add(AvroType::Union {
            branches: branches.clone(),
        });
        let mut keys: HashSet<&str> = HashSet::new();
        for branch in branches {
            let ty = &self.types[branch];
            if ty.kind() == Kind::Union {
                return Err(format!("Nested union: {}", schema_text(&self.types, id)));
            }
            if !keys.insert(ty.union_key()) {
                return Err(format!("Duplicate in union:{}", ty.union_key()));
            }
        }
        Ok(id)
    }

    fn kind(&self, id: TypeId) -> Kind {
        self.types[id].kind()
    }

    /// Java's `Schema.isValidDefault`; a union's default must match its first
    /// branch.
    fn is_valid_default(&self, id: TypeId, value: &Value) -> bool {
        match &self.types[id] {
            AvroType::Primitive { kind, .. } => match kind {
                Kind::String | Kind::Bytes => value.is_string(),
                Kind::Int => value.as_i64().is_some_and(|int| i32::try_from(int).is_ok()),
                Kind::Long => value.as_i64().is_some(),
                Kind::Float | Kind::Double => value.is_number(),
                Kind::Boolean => value.is_boolean(),
                _ => value.is_null(),
            },
            AvroType::Enum(_) | AvroType::Fixed(_) => value.is_string(),
            AvroType::Array { items, .. } => value.as_array().is_some_and(|values| {
                values
                    .iter()
                    .all(|item| self.is_valid_default(*items, item))
            }),
            AvroType::Map { values, .. } => value.as_object().is_some_and(|entries| {
                entries
                    .values()
                    .all(|item| self.is_valid_default(*values, item))
            }),
            AvroType::Union { branches } => branches
                .first()
                .is_some_and(|&first| self.is_valid_default(first, value)),
            // Avro Java fails on a record whose fields are not read yet.
            AvroType::Record(_) if self.open_records.contains(&id) => false,
            AvroType::Record(record) => value.as_object().is_some_and(|entries| {
                record
                    .fields
                    .iter()
                    .all(|field| match entries.get(&field.name) {
                        Some(item) => self.is_valid_default(field.ty, item),
                        // The field's own default was checked when it was read.
                        None => field.default.is_some(),
                    })
            }),
        }
    }
}

fn primitive(kind: Kind) -> AvroType {
    AvroType::Primitive {
        kind,
        props: Props::new(),
    }
}

fn set_props_and_aliases(ty: &mut AvroType, new_props: Props, new_aliases: Vec<Name>) {
    match ty {
        AvroType::Primitive { props, .. }
        | AvroType::Array { props, .. }
        | AvroType::Map { props, .. } => *props = new_props,
        AvroType::Record(Record { named, .. })
        | AvroType::Enum(EnumType { named, .. })
        | AvroType::Fixed(Fixed { named, .. }) => {
            named.props = new_props;
            named.aliases = new_aliases;
        }
        AvroType::Union { .. } => {}
    }
}

/// Java's `getOptionalText`: the attribute when it is a string.
fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

fn required_text<'a>(json: &'a Value, key: &str, error: &str) -> Result<&'a str, String> {
    text(json.get(key)).ok_or_else(|| format!("{error}: {}", value_text(json)))
}

fn check_not_primitive(name: &Name) -> Result<(), String> {
    match Kind::primitive(&name.full) {
        Some(_) => Err(format!(
            "Schemas may not be named after primitives: {}",
            name.full
        )),
        None => Ok(()),
    }
}

fn parse_aliases(json: &Value) -> Result<Vec<String>, String> {
    let Some(aliases) = json.get("aliases") else {
        return Ok(Vec::new());
    };
    let Value::Array(aliases) = aliases else {
        return Err(format!("aliases not an array: {}", value_text(json)));
    };
    aliases
        .iter()
        .map(|alias| match alias {
            Value::String(alias) => Ok(alias.clone()),
            other => Err(format!("alias not a string: {}", value_text(other))),
        })
        .collect()
}

fn parse_order(field: &str, order: &Value) -> Result<Order, String> {
    let Some(order) = order.as_str() else {
        return Err(format!(
            "Invalid order for field {field}: {} (expected \"ascending\", \"descending\" or \"ignore\")",
            value_text(order)
        ));
    };
    match order.to_uppercase().as_str() {
        "ASCENDING" => Ok(Order::Ascending),
        "DESCENDING" => Ok(Order::Descending),
        "IGNORE" => Ok(Order::Ignore),
        upper => Err(format!(
            "No enum constant org.apache.avro.Schema.Field.Order.{upper}"
        )),
    }
}

/// A double as Jackson holds it: a number, or for NaN and the infinities the
/// quoted string Jackson writes for them.
fn double_value(value: f64) -> Value {
    Number::from_f64(value).map_or_else(|| Value::String(java_double(value)), Value::Number)
}

#[cfg(test)]
mod tests {
    use crate::avro::AvroSchema;
    use crate::{ResolvedReference, SchemaError};

    fn error(text: &str) -> String {
        match AvroSchema::parse(text, &[]) {
            Err(SchemaError::Invalid(message)) => message,
            other => panic!("expected an error for {text}, got {other:?}"),
        }
    }

    #[test]
    fn errors_follow_avro_java_order_and_wording() {
        assert_eq!(error("{}"), "No type: {}");
        assert_eq!(
            error("{\"type\":{\"type\":\"int\"}}"),
            "No type: {\"type\":{\"type\":\"int\"}}"
        );
        assert_eq!(error("\"\""), "Empty name");
        assert_eq!(
            error("{\"type\":\"nosuchtype\"}"),
            "Type not supported: nosuchtype"
        );
        assert_eq!(
            error("{\"type\":\"record\",\"name\":\"int\",\"fields\":[]}"),
            "Schemas may not be named after primitives: int"
        );
        assert_eq!(
            error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"order\":\"sideways\"}]}"),
            "No enum constant org.apache.avro.Schema.Field.Order.SIDEWAYS"
        );
        assert_eq!(
            error("{\"type\":\"fixed\",\"name\":\"F\",\"size\":-1}"),
            "Malformed data. Length is negative: -1"
        );
        assert_eq!(
            error("{\"type\":\"record\",\"name\":\"R\",\"aliases\":[1],\"fields\":[]}"),
            "alias not a string: 1"
        );
        assert_eq!(
            error("[\"int\",{\"type\":\"int\"}]"),
            "Duplicate in union:int"
        );
    }

    #[test]
    fn field_type_errors_name_the_field() {
        assert_eq!(
            error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"1x\"}]}"),
            "Illegal initial character: 1x"
        );
        assert_eq!(
            error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"R2\"}]}"),
            "\"R2\" is not a defined name. The type of the \"a\" field must be a defined name or a {\"type\": ...} expression."
        );
    }

    #[test]
    fn float_defaults_written_as_strings_become_numbers() {
        let schema = AvroSchema::parse(
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":\"float\",\"default\":\"NaN\"},{\"name\":\"d\",\"type\":\"double\",\"default\":\"2.5\"}]}",
            &[],
        )
        .unwrap();
        assert_eq!(
            schema.canonical(),
            "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"f\",\"type\":\"float\",\"default\":\"NaN\"},{\"name\":\"d\",\"type\":\"double\",\"default\":2.5}]}"
        );
        assert_eq!(
            error("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"d\",\"type\":\"double\",\"default\":\"x\"}]}"),
            "For input string: \"x\""
        );
    }

    #[test]
    fn recursive_record_default_is_rejected_while_the_record_is_open() {
        let text = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"next\",\"type\":\"R\",\"default\":{}}]}";
        assert!(error(text).starts_with("Invalid default for field next: {} not a "));
    }

    #[test]
    fn references_define_names_for_the_schema() {
        let address = "{\"type\":\"record\",\"name\":\"Address\",\"namespace\":\"a\",\"fields\":[{\"name\":\"zip\",\"type\":{\"type\":\"fixed\",\"name\":\"Zip\",\"size\":5}}]}";
        let references = [ResolvedReference {
            name: "a.Address",
            schema: address,
        }];
        let schema = AvroSchema::parse(
            "{\"type\":\"record\",\"name\":\"P\",\"namespace\":\"a\",\"fields\":[{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"zip\",\"type\":\"a.Zip\"}]}",
            &references,
        )
        .unwrap();
        assert_eq!(schema.full_name(), Some("a.P"));
        assert_eq!(schema.named_types().collect::<Vec<_>>(), ["a.P"]);
        assert_eq!(
            schema.canonical(),
            "{\"type\":\"record\",\"name\":\"P\",\"namespace\":\"a\",\"fields\":[{\"name\":\"home\",\"type\":\"Address\"},{\"name\":\"zip\",\"type\":\"Zip\"}]}"
        );
    }

    #[test]
    fn the_deepest_accepted_nesting_goes_through_every_step() {
        let arrays = "{\"type\":\"array\",\"items\":".repeat(120) + "\"int\"" + &"}".repeat(120);
        let records = (0..40)
            .map(|level| format!("{{\"type\":\"record\",\"name\":\"R{level}\",\"fields\":[{{\"name\":\"f\",\"type\":"))
            .collect::<String>()
            + "\"int\""
            + &"}]}".repeat(40);
        for text in [arrays, records] {
            let schema = AvroSchema::parse(&text, &[]).unwrap();
            assert_eq!(schema.normalized(), schema.canonical());
            let compat = crate::avro::compat::incompatibilities(
                &schema,
                &schema,
                crate::Direction::Backward,
            );
            assert!(compat.is_empty());
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let depth = 10_000;
        let text = format!("{}\"int\"{}", "[".repeat(depth), "]".repeat(depth));
        assert!(AvroSchema::parse(&text, &[]).is_err());
        let record =
            "{\"type\":\"array\",\"items\":".repeat(depth) + "\"int\"" + &"}".repeat(depth);
        assert!(AvroSchema::parse(&record, &[]).is_err());
    }
}
