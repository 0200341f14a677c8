//! Merges the resource routers; unknown routes and wrong methods answer with
//! Confluent-style JSON errors.

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::Uri;
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

/// Collapses empty path segments and drops a trailing slash before routing,
/// as Confluent's Jersey does (`/subjects/` and `/subjects/a//versions` work).
pub fn normalize_path(mut request: Request) -> Request {
    let path = request.uri().path();
    if !path.contains("//") && (path.len() <= 1 || !path.ends_with('/')) {
        return request;
    }
    let mut normalized = String::with_capacity(path.len());
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        normalized.push('/');
        normalized.push_str(segment);
    }
    if normalized.is_empty() {
        normalized.push('/');
    }
    if let Some(query) = request.uri().query() {
        normalized.push('?');
        normalized.push_str(query);
    }
    let mut parts = request.uri().clone().into_parts();
    if let Ok(path_and_query) = normalized.parse() {
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::normalize_path;
    use axum::extract::Request;

    fn normalized(uri: &str) -> String {
        let request = Request::builder().uri(uri).body(axum::body::Body::empty()).unwrap();
        normalize_path(request).uri().to_string()
    }

    #[test]
    fn collapses_empty_segments_and_trailing_slashes() {
        assert_eq!(normalized("/subjects/"), "/subjects");
        assert_eq!(normalized("/subjects/a//versions?deleted=true"), "/subjects/a/versions?deleted=true");
        assert_eq!(normalized("/"), "/");
        assert_eq!(normalized("/subjects/a%2Fb/versions"), "/subjects/a%2Fb/versions");
    }
}
