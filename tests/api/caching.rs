//! The registry's caches: conditional requests on immutable schemas, what
//! a permanent delete takes out of them, their byte budget, and the rules
//! they must not change (the one normalization rule).

use accord::registry::{
    RegisterRequest, Registry, RegistryOptions, SchemaFormat, Subject, DEFAULT_CONTEXT,
};
use accord::store::Store;
use accord_schema::CompatibilityLevel;
use reqwest::header::{ETAG, IF_NONE_MATCH};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, TestDatabase};

const PROTO: &str = "syntax = \"proto3\";\npackage cache.test;\n\nmessage Order {\n  string id = 1;\n  int64 amount = 2;\n}\n";

async fn get_with_etag(
    app: &TestApp,
    path: &str,
    etag: Option<&str>,
) -> (StatusCode, String, String) {
    let mut request = app.client.get(app.url(path));
    if let Some(etag) = etag {
        request = request.header(IF_NONE_MATCH, etag);
    }
    let response = request.send().await.expect("request is sent");
    let status = response.status();
    let tag = response
        .headers()
        .get(ETAG)
        .map(|value| value.to_str().expect("ascii ETag").to_owned())
        .unwrap_or_default();
    (status, tag, response.text().await.expect("body"))
}

async fn schemas_by_id_and_guid_revalidate_with_etags(app: TestApp) {
    let (status, registered) = app
        .post(
            "/subjects/etag-orders-value/versions",
            &json!({ "schema": PROTO, "schemaType": "PROTOBUF" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    let id = registered["id"].as_i64().unwrap();
    let guid = registered["guid"].as_str().unwrap().to_owned();
    let by_id = format!("/schemas/ids/{id}");

    let (status, etag, body) = get_with_etag(&app, &by_id, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag:?}");
    let (status, again, cached) = get_with_etag(&app, &by_id, None).await;
    assert_eq!((status, &again, &cached), (StatusCode::OK, &etag, &body));

    // The client's copy is current: no body.
    let (status, same, empty) = get_with_etag(&app, &by_id, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert_eq!(same, etag);
    assert!(empty.is_empty());
    let listed = format!("\"stale\", W/{etag}");
    assert_eq!(
        get_with_etag(&app, &by_id, Some(&listed)).await.0,
        StatusCode::NOT_MODIFIED
    );
    let (status, _, full) = get_with_etag(&app, &by_id, Some("\"stale\"")).await;
    assert_eq!((status, full.as_str()), (StatusCode::OK, body.as_str()));

    // The same schema by GUID is the same bytes.
    let (status, guid_etag, guid_body) =
        get_with_etag(&app, &format!("/schemas/guids/{guid}"), None).await;
    assert_eq!(
        (status, &guid_etag, &guid_body),
        (StatusCode::OK, &etag, &body)
    );

    // Another format is another representation.
    let serialized = format!("{by_id}?format=serialized");
    let (status, serialized_etag, serialized_body) = get_with_etag(&app, &serialized, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(serialized_etag, etag);
    assert_ne!(serialized_body, body);
    assert_eq!(
        get_with_etag(&app, &serialized, Some(&etag)).await.0,
        StatusCode::OK
    );

    // Deleted for good, the schema is gone from every cache.
    let (status, _) = app.delete("/subjects/etag-orders-value").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get(&by_id).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a soft-deleted version's schema stays readable"
    );
    let (status, _) = app
        .delete("/subjects/etag-orders-value?permanent=true")
        .await;
    assert_eq!(status, StatusCode::OK);
    for path in [by_id.clone(), serialized, format!("/schemas/guids/{guid}")] {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
        assert_eq!(body["error_code"], 40403, "{path}");
    }
    let (status, _, _) = get_with_etag(&app, &by_id, Some(&etag)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// FORWARD mode writes like IMPORT: schemas are stored as given, never
/// normalized, so lookups and checks under it must not normalize either, or
/// they would not find what was stored.
async fn forward_mode_never_normalizes(app: TestApp) {
    // Normalizing sorts the custom properties; the canonical form keeps them.
    let schema =
        r#"{"type":"record","name":"R","fields":[{"name":"a","type":"int"}],"zz":1,"aa":2}"#;
    let (status, _) = app.put("/config", &json!({ "normalize": true })).await;
    assert_eq!(status, StatusCode::OK);
    app.register("fwd-normalized-value", schema).await;
    let (_, normalized) = app.get("/subjects/fwd-normalized-value/versions/1").await;

    let (status, _) = app.put("/mode", &json!({ "mode": "FORWARD" })).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(
            "/subjects/fwd-forwarded-value/versions",
            &json!({ "schema": schema, "id": 500 }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], 500);
    let (_, forwarded) = app.get("/subjects/fwd-forwarded-value/versions/1").await;
    assert_ne!(
        forwarded["schema"], normalized["schema"],
        "FORWARD stores the schema as given"
    );

    let (status, found) = app
        .post(
            "/subjects/fwd-forwarded-value",
            &json!({ "schema": schema }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["id"], 500);
    let (status, verdict) = app
        .post(
            "/compatibility/subjects/fwd-forwarded-value/versions/latest",
            &json!({ "schema": schema }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{verdict}");
    assert_eq!(verdict["is_compatible"], true);

    let (status, _) = app.put("/mode", &json!({ "mode": "READWRITE" })).await;
    assert_eq!(status, StatusCode::OK);
    // Under READWRITE the config's normalize applies again.
    let (status, found) = app
        .post(
            "/subjects/fwd-normalized-value",
            &json!({ "schema": schema }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{found}");
}

crate::backend_tests!(
    schemas_by_id_and_guid_revalidate_with_etags,
    forward_mode_never_normalizes,
);

/// Registering and reading back 2,000 distinct Protobuf schemas keeps the
/// parsed-schema cache within its byte budget, as the cache reports it.
async fn parsed_schemas_stay_within_their_budget(backend: Backend) {
    const SCHEMAS: usize = 2_000;
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let store = Store::connect(&database.url).await.expect("store");
    let registry = Registry::new(
        store.clone(),
        RegistryOptions {
            max_schema_bytes: 1 << 20,
            default_compatibility: CompatibilityLevel::Backward,
            cache_max_bytes: 4 * 1024 * 1024,
        },
    );
    let mut ids = Vec::with_capacity(SCHEMAS);
    for n in 0..SCHEMAS {
        let request = RegisterRequest {
            schema: Some(format!(
                "syntax = \"proto3\";\npackage budget.n{n};\n\nmessage Event{n} {{\n  string id = 1;\n  int64 at = 2;\n  repeated string tags = 3;\n}}\n"
            )),
            schema_type: Some("PROTOBUF".to_owned()),
            ..RegisterRequest::default()
        };
        let subject = Subject::parse(&format!("budget-{n}-value"));
        let registered = registry
            .register(&subject, request, false, false)
            .await
            .expect("register");
        ids.push(registered.id);
    }
    for id in &ids {
        let view = registry
            .schema_by_id(*id, None, SchemaFormat::Serialized)
            .await
            .expect("read back");
        assert!(!view.schema.contains("syntax"), "base64 descriptor");
    }
    let stats = registry.caches().stats();
    let parsed = stats
        .iter()
        .find(|cache| cache.name == "parsed")
        .expect("a parsed-schema cache");
    assert!(
        parsed.bytes <= parsed.max_bytes,
        "the parsed-schema cache holds {} bytes, over its budget of {}",
        parsed.bytes,
        parsed.max_bytes
    );
    assert!(
        parsed.entries > 0 && parsed.entries < SCHEMAS as u64,
        "the budget evicted some parsed schemas and kept others: {parsed:?}"
    );
    for cache in &stats {
        assert!(cache.bytes <= cache.max_bytes, "{cache:?}");
    }
    assert!(
        registry
            .max_id(DEFAULT_CONTEXT)
            .await
            .expect("max id")
            .is_some_and(|id| id.get() >= SCHEMAS as i64),
        "every schema got an id"
    );
    store.close().await;
}

#[tokio::test]
async fn parsed_schemas_stay_within_their_budget_sqlite() {
    parsed_schemas_stay_within_their_budget(Backend::Sqlite).await;
}

#[tokio::test]
async fn parsed_schemas_stay_within_their_budget_postgres() {
    parsed_schemas_stay_within_their_budget(Backend::Postgres).await;
}
