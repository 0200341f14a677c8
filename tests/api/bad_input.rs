//! Bad requests get their Confluent status and error code, never a 500, and
//! leave the store exactly as it was.

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, SR_JSON};

/// Everything a client can read back about the registry's state.
async fn snapshot(app: &TestApp) -> Value {
    let mut state = serde_json::Map::new();
    for path in [
        "/subjects?deleted=true",
        "/schemas?deleted=true",
        "/config",
        "/mode",
        "/contexts",
    ] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        state.insert(path.to_owned(), body);
    }
    let (_, subjects) = app.get("/subjects?deleted=true").await;
    for subject in subjects.as_array().expect("subject list") {
        let subject = subject.as_str().expect("subject name");
        let path = format!("/subjects/{subject}/versions?deleted=true");
        state.insert(path.clone(), app.get(&path).await.1);
    }
    Value::Object(state)
}

async fn raw_post(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(Method::POST, app.url(path))
        .body(body.to_owned());
    if let Some(content_type) = content_type {
        request = request.header("content-type", content_type);
    }
    let response = request.send().await.expect("request is sent");
    let status = response.status();
    let text = response.text().await.expect("body");
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

fn assert_error(
    what: &str,
    (status, body): (StatusCode, Value),
    expected_status: u16,
    expected_code: i64,
) {
    assert_eq!(status.as_u16(), expected_status, "{what}: {body}");
    assert_eq!(body["error_code"], json!(expected_code), "{what}: {body}");
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        !message.is_empty(),
        "{what}: an error says what is wrong: {body}"
    );
}

const USER: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;

async fn bad_input_is_refused_and_changes_nothing(app: TestApp) {
    app.register("bad-input-value", USER).await;
    let before = snapshot(&app).await;
    let versions = "/subjects/bad-input-value/versions";

    assert_error(
        "malformed JSON",
        raw_post(&app, versions, Some(SR_JSON), "{\"schema\":").await,
        400,
        400,
    );
    assert_error(
        "JSON that is not an object",
        raw_post(&app, versions, Some(SR_JSON), "[1]").await,
        400,
        400,
    );
    assert_error(
        "no body",
        raw_post(&app, versions, Some(SR_JSON), "").await,
        422,
        422,
    );
    assert_error(
        "wrong media type",
        raw_post(&app, versions, Some("text/plain"), "{}").await,
        415,
        415,
    );
    assert_error(
        "empty schema",
        app.post(versions, &json!({ "schema": "" })).await,
        422,
        42201,
    );
    assert_error(
        "invalid Avro",
        app.post(
            versions,
            &json!({ "schema": r#"{"type":"record","name":"X"}"# }),
        )
        .await,
        422,
        42201,
    );
    assert_error(
        "not JSON at all",
        app.post(versions, &json!({ "schema": "{nope" })).await,
        422,
        42201,
    );
    assert_error(
        "unknown schemaType",
        app.post(
            versions,
            &json!({ "schema": "\"string\"", "schemaType": "XML" }),
        )
        .await,
        422,
        42201,
    );
    assert_error(
        "lower-case schemaType",
        app.post(
            versions,
            &json!({ "schema": "\"string\"", "schemaType": "avro" }),
        )
        .await,
        422,
        42201,
    );
    let oversized = format!(
        r#"{{"type":"record","name":"Big","doc":"{}","fields":[{{"name":"a","type":"int"}}]}}"#,
        "x".repeat(1024 * 1024)
    );
    assert_error(
        "schema over the size limit",
        app.post(versions, &json!({ "schema": oversized })).await,
        422,
        42209,
    );
    assert_error(
        "reference to a missing subject",
        app.post(
            versions,
            &json!({
                "schema": r#"{"type":"record","name":"H","fields":[{"name":"d","type":"Dep"}]}"#,
                "references": [{ "name": "Dep", "subject": "no-such-subject", "version": 1 }],
            }),
        )
        .await,
        422,
        42201,
    );
    assert_error(
        "incompatible schema",
        app.post(versions, &json!({ "schema": r#"{"type":"record","name":"User","fields":[{"name":"name","type":"int"}]}"# }))
            .await,
        409,
        409,
    );
    for bad_version in ["0", "-2", "abc", "1.5", "2147483648"] {
        assert_error(
            &format!("version {bad_version}"),
            app.get(&format!("/subjects/bad-input-value/versions/{bad_version}"))
                .await,
            422,
            42202,
        );
        assert_error(
            &format!("delete version {bad_version}"),
            app.delete(&format!("/subjects/bad-input-value/versions/{bad_version}"))
                .await,
            422,
            42202,
        );
    }
    assert_error(
        "unknown version",
        app.get("/subjects/bad-input-value/versions/7").await,
        404,
        40402,
    );
    assert_error(
        "unknown subject",
        app.get("/subjects/nobody/versions/1").await,
        404,
        40401,
    );
    assert_error("unknown id", app.get("/schemas/ids/4242").await, 404, 40403);
    assert_error(
        "invalid compatibility level",
        app.put(
            "/config/bad-input-value",
            &json!({ "compatibility": "SIDEWAYS" }),
        )
        .await,
        422,
        42203,
    );
    assert_error(
        "invalid mode",
        app.put("/mode/bad-input-value", &json!({ "mode": "SIDEWAYS" }))
            .await,
        422,
        42204,
    );
    assert_error(
        "reserved subject",
        app.post(
            "/subjects/__GLOBAL/versions",
            &json!({ "schema": "\"int\"" }),
        )
        .await,
        422,
        42208,
    );
    assert_error(
        "permanent delete before soft delete",
        app.delete("/subjects/bad-input-value?permanent=true").await,
        404,
        40405,
    );
    assert_error("unknown route", app.get("/no/such/route").await, 404, 404);
    assert_error(
        "wrong method",
        app.request(Method::PUT, "/subjects", Some(&json!({})))
            .await,
        405,
        405,
    );

    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused request changed the store"
    );
}

/// Registers a Protobuf schema (setup for the cases below).
async fn register_protobuf(app: &TestApp, subject: &str, schema: &str, references: Value) {
    let (status, body) = app
        .post(
            &format!("/subjects/{subject}/versions"),
            &json!({ "schema": schema, "schemaType": "PROTOBUF", "references": references }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "setup {subject}: {body}");
}

/// Bad Protobuf and JSON Schema documents: each gets 422/42201 with the
/// parser's message (and position where it has one), quickly, and nothing
/// is stored.
async fn bad_protobuf_and_json_schemas_are_refused(app: TestApp) {
    // Two files that import each other, built from imports Confluent
    // tolerates while nothing from them is used.
    register_protobuf(
        &app,
        "cycle-a",
        "syntax = \"proto3\";\nimport \"cycle/b.proto\";\nmessage A {}\n",
        json!([]),
    )
    .await;
    register_protobuf(
        &app,
        "cycle-b",
        "syntax = \"proto3\";\nimport \"cycle/a.proto\";\nmessage B {}\n",
        json!([{ "name": "cycle/a.proto", "subject": "cycle-a", "version": 1 }]),
    )
    .await;
    let before = snapshot(&app).await;
    let deep = format!("{}{{}}{}", r#"{"items":"#.repeat(300), "}".repeat(300));
    #[rustfmt::skip]
    let cases: Vec<(&str, &str, String, Value, &[&str])> = vec![
        ("protobuf syntax error", "PROTOBUF",
            "syntax = \"proto3\";\nmessage M {\n  string a = ;\n}\n".to_owned(), json!([]), &["3:"]),
        ("protobuf unknown import", "PROTOBUF",
            "syntax = \"proto3\";\nimport \"missing/types.proto\";\nmessage M {\n  other.T t = 1;\n}\n".to_owned(), json!([]),
            &["other.T"]),
        ("protobuf import cycle", "PROTOBUF",
            "syntax = \"proto3\";\nimport \"cycle/a.proto\";\nimport \"cycle/b.proto\";\nmessage C {}\n".to_owned(),
            json!([{ "name": "cycle/a.proto", "subject": "cycle-a", "version": 1 },
                   { "name": "cycle/b.proto", "subject": "cycle-b", "version": 1 }]),
            &["cycle"]),
        ("json syntax error", "JSON",
            "{\"type\": \"object\",\n \"properties\": {,}}".to_owned(), json!([]), &["line 2"]),
        ("json invalid under its meta-schema", "JSON",
            r#"{"type":"object","properties":{"a":{"type":"nope"}}}"#.to_owned(), json!([]),
            &["#/properties/a/type"]),
        ("json pathological regex", "JSON",
            r#"{"type":"string","pattern":"((((a{100}){100}){100}){100})"}"#.to_owned(), json!([]), &["pattern"]),
        ("json unresolvable $ref", "JSON",
            r#"{"type":"object","properties":{"d":{"$ref":"dep.json"}}}"#.to_owned(), json!([]), &["dep.json"]),
        ("json nested too deeply", "JSON", deep, json!([]), &["nest"]),
    ];
    for (what, schema_type, schema, references, hints) in cases {
        let body = json!({ "schema": schema, "schemaType": schema_type, "references": references });
        for path in [
            "/subjects/bad-formats/versions",
            "/compatibility/subjects/bad-formats/versions",
        ] {
            let answer = app.post(path, &body).await;
            let message = answer.1["message"].as_str().unwrap_or_default().to_owned();
            assert_error(what, answer, 422, 42201);
            for hint in hints {
                assert!(
                    message.contains(hint),
                    "{what}: `{hint}` missing from {message}"
                );
            }
        }
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused schema changed the store"
    );
}

/// Found by fuzzing: a context name with a colon inside is refused the
/// same way by every `/contexts/{context}…` operation, delete included, as
/// Confluent's context filter refuses it (400, error_code 400); `:.ctx:`
/// names the context `.ctx` there as it does on delete.
async fn context_names_with_a_colon_are_refused_alike(app: TestApp) {
    app.register(":.fuzz:colon-value", USER).await;
    let before = snapshot(&app).await;
    let schema = json!({ "schema": USER });
    for context in ["a:b", "a%3Ab", "a%3ab", ":.fuzz:x:"] {
        for (method, path, body) in [
            (Method::GET, "mode", None),
            (Method::PUT, "mode", Some(json!({ "mode": "READONLY" }))),
            (Method::DELETE, "mode", None),
            (Method::GET, "config", None),
            (Method::GET, "config/colon-value", None),
            (Method::GET, "subjects", None),
            (Method::GET, "schemas", None),
            (Method::GET, "schemas/ids/1", None),
            (Method::GET, "subjects/colon-value/versions", None),
            (Method::DELETE, "subjects/colon-value", None),
            (
                Method::POST,
                "subjects/colon-value/versions",
                Some(schema.clone()),
            ),
            (
                Method::POST,
                "compatibility/subjects/colon-value/versions/latest",
                Some(schema.clone()),
            ),
        ] {
            let path = format!("/contexts/{context}/{path}");
            let answer = app.request(method.clone(), &path, body.as_ref()).await;
            assert_error(&format!("{method} {path}"), answer.clone(), 400, 400);
            assert_eq!(
                answer.1["message"], "Context name cannot contain a colon",
                "{method} {path}"
            );
        }
        let path = format!("/contexts/{context}");
        assert_error(&format!("DELETE {path}"), app.delete(&path).await, 400, 400);
    }
    // The default context cannot be deleted (`/contexts/.` would lose its
    // dot segment on the way).
    assert_error(
        "DELETE /contexts/:.:",
        app.delete("/contexts/:.:").await,
        422,
        42208,
    );
    for context in ["fuzz", ".fuzz", ":.fuzz:", "%3A.fuzz%3A"] {
        let (status, body) = app.get(&format!("/contexts/{context}/subjects")).await;
        assert_eq!(status, StatusCode::OK, "{context}: {body}");
        assert_eq!(body, json!([":.fuzz:colon-value"]), "{context}");
        assert_error(
            &format!("DELETE /contexts/{context}"),
            app.delete(&format!("/contexts/{context}")).await,
            422,
            42211,
        );
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused request changed the store"
    );
}

/// Found by fuzzing: testing a body that is not a schema against a subject
/// with nothing to compare it to answered `{"is_compatible":true}`; it is
/// refused as registration refuses it (42201), as in Confluent, and with
/// `verbose=true` it is incompatible with the parse error as the message.
async fn compatibility_of_an_invalid_schema_without_versions_is_refused(app: TestApp) {
    app.register("compat-deleted-value", USER).await;
    let (status, body) = app.delete("/subjects/compat-deleted-value").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let not_a_schema = json!({ "schema": "{\"type\":\"nothing-like-a-type\"}" });
    for subject in ["compat-unknown-value", "compat-deleted-value"] {
        for path in [
            format!("/compatibility/subjects/{subject}/versions/latest"),
            format!("/compatibility/subjects/{subject}/versions"),
        ] {
            let registration = app
                .post(&format!("/subjects/{subject}/versions"), &not_a_schema)
                .await;
            assert_error(&format!("register on {subject}"), registration, 422, 42201);
            assert_error(&path, app.post(&path, &not_a_schema).await, 422, 42201);
            assert_error(&path, app.post(&path, &json!({})).await, 422, 42201);
            let (status, verbose) = app
                .post(&format!("{path}?verbose=true"), &not_a_schema)
                .await;
            assert_eq!(status, StatusCode::OK, "{path}: {verbose}");
            assert_eq!(verbose["is_compatible"], false, "{path}: {verbose}");
            assert_eq!(
                verbose["messages"].as_array().map(Vec::len),
                Some(1),
                "{path}: {verbose}"
            );
            let (status, valid) = app.post(&path, &json!({ "schema": USER })).await;
            assert_eq!(
                (status, valid),
                (StatusCode::OK, json!({ "is_compatible": true })),
                "{path}"
            );
        }
    }
}

/// Found by fuzzing on PostgreSQL, which cannot keep a NUL character: a
/// NUL in a path segment or query parameter answered 500/50001 (or, set as
/// an alias, broke every later request on the subject). No name or setting
/// can hold one: the path or query matches no route, and a body string with
/// one is malformed, on both backends alike.
async fn nul_characters_are_refused_before_the_store(app: TestApp) {
    app.register("nul-value", USER).await;
    let before = snapshot(&app).await;
    for path in [
        "/subjects/nul%00value/versions",
        "/subjects/nul-value/versions?deleted=%00",
        "/schemas?subjectPrefix=a%00b",
        "/schemas/ids/1/schema?subject=c%00c",
        "/config/nul%00value",
        "/mode?x=%00",
        "/contexts/.c%00/subjects",
        "/accord/v1/keys?principal=a%00q",
    ] {
        assert_error(path, app.get(path).await, 404, 404);
    }
    assert_error(
        "PUT /mode/s%00",
        app.put("/mode/s%00", &json!({ "mode": "READONLY" })).await,
        404,
        404,
    );
    for (path, body) in [
        ("/config/nul-value", json!({ "alias": "a\u{0}b" })),
        (
            "/config/nul-value",
            json!({ "compatibilityGroup": "a\u{0}b" }),
        ),
        ("/mode/nul-value", json!({ "mode": "READ\u{0}ONLY" })),
    ] {
        assert_error(path, app.put(path, &body).await, 400, 400);
    }
    for body in [
        json!({ "schema": USER, "metadata": { "properties": { "a": "x\u{0}y" } } }),
        json!({ "schema": USER, "metadata": { "properties": { "a\u{0}": "x" } } }),
        json!({ "schema": "\"string\"", "references": [{ "name": "a", "subject": "b\u{0}", "version": 1 }] }),
    ] {
        let path = "/subjects/nul-value/versions";
        assert_error(path, app.post(path, &body).await, 400, 400);
    }
    let principal = json!({ "name": "p\u{0}", "password": "a password" });
    assert_error(
        "POST /accord/v1/principals",
        app.post("/accord/v1/principals", &principal).await,
        400,
        400,
    );
    let (status, body) = app.get("/subjects/nul-value/versions/latest").await;
    assert_eq!(status, StatusCode::OK, "the subject still answers: {body}");
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused request changed the store"
    );
}

/// Found by fuzzing: a rule set was stored and returned as sent, so a rule
/// with `"doc": null`, a number where text belongs, or a rule set that was
/// not an object at all came back violating the document. Rule sets are
/// read as Confluent types them.
async fn rule_sets_are_typed_as_confluent_types_them(app: TestApp) {
    let sent = json!({
        "domainRules": [{
            "name": "positive", "doc": null, "kind": "CONDITION", "mode": "WRITE",
            "type": "CEL", "expr": "message.id > 0", "onFailure": null, "tags": ["PII", 7],
            "params": { "a": 1, "b": null }, "disabled": "false", "unknown": [1],
        }],
        "migrationRules": null,
        "extra": {},
    });
    let typed = json!({
        "domainRules": [{
            "name": "positive", "kind": "CONDITION", "mode": "WRITE", "type": "CEL",
            "expr": "message.id > 0", "tags": ["PII", "7"], "params": { "a": "1" },
            "disabled": false,
        }],
    });
    let (status, body) = app
        .put("/config/rules-value", &json!({ "defaultRuleSet": sent }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["defaultRuleSet"], typed);
    let (_, config) = app.get("/config/rules-value").await;
    assert_eq!(config["defaultRuleSet"], typed);
    // Another subject: the config's default rule set would be merged in.
    let (status, registered) = app
        .post(
            "/subjects/registered-rules-value/versions",
            &json!({ "schema": USER, "ruleSet": sent }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{registered}");
    let (_, version) = app
        .get("/subjects/registered-rules-value/versions/latest")
        .await;
    assert_eq!(version["ruleSet"], typed);

    let before = snapshot(&app).await;
    for rule_set in [
        json!(5),
        json!({ "domainRules": {} }),
        json!({ "domainRules": [7] }),
        json!({ "domainRules": [{ "name": "r", "kind": "SOMETIMES" }] }),
        json!({ "domainRules": [{ "name": "r", "mode": "write" }] }),
        json!({ "domainRules": [{ "name": ["r"] }] }),
        json!({ "domainRules": [{ "name": "r", "params": { "a": [] } }] }),
    ] {
        let update = json!({ "overrideRuleSet": rule_set });
        assert_error(
            &format!("config {rule_set}"),
            app.put("/config/rules-value", &update).await,
            400,
            400,
        );
        let register = json!({ "schema": USER, "ruleSet": rule_set });
        assert_error(
            &format!("register {rule_set}"),
            app.post("/subjects/rules-value/versions", &register).await,
            400,
            400,
        );
    }
    assert_eq!(
        snapshot(&app).await,
        before,
        "a refused request changed the store"
    );
}

/// Found by fuzzing: the admin API's bodies answered an empty or `null`
/// body with 422/422 where the document said only 42220 (and, for keys,
/// no 422 at all).
async fn admin_bodies_that_are_null_are_refused(app: TestApp) {
    for (method, path) in [
        (Method::POST, "/accord/v1/principals"),
        (Method::PUT, "/accord/v1/principals/nobody/password"),
        (Method::POST, "/accord/v1/keys"),
        (Method::POST, "/accord/v1/role-bindings"),
        (Method::PUT, "/accord/v1/roles/custom"),
    ] {
        let answer = app.request(method.clone(), path, Some(&Value::Null)).await;
        assert_error(&format!("{method} {path}"), answer, 422, 422);
    }
}

/// `/schemas/types` lists every format this registry accepts.
async fn schema_types_are_all_three_formats(app: TestApp) {
    let (status, body) = app.get("/schemas/types").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!(["JSON", "PROTOBUF", "AVRO"]));
}

crate::backend_tests!(
    bad_input_is_refused_and_changes_nothing,
    bad_protobuf_and_json_schemas_are_refused,
    context_names_with_a_colon_are_refused_alike,
    compatibility_of_an_invalid_schema_without_versions_is_refused,
    schema_types_are_all_three_formats,
    nul_characters_are_refused_before_the_store,
    rule_sets_are_typed_as_confluent_types_them,
    admin_bodies_that_are_null_are_refused
);
