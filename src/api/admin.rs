//! `/accord/v1/…`: principals, API keys, roles and role bindings (admin),
//! and `whoami` for any authenticated caller.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::routes::{Access, CallerPrincipal, Routes};
use super::{json_response, ok_json, AppState, JsonBody, Params, PathParams};
use crate::auth::{Credential, Secret};
use crate::error::ApiError;
use crate::registry::{RegistryError, Subject};
use crate::store::AuditFilter;

pub fn routes() -> Routes {
    Routes::new()
        .get("/accord/v1/whoami", Access::Authenticated, whoami)
        .get("/accord/v1/principals", Access::Admin, list_principals)
        .post("/accord/v1/principals", Access::Admin, add_principal)
        .audited("principal.add")
        .get("/accord/v1/principals/{name}", Access::Admin, get_principal)
        .delete(
            "/accord/v1/principals/{name}",
            Access::Admin,
            remove_principal,
        )
        .audited("principal.remove")
        .put(
            "/accord/v1/principals/{name}/password",
            Access::Admin,
            set_password,
        )
        .audited("principal.password")
        .get("/accord/v1/keys", Access::Admin, list_keys)
        .post("/accord/v1/keys", Access::Admin, create_key)
        .audited("key.create")
        .delete("/accord/v1/keys/{key_id}", Access::Admin, revoke_key)
        .audited("key.revoke")
        .get("/accord/v1/role-bindings", Access::Admin, list_bindings)
        .post("/accord/v1/role-bindings", Access::Admin, add_binding)
        .audited("binding.add")
        .delete("/accord/v1/role-bindings", Access::Admin, remove_binding)
        .audited("binding.remove")
        .get("/accord/v1/roles", Access::Admin, list_roles)
        .put("/accord/v1/roles/{name}", Access::Admin, put_role)
        .audited("role.put")
        .delete("/accord/v1/roles/{name}", Access::Admin, delete_role)
        .audited("role.delete")
        .get("/accord/v1/audit", Access::Admin, audit_events)
}

fn decode<T: DeserializeOwned>(body: Value, what: &str) -> Result<T, ApiError> {
    serde_json::from_value(body)
        .map_err(|error| ApiError::MalformedBody(format!("Invalid {what}: {error}")))
}

#[derive(Serialize)]
struct WhoAmI<'a> {
    name: &'a str,
    authenticated: bool,
}

async fn whoami(caller: CallerPrincipal) -> Response {
    ok_json(&WhoAmI {
        name: &caller.0.name,
        authenticated: matches!(
            caller.0.credential,
            Credential::Password | Credential::ApiKey | Credential::Certificate | Credential::Token
        ),
    })
}

async fn list_principals(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok_json(&state.security.principals().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPrincipal {
    name: String,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    roles: Vec<NewBinding>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBinding {
    role: String,
    #[serde(default = "everything")]
    resource: String,
}

fn everything() -> String {
    "*".to_owned()
}

async fn add_principal(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request: NewPrincipal = decode(body, "principal")?;
    let bindings: Vec<(String, String)> = request
        .roles
        .into_iter()
        .map(|binding| (binding.role, binding.resource))
        .collect();
    state
        .security
        .add_principal(&request.name, request.password.map(Secret::new), &bindings)
        .await?;
    Ok(json_response(
        StatusCode::CREATED,
        &state.security.principal(&request.name).await?,
    ))
}

async fn get_principal(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<Response, ApiError> {
    Ok(ok_json(&state.security.principal(&name).await?))
}

async fn remove_principal(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<Response, ApiError> {
    state.security.remove_principal(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPassword {
    /// `null` removes the password (the principal keeps its API keys).
    password: Option<String>,
}

async fn set_password(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request: NewPassword = decode(body, "password change")?;
    state
        .security
        .set_password(&name, request.password.map(Secret::new))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_keys(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    Ok(ok_json(
        &state.security.keys(params.get("principal")).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    principal: String,
    #[serde(default)]
    description: String,
}

async fn create_key(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request: NewKey = decode(body, "key")?;
    let created = state
        .security
        .create_key(&request.principal, &request.description)
        .await?;
    Ok(json_response(StatusCode::CREATED, &created))
}

async fn revoke_key(
    State(state): State<AppState>,
    PathParams(key_id): PathParams<String>,
) -> Result<Response, ApiError> {
    state.security.revoke_key(&key_id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn list_bindings(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    Ok(ok_json(
        &state.security.bindings(params.get("principal")).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Binding {
    principal: String,
    role: String,
    #[serde(default = "everything")]
    resource: String,
}

async fn add_binding(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request: Binding = decode(body, "role binding")?;
    let binding = state
        .security
        .bind(&request.principal, &request.role, &request.resource)
        .await?;
    Ok(json_response(StatusCode::CREATED, &binding))
}

/// `DELETE /accord/v1/role-bindings?principal=…&role=…&resource=…`.
async fn remove_binding(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let required = |name: &str| {
        params
            .get(name)
            .map(str::to_owned)
            .ok_or_else(|| ApiError::MalformedBody(format!("Query parameter `{name}` is required")))
    };
    let resource = params.get("resource").unwrap_or("*").to_owned();
    state
        .security
        .unbind(&required("principal")?, &required("role")?, &resource)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /accord/v1/audit`: a page of the trail, oldest first, filtered by
/// time (`since`, `until`, ms since the epoch), `principal`, `operation`
/// and `subject`; `after` a position pages on.
async fn audit_events(State(state): State<AppState>, params: Params) -> Result<Response, ApiError> {
    let number = |name: &str| -> Result<Option<i64>, ApiError> {
        params
            .get(name)
            .map(|value| {
                value.trim().parse::<i64>().map_err(|_| {
                    ApiError::MalformedBody(format!("Query parameter `{name}` must be an integer"))
                })
            })
            .transpose()
    };
    let filter = AuditFilter {
        after: number("after")?.unwrap_or(0),
        since: number("since")?,
        until: number("until")?,
        principal: params.get("principal").map(str::to_owned),
        operation: params.get("operation").map(str::to_owned),
        resource: params
            .get("subject")
            .map(|subject| format!("Subject: {}", Subject::parse(subject).qualified())),
        limit: number("limit")?
            .filter(|limit| *limit > 0)
            .unwrap_or(100)
            .min(1000),
    };
    let events = crate::audit::events(state.auditor.store(), &filter)
        .await
        .map_err(RegistryError::from)?;
    Ok(ok_json(&events))
}

async fn list_roles(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(ok_json(&state.security.roles().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    operations: Vec<String>,
}

async fn put_role(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request: RoleBody = decode(body, "role")?;
    Ok(ok_json(
        &state.security.put_role(&name, &request.operations).await?,
    ))
}

async fn delete_role(
    State(state): State<AppState>,
    PathParams(name): PathParams<String>,
) -> Result<Response, ApiError> {
    state.security.delete_role(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
