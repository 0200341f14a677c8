//! `openapi.yaml` against the real server: a scripted session drives every
//! operation in the document, and every response must be documented for its
//! operation and status, carry a documented media type and match the
//! documented schema. Every operation must have been exercised by the end.

use std::collections::{BTreeSet, HashMap};

use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::helpers::{TestApp, SR_JSON};

/// The HTTP methods an OpenAPI path item may describe.
const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// One operation of the document.
struct Operation {
    template: String,
    method: String,
    /// The template's segments; `None` for a parameter.
    segments: Vec<Option<String>>,
    /// The last parameter takes the rest of the path (`x-accord-catch-all`).
    catch_all: bool,
}

impl Operation {
    fn matches(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let segment_matches = |segment: &Option<String>, part: &str| match segment {
            Some(literal) => literal == part,
            None => !part.is_empty(),
        };
        if self.catch_all {
            let fixed = self.segments.len() - 1;
            parts.len() >= self.segments.len()
                && self.segments[..fixed]
                    .iter()
                    .zip(&parts)
                    .all(|(segment, part)| segment_matches(segment, part))
                && !parts[fixed..].concat().is_empty()
        } else {
            parts.len() == self.segments.len()
                && self
                    .segments
                    .iter()
                    .zip(&parts)
                    .all(|(segment, part)| segment_matches(segment, part))
        }
    }

    fn literal_segments(&self) -> usize {
        self.segments.iter().filter(|s| s.is_some()).count()
    }
}

enum Route<'a> {
    Operation(&'a Operation),
    MethodNotAllowed,
    NotFound,
}

struct Spec {
    doc: Value,
    operations: Vec<Operation>,
}

impl Spec {
    fn load() -> Spec {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml");
        let text = std::fs::read_to_string(path).expect("openapi.yaml is readable");
        let doc: Value = serde_yaml_ng::from_str(&text).expect("openapi.yaml parses");
        assert!(
            doc["openapi"]
                .as_str()
                .is_some_and(|v| v.starts_with("3.1")),
            "openapi.yaml is OpenAPI 3.1"
        );
        let mut operations = Vec::new();
        for (template, item) in doc["paths"].as_object().expect("paths") {
            let item = item.as_object().expect("path item");
            let catch_all = item.get("x-accord-catch-all").and_then(Value::as_str);
            let segments: Vec<Option<String>> = template
                .split('/')
                .map(|segment| {
                    if segment.starts_with('{') && segment.ends_with('}') {
                        None
                    } else {
                        Some(segment.to_owned())
                    }
                })
                .collect();
            if let Some(name) = catch_all {
                assert!(
                    template.ends_with(&format!("/{{{name}}}")),
                    "{template}: the catch-all parameter must come last"
                );
            }
            for method in item.keys().filter(|key| METHODS.contains(&key.as_str())) {
                operations.push(Operation {
                    template: template.clone(),
                    method: method.clone(),
                    segments: segments.clone(),
                    catch_all: catch_all.is_some(),
                });
            }
        }
        Spec { doc, operations }
    }

    /// Follows a `#/...` reference (of a response, parameter, request body).
    fn resolve<'a>(&'a self, value: &'a Value) -> &'a Value {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let pointer = reference
                    .strip_prefix('#')
                    .unwrap_or_else(|| panic!("only local references: {reference}"));
                self.resolve(
                    self.doc
                        .pointer(pointer)
                        .unwrap_or_else(|| panic!("dangling reference {reference}")),
                )
            }
            None => value,
        }
    }

    fn operation_object(&self, operation: &Operation) -> &Value {
        &self.doc["paths"][&operation.template][&operation.method]
    }

    /// Parameters of an operation, path-level ones included, resolved.
    fn parameters(&self, operation: &Operation) -> Vec<&Value> {
        let item = &self.doc["paths"][&operation.template];
        let mut parameters = Vec::new();
        for list in [
            &item["parameters"],
            &self.operation_object(operation)["parameters"],
        ] {
            if let Some(list) = list.as_array() {
                parameters.extend(list.iter().map(|p| self.resolve(p)));
            }
        }
        parameters
    }

    /// The operation a request reaches. Paths are normalised first, as the
    /// document says the server does: empty segments and a trailing slash go.
    fn route(&self, method: &str, path: &str) -> Route<'_> {
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let path = format!("/{}", segments.join("/"));
        let matching: Vec<&Operation> = self
            .operations
            .iter()
            .filter(|operation| operation.matches(&path))
            .collect();
        if matching.is_empty() {
            return Route::NotFound;
        }
        matching
            .into_iter()
            .filter(|operation| operation.method == method)
            .max_by_key(|operation| operation.literal_segments())
            .map_or(Route::MethodNotAllowed, Route::Operation)
    }
}

/// A request body.
#[derive(Clone, Copy)]
enum Body<'a> {
    None,
    /// JSON sent as `application/vnd.schemaregistry.v1+json`.
    Json(&'a Value),
    /// Bytes sent with this `Content-Type` (or none).
    Raw(Option<&'a str>, &'a [u8]),
}

struct Reply {
    status: StatusCode,
    /// The body as JSON, or as a JSON string when it is not JSON.
    body: Value,
    text: String,
}

struct Session<'a> {
    app: &'a TestApp,
    spec: &'a Spec,
    validators: HashMap<String, jsonschema::Validator>,
    exercised: BTreeSet<(String, String)>,
    requests: usize,
}

impl<'a> Session<'a> {
    fn new(app: &'a TestApp, spec: &'a Spec) -> Self {
        Session {
            app,
            spec,
            validators: HashMap::new(),
            exercised: BTreeSet::new(),
            requests: 0,
        }
    }

    /// Validates `instance` against a schema of the document, whose
    /// `#/components/...` references resolve against the document.
    fn validate(&mut self, what: &str, schema: &Value, instance: &Value) {
        let key = schema.to_string();
        if !self.validators.contains_key(&key) {
            let root = json!({
                "components": self.spec.doc["components"],
                "allOf": [schema],
            });
            let validator = jsonschema::options()
                .with_draft(jsonschema::Draft::Draft202012)
                .build(&root)
                .unwrap_or_else(|error| {
                    panic!("{what}: schema does not compile: {error}\n{schema}")
                });
            self.validators.insert(key.clone(), validator);
        }
        let errors: Vec<String> = self.validators[&key]
            .iter_errors(instance)
            .map(|error| format!("  at '{}': {error}", error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{what}: does not match the documented schema\n{}\nbody: {instance}\nschema: {schema}",
            errors.join("\n")
        );
    }

    /// Checks a response against a documented Response Object.
    fn check_response(
        &mut self,
        what: &str,
        response: &Value,
        content_type: Option<&str>,
        text: &str,
    ) {
        let response = self.spec.resolve(response).clone();
        let Some(content) = response.get("content").and_then(Value::as_object) else {
            assert!(
                text.is_empty(),
                "{what}: documented without a body, got {text:?}"
            );
            return;
        };
        let content_type = content_type.unwrap_or_else(|| panic!("{what}: no Content-Type"));
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        let media = content.get(media_type).unwrap_or_else(|| {
            panic!("{what}: Content-Type {content_type} is not documented for this response")
        });
        let instance = if media.get("x-accord-raw-text") == Some(&Value::Bool(true)) {
            Value::String(text.to_owned())
        } else {
            serde_json::from_str(text)
                .unwrap_or_else(|error| panic!("{what}: body is not JSON ({error}): {text:?}"))
        };
        self.validate(what, &media["schema"], &instance);
    }

    /// Sends a request and checks the answer against the document.
    async fn call(&mut self, method: Method, path: &str, body: Body<'_>) -> Reply {
        let what = format!("{method} {path}");
        self.requests += 1;
        let mut request = self.app.client.request(method.clone(), self.app.url(path));
        let sent: Option<(Option<&str>, Vec<u8>)> = match body {
            Body::None => None,
            Body::Json(value) => Some((Some(SR_JSON), value.to_string().into_bytes())),
            Body::Raw(content_type, bytes) => Some((content_type, bytes.to_vec())),
        };
        if let Some((content_type, bytes)) = &sent {
            if let Some(content_type) = content_type {
                request = request.header(CONTENT_TYPE, *content_type);
            }
            request = request.body(bytes.clone());
        }
        let response = request.send().await.expect("request is sent");
        let status = response.status();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|value| value.to_str().expect("ASCII Content-Type").to_owned());
        let text = response.text().await.expect("response body");
        let what = format!("{what} -> {status}");

        let (route_path, query) = path.split_once('?').unwrap_or((path, ""));
        let method_name = method.as_str().to_ascii_lowercase();
        match self.spec.route(&method_name, route_path) {
            Route::NotFound => {
                assert_eq!(
                    status,
                    StatusCode::NOT_FOUND,
                    "{what}: no route in the document: {text}"
                );
                let documented = self.spec.doc["components"]["responses"]["RouteNotFound"].clone();
                self.check_response(&what, &documented, content_type.as_deref(), &text);
            }
            Route::MethodNotAllowed => {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{what}: the document has the path but not the method: {text}"
                );
                let documented =
                    self.spec.doc["components"]["responses"]["MethodNotAllowed"].clone();
                self.check_response(&what, &documented, content_type.as_deref(), &text);
            }
            Route::Operation(operation) => {
                let what = format!("{what} ({} {})", operation.method, operation.template);
                self.exercised
                    .insert((operation.template.clone(), operation.method.clone()));
                // Every query parameter sent is documented.
                let documented: Vec<&str> = self
                    .spec
                    .parameters(operation)
                    .into_iter()
                    .filter(|p| p["in"] == "query")
                    .filter_map(|p| p["name"].as_str())
                    .collect();
                let sent_params: Vec<(String, String)> =
                    serde_urlencoded::from_str(query).expect("test query strings parse");
                for (name, _) in &sent_params {
                    assert!(
                        documented.contains(&name.as_str()),
                        "{what}: query parameter `{name}` is not documented"
                    );
                }
                let object = self.spec.operation_object(operation);
                let response = object["responses"]
                    .get(status.as_str())
                    .unwrap_or_else(|| panic!("{what}: status {status} is not documented: {text}"))
                    .clone();
                self.check_response(&what, &response, content_type.as_deref(), &text);
                // A body the server accepted is one the document accepts.
                if let (true, Some((content_type, bytes))) = (status.is_success(), &sent) {
                    if let Some(request_body) = object.get("requestBody") {
                        let request_body = self.spec.resolve(request_body);
                        let media_type = content_type
                            .expect("accepted bodies have a Content-Type")
                            .split(';')
                            .next()
                            .unwrap_or("")
                            .trim();
                        let schema = request_body["content"].get(media_type).unwrap_or_else(|| {
                            panic!("{what}: request media type {media_type} is not documented")
                        })["schema"]
                            .clone();
                        let instance: Value =
                            serde_json::from_slice(bytes).expect("accepted bodies are JSON");
                        self.validate(&format!("{what}: request body"), &schema, &instance);
                    }
                }
            }
        }
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        Reply { status, body, text }
    }

    /// Sends a request, asserts the status and returns the body.
    async fn expect(&mut self, method: Method, path: &str, body: Body<'_>, status: u16) -> Value {
        let reply = self.call(method.clone(), path, body).await;
        assert_eq!(
            reply.status.as_u16(),
            status,
            "{method} {path}: unexpected status; body: {}",
            reply.text
        );
        reply.body
    }

    async fn get(&mut self, path: &str) -> Value {
        self.expect(Method::GET, path, Body::None, 200).await
    }

    /// Sends a request and asserts an error answer with this code.
    async fn error(&mut self, method: Method, path: &str, body: Body<'_>, status: u16, code: i64) {
        let body = self.expect(method.clone(), path, body, status).await;
        assert_eq!(body["error_code"], json!(code), "{method} {path}: {body}");
        assert!(body["message"].is_string(), "{method} {path}: {body}");
    }

    /// Operations of the document that the session never reached.
    fn unexercised(&self) -> Vec<String> {
        self.spec
            .operations
            .iter()
            .filter(|op| {
                !self
                    .exercised
                    .contains(&(op.template.clone(), op.method.clone()))
            })
            .map(|op| format!("{} {}", op.method.to_ascii_uppercase(), op.template))
            .collect()
    }
}
fn schema_body(schema: &str) -> Value {
    json!({ "schema": schema })
}

const USER_V1: &str =
    r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"}]}"#;
const USER_V2: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"string"},{"name":"age","type":"int","default":0}]}"#;
/// `name` changes from string to int: not BACKWARD compatible with v1 or v2.
const USER_INCOMPATIBLE: &str = r#"{"type":"record","name":"User","fields":[{"name":"name","type":"int"},{"name":"age","type":"int","default":0}]}"#;
const ADDRESS: &str = r#"{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"street","type":"string"}]}"#;
const ORDER: &str = r#"{"type":"record","name":"Order","fields":[{"name":"address","type":"com.example.Address"}]}"#;
const EVENT: &str = r#"{"type":"record","name":"Event","fields":[{"name":"at","type":"long"}]}"#;
const EVENT_V2: &str = r#"{"type":"record","name":"Event","fields":[{"name":"at","type":"long"},{"name":"source","type":"string","default":""}]}"#;
const NOT_JSON: &str = "{not a schema";

/// What the registering part of the session created.
struct Registered {
    user_v1_id: i64,
    user_v1_guid: String,
    user_v2_id: i64,
    order_id: i64,
    event_guid: String,
}

async fn root_and_probes(s: &mut Session<'_>) {
    use Method as M;
    assert_eq!(s.get("/").await, json!({}));
    for media_type in [
        SR_JSON,
        "application/vnd.schemaregistry+json",
        "application/json",
        "application/octet-stream",
        "application/json; charset=utf-8",
    ] {
        s.expect(M::POST, "/", Body::Raw(Some(media_type), b"{\"a\":1}"), 200)
            .await;
    }
    s.error(M::POST, "/", Body::Raw(Some("text/plain"), b"{}"), 415, 415)
        .await;
    // Confluent reads a body without Content-Type as JSON; Accord answers
    // 415, and the document says so.
    s.error(M::POST, "/", Body::Raw(None, b"{}"), 415, 415)
        .await;
    s.error(M::POST, "/", Body::Raw(Some(SR_JSON), b"{oops"), 400, 400)
        .await;
    s.error(M::POST, "/", Body::Raw(Some(SR_JSON), b"  "), 422, 422)
        .await;
    s.error(M::POST, "/", Body::Raw(Some(SR_JSON), b"null"), 422, 422)
        .await;
    s.get("/v1/metadata/id").await;
    s.get("/v1/metadata/version").await;
    assert_eq!(s.get("/health").await, json!({ "status": "UP" }));
    s.get("/master_available").await;
    assert_eq!(s.get("/schemas/types").await, json!(["AVRO"]));
    for method in [M::GET, M::POST, M::PUT, M::DELETE, M::PATCH] {
        s.error(method.clone(), "/associations", Body::None, 404, 40410)
            .await;
        s.error(
            method,
            "/associations/resources/-/topic1",
            Body::None,
            404,
            40410,
        )
        .await;
    }
    s.error(
        M::GET,
        "/associations?resourceName=topic1&resourceNamespace=-&resourceType=topic&associationType=value",
        Body::None,
        404,
        40410,
    )
    .await;
    s.error(
        M::GET,
        "/associations/resources/-/topic1?resourceType=topic&associationType=value",
        Body::None,
        404,
        40410,
    )
    .await;
    s.error(
        M::POST,
        "/associations/subjects/x",
        Body::Json(&json!({})),
        404,
        40410,
    )
    .await;

    // An empty registry; trailing slashes and empty segments are ignored.
    assert_eq!(s.get("/subjects").await, json!([]));
    assert_eq!(s.get("/subjects/").await, json!([]));
    assert_eq!(s.get("/schemas").await, json!([]));
    assert_eq!(s.get("//schemas/").await, json!([]));
    assert_eq!(s.get("/contexts").await, json!(["."]));
}

async fn register_and_look_up(s: &mut Session<'_>) -> Registered {
    use Method as M;
    let versions = "/subjects/users-value/versions";
    let registered = s
        .expect(M::POST, versions, Body::Json(&schema_body(USER_V1)), 200)
        .await;
    let user_v1_id = registered["id"].as_i64().expect("id");
    let user_v1_guid = registered["guid"].as_str().expect("guid").to_owned();
    let body = schema_body(USER_V1).to_string();
    let again = s
        .expect(
            M::POST,
            "/subjects/users-value//versions/?normalize=false&format=",
            Body::Raw(Some("application/json"), body.as_bytes()),
            200,
        )
        .await;
    assert_eq!(
        again["id"],
        json!(user_v1_id),
        "re-registration is idempotent"
    );
    let registered = s
        .expect(
            M::POST,
            versions,
            Body::Json(&json!({ "schema": USER_V2, "schemaType": "AVRO", "version": 2 })),
            200,
        )
        .await;
    let user_v2_id = registered["id"].as_i64().expect("id");
    s.error(
        M::POST,
        versions,
        Body::Json(&schema_body(USER_INCOMPATIBLE)),
        409,
        409,
    )
    .await;
    let forced = "/subjects/forced-value/versions?force=true";
    s.expect(M::POST, forced, Body::Json(&schema_body(USER_V1)), 200)
        .await;
    s.expect(
        M::POST,
        forced,
        Body::Json(&schema_body(USER_INCOMPATIBLE)),
        200,
    )
    .await;
    s.error(
        M::POST,
        versions,
        Body::Raw(Some(SR_JSON), NOT_JSON.as_bytes()),
        400,
        400,
    )
    .await;
    s.error(
        M::POST,
        versions,
        Body::Raw(Some("text/plain"), b"{}"),
        415,
        415,
    )
    .await;
    s.error(M::POST, versions, Body::Raw(Some(SR_JSON), b""), 422, 422)
        .await;
    for (body, status, code) in [
        (schema_body(NOT_JSON), 422, 42201),
        (
            json!({ "schema": USER_V1, "schemaType": "PROTOBUF" }),
            422,
            42201,
        ),
        (
            json!({ "schema": USER_V1, "schemaType": "XML" }),
            422,
            42201,
        ),
        (json!({ "schema": "  " }), 422, 42201),
        (
            json!({ "schema": USER_INCOMPATIBLE, "version": 7 }),
            422,
            42201,
        ),
        (json!({ "schema": USER_V1, "id": 77 }), 422, 42205),
        (json!({ "schema": ["not", "a", "string"] }), 400, 400),
        (json!({ "schema": USER_V1, "references": {} }), 400, 400),
        (json!({ "schema": USER_V1, "version": "two" }), 400, 400),
        (json!(["not an object"]), 400, 400),
        (
            json!({ "schema": ORDER, "references": [{ "name": "com.example.Address", "subject": "nowhere", "version": 1 }] }),
            422,
            42201,
        ),
    ] {
        s.error(M::POST, versions, Body::Json(&body), status, code)
            .await;
    }
    s.error(
        M::POST,
        "/subjects/fresh-value/versions",
        Body::Json(&json!({ "schemaType": "AVRO" })),
        422,
        42201,
    )
    .await;
    let too_large = json!({ "schema": "x".repeat(1024 * 1024 + 1) });
    s.error(
        M::POST,
        "/subjects/big-value/versions",
        Body::Json(&too_large),
        422,
        42209,
    )
    .await;
    for invalid in ["__GLOBAL", "__EMPTY", ":.__GLOBAL:x", "tab%09here"] {
        s.error(
            M::POST,
            &format!("/subjects/{invalid}/versions"),
            Body::Json(&schema_body(USER_V1)),
            422,
            42208,
        )
        .await;
    }
    s.error(
        M::POST,
        "/subjects/%FF/versions",
        Body::Json(&schema_body(USER_V1)),
        404,
        404,
    )
    .await;

    // References, metadata and rule sets.
    s.expect(
        M::POST,
        "/subjects/address-value/versions",
        Body::Json(&schema_body(ADDRESS)),
        200,
    )
    .await;
    let order = json!({
        "schema": ORDER,
        "references": [{ "name": "com.example.Address", "subject": "address-value", "version": -1 }],
    });
    let order_id = s
        .expect(
            M::POST,
            "/subjects/orders-value/versions",
            Body::Json(&order),
            200,
        )
        .await["id"]
        .as_i64()
        .expect("id");
    let with_contract = json!({
        "schema": EVENT,
        "metadata": {
            "properties": { "owner": "team-a", "tier": 1 },
            "tags": { "at": ["PII"] },
            "sensitive": ["at"],
        },
        "ruleSet": {
            "domainRules": [{
                "name": "positive",
                "kind": "CONDITION",
                "mode": "WRITE",
                "type": "CEL",
                "expr": "message.at > 0",
            }],
        },
    })
    .to_string();
    let event_guid = s
        .expect(
            M::POST,
            "/subjects/events-value/versions",
            Body::Raw(
                Some("application/vnd.schemaregistry+json"),
                with_contract.as_bytes(),
            ),
            200,
        )
        .await["guid"]
        .as_str()
        .expect("guid")
        .to_owned();
    let event = s.get("/subjects/events-value/versions/latest").await;
    assert_eq!(
        event["metadata"]["properties"]["tier"], "1",
        "scalar properties become strings"
    );
    assert!(event["ruleSet"]["domainRules"].is_array(), "{event}");
    // A body without `schema` re-registers the latest schema with new metadata.
    let metadata_only = json!({ "metadata": { "properties": { "owner": "team-b" } } }).to_string();
    s.expect(
        M::POST,
        "/subjects/events-value/versions",
        Body::Raw(Some("application/octet-stream"), metadata_only.as_bytes()),
        200,
    )
    .await;

    // Lookup.
    let found = s
        .expect(
            M::POST,
            "/subjects/users-value",
            Body::Json(&schema_body(USER_V1)),
            200,
        )
        .await;
    assert_eq!(found["version"], 1);
    assert_eq!(found["id"], json!(user_v1_id));
    assert_eq!(found["guid"], json!(user_v1_guid));
    assert!(
        found.get("schemaType").is_none(),
        "AVRO is left out: {found}"
    );
    assert!(
        found.get("references").is_none(),
        "empty references are left out: {found}"
    );
    let found = s
        .expect(
            M::POST,
            "/subjects/orders-value?normalize=true",
            Body::Json(&order),
            200,
        )
        .await;
    assert_eq!(
        found["references"][0]["version"], 1,
        "-1 is stored as the concrete version"
    );
    let found = s
        .expect(
            M::POST,
            "/subjects/events-value",
            Body::Raw(Some(SR_JSON), with_contract.as_bytes()),
            200,
        )
        .await;
    assert_eq!(found["version"], 1, "{found}");
    assert!(found["ruleSet"].is_object(), "{found}");
    for (path, body, status, code) in [
        ("/subjects/nobody-value", schema_body(USER_V1), 404, 40401),
        ("/subjects/__EMPTY", schema_body(USER_V1), 404, 40401),
        ("/subjects/users-value", schema_body(EVENT), 404, 40403),
        ("/subjects/users-value", schema_body(NOT_JSON), 422, 42201),
        ("/subjects/%FF", schema_body(USER_V1), 404, 404),
    ] {
        s.error(M::POST, path, Body::Json(&body), status, code)
            .await;
    }
    let lookup = "/subjects/users-value";
    s.error(M::POST, lookup, Body::Raw(Some(SR_JSON), b"[1,"), 400, 400)
        .await;
    s.error(
        M::POST,
        lookup,
        Body::Raw(Some("text/xml"), b"{}"),
        415,
        415,
    )
    .await;
    s.error(M::POST, lookup, Body::Raw(Some(SR_JSON), b"null"), 422, 422)
        .await;

    Registered {
        user_v1_id,
        user_v1_guid,
        user_v2_id,
        order_id,
        event_guid,
    }
}

async fn read_subjects_and_schemas(s: &mut Session<'_>, ids: &Registered) {
    use Method as M;
    assert_eq!(
        s.get("/subjects").await,
        json!([
            "address-value",
            "events-value",
            "forced-value",
            "orders-value",
            "users-value"
        ])
    );
    assert_eq!(
        s.get("/subjects?subjectPrefix=users&offset=0&limit=5")
            .await,
        json!(["users-value"])
    );
    s.error(M::GET, "/subjects?limit=ten", Body::None, 404, 404)
        .await;
    assert_eq!(s.get("/subjects/users-value/versions").await, json!([1, 2]));
    assert_eq!(
        s.get("/subjects/users-value/versions?offset=1&limit=1")
            .await,
        json!([2])
    );
    for (path, status, code) in [
        ("/subjects/nobody-value/versions", 404, 40401),
        ("/subjects/__GLOBAL/versions", 404, 40401),
        ("/subjects/%FF/versions", 404, 404),
        ("/subjects/users-value/versions?offset=x", 404, 404),
    ] {
        s.error(M::GET, path, Body::None, status, code).await;
    }
    let latest = s.get("/subjects/users-value/versions/latest").await;
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["id"], json!(ids.user_v2_id));
    let first = s
        .get("/subjects/users-value/versions/1?deleted=false&format=")
        .await;
    s.get("/subjects/users-value/versions/-1").await;
    s.get("/subjects/users-value/versions/%202%20").await;
    s.get("/subjects/orders-value/versions/1").await;
    s.error(
        M::GET,
        "/subjects/users-value/versions/99",
        Body::None,
        404,
        40402,
    )
    .await;
    s.error(
        M::GET,
        "/subjects/nobody-value/versions/1",
        Body::None,
        404,
        40401,
    )
    .await;
    for bad in ["0", "abc", "-2", "2147483648"] {
        let path = format!("/subjects/users-value/versions/{bad}");
        s.error(M::GET, &path, Body::None, 422, 42202).await;
    }
    let raw = s
        .call(
            M::GET,
            "/subjects/users-value/versions/1/schema",
            Body::None,
        )
        .await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(
        raw.text,
        first["schema"].as_str().expect("schema"),
        "the raw text is the stored schema, not JSON-quoted"
    );
    assert!(
        raw.body.is_object(),
        "Avro text is a JSON document: {}",
        raw.text
    );
    s.get("/subjects/users-value/versions/latest/schema?deleted=true&format=resolved")
        .await;
    for (path, status, code) in [
        ("/subjects/users-value/versions/3/schema", 404, 40402),
        ("/subjects/users-value/versions/zero/schema", 422, 42202),
        ("/subjects/nobody-value/versions/1/schema", 404, 40401),
    ] {
        s.error(M::GET, path, Body::None, status, code).await;
    }
    assert_eq!(
        s.get("/subjects/address-value/versions/1/referencedby")
            .await,
        json!([ids.order_id])
    );
    assert_eq!(
        s.get("/subjects/users-value/versions/latest/referencedby?offset=0&limit=10")
            .await,
        json!([])
    );
    for (path, status, code) in [
        (
            "/subjects/address-value/versions/2/referencedby",
            404,
            40402,
        ),
        ("/subjects/nobody-value/versions/1/referencedby", 404, 40401),
        (
            "/subjects/address-value/versions/x/referencedby",
            422,
            42202,
        ),
        (
            "/subjects/address-value/versions/1/referencedby?limit=x",
            404,
            404,
        ),
    ] {
        s.error(M::GET, path, Body::None, status, code).await;
    }

    // Schemas.
    let listed = s.get("/schemas").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(8), "{listed}");
    let listed = s
        .get("/schemas/?subjectPrefix=users&deleted=true&latestOnly=true&offset=0&limit=0")
        .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let listed = s.get("/schemas?ruleType=CEL").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2), "{listed}");
    s.error(M::GET, "/schemas?offset=first", Body::None, 404, 404)
        .await;
    let user_v1 = ids.user_v1_id;
    let by_id = s.get(&format!("/schemas/ids/{user_v1}")).await;
    assert_eq!(by_id["schema"], first["schema"]);
    let by_id = s
        .get(&format!(
            "/schemas/ids/{}?fetchMaxId=true&subject=orders-value&format=",
            ids.order_id
        ))
        .await;
    assert!(
        by_id["maxId"]
            .as_i64()
            .is_some_and(|max| max >= ids.order_id),
        "{by_id}"
    );
    assert_eq!(by_id["references"][0]["subject"], "address-value");
    s.get(&format!("/schemas/ids/{user_v1}?subject=")).await;
    s.get(&format!("/schemas/ids/{user_v1}?subject=__GLOBAL"))
        .await;
    for (path, status, code) in [
        ("/schemas/ids/9999", 404, 40403),
        ("/schemas/ids/abc", 404, 404),
        ("/schemas/ids/2147483648", 404, 404),
        ("/schemas/ids/9999/schema", 404, 40403),
        ("/schemas/ids/9999/subjects", 404, 40403),
        ("/schemas/ids/1/subjects?limit=x", 404, 404),
        ("/schemas/ids/9999/versions", 404, 40403),
        ("/schemas/ids/x/versions", 404, 404),
    ] {
        s.error(M::GET, path, Body::None, status, code).await;
    }
    let raw = s
        .call(
            M::GET,
            &format!("/schemas/ids/{user_v1}/schema?subject=users-value"),
            Body::None,
        )
        .await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.text, first["schema"].as_str().expect("schema"));
    assert_eq!(
        s.get(&format!("/schemas/ids/{user_v1}/subjects")).await,
        json!(["forced-value", "users-value"])
    );
    s.get(&format!(
        "/schemas/ids/{user_v1}/subjects?deleted=true&subject=users-value&offset=0&limit=1"
    ))
    .await;
    assert_eq!(
        s.get(&format!("/schemas/ids/{user_v1}/versions")).await,
        json!([
            { "subject": "forced-value", "version": 1 },
            { "subject": "users-value", "version": 1 },
        ])
    );
    s.get(&format!(
        "/schemas/ids/{user_v1}/versions?deleted=true&subject=users-value&offset=1&limit=1"
    ))
    .await;
    let by_guid = s
        .get(&format!("/schemas/guids/{}?format=", ids.user_v1_guid))
        .await;
    assert_eq!(by_guid["guid"], json!(ids.user_v1_guid));
    let by_guid = s.get(&format!("/schemas/guids/{}", ids.event_guid)).await;
    assert!(by_guid["metadata"].is_object(), "{by_guid}");
    let compact = ids.user_v1_guid.to_ascii_uppercase().replace('-', "");
    s.get(&format!("/schemas/guids/{compact}")).await;
    s.error(
        M::GET,
        "/schemas/guids/00000000-0000-0000-0000-000000000000",
        Body::None,
        404,
        40403,
    )
    .await;
}

async fn compatibility(s: &mut Session<'_>) {
    use Method as M;
    let incompatible = schema_body(USER_INCOMPATIBLE);
    let latest = "/compatibility/subjects/users-value/versions/latest";
    let all = "/compatibility/subjects/users-value/versions";
    assert_eq!(
        s.expect(M::POST, latest, Body::Json(&incompatible), 200)
            .await,
        json!({ "is_compatible": false })
    );
    let verbose = s
        .expect(
            M::POST,
            "/compatibility/subjects/users-value/versions/1?verbose=true&normalize=true",
            Body::Json(&incompatible),
            200,
        )
        .await;
    assert_eq!(verbose["is_compatible"], false);
    assert!(
        verbose["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{verbose}"
    );
    assert_eq!(
        s.expect(
            M::POST,
            "/compatibility/subjects/users-value/versions?verbose=true",
            Body::Json(&schema_body(USER_V2)),
            200
        )
        .await,
        json!({ "is_compatible": true, "messages": [] })
    );
    assert_eq!(
        s.expect(
            M::POST,
            "/compatibility/subjects/users-value/versions?normalize=false",
            Body::Json(&incompatible),
            200
        )
        .await,
        json!({ "is_compatible": false })
    );
    for path in [
        "/compatibility/subjects/nobody-value/versions",
        "/compatibility/subjects/nobody-value/versions/latest",
        "/compatibility/subjects/__GLOBAL/versions",
    ] {
        let answer = s
            .expect(M::POST, path, Body::Json(&incompatible), 200)
            .await;
        assert_eq!(answer, json!({ "is_compatible": true }), "{path}");
    }
    let parse_error = s
        .expect(
            M::POST,
            "/compatibility/subjects/users-value/versions/latest?verbose=true",
            Body::Json(&schema_body(NOT_JSON)),
            200,
        )
        .await;
    assert_eq!(parse_error["is_compatible"], false);
    for (path, body, status, code) in [
        (latest, schema_body(NOT_JSON), 422, 42201),
        (all, schema_body(NOT_JSON), 422, 42201),
        (
            all,
            json!({ "schema": USER_V2, "schemaType": "JSON" }),
            422,
            42201,
        ),
        (
            "/compatibility/subjects/users-value/versions/99",
            incompatible.clone(),
            404,
            40402,
        ),
        (
            "/compatibility/subjects/nobody-value/versions/1",
            incompatible.clone(),
            404,
            40402,
        ),
        (
            "/compatibility/subjects/users-value/versions/0",
            incompatible.clone(),
            422,
            42202,
        ),
        (
            "/compatibility/subjects/%FF/versions",
            incompatible.clone(),
            404,
            404,
        ),
    ] {
        s.error(M::POST, path, Body::Json(&body), status, code)
            .await;
    }
    s.error(
        M::POST,
        all,
        Body::Raw(Some(SR_JSON), b"{\"schema\":"),
        400,
        400,
    )
    .await;
    s.error(
        M::POST,
        latest,
        Body::Raw(Some("text/plain"), b"{}"),
        415,
        415,
    )
    .await;
    s.error(M::POST, all, Body::Raw(Some(SR_JSON), b""), 422, 422)
        .await;
}

async fn config_and_mode(s: &mut Session<'_>) {
    use Method as M;
    assert_eq!(
        s.get("/config").await,
        json!({ "compatibilityLevel": "BACKWARD" })
    );
    s.get("/config?defaultToGlobal=true").await;
    assert_eq!(
        s.expect(
            M::PUT,
            "/config",
            Body::Json(&json!({ "compatibility": "full" })),
            200
        )
        .await,
        json!({ "compatibility": "full" })
    );
    assert_eq!(
        s.get("/config").await,
        json!({ "compatibilityLevel": "FULL" })
    );
    for (body, status, code) in [
        (
            Body::Json(&json!({ "compatibility": "sideways" })),
            422,
            42203,
        ),
        (Body::Json(&json!(["FULL"])), 400, 400),
        (Body::Json(&json!({ "normalize": 3 })), 400, 400),
        (Body::Raw(Some("text/plain"), b"{}"), 415, 415),
        (Body::Raw(Some(SR_JSON), b""), 422, 422),
    ] {
        s.error(M::PUT, "/config", body, status, code).await;
    }
    assert_eq!(
        s.expect(M::DELETE, "/config", Body::None, 200).await,
        json!({ "compatibilityLevel": "FULL" })
    );
    s.error(M::GET, "/config/cfg-value", Body::None, 404, 40408)
        .await;
    s.error(M::GET, "/config/__GLOBAL", Body::None, 404, 40408)
        .await;
    assert_eq!(
        s.get("/config/cfg-value?defaultToGlobal=true").await,
        json!({ "compatibilityLevel": "BACKWARD" })
    );
    let update = json!({
        "compatibility": "NONE",
        "normalize": true,
        "validateFields": false,
        "compatibilityGroup": "major",
        "alias": "other-value",
        "defaultMetadata": { "properties": { "owner": "team-a" } },
        "overrideRuleSet": { "domainRules": [] },
    });
    assert_eq!(
        s.expect(M::PUT, "/config/cfg-value", Body::Json(&update), 200)
            .await,
        update
    );
    let config = s.get("/config/cfg-value").await;
    assert_eq!(config["compatibilityLevel"], "NONE");
    assert_eq!(config["normalize"], true);
    assert_eq!(
        s.expect(
            M::PUT,
            "/config/cfg-value",
            Body::Json(&json!({ "alias": null })),
            200
        )
        .await,
        json!({})
    );
    s.get("/config/cfg-value?defaultToGlobal=true").await;
    let forward = json!({ "compatibility": "forward" });
    s.expect(M::PUT, "/config/:.staging:", Body::Json(&forward), 200)
        .await;
    s.get("/config/:.staging:").await;
    s.expect(M::PUT, "/config/:.__GLOBAL:", Body::Json(&forward), 200)
        .await;
    s.expect(M::DELETE, "/config/:.__GLOBAL:", Body::None, 200)
        .await;
    for (path, body, status, code) in [
        (
            "/config/cfg-value",
            Body::Json(&json!({ "compatibility": 5 })),
            422,
            42203,
        ),
        (
            "/config/cfg-value",
            Body::Raw(Some(SR_JSON), b"{,}"),
            400,
            400,
        ),
        (
            "/config/cfg-value",
            Body::Raw(Some("text/json"), b"{}"),
            415,
            415,
        ),
        (
            "/config/cfg-value",
            Body::Raw(Some(SR_JSON), b"null"),
            422,
            422,
        ),
        ("/config/__GLOBAL", Body::Json(&forward), 422, 42208),
        ("/config/%FF", Body::Json(&forward), 404, 404),
    ] {
        s.error(M::PUT, path, body, status, code).await;
    }
    assert_eq!(
        s.expect(M::DELETE, "/config/cfg-value", Body::None, 200)
            .await["compatibilityLevel"],
        "NONE"
    );
    s.expect(M::DELETE, "/config/:.staging:", Body::None, 200)
        .await;
    s.error(M::DELETE, "/config/cfg-value", Body::None, 404, 40401)
        .await;
    s.error(M::DELETE, "/config/__GLOBAL", Body::None, 422, 42208)
        .await;

    // Mode.
    assert_eq!(s.get("/mode").await, json!({ "mode": "READWRITE" }));
    s.get("/mode?defaultToGlobal=true").await;
    s.error(M::GET, "/mode/users-value", Body::None, 404, 40409)
        .await;
    s.error(M::GET, "/mode/__GLOBAL", Body::None, 404, 40409)
        .await;
    assert_eq!(
        s.get("/mode/users-value?defaultToGlobal=true").await,
        json!({ "mode": "READWRITE" })
    );
    assert_eq!(
        s.expect(
            M::PUT,
            "/mode/users-value",
            Body::Json(&json!({ "mode": "readonly" })),
            200
        )
        .await,
        json!({ "mode": "readonly" })
    );
    assert_eq!(
        s.get("/mode/users-value").await,
        json!({ "mode": "READONLY" })
    );
    let read_only_refusals: [(Method, &str, Body<'_>); 4] = [
        (
            M::POST,
            "/subjects/users-value/versions",
            Body::Json(&json!({ "schema": EVENT })),
        ),
        (M::DELETE, "/subjects/users-value/versions/1", Body::None),
        (M::DELETE, "/subjects/users-value", Body::None),
        (
            M::PUT,
            "/config/users-value",
            Body::Json(&json!({ "compatibility": "NONE" })),
        ),
    ];
    for (method, path, body) in read_only_refusals {
        s.error(method, path, body, 422, 42205).await;
    }
    assert_eq!(
        s.expect(M::DELETE, "/mode/users-value", Body::None, 200)
            .await,
        json!({ "mode": "READONLY" })
    );
    s.error(M::DELETE, "/mode/users-value", Body::None, 404, 40401)
        .await;
    s.error(M::DELETE, "/mode/__GLOBAL", Body::None, 422, 42208)
        .await;
    for (body, status, code) in [
        (Body::Json(&json!({ "mode": "SIDEWAYS" })), 422, 42204),
        (Body::Json(&json!({})), 422, 42204),
        (Body::Json(&json!({ "mode": ["IMPORT"] })), 400, 400),
        (Body::Raw(Some("text/plain"), b"{}"), 415, 415),
        (Body::Raw(Some(SR_JSON), b"null"), 422, 422),
        (Body::Json(&json!({ "mode": "IMPORT" })), 422, 42205),
    ] {
        s.error(M::PUT, "/mode", body, status, code).await;
    }
    assert_eq!(
        s.expect(
            M::PUT,
            "/mode?force=false",
            Body::Json(&json!({ "mode": "READWRITE" })),
            200
        )
        .await,
        json!({ "mode": "READWRITE" })
    );
    for (path, body, status, code) in [
        (
            "/mode/users-value",
            Body::Json(&json!({ "mode": "FORWARD" })),
            422,
            42204,
        ),
        (
            "/mode/users-value",
            Body::Json(&json!({ "mode": "IMPORT" })),
            422,
            42205,
        ),
        (
            "/mode/users-value",
            Body::Raw(Some(SR_JSON), b"{"),
            400,
            400,
        ),
        (
            "/mode/users-value",
            Body::Raw(Some("text/plain"), b"{}"),
            415,
            415,
        ),
        (
            "/mode/users-value",
            Body::Raw(Some(SR_JSON), b" "),
            422,
            422,
        ),
        (
            "/mode/__GLOBAL",
            Body::Json(&json!({ "mode": "READONLY" })),
            422,
            42208,
        ),
        (
            "/mode/%FF",
            Body::Json(&json!({ "mode": "READONLY" })),
            404,
            404,
        ),
    ] {
        s.error(M::PUT, path, body, status, code).await;
    }

    // IMPORT mode: explicit ids and versions.
    s.expect(
        M::PUT,
        "/mode/import-value?force=true",
        Body::Json(&json!({ "mode": "import" })),
        200,
    )
    .await;
    let imported = s
        .expect(
            M::POST,
            "/subjects/import-value/versions",
            Body::Json(&json!({ "schema": EVENT, "id": 500, "version": 3 })),
            200,
        )
        .await;
    assert_eq!(imported["id"], 500);
    assert_eq!(s.get("/subjects/import-value/versions").await, json!([3]));
    s.error(
        M::POST,
        "/subjects/import-value/versions",
        Body::Json(&schema_body(EVENT)),
        422,
        42205,
    )
    .await;
    s.error(
        M::POST,
        "/subjects/import-value/versions",
        Body::Json(&json!({ "schema": USER_V1, "id": 500 })),
        422,
        42205,
    )
    .await;
    assert_eq!(
        s.expect(M::DELETE, "/mode/import-value", Body::None, 200)
            .await,
        json!({ "mode": "IMPORT" })
    );
    assert_eq!(
        s.get("/schemas/ids/500?fetchMaxId=true").await["maxId"],
        500,
        "imported ids raise the max id"
    );
}

/// Every `/contexts/{context}/…` form, and deleting contexts.
async fn contexts(s: &mut Session<'_>) {
    use Method as M;
    let registered = s
        .expect(
            M::POST,
            "/subjects/:.staging:orders-value/versions",
            Body::Json(&schema_body(EVENT)),
            200,
        )
        .await;
    assert_eq!(registered["id"], 1, "each context has its own ids");
    assert_eq!(s.get("/contexts").await, json!([".", ".staging"]));
    assert_eq!(
        s.get("/contexts?contextPrefix=.st&offset=0&limit=5").await,
        json!([".staging"])
    );
    s.error(M::GET, "/contexts?offset=one", Body::None, 404, 404)
        .await;
    assert!(s
        .get("/subjects")
        .await
        .as_array()
        .is_some_and(|all| all.contains(&json!(":.staging:orders-value"))));
    assert_eq!(
        s.get("/subjects?subjectPrefix=:.staging:").await,
        json!([":.staging:orders-value"])
    );

    let base = "/contexts/.staging";
    let subject = "/contexts/staging/subjects/orders-value";
    assert_eq!(
        s.get(&format!("{base}/subjects")).await,
        json!([":.staging:orders-value"])
    );
    assert_eq!(
        s.get("/contexts/staging/schemas")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let found = s
        .expect(M::POST, subject, Body::Json(&schema_body(EVENT)), 200)
        .await;
    assert_eq!(found["subject"], ":.staging:orders-value");
    s.error(
        M::POST,
        subject,
        Body::Json(&schema_body(USER_V1)),
        404,
        40403,
    )
    .await;
    let versions = format!("{subject}/versions");
    // Lenient decoding: a numeric string where an integer is expected.
    let next = json!({ "schema": EVENT_V2, "version": " 2", "id": "-1" });
    s.expect(M::POST, &versions, Body::Json(&next), 200).await;
    assert_eq!(s.get(&versions).await, json!([1, 2]));
    assert_eq!(s.get(&format!("{versions}/1")).await["id"], 1);
    let raw = s
        .call(M::GET, &format!("{versions}/1/schema"), Body::None)
        .await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.text, EVENT);
    assert_eq!(
        s.get(&format!("{versions}/1/referencedby")).await,
        json!([])
    );
    let by_id = s.get(&format!("{base}/schemas/ids/1")).await;
    assert_eq!(by_id["schema"], EVENT, "ids are looked up in the context");
    let raw = s
        .call(M::GET, &format!("{base}/schemas/ids/1/schema"), Body::None)
        .await;
    assert_eq!(raw.text, EVENT);
    assert_eq!(
        s.get(&format!("{base}/schemas/ids/1/subjects")).await,
        json!([":.staging:orders-value"])
    );
    assert_eq!(
        s.get(&format!("{base}/schemas/ids/1/versions")).await,
        json!([{ "subject": ":.staging:orders-value", "version": 1 }])
    );
    s.error(
        M::GET,
        &format!("{base}/schemas/ids/99"),
        Body::None,
        404,
        40403,
    )
    .await;
    let compatible = s
        .expect(
            M::POST,
            &format!("{base}/compatibility/subjects/orders-value/versions"),
            Body::Json(&schema_body(EVENT_V2)),
            200,
        )
        .await;
    assert_eq!(compatible, json!({ "is_compatible": true }));
    s.expect(
        M::POST,
        &format!("{base}/compatibility/subjects/orders-value/versions/latest?verbose=true"),
        Body::Json(&schema_body(USER_V1)),
        200,
    )
    .await;

    // Context-level and subject-level settings through the context forms.
    let none = json!({ "compatibility": "NONE" });
    s.error(M::GET, &format!("{base}/config"), Body::None, 404, 40408)
        .await;
    s.expect(M::PUT, &format!("{base}/config"), Body::Json(&none), 200)
        .await;
    assert_eq!(
        s.get("/config/:.staging:").await,
        json!({ "compatibilityLevel": "NONE" })
    );
    assert_eq!(
        s.get(&format!("{base}/config")).await,
        json!({ "compatibilityLevel": "NONE" })
    );
    s.expect(M::DELETE, &format!("{base}/config"), Body::None, 200)
        .await;
    let subject_config = format!("{base}/config/orders-value");
    s.expect(M::PUT, &subject_config, Body::Json(&none), 200)
        .await;
    assert_eq!(
        s.get("/config/:.staging:orders-value").await,
        json!({ "compatibilityLevel": "NONE" })
    );
    s.get(&subject_config).await;
    s.expect(M::DELETE, &subject_config, Body::None, 200).await;
    s.error(M::DELETE, &subject_config, Body::None, 404, 40401)
        .await;
    let read_write = json!({ "mode": "READWRITE" });
    s.expect(
        M::PUT,
        &format!("{base}/mode"),
        Body::Json(&read_write),
        200,
    )
    .await;
    assert_eq!(
        s.get(&format!("{base}/mode")).await,
        json!({ "mode": "READWRITE" })
    );
    s.expect(M::DELETE, &format!("{base}/mode"), Body::None, 200)
        .await;
    s.error(M::DELETE, &format!("{base}/mode"), Body::None, 404, 40401)
        .await;
    let subject_mode = format!("{base}/mode/orders-value");
    let read_only = json!({ "mode": "READONLY" });
    s.expect(M::PUT, &subject_mode, Body::Json(&read_only), 200)
        .await;
    assert_eq!(
        s.get("/mode/:.staging:orders-value").await,
        json!({ "mode": "READONLY" })
    );
    s.error(M::DELETE, &format!("{versions}/2"), Body::None, 422, 42205)
        .await;
    assert_eq!(s.get(&subject_mode).await, json!({ "mode": "READONLY" }));
    s.expect(M::DELETE, &subject_mode, Body::None, 200).await;

    // A context with subjects cannot be deleted.
    for (context, status, code) in [
        (".staging", 422, 42211),
        (":.staging:", 422, 42211),
        ("staging", 422, 42208),
        ("%FF", 404, 404),
    ] {
        s.error(
            M::DELETE,
            &format!("/contexts/{context}"),
            Body::None,
            status,
            code,
        )
        .await;
    }
    assert_eq!(
        s.expect(M::DELETE, &format!("{versions}/2"), Body::None, 200)
            .await,
        json!(2)
    );
    assert_eq!(
        s.expect(M::DELETE, subject, Body::None, 200).await,
        json!([1])
    );
    s.expect(
        M::DELETE,
        &format!("{subject}?permanent=true"),
        Body::None,
        200,
    )
    .await;
    s.expect(M::DELETE, "/contexts/:.staging:", Body::None, 204)
        .await;
    s.expect(M::DELETE, "/contexts/.never-used", Body::None, 204)
        .await;
}

async fn deletes(s: &mut Session<'_>) {
    use Method as M;
    let v1 = "/subjects/users-value/versions/1";
    assert_eq!(s.expect(M::DELETE, v1, Body::None, 200).await, json!(1));
    for (path, status, code) in [
        (v1, 404, 40406),
        (
            "/subjects/users-value/versions/2?permanent=true",
            404,
            40407,
        ),
        ("/subjects/users-value/versions/9", 404, 40402),
        ("/subjects/users-value/versions/0", 422, 42202),
        ("/subjects/nobody-value/versions/1", 404, 40401),
        ("/subjects/__GLOBAL/versions/1", 404, 40401),
        ("/subjects/address-value/versions/1", 422, 42206),
        ("/subjects/address-value", 422, 42206),
    ] {
        s.error(M::DELETE, path, Body::None, status, code).await;
    }
    assert_eq!(
        s.get("/subjects/users-value/versions?deleted=true").await,
        json!([1, 2])
    );
    assert_eq!(
        s.get("/subjects/users-value/versions?deletedOnly=true")
            .await,
        json!([1])
    );
    s.get(&format!("{v1}?deleted=true")).await;
    s.error(M::GET, v1, Body::None, 404, 40402).await;
    s.expect(
        M::POST,
        "/subjects/users-value?deleted=true",
        Body::Json(&schema_body(USER_V1)),
        200,
    )
    .await;
    assert_eq!(
        s.expect(M::DELETE, &format!("{v1}?permanent=true"), Body::None, 200)
            .await,
        json!(1)
    );
    let subject = "/subjects/users-value";
    s.error(
        M::DELETE,
        &format!("{subject}?permanent=true"),
        Body::None,
        404,
        40405,
    )
    .await;
    assert_eq!(
        s.expect(M::DELETE, subject, Body::None, 200).await,
        json!([2])
    );
    s.error(M::DELETE, subject, Body::None, 404, 40404).await;
    s.error(
        M::GET,
        "/subjects/users-value/versions",
        Body::None,
        404,
        40401,
    )
    .await;
    assert!(s
        .get("/subjects?deleted=true")
        .await
        .as_array()
        .is_some_and(|all| all.contains(&json!("users-value"))));
    assert_eq!(
        s.get("/subjects?deletedOnly=true").await,
        json!(["users-value"])
    );
    assert_eq!(
        s.get("/subjects/?deleted_only=true").await,
        json!(["users-value"])
    );
    assert_eq!(
        s.expect(
            M::DELETE,
            &format!("{subject}?permanent=true"),
            Body::None,
            200
        )
        .await,
        json!([2])
    );
    for (path, status, code) in [
        (subject, 404, 40401),
        ("/subjects/__GLOBAL", 404, 40401),
        ("/subjects/%FF", 404, 404),
    ] {
        s.error(M::DELETE, path, Body::None, status, code).await;
    }
}

async fn unknown_routes_and_methods(s: &mut Session<'_>) {
    use Method as M;
    for path in [
        "/nope",
        "/subjects/a/b/c/d/e",
        "/v1/metadata",
        "/schemas/ids/1/nope",
        "/contexts/.staging/schemas/types",
        "/contexts/.staging/nope",
    ] {
        s.error(M::GET, path, Body::None, 404, 404).await;
    }
    s.error(M::POST, "/nope", Body::Json(&json!({})), 404, 404)
        .await;
    for (method, path) in [
        (M::DELETE, "/schemas/types"),
        (M::PATCH, "/subjects"),
        (M::POST, "/subjects"),
        (M::PUT, "/subjects/x/versions/1"),
        (M::DELETE, "/mode"),
        (M::POST, "/config"),
        (M::GET, "/compatibility/subjects/x/versions"),
        (M::GET, "/contexts/.ctx"),
        (M::DELETE, "/health"),
        (M::PUT, "/contexts/.ctx/subjects"),
    ] {
        s.error(method, path, Body::None, 405, 405).await;
    }
}

async fn every_operation_matches_the_document(app: TestApp) {
    let spec = Spec::load();
    let mut s = Session::new(&app, &spec);
    root_and_probes(&mut s).await;
    let ids = register_and_look_up(&mut s).await;
    read_subjects_and_schemas(&mut s, &ids).await;
    compatibility(&mut s).await;
    config_and_mode(&mut s).await;
    contexts(&mut s).await;
    deletes(&mut s).await;
    unknown_routes_and_methods(&mut s).await;

    let missing = s.unexercised();
    assert!(
        missing.is_empty(),
        "operations in openapi.yaml the session never exercised:\n  {}",
        missing.join("\n  ")
    );
    assert!(s.requests > 200, "the session ran {} requests", s.requests);
}

crate::backend_tests!(every_operation_matches_the_document);
