//! Limits on references, each refused with a message naming the limit.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

fn record(name: &str, field_type: &str) -> String {
    format!(
        r#"{{"type":"record","name":"{name}","namespace":"lim","fields":[{{"name":"f","type":{field_type}}}]}}"#
    )
}

async fn too_many_references_and_too_deep_nesting_are_refused_by_name(app: TestApp) {
    app.register("lim-base", &record("Base", "\"int\"")).await;
    // More references than a schema may name.
    let references: Vec<_> = (0..1_001)
        .map(|i| json!({ "name": format!("lim.Base{i}"), "subject": "lim-base", "version": 1 }))
        .collect();
    let (status, body) = app
        .post(
            "/subjects/lim-wide/versions",
            &json!({ "schema": record("Wide", "\"int\""), "references": references }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error_code"], 42201);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(message.contains("at most 1000"), "{message}");

    // A chain of references one level deeper than allowed.
    let mut previous = ("lim-base".to_owned(), "lim.Base".to_owned());
    for level in 1..=65 {
        let name = format!("Level{level}");
        let subject = format!("lim-level-{level}");
        let (status, body) = app
            .post(
                &format!("/subjects/{subject}/versions"),
                &json!({
                    "schema": record(&name, &format!("\"{}\"", previous.1)),
                    "references": [{ "name": previous.1, "subject": previous.0, "version": 1 }],
                }),
            )
            .await;
        if level < 65 {
            assert_eq!(status, StatusCode::OK, "level {level}: {body}");
            previous = (subject, format!("lim.{name}"));
        } else {
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "level {level}: {body}"
            );
            let message = body["message"].as_str().unwrap_or_default();
            assert!(message.contains("more than 64 levels deep"), "{message}");
        }
    }
}

crate::backend_tests!(too_many_references_and_too_deep_nesting_are_refused_by_name);
