//! Backup, restore and migration: `accord export` / `import` / `migrate`
//! keep every id, GUID and version, across backends and through the
//! Confluent API only; `accord backup` copies an SQLite database under write
//! load.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::helpers::{unavailable, ApiClient, Backend, ServerProcess, TestDatabase};
use crate::python_client::{python, run, script};

fn accord(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_accord"))
        .args(args)
        .env("ACCORD_LOG", "warn")
        .env("NO_COLOR", "1")
        .output()
        .expect("accord runs");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn accord_ok(args: Vec<String>) -> String {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (ok, stdout, stderr) = accord(&args);
        assert!(ok, "accord {args:?} failed:\n{stderr}");
        format!("{stdout}{stderr}")
    })
    .await
    .expect("ran")
}

async fn export_file(source_flag: &str, source: &str, file: &Path) -> String {
    accord_ok(vec![
        "export".into(),
        source_flag.into(),
        source.into(),
        "-o".into(),
        file.display().to_string(),
    ])
    .await;
    std::fs::read_to_string(file).expect("export file")
}

async fn expect(
    client: &ApiClient,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Value {
    let (status, answer) = client.request(method.clone(), path, body.as_ref()).await;
    assert_eq!(status, StatusCode::OK, "{method} {path}: {answer}");
    answer
}

/// All three formats, references, soft-deleted versions, a context,
/// configs, modes and an alias.
async fn populate(registry: &ApiClient) {
    use reqwest::Method;
    let user_v1 = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
    let user_v2 = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":["null","int"],"default":null}]}"#;
    registry.register("users-value", user_v1).await;
    registry.register("users-value", user_v2).await;
    registry.register("old-value", r#""string""#).await;
    registry.register("old-value", r#""bytes""#).await;
    for (subject, schema_type, schema, references) in [
        ("money.proto", "PROTOBUF", "syntax = \"proto3\";\npackage shop;\nmessage Money { int64 cents = 1; }\n", json!([])),
        (
            "orders-value",
            "PROTOBUF",
            "syntax = \"proto3\";\npackage shop;\nimport \"money.proto\";\nmessage Order { string id = 1; Money total = 2; }\n",
            json!([{ "name": "money.proto", "subject": "money.proto", "version": 1 }]),
        ),
        ("events-value", "JSON", r#"{"type":"object","properties":{"kind":{"type":"string"}}}"#, json!([])),
        (":.staging:users-value", "AVRO", user_v1, json!([])),
    ] {
        expect(
            registry,
            Method::POST,
            &format!("/subjects/{subject}/versions"),
            Some(json!({ "schemaType": schema_type, "schema": schema, "references": references })),
        )
        .await;
    }
    // Soft-deleted: one version, and a whole subject.
    expect(
        registry,
        Method::DELETE,
        "/subjects/old-value/versions/1",
        None,
    )
    .await;
    registry.register("gone-value", r#""int""#).await;
    expect(registry, Method::DELETE, "/subjects/gone-value", None).await;
    for (path, body) in [
        ("/config/users-value", json!({ "compatibility": "FULL" })),
        ("/config/:.staging:", json!({ "compatibility": "NONE" })),
        ("/config/people", json!({ "alias": "users-value" })),
        ("/mode/events-value", json!({ "mode": "READONLY" })),
    ] {
        expect(registry, Method::PUT, path, Some(body)).await;
    }
}

/// Whether the Python client is there (else skipped, or failed in CI).
fn python_available() -> Option<()> {
    let interpreter = python();
    if interpreter.exists() {
        Some(())
    } else {
        unavailable(&format!("no Python client at {}", interpreter.display()));
        None
    }
}

/// Runs `migrated_read_check.py MODE URL` with `input`; its stdout.
async fn python_step(mode: &str, url: &str, input: &[u8]) -> String {
    let (mode, url, input) = (mode.to_owned(), url.to_owned(), input.to_vec());
    let finished = tokio::task::spawn_blocking(move || {
        let mut command = Command::new(python());
        command
            .arg(script("migrated_read_check.py"))
            .args([&mode, &url]);
        run(command, &input, Duration::from_secs(120)).expect("python runs")
    })
    .await
    .expect("ran");
    assert!(
        finished.status.is_some_and(|s| s.success()),
        "python: {}\n{}",
        finished.stdout,
        finished.stderr
    );
    finished.stdout
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Exported from SQLite, imported into PostgreSQL through the API, exported
/// again: the files are equal, a second import changes nothing, and
/// confluent-kafka reads from the copy what was produced against the
/// original.
#[tokio::test]
async fn export_import_keeps_every_id_guid_and_version_across_backends() {
    let (Some(from), Some(to)) = (
        TestDatabase::create(Backend::Sqlite).await,
        TestDatabase::create(Backend::Postgres).await,
    ) else {
        return;
    };
    let source = ServerProcess::start(&from.url).await;
    populate(&source).await;
    if python_available().is_none() {
        return;
    }
    let produced = python_step("produce", &source.address, &[]).await;
    assert_eq!(produced.lines().count(), 5, "{produced}");
    let target = ServerProcess::start(&to.url).await;
    let dir = tempdir();
    let first = export_file("--database", &from.url, &dir.path().join("a.jsonl")).await;
    assert!(first.contains("\"kind\":\"version\""), "{first}");
    assert!(first.contains("\"deleted\":true"), "{first}");
    assert!(first.contains(":.staging:users-value"), "{first}");
    assert!(first.contains("\"alias\":\"users-value\""), "{first}");

    let said = accord_ok(vec![
        "import".into(),
        dir.path().join("a.jsonl").display().to_string(),
        "--registry".into(),
        target.address.clone(),
    ])
    .await;
    assert!(said.contains("registered 10 versions"), "{said}");
    let second = export_file("--database", &to.url, &dir.path().join("b.jsonl")).await;
    assert_eq!(first, second, "the copy differs from the original");
    // Through the API the two registries read the same, too.
    assert_eq!(
        export_file("--registry", &source.address, &dir.path().join("c.jsonl")).await,
        export_file("--registry", &target.address, &dir.path().join("d.jsonl")).await,
    );

    // Again: nothing to do; and a dry run says so.
    let said = accord_ok(vec![
        "import".into(),
        dir.path().join("a.jsonl").display().to_string(),
        "--registry".into(),
        target.address.clone(),
    ])
    .await;
    assert!(
        said.contains(
            "registered 0 versions, soft-deleted 0, set 0 configs and modes; 10 already there"
        ),
        "{said}"
    );

    // The alias and the modes work in the copy.
    let (status, body) = target.get("/subjects/people/versions/latest").await;
    assert_eq!(
        (status, body["version"].as_i64()),
        (StatusCode::OK, Some(2)),
        "{body}"
    );
    let (status, _) = target
        .post(
            "/subjects/events-value/versions",
            &json!({ "schemaType": "JSON", "schema": "{}" }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "READONLY was not kept"
    );

    // Messages produced against the original (before the copy) decode
    // against the copy.
    let finished = python_step("consume", &target.address, produced.as_bytes()).await;
    assert_eq!(finished.trim(), "ok 5");
}

/// `accord migrate` between two running Accords, through the Confluent API
/// only: the same result as export and import, and a second run changes
/// nothing.
#[tokio::test]
async fn migrate_between_two_running_registries() {
    let (Some(from), Some(to)) = (
        TestDatabase::create(Backend::Postgres).await,
        TestDatabase::create(Backend::Sqlite).await,
    ) else {
        return;
    };
    let source = ServerProcess::start(&from.url).await;
    populate(&source).await;
    let target = ServerProcess::start(&to.url).await;
    let migrate = |dry_run: bool| {
        let mut args = vec![
            "migrate".to_owned(),
            "--from".to_owned(),
            source.address.clone(),
            "--to".to_owned(),
            target.address.clone(),
        ];
        if dry_run {
            args.push("--dry-run".to_owned());
        }
        accord_ok(args)
    };
    let said = migrate(true).await;
    assert!(said.contains("would register 9 versions"), "{said}");
    assert!(
        said.contains("would register orders-value version 1"),
        "{said}"
    );
    assert_eq!(
        target.get("/subjects").await.1,
        json!([]),
        "a dry run wrote"
    );
    let said = migrate(false).await;
    assert!(
        said.contains("registered 9 versions, soft-deleted 2"),
        "{said}"
    );
    let dir = tempdir();
    assert_eq!(
        export_file("--registry", &source.address, &dir.path().join("a.jsonl")).await,
        export_file("--registry", &target.address, &dir.path().join("b.jsonl")).await,
    );
    // Ids and GUIDs are the same.
    for id in 1..=8 {
        let (_, original) = source.get(&format!("/schemas/ids/{id}")).await;
        let (_, copy) = target.get(&format!("/schemas/ids/{id}")).await;
        assert_eq!(original, copy, "schema {id}");
    }
    let said = migrate(false).await;
    assert!(
        said.contains("registered 0 versions, soft-deleted 0, set 0 configs and modes"),
        "{said}"
    );
}

/// `accord backup` while a client registers: the copy opens as a registry
/// holding every version acknowledged before the backup began, each with
/// its schema.
#[tokio::test]
async fn sqlite_backup_under_write_load_restores() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let server = std::sync::Arc::new(ServerProcess::start(&database.url).await);
    let mut symbols = Vec::new();
    for n in 0..20 {
        // Each version adds a symbol: BACKWARD holds.
        symbols.push(format!("A{n}"));
        let schema = json!({ "type": "enum", "name": "E", "symbols": symbols, "default": "A0" });
        server.register("load-value", &schema.to_string()).await;
    }
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = tokio::spawn({
        let (server, stop) = (server.clone(), stop.clone());
        async move {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                server
                    .register(
                        &format!("busy-{n}"),
                        &format!(r#"{{"type":"fixed","name":"F","size":{}}}"#, n + 1),
                    )
                    .await;
                n += 1;
            }
            n
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dir = tempdir();
    let copy = dir.path().join("backup.db");
    let said = accord_ok(vec![
        "backup".into(),
        "--database".into(),
        database.url.clone(),
        copy.display().to_string(),
    ])
    .await;
    assert!(said.contains("backed up to"), "{said}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let written = writer.await.expect("writer");
    assert!(written > 0, "no writes ran during the backup");

    let copy_url = format!("sqlite://{}", copy.display());
    let restored = ServerProcess::start(&copy_url).await;
    let (status, versions) = restored.get("/subjects/load-value/versions").await;
    assert_eq!(
        (status, versions),
        (StatusCode::OK, json!((1..=20).collect::<Vec<_>>()))
    );
    // Whatever of the concurrent writes made it in is whole: every version
    // reads with its schema.
    let exported = export_file("--database", &copy_url, &dir.path().join("copy.jsonl")).await;
    let versions = exported
        .lines()
        .filter(|l| l.contains("\"kind\":\"version\""))
        .count();
    assert!(versions >= 20, "{exported}");
    let (_, subjects) = restored.get("/subjects").await;
    for subject in subjects.as_array().expect("list") {
        let subject = subject.as_str().expect("name");
        let (status, body) = restored
            .get(&format!("/subjects/{subject}/versions/latest"))
            .await;
        assert_eq!(status, StatusCode::OK, "{subject}: {body}");
    }
    // The backup refuses to overwrite, and what is not SQLite.
    let (ok, _, stderr) = accord(&[
        "backup",
        "--database",
        &database.url,
        &copy.display().to_string(),
    ]);
    assert!(!ok && stderr.contains("exists"), "{stderr}");
    let (ok, _, stderr) = accord(&[
        "backup",
        "--database",
        "postgres://localhost/x",
        "/tmp/never.db",
    ]);
    assert!(!ok && stderr.contains("pg_dump"), "{stderr}");
}
