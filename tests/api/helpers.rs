//! Starting a real Accord server on a random port with a fresh database (in
//! the test process, or as `accord serve` processes), and talking to it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
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

/// A client for one server's API: its address and the requests tests make.
pub struct ApiClient {
    pub address: String,
    pub client: reqwest::Client,
}

impl ApiClient {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Sends a request with an optional JSON body; returns status and the body
    /// as JSON (or as a JSON string when it is not JSON).
    pub async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        send(&self.client, method, &self.url(path), body).await
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

    /// Whether `/health` answers 200 now.
    async fn is_healthy(&self) -> bool {
        self.client
            .get(self.url("/health"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .is_ok_and(|response| response.status() == StatusCode::OK)
    }
}

/// [`send`], or the error when no answer came (the server is down, or died
/// while the request was in flight).
pub async fn try_send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let mut request = client.request(method, url);
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, SR_JSON)
            .body(body.to_string());
    }
    let response = request.send().await?;
    let status = response.status();
    let text = response.text().await?;
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Ok((status, body))
}

/// Sends a request with an optional JSON body; returns status and the body
/// as JSON (or as a JSON string when it is not JSON).
pub async fn send(
    client: &reqwest::Client,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    try_send(client, method.clone(), url, body)
        .await
        .unwrap_or_else(|error| panic!("{method} {url}: {error}"))
}

/// A running server and a client for it.
pub struct TestApp {
    api: ApiClient,
    pub backend: Backend,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    // Declared last: dropped after the server has stopped.
    _database: TestDatabase,
}

/// Tests talk to the app as to any server: `app.get(…)`, `app.address`.
impl std::ops::Deref for TestApp {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.api
    }
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
    let app = TestApp {
        api: ApiClient {
            address,
            client: reqwest::Client::new(),
        },
        backend,
        shutdown: Some(shutdown),
        server: Some(server),
        _database: database,
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while !app.is_healthy().await {
        assert!(Instant::now() < deadline, "server did not become healthy");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Some(app)
}

impl TestApp {
    /// The URL of the app's database, for tests that look inside it.
    pub fn database_url(&self) -> String {
        self._database.url.clone()
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

static NEXT_LOG: AtomicUsize = AtomicUsize::new(0);

/// An `accord serve` process (the real binary) on a port of its own, its
/// output in a log file. Dropping it kills the process, and prints the log's
/// tail if the test is failing.
pub struct ServerProcess {
    api: ApiClient,
    child: Child,
    log: PathBuf,
}

impl std::ops::Deref for ServerProcess {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.api
    }
}

impl ServerProcess {
    /// Starts one process on `database_url` and waits until it is healthy.
    pub async fn start(database_url: &str) -> ServerProcess {
        let mut started = ServerProcess::start_many(database_url, 1).await;
        started.pop().expect("one server")
    }

    /// Starts `count` processes on one database at once (so that their
    /// migrations race too) and waits until each answers `/health` with 200,
    /// which it does once it is ready to serve; a process that lost its port
    /// to someone else is replaced.
    pub async fn start_many(database_url: &str, count: usize) -> Vec<ServerProcess> {
        ServerProcess::start_many_logging(database_url, count, "warn").await
    }

    /// One process whose log keeps what `ACCORD_LOG=filter` lets through.
    pub async fn start_logging(database_url: &str, filter: &str) -> ServerProcess {
        let mut started = ServerProcess::start_many_logging(database_url, 1, filter).await;
        started.pop().expect("one server")
    }

    async fn start_many_logging(
        database_url: &str,
        count: usize,
        filter: &str,
    ) -> Vec<ServerProcess> {
        let mut pending: Vec<ServerProcess> = (0..count)
            .map(|_| ServerProcess::spawn(database_url, filter))
            .collect();
        let mut ready = Vec::new();
        let mut retries = 0;
        let deadline = Instant::now() + Duration::from_secs(60);
        while !pending.is_empty() {
            assert!(
                Instant::now() < deadline,
                "accord serve did not become healthy within 60s"
            );
            let mut still_pending = Vec::new();
            for mut server in pending {
                if let Some(status) = server.child.try_wait().expect("poll a child") {
                    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
                    assert!(
                        log.contains("cannot listen") && retries < 5,
                        "accord serve exited early ({status}):\n{log}"
                    );
                    retries += 1;
                    still_pending.push(ServerProcess::spawn(database_url, filter));
                } else if server.is_healthy().await {
                    ready.push(server);
                } else {
                    still_pending.push(server);
                }
            }
            pending = still_pending;
            if !pending.is_empty() {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        ready
    }

    /// Starts the process on a port that was free a moment ago, so that its
    /// address is known without parsing its log; the port may have been
    /// taken since, which `start_many` notices.
    fn spawn(database_url: &str, filter: &str) -> ServerProcess {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let log = std::env::temp_dir().join(format!(
            "accord_serve_{}_{}_{port}.log",
            std::process::id(),
            NEXT_LOG.fetch_add(1, Ordering::Relaxed)
        ));
        let out = std::fs::File::create(&log).expect("create a server log");
        let err = out.try_clone().expect("clone the log handle");
        let child = Command::new(env!("CARGO_BIN_EXE_accord"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--database", database_url])
            .env("ACCORD_LOG", filter)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .expect("start accord serve");
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .no_proxy()
            .build()
            .expect("an HTTP client");
        ServerProcess {
            api: ApiClient {
                address: format!("http://127.0.0.1:{port}"),
                client,
            },
            child,
            log,
        }
    }

    /// Kills the process with SIGKILL (no graceful shutdown) and reaps it.
    /// What the process has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            let mut start = text.len().saturating_sub(3000);
            while !text.is_char_boundary(start) {
                start += 1;
            }
            eprintln!("--- {} (tail) ---\n{}", self.log.display(), &text[start..]);
        }
        let _ = std::fs::remove_file(&self.log);
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

/// Accord serving `listener` with custom settings, for tests of start-up
/// flags; `base` is how `client` reaches it (`http://…` or `https://…`).
pub struct CustomServer {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<Result<(), accord::StartupError>>,
}

impl CustomServer {
    /// Starts the server and waits until `client` gets any answer from
    /// `/health`.
    pub async fn start(
        listener: tokio::net::TcpListener,
        settings: ServeSettings,
        base: String,
        client: &reqwest::Client,
    ) -> CustomServer {
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(accord::serve(listener, settings, async {
            let _ = stopped.await;
        }));
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(format!("{base}/health")).send().await.is_err() {
            assert!(!server.is_finished(), "the server stopped while starting");
            assert!(Instant::now() < deadline, "{base} did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        CustomServer {
            base,
            stop: Some(stop),
            server,
        }
    }

    /// On 127.0.0.1 over plain HTTP.
    pub async fn local(settings: ServeSettings) -> CustomServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a random port");
        let base = format!("http://{}", listener.local_addr().expect("local address"));
        CustomServer::start(listener, settings, base, &reqwest::Client::new()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server; it must have served without error.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.server)
            .await
            .expect("the server task")
            .expect("the server ran");
    }
}
