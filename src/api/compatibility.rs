//! `/compatibility/subjects/{s}/versions[/{v}]`.

use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use serde_json::json;

use super::body::register_request;
use super::{ok_json, AppState, JsonBody, Params, PathParams};
use crate::error::ApiError;
use crate::registry::{Subject, VersionSpec};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/compatibility/subjects/{subject}/versions",
            post(check_all),
        )
        .route(
            "/compatibility/subjects/{subject}/versions/{version}",
            post(check_version),
        )
}

async fn check_all(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check(state, &subject, None, params, body).await
}

async fn check_version(
    State(state): State<AppState>,
    PathParams((subject, version)): PathParams<(String, String)>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let version = VersionSpec::parse(&version)?;
    check(state, &subject, Some(version), params, body).await
}

async fn check(
    state: AppState,
    subject: &str,
    version: Option<VersionSpec>,
    params: Params,
    body: serde_json::Value,
) -> Result<Response, ApiError> {
    let subject = state
        .registry
        .resolve_alias(Subject::parse(subject))
        .await?;
    let request = register_request(body)?;
    let verbose = params.flag("verbose");
    let report = state
        .registry
        .test_compatibility(
            &subject,
            version,
            request,
            params.flag("normalize"),
            verbose,
        )
        .await?;
    Ok(if verbose {
        ok_json(&json!({ "is_compatible": report.is_compatible, "messages": report.messages }))
    } else {
        ok_json(&json!({ "is_compatible": report.is_compatible }))
    })
}
