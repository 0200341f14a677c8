//! `GET /metrics`: after a known sequence of requests, the counters say
//! exactly what happened.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

const USER_V1: &str =
    r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"email","type":["null","string"],"default":null}]}"#;
/// A new field without a default: BACKWARD refuses it.
const USER_BREAKING: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}"#;
const ORDER_JSON: &str = r#"{"type":"object","properties":{"id":{"type":"string"}}}"#;

/// One sample's value: `name{labels} value`, labels in any order.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, series_labels) = match series.split_once('{') {
                Some((n, rest)) => (n, rest.strip_suffix('}')?),
                None => (series, ""),
            };
            if series_name != name {
                return None;
            }
            let mut found: Vec<(String, String)> = series_labels
                .split(',')
                .filter(|pair| !pair.is_empty())
                .filter_map(|pair| {
                    let (k, v) = pair.split_once('=')?;
                    Some((k.to_owned(), v.trim_matches('"').to_owned()))
                })
                .collect();
            let mut wanted: Vec<(String, String)> = labels
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            found.sort();
            wanted.sort();
            (found == wanted).then(|| value.parse().ok())?
        })
}

async fn scrape(app: &TestApp) -> String {
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("scrape");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    response.text().await.expect("text")
}

async fn counters_follow_a_known_sequence_of_requests(app: TestApp) {
    let id = app.register("users-value", USER_V1).await;
    app.register("users-value", USER_V2).await;
    // Known content: accepted, no new version.
    app.register("users-value", USER_V1).await;
    let (status, _) = app
        .post(
            "/subjects/users-value/versions",
            &json!({ "schema": USER_BREAKING }),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .post(
            "/subjects/users-value/versions",
            &json!({ "schema": "{\"type\":\"recrd\"}" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app
        .post(
            "/subjects/orders-value/versions",
            &json!({ "schemaType": "JSON", "schema": ORDER_JSON }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    for _ in 0..3 {
        assert_eq!(
            app.get(&format!("/schemas/ids/{id}")).await.0,
            StatusCode::OK
        );
    }
    assert_eq!(app.get("/schemas/ids/9999").await.0, StatusCode::NOT_FOUND);
    for (schema, compatible) in [(USER_V2, true), (USER_BREAKING, false)] {
        let (status, body) = app
            .post(
                "/compatibility/subjects/users-value/versions/latest",
                &json!({ "schema": schema }),
            )
            .await;
        assert_eq!(
            (status, body["is_compatible"].as_bool()),
            (StatusCode::OK, Some(compatible))
        );
    }

    let text = scrape(&app).await;
    let requests = |method, route, status| {
        sample(
            &text,
            "accord_http_requests_total",
            &[("method", method), ("route", route), ("status", status)],
        )
    };
    assert_eq!(
        requests("GET", "/schemas/ids/{id}", "200"),
        Some(3.0),
        "{text}"
    );
    assert_eq!(requests("GET", "/schemas/ids/{id}", "404"), Some(1.0));
    assert_eq!(
        requests("POST", "/subjects/{subject}/versions", "200"),
        Some(4.0)
    );
    assert_eq!(
        requests("POST", "/subjects/{subject}/versions", "409"),
        Some(1.0)
    );
    assert_eq!(
        requests("POST", "/subjects/{subject}/versions", "422"),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "accord_http_request_duration_seconds_count",
            &[("method", "GET"), ("route", "/schemas/ids/{id}")]
        ),
        Some(4.0)
    );
    // This scrape is in flight while it is rendered.
    assert_eq!(
        sample(&text, "accord_http_requests_in_flight", &[]),
        Some(1.0)
    );
    assert_eq!(sample(&text, "accord_registrations_total", &[]), Some(4.0));
    assert_eq!(
        sample(&text, "accord_schema_versions_created_total", &[]),
        Some(3.0)
    );
    assert_eq!(
        sample(
            &text,
            "accord_registrations_refused_total",
            &[("reason", "incompatible")]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &text,
            "accord_registrations_refused_total",
            &[("reason", "invalid_schema")]
        ),
        Some(1.0)
    );
    for (result, count) in [("compatible", 1.0), ("incompatible", 1.0)] {
        assert_eq!(
            sample(
                &text,
                "accord_compatibility_checks_total",
                &[("result", result)]
            ),
            Some(count)
        );
    }
    assert_eq!(
        sample(&text, "accord_schemas", &[("format", "AVRO")]),
        Some(2.0)
    );
    assert_eq!(
        sample(&text, "accord_schemas", &[("format", "JSON")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "accord_subjects", &[("format", "AVRO")]),
        Some(1.0)
    );
    assert_eq!(
        sample(&text, "accord_subjects", &[("format", "JSON")]),
        Some(1.0)
    );
    // The rendered schema was cached on the first read and hit after.
    let hits = sample(&text, "accord_cache_hits_total", &[("cache", "responses")]);
    assert!(hits.is_some_and(|hits| hits >= 2.0), "{text}");
    assert!(
        sample(&text, "accord_cache_entries", &[("cache", "responses")]).is_some_and(|n| n >= 1.0)
    );
    assert!(
        sample(&text, "accord_cache_bytes", &[("cache", "responses")]).is_some_and(|n| n > 0.0)
    );
    assert!(sample(&text, "accord_db_pool_connections", &[("state", "idle")]).is_some());
    assert!(sample(&text, "accord_db_pool_acquires_total", &[]).is_some_and(|n| n > 0.0));
    let backend = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(
        sample(
            &text,
            "accord_build_info",
            &[("version", env!("CARGO_PKG_VERSION")), ("backend", backend)]
        ),
        Some(1.0)
    );
    // Only replicas sharing PostgreSQL follow a change log.
    assert_eq!(
        sample(&text, "accord_change_log_lag", &[]).is_some(),
        app.backend == Backend::Postgres,
        "{text}"
    );

    // The scrape itself is counted by the next one.
    let again = scrape(&app).await;
    assert_eq!(
        sample(
            &again,
            "accord_http_requests_total",
            &[("method", "GET"), ("route", "/metrics"), ("status", "200")]
        ),
        Some(1.0)
    );
}

crate::backend_tests!(counters_follow_a_known_sequence_of_requests);
