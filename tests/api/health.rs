//! The probes: `/health/live`, `/health/ready`, and `accord health URL` for
//! container health checks.

use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

fn accord_health(args: &[&str]) -> (Option<i32>, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_accord"))
        .arg("health")
        .args(args)
        .output()
        .expect("accord runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

async fn probes_answer_and_the_health_command_follows_them(app: TestApp) {
    for probe in ["/health", "/health/ready", "/health/live"] {
        let (status, body) = app.get(probe).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({ "status": "UP" })),
            "{probe}"
        );
    }
    let address = app.address.clone();
    let (code, text) = tokio::task::spawn_blocking(move || accord_health(&[&address]))
        .await
        .expect("ran");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("/health/ready: 200"), "{text}");
    // Nothing listening: the check fails, saying where it looked.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        format!("http://{}", listener.local_addr().expect("address"))
    };
    let (code, text) = tokio::task::spawn_blocking(move || {
        accord_health(&[&closed, "--probe", "live", "--timeout", "2"])
    })
    .await
    .expect("ran");
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("/health/live"), "{text}");
}

crate::backend_tests!(probes_answer_and_the_health_command_follows_them);

/// One log line per request, with its id (the client's `X-Request-Id`,
/// returned), route template, status, latency, size and `traceparent`.
#[tokio::test]
async fn every_request_logs_one_line() {
    let Some(database) =
        crate::helpers::TestDatabase::create(crate::helpers::Backend::Sqlite).await
    else {
        return;
    };
    let server = crate::helpers::ServerProcess::start_logging(&database.url, "info").await;
    let client = reqwest::Client::new();
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = client
        .get(server.url("/schemas/ids/424242"))
        .header("X-Request-Id", "log-test-1")
        .header("traceparent", traceparent)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(response.headers()["x-request-id"], "log-test-1");
    let generated = client
        .get(server.url("/no/such/route"))
        .send()
        .await
        .expect("sent");
    let generated_id = generated.headers()["x-request-id"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(!generated_id.is_empty());
    // The writer thread flushes on its own: poll the log.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (line, unmatched) = loop {
        let log = server.log_text();
        let line = log
            .lines()
            .find(|l| l.contains("request_id=log-test-1"))
            .map(str::to_owned);
        let unmatched = log
            .lines()
            .find(|l| l.contains(&format!("request_id={generated_id}")))
            .map(str::to_owned);
        if let (Some(line), Some(unmatched)) = (&line, &unmatched) {
            break (line.clone(), unmatched.clone());
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no request line in:\n{log}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    for field in [
        "accord::request",
        "method=GET",
        "route=\"/schemas/ids/{id}\"",
        "status=404",
        "latency_ms=",
        "bytes=",
        "remote=127.0.0.1",
        traceparent,
    ] {
        assert!(line.contains(field), "{field} missing from: {line}");
    }
    assert!(
        unmatched.contains("route=\"-\"") && unmatched.contains("status=404"),
        "{unmatched}"
    );
    // No colour codes when the output is not a terminal.
    assert!(
        !server.log_text().contains('\u{1b}'),
        "ANSI escapes in a file log"
    );
}
