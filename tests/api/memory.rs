//! The throw-away in-memory registry (`--database memory`): one database
//! shared by every pooled connection of the process, for tests and CI; and
//! database URLs the store cannot serve refused at start-up in one line.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::ServerProcess;

fn record(name: &str, fields: usize) -> String {
    let fields: Vec<String> = (0..fields)
        .map(|n| format!(r#"{{"name":"f{n}","type":"int","default":0}}"#))
        .collect();
    format!(
        r#"{{"type":"record","name":"{name}","fields":[{}]}}"#,
        fields.join(",")
    )
}

/// Register, read and check, with requests in parallel: every pooled
/// connection must see the one database.
#[tokio::test]
async fn the_in_memory_registry_serves_the_whole_cycle_concurrently() {
    for url in ["memory", "sqlite::memory:"] {
        let server = ServerProcess::start(url).await;
        let server = std::sync::Arc::new(server);
        let mut tasks = tokio::task::JoinSet::new();
        for subject in 0..8 {
            let server = server.clone();
            tasks.spawn(async move {
                let mut ids = Vec::new();
                for version in 1..=5 {
                    let name = format!("s{subject}");
                    let id = server
                        .register(&format!("{name}-value"), &record(&name, version))
                        .await;
                    let (status, body) = server.get(&format!("/schemas/ids/{id}")).await;
                    assert_eq!(status, StatusCode::OK, "{body}");
                    ids.push(id);
                }
                ids
            });
        }
        let mut ids: Vec<i64> = tasks.join_all().await.into_iter().flatten().collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 40, "{url}: every schema its own id");

        let (status, subjects) = server.get("/subjects").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            subjects.as_array().map(Vec::len),
            Some(8),
            "{url}: {subjects}"
        );
        let (status, latest) = server.get("/subjects/s3-value/versions/latest").await;
        assert_eq!(
            (status, latest["version"].as_i64()),
            (StatusCode::OK, Some(5))
        );
        let (status, verdict) = server
            .post(
                "/compatibility/subjects/s3-value/versions/latest",
                &json!({ "schema": r#"{"type":"record","name":"s3","fields":[{"name":"g","type":"int"}]}"# }),
            )
            .await;
        assert_eq!(
            (status, verdict["is_compatible"].as_bool()),
            (StatusCode::OK, Some(false))
        );
        let (status, _) = server.delete("/subjects/s3-value").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            server.get("/subjects/s3-value/versions").await.0,
            StatusCode::NOT_FOUND
        );
        let (status, _) = server.get("/health/ready").await;
        assert_eq!(status, StatusCode::OK);
    }
}

/// What the store cannot serve is refused before listening, in one line.
#[test]
fn unservable_database_urls_are_refused_at_start_up() {
    for (url, reason) in [
        ("sqlite://accord-test-ro.db?mode=ro", "mode=ro"),
        ("sqlite::memory:?cache=private", "cache=private"),
        (
            "mysql://localhost/accord",
            "expected sqlite://FILE, memory or postgres://",
        ),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database", url])
            .env("NO_COLOR", "1")
            .env("ACCORD_LOG", "off")
            .output()
            .expect("accord runs");
        assert!(!output.status.success(), "{url} was served");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{url}: {stderr}");
        assert!(lines[0].contains(reason), "{url}: {stderr}");
    }
}
