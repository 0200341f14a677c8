//! `explain=true` on the compatibility endpoints, for every format: each
//! break comes back with its rule, where it is, the old and new fragments,
//! the direction that breaks, the version it breaks against and a fix.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::TestApp;

async fn register(app: &TestApp, subject: &str, schema_type: &str, schema: &str) {
    let (status, body) = app
        .post(
            &format!("/subjects/{subject}/versions"),
            &json!({ "schema": schema, "schemaType": schema_type }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "register {subject}: {body}");
}

async fn set_level(app: &TestApp, subject: &str, level: &str) {
    let (status, body) = app
        .put(
            &format!("/config/{subject}"),
            &json!({ "compatibility": level }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// The explained incompatibilities of `schema` against `subject`'s versions.
async fn explain(app: &TestApp, subject: &str, schema_type: &str, schema: &str) -> Value {
    let (status, body) = app
        .post(
            &format!("/compatibility/subjects/{subject}/versions?explain=true&verbose=true"),
            &json!({ "schema": schema, "schemaType": schema_type }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["is_compatible"], false, "{body}");
    let found = &body["incompatibilities"];
    let messages = body["messages"].as_array().expect("messages");
    let differences = messages
        .iter()
        .filter(|m| m.as_str().is_some_and(|m| m.starts_with("{errorType:")))
        .count();
    assert_eq!(
        found.as_array().expect("incompatibilities").len(),
        differences,
        "one explanation per Confluent message: {body}"
    );
    found.clone()
}

fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

async fn avro_missing_default(app: TestApp) {
    let subject = "explain-avro";
    register(
        &app,
        subject,
        "AVRO",
        r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"}]}"#,
    )
    .await;
    let found = explain(
        &app,
        subject,
        "AVRO",
        r#"{"type":"record","name":"User","fields":[{"name":"id","type":"long"},{"name":"age","type":"int"}]}"#,
    )
    .await;
    let [only] = found.as_array().expect("list").as_slice() else {
        panic!("one break expected: {found}");
    };
    assert_eq!(only["rule"], "READER_FIELD_MISSING_DEFAULT_VALUE");
    assert_eq!(only["path"], "/fields/1");
    assert_eq!(only["direction"], "BACKWARD");
    assert_eq!(only["version"], 1);
    assert_eq!(only["new"], r#"{"name":"age","type":"int"}"#);
    assert_eq!(only["old"], Value::Null);
    assert!(text(&only["fix"]).contains("`age`"), "{only}");
    assert!(text(&only["fix"]).contains("default"), "{only}");
    assert!(text(&only["breaks"]).contains("version 1"), "{only}");
}

async fn protobuf_scalar_kind_full(app: TestApp) {
    let subject = "explain-proto";
    set_level(&app, subject, "FULL").await;
    register(
        &app,
        subject,
        "PROTOBUF",
        "syntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  int32 qty = 2;\n}\n",
    )
    .await;
    let found = explain(
        &app,
        subject,
        "PROTOBUF",
        "syntax = \"proto3\";\npackage shop;\n\nmessage Order {\n  string id = 1;\n  string qty = 2;\n}\n",
    )
    .await;
    let found = found.as_array().expect("list");
    // FULL: the change breaks both directions, forward reported first.
    let directions: Vec<&str> = found.iter().map(|f| text(&f["direction"])).collect();
    assert_eq!(directions, ["FORWARD", "BACKWARD"], "{found:?}");
    for finding in found {
        assert_eq!(finding["rule"], "FIELD_SCALAR_KIND_CHANGED", "{finding}");
        assert_eq!(finding["path"], "shop.Order.qty (#2)", "{finding}");
        assert!(text(&finding["old"]).contains("int32 qty = 2"), "{finding}");
        assert!(
            text(&finding["new"]).contains("string qty = 2"),
            "{finding}"
        );
        assert!(text(&finding["fix"]).contains("qty"), "{finding}");
    }
}

async fn json_schema_open_model_transitive(app: TestApp) {
    let subject = "explain-json";
    // Adding a property to an open content model is itself a break; the
    // history is built first and the level set afterwards.
    set_level(&app, subject, "NONE").await;
    register(
        &app,
        subject,
        "JSON",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
    )
    .await;
    register(
        &app,
        subject,
        "JSON",
        r#"{"type":"object","properties":{"a":{"type":"string"},"n":{"type":"number"}}}"#,
    )
    .await;
    set_level(&app, subject, "BACKWARD_TRANSITIVE").await;
    let found = explain(
        &app,
        subject,
        "JSON",
        r#"{"type":"object","properties":{"a":{"type":"integer"},"n":{"type":"number"}}}"#,
    )
    .await;
    let found = found.as_array().expect("list");
    assert!(!found.is_empty());
    for finding in found {
        assert_eq!(finding["path"], "#/properties/a", "{finding}");
        assert_eq!(finding["direction"], "BACKWARD");
        assert_eq!(finding["old"], r#"{"type":"string"}"#, "{finding}");
        assert_eq!(finding["new"], r#"{"type":"integer"}"#, "{finding}");
        assert!(!text(&finding["fix"]).is_empty());
    }
    // Transitive levels stop at the newest failing version.
    assert_eq!(found[0]["version"], 2, "{found:?}");
}

async fn explain_without_verbose_and_different_types(app: TestApp) {
    let subject = "explain-types";
    register(&app, subject, "AVRO", r#""string""#).await;
    let (status, body) = app
        .post(
            &format!("/compatibility/subjects/{subject}/versions/latest?explain=true"),
            &json!({ "schema": r#"{"type":"string"}"#, "schemaType": "JSON" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["is_compatible"], false);
    assert!(body.get("messages").is_none(), "{body}");
    assert_eq!(
        body["incompatibilities"][0]["rule"], "SCHEMA_TYPE_CHANGED",
        "{body}"
    );
    assert_eq!(body["incompatibilities"][0]["old"], "AVRO", "{body}");
    assert_eq!(body["incompatibilities"][0]["new"], "JSON", "{body}");
}

/// `compatibilityPolicy` changes JSON Schema verdicts: adding an optional
/// property to an open content model breaks STRICT, not LENIENT.
async fn compatibility_policy_lenient(app: TestApp) {
    let subject = "policy-json";
    let (status, body) = app
        .put(
            &format!("/config/{subject}"),
            &json!({ "compatibilityPolicy": "LOOSE" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error_code"], 42203, "{body}");
    register(
        &app,
        subject,
        "JSON",
        r#"{"type":"object","properties":{"a":{"type":"string"}}}"#,
    )
    .await;
    let candidate = json!({
        "schema": r#"{"type":"object","properties":{"a":{"type":"string"},"b":{"type":"integer"}}}"#,
        "schemaType": "JSON"
    });
    let check = format!("/compatibility/subjects/{subject}/versions/latest");
    assert_eq!(app.post(&check, &candidate).await.1["is_compatible"], false);
    let (status, body) = app
        .put(
            &format!("/config/{subject}"),
            &json!({ "compatibilityPolicy": "lenient" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(app.post(&check, &candidate).await.1["is_compatible"], true);
}

crate::backend_tests!(
    compatibility_policy_lenient,
    avro_missing_default,
    protobuf_scalar_kind_full,
    json_schema_open_model_transitive,
    explain_without_verbose_and_different_types,
);
