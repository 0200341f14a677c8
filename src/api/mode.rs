//! `/mode` and `/mode/{s}`: READWRITE, READONLY, READONLY_OVERRIDE, IMPORT.

use axum::extract::State;
use axum::response::Response;

use super::body::{object, string_field};
use super::routes::{Access, Routes};
use super::views::ModeBody;
use super::{ok_json, AppState, JsonBody, Params, PathParams};
use crate::auth::Operation;
use crate::error::ApiError;
use crate::registry::{Mode, RegistryError, Scope};

pub fn routes() -> Routes {
    let (read, write) = (Access::SCOPE_READ, Access::SCOPE_WRITE);
    Routes::new()
        .get("/mode", Access::Global(Operation::GlobalRead), get_top)
        .put("/mode", Access::Global(Operation::GlobalWrite), put_top)
        .audited("mode.update")
        .get("/mode/{subject}", read, get_scoped)
        .put("/mode/{subject}", write, put_scoped)
        .audited("mode.update")
        .delete("/mode/{subject}", write, delete_scoped)
        .audited("mode.delete")
}

async fn get_top(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    read(state, Scope::TopLevel, params).await
}

async fn get_scoped(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
) -> Result<Response, ApiError> {
    read(state, Scope::parse(&subject), params).await
}

async fn read(state: AppState, scope: Scope, params: Params) -> Result<Response, ApiError> {
    let mode = state
        .registry
        .get_mode(&scope, params.flag("defaultToGlobal"))
        .await?;
    Ok(ok_json(&ModeBody {
        mode: mode.as_str(),
    }))
}

async fn put_top(
    State(state): State<AppState>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    update(state, Scope::TopLevel, params, body).await
}

async fn put_scoped(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    update(state, Scope::parse_for_write(&subject)?, params, body).await
}

async fn update(
    state: AppState,
    scope: Scope,
    params: Params,
    body: serde_json::Value,
) -> Result<Response, ApiError> {
    let request = object(body, "a mode update")?;
    let requested = string_field(&request, "mode")?.ok_or(RegistryError::InvalidMode)?;
    let mode: Mode = requested.parse()?;
    state
        .registry
        .put_mode(&scope, mode, params.flag("force"))
        .await?;
    // Confluent echoes the request as given.
    Ok(ok_json(&ModeBody { mode: &requested }))
}

async fn delete_scoped(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
) -> Result<Response, ApiError> {
    let scope = Scope::parse_for_write(&subject)?;
    let previous = state.registry.delete_mode(&scope).await?;
    Ok(ok_json(&ModeBody {
        mode: previous.as_str(),
    }))
}
