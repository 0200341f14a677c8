//! JSON Schema documents: drafts 4, 6, 7, 2019-09 and 2020-12.
//!
//! A schema is accepted as Confluent Schema Registry 7.9 accepts it: the draft
//! comes from `$schema` (none, or a URL Accord does not know, means draft 7);
//! the document must satisfy its draft's meta-schema; every `$ref` must lead
//! somewhere — into the document itself (`definitions`, `$defs`, `$id`,
//! anchors) or into one of the references handed in, by reference name
//! resolved against the root's `$id` (so `"$ref": "dep.json"` or
//! `"dep.json#/definitions/x"` finds the reference named `dep.json`). Nothing
//! is ever fetched. Like Confluent, a bare array, number or string document is
//! accepted (`[]`, `12`, `"x"`); `null` is not, and neither are meta-schema
//! violations other than empty or repeating lists (`{"allOf": []}` is
//! accepted, as Confluent does). Up to draft 7 a `$ref` replaces its sibling
//! keywords; from 2019-09 both apply.
//!
//! Limits: documents nest at most 128 levels (`serde_json`'s recursion limit,
//! reported with its line and column); regexes are compiled by `fancy-regex`
//! under size limits and only ever run against property names, with a
//! backtracking limit; `$ref` chains that loop without reaching a schema are
//! refused.
//!
//! `canonical()` is Confluent's stored text (Jackson's compact form, key order
//! as given, numbers as `BigDecimal` prints them); `normalized()` is the same
//! with object keys sorted (Confluent's `normalize=true`).

pub mod compat;
mod model;
mod resolve;
mod text;
mod validate;

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::{ResolvedReference, SchemaError};
use model::Model;
use resolve::{Document, Index, DEFAULT_BASE_URI};

/// The deepest nesting of schemas Accord reads; `serde_json` refuses deeper
/// documents before this is reached.
pub(crate) const MAX_NESTING: usize = 128;

/// The JSON Schema drafts Accord reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Draft {
    Draft4,
    Draft6,
    Draft7,
    Draft201909,
    Draft202012,
}

impl Draft {
    /// The draft a schema declares in `$schema`; draft 7 without one or for a
    /// meta-schema URL Accord does not know, as Confluent does.
    pub fn of(schema: &Value) -> Draft {
        schema
            .get("$schema")
            .and_then(Value::as_str)
            .and_then(Draft::from_url)
            .unwrap_or(Draft::Draft7)
    }

    /// The draft of a meta-schema URL (`http`/`https`, with or without `#`).
    pub fn from_url(url: &str) -> Option<Draft> {
        let url = url.trim();
        let url = url.strip_suffix('#').unwrap_or(url);
        let url = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        match url {
            "json-schema.org/draft-04/schema" => Some(Draft::Draft4),
            "json-schema.org/draft-06/schema" => Some(Draft::Draft6),
            "json-schema.org/draft-07/schema" => Some(Draft::Draft7),
            "json-schema.org/draft/2019-09/schema" => Some(Draft::Draft201909),
            "json-schema.org/draft/2020-12/schema" => Some(Draft::Draft202012),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Draft::Draft4 => "draft-04",
            Draft::Draft6 => "draft-06",
            Draft::Draft7 => "draft-07",
            Draft::Draft201909 => "2019-09",
            Draft::Draft202012 => "2020-12",
        }
    }

    /// The keyword naming a schema resource: `id` in draft 4, `$id` after.
    pub fn id_keyword(self) -> &'static str {
        match self {
            Draft::Draft4 => "id",
            _ => "$id",
        }
    }
}

impl fmt::Display for Draft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed JSON Schema with the schemas its `$ref`s may point to.
#[derive(Clone)]
pub struct JsonSchema {
    canonical: String,
    normalized: String,
    draft: Draft,
    model: Arc<Model>,
}

impl fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonSchema")
            .field("draft", &self.draft)
            .field("canonical", &self.canonical)
            .finish()
    }
}

fn invalid_schema(reason: impl fmt::Display) -> SchemaError {
    SchemaError::Invalid(format!("Invalid JSON Schema: {reason}"))
}

fn read_json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str(text)
}

fn json_error(error: &serde_json::Error) -> String {
    if error.to_string().starts_with("recursion limit exceeded") {
        format!(
            "nesting deeper than {MAX_NESTING} levels at line {} column {}",
            error.line(),
            error.column()
        )
    } else {
        error.to_string()
    }
}

impl JsonSchema {
    /// Parses and checks `text`; `references` are the schemas its `$ref`s
    /// name, each under the name the `$ref` uses (its URL, without fragment).
    pub fn parse(text: &str, references: &[ResolvedReference<'_>]) -> Result<Self, SchemaError> {
        let value = read_json(text).map_err(|error| {
            SchemaError::Invalid(format!("Invalid JSON: {}", json_error(&error)))
        })?;
        let (canonical, normalized) = text::canonical_and_normalized(text)
            .ok_or_else(|| SchemaError::Invalid("Invalid JSON: unreadable document".to_owned()))?;
        let draft = Draft::of(&value);
        match &value {
            Value::Null => {
                return Err(invalid_schema(
                    "a schema must be a JSON object or a boolean, not null",
                ))
            }
            Value::Object(_) | Value::Bool(_) => {
                validate::meta_schema(&value, draft).map_err(invalid_schema)?;
            }
            // Confluent accepts these documents as they are.
            Value::Array(_) | Value::Number(_) | Value::String(_) => {}
        }
        let root_base = value
            .get(draft.id_keyword())
            .and_then(Value::as_str)
            .and_then(|id| resolve::resolve_uri(DEFAULT_BASE_URI, id))
            .map(|id| id.split('#').next().unwrap_or_default().to_owned())
            .unwrap_or_else(|| DEFAULT_BASE_URI.to_owned());
        let mut documents = vec![Document {
            value,
            draft,
            name: None,
            base: root_base.clone(),
        }];
        for reference in references {
            let value = read_json(reference.schema).map_err(|error| {
                invalid_schema(format!(
                    "reference '{}' is not valid JSON: {}",
                    reference.name,
                    json_error(&error)
                ))
            })?;
            let name = reference.name.split('#').next().unwrap_or_default();
            let base = resolve::resolve_uri(&root_base, name)
                .map(|uri| uri.split('#').next().unwrap_or_default().to_owned())
                .ok_or_else(|| {
                    invalid_schema(format!(
                        "reference name '{}' is not a valid URI reference",
                        reference.name
                    ))
                })?;
            let reference_draft = value
                .get("$schema")
                .and_then(Value::as_str)
                .and_then(Draft::from_url)
                .unwrap_or(draft);
            documents.push(Document {
                value,
                draft: reference_draft,
                name: Some(reference.name.to_owned()),
                base,
            });
        }
        let index = Index::build(&documents).map_err(invalid_schema)?;
        validate::patterns(&documents, &index).map_err(invalid_schema)?;
        let model = model::build(documents, &index).map_err(invalid_schema)?;
        Ok(JsonSchema {
            canonical,
            normalized,
            draft,
            model: Arc::new(model),
        })
    }

    /// Confluent's canonical text: compact, key order as given.
    pub fn canonical(&self) -> String {
        self.canonical.clone()
    }

    /// The `normalize=true` text: compact, object keys sorted.
    pub fn normalized(&self) -> String {
        self.normalized.clone()
    }

    /// The heap memory the schema holds: its texts, its documents (the
    /// references' included) and the typed model read from them (see
    /// `crate::heap`).
    pub fn estimated_heap_bytes(&self) -> usize {
        // The model is one allocation of its own, shared by clones.
        self.canonical.capacity()
            + self.normalized.capacity()
            + std::mem::size_of::<Model>()
            + self.model.heap_bytes()
    }

    /// The draft the schema is read as.
    pub fn draft(&self) -> Draft {
        self.draft
    }

    /// The schema document.
    pub fn as_json(&self) -> &Value {
        &self.model.documents[0].value
    }

    pub(crate) fn model(&self) -> &Model {
        &self.model
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<JsonSchema, String> {
        JsonSchema::parse(text, &[]).map_err(|error| error.to_string())
    }

    #[test]
    fn drafts_come_from_schema_keyword() {
        assert_eq!(Draft::of(&serde_json::json!({})), Draft::Draft7);
        assert_eq!(
            Draft::of(&serde_json::json!({"$schema": "http://json-schema.org/draft-04/schema#"})),
            Draft::Draft4
        );
        assert_eq!(
            Draft::of(
                &serde_json::json!({"$schema": "https://json-schema.org/draft/2020-12/schema"})
            ),
            Draft::Draft202012
        );
        assert_eq!(
            Draft::of(&serde_json::json!({"$schema": "http://example.com/unknown"})),
            Draft::Draft7
        );
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let error = parse("{\n  \"type\":").unwrap_err();
        assert!(error.starts_with("Invalid JSON: "), "{error}");
        assert!(error.contains("line 2 column"), "{error}");
    }

    #[test]
    fn meta_schema_violations_name_the_pointer() {
        let error = parse(r#"{"type":"object","properties":{"a":{"type":"nope"}}}"#).unwrap_err();
        assert!(
            error.starts_with("Invalid JSON Schema: at '#/properties/a/type'"),
            "{error}"
        );
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let depth = 10_000;
        let text = format!("{}{}", "{\"not\":".repeat(depth), "}".repeat(depth));
        let error = parse(&text).unwrap_err();
        assert!(error.contains("nesting deeper than 128 levels"), "{error}");
        let array = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&array).is_err());
    }

    #[test]
    fn bad_and_pathological_regexes() {
        let error = parse(r#"{"type":"string","pattern":"("}"#).unwrap_err();
        assert!(error.contains("at '#/pattern'"), "{error}");
        let error = parse(r#"{"patternProperties":{"[":{}}}"#).unwrap_err();
        assert!(error.contains("#/patternProperties"), "{error}");
        // Refused by the size limit, or accepted: never a hang.
        let huge = r#"{"pattern":"((a{1000}){1000}){1000}"}"#;
        let _ = parse(huge);
        assert!(parse(r#"{"pattern":"(a+)+$"}"#).is_ok());
        assert!(parse(r#"{"pattern":"^(?!x).*$"}"#).is_ok());
    }

    #[test]
    fn references_resolve_by_name_and_fragment() {
        let dep = r#"{"definitions":{"x":{"type":"string"}},"type":"object"}"#;
        let references = [ResolvedReference {
            name: "dep.json",
            schema: dep,
        }];
        for text in [
            r#"{"properties":{"d":{"$ref":"dep.json"}}}"#,
            r##"{"properties":{"d":{"$ref":"dep.json#/definitions/x"}}}"##,
            r#"{"$id":"http://example.com/root.json","properties":{"d":{"$ref":"dep.json"}}}"#,
        ] {
            assert!(JsonSchema::parse(text, &references).is_ok(), "{text}");
        }
        let error = parse(r#"{"properties":{"d":{"$ref":"dep.json"}}}"#).unwrap_err();
        assert!(
            error.contains("no schema reference is named 'dep.json'"),
            "{error}"
        );
        let error = JsonSchema::parse(
            r##"{"properties":{"d":{"$ref":"dep.json#/definitions/y"}}}"##,
            &references,
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("'#/definitions/y' does not exist"),
            "{error}"
        );
    }

    #[test]
    fn references_into_unknown_keywords_resolve() {
        let text = r##"{"x-defs":{"a":{"type":"object","properties":{"b":{"$ref":"#/x-defs/b"}}},"b":{"type":"string"}},"$ref":"#/x-defs/a"}"##;
        assert!(parse(text).is_ok());
        let broken = r##"{"x-defs":{"a":{"properties":{"b":{"$ref":"#/x-defs/missing"}}}},"$ref":"#/x-defs/a"}"##;
        let error = parse(broken).unwrap_err();
        assert!(
            error.contains("'#/x-defs/missing' does not exist"),
            "{error}"
        );
    }

    #[test]
    fn reference_loops_are_refused() {
        let error = parse(r##"{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"$ref":"#/definitions/a"}},"$ref":"#/definitions/a"}"##)
            .unwrap_err();
        assert!(error.contains("loop"), "{error}");
        assert!(parse(r##"{"type":"object","properties":{"next":{"$ref":"#"}}}"##).is_ok());
    }

    #[test]
    fn parsed_schemas_can_be_shared_across_threads() {
        fn shareable<T: Send + Sync + Clone>() {}
        shareable::<JsonSchema>();
    }

    #[test]
    fn non_schema_documents_as_confluent() {
        assert!(parse("[]").is_ok());
        assert!(parse("12").is_ok());
        assert!(parse("\"x\"").is_ok());
        assert!(parse("null").is_err());
    }
}
