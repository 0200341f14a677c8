//! `/contexts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, delete, get};
use axum::Router;

use super::{ok_json, AppState, Params, PathParams};
use crate::error::ApiError;
use crate::registry::RegistryError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contexts", get(list_contexts))
        .route("/contexts/{context}", delete(delete_context))
        .route(
            "/contexts/{context}/{*rest}",
            any(context_scoped_with_colon),
        )
}

async fn list_contexts(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let mut contexts = state.registry.contexts().await?;
    if let Some(prefix) = params.get("contextPrefix") {
        contexts.retain(|c| c.starts_with(prefix));
    }
    Ok(ok_json(&params.page()?.of(contexts)))
}

/// `{context}` may be given as `.ctx` or `:.ctx:`.
async fn delete_context(
    State(state): State<AppState>,
    PathParams(context): PathParams<String>,
) -> Result<Response, ApiError> {
    let name = context
        .strip_prefix(':')
        .and_then(|rest| rest.strip_suffix(':'))
        .unwrap_or(&context);
    if !name.starts_with('.') || name == "." {
        return Err(RegistryError::InvalidSubject(context.clone()).into());
    }
    state.registry.delete_context(name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `/contexts/{ctx}/…` reaches here only when the router did not rewrite it
/// into a request on qualified subjects: the context name has a colon.
async fn context_scoped_with_colon(
    PathParams((context, _)): PathParams<(String, String)>,
) -> ApiError {
    if context.contains(':') {
        ApiError::ContextNameWithColon
    } else {
        ApiError::RouteNotFound
    }
}
