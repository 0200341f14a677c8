//! The database going away under a running server: requests that need it
//! answer 500 with Confluent's generic 50001 body and leak nothing, the log
//! has the whole cause, and the server serves again once the database is
//! back.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{postgres_admin_url, Backend, ServerProcess, TestDatabase};

async fn admin(sql: &str) {
    sqlx::any::install_default_drivers();
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&postgres_admin_url())
        .await
        .expect("the admin database");
    sqlx::query(sql).execute(&mut conn).await.expect(sql);
}

#[tokio::test]
async fn a_lost_database_answers_50001_and_the_server_recovers() {
    let Some(database) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let name = database
        .url
        .rsplit('/')
        .next()
        .expect("a database name")
        .to_owned();
    let server = ServerProcess::start(&database.url).await;
    let schema = |n: u32| json!({ "schema": format!("{{\"type\":\"enum\",\"name\":\"E{n}\",\"symbols\":[\"A\"]}}") });
    let (status, _) = server.post("/subjects/fail-0/versions", &schema(0)).await;
    assert_eq!(status, StatusCode::OK);

    // Take the database away: no new connections, existing ones cut.
    admin(&format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false"
    ))
    .await;
    admin(&format!(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
    ))
    .await;
    let mut failed = None;
    for n in 1..=5 {
        let (status, body) = server
            .post(&format!("/subjects/fail-{n}/versions"), &schema(n))
            .await;
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            failed = Some(body);
            break;
        }
    }
    let body = failed.expect("a registration without a database answers 500");
    assert_eq!(
        body,
        json!({ "error_code": 50001, "message": "Error in the backend data store" }),
        "nothing internal in the body"
    );
    // Log lines are written by a thread of their own: poll for the line.
    let deadline = Instant::now() + Duration::from_secs(10);
    let failure = loop {
        let log = server.log_text();
        if let Some(line) = log.lines().find(|line| line.contains("request failed")) {
            break line.to_owned();
        }
        assert!(Instant::now() < deadline, "no failure logged:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        failure.contains("backend store failed"),
        "the cause is logged: {failure}"
    );

    // The database is back: the same server serves again.
    admin(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true")).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = server
            .post("/subjects/fail-back/versions", &schema(99))
            .await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not recover: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (status, subjects) = server.get("/subjects").await;
    assert_eq!(status, StatusCode::OK);
    assert!(subjects
        .as_array()
        .is_some_and(|all| all.contains(&json!("fail-back"))));
}
