//! The HTTP API, one module per resource. Handlers stay thin: extract, call
//! the registry, shape the response.

mod body;
pub mod compatibility;
pub mod config;
pub mod contexts;
mod extract;
pub mod mode;
pub mod root;
pub mod schemas;
pub mod subjects;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use extract::{JsonBody, Params, PathParams};

use crate::registry::{Registry, SchemaView};

/// What every handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
}

/// Confluent's preferred media type, used for every JSON response.
pub const SCHEMA_REGISTRY_JSON: &str = "application/vnd.schemaregistry.v1+json";

/// Serialises a JSON response with the registry's media type.
pub fn json_response<T: Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).expect("response bodies serialize");
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCHEMA_REGISTRY_JSON),
        )],
        bytes,
    )
        .into_response()
}

pub fn ok_json<T: Serialize + ?Sized>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

/// A raw schema text (the `/schema` endpoints): not JSON-quoted.
pub fn raw_schema(text: String) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCHEMA_REGISTRY_JSON),
        )],
        text,
    )
        .into_response()
}

/// The schema object of Confluent's API. `schemaType` is left out for Avro
/// and `references` when empty, as Confluent (≤7.9) does.
/// One schema as Confluent 8 answers for it alone (by id, GUID, version or
/// lookup): with its `guid`, which header-framing clients need. Lists leave
/// it out, as Confluent 7 does.
pub fn schema_json_with_guid(
    view: &SchemaView,
    with_subject: bool,
) -> serde_json::Map<String, serde_json::Value> {
    let mut object = schema_json(view, with_subject);
    object.insert("guid".into(), serde_json::Value::String(view.guid.clone()));
    object
}

pub fn schema_json(
    view: &SchemaView,
    with_subject: bool,
) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::{json, Value};
    let mut object = serde_json::Map::new();
    if with_subject {
        if let Some(subject) = &view.subject {
            object.insert("subject".into(), Value::String(subject.clone()));
        }
        if let Some(version) = view.version {
            object.insert("version".into(), json!(version));
        }
    }
    object.insert("id".into(), json!(view.id));
    if view.schema_type != "AVRO" {
        object.insert("schemaType".into(), Value::String(view.schema_type.clone()));
    }
    if !view.references.is_empty() {
        object.insert("references".into(), json!(view.references));
    }
    if let Some(metadata) = &view.metadata {
        object.insert("metadata".into(), metadata.clone());
    }
    if let Some(rule_set) = &view.rule_set {
        object.insert("ruleSet".into(), rule_set.clone());
    }
    object.insert("schema".into(), Value::String(view.schema.clone()));
    object
}
