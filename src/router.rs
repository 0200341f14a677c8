//! Merges the resource routers; unknown routes and wrong methods answer with
//! Confluent-style JSON errors.

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::Uri;
use axum::middleware::{from_fn, from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::Router;

use crate::api::routes::{authenticate, Routes};
use crate::api::{self, AppState};
use crate::error::ApiError;
use crate::registry::context_in_path;

/// Every route of the API, with the access each declares.
pub fn routes() -> Routes {
    Routes::new()
        .merge(api::root::routes())
        .merge(api::subjects::routes())
        .merge(api::schemas::routes())
        .merge(api::config::routes())
        .merge(api::mode::routes())
        .merge(api::compatibility::routes())
        .merge(api::contexts::routes())
        .merge(api::admin::routes())
}

pub fn router(state: AppState, max_body_bytes: usize, request_timeout: Duration) -> Router {
    routes()
        .into_router(&state)
        .fallback(|| async { ApiError::RouteNotFound })
        .method_not_allowed_fallback(|| async { ApiError::MethodNotAllowed })
        .layer(from_fn(api::refuse_nul))
        // Inside `authenticate`, so that a timed-out request is logged and
        // counted like any other.
        .layer(from_fn_with_state(request_timeout, answer_within))
        .layer(from_fn_with_state(state.clone(), authenticate))
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .with_state(state)
}

/// Answers 500/50002 when the handler takes longer than `limit`; the
/// handler's work is dropped (a transaction not yet committed rolls back).
async fn answer_within(State(limit): State<Duration>, request: Request, next: Next) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::RequestTimedOut(limit.as_secs()).into_response(),
    }
}

/// Rewrites a request's path before routing: empty segments and a trailing
/// slash go, as in Confluent's Jersey (`/subjects/`, `/subjects/a//versions`),
/// and the context-scoped forms `/contexts/{ctx}/…` become the equivalent
/// requests on context-qualified subjects.
pub fn normalize_path(mut request: Request) -> Request {
    let path = request.uri().path();
    // Most requests need nothing: answered without splitting the path.
    let clean = !path.contains("//") && (path.len() <= 1 || !path.ends_with('/'));
    if clean && !path.starts_with("/contexts/") {
        return request;
    }
    let segments: Vec<&str> = path
        .split('/')
        .filter(|segment| !segment.is_empty())
        .collect();
    let scoped = match segments.as_slice() {
        // A context name with a colon inside is left for the contexts
        // router to refuse.
        ["contexts", context, rest @ ..] if !rest.is_empty() => {
            context_in_segment(context).map(|context| context_scoped(&context, rest))
        }
        _ => None,
    };
    let (segments, extra_query) = match scoped {
        Some(scoped) => scoped,
        None => {
            if clean {
                return request;
            }
            (segments.iter().map(|s| (*s).to_owned()).collect(), None)
        }
    };
    let mut normalized = String::with_capacity(path.len() + 16);
    for segment in &segments {
        normalized.push('/');
        normalized.push_str(segment);
    }
    if normalized.is_empty() {
        normalized.push('/');
    }
    // The context's own parameter goes first: the first value of a
    // parameter wins, so a client's `subject=` cannot leave the context.
    let query: Vec<&str> = extra_query
        .as_deref()
        .into_iter()
        .chain(request.uri().query())
        .collect();
    if !query.is_empty() {
        normalized.push('?');
        normalized.push_str(&query.join("&"));
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

/// The context a still percent-encoded `/contexts/{ctx}` segment names (see
/// `context_in_path`); only its colons need decoding for that.
fn context_in_segment(segment: &str) -> Option<String> {
    context_in_path(&segment.replace("%3A", ":").replace("%3a", ":"))
}

/// `/contexts/{ctx}/rest…` as a request on `:{ctx}:`-qualified subjects;
/// returns the new path segments and any query parameter to add.
fn context_scoped(context: &str, rest: &[&str]) -> (Vec<String>, Option<String>) {
    // `%3A` is `:`.
    let qualifier = format!("%3A{context}%3A");
    let owned = |segments: &[&str]| segments.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    match rest {
        ["subjects"] | ["schemas"] => (owned(rest), Some(format!("subjectPrefix={qualifier}"))),
        ["subjects", subject, tail @ ..] | ["compatibility", "subjects", subject, tail @ ..] => {
            let mut segments = owned(&rest[..rest.len() - tail.len() - 1]);
            segments.push(format!("{qualifier}{subject}"));
            segments.extend(owned(tail));
            (segments, None)
        }
        ["schemas", "ids", ..] => (owned(rest), Some(format!("subject={qualifier}"))),
        [resource @ ("config" | "mode")] => (vec![(*resource).to_owned(), qualifier], None),
        [resource @ ("config" | "mode"), subject] => (
            vec![(*resource).to_owned(), format!("{qualifier}{subject}")],
            None,
        ),
        _ => {
            let mut segments = vec!["contexts".to_owned(), context.to_owned()];
            segments.extend(owned(rest));
            (segments, None)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_path;
    use axum::extract::Request;

    fn normalized(uri: &str) -> String {
        let request = Request::builder()
            .uri(uri)
            .body(axum::body::Body::empty())
            .unwrap();
        normalize_path(request).uri().to_string()
    }

    #[test]
    fn collapses_empty_segments_and_trailing_slashes() {
        assert_eq!(normalized("/subjects/"), "/subjects");
        assert_eq!(
            normalized("/subjects/a//versions?deleted=true"),
            "/subjects/a/versions?deleted=true"
        );
        assert_eq!(normalized("/"), "/");
        assert_eq!(
            normalized("/subjects/a%2Fb/versions"),
            "/subjects/a%2Fb/versions"
        );
    }

    #[test]
    fn rewrites_context_scoped_urls() {
        assert_eq!(
            normalized("/contexts/.c/subjects/a/versions/1"),
            "/subjects/%3A.c%3Aa/versions/1"
        );
        assert_eq!(
            normalized("/contexts/c/subjects?deleted=true"),
            "/subjects?subjectPrefix=%3A.c%3A&deleted=true"
        );
        assert_eq!(
            normalized("/contexts/.c/schemas/ids/3"),
            "/schemas/ids/3?subject=%3A.c%3A"
        );
        assert_eq!(normalized("/contexts/.c/config"), "/config/%3A.c%3A");
        assert_eq!(normalized("/contexts/.c/mode/a"), "/mode/%3A.c%3Aa");
        assert_eq!(
            normalized("/contexts/.c/compatibility/subjects/a/versions/latest"),
            "/compatibility/subjects/%3A.c%3Aa/versions/latest"
        );
        assert_eq!(normalized("/contexts/.c"), "/contexts/.c");
        assert_eq!(normalized("/contexts/%3A.c%3A/mode"), "/mode/%3A.c%3A");
        assert_eq!(normalized("/contexts/:.c:/config/a"), "/config/%3A.c%3Aa");
        // Left for the contexts router to refuse.
        assert_eq!(normalized("/contexts/a:b/mode"), "/contexts/a:b/mode");
        assert_eq!(normalized("/contexts/a%3ab/mode/"), "/contexts/a%3ab/mode");
    }
}
