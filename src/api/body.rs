//! Decoding request bodies leniently, the way Confluent's Jackson does:
//! scalars are coerced to strings where a string is expected, unknown
//! fields are ignored, and shapes that cannot be coerced are a 400.

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::registry::RegisterRequest;
use crate::store::SchemaReference;

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn wrong_shape(field: &str, expected: &str, value: &Value) -> ApiError {
    ApiError::MalformedBody(format!(
        "Field `{field}` must be {expected}, not {}",
        kind(value)
    ))
}

/// The body as a JSON object.
pub fn object(value: Value, entity: &str) -> Result<Map<String, Value>, ApiError> {
    match value {
        Value::Object(object) => Ok(object),
        other => Err(ApiError::MalformedBody(format!(
            "Expected a JSON object for {entity}, got {}",
            kind(&other)
        ))),
    }
}

/// A string field; numbers and booleans are coerced to their text.
pub fn string_field(object: &Map<String, Value>, field: &str) -> Result<Option<String>, ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(scalar @ (Value::Number(_) | Value::Bool(_))) => Ok(Some(scalar.to_string())),
        Some(other) => Err(wrong_shape(field, "a string", other)),
    }
}

/// An integer field; numeric strings are accepted.
pub fn int_field(object: &Map<String, Value>, field: &str) -> Result<Option<i64>, ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => number
            .as_i64()
            .filter(|n| i32::try_from(*n).is_ok())
            .map(Some)
            .ok_or_else(|| wrong_shape(field, "a 32-bit integer", &Value::Number(number.clone()))),
        Some(Value::String(text)) => text
            .trim()
            .parse::<i32>()
            .map(|n| Some(i64::from(n)))
            .map_err(|_| {
                ApiError::MalformedBody(format!(
                    "Field `{field}` must be an integer, not \"{text}\""
                ))
            }),
        Some(other) => Err(wrong_shape(field, "an integer", other)),
    }
}

/// A boolean field; the strings "true" and "false" are accepted.
pub fn bool_field(object: &Map<String, Value>, field: &str) -> Result<Option<bool>, ApiError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(flag)) => Ok(Some(*flag)),
        Some(Value::String(text)) if text == "true" || text == "false" => Ok(Some(text == "true")),
        Some(other) => Err(wrong_shape(field, "true or false", other)),
    }
}

/// Metadata property values are strings; coerce scalars as Confluent does.
fn metadata(value: Option<&Value>) -> Result<Option<Value>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => {
            let mut object = object.clone();
            if let Some(Value::Object(properties)) = object.get_mut("properties") {
                for value in properties.values_mut() {
                    if let Value::Number(_) | Value::Bool(_) = value {
                        *value = Value::String(value.to_string());
                    }
                }
            }
            // An empty part says nothing: `{"properties":{}}` equals `{}`.
            object.retain(|_, part| match part {
                Value::Null => false,
                Value::Object(map) => !map.is_empty(),
                Value::Array(items) => !items.is_empty(),
                _ => true,
            });
            Ok(Some(Value::Object(object)))
        }
        Some(other) => Err(wrong_shape("metadata", "an object", other)),
    }
}

fn references(value: Option<&Value>) -> Result<Vec<SchemaReference>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let Value::Object(reference) = item else {
                    return Err(wrong_shape("references[]", "an object", item));
                };
                Ok(SchemaReference {
                    name: string_field(reference, "name")?.unwrap_or_default(),
                    subject: string_field(reference, "subject")?.unwrap_or_default(),
                    version: int_field(reference, "version")?.unwrap_or(-1),
                })
            })
            .collect(),
        Some(other) => Err(wrong_shape("references", "an array", other)),
    }
}

/// The body of register, lookup and compatibility requests.
pub fn register_request(value: Value) -> Result<RegisterRequest, ApiError> {
    let object = object(value, "a schema registration")?;
    Ok(RegisterRequest {
        schema: string_field(&object, "schema")?,
        schema_type: string_field(&object, "schemaType")?,
        references: references(object.get("references"))?,
        metadata: metadata(object.get("metadata"))?,
        rule_set: match object.get("ruleSet") {
            None | Some(Value::Null) => None,
            Some(rule_set @ Value::Object(_)) => Some(rule_set.clone()),
            Some(other) => return Err(wrong_shape("ruleSet", "an object", other)),
        },
        id: int_field(&object, "id")?,
        version: int_field(&object, "version")?,
    })
}
