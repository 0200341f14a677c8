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
    let failure = logged_failure(&server).await;
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

/// Unmounts the test's small file system when dropped.
struct Mounted(std::path::PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.0)
            .status();
    }
}

/// Polls the server's log for the failure's line (a writer thread writes it).
async fn logged_failure(server: &ServerProcess) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = server.log_text();
        if let Some(line) = log.lines().find(|line| line.contains("request failed")) {
            return line.to_owned();
        }
        assert!(Instant::now() < deadline, "no failure logged:\n{log}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// SQLite on a full disk: the database file lives on a 4 MiB tmpfs that a
/// filler file then fills. A registration answers 500/50001 and writes
/// nothing; the log names the cause; once space is freed, the same server
/// registers again. (Making the file unwritable does not do it: open
/// connections write through their descriptors whatever the mode, and CI
/// runs as root.)
#[tokio::test]
async fn sqlite_on_a_full_disk_answers_50001_and_recovers() {
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0");
    if !is_root {
        crate::helpers::unavailable("mounting a small tmpfs for the full-disk test needs root");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(dir.path())
        .status()
        .is_ok_and(|status| status.success());
    if !mounted {
        crate::helpers::unavailable("cannot mount a tmpfs for the full-disk test");
        return;
    }
    let _mount = Mounted(dir.path().to_owned());
    let url = format!("sqlite://{}/accord.db", dir.path().display());
    let server = ServerProcess::start(&url).await;
    let (status, _) = server
        .post(
            "/subjects/small/versions",
            &json!({ "schema": "\"string\"" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Fill what is left.
    let filler = dir.path().join("filler");
    {
        use std::io::Write;
        let mut file = std::fs::File::create(&filler).expect("filler");
        let chunk = vec![0u8; 64 * 1024];
        while file.write_all(&chunk).is_ok() {}
        let _ = file.sync_all();
    }
    // A schema larger than any page the log can reuse.
    let symbols: Vec<String> = (0..20_000).map(|n| format!("S{n}")).collect();
    let big = json!({ "schema": json!({ "type": "enum", "name": "Big", "symbols": symbols }).to_string() });
    let (status, body) = server.post("/subjects/big/versions", &big).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    assert_eq!(
        body,
        json!({ "error_code": 50001, "message": "Error in the backend data store" }),
        "nothing internal in the body"
    );
    let failure = logged_failure(&server).await;
    assert!(
        failure.contains("backend store failed") && failure.contains("full"),
        "the cause is logged: {failure}"
    );
    // Nothing half-written, and reads go on.
    assert_eq!(
        server.get("/subjects/big/versions").await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get("/subjects/small/versions/1").await.0,
        StatusCode::OK
    );

    // Space again: the same server registers.
    std::fs::remove_file(&filler).expect("remove the filler");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = server.post("/subjects/big/versions", &big).await;
        if status == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not recover: {status} {body}\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
