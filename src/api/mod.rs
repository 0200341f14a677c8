//! The HTTP API, one module per resource. Handlers stay thin: extract, call
//! the registry, shape the response.

pub mod admin;
mod body;
pub mod compatibility;
pub mod config;
pub mod contexts;
mod extract;
pub mod mode;
pub mod root;
pub mod routes;
pub mod schemas;
pub mod subjects;
pub mod views;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub use extract::{refuse_nul, AliasedSubject, JsonBody, Params, PathParams, VersionParam};

use crate::audit::Auditor;
use crate::auth::Security;
use crate::metrics::Metrics;
use crate::registry::{ChangeFollower, Registry, Rendered};

/// What every handler can reach; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub registry: Registry,
    pub security: Security,
    pub auditor: Auditor,
    /// Whether this replica's caches have caught up with the others' writes.
    pub follower: ChangeFollower,
    pub metrics: Metrics,
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

/// A JSON body rendered earlier (and cached by the registry).
pub fn json_bytes(body: bytes::Bytes) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(SCHEMA_REGISTRY_JSON),
        )],
        body,
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

/// A cached rendering of an immutable resource, with its `ETag`; `304 Not
/// Modified` when the client's `If-None-Match` names it.
pub fn cached_json(rendered: Rendered, request_headers: &HeaderMap) -> Response {
    let etag = rendered.etag.as_bytes();
    let not_modified = request_headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|value| value.as_bytes().split(|byte| *byte == b','))
        .map(|tag| tag.trim_ascii())
        .any(|tag| tag == b"*" || tag.strip_prefix(b"W/").unwrap_or(tag) == etag);
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static(SCHEMA_REGISTRY_JSON),
            )],
            rendered.body,
        )
            .into_response()
    };
    response.headers_mut().insert(header::ETAG, rendered.etag);
    response
}
