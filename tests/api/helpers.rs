//! Starting a real Accord server on a random port with a fresh database,
//! and talking to it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use accord::settings::ServeSettings;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::oneshot;

/// Confluent's request media type, which clients send.
pub const SR_JSON: &str = "application/vnd.schemaregistry.v1+json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Whether missing test dependencies must fail the run (CI) rather than skip.
pub fn strict() -> bool {
    std::env::var("ACCORD_STRICT_TESTS").is_ok_and(|v| v == "1" || v == "true")
}

/// Skips (printing why) outside CI; fails in CI.
pub fn unavailable(what: &str) {
    assert!(!strict(), "ACCORD_STRICT_TESTS is set and {what}");
    eprintln!("skipping: {what} (set ACCORD_STRICT_TESTS=1 to make this fail)");
}

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ACCORD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

/// A fresh, empty database for one test, dropped when the guard is.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    pub async fn create(backend: Backend) -> Option<TestDatabase> {
        let n = NEXT_DATABASE.fetch_add(1, Ordering::Relaxed);
        let unique = format!("accord_test_{}_{}", std::process::id(), n);
        match backend {
            Backend::Sqlite => {
                let path = std::env::temp_dir().join(format!("{unique}.db"));
                Some(TestDatabase {
                    url: format!("sqlite://{}", path.display()),
                    cleanup: Cleanup::File(path),
                })
            }
            Backend::Postgres => {
                use sqlx::Connection;
                let admin_url = postgres_admin_url();
                let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
                    Ok(conn) => conn,
                    Err(error) => {
                        unavailable(&format!(
                            "PostgreSQL is not reachable at {admin_url}: {error}"
                        ));
                        return None;
                    }
                };
                sqlx::query(&format!("CREATE DATABASE {unique}"))
                    .execute(&mut admin)
                    .await
                    .expect("create test database");
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .expect("database URL has a path");
                Some(TestDatabase {
                    url: format!("{base}/{unique}"),
                    cleanup: Cleanup::Postgres {
                        admin_url,
                        name: unique,
                    },
                })
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime; use a thread of our own.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("runtime");
                    runtime.block_on(async move {
                        use sqlx::Connection;
                        if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(&format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            ))
                            .execute(&mut admin)
                            .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub backend: Backend,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Declared last: dropped after the server has stopped.
    _database: TestDatabase,
}

/// Starts Accord on `127.0.0.1:0` against a fresh database; `None` when the
/// backend is unavailable outside CI.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let database = TestDatabase::create(backend).await?;
    let settings = ServeSettings::for_database(&database.url);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a random port");
    let address = format!("http://{}", listener.local_addr().expect("local address"));
    let (shutdown, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        accord::serve(listener, settings, async {
            let _ = stopped.await;
        })
        .await
        .expect("server runs");
    });
    // reqwest is built with rustls but no crypto provider (accord-serde's
    // choice), so one must be installed before a client is built.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let app = TestApp {
        address,
        client: reqwest::Client::new(),
        backend,
        shutdown: Some(shutdown),
        server: Some(server),
        _database: database,
    };
    app.wait_until_healthy().await;
    Some(app)
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Polls `/health` until it answers 200, with a deadline.
    async fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(response) = self.client.get(self.url("/health")).send().await {
                if response.status() == StatusCode::OK {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "server did not become healthy");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a request with an optional JSON body; returns status and the body
    /// as JSON (or as a JSON string when it is not JSON).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, self.url(path));
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, SR_JSON)
                .body(body.to_string());
        }
        let response = request.send().await.expect("request is sent");
        let status = response.status();
        let text = response.text().await.expect("response body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.request(Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        self.request(Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.request(Method::DELETE, path, None).await
    }

    /// Registers an Avro schema and returns its id.
    pub async fn register(&self, subject: &str, schema: &str) -> i64 {
        let (status, body) = self
            .post(
                &format!("/subjects/{subject}/versions"),
                &serde_json::json!({ "schema": schema }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "register {subject}: {body}");
        body["id"].as_i64().expect("id in register response")
    }

    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// Runs each named `async fn(TestApp)` once per storage backend.
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
}
