//! The audit trail: one event per mutating operation (iterated from the
//! route table), failures and refusals recorded without a change, the
//! chain's tamper evidence through `accord audit verify`, and the
//! JSON-lines copy.

use std::process::Command;

use accord::settings::ServeSettings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Backend, CustomServer, TestApp, TestDatabase, SR_JSON};
use crate::security::{add_principal, add_root, call, request_for, Auth, PASSWORD};

const ROOT: Auth<'static> = Auth::Basic("root", PASSWORD);

/// Events after `position`, as the admin API lists them.
async fn events_after(app: &TestApp, position: i64) -> Vec<Value> {
    let (status, events, _) = call(
        app,
        Method::GET,
        &format!("/accord/v1/audit?after={position}&limit=1000"),
        None,
        ROOT,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    events.as_array().expect("a list").clone()
}

async fn last_position(app: &TestApp) -> i64 {
    let mut after = 0;
    loop {
        let page = events_after(app, after).await;
        match page.last() {
            Some(last) => after = last["position"].as_i64().expect("position"),
            None => return after,
        }
    }
}

async fn every_mutation_leaves_exactly_one_event(app: TestApp) {
    let id = app.register("team-s", "\"string\"").await;
    let (_, by_id) = app.get(&format!("/schemas/ids/{id}")).await;
    let guid = by_id["guid"].as_str().expect("guid").to_owned();
    add_root(&app).await;
    let routes = accord::router::routes();
    let mutating: Vec<_> = routes
        .declared()
        .into_iter()
        .filter(|route| route.audit.is_some())
        .collect();
    assert!(
        mutating.len() >= 19,
        "only {} audited routes",
        mutating.len()
    );
    for route in &mutating {
        let method = route
            .method
            .clone()
            .expect("audited routes name their method");
        let (path, mut body) = request_for(route, id, &guid);
        if route.audit == Some("schema.register") {
            // New content: re-registering known content changes nothing
            // and records nothing (below).
            body =
                Some(json!({ "schema": "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}" }));
        }
        let before = last_position(&app).await;
        let (status, answer, _) = call(&app, method.clone(), &path, body.as_ref(), ROOT).await;
        let events = events_after(&app, before).await;
        let what = format!("{method} {path} -> {status} {answer}");
        assert_eq!(events.len(), 1, "{what}: events {events:#?}");
        let event = &events[0];
        assert_eq!(event["operation"], route.audit.expect("audited"), "{what}");
        assert_eq!(event["principal"], "root", "{what}");
        assert_eq!(event["source"], "127.0.0.1", "{what}");
        let outcome = if status.is_success() {
            "success"
        } else {
            "failure"
        };
        assert_eq!(event["outcome"], outcome, "{what}: {event}");
        assert!(
            !event["requestId"].as_str().unwrap_or("").is_empty(),
            "{what}"
        );
    }
    // Re-registering known content writes nothing, so it records nothing.
    let known = json!({ "schema": "\"string\"" });
    let path = "/subjects/unchanged-value/versions";
    let (status, _, _) = call(&app, Method::POST, path, Some(&known), ROOT).await;
    assert_eq!(status, StatusCode::OK);
    let before = last_position(&app).await;
    let (status, _, _) = call(&app, Method::POST, path, Some(&known), ROOT).await;
    assert_eq!(status, StatusCode::OK);
    assert!(events_after(&app, before).await.is_empty());
    // Every route that changes something is audited: the ones left out
    // only read (GET, lookups, checks) or answer probes.
    for route in routes.declared() {
        let reads = route.method.as_ref().is_none_or(|m| *m == Method::GET)
            || route.path == "/"
            || route.path == "/subjects/{subject}" && route.method.as_ref() == Some(&Method::POST)
            || route.path.starts_with("/compatibility/");
        assert!(
            reads || route.audit.is_some(),
            "{:?} {} changes state but has no audit name",
            route.method,
            route.path
        );
    }
}

async fn registrations_record_what_they_wrote_and_failures_change_nothing(app: TestApp) {
    add_root(&app).await;
    let record = |fields: &str| json!({ "schema": format!("{{\"type\":\"record\",\"name\":\"R\",\"fields\":[{fields}]}}") });
    let before = last_position(&app).await;
    let request = || {
        app.client
            .post(app.url("/subjects/audited-value/versions"))
            .basic_auth("root", Some(PASSWORD))
            .header("Content-Type", SR_JSON)
            .header("X-Request-Id", "req-42")
    };
    let registered = request()
        .body(record(r#"{"name":"a","type":"int"}"#).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(registered.status(), StatusCode::OK);
    assert_eq!(registered.headers()["x-request-id"], "req-42");
    let registered: Value = registered.json().await.expect("json");
    // Incompatible under BACKWARD: refused, recorded, nothing written.
    let refused = request()
        .body(record(r#"{"name":"a","type":"string"}"#).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let events = events_after(&app, before).await;
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0]["operation"], "schema.register");
    assert_eq!(events[0]["requestId"], "req-42");
    assert_eq!(events[0]["resource"], "Subject: audited-value");
    assert_eq!(
        events[0]["details"],
        json!({ "subject": "audited-value", "version": 1, "id": registered["id"], "guid": registered["guid"] })
    );
    assert_eq!(events[1]["outcome"], "failure");
    assert_eq!(
        events[1]["details"],
        json!({ "status": 409, "errorCode": 409 })
    );
    let (_, versions) = app_versions(&app, "audited-value").await;
    assert_eq!(
        versions,
        json!([1]),
        "the refused registration left nothing"
    );
    // Config changes record the old and new values.
    let before = last_position(&app).await;
    let (status, _, _) = call(
        &app,
        Method::PUT,
        "/config/audited-value",
        Some(&json!({ "compatibility": "NONE" })),
        ROOT,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let events = events_after(&app, before).await;
    assert_eq!(events[0]["operation"], "config.update");
    assert_eq!(
        events[0]["details"],
        json!({ "scope": "audited-value", "old": null, "new": { "compatibilityLevel": "NONE" } })
    );
    // Filters.
    let (_, mine, _) = call(
        &app,
        Method::GET,
        "/accord/v1/audit?subject=audited-value&operation=schema.register",
        None,
        ROOT,
    )
    .await;
    assert_eq!(mine.as_array().map(Vec::len), Some(2), "{mine}");
}

async fn app_versions(app: &TestApp, subject: &str) -> (StatusCode, Value) {
    let (status, body, _) = call(
        app,
        Method::GET,
        &format!("/subjects/{subject}/versions"),
        None,
        ROOT,
    )
    .await;
    (status, body)
}

async fn refusals_are_recorded_and_rate_limited(app: TestApp) {
    add_root(&app).await;
    add_principal(
        &app,
        ROOT,
        json!({ "name": "viewer", "password": PASSWORD, "roles": [{ "role": "reader" }] }),
    )
    .await;
    let before = last_position(&app).await;
    let (status, _, _) = call(
        &app,
        Method::GET,
        "/subjects",
        None,
        Auth::Basic("root", "wrong password"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _, _) = call(
        &app,
        Method::DELETE,
        "/subjects/x",
        None,
        Auth::Basic("viewer", PASSWORD),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let events = events_after(&app, before).await;
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_eq!(events[0]["operation"], "auth.failure");
    assert_eq!(events[0]["details"], json!({ "reason": "wrong password" }));
    assert_eq!(events[1]["operation"], "access.denied");
    assert_eq!(events[1]["principal"], "viewer");
    assert_eq!(events[1]["outcome"], "denied");
    assert_eq!(events[1]["resource"], "Subject: x");
    // A flood of unknown keys is recorded up to the rate, then counted.
    let before = last_position(&app).await;
    for _ in 0..60 {
        call(
            &app,
            Method::GET,
            "/subjects",
            None,
            Auth::Bearer("accord_0_0"),
        )
        .await;
    }
    let recorded = events_after(&app, before).await.len();
    assert!(
        recorded < 60,
        "{recorded} of 60 refusals recorded: not rate-limited"
    );
    assert!(recorded > 0, "no refusal recorded");
    // Later recorded refusals say how many were left out before them.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    call(
        &app,
        Method::GET,
        "/subjects",
        None,
        Auth::Bearer("accord_0_0"),
    )
    .await;
    let events = events_after(&app, before).await;
    assert_eq!(events.len(), recorded + 1);
    let counted: i64 = events
        .iter()
        .filter_map(|event| event["details"]["suppressedBefore"].as_i64())
        .sum();
    assert_eq!(counted, 60 - recorded as i64, "{events:#?}");
}

async fn tampering_is_detected_by_audit_verify(app: TestApp) {
    add_root(&app).await;
    for subject in ["a-value", "b-value", "c-value"] {
        let (status, _, _) = call(
            &app,
            Method::POST,
            &format!("/subjects/{subject}/versions"),
            Some(&json!({ "schema": "\"string\"" })),
            ROOT,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let url = app.database_url();
    let verify = move || {
        let output = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["audit", "verify", "--database", &url])
            .output()
            .expect("accord runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    // The accord commands record their changes too.
    let database = app.database_url();
    let added = tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_accord"))
            .args([
                "user",
                "add",
                "cli-made",
                "--role",
                "reader",
                "--no-password",
            ])
            .args(["--database", &database])
            .output()
            .expect("accord runs")
    })
    .await
    .expect("ran");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let events = events_after(&app, 0).await;
    let last = events.last().expect("events");
    assert_eq!(last["operation"], "principal.add");
    assert_eq!(last["source"], "cli");
    assert!(
        last["principal"]
            .as_str()
            .is_some_and(|p| p.starts_with("cli:")),
        "{last}"
    );
    assert_eq!(last["details"]["principal"], "cli-made");

    let (code, stdout, stderr) = tokio::task::spawn_blocking(verify.clone())
        .await
        .expect("ran");
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("intact: 5 events"), "{stdout}");

    let store = sqlx_connection(&app).await;
    sqlx::query("UPDATE audit_events SET details = '{\"subject\":\"forged\"}' WHERE position = 3")
        .execute(&store)
        .await
        .expect("edit a row");
    let (code, _, stderr) = tokio::task::spawn_blocking(verify.clone())
        .await
        .expect("ran");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("event 3 was changed"), "{stderr}");

    sqlx::query("DELETE FROM audit_events WHERE position = 3")
        .execute(&store)
        .await
        .expect("delete a row");
    let (code, _, stderr) = tokio::task::spawn_blocking(verify.clone())
        .await
        .expect("ran");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.contains("event 4 does not follow"), "{stderr}");
    store.close().await;
}

async fn sqlx_connection(app: &TestApp) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&app.database_url())
        .await
        .expect("the test database")
}

crate::backend_tests!(
    every_mutation_leaves_exactly_one_event,
    registrations_record_what_they_wrote_and_failures_change_nothing,
    refusals_are_recorded_and_rate_limited,
    tampering_is_detected_by_audit_verify
);

/// `--audit-log` copies every event, as a JSON line, to a file.
#[tokio::test]
async fn the_audit_log_file_receives_every_event() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let log = tempfile::NamedTempFile::new().expect("a temp file");
    let settings = ServeSettings {
        audit_log: Some(log.path().to_owned()),
        ..ServeSettings::for_database(&database.url)
    };
    let server = CustomServer::local(settings).await;
    let response = reqwest::Client::new()
        .put(server.url("/config"))
        .header("Content-Type", SR_JSON)
        .body(json!({ "compatibility": "FULL" }).to_string())
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let lines = loop {
        let text = std::fs::read_to_string(log.path()).expect("the log file");
        let lines: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON line"))
            .collect();
        if !lines.is_empty() || std::time::Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["operation"], "config.update");
    assert_eq!(
        lines[0]["details"]["new"],
        json!({ "compatibilityLevel": "FULL" })
    );
    server.stop().await;
}
