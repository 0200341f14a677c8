//! `/subjects`: list, lookup, versions, register, delete.

use super::body::register_request;
use super::views::{RegisteredBody, SchemaBody};
use super::{
    json_bytes, ok_json, raw_schema, AliasedSubject, AppState, JsonBody, Params, PathParams,
    VersionParam,
};
use crate::error::ApiError;
use crate::registry::{SchemaFormat, SchemaView, Subject, SubjectListFilter};
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/subjects", get(list_subjects))
        .route("/subjects/{subject}", post(lookup).delete(delete_subject))
        .route(
            "/subjects/{subject}/versions",
            get(list_versions).post(register),
        )
        .route(
            "/subjects/{subject}/versions/{version}",
            get(get_version).delete(delete_version),
        )
        .route(
            "/subjects/{subject}/versions/{version}/schema",
            get(get_version_schema),
        )
        .route(
            "/subjects/{subject}/versions/{version}/referencedby",
            get(referenced_by),
        )
}

async fn list_subjects(
    State(state): State<AppState>,
    params: Params,
) -> Result<Response, ApiError> {
    let filter = SubjectListFilter {
        prefix: params.get("subjectPrefix").map(str::to_owned),
        deleted: params.flag("deleted"),
        deleted_only: params.flag("deletedOnly") || params.flag("deleted_only"),
    };
    let subjects = state
        .registry
        .list_subjects(&filter, params.page()?)
        .await?;
    Ok(ok_json(&subjects))
}

async fn lookup(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let request = register_request(body)?;
    let body = state
        .registry
        .lookup(
            &subject,
            request,
            params.flag("normalize"),
            params.flag("deleted"),
            render_version,
        )
        .await?;
    Ok(json_bytes(body))
}

async fn delete_subject(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = state
        .registry
        .delete_subject(&subject, params.flag("permanent"))
        .await?;
    Ok(ok_json(&versions))
}

async fn list_versions(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = state
        .registry
        .list_versions(&subject, params.flag("deleted"), params.flag("deletedOnly"))
        .await?;
    Ok(ok_json(&params.page()?.of(versions)))
}

/// The subject is checked after the body, as Confluent checks them.
async fn register(
    State(state): State<AppState>,
    PathParams(subject): PathParams<String>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let subject = state
        .registry
        .resolve_alias(Subject::parse_for_write(&subject)?)
        .await?;
    let request = register_request(body)?;
    let registered = state
        .registry
        .register(
            &subject,
            request,
            params.flag("normalize"),
            params.flag("force"),
        )
        .await?;
    let stored = registered.stored.as_ref();
    Ok(ok_json(&RegisteredBody {
        id: registered.id,
        guid: &registered.guid,
        version: stored.map(|_| registered.version),
        schema: stored.map(|(schema, _)| schema.as_str()),
        metadata: stored.and_then(|(_, metadata)| metadata.as_ref()),
    }))
}

async fn get_version_schema(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    VersionParam(version): VersionParam,
    params: Params,
) -> Result<Response, ApiError> {
    let view = state
        .registry
        .get_version(
            &subject,
            version,
            params.flag("deleted"),
            SchemaFormat::from_param(params.get("format")),
        )
        .await?;
    Ok(raw_schema(view.schema))
}

fn render_version(view: &SchemaView) -> Vec<u8> {
    serde_json::to_vec(&SchemaBody::of_version(view)).expect("response bodies serialize")
}

async fn get_version(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    VersionParam(version): VersionParam,
    params: Params,
) -> Result<Response, ApiError> {
    let body = state
        .registry
        .version_response(
            &subject,
            version,
            params.flag("deleted"),
            SchemaFormat::from_param(params.get("format")),
            render_version,
        )
        .await?;
    Ok(json_bytes(body))
}

async fn referenced_by(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    VersionParam(version): VersionParam,
    params: Params,
) -> Result<Response, ApiError> {
    let ids = state.registry.referenced_by(&subject, version).await?;
    Ok(ok_json(&params.page()?.of(ids)))
}

async fn delete_version(
    State(state): State<AppState>,
    AliasedSubject(subject): AliasedSubject,
    VersionParam(version): VersionParam,
    params: Params,
) -> Result<Response, ApiError> {
    let deleted = state
        .registry
        .delete_version(&subject, version, params.flag("permanent"))
        .await?;
    Ok(ok_json(&deleted))
}
