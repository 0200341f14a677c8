use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

async fn register_fetch_and_reuse_ids(app: TestApp) {
    let schema = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
    let id = app.register("users-value", schema).await;
    assert_eq!(
        app.register("users-value", schema).await,
        id,
        "re-registration is idempotent"
    );
    assert_eq!(
        app.register("other-value", schema).await,
        id,
        "same content, same id"
    );

    let (status, body) = app.get("/subjects/users-value/versions/latest").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["version"], 1);
    assert_eq!(body["id"], id);
    assert_eq!(body["schema"], schema);
    assert!(body.get("schemaType").is_none(), "AVRO is left out");

    let (status, body) = app.get("/subjects").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, json!(["other-value", "users-value"]));
}

async fn unknown_routes_and_methods_get_json_errors(app: TestApp) {
    let (status, body) = app.get("/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error_code"], 404);
    let (status, body) = app.delete("/schemas/types").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error_code"], 405);
}

crate::backend_tests!(
    register_fetch_and_reuse_ids,
    unknown_routes_and_methods_get_json_errors,
);
