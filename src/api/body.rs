//! Decoding request bodies leniently, the way Confluent's Jackson does:
//! scalars are coerced to strings where a string is expected, unknown
//! fields are ignored, and shapes that cannot be coerced are a 400.

use serde_json::{Map, Value};

use crate::domain::Version;
use crate::error::ApiError;
use crate::registry::{
    RegisterRequest, RegistryError, RequestedId, RequestedReference, VersionSpec,
};

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
        // Jackson reads an empty string as null.
        Some(Value::String(text)) if text.is_empty() => Ok(None),
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
        // Jackson reads integers as booleans: 0 is false, anything else true.
        Some(Value::Number(number)) if number.is_i64() => Ok(Some(number.as_i64() != Some(0))),
        Some(other) => Err(wrong_shape(field, "true or false", other)),
    }
}

/// A list of strings; scalar items are coerced to their text.
fn string_list(field: &str, value: &Value) -> Result<Value, ApiError> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(_) => Ok(item.clone()),
                scalar @ (Value::Number(_) | Value::Bool(_)) => {
                    Ok(Value::String(scalar.to_string()))
                }
                other => Err(wrong_shape(field, "a list of strings", other)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        other => Err(wrong_shape(field, "a list of strings", other)),
    }
}

/// Schema metadata as Confluent types it: `properties` (string values;
/// scalars are coerced), `tags` (lists of strings per path) and `sensitive`
/// (a list of strings). Unknown keys are dropped and empty parts left out,
/// so `{"properties":{}}` and `{}` are the same metadata.
pub fn metadata(field: &str, value: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let object = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(other) => return Err(wrong_shape(field, "an object", other)),
    };
    let mut typed = Map::new();
    if let Some(Value::Object(properties)) = object.get("properties") {
        let mut coerced = Map::new();
        for (key, value) in properties {
            let text = match value {
                Value::String(text) => text.clone(),
                scalar @ (Value::Number(_) | Value::Bool(_)) => scalar.to_string(),
                Value::Null => continue,
                other => return Err(wrong_shape("metadata.properties", "a string", other)),
            };
            coerced.insert(key.clone(), Value::String(text));
        }
        if !coerced.is_empty() {
            typed.insert("properties".into(), Value::Object(coerced));
        }
    }
    if let Some(Value::Object(tags)) = object.get("tags") {
        let mut lists = Map::new();
        for (path, value) in tags {
            lists.insert(path.clone(), string_list("metadata.tags", value)?);
        }
        if !lists.is_empty() {
            typed.insert("tags".into(), Value::Object(lists));
        }
    }
    if let Some(sensitive) = object.get("sensitive").filter(|v| !v.is_null()) {
        let list = string_list("metadata.sensitive", sensitive)?;
        if list.as_array().is_some_and(|items| !items.is_empty()) {
            typed.insert("sensitive".into(), list);
        }
    }
    Ok(Some(Value::Object(typed)))
}

/// The rule lists of a rule set.
const RULE_LISTS: [&str; 3] = ["migrationRules", "domainRules", "encodingRules"];
/// The text fields of a rule.
const RULE_TEXT_FIELDS: [&str; 6] = ["name", "doc", "type", "expr", "onSuccess", "onFailure"];
/// The values Confluent's `RuleKind` and `RuleMode` enums take.
const RULE_KINDS: [&str; 2] = ["CONDITION", "TRANSFORM"];
const RULE_MODES: [&str; 6] = [
    "UPGRADE",
    "DOWNGRADE",
    "UPDOWN",
    "WRITE",
    "READ",
    "WRITEREAD",
];

/// A data-contract rule set as Confluent types it: the three rule lists and
/// `enableAt`. Unknown keys and `null`s are dropped, so what is stored and
/// returned is a rule set whatever a client sent; a shape that cannot be
/// read as one is a 400.
pub fn rule_set(field: &str, value: Option<&Value>) -> Result<Option<Value>, ApiError> {
    let object = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(object)) => object,
        Some(other) => return Err(wrong_shape(field, "an object", other)),
    };
    let mut typed = Map::new();
    for list in RULE_LISTS {
        match object.get(list) {
            None | Some(Value::Null) => {}
            Some(Value::Array(rules)) => {
                let rules = rules
                    .iter()
                    .map(|r| rule(list, r))
                    .collect::<Result<_, _>>()?;
                typed.insert(list.to_owned(), Value::Array(rules));
            }
            Some(other) => return Err(wrong_shape(list, "a list of rules", other)),
        }
    }
    if let Some(enable_at) = string_field(object, "enableAt")? {
        typed.insert("enableAt".to_owned(), Value::String(enable_at));
    }
    Ok(Some(Value::Object(typed)))
}

/// One rule of a rule set (see `rule_set`).
fn rule(list: &str, value: &Value) -> Result<Value, ApiError> {
    let Value::Object(rule) = value else {
        return Err(wrong_shape(list, "a list of rule objects", value));
    };
    let mut typed = Map::new();
    for field in RULE_TEXT_FIELDS {
        if let Some(text) = string_field(rule, field)? {
            typed.insert(field.to_owned(), Value::String(text));
        }
    }
    for (field, values) in [("kind", &RULE_KINDS[..]), ("mode", &RULE_MODES[..])] {
        if let Some(text) = string_field(rule, field)? {
            if !values.contains(&text.as_str()) {
                return Err(ApiError::MalformedBody(format!(
                    "Field `{field}` must be one of {}, not \"{text}\"",
                    values.join(", ")
                )));
            }
            typed.insert(field.to_owned(), Value::String(text));
        }
    }
    match rule.get("tags") {
        None | Some(Value::Null) => {}
        Some(tags) => {
            typed.insert("tags".to_owned(), string_list("tags", tags)?);
        }
    }
    match rule.get("params") {
        None | Some(Value::Null) => {}
        Some(Value::Object(params)) => {
            let mut coerced = Map::new();
            for (key, value) in params {
                let text = match value {
                    Value::String(text) => text.clone(),
                    scalar @ (Value::Number(_) | Value::Bool(_)) => scalar.to_string(),
                    Value::Null => continue,
                    other => return Err(wrong_shape("params", "a map of strings", other)),
                };
                coerced.insert(key.clone(), Value::String(text));
            }
            typed.insert("params".to_owned(), Value::Object(coerced));
        }
        Some(other) => return Err(wrong_shape("params", "a map of strings", other)),
    }
    if let Some(disabled) = bool_field(rule, "disabled")? {
        typed.insert("disabled".to_owned(), Value::Bool(disabled));
    }
    Ok(Value::Object(typed))
}

fn references(value: Option<&Value>) -> Result<Vec<RequestedReference>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let reference = match item {
                    Value::Object(reference) => reference,
                    // Jackson reads a null entry as a missing reference (42201).
                    Value::Null => {
                        return Err(RegistryError::InvalidSchema(
                            "Invalid reference: null".to_owned(),
                        )
                        .into())
                    }
                    other => return Err(wrong_shape("references[]", "an object", other)),
                };
                let name = string_field(reference, "name")?;
                let subject = string_field(reference, "subject")?;
                let version = int_field(reference, "version")?;
                let spec = version.and_then(|version| match version {
                    -1 => Some(VersionSpec::Latest),
                    number => Version::new(number).map(VersionSpec::Number),
                });
                match (name, subject, spec) {
                    (Some(name), Some(subject), Some(version)) => Ok(RequestedReference {
                        name,
                        subject,
                        version,
                    }),
                    (name, subject, _) => {
                        let show = |text: Option<String>| text.unwrap_or_else(|| "null".to_owned());
                        Err(RegistryError::InvalidSchema(format!(
                            "Invalid reference: {{name='{}', subject='{}', version={}}}",
                            show(name),
                            show(subject),
                            version.map_or_else(|| "null".to_owned(), |v| v.to_string())
                        ))
                        .into())
                    }
                }
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
        metadata: metadata("metadata", object.get("metadata"))?,
        rule_set: rule_set("ruleSet", object.get("ruleSet"))?,
        id: int_field(&object, "id")?.and_then(RequestedId::from_wire),
        // `-1` and `0` ask for no particular version.
        version: int_field(&object, "version")?.and_then(Version::new),
    })
}
