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

/// What a request of the session must be answered with.
enum Outcome {
    /// This status; the body is checked only against the document.
    Status(u16),
    /// 200 with exactly this body.
    Answer(Value),
    /// This status and an error body with this `error_code`.
    Error(u16, i64),
}

use Outcome::{Answer, Error, Status};

/// One request of the session and the outcome it must have.
type Step<'a> = (Method, &'a str, Body<'a>, Outcome);

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
    /// Basic credentials sent with every request, once authentication is on.
    credentials: Option<(String, String)>,
}

impl<'a> Session<'a> {
    fn new(app: &'a TestApp, spec: &'a Spec) -> Self {
        Session {
            app,
            spec,
            validators: HashMap::new(),
            exercised: BTreeSet::new(),
            requests: 0,
            credentials: None,
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
        // A raw text body has the schema of its text, taken as a string.
        if let Some(text_schema) = media.get("x-accord-raw-text") {
            self.validate(what, text_schema, &Value::String(text.to_owned()));
            return;
        }
        let instance = serde_json::from_str(text)
            .unwrap_or_else(|error| panic!("{what}: body is not JSON ({error}): {text:?}"));
        self.validate(what, &media["schema"], &instance);
    }

    /// Sends a request and checks the answer against the document.
    async fn call(&mut self, method: Method, path: &str, body: Body<'_>) -> Reply {
        let what = format!("{method} {path}");
        self.requests += 1;
        let mut request = self.app.client.request(method.clone(), self.app.url(path));
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
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
                        // An empty body stands for no body (`null`).
                        let instance: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
                            Value::Null
                        } else {
                            serde_json::from_slice(bytes).expect("accepted bodies are JSON")
                        };
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

    async fn post(&mut self, path: &str, body: Body<'_>) -> Value {
        self.expect(Method::POST, path, body, 200).await
    }

    /// Sends a request and asserts an error answer with this code.
    async fn error(&mut self, method: Method, path: &str, body: Body<'_>, status: u16, code: i64) {
        let body = self.expect(method.clone(), path, body, status).await;
        assert_eq!(body["error_code"], json!(code), "{method} {path}: {body}");
        assert!(body["message"].is_string(), "{method} {path}: {body}");
    }

    /// Sends the requests in order, checking each outcome.
    async fn run(&mut self, steps: impl IntoIterator<Item = Step<'_>>) {
        for (method, path, body, outcome) in steps {
            match outcome {
                Status(status) => {
                    self.expect(method, path, body, status).await;
                }
                Answer(expected) => {
                    let answer = self.expect(method.clone(), path, body, 200).await;
                    assert_eq!(answer, expected, "{method} {path}");
                }
                Error(status, code) => self.error(method, path, body, status, code).await,
            }
        }
    }

    /// A GET whose answer is needed as text (a raw schema), whatever its
    /// status.
    async fn get_reply(&mut self, path: &str) -> Reply {
        self.call(Method::GET, path, Body::None).await
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

fn mode_body(mode: &str) -> Value {
    json!({ "mode": mode })
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
        s.post("/", Body::Raw(Some(media_type), b"{\"a\":1}")).await;
    }
    #[rustfmt::skip]
    s.run([
        (M::POST, "/", Body::Raw(Some("text/plain"), b"{}"), Error(415, 415)),
        // Confluent reads a body without Content-Type as JSON; Accord
        // answers 415, and the document says so.
        (M::POST, "/", Body::Raw(None, b"{}"), Error(415, 415)),
        (M::POST, "/", Body::Raw(Some(SR_JSON), b"{oops"), Error(400, 400)),
        (M::POST, "/", Body::Raw(Some(SR_JSON), b"  "), Answer(json!({}))),
        (M::POST, "/", Body::Raw(Some(SR_JSON), b"null"), Answer(json!({}))),
        (M::POST, "/", Body::Json(&json!({ "a": {} })), Error(400, 400)),
        (M::GET, "/v1/metadata/id", Body::None, Status(200)),
        (M::GET, "/v1/metadata/version", Body::None, Status(200)),
        (M::GET, "/health", Body::None, Answer(json!({ "status": "UP" }))),
        (M::GET, "/health/ready", Body::None, Answer(json!({ "status": "UP" }))),
        (M::GET, "/health/live", Body::None, Answer(json!({ "status": "UP" }))),
        (M::GET, "/master_available", Body::None, Status(200)),
        (M::GET, "/metrics", Body::None, Status(200)),
        (M::GET, "/schemas/types", Body::None, Answer(json!(["JSON", "PROTOBUF", "AVRO"]))),
    ]).await;
    for method in [M::GET, M::POST, M::PUT, M::DELETE, M::PATCH] {
        for path in ["/associations", "/associations/resources/-/topic1"] {
            s.error(method.clone(), path, Body::None, 404, 40410).await;
        }
    }
    #[rustfmt::skip]
    s.run([
        (M::GET, "/associations?resourceName=topic1&resourceNamespace=-&resourceType=topic&associationType=value",
            Body::None, Error(404, 40410)),
        (M::GET, "/associations/resources/-/topic1?resourceType=topic&associationType=value",
            Body::None, Error(404, 40410)),
        (M::POST, "/associations/subjects/x", Body::Json(&json!({})), Error(404, 40410)),
        // An empty registry; trailing slashes and empty segments are ignored.
        (M::GET, "/subjects", Body::None, Answer(json!([]))),
        (M::GET, "/subjects/", Body::None, Answer(json!([]))),
        (M::GET, "/schemas", Body::None, Answer(json!([]))),
        (M::GET, "//schemas/", Body::None, Answer(json!([]))),
        (M::GET, "/contexts", Body::None, Answer(json!(["."]))),
    ]).await;
}

async fn register_and_look_up(s: &mut Session<'_>) -> Registered {
    use Method as M;
    let versions = "/subjects/users-value/versions";
    let registered = s.post(versions, Body::Json(&schema_body(USER_V1))).await;
    let user_v1_id = registered["id"].as_i64().expect("id");
    let user_v1_guid = registered["guid"].as_str().expect("guid").to_owned();
    let body = schema_body(USER_V1).to_string();
    let again = s
        .post(
            "/subjects/users-value//versions/?normalize=false&format=",
            Body::Raw(Some("application/json"), body.as_bytes()),
        )
        .await;
    assert_eq!(
        again["id"],
        json!(user_v1_id),
        "re-registration is idempotent"
    );
    let registered = s
        .post(
            versions,
            Body::Json(&json!({ "schema": USER_V2, "schemaType": "AVRO", "version": 2 })),
        )
        .await;
    let user_v2_id = registered["id"].as_i64().expect("id");
    let forced = "/subjects/forced-value/versions?force=true";
    let dangling_reference = json!({
        "schema": ORDER,
        "references": [{ "name": "com.example.Address", "subject": "nowhere", "version": 1 }],
    });
    let too_large = json!({ "schema": "x".repeat(1024 * 1024 + 1) });
    #[rustfmt::skip]
    s.run([
        (M::POST, versions, Body::Json(&schema_body(USER_INCOMPATIBLE)), Error(409, 409)),
        (M::POST, forced, Body::Json(&schema_body(USER_V1)), Status(200)),
        (M::POST, forced, Body::Json(&schema_body(USER_INCOMPATIBLE)), Status(200)),
        (M::POST, versions, Body::Raw(Some(SR_JSON), NOT_JSON.as_bytes()), Error(400, 400)),
        (M::POST, versions, Body::Raw(Some("text/plain"), b"{}"), Error(415, 415)),
        (M::POST, versions, Body::Raw(Some(SR_JSON), b""), Error(422, 422)),
        (M::POST, versions, Body::Json(&schema_body(NOT_JSON)), Error(422, 42201)),
        (M::POST, versions, Body::Json(&json!({ "schema": USER_V1, "schemaType": "PROTOBUF" })), Error(422, 42201)),
        (M::POST, versions, Body::Json(&json!({ "schema": USER_V1, "schemaType": "XML" })), Error(422, 42201)),
        (M::POST, versions, Body::Json(&json!({ "schema": "  " })), Error(422, 42201)),
        (M::POST, versions, Body::Json(&json!({ "schema": USER_INCOMPATIBLE, "version": 7 })), Error(422, 42201)),
        (M::POST, versions, Body::Json(&json!({ "schema": USER_V1, "id": 77 })), Error(422, 42205)),
        (M::POST, versions, Body::Json(&json!({ "schema": ["not", "a", "string"] })), Error(400, 400)),
        (M::POST, versions, Body::Json(&json!({ "schema": USER_V1, "references": {} })), Error(400, 400)),
        (M::POST, versions, Body::Json(&json!({ "schema": USER_V1, "version": "two" })), Error(400, 400)),
        (M::POST, versions, Body::Json(&json!(["not an object"])), Error(400, 400)),
        (M::POST, versions, Body::Json(&dangling_reference), Error(422, 42201)),
        (M::POST, "/subjects/fresh-value/versions", Body::Json(&json!({ "schemaType": "AVRO" })), Error(422, 42201)),
        (M::POST, "/subjects/big-value/versions", Body::Json(&too_large), Error(422, 42209)),
    ]).await;
    let user_v1 = schema_body(USER_V1);
    for (subject, status, code) in [
        ("__GLOBAL", 422, 42208),
        ("__EMPTY", 422, 42208),
        (":.__GLOBAL:x", 422, 42208),
        ("tab%09here", 422, 42208),
        ("%FF", 404, 404),
    ] {
        let path = format!("/subjects/{subject}/versions");
        s.error(M::POST, &path, Body::Json(&user_v1), status, code)
            .await;
    }

    // References, metadata and rule sets.
    s.post(
        "/subjects/address-value/versions",
        Body::Json(&schema_body(ADDRESS)),
    )
    .await;
    let order = json!({
        "schema": ORDER,
        "references": [{ "name": "com.example.Address", "subject": "address-value", "version": -1 }],
    });
    let order_id = s
        .post("/subjects/orders-value/versions", Body::Json(&order))
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
        .post(
            "/subjects/events-value/versions",
            Body::Raw(
                Some("application/vnd.schemaregistry+json"),
                with_contract.as_bytes(),
            ),
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
    s.post(
        "/subjects/events-value/versions",
        Body::Raw(Some("application/octet-stream"), metadata_only.as_bytes()),
    )
    .await;

    // Lookup.
    let found = s
        .post("/subjects/users-value", Body::Json(&schema_body(USER_V1)))
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
        .post("/subjects/orders-value?normalize=true", Body::Json(&order))
        .await;
    assert_eq!(
        found["references"][0]["version"], 1,
        "-1 is stored as the concrete version"
    );
    let found = s
        .post(
            "/subjects/events-value",
            Body::Raw(Some(SR_JSON), with_contract.as_bytes()),
        )
        .await;
    assert_eq!(found["version"], 1, "{found}");
    assert!(found["ruleSet"].is_object(), "{found}");
    #[rustfmt::skip]
    s.run([
        (M::POST, "/subjects/nobody-value", Body::Json(&schema_body(USER_V1)), Error(404, 40401)),
        (M::POST, "/subjects/__EMPTY", Body::Json(&schema_body(USER_V1)), Error(404, 40401)),
        (M::POST, "/subjects/users-value", Body::Json(&schema_body(EVENT)), Error(404, 40403)),
        (M::POST, "/subjects/users-value", Body::Json(&schema_body(NOT_JSON)), Error(422, 42201)),
        (M::POST, "/subjects/%FF", Body::Json(&schema_body(USER_V1)), Error(404, 404)),
        (M::POST, "/subjects/users-value", Body::Raw(Some(SR_JSON), b"[1,"), Error(400, 400)),
        (M::POST, "/subjects/users-value", Body::Raw(Some("text/xml"), b"{}"), Error(415, 415)),
        (M::POST, "/subjects/users-value", Body::Raw(Some(SR_JSON), b"null"), Error(422, 422)),
    ]).await;

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
    let every_subject = json!([
        "address-value",
        "events-value",
        "forced-value",
        "orders-value",
        "users-value"
    ]);
    #[rustfmt::skip]
    s.run([
        (M::GET, "/subjects", Body::None, Answer(every_subject)),
        (M::GET, "/subjects?subjectPrefix=users&offset=0&limit=5", Body::None, Answer(json!(["users-value"]))),
        (M::GET, "/subjects?limit=ten", Body::None, Error(404, 404)),
        (M::GET, "/subjects/users-value/versions", Body::None, Answer(json!([1, 2]))),
        (M::GET, "/subjects/users-value/versions?offset=1&limit=1", Body::None, Answer(json!([2]))),
        (M::GET, "/subjects/nobody-value/versions", Body::None, Error(404, 40401)),
        (M::GET, "/subjects/__GLOBAL/versions", Body::None, Error(404, 40401)),
        (M::GET, "/subjects/%FF/versions", Body::None, Error(404, 404)),
        (M::GET, "/subjects/users-value/versions?offset=x", Body::None, Error(404, 404)),
    ]).await;
    let latest = s.get("/subjects/users-value/versions/latest").await;
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["id"], json!(ids.user_v2_id));
    let first = s
        .get("/subjects/users-value/versions/1?deleted=false&format=")
        .await;
    #[rustfmt::skip]
    s.run([
        (M::GET, "/subjects/users-value/versions/-1", Body::None, Status(200)),
        (M::GET, "/subjects/users-value/versions/%202%20", Body::None, Status(200)),
        (M::GET, "/subjects/orders-value/versions/1", Body::None, Status(200)),
        (M::GET, "/subjects/users-value/versions/99", Body::None, Error(404, 40402)),
        (M::GET, "/subjects/nobody-value/versions/1", Body::None, Error(404, 40401)),
        (M::GET, "/subjects/users-value/versions/0", Body::None, Error(422, 42202)),
        (M::GET, "/subjects/users-value/versions/abc", Body::None, Error(422, 42202)),
        (M::GET, "/subjects/users-value/versions/-2", Body::None, Error(422, 42202)),
        (M::GET, "/subjects/users-value/versions/2147483648", Body::None, Error(422, 42202)),
    ]).await;
    let raw = s.get_reply("/subjects/users-value/versions/1/schema").await;
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
    #[rustfmt::skip]
    s.run([
        (M::GET, "/subjects/users-value/versions/latest/schema?deleted=true&format=resolved", Body::None, Status(200)),
        (M::GET, "/subjects/users-value/versions/3/schema", Body::None, Error(404, 40402)),
        (M::GET, "/subjects/users-value/versions/zero/schema", Body::None, Error(422, 42202)),
        (M::GET, "/subjects/nobody-value/versions/1/schema", Body::None, Error(404, 40401)),
        (M::GET, "/subjects/address-value/versions/1/referencedby", Body::None, Answer(json!([ids.order_id]))),
        (M::GET, "/subjects/users-value/versions/latest/referencedby?offset=0&limit=10", Body::None, Answer(json!([]))),
        (M::GET, "/subjects/address-value/versions/2/referencedby", Body::None, Error(404, 40402)),
        (M::GET, "/subjects/nobody-value/versions/1/referencedby", Body::None, Error(404, 40401)),
        (M::GET, "/subjects/address-value/versions/x/referencedby", Body::None, Error(422, 42202)),
        (M::GET, "/subjects/address-value/versions/1/referencedby?limit=x", Body::None, Error(404, 404)),
    ]).await;

    // Schemas.
    for (path, count) in [
        ("/schemas", 8),
        (
            "/schemas/?subjectPrefix=users&deleted=true&latestOnly=true&offset=0&limit=0",
            1,
        ),
        ("/schemas?ruleType=CEL", 2),
    ] {
        let listed = s.get(path).await;
        assert_eq!(listed.as_array().map(Vec::len), Some(count), "{listed}");
    }
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
    #[rustfmt::skip]
    s.run([
        (M::GET, "/schemas/ids/9999", Body::None, Error(404, 40403)),
        (M::GET, "/schemas/ids/abc", Body::None, Error(404, 404)),
        (M::GET, "/schemas/ids/2147483648", Body::None, Error(404, 404)),
        (M::GET, "/schemas/ids/9999/schema", Body::None, Error(404, 40403)),
        (M::GET, "/schemas/ids/9999/subjects", Body::None, Error(404, 40403)),
        (M::GET, "/schemas/ids/1/subjects?limit=x", Body::None, Error(404, 404)),
        (M::GET, "/schemas/ids/9999/versions", Body::None, Error(404, 40403)),
        (M::GET, "/schemas/ids/x/versions", Body::None, Error(404, 404)),
    ]).await;
    let raw = s
        .get_reply(&format!(
            "/schemas/ids/{user_v1}/schema?subject=users-value"
        ))
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
        s.post(latest, Body::Json(&incompatible)).await,
        json!({ "is_compatible": false })
    );
    let verbose = s
        .post(
            "/compatibility/subjects/users-value/versions/1?verbose=true&normalize=true",
            Body::Json(&incompatible),
        )
        .await;
    assert_eq!(verbose["is_compatible"], false);
    assert!(
        verbose["messages"]
            .as_array()
            .is_some_and(|m| !m.is_empty()),
        "{verbose}"
    );
    for path in [
        "/compatibility/subjects/users-value/versions?explain=true",
        "/compatibility/subjects/users-value/versions/latest?explain=true&verbose=true",
    ] {
        let explained = s.post(path, Body::Json(&incompatible)).await;
        let found = explained["incompatibilities"]
            .as_array()
            .expect("incompatibilities");
        assert!(!found.is_empty(), "{explained}");
        assert!(
            found
                .iter()
                .all(|f| f["fix"].as_str().is_some_and(|fix| !fix.is_empty())),
            "{explained}"
        );
    }
    assert_eq!(
        s.post(
            &format!("{all}?explain=true"),
            Body::Json(&schema_body(USER_V2))
        )
        .await,
        json!({ "is_compatible": true, "incompatibilities": [] })
    );
    #[rustfmt::skip]
    s.run([
        (M::POST, "/compatibility/subjects/users-value/versions?verbose=true", Body::Json(&schema_body(USER_V2)),
            Answer(json!({ "is_compatible": true, "messages": [] }))),
        (M::POST, "/compatibility/subjects/users-value/versions?normalize=false", Body::Json(&incompatible),
            Answer(json!({ "is_compatible": false }))),
    ]).await;
    for path in [
        "/compatibility/subjects/nobody-value/versions",
        "/compatibility/subjects/nobody-value/versions/latest",
        "/compatibility/subjects/__GLOBAL/versions",
    ] {
        let answer = s.post(path, Body::Json(&incompatible)).await;
        assert_eq!(answer, json!({ "is_compatible": true }), "{path}");
    }
    let parse_error = s
        .post(
            "/compatibility/subjects/users-value/versions/latest?verbose=true",
            Body::Json(&schema_body(NOT_JSON)),
        )
        .await;
    assert_eq!(parse_error["is_compatible"], false);
    #[rustfmt::skip]
    s.run([
        (M::POST, latest, Body::Json(&schema_body(NOT_JSON)), Error(422, 42201)),
        (M::POST, all, Body::Json(&schema_body(NOT_JSON)), Error(422, 42201)),
        (M::POST, all, Body::Json(&json!({ "schema": USER_V2, "schemaType": "JSON" })), Error(422, 42201)),
        (M::POST, "/compatibility/subjects/users-value/versions/99", Body::Json(&incompatible), Error(404, 40402)),
        (M::POST, "/compatibility/subjects/nobody-value/versions/1", Body::Json(&incompatible), Error(404, 40402)),
        (M::POST, "/compatibility/subjects/users-value/versions/0", Body::Json(&incompatible), Error(422, 42202)),
        (M::POST, "/compatibility/subjects/%FF/versions", Body::Json(&incompatible), Error(404, 404)),
        (M::POST, all, Body::Raw(Some(SR_JSON), b"{\"schema\":"), Error(400, 400)),
        (M::POST, latest, Body::Raw(Some("text/plain"), b"{}"), Error(415, 415)),
        (M::POST, all, Body::Raw(Some(SR_JSON), b""), Error(422, 422)),
    ]).await;
}

async fn config_and_mode(s: &mut Session<'_>) {
    use Method as M;
    #[rustfmt::skip]
    s.run([
        (M::GET, "/config", Body::None, Answer(json!({ "compatibilityLevel": "BACKWARD" }))),
        (M::GET, "/config?defaultToGlobal=true", Body::None, Status(200)),
        (M::PUT, "/config", Body::Json(&json!({ "compatibility": "full" })), Answer(json!({ "compatibility": "full" }))),
        (M::GET, "/config", Body::None, Answer(json!({ "compatibilityLevel": "FULL" }))),
        (M::PUT, "/config", Body::Json(&json!({ "compatibility": "sideways" })), Error(422, 42203)),
        (M::PUT, "/config", Body::Json(&json!(["FULL"])), Error(400, 400)),
        (M::PUT, "/config", Body::Json(&json!({ "normalize": "yes" })), Error(400, 400)),
        (M::PUT, "/config", Body::Raw(Some("text/plain"), b"{}"), Error(415, 415)),
        (M::PUT, "/config", Body::Raw(Some(SR_JSON), b""), Error(422, 422)),
        (M::DELETE, "/config", Body::None, Answer(json!({ "compatibilityLevel": "FULL" }))),
        (M::GET, "/config/cfg-value", Body::None, Error(404, 40408)),
        (M::GET, "/config/__GLOBAL", Body::None, Error(404, 40408)),
        (M::GET, "/config/cfg-value?defaultToGlobal=true", Body::None, Answer(json!({ "compatibilityLevel": "BACKWARD" }))),
    ]).await;
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
    let forward = json!({ "compatibility": "forward" });
    #[rustfmt::skip]
    s.run([
        (M::PUT, "/config/cfg-value", Body::Json(&json!({ "alias": null })), Answer(json!({}))),
        (M::GET, "/config/cfg-value?defaultToGlobal=true", Body::None, Status(200)),
        (M::PUT, "/config/:.staging:", Body::Json(&forward), Status(200)),
        (M::GET, "/config/:.staging:", Body::None, Status(200)),
        (M::PUT, "/config/:.__GLOBAL:", Body::Json(&forward), Status(200)),
        (M::DELETE, "/config/:.__GLOBAL:", Body::None, Status(200)),
        (M::PUT, "/config/cfg-value", Body::Json(&json!({ "compatibility": 5 })), Error(422, 42203)),
        (M::PUT, "/config/cfg-value", Body::Raw(Some(SR_JSON), b"{,}"), Error(400, 400)),
        (M::PUT, "/config/cfg-value", Body::Raw(Some("text/json"), b"{}"), Error(415, 415)),
        (M::PUT, "/config/cfg-value", Body::Raw(Some(SR_JSON), b"null"), Error(422, 422)),
        (M::PUT, "/config/__GLOBAL", Body::Json(&forward), Error(422, 42208)),
        (M::PUT, "/config/%FF", Body::Json(&forward), Error(404, 404)),
    ]).await;
    assert_eq!(
        s.expect(M::DELETE, "/config/cfg-value", Body::None, 200)
            .await["compatibilityLevel"],
        "NONE"
    );
    #[rustfmt::skip]
    s.run([
        (M::DELETE, "/config/:.staging:", Body::None, Status(200)),
        (M::DELETE, "/config/cfg-value", Body::None, Error(404, 40401)),
        (M::DELETE, "/config/__GLOBAL", Body::None, Error(422, 42208)),
    ]).await;

    // Mode.
    #[rustfmt::skip]
    s.run([
        (M::GET, "/mode", Body::None, Answer(mode_body("READWRITE"))),
        (M::GET, "/mode?defaultToGlobal=true", Body::None, Status(200)),
        (M::GET, "/mode/users-value", Body::None, Error(404, 40409)),
        (M::GET, "/mode/__GLOBAL", Body::None, Error(404, 40409)),
        (M::GET, "/mode/users-value?defaultToGlobal=true", Body::None, Answer(mode_body("READWRITE"))),
        (M::PUT, "/mode/users-value", Body::Json(&mode_body("readonly")), Answer(mode_body("readonly"))),
        (M::GET, "/mode/users-value", Body::None, Answer(mode_body("READONLY"))),
        // READONLY refuses every change to the subject.
        (M::POST, "/subjects/users-value/versions", Body::Json(&schema_body(EVENT)), Error(422, 42205)),
        (M::DELETE, "/subjects/users-value/versions/1", Body::None, Error(422, 42205)),
        (M::DELETE, "/subjects/users-value", Body::None, Error(422, 42205)),
        (M::PUT, "/config/users-value", Body::Json(&json!({ "compatibility": "NONE" })), Error(422, 42205)),
        (M::DELETE, "/mode/users-value", Body::None, Answer(mode_body("READONLY"))),
        (M::DELETE, "/mode/users-value", Body::None, Error(404, 40401)),
        (M::DELETE, "/mode/__GLOBAL", Body::None, Error(422, 42208)),
        (M::PUT, "/mode", Body::Json(&mode_body("SIDEWAYS")), Error(422, 42204)),
        (M::PUT, "/mode", Body::Json(&json!({})), Error(422, 42204)),
        (M::PUT, "/mode", Body::Json(&json!({ "mode": ["IMPORT"] })), Error(400, 400)),
        (M::PUT, "/mode", Body::Raw(Some("text/plain"), b"{}"), Error(415, 415)),
        (M::PUT, "/mode", Body::Raw(Some(SR_JSON), b"null"), Error(422, 422)),
        (M::PUT, "/mode", Body::Json(&mode_body("IMPORT")), Error(422, 42205)),
        (M::PUT, "/mode?force=false", Body::Json(&mode_body("READWRITE")), Answer(mode_body("READWRITE"))),
        (M::PUT, "/mode/users-value", Body::Json(&mode_body("FORWARD")), Error(422, 42204)),
        (M::PUT, "/mode/users-value", Body::Json(&mode_body("IMPORT")), Error(422, 42205)),
        (M::PUT, "/mode/users-value", Body::Raw(Some(SR_JSON), b"{"), Error(400, 400)),
        (M::PUT, "/mode/users-value", Body::Raw(Some("text/plain"), b"{}"), Error(415, 415)),
        (M::PUT, "/mode/users-value", Body::Raw(Some(SR_JSON), b" "), Error(422, 422)),
        (M::PUT, "/mode/__GLOBAL", Body::Json(&mode_body("READONLY")), Error(422, 42208)),
        (M::PUT, "/mode/%FF", Body::Json(&mode_body("READONLY")), Error(404, 404)),
    ]).await;

    // IMPORT mode: explicit ids and versions.
    s.expect(
        M::PUT,
        "/mode/import-value?force=true",
        Body::Json(&mode_body("import")),
        200,
    )
    .await;
    let imported = s
        .post(
            "/subjects/import-value/versions",
            Body::Json(&json!({ "schema": EVENT, "id": 500, "version": 3 })),
        )
        .await;
    assert_eq!(imported["id"], 500);
    #[rustfmt::skip]
    s.run([
        (M::GET, "/subjects/import-value/versions", Body::None, Answer(json!([3]))),
        (M::POST, "/subjects/import-value/versions", Body::Json(&schema_body(EVENT)), Error(422, 42205)),
        (M::POST, "/subjects/import-value/versions", Body::Json(&json!({ "schema": USER_V1, "id": 500 })), Error(422, 42205)),
        (M::DELETE, "/mode/import-value", Body::None, Answer(mode_body("IMPORT"))),
    ]).await;
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
        .post(
            "/subjects/:.staging:orders-value/versions",
            Body::Json(&schema_body(EVENT)),
        )
        .await;
    assert_eq!(registered["id"], 1, "each context has its own ids");
    #[rustfmt::skip]
    s.run([
        (M::GET, "/contexts", Body::None, Answer(json!([".", ".staging"]))),
        (M::GET, "/contexts?contextPrefix=.st&offset=0&limit=5", Body::None, Answer(json!([".staging"]))),
        (M::GET, "/contexts?offset=one", Body::None, Error(404, 404)),
    ]).await;
    assert!(s
        .get("/subjects")
        .await
        .as_array()
        .is_some_and(|all| all.contains(&json!(":.staging:orders-value"))));
    let in_staging = json!([":.staging:orders-value"]);
    #[rustfmt::skip]
    s.run([
        (M::GET, "/subjects?subjectPrefix=:.staging:", Body::None, Answer(in_staging.clone())),
        (M::GET, "/contexts/.staging/subjects", Body::None, Answer(in_staging.clone())),
    ]).await;
    assert_eq!(
        s.get("/contexts/staging/schemas")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    let subject = "/contexts/staging/subjects/orders-value";
    let found = s.post(subject, Body::Json(&schema_body(EVENT))).await;
    assert_eq!(found["subject"], ":.staging:orders-value");
    let versions = "/contexts/staging/subjects/orders-value/versions";
    // Lenient decoding: a numeric string where an integer is expected.
    let next = json!({ "schema": EVENT_V2, "version": " 2", "id": "-1" });
    #[rustfmt::skip]
    s.run([
        (M::POST, subject, Body::Json(&schema_body(USER_V1)), Error(404, 40403)),
        (M::POST, versions, Body::Json(&next), Status(200)),
        (M::GET, versions, Body::None, Answer(json!([1, 2]))),
    ]).await;
    assert_eq!(s.get(&format!("{versions}/1")).await["id"], 1);
    let raw = s.get_reply(&format!("{versions}/1/schema")).await;
    assert_eq!(raw.status, StatusCode::OK);
    assert_eq!(raw.text, EVENT);
    assert_eq!(
        s.get(&format!("{versions}/1/referencedby")).await,
        json!([])
    );
    let by_id = s.get("/contexts/.staging/schemas/ids/1").await;
    assert_eq!(by_id["schema"], EVENT, "ids are looked up in the context");
    let raw = s.get_reply("/contexts/.staging/schemas/ids/1/schema").await;
    assert_eq!(raw.text, EVENT);
    let staging_versions = json!([{ "subject": ":.staging:orders-value", "version": 1 }]);
    let compatibility = "/contexts/.staging/compatibility/subjects/orders-value/versions";
    let compatibility_latest =
        "/contexts/.staging/compatibility/subjects/orders-value/versions/latest?verbose=true";
    #[rustfmt::skip]
    s.run([
        (M::GET, "/contexts/.staging/schemas/ids/1/subjects", Body::None, Answer(in_staging)),
        (M::GET, "/contexts/.staging/schemas/ids/1/versions", Body::None, Answer(staging_versions)),
        (M::GET, "/contexts/.staging/schemas/ids/99", Body::None, Error(404, 40403)),
        (M::POST, compatibility, Body::Json(&schema_body(EVENT_V2)), Answer(json!({ "is_compatible": true }))),
        (M::POST, compatibility_latest, Body::Json(&schema_body(USER_V1)), Status(200)),
    ]).await;

    // Context-level and subject-level settings through the context forms.
    let none = json!({ "compatibility": "NONE" });
    let level_none = json!({ "compatibilityLevel": "NONE" });
    #[rustfmt::skip]
    s.run([
        (M::GET, "/contexts/.staging/config", Body::None, Error(404, 40408)),
        (M::PUT, "/contexts/.staging/config", Body::Json(&none), Status(200)),
        (M::GET, "/config/:.staging:", Body::None, Answer(level_none.clone())),
        (M::GET, "/contexts/.staging/config", Body::None, Answer(level_none.clone())),
        (M::DELETE, "/contexts/.staging/config", Body::None, Status(200)),
        (M::PUT, "/contexts/.staging/config/orders-value", Body::Json(&none), Status(200)),
        (M::GET, "/config/:.staging:orders-value", Body::None, Answer(level_none)),
        (M::GET, "/contexts/.staging/config/orders-value", Body::None, Status(200)),
        (M::DELETE, "/contexts/.staging/config/orders-value", Body::None, Status(200)),
        (M::DELETE, "/contexts/.staging/config/orders-value", Body::None, Error(404, 40401)),
        (M::PUT, "/contexts/.staging/mode", Body::Json(&mode_body("READWRITE")), Status(200)),
        (M::GET, "/contexts/.staging/mode", Body::None, Answer(mode_body("READWRITE"))),
        (M::DELETE, "/contexts/.staging/mode", Body::None, Status(200)),
        (M::DELETE, "/contexts/.staging/mode", Body::None, Error(404, 40401)),
        (M::PUT, "/contexts/.staging/mode/orders-value", Body::Json(&mode_body("READONLY")), Status(200)),
        (M::GET, "/mode/:.staging:orders-value", Body::None, Answer(mode_body("READONLY"))),
        (M::DELETE, "/contexts/staging/subjects/orders-value/versions/2", Body::None, Error(422, 42205)),
        (M::GET, "/contexts/.staging/mode/orders-value", Body::None, Answer(mode_body("READONLY"))),
        (M::DELETE, "/contexts/.staging/mode/orders-value", Body::None, Status(200)),
    ]).await;

    // A context with subjects cannot be deleted.
    #[rustfmt::skip]
    s.run([
        (M::DELETE, "/contexts/.staging", Body::None, Error(422, 42211)),
        (M::DELETE, "/contexts/:.staging:", Body::None, Error(422, 42211)),
        (M::DELETE, "/contexts/staging", Body::None, Error(422, 42211)),
        (M::DELETE, "/contexts/a:b", Body::None, Error(400, 400)),
        (M::DELETE, "/contexts/:.:", Body::None, Error(422, 42208)),
        (M::GET, "/contexts/a:b/mode", Body::None, Error(400, 400)),
        (M::DELETE, "/contexts/%FF", Body::None, Error(404, 404)),
        // Once its subject is gone, it can be.
        (M::DELETE, "/contexts/staging/subjects/orders-value/versions/2", Body::None, Answer(json!(2))),
        (M::DELETE, subject, Body::None, Answer(json!([1]))),
        (M::DELETE, "/contexts/staging/subjects/orders-value?permanent=true", Body::None, Status(200)),
        (M::DELETE, "/contexts/:.staging:", Body::None, Status(204)),
        (M::DELETE, "/contexts/.never-used", Body::None, Status(204)),
    ]).await;
}

async fn deletes(s: &mut Session<'_>) {
    use Method as M;
    #[rustfmt::skip]
    s.run([
        (M::DELETE, "/subjects/users-value/versions/1", Body::None, Answer(json!(1))),
        (M::DELETE, "/subjects/users-value/versions/1", Body::None, Error(404, 40406)),
        (M::DELETE, "/subjects/users-value/versions/2?permanent=true", Body::None, Error(404, 40407)),
        (M::DELETE, "/subjects/users-value/versions/9", Body::None, Error(404, 40402)),
        (M::DELETE, "/subjects/users-value/versions/0", Body::None, Error(422, 42202)),
        (M::DELETE, "/subjects/nobody-value/versions/1", Body::None, Error(404, 40401)),
        (M::DELETE, "/subjects/__GLOBAL/versions/1", Body::None, Error(404, 40401)),
        (M::DELETE, "/subjects/address-value/versions/1", Body::None, Error(422, 42206)),
        (M::DELETE, "/subjects/address-value", Body::None, Error(422, 42206)),
        (M::GET, "/subjects/users-value/versions?deleted=true", Body::None, Answer(json!([1, 2]))),
        (M::GET, "/subjects/users-value/versions?deletedOnly=true", Body::None, Answer(json!([1]))),
        (M::GET, "/subjects/users-value/versions/1?deleted=true", Body::None, Status(200)),
        (M::GET, "/subjects/users-value/versions/1", Body::None, Error(404, 40402)),
        (M::POST, "/subjects/users-value?deleted=true", Body::Json(&schema_body(USER_V1)), Status(200)),
        (M::DELETE, "/subjects/users-value/versions/1?permanent=true", Body::None, Answer(json!(1))),
        (M::DELETE, "/subjects/users-value?permanent=true", Body::None, Error(404, 40405)),
        (M::DELETE, "/subjects/users-value", Body::None, Answer(json!([2]))),
        (M::DELETE, "/subjects/users-value", Body::None, Error(404, 40404)),
        (M::GET, "/subjects/users-value/versions", Body::None, Error(404, 40401)),
    ]).await;
    assert!(s
        .get("/subjects?deleted=true")
        .await
        .as_array()
        .is_some_and(|all| all.contains(&json!("users-value"))));
    #[rustfmt::skip]
    s.run([
        (M::GET, "/subjects?deletedOnly=true", Body::None, Answer(json!(["users-value"]))),
        (M::GET, "/subjects/?deleted_only=true", Body::None, Answer(json!(["users-value"]))),
        (M::DELETE, "/subjects/users-value?permanent=true", Body::None, Answer(json!([2]))),
        (M::DELETE, "/subjects/users-value", Body::None, Error(404, 40401)),
        (M::DELETE, "/subjects/__GLOBAL", Body::None, Error(404, 40401)),
        (M::DELETE, "/subjects/%FF", Body::None, Error(404, 404)),
    ]).await;
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

/// Accord's administration API. The first principal turns authentication
/// on: the session signs in from then on, and removes every principal at
/// the end, which turns it off again.
async fn administration(s: &mut Session<'_>) {
    use Method as M;
    let root =
        json!({ "name": "root", "password": "root password", "roles": [{ "role": "admin" }] });
    let svc =
        json!({ "name": "svc", "roles": [{ "role": "checker", "resource": "subject:users-*" }] });
    let binding = json!({ "principal": "svc", "role": "reader", "resource": "global" });
    #[rustfmt::skip]
    s.run([
        (M::GET, "/accord/v1/whoami", Body::None, Answer(json!({ "name": "anonymous", "authenticated": false }))),
        (M::PUT, "/accord/v1/roles/checker", Body::Json(&json!({ "operations": ["SUBJECT_READ"] })), Status(200)),
        (M::PUT, "/accord/v1/roles/admin", Body::Json(&json!({ "operations": ["SUBJECT_READ"] })), Error(422, 42220)),
        (M::PUT, "/accord/v1/roles/checker", Body::Json(&json!({ "operations": ["FLY"] })), Error(422, 42220)),
        (M::POST, "/accord/v1/principals", Body::Json(&root), Status(201)),
    ]).await;
    s.error(M::GET, "/subjects", Body::None, 401, 40101).await;
    s.credentials = Some(("root".to_owned(), "root password".to_owned()));
    #[rustfmt::skip]
    s.run([
        (M::GET, "/accord/v1/whoami", Body::None, Answer(json!({ "name": "root", "authenticated": true }))),
        (M::POST, "/accord/v1/principals", Body::Json(&root), Error(409, 40920)),
        (M::POST, "/accord/v1/principals", Body::Json(&json!({ "name": "" })), Error(422, 42220)),
        (M::POST, "/accord/v1/principals", Body::Json(&json!({ "nom": "x" })), Error(400, 400)),
        (M::POST, "/accord/v1/principals", Body::Json(&svc), Status(201)),
        (M::GET, "/accord/v1/principals", Body::None, Status(200)),
        (M::GET, "/accord/v1/principals/svc", Body::None, Status(200)),
        (M::GET, "/accord/v1/principals/nobody", Body::None, Error(404, 40420)),
        (M::PUT, "/accord/v1/principals/svc/password", Body::Json(&json!({ "password": "svc password" })), Status(204)),
        (M::PUT, "/accord/v1/principals/svc/password", Body::Json(&json!({ "password": "short" })), Error(422, 42220)),
        (M::PUT, "/accord/v1/principals/nobody/password", Body::Json(&json!({ "password": null })), Error(404, 40420)),
        (M::POST, "/accord/v1/keys", Body::Json(&json!({ "principal": "nobody" })), Error(404, 40420)),
        (M::GET, "/accord/v1/keys?principal=svc", Body::None, Answer(json!([]))),
        (M::DELETE, "/accord/v1/keys/nokey", Body::None, Error(404, 40421)),
        (M::POST, "/accord/v1/role-bindings", Body::Json(&binding), Status(201)),
        (M::POST, "/accord/v1/role-bindings", Body::Json(&json!({ "principal": "svc", "role": "emperor" })), Error(404, 40422)),
        (M::GET, "/accord/v1/role-bindings?principal=svc", Body::None, Status(200)),
        (M::DELETE, "/accord/v1/role-bindings?principal=svc&role=reader&resource=global", Body::None, Status(204)),
        (M::DELETE, "/accord/v1/role-bindings?principal=svc&role=reader&resource=global", Body::None, Error(404, 40423)),
        (M::GET, "/accord/v1/roles", Body::None, Status(200)),
        (M::GET, "/accord/v1/audit?operation=principal.add&limit=5", Body::None, Status(200)),
        (M::GET, "/accord/v1/audit?after=1&since=0&until=9999999999999&principal=root&subject=users-value", Body::None, Status(200)),
        (M::GET, "/accord/v1/audit?limit=x", Body::None, Error(400, 400)),
    ]).await;
    let created = s
        .expect(
            M::POST,
            "/accord/v1/keys",
            Body::Json(&json!({ "principal": "svc", "description": "ci" })),
            201,
        )
        .await;
    let key_path = format!(
        "/accord/v1/keys/{}",
        created["keyId"].as_str().expect("key id")
    );
    #[rustfmt::skip]
    s.run([
        (M::DELETE, key_path.as_str(), Body::None, Status(204)),
        (M::DELETE, "/accord/v1/roles/checker", Body::None, Status(204)),
        (M::DELETE, "/accord/v1/roles/checker", Body::None, Error(404, 40422)),
        (M::DELETE, "/accord/v1/principals/svc", Body::None, Status(204)),
        (M::DELETE, "/accord/v1/principals/svc", Body::None, Error(404, 40420)),
        // The last administrator stays: without one, only the database
        // could mend the registry.
        (M::DELETE, "/accord/v1/principals/root", Body::None, Error(422, 42220)),
    ]).await;
    s.get("/subjects").await;
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
    administration(&mut s).await;
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
