//! The registry client: a pooled HTTP connection with timeouts, retries
//! with jittered backoff, a short negative cache, and the caches that keep
//! the registry off a producer's or consumer's hot path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use accord_schema::SchemaType;
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cache::Cache;
use crate::error::RegistryError;
use crate::framing::{Guid, SchemaId};

const CONTENT_TYPE: &str = "application/vnd.schemaregistry.v1+json";
const ACCEPT: &str =
    "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json, application/json";

/// How to authenticate to the registry. `Debug` hides the secrets.
#[derive(Clone)]
pub enum Auth {
    Basic { username: String, password: String },
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"***")
                .finish(),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// Registry client settings. `ClientConfig::new(url)` gives the defaults.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Base URLs of the registry; a failed request moves to the next one.
    pub urls: Vec<String>,
    pub auth: Option<Auth>,
    pub connect_timeout: Duration,
    /// For a whole request, connection included.
    pub request_timeout: Duration,
    /// Retries after a connection error, a timeout or a 5xx.
    pub max_retries: u32,
    /// The first retry waits up to this long; each next one twice as long,
    /// up to `max_backoff`. The wait is jittered (a random part of it).
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// After the retries fail, requests fail at once for this long, and a
    /// schema the registry did not have is not asked for again for this
    /// long either.
    pub negative_cache_ttl: Duration,
    /// How long a subject's latest version is cached.
    pub latest_ttl: Duration,
    /// Extra trusted root certificates (PEM), besides the system's.
    pub root_certificates_pem: Vec<Vec<u8>>,
    /// A client certificate for mutual TLS.
    pub client_identity: Option<ClientIdentity>,
}

/// A client certificate chain and its private key, in PEM (one buffer with
/// both, or the two files' contents concatenated). Never printed.
#[derive(Clone)]
pub struct ClientIdentity {
    pem: Vec<u8>,
}

impl ClientIdentity {
    pub fn from_pem(certificate_chain: &[u8], private_key: &[u8]) -> Self {
        let mut pem = certificate_chain.to_vec();
        if !pem.ends_with(b"\n") {
            pem.push(b'\n');
        }
        pem.extend_from_slice(private_key);
        ClientIdentity { pem }
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientIdentity(***)")
    }
}

impl ClientConfig {
    pub fn new(url: impl Into<String>) -> Self {
        ClientConfig {
            urls: url
                .into()
                .split(',')
                .map(|url| url.trim().trim_end_matches('/').to_owned())
                .filter(|url| !url.is_empty())
                .collect(),
            auth: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            max_retries: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            negative_cache_ttl: Duration::from_secs(1),
            latest_ttl: Duration::from_secs(60),
            root_certificates_pem: Vec::new(),
            client_identity: None,
        }
    }
}

/// A reference from one schema to another registered schema.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i32,
}

/// A schema as the registry stores it.
#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<Reference>,
    pub guid: Option<Guid>,
}

impl Schema {
    pub fn new(schema_type: SchemaType, schema: impl Into<String>) -> Self {
        Schema {
            schema_type,
            schema: schema.into(),
            references: Vec::new(),
            guid: None,
        }
    }
}

/// A schema's place in a subject.
#[derive(Clone, Debug, PartialEq)]
pub struct SubjectVersion {
    pub subject: String,
    pub version: i32,
    pub id: u32,
    pub schema: Arc<Schema>,
}

/// What registering (or looking up) a schema under a subject returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    pub id: u32,
    pub guid: Option<Guid>,
    pub version: Option<i32>,
}

/// A registry's answer to a compatibility check.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CompatibilityAnswer {
    pub is_compatible: bool,
    /// Confluent's verbose messages, one per difference (and context lines).
    #[serde(default)]
    pub messages: Vec<String>,
    /// Accord's `explain=true` findings; empty from other registries.
    #[serde(default)]
    pub incompatibilities: Vec<ExplainedIncompatibility>,
}

/// One incompatibility as Accord's `explain=true` describes it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExplainedIncompatibility {
    /// The subject version it breaks against.
    pub version: i64,
    pub rule: String,
    pub path: String,
    /// `BACKWARD` or `FORWARD`.
    pub direction: String,
    /// Who cannot read whose data.
    pub breaks: String,
    pub description: String,
    pub detail: String,
    pub old: Option<String>,
    pub new: Option<String>,
    pub fix: String,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct RegistrationKey {
    subject: String,
    schema_type: SchemaType,
    schema: String,
    references: Vec<Reference>,
    normalize: bool,
    register: bool,
}

/// A registry client. Cheap to clone; clones share connections and caches.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    requests: AtomicU64,
    /// Set when a request failed after its retries: until then, requests
    /// fail at once.
    outage: Mutex<Option<(Instant, RegistryError)>>,
    /// Paths the registry answered 404 for, and when.
    misses: Mutex<HashMap<String, (Instant, RegistryError)>>,
    by_id: Cache<u32, Arc<Schema>>,
    by_guid: Cache<Guid, Arc<Schema>>,
    registrations: Cache<RegistrationKey, Registration>,
    versions: Cache<(String, i32), Arc<SubjectVersion>>,
    latest: Cache<String, Arc<SubjectVersion>>,
}

impl RegistryClient {
    pub fn new(config: ClientConfig) -> Result<Self, crate::Error> {
        if config.urls.is_empty() {
            return Err(crate::Error::Config("no registry URL given".to_owned()));
        }
        for url in &config.urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(crate::Error::Config(format!(
                    "registry URL `{url}` must start with http:// or https://"
                )));
            }
        }
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(90));
        for pem in &config.root_certificates_pem {
            let certificate = reqwest::Certificate::from_pem(pem).map_err(|error| {
                crate::Error::Config(format!("unreadable root certificate: {error}"))
            })?;
            builder = builder.add_root_certificate(certificate);
        }
        if let Some(identity) = &config.client_identity {
            let identity = reqwest::Identity::from_pem(&identity.pem).map_err(|error| {
                crate::Error::Config(format!("unreadable client certificate or key: {error}"))
            })?;
            builder = builder.identity(identity);
        }
        let http = builder
            .build()
            .map_err(|error| crate::Error::Config(format!("cannot build HTTP client: {error}")))?;
        let latest_ttl = config.latest_ttl;
        Ok(RegistryClient {
            inner: Arc::new(Inner {
                http,
                config,
                requests: AtomicU64::new(0),
                outage: Mutex::new(None),
                misses: Mutex::new(HashMap::new()),
                by_id: Cache::new(None),
                by_guid: Cache::new(None),
                registrations: Cache::new(None),
                versions: Cache::new(None),
                latest: Cache::new(Some(latest_ttl)),
            }),
        })
    }

    /// A client with default settings for `url` (comma-separated URLs for
    /// several registry instances).
    pub fn from_url(url: &str) -> Result<Self, crate::Error> {
        RegistryClient::new(ClientConfig::new(url))
    }

    /// How long a subject's latest version is cached.
    pub fn latest_ttl(&self) -> Duration {
        self.inner.config.latest_ttl
    }

    /// How many HTTP requests this client (and its clones) has sent.
    pub fn requests_sent(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Registers `schema` under `subject` (or finds it there), returning its
    /// id: `POST /subjects/{subject}/versions`. Cached.
    pub async fn register(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<Registration, RegistryError> {
        self.registration(subject, schema, normalize, true).await
    }

    /// Looks `schema` up under `subject` without registering it:
    /// `POST /subjects/{subject}`. Cached.
    pub async fn lookup(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
    ) -> Result<Registration, RegistryError> {
        self.registration(subject, schema, normalize, false).await
    }

    async fn registration(
        &self,
        subject: &str,
        schema: &Schema,
        normalize: bool,
        register: bool,
    ) -> Result<Registration, RegistryError> {
        let key = RegistrationKey {
            subject: subject.to_owned(),
            schema_type: schema.schema_type,
            schema: schema.schema.clone(),
            references: schema.references.clone(),
            normalize,
            register,
        };
        self.inner
            .registrations
            .get_or_fetch(&key, || async {
                let path = if register {
                    format!("/subjects/{}/versions", encode_path_segment(subject))
                } else {
                    format!("/subjects/{}", encode_path_segment(subject))
                };
                let body = serde_json::json!({
                    "schema": schema.schema,
                    "schemaType": schema.schema_type.as_str(),
                    "references": schema.references,
                });
                let query = [("normalize", if normalize { "true" } else { "false" })];
                let response: RegistrationBody =
                    self.call(Method::POST, &path, &query, Some(&body)).await?;
                Ok(Registration {
                    id: response.id,
                    guid: parse_guid(response.guid.as_deref())?,
                    version: response.version,
                })
            })
            .await
    }

    /// Checks `schema` against the versions of `subject` that the subject's
    /// compatibility level compares with:
    /// `POST /compatibility/subjects/{s}/versions?verbose=true&explain=true`.
    /// Not cached: the answer changes as versions are registered. Accord
    /// answers with structured `incompatibilities`; other registries with
    /// `messages` only.
    pub async fn check_compatibility(
        &self,
        subject: &str,
        schema: &Schema,
    ) -> Result<CompatibilityAnswer, RegistryError> {
        let path = format!(
            "/compatibility/subjects/{}/versions",
            encode_path_segment(subject)
        );
        let body = serde_json::json!({
            "schema": schema.schema,
            "schemaType": schema.schema_type.as_str(),
            "references": schema.references,
        });
        let query = [("verbose", "true"), ("explain", "true")];
        self.call(Method::POST, &path, &query, Some(&body)).await
    }

    /// The live versions of `subject`, oldest first: `GET /subjects/{s}/versions`.
    /// Not cached.
    pub async fn versions(&self, subject: &str) -> Result<Vec<i32>, RegistryError> {
        let path = format!("/subjects/{}/versions", encode_path_segment(subject));
        self.call(Method::GET, &path, &[], None).await
    }

    /// The compatibility level that applies to `subject`, its own or the
    /// global one: `GET /config/{s}?defaultToGlobal=true`. Not cached.
    pub async fn compatibility_level(&self, subject: &str) -> Result<String, RegistryError> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct ConfigBody {
            compatibility_level: String,
        }
        let path = format!("/config/{}", encode_path_segment(subject));
        let body: ConfigBody = self
            .call(Method::GET, &path, &[("defaultToGlobal", "true")], None)
            .await?;
        Ok(body.compatibility_level)
    }

    /// The schema with global id `id`: `GET /schemas/ids/{id}`. Cached
    /// forever: ids never change meaning.
    pub async fn schema_by_id(&self, id: u32) -> Result<Arc<Schema>, RegistryError> {
        self.inner
            .by_id
            .get_or_fetch(&id, || async {
                let path = format!("/schemas/ids/{id}");
                let body: SchemaBody = self.call(Method::GET, &path, &[], None).await?;
                body.into_schema().map(Arc::new)
            })
            .await
    }

    /// The schema with GUID `guid`: `GET /schemas/guids/{guid}`. Cached.
    pub async fn schema_by_guid(&self, guid: Guid) -> Result<Arc<Schema>, RegistryError> {
        self.inner
            .by_guid
            .get_or_fetch(&guid, || async {
                let path = format!("/schemas/guids/{guid}");
                let mut schema = self
                    .call::<SchemaBody>(Method::GET, &path, &[], None)
                    .await?
                    .into_schema()?;
                schema.guid.get_or_insert(guid);
                Ok(Arc::new(schema))
            })
            .await
    }

    /// The schema a message's id or GUID names.
    pub async fn schema(&self, id: SchemaId) -> Result<Arc<Schema>, RegistryError> {
        match id {
            SchemaId::Id(id) => self.schema_by_id(id).await,
            SchemaId::Guid(guid) => self.schema_by_guid(guid).await,
        }
    }

    /// Version `version` of `subject`. Cached forever (a version's schema
    /// never changes; a deleted one stays readable with `deleted=true`).
    pub async fn version(
        &self,
        subject: &str,
        version: i32,
    ) -> Result<Arc<SubjectVersion>, RegistryError> {
        self.inner
            .versions
            .get_or_fetch(&(subject.to_owned(), version), || async {
                let path = format!(
                    "/subjects/{}/versions/{version}",
                    encode_path_segment(subject)
                );
                let body: VersionBody = self
                    .call(Method::GET, &path, &[("deleted", "true")], None)
                    .await?;
                body.into_version().map(Arc::new)
            })
            .await
    }

    /// The latest version of `subject`, cached for `latest_ttl`.
    pub async fn latest_version(
        &self,
        subject: &str,
    ) -> Result<Arc<SubjectVersion>, RegistryError> {
        self.inner
            .latest
            .get_or_fetch(&subject.to_owned(), || async {
                let path = format!("/subjects/{}/versions/latest", encode_path_segment(subject));
                let body: VersionBody = self.call(Method::GET, &path, &[], None).await?;
                body.into_version().map(Arc::new)
            })
            .await
    }

    /// Every schema `schema` refers to, directly or not, each once, with
    /// the name it is referred to by; dependencies before dependents.
    pub async fn referenced_schemas(
        &self,
        schema: &Schema,
    ) -> Result<Vec<(String, Arc<Schema>)>, RegistryError> {
        let mut resolved: Vec<(String, Arc<Schema>)> = Vec::new();
        // Depth-first, post-order, without recursion in async code: a stack
        // of (reference, whether its own references were pushed).
        let mut stack: Vec<(Reference, bool)> = schema
            .references
            .iter()
            .rev()
            .map(|reference| (reference.clone(), false))
            .collect();
        let mut seen = std::collections::HashSet::new();
        while let Some((reference, expanded)) = stack.pop() {
            if expanded {
                let version = self.version(&reference.subject, reference.version).await?;
                if !resolved.iter().any(|(name, _)| *name == reference.name) {
                    resolved.push((reference.name.clone(), version.schema.clone()));
                }
                continue;
            }
            if !seen.insert((reference.subject.clone(), reference.version)) {
                continue;
            }
            let version = self.version(&reference.subject, reference.version).await?;
            stack.push((reference, true));
            for nested in version.schema.references.iter().rev() {
                stack.push((nested.clone(), false));
            }
        }
        Ok(resolved)
    }

    /// Any request of the registry's REST API, with this client's retries,
    /// authentication and TLS settings, for tools that need more than the
    /// serializers do (`accord export` and `import`): the answer's JSON, or
    /// the registry's error. `path` is percent-encoded by the caller (see
    /// [`encode_path_segment`]).
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, RegistryError> {
        self.call(method, path, query, body).await
    }

    /// Sends one request, with retries, the outage cache and the miss cache.
    async fn call<T: for<'de> Deserialize<'de>>(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<T, RegistryError> {
        let inner = &self.inner;
        let ttl = inner.config.negative_cache_ttl;
        if let Some((since, error)) = &*inner.outage.lock().unwrap_or_else(PoisonError::into_inner)
        {
            if since.elapsed() < ttl {
                return Err(RegistryError::RecentlyFailed {
                    reason: error.to_string(),
                    ttl_ms: ttl.as_millis(),
                });
            }
        }
        let miss_key = (method == Method::GET).then(|| path.to_owned());
        if let Some(key) = &miss_key {
            let misses = inner.misses.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((since, error)) = misses.get(key) {
                if since.elapsed() < ttl {
                    return Err(error.clone());
                }
            }
        }

        let urls = &inner.config.urls;
        let mut last_error = RegistryError::Unreachable("no attempt made".to_owned());
        for attempt in 0..=inner.config.max_retries {
            if attempt > 0 {
                tokio::time::sleep(self.backoff(attempt)).await;
            }
            let url = format!("{}{}", urls[attempt as usize % urls.len()], path);
            match self.send_once(method.clone(), &url, query, body).await {
                Ok(value) => {
                    *inner.outage.lock().unwrap_or_else(PoisonError::into_inner) = None;
                    return serde_json::from_value(value).map_err(|error| {
                        RegistryError::InvalidResponse(format!("{method} {path}: {error}"))
                    });
                }
                Err(Attempt::Retry(error)) => last_error = error,
                Err(Attempt::Fail(error)) => {
                    if let (Some(key), true) = (miss_key, error.is_not_found()) {
                        let mut misses =
                            inner.misses.lock().unwrap_or_else(PoisonError::into_inner);
                        misses.retain(|_, (since, _)| since.elapsed() < ttl);
                        misses.insert(key, (Instant::now(), error.clone()));
                    }
                    return Err(error);
                }
            }
        }
        *inner.outage.lock().unwrap_or_else(PoisonError::into_inner) =
            Some((Instant::now(), last_error.clone()));
        Err(last_error)
    }

    async fn send_once(
        &self,
        method: Method,
        url: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, Attempt> {
        let inner = &self.inner;
        let mut request = inner.http.request(method, url).header("Accept", ACCEPT);
        if !query.is_empty() {
            request = request.query(query);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", CONTENT_TYPE)
                .body(body.to_string());
        }
        request = match &inner.config.auth {
            Some(Auth::Basic { username, password }) => {
                request.basic_auth(username, Some(password))
            }
            Some(Auth::Bearer(token)) => request.bearer_auth(token),
            None => request,
        };
        inner.requests.fetch_add(1, Ordering::Relaxed);
        let response = request.send().await.map_err(|error| {
            let reason = format!("{url}: {}", error_chain(&error));
            if error.is_connect() || error.is_timeout() || error.is_request() {
                Attempt::Retry(RegistryError::Unreachable(reason))
            } else {
                Attempt::Fail(RegistryError::Unreachable(reason))
            }
        })?;
        let status = response.status();
        let text = response.text().await.map_err(|error| {
            Attempt::Retry(RegistryError::Unreachable(format!(
                "{url}: {}",
                error_chain(&error)
            )))
        })?;
        if status.is_success() {
            return serde_json::from_str(&text).map_err(|error| {
                Attempt::Fail(RegistryError::InvalidResponse(format!(
                    "{url}: the body is not JSON ({error})"
                )))
            });
        }
        let error = api_error(status, &text);
        if status.is_server_error() {
            Err(Attempt::Retry(error))
        } else {
            Err(Attempt::Fail(error))
        }
    }

    /// Full jitter: a random wait between zero and the attempt's cap.
    fn backoff(&self, attempt: u32) -> Duration {
        let config = &self.inner.config;
        let cap = config
            .initial_backoff
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(config.max_backoff);
        cap.mul_f64(random_fraction())
    }
}

enum Attempt {
    Retry(RegistryError),
    Fail(RegistryError),
}

fn api_error(status: StatusCode, text: &str) -> RegistryError {
    #[derive(Deserialize)]
    struct ErrorBody {
        error_code: Option<i64>,
        message: Option<String>,
    }
    let body: Option<ErrorBody> = serde_json::from_str(text).ok();
    let (code, message) = match body {
        Some(ErrorBody {
            error_code,
            message,
        }) => (
            error_code.unwrap_or(i64::from(status.as_u16())),
            message.unwrap_or_else(|| text.to_owned()),
        ),
        None => (i64::from(status.as_u16()), text.trim().to_owned()),
    };
    RegistryError::Api {
        status: status.as_u16(),
        code,
        message,
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A number in [0, 1) that differs between calls and processes; jitter
/// needs no more than that.
fn random_fraction() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos() as u64)
        .unwrap_or(0);
    // splitmix64 of the time and a counter
    let mut x = nanos ^ COUNTER.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// A subject name (or any value) as one percent-encoded path segment (a
/// subject may contain `/`).
pub fn encode_path_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn parse_guid(guid: Option<&str>) -> Result<Option<Guid>, RegistryError> {
    guid.map(|guid| guid.parse().map_err(RegistryError::InvalidResponse))
        .transpose()
}

fn parse_schema_type(name: Option<&str>) -> Result<SchemaType, RegistryError> {
    match name {
        None => Ok(SchemaType::Avro),
        Some(name) => SchemaType::from_wire(name)
            .ok_or_else(|| RegistryError::InvalidResponse(format!("unknown schema type `{name}`"))),
    }
}

#[derive(Deserialize)]
struct RegistrationBody {
    id: u32,
    guid: Option<String>,
    version: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SchemaBody {
    schema: String,
    schema_type: Option<String>,
    #[serde(default)]
    references: Vec<Reference>,
    guid: Option<String>,
}

impl SchemaBody {
    fn into_schema(self) -> Result<Schema, RegistryError> {
        Ok(Schema {
            schema_type: parse_schema_type(self.schema_type.as_deref())?,
            schema: self.schema,
            references: self.references,
            guid: parse_guid(self.guid.as_deref())?,
        })
    }
}

#[derive(Deserialize)]
struct VersionBody {
    subject: String,
    version: i32,
    id: u32,
    #[serde(flatten)]
    schema: SchemaBody,
}

impl VersionBody {
    fn into_version(self) -> Result<SubjectVersion, RegistryError> {
        Ok(SubjectVersion {
            subject: self.subject,
            version: self.version,
            id: self.id,
            schema: Arc::new(self.schema.into_schema()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_are_percent_encoded() {
        assert_eq!(
            encode_path_segment("test/common.proto"),
            "test%2Fcommon.proto"
        );
        assert_eq!(encode_path_segment("orders-value"), "orders-value");
        assert_eq!(encode_path_segment(":.ctx:s b"), "%3A.ctx%3As%20b");
    }

    #[test]
    fn backoff_is_jittered_and_capped() {
        let mut config = ClientConfig::new("http://127.0.0.1:1");
        config.initial_backoff = Duration::from_millis(100);
        config.max_backoff = Duration::from_millis(250);
        let client = RegistryClient::new(config).unwrap();
        let waits: Vec<Duration> = (0..50).map(|_| client.backoff(3)).collect();
        assert!(waits.iter().all(|wait| *wait < Duration::from_millis(250)));
        assert!(waits.windows(2).any(|pair| pair[0] != pair[1]));
    }

    #[test]
    fn urls_must_be_http() {
        assert!(RegistryClient::from_url("localhost:8081").is_err());
        assert!(RegistryClient::from_url("").is_err());
        assert!(RegistryClient::from_url("http://a:1, http://b:2/").is_ok());
    }

    #[test]
    fn error_bodies_keep_code_and_message() {
        let error = api_error(
            StatusCode::NOT_FOUND,
            r#"{"error_code":40403,"message":"Schema 9 not found"}"#,
        );
        assert_eq!(
            error,
            RegistryError::Api {
                status: 404,
                code: 40403,
                message: "Schema 9 not found".to_owned()
            }
        );
        assert!(error.is_not_found());
        let error = api_error(StatusCode::BAD_GATEWAY, "<html>bad gateway</html>");
        assert!(matches!(
            error,
            RegistryError::Api {
                status: 502,
                code: 502,
                ..
            }
        ));
    }
}
