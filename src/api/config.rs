//! `/config` and `/config/{s}`: compatibility level and related settings.

use axum::extract::State;
use axum::response::Response;

use super::body::{bool_field, metadata, object, rule_set, string_field};
use super::routes::{Access, Routes};
use super::{ok_json, AppState, JsonBody, Params, PathParams};
use crate::auth::Operation;
use crate::error::ApiError;
use crate::registry::{ConfigUpdate, Scope};

pub fn routes() -> Routes {
    let (read, write) = (Access::SCOPE_READ, Access::SCOPE_WRITE);
    Routes::new()
        .get("/config", Access::Global(Operation::GlobalRead), get_top)
        .put("/config", Access::Global(Operation::GlobalWrite), put_top)
        .audited("config.update")
        .delete(
            "/config",
            Access::Global(Operation::GlobalWrite),
            delete_top,
        )
        .audited("config.delete")
        .get("/config/{subject}", read, get_scoped)
        .put("/config/{subject}", write, put_scoped)
        .audited("config.update")
        .delete("/config/{subject}", write, delete_scoped)
        .audited("config.delete")
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
    let config = state
        .registry
        .get_config(&scope, params.flag("defaultToGlobal"))
        .await?;
    Ok(ok_json(&config))
}

async fn put_top(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    update(state, Scope::TopLevel, body).await
}

async fn put_scoped(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    update(state, Scope::parse_for_write(&subject)?, body).await
}

async fn update(
    state: AppState,
    scope: Scope,
    body: serde_json::Value,
) -> Result<Response, ApiError> {
    let request = object(body, "a config update")?;
    // Shapes Jackson would reject are refused before anything is stored.
    let update = ConfigUpdate {
        compatibility: string_field(&request, "compatibility")?,
        normalize: bool_field(&request, "normalize")?,
        validate_fields: bool_field(&request, "validateFields")?,
        validate_rules: bool_field(&request, "validateRules")?,
        compatibility_group: string_field(&request, "compatibilityGroup")?,
        compatibility_policy: string_field(&request, "compatibilityPolicy")?,
        default_metadata: metadata("defaultMetadata", request.get("defaultMetadata"))?,
        override_metadata: metadata("overrideMetadata", request.get("overrideMetadata"))?,
        default_rule_set: rule_set("defaultRuleSet", request.get("defaultRuleSet"))?,
        override_rule_set: rule_set("overrideRuleSet", request.get("overrideRuleSet"))?,
        alias: string_field(&request, "alias")?,
    };
    state.registry.put_config(&scope, &update).await?;
    // Confluent answers with the update as it was understood.
    Ok(ok_json(&update))
}

async fn delete_top(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok_json(
        &state.registry.delete_config(&Scope::TopLevel).await?,
    ))
}

async fn delete_scoped(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
) -> Result<Response, ApiError> {
    let scope = Scope::parse_for_write(&subject)?;
    Ok(ok_json(&state.registry.delete_config(&scope).await?))
}
