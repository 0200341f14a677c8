//! Avro values from and to JSON, in Avro's JSON encoding as Confluent's
//! console producer and consumer use it: a union value is a one-key object
//! naming its branch (`{"string": "ann"}`, `{"accord.Address": {…}}`), and
//! `null` on its own; bytes and fixed are strings of ISO-8859-1 characters
//! (one character per byte); an enum is its symbol; a record is an object
//! whose absent fields take their defaults.
//!
//! Logical types are written as people read them where the underlying form
//! is unreadable, and as Confluent's consumer writes them otherwise:
//! - decimal: a string of the decimal number (`"12.30"`); read from such a
//!   string or a JSON number;
//! - uuid: the canonical UUID string;
//! - date, time-*, timestamp-*, local-timestamp-*: the number (days since
//!   1970-01-01, milliseconds or microseconds since midnight, units since
//!   the epoch); read from that number or an ISO-8601 string (`"2024-05-01"`,
//!   `"12:30:00.250"`, `"2024-05-01T12:30:00Z"`, local timestamps without
//!   the zone);
//! - duration: `{"months": m, "days": d, "millis": ms}`.
//!
//! As a union branch, a logical type is named by its underlying type
//! (`{"long": …}` for a timestamp, the fixed's full name for a fixed UUID),
//! as Avro's own JSON decoder names it.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use apache_avro::schema::{
    DecimalSchema, InnerDecimalSchema, Name, RecordSchema, Schema, UnionSchema, UuidSchema,
};
use apache_avro::types::Value;
use apache_avro::{Days, Decimal, Duration, Millis, Months, Uuid};
use serde_json::{Map, Number, Value as Json};

/// The named schemas a schema may refer to, by full name.
pub(crate) type Names<'s> = HashMap<Name, &'s Schema>;

/// Where in a JSON value a conversion failed, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Mismatch {
    /// A JSON pointer (RFC 6901); empty for the whole value.
    pub path: String,
    pub reason: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = if self.path.is_empty() {
            "/"
        } else {
            &self.path
        };
        write!(f, "at {path}: {}", self.reason)
    }
}

/// The way from the top of a value to the part being converted; rendered
/// only when a conversion fails.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Key(&'a Path<'a>, &'a str),
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    fn pointer(&self) -> String {
        match self {
            Path::Root => String::new(),
            Path::Key(parent, key) => format!(
                "{}/{}",
                parent.pointer(),
                key.replace('~', "~0").replace('/', "~1")
            ),
            Path::Index(parent, index) => format!("{}/{index}", parent.pointer()),
        }
    }

    fn mismatch(&self, reason: impl Into<String>) -> Mismatch {
        Mismatch {
            path: self.pointer(),
            reason: reason.into(),
        }
    }

    fn expected(&self, what: &str, found: &Json) -> Mismatch {
        self.mismatch(format!("expected {what}, found {}", describe(found)))
    }
}

/// A short description of a JSON value for error messages.
fn describe(json: &Json) -> String {
    match json {
        Json::String(text) if text.chars().count() > 40 => {
            format!("a string of {} characters", text.chars().count())
        }
        Json::Array(items) => format!("an array of {} items", items.len()),
        Json::Object(_) => "an object".to_owned(),
        scalar => scalar.to_string(),
    }
}

/// What a schema's JSON looks like, for "expected …" messages.
fn expectation(schema: &Schema) -> String {
    match schema {
        Schema::Null => "null".to_owned(),
        Schema::Boolean => "true or false".to_owned(),
        Schema::Int => "an int (a 32-bit integer)".to_owned(),
        Schema::Long => "a long (a 64-bit integer)".to_owned(),
        Schema::Float | Schema::Double => "a number".to_owned(),
        Schema::Bytes => "a string of bytes (ISO-8859-1 characters)".to_owned(),
        Schema::String => "a string".to_owned(),
        Schema::Array(_) => "an array".to_owned(),
        Schema::Map(_) | Schema::Record(_) | Schema::Duration(_) => "an object".to_owned(),
        Schema::Union(_) => "a union value".to_owned(),
        Schema::Enum(schema) => format!("a symbol of enum {}", schema.name.fullname(None)),
        Schema::Fixed(schema) => format!(
            "a string of {} bytes (ISO-8859-1 characters) for fixed {}",
            schema.size,
            schema.name.fullname(None)
        ),
        Schema::Decimal(_) | Schema::BigDecimal => {
            "a decimal number (a string such as \"12.30\", or a number)".to_owned()
        }
        Schema::Uuid(_) => "a UUID string".to_owned(),
        Schema::Date => "a date (days since 1970-01-01, or \"YYYY-MM-DD\")".to_owned(),
        Schema::TimeMillis | Schema::TimeMicros => {
            "a time of day (a number, or \"HH:MM:SS[.fraction]\")".to_owned()
        }
        Schema::TimestampMillis | Schema::TimestampMicros | Schema::TimestampNanos => {
            "a timestamp (a number since the epoch, or \"YYYY-MM-DDTHH:MM:SS[.fraction]Z\")"
                .to_owned()
        }
        Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => {
            "a local timestamp (a number, or \"YYYY-MM-DDTHH:MM:SS[.fraction]\")".to_owned()
        }
        Schema::Ref { name } => format!("a {}", name.fullname(None)),
    }
}

/// The name Avro's JSON encoding gives a union branch: the full name of a
/// named type, the type name otherwise; logical types by their underlying
/// type.
fn branch_name(schema: &Schema) -> String {
    let primitive = match schema {
        Schema::Null => "null",
        Schema::Boolean => "boolean",
        Schema::Int | Schema::Date | Schema::TimeMillis => "int",
        Schema::Long
        | Schema::TimeMicros
        | Schema::TimestampMillis
        | Schema::TimestampMicros
        | Schema::TimestampNanos
        | Schema::LocalTimestampMillis
        | Schema::LocalTimestampMicros
        | Schema::LocalTimestampNanos => "long",
        Schema::Float => "float",
        Schema::Double => "double",
        Schema::Bytes
        | Schema::BigDecimal
        | Schema::Uuid(UuidSchema::Bytes)
        | Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Bytes,
            ..
        }) => "bytes",
        Schema::String | Schema::Uuid(UuidSchema::String) => "string",
        Schema::Array(_) => "array",
        Schema::Map(_) => "map",
        Schema::Decimal(DecimalSchema {
            inner: InnerDecimalSchema::Fixed(fixed),
            ..
        })
        | Schema::Uuid(UuidSchema::Fixed(fixed))
        | Schema::Duration(fixed)
        | Schema::Fixed(fixed) => return fixed.name.fullname(None),
        Schema::Record(record) => return record.name.fullname(None),
        Schema::Enum(schema) => return schema.name.fullname(None),
        Schema::Ref { name } => return name.fullname(None),
        Schema::Union(_) => "union",
    };
    primitive.to_owned()
}

/// Converts `json` to a value of `schema`.
pub(crate) fn from_json(json: &Json, schema: &Schema, names: &Names) -> Result<Value, Mismatch> {
    Reader {
        names,
        default: false,
    }
    .read(json, schema, &Path::Root)
}

/// Converts a value of `schema` (as a datum reader returns it) to JSON.
pub(crate) fn to_json(value: &Value, schema: &Schema, names: &Names) -> Result<Json, Mismatch> {
    Writer { names }.write(value, schema, &Path::Root)
}

fn resolve<'s>(name: &Name, names: &'s Names, path: &Path) -> Result<&'s Schema, Mismatch> {
    names.get(name).copied().ok_or_else(|| {
        path.mismatch(format!(
            "the schema refers to {}, which it does not define",
            name.fullname(None)
        ))
    })
}

struct Reader<'n, 's> {
    names: &'n Names<'s>,
    /// Reading a field's default: a union's value is that of its first
    /// branch, not wrapped in a one-key object (the Avro specification).
    default: bool,
}

impl Reader<'_, '_> {
    fn read(&self, json: &Json, schema: &Schema, path: &Path) -> Result<Value, Mismatch> {
        let expected = || path.expected(&expectation(schema), json);
        Ok(match schema {
            Schema::Null => match json {
                Json::Null => Value::Null,
                _ => return Err(expected()),
            },
            Schema::Boolean => Value::Boolean(json.as_bool().ok_or_else(expected)?),
            Schema::Int => Value::Int(read_int(json, path, schema)?),
            Schema::Long => Value::Long(read_long(json, path, schema)?),
            Schema::Float => {
                let number = read_number(json, path, schema)?;
                let float = number as f32;
                if number.is_finite() && !float.is_finite() {
                    return Err(path.mismatch(format!("{json} is out of range for a float")));
                }
                Value::Float(float)
            }
            Schema::Double => Value::Double(read_number(json, path, schema)?),
            Schema::Bytes => Value::Bytes(read_latin1(json, path, schema)?),
            Schema::String => Value::String(json.as_str().ok_or_else(expected)?.to_owned()),
            Schema::Array(array) => {
                let items = json.as_array().ok_or_else(expected)?;
                Value::Array(
                    items
                        .iter()
                        .enumerate()
                        .map(|(index, item)| {
                            self.read(item, &array.items, &Path::Index(path, index))
                        })
                        .collect::<Result<_, _>>()?,
                )
            }
            Schema::Map(map) => {
                let entries = json.as_object().ok_or_else(expected)?;
                Value::Map(
                    entries
                        .iter()
                        .map(|(key, item)| {
                            Ok((
                                key.clone(),
                                self.read(item, &map.types, &Path::Key(path, key))?,
                            ))
                        })
                        .collect::<Result<_, Mismatch>>()?,
                )
            }
            Schema::Union(union) => self.read_union(json, union, path)?,
            Schema::Record(record) => self.read_record(json, record, path)?,
            Schema::Enum(enumeration) => {
                let symbol = json.as_str().ok_or_else(expected)?;
                let index = enumeration
                    .symbols
                    .iter()
                    .position(|candidate| candidate == symbol)
                    .ok_or_else(|| {
                        path.mismatch(format!(
                            "{} is not a symbol of enum {} (its symbols: {})",
                            describe(json),
                            enumeration.name.fullname(None),
                            enumeration.symbols.join(", ")
                        ))
                    })?;
                Value::Enum(index as u32, symbol.to_owned())
            }
            Schema::Fixed(fixed) => {
                let bytes = read_latin1(json, path, schema)?;
                if bytes.len() != fixed.size {
                    return Err(path.mismatch(format!(
                        "fixed {} holds {} bytes, found {}",
                        fixed.name.fullname(None),
                        fixed.size,
                        bytes.len()
                    )));
                }
                Value::Fixed(fixed.size, bytes)
            }
            Schema::Decimal(decimal) => {
                let text = decimal_text(json).ok_or_else(expected)?;
                let unscaled = unscaled_bytes(&text, decimal.scale, decimal.precision)
                    .map_err(|reason| path.mismatch(reason))?;
                if let InnerDecimalSchema::Fixed(fixed) = &decimal.inner {
                    if unscaled.len() > fixed.size {
                        return Err(path.mismatch(format!(
                            "{text} does not fit in the {} bytes of fixed {}",
                            fixed.size,
                            fixed.name.fullname(None)
                        )));
                    }
                }
                Value::Decimal(Decimal::from(unscaled))
            }
            Schema::BigDecimal => {
                let text = decimal_text(json).ok_or_else(expected)?;
                Value::BigDecimal(
                    apache_avro::BigDecimal::from_str(&text)
                        .map_err(|_| path.expected(&expectation(schema), json))?,
                )
            }
            Schema::Uuid(_) => {
                let text = json.as_str().ok_or_else(expected)?;
                Value::Uuid(Uuid::parse_str(text).map_err(|_| expected())?)
            }
            Schema::Date => Value::Date(match json {
                Json::String(text) => parse_date(text)
                    .and_then(|days| i32::try_from(days).ok())
                    .ok_or_else(expected)?,
                _ => read_int(json, path, schema)?,
            }),
            Schema::TimeMillis => Value::TimeMillis(match json {
                Json::String(text) => parse_time(text)
                    .and_then(|nanos| in_unit(nanos, MILLI))
                    .and_then(|millis| i32::try_from(millis).ok())
                    .ok_or_else(expected)?,
                _ => read_int(json, path, schema)?,
            }),
            Schema::TimeMicros => Value::TimeMicros(match json {
                Json::String(text) => parse_time(text)
                    .and_then(|nanos| in_unit(nanos, MICRO))
                    .ok_or_else(expected)?,
                _ => read_long(json, path, schema)?,
            }),
            Schema::TimestampMillis => {
                Value::TimestampMillis(self.read_timestamp(json, path, schema, MILLI, true)?)
            }
            Schema::TimestampMicros => {
                Value::TimestampMicros(self.read_timestamp(json, path, schema, MICRO, true)?)
            }
            Schema::TimestampNanos => {
                Value::TimestampNanos(self.read_timestamp(json, path, schema, NANO, true)?)
            }
            Schema::LocalTimestampMillis => {
                Value::LocalTimestampMillis(self.read_timestamp(json, path, schema, MILLI, false)?)
            }
            Schema::LocalTimestampMicros => {
                Value::LocalTimestampMicros(self.read_timestamp(json, path, schema, MICRO, false)?)
            }
            Schema::LocalTimestampNanos => {
                Value::LocalTimestampNanos(self.read_timestamp(json, path, schema, NANO, false)?)
            }
            Schema::Duration(_) => Value::Duration(read_duration(json, path)?),
            Schema::Ref { name } => self.read(json, resolve(name, self.names, path)?, path)?,
        })
    }

    fn read_union(&self, json: &Json, union: &UnionSchema, path: &Path) -> Result<Value, Mismatch> {
        let branches = union.variants();
        if self.default {
            // The default is the first branch's; later branches are tried
            // too, as newer Avro versions allow.
            let mut first_error = None;
            for (index, branch) in branches.iter().enumerate() {
                match self.read(json, branch, path) {
                    Ok(value) => return Ok(Value::Union(index as u32, Box::new(value))),
                    Err(error) => {
                        first_error.get_or_insert(error);
                    }
                }
            }
            return Err(first_error
                .unwrap_or_else(|| path.mismatch("a union without branches has no values")));
        }
        let names: Vec<String> = branches.iter().map(branch_name).collect();
        if json.is_null() {
            if let Some(index) = branches
                .iter()
                .position(|branch| matches!(branch, Schema::Null))
            {
                return Ok(Value::Union(index as u32, Box::new(Value::Null)));
            }
        }
        let listed = names
            .iter()
            .filter(|name| *name != "null")
            .map(|name| format!("\"{name}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let nullable = if names.iter().any(|name| name == "null") {
            "null or "
        } else {
            ""
        };
        let wrapped = match json.as_object() {
            Some(object) if object.len() == 1 => object.iter().next(),
            _ => None,
        };
        let Some((label, inner)) = wrapped else {
            return Err(path.expected(
                &format!(
                    "{nullable}a one-key object naming the union branch, such as {{\"{}\": …}} \
                     (branches: {listed})",
                    names
                        .iter()
                        .find(|name| *name != "null")
                        .map_or("null", String::as_str)
                ),
                json,
            ));
        };
        let index = names
            .iter()
            .position(|name| name == label)
            .filter(|index| !matches!(branches[*index], Schema::Null))
            .ok_or_else(|| {
                path.mismatch(format!(
                    "the union has no branch \"{label}\" (branches: {nullable}{listed})"
                ))
            })?;
        let value = self.read(inner, &branches[index], &Path::Key(path, label))?;
        Ok(Value::Union(index as u32, Box::new(value)))
    }

    fn read_record(
        &self,
        json: &Json,
        record: &RecordSchema,
        path: &Path,
    ) -> Result<Value, Mismatch> {
        let object = json.as_object().ok_or_else(|| {
            path.expected(
                &format!("an object for record {}", record.name.fullname(None)),
                json,
            )
        })?;
        if let Some(unknown) = object.keys().find(|key| !record.lookup.contains_key(*key)) {
            return Err(Path::Key(path, unknown).mismatch(format!(
                "record {} has no field \"{unknown}\" (its fields: {})",
                record.name.fullname(None),
                record
                    .fields
                    .iter()
                    .map(|field| field.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let mut fields = Vec::with_capacity(record.fields.len());
        for field in &record.fields {
            let field_path = Path::Key(path, &field.name);
            let value = match (object.get(&field.name), &field.default) {
                (Some(value), _) => self.read(value, &field.schema, &field_path)?,
                (None, Some(default)) => Reader {
                    names: self.names,
                    default: true,
                }
                .read(default, &field.schema, &field_path)
                .map_err(|error| Mismatch {
                    reason: format!(
                        "the field's default does not fit its schema: {}",
                        error.reason
                    ),
                    ..error
                })?,
                (None, None) => {
                    return Err(field_path.mismatch(format!(
                        "missing field \"{}\" of record {} (it has no default)",
                        field.name,
                        record.name.fullname(None)
                    )))
                }
            };
            fields.push((field.name.clone(), value));
        }
        Ok(Value::Record(fields))
    }

    fn read_timestamp(
        &self,
        json: &Json,
        path: &Path,
        schema: &Schema,
        unit: i128,
        zoned: bool,
    ) -> Result<i64, Mismatch> {
        match json {
            Json::String(text) => parse_timestamp(text, zoned)
                .and_then(|nanos| in_unit(nanos, unit))
                .ok_or_else(|| path.expected(&expectation(schema), json)),
            _ => read_long(json, path, schema),
        }
    }
}

fn read_long(json: &Json, path: &Path, schema: &Schema) -> Result<i64, Mismatch> {
    match json {
        Json::Number(number) => number.as_i64().ok_or_else(|| {
            if number.is_u64() {
                path.mismatch(format!("{number} is out of range for a long"))
            } else {
                path.expected(&expectation(schema), json)
            }
        }),
        _ => Err(path.expected(&expectation(schema), json)),
    }
}

fn read_int(json: &Json, path: &Path, schema: &Schema) -> Result<i32, Mismatch> {
    let long = read_long(json, path, schema).map_err(|error| match json {
        Json::Number(number) if number.is_u64() => {
            path.mismatch(format!("{number} is out of range for an int"))
        }
        _ => error,
    })?;
    i32::try_from(long).map_err(|_| path.mismatch(format!("{long} is out of range for an int")))
}

/// A float or double: a JSON number, or the names Java gives the values
/// JSON numbers cannot hold.
fn read_number(json: &Json, path: &Path, schema: &Schema) -> Result<f64, Mismatch> {
    match json {
        Json::Number(number) => number
            .as_f64()
            .ok_or_else(|| path.expected(&expectation(schema), json)),
        Json::String(text) => match text.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            _ => Err(path.expected(&expectation(schema), json)),
        },
        _ => Err(path.expected(&expectation(schema), json)),
    }
}

/// Bytes written as a string of ISO-8859-1 characters, one per byte.
fn read_latin1(json: &Json, path: &Path, schema: &Schema) -> Result<Vec<u8>, Mismatch> {
    let text = json
        .as_str()
        .ok_or_else(|| path.expected(&expectation(schema), json))?;
    text.chars()
        .map(|character| {
            u8::try_from(u32::from(character)).map_err(|_| {
                path.mismatch(format!(
                    "{character:?} (U+{:04X}) is not a byte: bytes are written as characters \
                     U+0000 to U+00FF",
                    u32::from(character)
                ))
            })
        })
        .collect()
}

fn latin1(bytes: &[u8]) -> Json {
    Json::String(bytes.iter().map(|byte| char::from(*byte)).collect())
}

fn read_duration(json: &Json, path: &Path) -> Result<Duration, Mismatch> {
    if let Json::String(_) = json {
        let bytes = read_latin1(json, path, &Schema::Bytes)?;
        let bytes: [u8; 12] = bytes
            .try_into()
            .map_err(|_| path.expected("an object or a string of 12 bytes", json))?;
        return Ok(Duration::from(bytes));
    }
    let object = json.as_object().ok_or_else(|| {
        path.expected(
            "a duration {\"months\": …, \"days\": …, \"millis\": …}",
            json,
        )
    })?;
    if let Some(unknown) = object
        .keys()
        .find(|key| !["months", "days", "millis"].contains(&key.as_str()))
    {
        return Err(Path::Key(path, unknown)
            .mismatch("a duration has only \"months\", \"days\" and \"millis\""));
    }
    let part = |name: &'static str| -> Result<u32, Mismatch> {
        match object.get(name) {
            None => Ok(0),
            Some(value) => value
                .as_u64()
                .and_then(|number| u32::try_from(number).ok())
                .ok_or_else(|| Path::Key(path, name).expected("an unsigned 32-bit integer", value)),
        }
    };
    Ok(Duration::new(
        Months::new(part("months")?),
        Days::new(part("days")?),
        Millis::new(part("millis")?),
    ))
}

/// A decimal's text: a string as given, or a JSON number's shortest form.
fn decimal_text(json: &Json) -> Option<String> {
    match json {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The unscaled value of the decimal `text` at `scale`, as the minimal
/// two's-complement big-endian bytes Avro stores. Digits beyond the scale
/// are refused, not rounded: a producer should not change values silently.
fn unscaled_bytes(text: &str, scale: usize, precision: usize) -> Result<Vec<u8>, String> {
    let invalid = || format!("\"{text}\" is not a decimal number");
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (
            &unsigned[..at],
            unsigned[at + 1..].parse::<i64>().map_err(|_| invalid())?,
        ),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(invalid());
    }
    let mut digits: Vec<u8> = whole
        .bytes()
        .chain(fraction.bytes())
        .map(|b| b - b'0')
        .collect();
    // value = digits × 10^shift; the unscaled value is value × 10^scale.
    let shift = exponent - fraction.len() as i64 + scale as i64;
    if shift >= 0 {
        if shift > 4096 {
            return Err(format!("\"{text}\" is too large"));
        }
        digits.extend(std::iter::repeat_n(0, shift as usize));
    } else {
        let dropped = (-shift) as usize;
        let kept = digits.len().saturating_sub(dropped);
        if digits[kept..].iter().any(|digit| *digit != 0) {
            return Err(format!(
                "\"{text}\" has more than {scale} digits after the decimal point"
            ));
        }
        digits.truncate(kept);
    }
    let significant: Vec<u8> = digits.into_iter().skip_while(|digit| *digit == 0).collect();
    if significant.len() > precision {
        return Err(format!(
            "\"{text}\" has more than the {precision} digits of the decimal's precision"
        ));
    }
    // Base 10 to base 256, with a leading zero byte to hold the sign.
    let mut bytes: Vec<u8> = vec![0];
    for digit in significant {
        let mut carry = u32::from(digit);
        for byte in bytes.iter_mut().rev() {
            let product = u32::from(*byte) * 10 + carry;
            *byte = (product & 0xff) as u8;
            carry = product >> 8;
        }
        while carry > 0 {
            bytes.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
        if bytes[0] & 0x80 != 0 {
            bytes.insert(0, 0);
        }
    }
    if negative {
        negate(&mut bytes);
    }
    while bytes.len() > 1
        && (bytes[0] == 0 && bytes[1] & 0x80 == 0 || bytes[0] == 0xff && bytes[1] & 0x80 != 0)
    {
        bytes.remove(0);
    }
    Ok(bytes)
}

/// Two's-complement negation in place.
fn negate(bytes: &mut [u8]) {
    let mut carry = true;
    for byte in bytes.iter_mut().rev() {
        let (sum, overflow) = (!*byte).overflowing_add(u8::from(carry));
        *byte = sum;
        carry = overflow;
    }
}

/// The decimal text of an unscaled two's-complement value at `scale`.
fn decimal_string(unscaled: &[u8], scale: usize) -> String {
    let negative = unscaled.first().is_some_and(|byte| byte & 0x80 != 0);
    // One more byte than needed, so that the magnitude of the most
    // negative value fits.
    let mut magnitude = Vec::with_capacity(unscaled.len() + 1);
    magnitude.push(if negative { 0xff } else { 0 });
    magnitude.extend_from_slice(unscaled);
    if negative {
        negate(&mut magnitude);
    }
    let mut digits = Vec::new();
    while magnitude.iter().any(|byte| *byte != 0) {
        let mut remainder = 0u32;
        for byte in magnitude.iter_mut() {
            let current = (remainder << 8) | u32::from(*byte);
            *byte = (current / 10) as u8;
            remainder = current % 10;
        }
        digits.push(b'0' + remainder as u8);
    }
    while digits.len() <= scale {
        digits.push(b'0');
    }
    digits.reverse();
    let mut text = String::with_capacity(digits.len() + 2);
    if negative {
        text.push('-');
    }
    let point = digits.len() - scale;
    text.push_str(std::str::from_utf8(&digits[..point]).unwrap_or_default());
    if scale > 0 {
        text.push('.');
        text.push_str(std::str::from_utf8(&digits[point..]).unwrap_or_default());
    }
    text
}

const NANO: i128 = 1;
const MICRO: i128 = 1_000;
const MILLI: i128 = 1_000_000;
const NANOS_PER_DAY: i128 = 86_400_000_000_000;

/// `nanos` in `unit`s, unless that would drop digits.
fn in_unit(nanos: i128, unit: i128) -> Option<i64> {
    if nanos % unit != 0 {
        return None;
    }
    i64::try_from(nanos / unit).ok()
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (month + if month > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn number(text: &str, digits: usize) -> Option<i64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD` as days since 1970-01-01.
fn parse_date(text: &str) -> Option<i64> {
    let (year, rest) = text.split_once('-')?;
    let (month, day) = rest.split_once('-')?;
    let (year, month, day) = (number(year, 4)?, number(month, 2)?, number(day, 2)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month[month as usize - 1] {
        return None;
    }
    Some(days_from_civil(year, month, day))
}

/// `HH:MM:SS[.fraction]` (up to nanoseconds) as nanoseconds since midnight.
fn parse_time(text: &str) -> Option<i128> {
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) => (clock, fraction),
        None => (text, ""),
    };
    let mut parts = clock.split(':');
    let hours = number(parts.next()?, 2)?;
    let minutes = number(parts.next()?, 2)?;
    let seconds = number(parts.next()?, 2)?;
    if parts.next().is_some() || hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if text.contains('.') && fraction.is_empty() {
        return None;
    }
    let nanos = format!("{fraction:0<9}").parse::<i128>().ok()?;
    Some(i128::from((hours * 60 + minutes) * 60 + seconds) * 1_000_000_000 + nanos)
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]`, with `Z` or `±HH:MM` when `zoned`
/// and without when not, as nanoseconds since the epoch.
fn parse_timestamp(text: &str, zoned: bool) -> Option<i128> {
    let at = text.find(['T', 't', ' '])?;
    let (date, time) = (&text[..at], &text[at + 1..]);
    let (time, offset_seconds) = if zoned {
        if let Some(time) = time.strip_suffix(['Z', 'z']) {
            (time, 0)
        } else {
            let sign_at = time.rfind(['+', '-'])?;
            let (time, offset) = time.split_at(sign_at);
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (hours, minutes) = offset[1..].split_once(':')?;
            let (hours, minutes) = (number(hours, 2)?, number(minutes, 2)?);
            if hours > 23 || minutes > 59 {
                return None;
            }
            (time, sign * (hours * 3600 + minutes * 60))
        }
    } else {
        (time, 0)
    };
    let days = parse_date(date)?;
    let nanos = parse_time(time)?;
    Some(i128::from(days) * NANOS_PER_DAY + nanos - i128::from(offset_seconds) * 1_000_000_000)
}

struct Writer<'n, 's> {
    names: &'n Names<'s>,
}

impl Writer<'_, '_> {
    fn write(&self, value: &Value, schema: &Schema, path: &Path) -> Result<Json, Mismatch> {
        let mismatch = || {
            path.mismatch(format!(
                "the Avro value {:?} does not fit the schema's {}",
                apache_avro::schema::SchemaKind::from(value),
                branch_name(schema)
            ))
        };
        Ok(match (schema, value) {
            (Schema::Ref { name }, _) => {
                return self.write(value, resolve(name, self.names, path)?, path)
            }
            (Schema::Union(union), Value::Union(index, inner)) => {
                let branch = union.variants().get(*index as usize).ok_or_else(mismatch)?;
                if matches!(branch, Schema::Null) {
                    Json::Null
                } else {
                    let label = branch_name(branch);
                    let inner = self.write(inner, branch, &Path::Key(path, &label))?;
                    Json::Object(Map::from_iter([(label, inner)]))
                }
            }
            (Schema::Null, Value::Null) => Json::Null,
            (Schema::Boolean, Value::Boolean(boolean)) => Json::Bool(*boolean),
            (
                Schema::Int | Schema::Date | Schema::TimeMillis,
                Value::Int(int) | Value::Date(int) | Value::TimeMillis(int),
            ) => Json::from(*int),
            (
                Schema::Long
                | Schema::TimeMicros
                | Schema::TimestampMillis
                | Schema::TimestampMicros
                | Schema::TimestampNanos
                | Schema::LocalTimestampMillis
                | Schema::LocalTimestampMicros
                | Schema::LocalTimestampNanos,
                Value::Long(long)
                | Value::TimeMicros(long)
                | Value::TimestampMillis(long)
                | Value::TimestampMicros(long)
                | Value::TimestampNanos(long)
                | Value::LocalTimestampMillis(long)
                | Value::LocalTimestampMicros(long)
                | Value::LocalTimestampNanos(long),
            ) => Json::from(*long),
            // The float's shortest decimal form, not that of its f64
            // widening (0.1f32 stays 0.1, not 0.10000000149011612).
            (Schema::Float, Value::Float(float)) => {
                float_json(f64::from_str(&float.to_string()).unwrap_or(f64::from(*float)))
            }
            (Schema::Double, Value::Double(double)) => float_json(*double),
            (Schema::Bytes, Value::Bytes(bytes)) | (Schema::Fixed(_), Value::Fixed(_, bytes)) => {
                latin1(bytes)
            }
            (Schema::String, Value::String(text)) => Json::String(text.clone()),
            (Schema::Enum(_), Value::Enum(_, symbol)) => Json::String(symbol.clone()),
            (Schema::Array(array), Value::Array(items)) => Json::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(index, item)| self.write(item, &array.items, &Path::Index(path, index)))
                    .collect::<Result<_, _>>()?,
            ),
            (Schema::Map(map), Value::Map(entries)) => {
                // Sorted, so that the same message always prints the same.
                let mut keys: Vec<&String> = entries.keys().collect();
                keys.sort();
                let mut object = Map::with_capacity(keys.len());
                for key in keys {
                    let item = self.write(&entries[key], &map.types, &Path::Key(path, key))?;
                    object.insert(key.clone(), item);
                }
                Json::Object(object)
            }
            (Schema::Record(record), Value::Record(fields)) => {
                let mut object = Map::with_capacity(record.fields.len());
                for (position, field) in record.fields.iter().enumerate() {
                    let value = match fields.get(position) {
                        Some((name, value)) if *name == field.name => value,
                        _ => fields
                            .iter()
                            .find(|(name, _)| *name == field.name)
                            .map(|(_, value)| value)
                            .ok_or_else(|| {
                                path.mismatch(format!(
                                    "the Avro value has no field \"{}\"",
                                    field.name
                                ))
                            })?,
                    };
                    let json = self.write(value, &field.schema, &Path::Key(path, &field.name))?;
                    object.insert(field.name.clone(), json);
                }
                Json::Object(object)
            }
            (Schema::Decimal(decimal), Value::Decimal(value)) => {
                let bytes = Vec::<u8>::try_from(value).map_err(|_| mismatch())?;
                Json::String(decimal_string(&bytes, decimal.scale))
            }
            (Schema::Decimal(decimal), Value::Bytes(bytes) | Value::Fixed(_, bytes)) => {
                Json::String(decimal_string(bytes, decimal.scale))
            }
            (Schema::BigDecimal, Value::BigDecimal(decimal)) => Json::String(decimal.to_string()),
            (Schema::Uuid(_), Value::Uuid(uuid)) => Json::String(uuid.to_string()),
            (Schema::Duration(_), Value::Duration(duration)) => Json::Object(Map::from_iter([
                (
                    "months".to_owned(),
                    Json::from(u32::from(duration.months())),
                ),
                ("days".to_owned(), Json::from(u32::from(duration.days()))),
                (
                    "millis".to_owned(),
                    Json::from(u32::from(duration.millis())),
                ),
            ])),
            _ => return Err(mismatch()),
        })
    }
}

/// A JSON number, or for the values JSON has no number for, the strings
/// Java's Avro writes for them.
fn float_json(value: f64) -> Json {
    match Number::from_f64(value) {
        Some(number) => Json::Number(number),
        None if value.is_nan() => Json::String("NaN".to_owned()),
        None if value > 0.0 => Json::String("Infinity".to_owned()),
        None => Json::String("-Infinity".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use apache_avro::schema::ResolvedSchema;
    use serde_json::json;

    use super::*;

    /// Parses `schema` (with `others`, the schemas it refers to), converts
    /// `input` and converts the result back.
    fn round_trip_with(schema: &str, others: &[&str], input: &Json) -> Result<Json, Mismatch> {
        let (root, references) =
            Schema::parse_str_with_list(schema, others).expect("the test schema parses");
        let mut all: Vec<&Schema> = references.iter().collect();
        all.push(&root);
        let resolved = ResolvedSchema::new_with_schemata(all).expect("names resolve");
        let value = from_json(input, &root, resolved.get_names())?;
        // The value must also be one the Avro writer accepts.
        let mut encoded = Vec::new();
        apache_avro::writer::datum::GenericDatumWriter::builder(&root)
            .resolved_schemata(resolved.clone())
            .build()
            .expect("writer")
            .write_value_ref(&mut encoded, &value)
            .expect("the converted value is valid Avro");
        let reader = apache_avro::reader::datum::GenericDatumReader::builder(&root)
            .resolved_writer_schemata(resolved.clone())
            .build()
            .expect("reader");
        let decoded = reader.read_value(&mut encoded.as_slice()).expect("decodes");
        to_json(&decoded, &root, resolved.get_names())
    }

    fn round_trip(schema: &str, input: &Json) -> Result<Json, Mismatch> {
        round_trip_with(schema, &[], input)
    }

    fn error(schema: &str, input: &Json) -> String {
        round_trip(schema, input)
            .expect_err("the input does not fit")
            .to_string()
    }

    #[test]
    fn primitives_round_trip() {
        for (schema, value) in [
            (r#""null""#, json!(null)),
            (r#""boolean""#, json!(true)),
            (r#""int""#, json!(-2147483648)),
            (r#""long""#, json!(-9007199254740993_i64)),
            (r#""float""#, json!(0.1)),
            (r#""double""#, json!(-0.25)),
            (r#""string""#, json!("bö ✓")),
            (r#""bytes""#, json!("\u{0}\u{ff}a")),
            (r#""double""#, json!("NaN")),
            (r#""float""#, json!("-Infinity")),
        ] {
            assert_eq!(round_trip(schema, &value).unwrap(), value, "{schema}");
        }
    }

    #[test]
    fn complex_types_round_trip() {
        let schema = r#"{"type": "record", "name": "User", "namespace": "acme", "fields": [
            {"name": "tags", "type": {"type": "array", "items": "string"}},
            {"name": "counts", "type": {"type": "map", "values": "long"}},
            {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["ON", "OFF"]}},
            {"name": "hash", "type": {"type": "fixed", "name": "Hash", "size": 2}},
            {"name": "email", "type": ["null", "string"]},
            {"name": "nested", "type": {"type": "record", "name": "Inner", "fields": [
                {"name": "n", "type": "int"}]}},
            {"name": "choice", "type": ["null", "Inner", {"type": "array", "items": "int"},
                {"type": "map", "values": "string"}, "Hash", "Status"]}
        ]}"#;
        let value = json!({
            "tags": ["a", "b"],
            "counts": {"x": 1, "a": 2},
            "status": "OFF",
            "hash": "\u{1}\u{fe}",
            "email": {"string": "ann@example.com"},
            "nested": {"n": 7},
            "choice": {"acme.Inner": {"n": 1}}
        });
        let back = round_trip(schema, &value).unwrap();
        assert_eq!(back, value);
        // Map keys come out sorted.
        assert_eq!(
            back["counts"].as_object().unwrap().keys().next().unwrap(),
            "a"
        );
        for choice in [
            json!(null),
            json!({"array": [1, 2]}),
            json!({"map": {"k": "v"}}),
            json!({"acme.Hash": "ab"}),
            json!({"acme.Status": "ON"}),
        ] {
            let mut value = value.clone();
            value["choice"] = choice;
            assert_eq!(round_trip(schema, &value).unwrap(), value);
        }
    }

    #[test]
    fn absent_fields_take_their_defaults() {
        let schema = r#"{"type": "record", "name": "R", "fields": [
            {"name": "id", "type": "long"},
            {"name": "email", "type": ["null", "string"], "default": null},
            {"name": "nick", "type": ["string", "null"], "default": "anon"},
            {"name": "raw", "type": "bytes", "default": "\u00ff"},
            {"name": "inner", "type": {"type": "record", "name": "I", "fields": [
                {"name": "x", "type": ["int", "null"]}]}, "default": {"x": 3}},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []}
        ]}"#;
        assert_eq!(
            round_trip(schema, &json!({"id": 1})).unwrap(),
            json!({"id": 1, "email": null, "nick": {"string": "anon"}, "raw": "\u{ff}",
                   "inner": {"x": {"int": 3}}, "tags": []})
        );
    }

    #[test]
    fn named_references_resolve_within_and_across_schemas() {
        let address = r#"{"type": "record", "name": "Address", "namespace": "acme",
            "fields": [{"name": "city", "type": "string"}]}"#;
        let user = r#"{"type": "record", "name": "User", "namespace": "acme", "fields": [
            {"name": "home", "type": "Address"},
            {"name": "work", "type": ["null", "acme.Address"]},
            {"name": "next", "type": ["null", "User"], "default": null}
        ]}"#;
        let value = json!({
            "home": {"city": "Oslo"},
            "work": {"acme.Address": {"city": "Lima"}},
            "next": {"acme.User": {"home": {"city": "Rome"}, "work": null, "next": null}}
        });
        assert_eq!(round_trip_with(user, &[address], &value).unwrap(), value);
        let wrong = json!({"home": {"city": 42}, "work": null});
        assert_eq!(
            round_trip_with(user, &[address], &wrong)
                .unwrap_err()
                .to_string(),
            "at /home/city: expected a string, found 42"
        );
    }

    #[test]
    fn logical_types_read_numbers_and_readable_forms() {
        let schema = r#"{"type": "record", "name": "L", "fields": [
            {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
            {"name": "amount", "type": {"type": "fixed", "name": "F", "size": 4, "logicalType": "decimal", "precision": 9, "scale": 3}},
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "at_us", "type": {"type": "long", "logicalType": "timestamp-micros"}},
            {"name": "local", "type": {"type": "long", "logicalType": "local-timestamp-millis"}},
            {"name": "time", "type": {"type": "int", "logicalType": "time-millis"}},
            {"name": "time_us", "type": {"type": "long", "logicalType": "time-micros"}},
            {"name": "span", "type": {"type": "fixed", "name": "D", "size": 12, "logicalType": "duration"}},
            {"name": "maybe", "type": ["null", {"type": "long", "logicalType": "timestamp-millis"}]}
        ]}"#;
        let input = json!({
            "price": "-12.3",
            "amount": 1.5,
            "id": "550e8400-e29b-41d4-a716-446655440000",
            "day": "2024-02-29",
            "at": "2024-02-29T01:02:03.004+01:00",
            "at_us": 5,
            "local": "1970-01-02T00:00:00",
            "time": "00:00:01.5",
            "time_us": 7,
            "span": {"months": 1, "days": 2, "millis": 3},
            "maybe": {"long": 9}
        });
        assert_eq!(
            round_trip(schema, &input).unwrap(),
            json!({
                "price": "-12.30",
                "amount": "1.500",
                "id": "550e8400-e29b-41d4-a716-446655440000",
                "day": 19782,
                "at": 1709164923004_i64,
                "at_us": 5,
                "local": 86400000,
                "time": 1500,
                "time_us": 7,
                "span": {"months": 1, "days": 2, "millis": 3},
                "maybe": {"long": 9}
            })
        );
    }

    #[test]
    fn rarer_logical_types_round_trip() {
        for (schema, input, output) in [
            (
                r#"{"type": "fixed", "name": "U", "size": 16, "logicalType": "uuid"}"#,
                json!("550e8400-e29b-41d4-a716-446655440000"),
                json!("550e8400-e29b-41d4-a716-446655440000"),
            ),
            (
                r#"{"type": "bytes", "logicalType": "big-decimal"}"#,
                json!("-3.14159"),
                json!("-3.14159"),
            ),
            (
                r#"{"type": "long", "logicalType": "timestamp-nanos"}"#,
                json!("1970-01-01T00:00:00.000000001Z"),
                json!(1),
            ),
            (
                r#"{"type": "long", "logicalType": "local-timestamp-micros"}"#,
                json!("1970-01-01 00:00:01"),
                json!(1_000_000),
            ),
            (
                r#"{"type": "long", "logicalType": "local-timestamp-nanos"}"#,
                json!(-5),
                json!(-5),
            ),
            (
                r#"{"type": "fixed", "name": "D", "size": 12, "logicalType": "duration"}"#,
                json!("\u{1}\u{0}\u{0}\u{0}\u{2}\u{0}\u{0}\u{0}\u{3}\u{0}\u{0}\u{0}"),
                json!({"months": 1, "days": 2, "millis": 3}),
            ),
        ] {
            assert_eq!(round_trip(schema, &input).unwrap(), output, "{schema}");
        }
    }

    #[test]
    fn decimals_convert_exactly() {
        for (text, scale, bytes) in [
            ("0", 0, vec![0]),
            ("127", 0, vec![0x7f]),
            ("128", 0, vec![0x00, 0x80]),
            ("-128", 0, vec![0x80]),
            ("-129", 0, vec![0xff, 0x7f]),
            ("-1.00", 2, vec![0x9c]),
            ("1e2", 1, vec![0x03, 0xe8]),
            ("12345678901234567890123456789.01", 2, vec![]),
        ] {
            let unscaled = unscaled_bytes(text, scale, 38).unwrap();
            if !bytes.is_empty() {
                assert_eq!(unscaled, bytes, "{text}");
            }
            let back = decimal_string(&unscaled, scale);
            let expected = match text {
                "1e2" => "100.0",
                other => other,
            };
            assert_eq!(back, expected, "{text}");
        }
        assert_eq!(decimal_string(&[0xff], 3), "-0.001");
        assert!(unscaled_bytes("1.234", 2, 9)
            .unwrap_err()
            .contains("more than 2 digits after"));
        assert!(unscaled_bytes("1234", 0, 3)
            .unwrap_err()
            .contains("precision"));
        assert!(unscaled_bytes("1.2.3", 0, 3)
            .unwrap_err()
            .contains("not a decimal"));
        assert!(unscaled_bytes("", 0, 3).is_err());
    }

    #[test]
    fn dates_and_times_parse_strictly() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("2024-1-01"), None);
        assert_eq!(parse_time("23:59:59.999999999"), Some(NANOS_PER_DAY - 1));
        assert_eq!(parse_time("24:00:00"), None);
        assert_eq!(parse_time("12:00:00."), None);
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z", true), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T01:00:00+01:00", true), Some(0));
        assert_eq!(parse_timestamp("1970-01-01T00:00:00", true), None);
        assert_eq!(in_unit(1_500_000, MILLI), None);
    }

    #[test]
    fn mismatches_name_the_json_path() {
        let schema = r#"{"type": "record", "name": "User", "namespace": "acme", "fields": [
            {"name": "id", "type": "int"},
            {"name": "address", "type": {"type": "record", "name": "Address", "fields": [
                {"name": "city", "type": "string"}]}, "default": {"city": "?"}},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "email", "type": ["null", "string"], "default": null},
            {"name": "status", "type": {"type": "enum", "name": "S", "symbols": ["A", "B"]}, "default": "A"},
            {"name": "raw", "type": "bytes", "default": ""},
            {"name": "hash", "type": {"type": "fixed", "name": "H", "size": 2}, "default": "ab"}
        ]}"#;
        let cases = [
            (json!({"id": 1, "address": {"city": 42}}), "at /address/city: expected a string, found 42"),
            (json!({"id": 1.5}), "at /id: expected an int (a 32-bit integer), found 1.5"),
            (json!({"id": 4294967296_i64}), "at /id: 4294967296 is out of range for an int"),
            (json!({}), "at /id: missing field \"id\" of record acme.User (it has no default)"),
            (json!({"id": 1, "tags": ["a", 2]}), "at /tags/1: expected a string, found 2"),
            (json!({"id": 1, "email": "a@b"}), "at /email: expected null or a one-key object naming the union branch, such as {\"string\": …} (branches: \"string\"), found \"a@b\""),
            (json!({"id": 1, "email": {"int": 3}}), "at /email: the union has no branch \"int\" (branches: null or \"string\")"),
            (json!({"id": 1, "email": {"string": 3}}), "at /email/string: expected a string, found 3"),
            (json!({"id": 1, "status": "C"}), "at /status: \"C\" is not a symbol of enum acme.S (its symbols: A, B)"),
            (json!({"id": 1, "raw": "€"}), "at /raw: '€' (U+20AC) is not a byte: bytes are written as characters U+0000 to U+00FF"),
            (json!({"id": 1, "hash": "abc"}), "at /hash: fixed acme.H holds 2 bytes, found 3"),
            (json!({"id": 1, "extra/x": 1}), "at /extra~1x: record acme.User has no field \"extra/x\" (its fields: id, address, tags, email, status, raw, hash)"),
            (json!([1]), "at /: expected an object for record acme.User, found an array of 1 items"),
        ];
        for (input, expected) in cases {
            assert_eq!(error(schema, &input), expected, "{input}");
        }
    }

    #[test]
    fn logical_type_mismatches_are_reported() {
        for (schema, input, expected) in [
            (
                r#"{"type": "int", "logicalType": "date"}"#,
                json!("2024-13-01"),
                "at /: expected a date (days since 1970-01-01, or \"YYYY-MM-DD\"), found \"2024-13-01\"",
            ),
            (
                r#"{"type": "long", "logicalType": "timestamp-millis"}"#,
                json!("2024-01-01T00:00:00.0001Z"),
                "at /: expected a timestamp (a number since the epoch, or \"YYYY-MM-DDTHH:MM:SS[.fraction]Z\"), found \"2024-01-01T00:00:00.0001Z\"",
            ),
            (
                r#"{"type": "string", "logicalType": "uuid"}"#,
                json!("not-a-uuid"),
                "at /: expected a UUID string, found \"not-a-uuid\"",
            ),
            (
                r#"{"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 1}"#,
                json!("123.45"),
                "at /: \"123.45\" has more than 1 digits after the decimal point",
            ),
            (
                r#"{"type": "fixed", "name": "F", "size": 1, "logicalType": "decimal", "precision": 4, "scale": 0}"#,
                json!(300),
                "at /: 300 does not fit in the 1 bytes of fixed F",
            ),
            (
                r#"{"type": "fixed", "name": "D", "size": 12, "logicalType": "duration"}"#,
                json!({"weeks": 1}),
                "at /weeks: a duration has only \"months\", \"days\" and \"millis\"",
            ),
            (
                r#""float""#,
                json!(1e300),
                "at /: 1e+300 is out of range for a float",
            ),
            (
                r#""long""#,
                json!(u64::MAX),
                "at /: 18446744073709551615 is out of range for a long",
            ),
        ] {
            assert_eq!(error(schema, &input), expected, "{schema}");
        }
    }

    #[test]
    fn values_that_do_not_fit_the_schema_are_refused_on_output() {
        let (schema, names) = (Schema::String, Names::new());
        let error = to_json(&Value::Int(3), &schema, &names).unwrap_err();
        assert_eq!(error.path, "");
        assert!(error.reason.contains("does not fit"), "{error}");
    }
}
