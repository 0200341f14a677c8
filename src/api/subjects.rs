//! `/subjects`: list, lookup, versions, register, delete.

use super::body::register_request;
use super::routes::{Access, CallerPrincipal, ResolvedSubject, Routes};
use super::views::{RegisteredBody, SchemaBody};
use super::{
    json_bytes, ok_json, raw_schema, AliasedSubject, AppState, JsonBody, Params, PathParams,
    VersionParam,
};
use crate::auth::Operation;
use crate::domain::Page;
use crate::error::ApiError;
use crate::registry::{SchemaFormat, SchemaView, Subject, SubjectListFilter};
use axum::extract::State;
use axum::response::Response;
use axum::Extension;

pub fn routes() -> Routes {
    let read = Access::Subject(Operation::SubjectRead);
    let write = Access::Subject(Operation::SubjectWrite);
    let delete = Access::Subject(Operation::SubjectDelete);
    Routes::new()
        .get("/subjects", Access::Filtered, list_subjects)
        .post("/subjects/{subject}", read, lookup)
        .delete("/subjects/{subject}", delete, delete_subject)
        .audited("subject.delete")
        .get("/subjects/{subject}/versions", read, list_versions)
        .post("/subjects/{subject}/versions", write, register)
        .audited("schema.register")
        .get("/subjects/{subject}/versions/{version}", read, get_version)
        .delete(
            "/subjects/{subject}/versions/{version}",
            delete,
            delete_version,
        )
        .audited("version.delete")
        .get(
            "/subjects/{subject}/versions/{version}/schema",
            read,
            get_version_schema,
        )
        .get(
            "/subjects/{subject}/versions/{version}/referencedby",
            read,
            referenced_by,
        )
}

/// Only the subjects the caller may read; for a caller who may not read
/// them all, the page is taken after filtering.
async fn list_subjects(
    State(state): State<AppState>,
    caller: CallerPrincipal,
    params: Params,
) -> Result<Response, ApiError> {
    let filter = SubjectListFilter {
        prefix: params.get("subjectPrefix").map(str::to_owned),
        deleted: params.flag("deleted"),
        deleted_only: params.flag("deletedOnly") || params.flag("deleted_only"),
    };
    if caller.reads_everything() {
        let subjects = state
            .registry
            .list_subjects(&filter, params.page()?)
            .await?;
        return Ok(ok_json(&subjects));
    }
    let mut subjects = state.registry.list_subjects(&filter, Page::ALL).await?;
    subjects.retain(|subject| caller.may_read(subject));
    Ok(ok_json(&params.page()?.of(subjects)))
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
    resolved: Option<Extension<ResolvedSubject>>,
    params: Params,
    JsonBody(body): JsonBody,
) -> Result<Response, ApiError> {
    let subject = Subject::parse_for_write(&subject)?;
    // The alias as the access check resolved it, if it ran.
    let subject = match resolved {
        Some(Extension(ResolvedSubject(checked))) => checked,
        None => state.registry.resolve_alias(subject).await?,
    };
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
