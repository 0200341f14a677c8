//! `/compatibility/subjects/{s}/versions[/{v}]`.

use accord_schema::Direction;
use axum::extract::State;
use axum::response::Response;

use super::body::register_request;
use super::routes::{Access, Routes};
use super::views::{CompatibilityBody, Explanation};
use super::{ok_json, AliasedSubject, AppState, JsonBody, Params, PathParams};
use crate::auth::Operation;
use crate::error::ApiError;
use crate::registry::{Finding, Subject, VersionSpec};

pub fn routes() -> Routes {
    // A check reads the subject's versions and changes nothing.
    let read = Access::Subject(Operation::SubjectRead);
    Routes::new()
        .post(
            "/compatibility/subjects/{subject}/versions",
            read,
            check_all,
        )
        .post(
            "/compatibility/subjects/{subject}/versions/{version}",
            read,
            check_version,
        )
}

async fn check_all(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    check(state, subject, None, params, body).await
}

/// The version is checked after the body, as Confluent checks them.
async fn check_version(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    PathParams((_, version)): PathParams<(String, String)>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let version = VersionSpec::parse(&version)?;
    check(state, subject, Some(version), params, body).await
}

async fn check(
    state: AppState,
    subject: Subject,
    version: Option<VersionSpec>,
    params: Params,
    body: serde_json::Value,
) -> Result<Response, ApiError> {
    let request = register_request(body)?;
    let verbose = params.flag("verbose");
    let report = state
        .registry
        .test_compatibility(
            &subject,
            version,
            request,
            params.flag("normalize"),
            verbose,
        )
        .await?;
    let explain = params.flag("explain");
    Ok(ok_json(&CompatibilityBody {
        is_compatible: report.is_compatible,
        incompatibilities: explain.then(|| report.findings.iter().map(explanation).collect()),
        messages: verbose.then_some(report.messages),
    }))
}

/// One finding as `explain=true` returns it: what breaks, where, for whom,
/// and how to fix it.
fn explanation(finding: &Finding) -> Explanation {
    let incompatibility = &finding.incompatibility;
    let version = finding.version;
    let (direction, breaks) = match incompatibility.direction {
        Direction::Backward => (
            "BACKWARD",
            format!("data written with version {version} cannot be read with the new schema"),
        ),
        Direction::Forward => (
            "FORWARD",
            format!(
                "data written with the new schema cannot be read by readers still on version {version}"
            ),
        ),
    };
    Explanation {
        version,
        rule: incompatibility.rule,
        path: incompatibility.path.clone(),
        direction,
        breaks,
        description: incompatibility.description.clone(),
        detail: incompatibility.detail.clone(),
        old: incompatibility.old_fragment.clone(),
        new: incompatibility.new_fragment.clone(),
        fix: incompatibility.fix.clone(),
    }
}
