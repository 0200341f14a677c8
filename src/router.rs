//! Merges the resource routers; unknown routes and wrong methods answer with
//! Confluent-style JSON errors.

use axum::extract::DefaultBodyLimit;
use axum::Router;

use crate::api::{self, AppState};
use crate::error::ApiError;

pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    Router::new()
        .merge(api::root::router())
        .merge(api::subjects::router())
        .merge(api::schemas::router())
        .merge(api::config::router())
        .merge(api::mode::router())
        .merge(api::compatibility::router())
        .merge(api::contexts::router())
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}
