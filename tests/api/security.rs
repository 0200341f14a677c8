//! Authentication and authorisation, end to end: the route table against
//! `openapi.yaml`, a role-by-endpoint matrix generated from the route table,
//! API keys, scoped bindings, anonymous access and the refusal to serve a
//! public address without authentication.

use std::collections::BTreeSet;

use accord::api::routes::{Access, Declared};
use accord::settings::ServeSettings;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{Backend, CustomServer, TestApp, TestDatabase, SR_JSON};

/// The operations each built-in role is documented to grant (README), as
/// this test knows them, independently of the server's table.
fn role_grants(role: &str) -> Vec<&'static str> {
    let reader = vec![
        "SUBJECT_READ",
        "SUBJECT_COMPATIBILITY_READ",
        "SCHEMA_READ",
        "GLOBAL_READ",
    ];
    match role {
        "reader" => reader,
        "writer" => [reader, vec!["SUBJECT_WRITE"]].concat(),
        "owner" => [
            reader,
            vec![
                "SUBJECT_WRITE",
                "SUBJECT_DELETE",
                "SUBJECT_COMPATIBILITY_WRITE",
                "GLOBAL_WRITE",
            ],
        ]
        .concat(),
        "admin" => vec![
            "SUBJECT_READ",
            "SUBJECT_WRITE",
            "SUBJECT_DELETE",
            "SUBJECT_COMPATIBILITY_READ",
            "SUBJECT_COMPATIBILITY_WRITE",
            "SCHEMA_READ",
            "GLOBAL_READ",
            "GLOBAL_WRITE",
            "ADMIN",
        ],
        other => panic!("unknown role {other}"),
    }
}

/// `x-accord-access` as `openapi.yaml` writes it for a declared access.
fn documented(access: Access) -> String {
    match access {
        Access::Public => "public".to_owned(),
        Access::Authenticated => "authenticated".to_owned(),
        Access::Filtered => "filtered".to_owned(),
        Access::Subject(op) | Access::Global(op) => op.name().to_owned(),
        Access::Scope { subject, global } => format!("{}/{}", subject.name(), global.name()),
        Access::SchemaById | Access::SchemaByGuid => "schema".to_owned(),
        Access::Admin => "ADMIN".to_owned(),
    }
}

/// Axum's `{*rest}` is OpenAPI's `{rest}`.
fn openapi_path(path: &str) -> String {
    path.replace("{*", "{")
}

#[test]
fn every_route_is_declared_and_documented_with_its_access() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .expect("openapi.yaml");
    let doc: Value = serde_yaml_ng::from_str(&text).expect("openapi.yaml parses");
    let routes = accord::router::routes();
    let declared = routes.declared();
    let methods = ["get", "put", "post", "delete", "patch"];
    // Every operation of the document is a declared route with the same
    // access; the /contexts/{context}/… forms are rewrites of declared ones.
    let mut documented_ops = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in methods.iter().filter(|m| item.get(**m).is_some()) {
            documented_ops.insert((path.clone(), method.to_string()));
            let op = &item[*method];
            let access = op["x-accord-access"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no x-accord-access"));
            if path.starts_with("/contexts/{context}/") {
                continue;
            }
            let route = declared
                .iter()
                .find(|route| {
                    openapi_path(route.path) == *path
                        && route
                            .method
                            .as_ref()
                            .is_none_or(|m| m.as_str().eq_ignore_ascii_case(method))
                })
                .unwrap_or_else(|| {
                    panic!("{method} {path} is documented but not in the route table")
                });
            assert_eq!(
                documented(route.access),
                access,
                "{method} {path}: the document and the route table disagree on its access"
            );
        }
    }
    // Every declared route is documented.
    for Declared { method, path, .. } in &declared {
        let path = openapi_path(path);
        if path == "/contexts/{context}/{rest}" {
            // The context-scoped forms, each documented on its own.
            continue;
        }
        match method {
            Some(method) => assert!(
                documented_ops.contains(&(path.clone(), method.as_str().to_lowercase())),
                "{method} {path} is in the route table but not in openapi.yaml"
            ),
            None => assert!(
                documented_ops
                    .iter()
                    .any(|(documented, _)| *documented == path),
                "{path} is in the route table but not in openapi.yaml"
            ),
        }
    }
}

/// A request with optional Basic credentials or bearer key.
#[derive(Clone, Copy)]
pub(crate) enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Bearer(&'a str),
}

pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Option<&Value>,
    auth: Auth<'_>,
) -> (StatusCode, Value, Option<String>) {
    let mut request = app.client.request(method, app.url(path));
    request = match auth {
        Auth::None => request,
        Auth::Basic(user, password) => request.basic_auth(user, Some(password)),
        Auth::Bearer(key) => request.bearer_auth(key),
    };
    if let Some(body) = body {
        request = request
            .header(reqwest::header::CONTENT_TYPE, SR_JSON)
            .body(body.to_string());
    }
    let response = request.send().await.expect("request is sent");
    let status = response.status();
    let challenge = response
        .headers()
        .get(reqwest::header::WWW_AUTHENTICATE)
        .map(|value| value.to_str().expect("ASCII").to_owned());
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body, challenge)
}

pub(crate) const PASSWORD: &str = "a long enough password";
const SUBJECT: &str = "team-s";

/// A concrete request for a declared route: parameters filled in, a body
/// where the route takes one.
pub(crate) fn request_for(route: &Declared, id: i64, guid: &str) -> (String, Option<Value>) {
    let name = if route.path.starts_with("/accord/v1/roles") {
        "custom-role"
    } else {
        "nobody"
    };
    let path = route
        .path
        .replace("{subject}", SUBJECT)
        .replace("{version}", "1")
        .replace("{id}", &id.to_string())
        .replace("{guid}", guid)
        .replace("{context}", ".nothing")
        .replace("{name}", name)
        .replace("{key_id}", "nokey")
        .replace("{*rest}", "x");
    let method = route.method.clone().unwrap_or(Method::GET);
    let path = match (method.as_str(), route.path) {
        ("DELETE", "/accord/v1/role-bindings") => format!("{path}?principal=nobody&role=reader"),
        _ => path,
    };
    let body = match (method.as_str(), route.path) {
        ("POST", "/") => Some(json!({})),
        ("POST", p) if p.starts_with("/subjects/") || p.starts_with("/compatibility/") => {
            Some(json!({ "schema": "\"string\"" }))
        }
        ("PUT", p) if p.starts_with("/config") => Some(json!({ "compatibility": "BACKWARD" })),
        ("PUT", p) if p.starts_with("/mode") => Some(json!({ "mode": "READWRITE" })),
        ("POST", "/accord/v1/principals") => {
            Some(json!({ "name": format!("made-{id}-{}", rand_suffix()), "password": PASSWORD }))
        }
        ("PUT", "/accord/v1/principals/{name}/password") => Some(json!({ "password": PASSWORD })),
        ("POST", "/accord/v1/keys") => Some(json!({ "principal": "nobody" })),
        ("POST", "/accord/v1/role-bindings") => {
            Some(json!({ "principal": "nobody", "role": "reader" }))
        }
        ("PUT", "/accord/v1/roles/{name}") => Some(json!({ "operations": ["SUBJECT_READ"] })),
        _ => None,
    };
    (path, body)
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos()
}

fn verb(op: &str) -> &'static str {
    match op {
        "SUBJECT_READ" | "SCHEMA_READ" | "GLOBAL_READ" => "Read",
        "SUBJECT_WRITE" => "Write",
        "SUBJECT_DELETE" => "Delete",
        "SUBJECT_COMPATIBILITY_READ" => "ReadCompatibility",
        "SUBJECT_COMPATIBILITY_WRITE" => "AlterCompatibility",
        "GLOBAL_WRITE" => "Alter",
        "ADMIN" => "Admin",
        other => panic!("unknown operation {other}"),
    }
}

/// `None` when the role may call the route; else the exact 403 message.
fn expected_denial(route: &Declared, role: &str) -> Option<String> {
    let grants = role_grants(role);
    let (op, resource) = match route.access {
        Access::Public | Access::Authenticated | Access::Filtered => return None,
        // Every role reads every subject here, so every schema too.
        Access::SchemaById | Access::SchemaByGuid => ("SUBJECT_READ", String::new()),
        Access::Subject(op) => (op.name(), format!("Subject: {SUBJECT}")),
        Access::Scope { subject, .. } => (subject.name(), format!("Subject: {SUBJECT}")),
        Access::Global(op) => (op.name(), "Global: config".to_owned()),
        Access::Admin => ("ADMIN", "Admin: principals".to_owned()),
    };
    (!grants.contains(&op)).then(|| format!("User is denied operation {} on {resource}", verb(op)))
}

/// The first principal, `root` with `admin`: it turns authentication on.
pub(crate) async fn add_root(app: &TestApp) {
    add_principal(
        app,
        Auth::None,
        json!({ "name": "root", "password": PASSWORD, "roles": [{ "role": "admin" }] }),
    )
    .await;
}

pub(crate) async fn add_principal(app: &TestApp, auth: Auth<'_>, body: Value) {
    let (status, answer, _) = call(
        app,
        Method::POST,
        "/accord/v1/principals",
        Some(&body),
        auth,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}: {answer}");
}

async fn role_by_endpoint_matrix(app: TestApp) {
    let id = app.register(SUBJECT, "\"string\"").await;
    let (_, by_id) = app.get(&format!("/schemas/ids/{id}")).await;
    let guid = by_id["guid"].as_str().expect("guid").to_owned();
    // The first principal turns authentication on; later ones need it.
    add_principal(
        &app,
        Auth::None,
        json!({ "name": "admin-user", "password": PASSWORD, "roles": [{ "role": "admin" }] }),
    )
    .await;
    for role in ["reader", "writer", "owner"] {
        add_principal(
            &app,
            Auth::Basic("admin-user", PASSWORD),
            json!({ "name": format!("{role}-user"), "password": PASSWORD, "roles": [{ "role": role, "resource": "*" }] }),
        )
        .await;
    }
    let routes = accord::router::routes();
    let mut checked = 0;
    for route in &routes.declared() {
        let method = route.method.clone().unwrap_or(Method::GET);
        let (path, body) = request_for(route, id, &guid);
        // Without credentials: 401 with the challenge, except for probes.
        let (status, answer, challenge) =
            call(&app, method.clone(), &path, body.as_ref(), Auth::None).await;
        let what = format!("{method} {path} without credentials");
        if route.access == Access::Public {
            assert_ne!(status, StatusCode::UNAUTHORIZED, "{what}: {answer}");
        } else {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {answer}");
            assert_eq!(answer["error_code"], 40101, "{what}: {answer}");
            assert_eq!(
                challenge.as_deref(),
                Some("Basic realm=\"accord\", Bearer realm=\"accord\""),
                "{what}"
            );
        }
        for role in ["reader", "writer", "owner", "admin"] {
            let user = format!("{role}-user");
            let (path, body) = request_for(route, id, &guid);
            let (status, answer, _) = call(
                &app,
                method.clone(),
                &path,
                body.as_ref(),
                Auth::Basic(&user, PASSWORD),
            )
            .await;
            let what = format!("{method} {path} as {role}");
            match expected_denial(route, role) {
                Some(message) => {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{what}: {answer}");
                    assert_eq!(
                        answer,
                        json!({ "error_code": 40301, "message": message }),
                        "{what}"
                    );
                }
                None => assert!(
                    status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                    "{what} should be allowed, got {status}: {answer}"
                ),
            }
            checked += 1;
        }
    }
    assert!(checked > 150, "only {checked} role × route checks ran");
    // A wrong password is refused everywhere, probes included.
    let (status, _, _) = call(
        &app,
        Method::GET,
        "/health",
        None,
        Auth::Basic("admin-user", "wrong password"),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// One caller's view of the server: every request with its credentials.
#[derive(Clone, Copy)]
struct As<'a> {
    app: &'a TestApp,
    auth: Auth<'a>,
}

impl As<'_> {
    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let (status, body, _) = call(self.app, method, path, body.as_ref(), self.auth).await;
        (status, body)
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, None).await
    }

    /// A new API key for `principal`: (key, key id).
    async fn new_key(&self, principal: &str) -> (String, String) {
        let (status, created) = self
            .post(
                "/accord/v1/keys",
                json!({ "principal": principal, "description": "test" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        (
            created["key"].as_str().expect("key").to_owned(),
            created["keyId"].as_str().expect("key id").to_owned(),
        )
    }
}

async fn scoped_keys_and_revocation(app: TestApp) {
    let admin_auth = Auth::Basic("root", PASSWORD);
    let root = As {
        app: &app,
        auth: admin_auth,
    };
    add_root(&app).await;
    add_principal(&app, admin_auth, json!({ "name": "orders-team", "roles": [{ "role": "writer", "resource": "subject:orders-*" }] })).await;
    add_principal(&app, admin_auth, json!({ "name": "payments-reader", "roles": [{ "role": "reader", "resource": "subject:payments-*" }] })).await;
    let (orders_key, orders_key_id) = root.new_key("orders-team").await;
    let (payments_key, _) = root.new_key("payments-reader").await;
    let orders = As {
        app: &app,
        auth: Auth::Bearer(&orders_key),
    };
    let payments = As {
        app: &app,
        auth: Auth::Bearer(&payments_key),
    };
    let schema = json!({ "schema": "\"string\"" });
    let record = json!({ "schema": "{\"type\":\"record\",\"name\":\"P\",\"fields\":[]}" });

    // The orders writer registers under orders-*, and nowhere else.
    let (status, body) = orders
        .post("/subjects/orders-value/versions", schema.clone())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let orders_id = body["id"].as_i64().expect("id");
    let (status, body) = orders
        .post("/subjects/payments-value/versions", schema.clone())
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        body,
        json!({ "error_code": 40301, "message": "User is denied operation Write on Subject: payments-value" })
    );
    let (status, _) = orders.delete("/subjects/orders-value").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a writer does not delete");

    // The payments reader cannot register, and sees only its subjects.
    assert_eq!(
        root.post("/subjects/payments-value/versions", record.clone())
            .await
            .0,
        StatusCode::OK
    );
    let (status, _) = payments
        .post("/subjects/payments-value/versions", record)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "a reader does not register");
    assert_eq!(payments.get("/subjects").await.1, json!(["payments-value"]));
    assert_eq!(
        root.get("/subjects").await.1,
        json!(["orders-value", "payments-value"])
    );
    let (_, schemas) = payments.get("/schemas").await;
    assert_eq!(schemas.as_array().map(Vec::len), Some(1), "{schemas}");
    // A schema by id is readable through a subject the caller may read.
    let by_id = format!("/schemas/ids/{orders_id}");
    let (status, body) = payments.get(&by_id).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["message"],
        format!("User is denied operation Read on Schema: {orders_id}")
    );
    assert_eq!(orders.get(&by_id).await.0, StatusCode::OK);
    // An alias is checked at its target too.
    let (status, _) = root
        .put("/config/orders-alias", json!({ "alias": "payments-value" }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = orders.get("/subjects/orders-alias/versions").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(
        body["message"],
        "User is denied operation Read on Subject: payments-value"
    );

    // An unqualified read falls back to the same name in another context
    // (as Confluent's does) only where the caller may read.
    let secret = "/subjects/:.secret:orders-hidden/versions";
    assert_eq!(root.post(secret, schema.clone()).await.0, StatusCode::OK);
    let hidden = "/subjects/orders-hidden/versions/latest";
    assert_eq!(root.get(hidden).await.0, StatusCode::OK, "root falls back");
    let (status, body) = orders.get(hidden).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = orders.post("/subjects/orders-hidden", schema.clone()).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // A revoked key stops working at once on the replica that revoked it.
    let (status, _) = root
        .delete(&format!("/accord/v1/keys/{orders_key_id}"))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        orders.get("/subjects/orders-value/versions").await.0,
        StatusCode::UNAUTHORIZED
    );
    // Unknown keys and malformed headers are 401, not 500.
    for bad in ["accord_00_00", "not-a-key"] {
        let (status, _) = As {
            app: &app,
            auth: Auth::Bearer(bad),
        }
        .get("/subjects")
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{bad}");
    }
    let malformed = app
        .client
        .get(app.url("/subjects"))
        .header("Authorization", "Basic %%%")
        .send()
        .await
        .expect("sent");
    assert_eq!(malformed.status(), StatusCode::UNAUTHORIZED);
    // A password change takes effect at once; the old one is refused.
    let (status, _) = root
        .put(
            "/accord/v1/principals/root/password",
            json!({ "password": "the new long password" }),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(root.get("/subjects").await.0, StatusCode::UNAUTHORIZED);
    let root = As {
        app: &app,
        auth: Auth::Basic("root", "the new long password"),
    };
    assert_eq!(root.get("/subjects").await.0, StatusCode::OK);
    // Bad administration input: clear errors, nothing half-written.
    for (body, code) in [
        (json!({ "name": "root", "password": PASSWORD }), 40920),
        (json!({ "name": "a:b", "password": PASSWORD }), 42220),
        (json!({ "name": "short", "password": "short" }), 42220),
        (
            json!({ "name": "x", "roles": [{ "role": "emperor" }] }),
            40422,
        ),
        (
            json!({ "name": "y", "roles": [{ "role": "reader", "resource": "subjects:*" }] }),
            42220,
        ),
    ] {
        let (status, answer) = root.post("/accord/v1/principals", body.clone()).await;
        assert_eq!(answer["error_code"], code, "{body}: {status} {answer}");
    }
    let (_, principals) = root.get("/accord/v1/principals").await;
    let names: Vec<&str> = principals
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert_eq!(names, ["orders-team", "payments-reader", "root"]);
}

async fn anonymous_role_and_custom_roles(app: TestApp) {
    add_root(&app).await;
    let root = As {
        app: &app,
        auth: Auth::Basic("root", PASSWORD),
    };
    // A custom role that may only read subjects (and so check compatibility).
    let (status, role) = root
        .put(
            "/accord/v1/roles/checker",
            json!({ "operations": ["subject_read"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{role}");
    assert_eq!(
        role,
        json!({ "name": "checker", "builtIn": false, "operations": ["SUBJECT_READ"] })
    );
    let (status, _) = root
        .put(
            "/accord/v1/roles/reader",
            json!({ "operations": ["ADMIN"] }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "built-in roles are fixed"
    );
    add_principal(&app, root.auth, json!({ "name": "ci", "password": PASSWORD, "roles": [{ "role": "checker", "resource": "subject:*" }] })).await;
    let ci = As {
        app: &app,
        auth: Auth::Basic("ci", PASSWORD),
    };
    let schema = json!({ "schema": "\"string\"" });
    assert_eq!(
        root.post("/subjects/s-value/versions", schema.clone())
            .await
            .0,
        StatusCode::OK
    );
    let (status, _) = ci
        .post("/compatibility/subjects/s-value/versions/latest", schema)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ci.get("/config").await.0,
        StatusCode::FORBIDDEN,
        "the custom role has no GLOBAL_READ"
    );
    // Deleting the role takes its grants away.
    assert_eq!(
        root.delete("/accord/v1/roles/checker").await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        ci.get("/subjects/s-value/versions").await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ci.get("/accord/v1/whoami").await.1,
        json!({ "name": "ci", "authenticated": true })
    );
    // The last administrator cannot be removed, nor its admin binding:
    // without principals the registry would be open to anyone.
    assert_eq!(
        root.delete("/accord/v1/principals/ci").await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = root.delete("/accord/v1/principals/root").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = root
        .delete("/accord/v1/role-bindings?principal=root&role=admin")
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let anonymous = As {
        app: &app,
        auth: Auth::None,
    };
    assert_eq!(anonymous.get("/subjects").await.0, StatusCode::UNAUTHORIZED);
}

/// accord-serde's client with a reader key: it reads schemas by id and
/// subject, and its registration is refused with Confluent's 403.
async fn accord_serde_with_a_reader_key(app: TestApp) {
    use accord_serde::{Auth as SerdeAuth, ClientConfig, RegistryClient, Schema, SchemaType};
    add_root(&app).await;
    add_principal(
        &app,
        Auth::Basic("root", PASSWORD),
        json!({ "name": "consumer", "roles": [{ "role": "reader" }] }),
    )
    .await;
    let (_, created, _) = call(
        &app,
        Method::POST,
        "/accord/v1/keys",
        Some(&json!({ "principal": "consumer" })),
        Auth::Basic("root", PASSWORD),
    )
    .await;
    let key = created["key"].as_str().expect("key").to_owned();
    let client = |auth| {
        let mut config = ClientConfig::new(app.address.clone());
        config.auth = auth;
        config.max_retries = 0;
        RegistryClient::new(config).expect("client")
    };
    let writer = client(Some(SerdeAuth::Basic {
        username: "root".to_owned(),
        password: PASSWORD.to_owned(),
    }));
    let reader = client(Some(SerdeAuth::Bearer(key)));
    let schema = Schema::new(
        SchemaType::Avro,
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
    );
    let registered = writer
        .register("events-value", &schema, false)
        .await
        .expect("the admin registers");
    let read = reader
        .schema_by_id(registered.id)
        .await
        .expect("the reader reads by id");
    assert_eq!(
        read.schema,
        "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}"
    );
    reader
        .latest_version("events-value")
        .await
        .expect("the reader reads the latest version");
    let other = Schema::new(SchemaType::Avro, "\"string\"");
    match reader.register("events-value", &other, false).await {
        Err(accord_serde::RegistryError::Api {
            status,
            code,
            message,
        }) => {
            assert_eq!((status, code), (403, 40301), "{message}");
            assert_eq!(
                message,
                "User is denied operation Write on Subject: events-value"
            );
        }
        other => panic!("a reader key registered: {other:?}"),
    }
    match client(None).schema_by_id(registered.id).await {
        Err(accord_serde::RegistryError::Api { status, code, .. }) => {
            assert_eq!((status, code), (401, 40101));
        }
        other => panic!("no credentials read a schema: {other:?}"),
    }
}

crate::backend_tests!(
    role_by_endpoint_matrix,
    scoped_keys_and_revocation,
    anonymous_role_and_custom_roles,
    accord_serde_with_a_reader_key
);

/// `accord serve` refuses a non-loopback address while no principal exists,
/// unless `--allow-anonymous`; with `--allow-anonymous=reader` anonymous
/// callers read once authentication is on.
#[tokio::test]
async fn public_addresses_need_authentication_or_an_explicit_opt_out() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let settings = ServeSettings::for_database(&database.url);
    let refused = accord::serve(listener, settings.clone(), async {}).await;
    let message = refused.expect_err("refused").to_string();
    assert!(message.contains("without authentication"), "{message}");
    assert!(message.contains("--allow-anonymous"), "{message}");

    let listener = tokio::net::TcpListener::bind("0.0.0.0:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let settings = ServeSettings {
        allow_anonymous: Some("reader".to_owned()),
        ..settings
    };
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let server = CustomServer::start(listener, settings.clone(), base.clone(), &client).await;
    let created = client
        .post(format!("{base}/accord/v1/principals"))
        .header("Content-Type", SR_JSON)
        .body(
            json!({ "name": "root", "password": PASSWORD, "roles": [{ "role": "admin" }] })
                .to_string(),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), StatusCode::CREATED);
    let anonymous_read = client
        .get(format!("{base}/subjects"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        anonymous_read.status(),
        StatusCode::OK,
        "anonymous callers read"
    );
    let anonymous_write = client
        .post(format!("{base}/subjects/x/versions"))
        .header("Content-Type", SR_JSON)
        .body(json!({ "schema": "\"int\"" }).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(
        anonymous_write.status(),
        StatusCode::FORBIDDEN,
        "but do not write"
    );
    server.stop().await;

    // An anonymous role that does not exist is refused at start-up.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let settings = ServeSettings {
        allow_anonymous: Some("emperor".to_owned()),
        ..settings
    };
    let refused = accord::serve(listener, settings, async {}).await;
    assert!(refused
        .expect_err("refused")
        .to_string()
        .contains("emperor"));
}

/// `--deny-reads-as-not-found`: a read the caller may not make answers as
/// if the subject or schema did not exist; writes still answer 403.
#[tokio::test]
async fn denied_reads_can_answer_not_found() {
    let Some(database) = TestDatabase::create(Backend::Sqlite).await else {
        return;
    };
    let settings = ServeSettings {
        deny_reads_as_not_found: true,
        ..ServeSettings::for_database(&database.url)
    };
    let server = CustomServer::local(settings).await;
    let base = server.base.clone();
    let client = reqwest::Client::new();
    let send = |method: Method, path: &str, body: Option<Value>, user: Option<&str>| {
        let mut request = client.request(method, format!("{base}{path}"));
        if let Some(user) = user {
            request = request.basic_auth(user, Some(PASSWORD));
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", SR_JSON)
                .body(body.to_string());
        }
        async move {
            let response = request.send().await.expect("sent");
            let status = response.status();
            (status, response.json::<Value>().await.expect("json"))
        }
    };
    for body in [
        json!({ "name": "root", "password": PASSWORD, "roles": [{ "role": "admin" }] }),
        json!({ "name": "team", "password": PASSWORD, "roles": [{ "role": "writer", "resource": "subject:team-*" }] }),
    ] {
        let (status, _) = send(
            Method::POST,
            "/accord/v1/principals",
            Some(body),
            Some("root"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    let schema = json!({ "schema": "\"string\"" });
    let (status, registered) = send(
        Method::POST,
        "/subjects/secret-value/versions",
        Some(schema.clone()),
        Some("root"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let id = registered["id"].as_i64().expect("id");
    let (status, body) = send(
        Method::GET,
        "/subjects/secret-value/versions/latest",
        None,
        Some("team"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        body,
        json!({ "error_code": 40401, "message": "Subject 'secret-value' not found." })
    );
    let (status, body) = send(
        Method::GET,
        &format!("/schemas/ids/{id}"),
        None,
        Some("team"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error_code"], 40403);
    let (status, _) = send(
        Method::POST,
        "/subjects/secret-value/versions",
        Some(schema),
        Some("team"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "writes are still refused with 403"
    );
    server.stop().await;
}
