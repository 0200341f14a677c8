//! `/schemas`: by id, by GUID, the list, and the supported types.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;

use super::routes::{Access, CallerPrincipal, Routes};
use super::views::{SchemaBody, SubjectVersion};
use super::{cached_json, ok_json, raw_schema, AppState, Params, PathParams};
use crate::domain::{Page, SchemaId, Version};
use crate::error::ApiError;
use crate::registry::{RegistryError, Subject};
use crate::registry::{SchemaFormat, SchemaView, SubjectListFilter, DEFAULT_CONTEXT};

pub fn routes() -> Routes {
    Routes::new()
        .get("/schemas", Access::Filtered, list_schemas)
        .get("/schemas/types", Access::Authenticated, schema_types)
        .get("/schemas/ids/{id}", Access::SchemaById, schema_by_id)
        .get(
            "/schemas/ids/{id}/schema",
            Access::SchemaById,
            schema_text_by_id,
        )
        .get(
            "/schemas/ids/{id}/subjects",
            Access::Filtered,
            subjects_of_id,
        )
        .get(
            "/schemas/ids/{id}/versions",
            Access::Filtered,
            versions_of_id,
        )
        .get(
            "/schemas/guids/{guid}",
            Access::SchemaByGuid,
            schema_by_guid,
        )
}

/// `/schemas` returns at most this many schemas per page, as Confluent does.
const SCHEMA_LIST_LIMIT: usize = 1000;

async fn schema_types() -> Response {
    let types: Vec<&str> = accord_schema::SchemaType::supported()
        .iter()
        .map(|t| t.as_str())
        .collect();
    ok_json(&types)
}

/// Ids are int32 in Confluent: a segment that is not one matches no route,
/// and one that can never be an id (0 or negative) is not found.
fn parse_id(raw: &str) -> Result<SchemaId, ApiError> {
    let id = raw
        .trim()
        .parse::<i32>()
        .map_err(|_| ApiError::RouteNotFound)?;
    SchemaId::new(i64::from(id))
        .ok_or_else(|| RegistryError::SchemaIdNotFound(id.to_string()).into())
}

/// The schema an `/schemas/ids/{id}…` request names.
async fn find_by_id(
    state: &AppState,
    raw_id: &str,
    params: &Params,
) -> Result<SchemaView, ApiError> {
    let id = parse_id(raw_id)?;
    Ok(state
        .registry
        .schema_by_id(
            id,
            params.get("subject"),
            SchemaFormat::from_param(params.get("format")),
        )
        .await?)
}

fn render_by_id(view: &SchemaView) -> Vec<u8> {
    serde_json::to_vec(&SchemaBody::by_id(view)).expect("response bodies serialize")
}

/// Served from the registry's cache of rendered responses: an id names the
/// same bytes until it is deleted for good.
async fn schema_by_id(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if params.flag("fetchMaxId") {
        let view = find_by_id(&state, &id, &params).await?;
        let max_id = state.registry.max_id(DEFAULT_CONTEXT).await?;
        return Ok(ok_json(&SchemaBody {
            max_id: Some(max_id.map_or(0, SchemaId::get)),
            ..SchemaBody::by_id(&view)
        }));
    }
    let rendered = state
        .registry
        .schema_response_by_id(
            parse_id(&id)?,
            params.get("subject"),
            SchemaFormat::from_param(params.get("format")),
            render_by_id,
        )
        .await?;
    Ok(cached_json(rendered, &headers))
}

async fn schema_text_by_id(
    State(state): State<AppState>,
    PathParams(id): PathParams<String>,
    params: Params,
) -> Result<Response, ApiError> {
    Ok(raw_schema(find_by_id(&state, &id, &params).await?.schema))
}

/// The versions that carry the id an `/schemas/ids/{id}/…` request names,
/// among the subjects the caller may read.
async fn versions_carrying(
    state: &AppState,
    caller: &CallerPrincipal,
    raw_id: &str,
    params: &Params,
) -> Result<Vec<(Subject, Version)>, ApiError> {
    let id = parse_id(raw_id).map_err(|error| match error {
        // As Confluent answers for these two lists.
        ApiError::Registry(RegistryError::SchemaIdNotFound(_)) => {
            RegistryError::SchemaNotFound.into()
        }
        other => other,
    })?;
    let mut versions = state
        .registry
        .versions_of_id(id, params.get("subject"), params.flag("deleted"))
        .await?;
    if !caller.reads_everything() {
        versions.retain(|(subject, _)| caller.may_read(&subject.qualified()));
    }
    Ok(versions)
}

async fn subjects_of_id(
    State(state): State<AppState>,
    caller: CallerPrincipal,
    PathParams(id): PathParams<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = versions_carrying(&state, &caller, &id, &params).await?;
    let mut subjects: Vec<String> = versions
        .iter()
        .map(|(subject, _)| subject.qualified())
        .collect();
    subjects.dedup();
    Ok(ok_json(&params.page()?.of(subjects)))
}

async fn versions_of_id(
    State(state): State<AppState>,
    caller: CallerPrincipal,
    PathParams(id): PathParams<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let versions = versions_carrying(&state, &caller, &id, &params).await?;
    let subjects: Vec<String> = versions
        .iter()
        .map(|(subject, _)| subject.qualified())
        .collect();
    let pairs: Vec<SubjectVersion<'_>> = versions
        .iter()
        .zip(&subjects)
        .map(|((_, version), subject)| SubjectVersion {
            subject,
            version: *version,
        })
        .collect();
    Ok(ok_json(&params.page()?.of(pairs)))
}

async fn schema_by_guid(
    State(state): State<AppState>,
    PathParams(guid): PathParams<String>,
    params: Params,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let format = SchemaFormat::from_param(params.get("format"));
    let rendered = state
        .registry
        .schema_response_by_guid(&guid, format, render_by_id)
        .await?;
    Ok(cached_json(rendered, &headers))
}

async fn list_schemas(
    State(state): State<AppState>,
    caller: CallerPrincipal,
    params: Params,
) -> Result<Response, ApiError> {
    let filter = SubjectListFilter {
        prefix: params.get("subjectPrefix").map(str::to_owned),
        deleted: params.flag("deleted"),
        deleted_only: false,
    };
    let page = params.page()?.capped(SCHEMA_LIST_LIMIT);
    let latest_only = params.flag("latestOnly");
    let rule_type = params.get("ruleType");
    let views = if rule_type.is_some() || !caller.reads_everything() {
        // Rule sets are stored as JSON the database does not look into, and
        // permissions are not in the database: these filters read every
        // version and page afterwards.
        let mut views = state
            .registry
            .list_schemas(&filter, latest_only, Page::ALL)
            .await?;
        views.retain(|view| {
            rule_type.is_none_or(|rule_type| has_rule_of_type(view.rule_set.as_ref(), rule_type))
                && view
                    .subject
                    .as_deref()
                    .is_some_and(|subject| caller.may_read(subject))
        });
        page.of(views)
    } else {
        {
            state
                .registry
                .list_schemas(&filter, latest_only, page)
                .await?
        }
    };
    let aliases = if params.flag("aliases") {
        state.registry.aliases().await?
    } else {
        Default::default()
    };
    let objects: Vec<SchemaBody<'_>> = views
        .iter()
        .map(|view| SchemaBody {
            aliases: view
                .subject
                .as_ref()
                .and_then(|subject| aliases.get(subject))
                .map(Vec::as_slice),
            ..SchemaBody::in_list(view)
        })
        .collect();
    Ok(ok_json(&objects))
}

/// Whether a rule set has a domain, migration or encoding rule of this type.
fn has_rule_of_type(rule_set: Option<&Value>, rule_type: &str) -> bool {
    let Some(rule_set) = rule_set else {
        return false;
    };
    ["domainRules", "migrationRules", "encodingRules"]
        .iter()
        .filter_map(|list| rule_set.get(*list).and_then(Value::as_array))
        .flatten()
        .any(|rule| rule.get("type").and_then(Value::as_str) == Some(rule_type))
}
