//! Extractors whose rejections are our error type, so that bad bodies get
//! Confluent-style JSON errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::domain::Page;
use crate::error::ApiError;
use crate::registry::{Subject, VersionSpec};

/// Media types a request body may carry; all are read as JSON.
const ACCEPTED_BODY_TYPES: &[&str] = &[
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
];

/// A JSON request body, checked for media type, present and well-formed.
pub struct JsonBody(pub serde_json::Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let media_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .map(|value| {
                value
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase()
            });
        match media_type {
            Some(media_type) if ACCEPTED_BODY_TYPES.contains(&media_type.as_str()) => {}
            _ => return Err(ApiError::UnsupportedMediaType),
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::BodyTooLarge
                } else if let Some(timed_out) = body_timeout(&rejection) {
                    ApiError::BodyTimedOut(timed_out.0.as_secs())
                } else {
                    ApiError::MalformedBody(rejection.body_text())
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::MissingBody(
                "Request body must not be empty".to_owned(),
            ));
        }
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|error| ApiError::MalformedBody(format!("Malformed JSON: {error}")))?;
        if value.is_null() {
            return Err(ApiError::MissingBody(
                "Request body must not be null".to_owned(),
            ));
        }
        if holds_nul(&value) {
            return Err(ApiError::MalformedBody(
                "Strings in a request body cannot hold a NUL character (\\u0000)".to_owned(),
            ));
        }
        Ok(JsonBody(value))
    }
}

/// No name, text or setting in the registry can hold a NUL character (the
/// PostgreSQL store cannot keep one, so neither does SQLite): a path or
/// query with one (`%00`) matches nothing, and is answered as an unknown
/// route before anything looks it up, as an undecodable path is.
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    let uri = request.uri();
    if uri.path().contains("%00") || uri.query().is_some_and(|query| query.contains("%00")) {
        return ApiError::RouteNotFound.into_response();
    }
    next.run(request).await
}

/// Whether a JSON value has a NUL character in a string or a key.
fn holds_nul(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::String(text) => text.contains('\0'),
        Value::Array(items) => items.iter().any(holds_nul),
        Value::Object(object) => object
            .iter()
            .any(|(key, value)| key.contains('\0') || holds_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Query parameters, read the way Confluent reads them: booleans are `true`
/// in any case, anything else false; bad integers fall back to defaults;
/// unknown parameters are ignored.
#[derive(Debug, Default)]
pub struct Params(Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        Ok(Params(
            serde_urlencoded::from_str::<Vec<(String, String)>>(query).unwrap_or_default(),
        ))
    }
}

impl Params {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"))
    }

    /// An integer parameter. A value that is not an integer makes the
    /// request match no resource, as in Confluent (Jersey answers 404).
    pub fn int(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value
                .parse::<i32>()
                .map(i64::from)
                .map_err(|_| ApiError::RouteNotFound),
        }
    }

    /// `offset` and `limit`, as Confluent reads them: negative offsets
    /// count as 0, and a limit of 0 or less (or none) is no limit.
    pub fn page(&self) -> Result<Page, ApiError> {
        Ok(Page::from_params(
            self.int("offset", 0)?,
            self.int("limit", -1)?,
        ))
    }
}

/// Path parameters; a segment that does not decode is an unknown route.
pub struct PathParams<T>(pub T);

impl<S, T> FromRequestParts<S> for PathParams<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + Send,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| PathParams(value))
            .map_err(|_| ApiError::RouteNotFound)
    }
}

/// One path parameter, percent-decoded; an undecodable path matches no route.
async fn path_param<S: Send + Sync>(
    parts: &mut Parts,
    state: &S,
    name: &str,
) -> Result<String, ApiError> {
    let params = axum::extract::RawPathParams::from_request_parts(parts, state)
        .await
        .map_err(|_| ApiError::RouteNotFound)?;
    params
        .iter()
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .ok_or(ApiError::RouteNotFound)
}

/// The subject a `/subjects/{subject}…` or `/compatibility/subjects/{subject}…`
/// request acts on: the one named, or the subject its config makes it an
/// alias of (one level, as in Confluent).
pub struct AliasedSubject(pub Subject);

impl FromRequestParts<AppState> for AliasedSubject {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Resolved by the access check, when it ran: the same subject it allowed.
        if let Some(resolved) = parts.extensions.get::<super::routes::ResolvedSubject>() {
            return Ok(AliasedSubject(resolved.0.clone()));
        }
        let raw = path_param(parts, state, "subject").await?;
        let subject = state.registry.resolve_alias(Subject::parse(&raw)).await?;
        Ok(AliasedSubject(subject))
    }
}

/// The `{version}` of a path: a number or `latest` (42202 otherwise).
pub struct VersionParam(pub VersionSpec);

impl<S: Send + Sync> FromRequestParts<S> for VersionParam {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = path_param(parts, state, "version").await?;
        Ok(VersionParam(VersionSpec::parse(&raw)?))
    }
}

/// The body read timeout, if that is why the body could not be read.
fn body_timeout<'e>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e crate::serve::BodyTimedOut> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(timed_out) = error.downcast_ref::<crate::serve::BodyTimedOut>() {
            return Some(timed_out);
        }
        cause = error.source();
    }
    None
}
