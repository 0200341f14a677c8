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

pub fn routes() -> Routes {
    Routes::new()
        .get("/accord/v1/whoami", Access::Authenticated, whoami)
        .get("/accord/v1/principals", Access::Admin, list_principals)
        .post("/accord/v1/principals", Access::Admin, add_principal)
        .get("/accord/v1/principals/{name}", Access::Admin, get_principal)
        .delete(
            "/accord/v1/principals/{name}",
            Access::Admin,
            remove_principal,
        )
        .put(
            "/accord/v1/principals/{name}/password",
            Access::Admin,
            set_password,
        )
        .get("/accord/v1/keys", Access::Admin, list_keys)
        .post("/accord/v1/keys", Access::Admin, create_key)
        .delete("/accord/v1/keys/{key_id}", Access::Admin, revoke_key)
        .get("/accord/v1/role-bindings", Access::Admin, list_bindings)
        .post("/accord/v1/role-bindings", Access::Admin, add_binding)
        .delete("/accord/v1/role-bindings", Access::Admin, remove_binding)
        .get("/accord/v1/roles", Access::Admin, list_roles)
        .put("/accord/v1/roles/{name}", Access::Admin, put_role)
        .delete("/accord/v1/roles/{name}", Access::Admin, delete_role)
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
            Credential::Password | Credential::ApiKey
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
