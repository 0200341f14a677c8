//! `/contexts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::routes::{Access, CallerPrincipal, Routes};
use super::{ok_json, AppState, Params, PathParams};
use crate::auth::Operation;
use crate::error::ApiError;
use crate::registry::{context_in_path, RegistryError, DEFAULT_CONTEXT};

pub fn routes() -> Routes {
    Routes::new()
        .get("/contexts", Access::Filtered, list_contexts)
        .delete(
            "/contexts/{context}",
            Access::Global(Operation::GlobalWrite),
            delete_context,
        )
        .audited("context.delete")
        // Only ever refuses the request.
        .any("/contexts/{context}/{*rest}", context_scoped_with_colon)
}

/// Callers who may read global settings see every context; others see
/// the contexts that hold a subject they may read.
async fn list_contexts(
    State(state): State<AppState>,
    caller: CallerPrincipal,
    params: Params,
) -> Result<Response, ApiError> {
    let mut contexts = state.registry.contexts().await?;
    if let Some(prefix) = params.get("contextPrefix") {
        contexts.retain(|c| c.starts_with(prefix));
    }
    if !caller.reads_everything() && !caller.0.allows(Operation::GlobalRead, None) {
        let readable = state
            .registry
            .readable_contexts(|subject| caller.may_read(subject))
            .await?;
        contexts.retain(|context| readable.contains(context));
    }
    Ok(ok_json(&params.page()?.of(contexts)))
}

/// `{context}` may be given as `ctx`, `.ctx` or `:.ctx:`, as in Confluent.
async fn delete_context(
    State(state): State<AppState>,
    PathParams(context): PathParams<String>,
) -> Result<Response, ApiError> {
    let name = context_in_path(&context).ok_or(ApiError::ContextNameWithColon)?;
    if name == DEFAULT_CONTEXT {
        return Err(RegistryError::InvalidSubject(context).into());
    }
    state.registry.delete_context(&name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `/contexts/{ctx}/…` reaches here only when the router did not rewrite it
/// into a request on qualified subjects: the context name has a colon
/// inside, or nothing is served under it.
async fn context_scoped_with_colon(
    PathParams((context, _)): PathParams<(String, String)>,
) -> ApiError {
    match context_in_path(&context) {
        None => ApiError::ContextNameWithColon,
        Some(_) => ApiError::RouteNotFound,
    }
}
