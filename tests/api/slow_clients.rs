//! Limits against slow and hostile clients: a connection that trickles its
//! request head or body is cut off after the configured timeout while other
//! requests are served; connections beyond the cap wait; a request not
//! answered in time gets 500/50002.

use std::time::Duration;

use accord::settings::ServeSettings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::{Connection, Executor};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::{Backend, CustomServer, TestDatabase, SR_JSON};

/// Generous bound for what must happen after a one-second timeout: only a
/// server that never cuts the connection gets near it.
const NEVER: Duration = Duration::from_secs(20);

async fn server(
    database: &TestDatabase,
    configure: impl FnOnce(&mut ServeSettings),
) -> CustomServer {
    let mut settings = ServeSettings::for_database(&database.url);
    configure(&mut settings);
    CustomServer::local(settings).await
}

fn address(server: &CustomServer) -> String {
    server.base.trim_start_matches("http://").to_owned()
}

/// Reads until the server closes the connection; what it sent.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&received).into_owned()
}

async fn healthy(server: &CustomServer) {
    let response = reqwest::get(server.url("/health")).await.expect("health");
    assert_eq!(response.status(), StatusCode::OK);
}

async fn trickled_heads_and_bodies_are_cut_off(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let server = server(&database, |settings| {
        settings.header_read_timeout = 1;
        settings.body_read_timeout = 1;
    })
    .await;

    // A head that never ends: one header line at a time, slowly.
    let mut head = TcpStream::connect(address(&server)).await.expect("connect");
    head.write_all(b"GET /subjects HTTP/1.1\r\nHost: accord\r\n")
        .await
        .expect("write");
    let trickle = tokio::spawn(async move {
        for n in 0.. {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if head
                .write_all(format!("X-Slow-{n}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                break;
            }
        }
        head
    });
    // A body that never ends: 10 of the 1,000 bytes promised.
    let mut body = TcpStream::connect(address(&server)).await.expect("connect");
    body.write_all(
        format!(
            "POST /subjects/slow/versions HTTP/1.1\r\nHost: accord\r\nContent-Type: {SR_JSON}\r\nContent-Length: 1000\r\n\r\n{{\"schema\"",
        )
        .as_bytes(),
    )
    .await
    .expect("write");

    // Meanwhile others are served.
    healthy(&server).await;
    let (status, _) = crate::helpers::send(
        &reqwest::Client::new(),
        reqwest::Method::POST,
        &server.url("/subjects/fast/versions"),
        Some(&json!({ "schema": "\"string\"" })),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    // The trickled head is dropped: the connection closes without an answer.
    let mut head = tokio::time::timeout(NEVER, trickle)
        .await
        .expect("the server kept reading a head that never ends")
        .expect("trickle task");
    let answer = read_until_closed(&mut head).await;
    assert!(!answer.contains("200 OK"), "{answer}");

    // The trickled body gets 408 with a JSON error, then the connection closes.
    let answer = read_until_closed(&mut body).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let json: Value =
        serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap_or("")).expect("JSON body");
    assert_eq!(json["error_code"], 408, "{json}");
    assert!(json["message"]
        .as_str()
        .unwrap()
        .contains("did not arrive within 1 seconds"));
    // Nothing of the slow registration was kept.
    assert_eq!(
        reqwest::get(server.url("/subjects/slow/versions"))
            .await
            .expect("get")
            .status(),
        StatusCode::NOT_FOUND
    );
    healthy(&server).await;
    server.stop().await;
}

/// Beyond `--max-connections`, a client waits until a connection closes.
async fn connections_beyond_the_cap_wait_their_turn(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let server = server(&database, |settings| settings.max_connections = 2).await;
    // reqwest's pool may hold the start-up probe's connection: let it go.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let first = TcpStream::connect(address(&server)).await.expect("connect");
    let second = TcpStream::connect(address(&server)).await.expect("connect");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let waiting = tokio::spawn({
        let url = server.url("/health");
        async move { client.get(url).send().await.map(|r| r.status()) }
    });
    // Two silent connections hold both places; the request is not served.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a third connection was served");
    drop(first);
    let status = tokio::time::timeout(NEVER, waiting)
        .await
        .expect("the waiting request was never served")
        .expect("task")
        .expect("request");
    assert_eq!(status, StatusCode::OK);
    drop(second);
    server.stop().await;
}

/// A request the handler cannot answer in time (the database is locked by
/// someone else) gets 500/50002, and the server goes on serving.
async fn a_request_not_answered_in_time_gets_50002(backend: Backend) {
    let Some(database) = TestDatabase::create(backend).await else {
        return;
    };
    let server = server(&database, |settings| settings.request_timeout = 1).await;
    let client = reqwest::Client::new();
    let register = |subject: &str, schema: &str| {
        let url = server.url(&format!("/subjects/{subject}/versions"));
        let body = json!({ "schema": schema });
        let client = client.clone();
        async move { crate::helpers::send(&client, reqwest::Method::POST, &url, Some(&body)).await }
    };
    assert_eq!(register("a", "\"string\"").await.0, StatusCode::OK);

    // Another session takes the default context's write lock and keeps it.
    sqlx::any::install_default_drivers();
    let mut locker = sqlx::AnyConnection::connect(&database.url)
        .await
        .expect("connect");
    match backend {
        Backend::Sqlite => locker.execute("BEGIN IMMEDIATE").await.expect("lock"),
        Backend::Postgres => {
            locker.execute("BEGIN").await.expect("begin");
            locker
                .execute("SELECT * FROM contexts FOR UPDATE")
                .await
                .expect("lock")
        }
    };
    let (status, body) = register("b", "\"int\"").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(body["error_code"], 50002, "{body}");
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("not answered within 1 seconds"));
    // Reads need no lock.
    assert_eq!(
        reqwest::get(server.url("/subjects/a/versions/1"))
            .await
            .expect("get")
            .status(),
        StatusCode::OK
    );
    locker.execute("ROLLBACK").await.expect("unlock");
    drop(locker);
    assert_eq!(register("c", "\"long\"").await.0, StatusCode::OK);
    server.stop().await;
}

#[tokio::test]
async fn sqlite_trickled_heads_and_bodies_are_cut_off() {
    trickled_heads_and_bodies_are_cut_off(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_trickled_heads_and_bodies_are_cut_off() {
    trickled_heads_and_bodies_are_cut_off(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_connections_beyond_the_cap_wait_their_turn() {
    connections_beyond_the_cap_wait_their_turn(Backend::Sqlite).await;
}

#[tokio::test]
async fn sqlite_a_request_not_answered_in_time_gets_50002() {
    a_request_not_answered_in_time_gets_50002(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_request_not_answered_in_time_gets_50002() {
    a_request_not_answered_in_time_gets_50002(Backend::Postgres).await;
}
