//! The real confluent-kafka Python client against Accord, end to end:
//! - `tests/python/confluent_client_check.py` registers through the Avro
//!   serializer, decodes with a fresh client, and drives the config,
//!   compatibility, lookup and delete calls;
//! - `tests/python/confluent_protobuf_json_check.py` runs the Protobuf
//!   serializer and deserializer on a message that imports another registered
//!   file and `google.protobuf.Timestamp`, and the JSON Schema ones.
//!
//! The interpreter comes from `ACCORD_PYTHON`, else `<repo>/.venv/bin/python`
//! (`.ci/run` creates it with `confluent-kafka[avro,json,protobuf,schemaregistry]`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use crate::helpers::{unavailable, TestApp};

/// How long the whole script may take before it is killed.
const SCRIPT_DEADLINE: Duration = Duration::from_secs(180);

pub(crate) fn python() -> PathBuf {
    std::env::var_os("ACCORD_PYTHON")
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"))
}

pub(crate) fn script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

pub(crate) struct Finished {
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs a command to completion (blocking), feeding it `input`, killing it
/// after `deadline`; `status` is `None` when it was killed.
pub(crate) fn run(
    mut command: Command,
    input: &[u8],
    deadline: Duration,
) -> std::io::Result<Finished> {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Keep the client off any proxy and out of the source tree.
        .env("NO_PROXY", "127.0.0.1,localhost")
        .env("no_proxy", "127.0.0.1,localhost")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUNBUFFERED", "1");
    let mut child = command.spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        use std::io::Write;
        // A child that exits early closes its stdin; that is its answer.
        let _ = stdin.write_all(&input);
    });
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let stderr = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let end = Instant::now() + deadline;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= end {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let _ = feeder.join();
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Whether the interpreter exists and has the client; `Err` says why not.
pub(crate) fn probe(python: &Path) -> Result<(), String> {
    let mut command = Command::new(python);
    command.args([
        "-c",
        "import confluent_kafka, confluent_kafka.schema_registry.avro, \
         confluent_kafka.schema_registry.protobuf, confluent_kafka.schema_registry.json_schema; \
         print(confluent_kafka.version())",
    ]);
    match run(command, &[], Duration::from_secs(60)) {
        Err(error) => Err(format!(
            "the Python interpreter {} cannot be run ({error}); set ACCORD_PYTHON or run .ci/run",
            python.display()
        )),
        Ok(done) if done.status.is_some_and(|status| status.success()) => {
            eprintln!("confluent-kafka {}", done.stdout.trim());
            Ok(())
        }
        Ok(done) => Err(format!(
            "{} cannot import confluent_kafka[avro,json,protobuf,schemaregistry]: {}",
            python.display(),
            done.stderr.trim()
        )),
    }
}

async fn confluent_kafka_client_end_to_end(app: TestApp) {
    run_script(app, "confluent_client_check.py").await;
}

async fn confluent_kafka_protobuf_and_json(app: TestApp) {
    run_script(app, "confluent_protobuf_json_check.py").await;
}

/// With authentication on: a user with `writer` on `subject:orders-*`
/// (Basic) and a `reader` API key (bearer), through the client's own
/// `basic.auth.user.info` and static-token settings.
async fn confluent_kafka_client_with_authentication(app: TestApp) {
    let principal = |body: serde_json::Value| {
        let app = &app;
        async move {
            let status = app
                .client
                .post(app.url("/accord/v1/principals"))
                .basic_auth("root", Some("root password"))
                .header("Content-Type", crate::helpers::SR_JSON)
                .body(body.to_string())
                .send()
                .await
                .expect("sent")
                .status();
            assert!(status.is_success(), "add principal: {status}");
        }
    };
    principal(serde_json::json!({ "name": "root", "password": "root password", "roles": [{ "role": "admin" }] })).await;
    principal(serde_json::json!({ "name": "orders-writer", "password": "orders password", "roles": [{ "role": "writer", "resource": "subject:orders-*" }] })).await;
    principal(serde_json::json!({ "name": "dashboards", "roles": [{ "role": "reader" }] })).await;
    let created: serde_json::Value = app
        .client
        .post(app.url("/accord/v1/keys"))
        .basic_auth("root", Some("root password"))
        .header("Content-Type", crate::helpers::SR_JSON)
        .body(serde_json::json!({ "principal": "dashboards" }).to_string())
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let key = created["key"].as_str().expect("key").to_owned();
    run_script_with(
        app,
        "confluent_auth_check.py",
        vec![
            "orders-writer".to_owned(),
            "orders password".to_owned(),
            key,
        ],
    )
    .await;
}

/// Runs one client script against `app` and fails with its output unless it
/// passes.
async fn run_script(app: TestApp, name: &'static str) {
    run_script_with(app, name, Vec::new()).await;
}

async fn run_script_with(app: TestApp, name: &'static str, extra_args: Vec<String>) {
    let python = python();
    let address = app.address.clone();
    // The server runs on this runtime: do the blocking work elsewhere.
    let outcome = tokio::task::spawn_blocking(move || {
        probe(&python)?;
        let mut command = Command::new(&python);
        command.arg(script(name)).arg(&address).args(&extra_args);
        Ok::<_, String>(
            run(command, &[], SCRIPT_DEADLINE)
                .unwrap_or_else(|error| panic!("cannot run {}: {error}", python.display())),
        )
    })
    .await
    .expect("the script runner does not panic");
    let done = match outcome {
        Ok(done) => done,
        Err(why) => return unavailable(&why),
    };
    let Finished {
        status,
        stdout,
        stderr,
    } = done;
    let report = format!(
        "{name}, backend {:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        app.backend
    );
    match status {
        None => panic!("the client script ran over {SCRIPT_DEADLINE:?} and was killed\n{report}"),
        Some(status) if status.code() == Some(3) => {
            unavailable(&format!("confluent_kafka is not importable\n{report}"))
        }
        Some(status) => assert!(
            status.success(),
            "the confluent-kafka client script failed ({status})\n{report}"
        ),
    }
}

crate::backend_tests!(
    confluent_kafka_client_end_to_end,
    confluent_kafka_protobuf_and_json,
    confluent_kafka_client_with_authentication
);
