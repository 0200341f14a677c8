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
