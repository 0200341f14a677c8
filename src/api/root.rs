//! `/`, metadata, health and the probes clients make.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::routes::{Access, Routes};
use super::{json_response, ok_json, AppState, JsonBody};
use crate::error::ApiError;

/// Probes and metadata: public, so that load balancers and container
/// health checks need no credentials.
pub fn routes() -> Routes {
    Routes::new()
        .get("/", Access::Public, root)
        .post("/", Access::Public, root_post)
        .get("/v1/metadata/id", Access::Public, metadata_id)
        .get("/v1/metadata/version", Access::Public, metadata_version)
        .get("/health", Access::Public, health)
        .get("/health/ready", Access::Public, health)
        .get("/health/live", Access::Public, live)
        .get("/master_available", Access::Public, master_available)
        .get("/metrics", Access::Public, metrics)
        .any("/associations", associations)
        .any("/associations/{*rest}", associations)
}

async fn root() -> Response {
    ok_json(&json!({}))
}

/// `POST /` takes an optional map of strings (Confluent's liveness probe
/// with a body) and answers `{}`.
async fn root_post(body: Result<JsonBody, ApiError>) -> Result<Response, ApiError> {
    match body {
        Err(ApiError::MissingBody(_)) => {}
        Err(error) => return Err(error),
        Ok(JsonBody(Value::Object(map)))
            if map.values().all(|v| !v.is_object() && !v.is_array()) => {}
        Ok(_) => {
            return Err(ApiError::MalformedBody(
                "Expected a JSON object of strings".to_owned(),
            ))
        }
    }
    Ok(ok_json(&json!({})))
}

async fn metadata_id() -> Response {
    ok_json(&json!({
        "scope": {
            "path": [],
            "clusters": { "schema-registry-cluster": "accord" }
        }
    }))
}

async fn metadata_version() -> Response {
    ok_json(&json!({
        "version": env!("CARGO_PKG_VERSION"),
        "commitId": option_env!("ACCORD_COMMIT").unwrap_or("unknown"),
    }))
}

/// 200 once the store answers and this replica's caches have caught up with
/// the other replicas' writes, 503 otherwise.
async fn health(State(state): State<AppState>) -> Response {
    if !state.follower.is_ready() {
        return json_response(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "status": "DOWN", "error_code": 50002, "message": "caches are catching up with the change log" }),
        );
    }
    match state.registry.store().ping().await {
        Ok(()) => ok_json(&json!({ "status": "UP" })),
        Err(error) => {
            tracing::warn!(error = %error, "health check: store unreachable");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &json!({ "status": "DOWN", "error_code": 50001, "message": "store unreachable" }),
            )
        }
    }
}

/// The process answers: for liveness probes, which must not fail while the
/// database is away (restarting the process would not bring it back).
async fn live() -> Response {
    ok_json(&json!({ "status": "UP" }))
}

/// Karapace clients and tests probe this.
async fn master_available() -> Response {
    ok_json(&json!({ "master_available": true }))
}

/// Current Confluent serializers probe associations before every serialize
/// and fall back to the topic name strategy only on a 404.
async fn associations() -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &json!({
            "error_code": 40410,
            "message": "Association not found: this registry does not manage associations",
        }),
    )
}

/// Prometheus metrics (text format 0.0.4). Public like the probes: it holds
/// counts and route templates, never a subject's name.
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let store = state.registry.store();
    let counts = state
        .metrics
        .format_counts(|| store.format_counts())
        .await
        .map_err(crate::registry::RegistryError::from)?;
    let snapshot = crate::metrics::Snapshot {
        caches: state.registry.caches().stats(),
        pool: store.pool_status(),
        change_log: state.follower.lag(store).await,
    };
    let text = state.metrics.render(&snapshot, &counts);
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
        )],
        text,
    )
        .into_response())
}
