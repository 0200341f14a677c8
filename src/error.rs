//! The one error type of the HTTP layer: every failure a client can see, with
//! its HTTP status, Confluent `error_code` and message, mapped in one table.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::auth::AuthError;
use crate::registry::RegistryError;

/// The challenge a 401 carries: both schemes Accord accepts.
const WWW_AUTHENTICATE: &str = "Basic realm=\"accord\", Bearer realm=\"accord\"";

/// The Confluent error code of an error response, for the layers that
/// record it (the audit trail).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorCode(pub u32);

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("HTTP 404 Not Found")]
    RouteNotFound,
    #[error("HTTP 405 Method Not Allowed")]
    MethodNotAllowed,
    #[error("HTTP 415 Unsupported Media Type")]
    UnsupportedMediaType,
    #[error("Context name cannot contain a colon")]
    ContextNameWithColon,
    /// The body is not JSON, or not JSON of the expected shape.
    #[error("{0}")]
    MalformedBody(String),
    #[error("Request body is larger than this registry accepts")]
    BodyTooLarge,
    /// A required body was missing (`null` or empty).
    #[error("{0}")]
    MissingBody(String),
    #[error("The request body did not arrive within {0} seconds")]
    BodyTimedOut(u64),
    #[error("The request was not answered within {0} seconds")]
    RequestTimedOut(u64),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl ApiError {
    /// HTTP status and Confluent error code.
    fn status_and_code(&self) -> (StatusCode, u32) {
        use RegistryError as R;
        match self {
            ApiError::RouteNotFound => (StatusCode::NOT_FOUND, 404),
            ApiError::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, 405),
            ApiError::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, 415),
            ApiError::ContextNameWithColon => (StatusCode::BAD_REQUEST, 400),
            ApiError::MalformedBody(_) => (StatusCode::BAD_REQUEST, 400),
            ApiError::MissingBody(_) => (StatusCode::UNPROCESSABLE_ENTITY, 422),
            ApiError::BodyTooLarge => (StatusCode::UNPROCESSABLE_ENTITY, 42209),
            ApiError::BodyTimedOut(_) => (StatusCode::REQUEST_TIMEOUT, 408),
            // Confluent's code for an operation that timed out.
            ApiError::RequestTimedOut(_) => (StatusCode::INTERNAL_SERVER_ERROR, 50002),
            ApiError::Registry(error) => match error {
                R::SubjectNotFound(_) => (StatusCode::NOT_FOUND, 40401),
                R::VersionNotFound(_) => (StatusCode::NOT_FOUND, 40402),
                R::SchemaNotFound | R::SchemaIdNotFound(_) => (StatusCode::NOT_FOUND, 40403),
                R::SubjectSoftDeleted(_) => (StatusCode::NOT_FOUND, 40404),
                R::SubjectNotSoftDeleted(_) => (StatusCode::NOT_FOUND, 40405),
                R::VersionSoftDeleted(..) => (StatusCode::NOT_FOUND, 40406),
                R::VersionNotSoftDeleted(..) => (StatusCode::NOT_FOUND, 40407),
                R::SubjectConfigNotFound(_) => (StatusCode::NOT_FOUND, 40408),
                R::SubjectModeNotFound(_) => (StatusCode::NOT_FOUND, 40409),
                R::Incompatible { .. } => (StatusCode::CONFLICT, 409),
                R::InvalidSchema(_)
                | R::InvalidSchemaType(_)
                | R::EmptySchema
                | R::ReferenceNotFound { .. }
                | R::InvalidVersionInBody(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42201),
                R::InvalidVersion(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42202),
                R::InvalidCompatibilityLevel | R::InvalidCompatibilityPolicy => {
                    (StatusCode::UNPROCESSABLE_ENTITY, 42203)
                }
                R::InvalidMode => (StatusCode::UNPROCESSABLE_ENTITY, 42204),
                R::OperationNotPermitted(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42205),
                R::ReferenceExists(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42206),
                R::InvalidSubject(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42208),
                R::SchemaTooLarge { .. } => (StatusCode::UNPROCESSABLE_ENTITY, 42209),
                R::ContextNotEmpty(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42211),
                R::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, 50001),
                R::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 500),
            },
            ApiError::Auth(error) => match error {
                AuthError::Unauthenticated(_) => (StatusCode::UNAUTHORIZED, 40101),
                AuthError::Denied { .. } => (StatusCode::FORBIDDEN, 40301),
                AuthError::PrincipalNotFound(_) => (StatusCode::NOT_FOUND, 40420),
                AuthError::KeyNotFound(_) => (StatusCode::NOT_FOUND, 40421),
                AuthError::RoleNotFound(_) => (StatusCode::NOT_FOUND, 40422),
                AuthError::BindingNotFound => (StatusCode::NOT_FOUND, 40423),
                AuthError::PrincipalExists(_) => (StatusCode::CONFLICT, 40920),
                AuthError::Invalid(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42220),
                AuthError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, 50001),
                AuthError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 500),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let message = if status.is_server_error() {
            // The whole chain goes to the log; the client gets nothing internal.
            let mut chain = self.to_string();
            let mut source = std::error::Error::source(&self);
            while let Some(cause) = source {
                chain.push_str(": ");
                chain.push_str(&cause.to_string());
                source = cause.source();
            }
            tracing::error!(error = %chain, error_code = code, "request failed");
            match code {
                50001 => "Error in the backend data store".to_owned(),
                50002 => self.to_string(),
                _ => "Internal Server Error".to_owned(),
            }
        } else if let ApiError::Auth(AuthError::Unauthenticated(reason)) = &self {
            // Why is logged; the client learns only that it must sign in.
            tracing::debug!(reason, "request not authenticated");
            "Unauthorized: send HTTP Basic credentials or an API key as a Bearer token".to_owned()
        } else {
            self.to_string()
        };
        let mut response =
            crate::api::json_response(status, &json!({ "error_code": code, "message": message }));
        response.extensions_mut().insert(ErrorCode(code));
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(WWW_AUTHENTICATE),
            );
        }
        response
    }
}
