//! The route table: every route is declared with the access it needs, so
//! no endpoint exists without an authorisation rule (`Routes::declared`
//! lists them for the test that holds the table against `openapi.yaml`).
//! Authentication runs once per request, before routing; each route's own
//! check runs after routing, when its path parameters are known.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use super::AppState;
use serde_json::{json, Value};

use crate::audit::{self, AuditScope};
use crate::auth::{AuthError, Caller, Credential, Operation, Principal};
use crate::domain::SchemaId;
use crate::error::{ApiError, ErrorCode};
use crate::registry::{visibility, RegistryError, Scope, Subject};
use crate::tls::Peer;

/// What a route asks of its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: liveness, health and metadata probes.
    Public,
    /// Any authenticated caller.
    Authenticated,
    /// A list that the handler filters to what the caller may read.
    Filtered,
    /// The operation on the subject of the `{subject}` parameter.
    Subject(Operation),
    /// `/config/{subject}` and `/mode/{subject}`: `subject` when the scope
    /// is a subject, `global` when it is a context (or the top level).
    Scope {
        subject: Operation,
        global: Operation,
    },
    /// A global (top-level or context) operation.
    Global(Operation),
    /// The schema of the `{id}` parameter: readable by a caller who may
    /// read a subject that uses it.
    SchemaById,
    /// The schema of the `{guid}` parameter, likewise.
    SchemaByGuid,
    /// Principals, keys, roles and the audit trail.
    Admin,
}

/// One declared route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declared {
    /// `None` for routes that answer every method alike.
    pub method: Option<Method>,
    pub path: &'static str,
    pub access: Access,
    /// The audit trail's name for what the route changes (`None`: it
    /// changes nothing).
    pub audit: Option<&'static str>,
}

type Pending = (MethodRouter<AppState>, Declared);

/// Routes with their declared access, turned into a router once the
/// application state exists.
#[derive(Default)]
pub struct Routes {
    pending: Vec<Pending>,
}

impl Access {
    /// Reading the config or mode of `/config/{subject}` and `/mode/{subject}`.
    pub const SCOPE_READ: Access = Access::Scope {
        subject: Operation::SubjectCompatibilityRead,
        global: Operation::GlobalRead,
    };
    /// Changing it.
    pub const SCOPE_WRITE: Access = Access::Scope {
        subject: Operation::SubjectCompatibilityWrite,
        global: Operation::GlobalWrite,
    };
}

impl Routes {
    pub fn new() -> Routes {
        Routes::default()
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::GET, MethodFilter::GET, path, access, handler)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::POST, MethodFilter::POST, path, access, handler)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::PUT, MethodFilter::PUT, path, access, handler)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.add(Method::DELETE, MethodFilter::DELETE, path, access, handler)
    }

    /// A route that answers every method the same way (compatibility
    /// stubs); it must be `Public`, since it does nothing to any resource.
    pub fn any<H: Handler<T, AppState>, T: 'static>(
        mut self,
        path: &'static str,
        handler: H,
    ) -> Routes {
        self.pending.push((
            axum::routing::any(handler),
            Declared {
                method: None,
                path,
                access: Access::Public,
                audit: None,
            },
        ));
        self
    }

    fn add<H: Handler<T, AppState>, T: 'static>(
        mut self,
        method: Method,
        filter: MethodFilter,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Routes {
        self.pending.push((
            on(filter, handler),
            Declared {
                method: Some(method),
                path,
                access,
                audit: None,
            },
        ));
        self
    }

    /// Names what the route just added changes, for the audit trail: each
    /// request to it leaves exactly one event.
    pub fn audited(mut self, operation: &'static str) -> Routes {
        if let Some((_, declared)) = self.pending.last_mut() {
            declared.audit = Some(operation);
        }
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.pending.extend(other.pending);
        self
    }

    pub fn declared(&self) -> Vec<Declared> {
        self.pending
            .iter()
            .map(|(_, declared)| declared.clone())
            .collect()
    }

    /// The router: each method of each path behind its own access check.
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
        for (method_router, declared) in self.pending {
            let path = declared.path;
            let guarded = method_router.layer(from_fn_with_state(
                Guard {
                    state: state.clone(),
                    declared,
                },
                authorize,
            ));
            let merged = match by_path.remove(path) {
                Some(existing) => existing.merge(guarded),
                None => guarded,
            };
            by_path.insert(path, merged);
        }
        by_path
            .into_iter()
            .fold(Router::new(), |router, (path, method_router)| {
                router.route(path, method_router)
            })
    }
}

#[derive(Clone)]
struct Guard {
    state: AppState,
    declared: Declared,
}

/// The request's id: the client's `X-Request-Id` when it sends a usable
/// one, else one made here; returned on the response.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

const REQUEST_ID: &str = "x-request-id";

fn request_id(request: &Request) -> RequestId {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    static PROCESS: OnceLock<String> = OnceLock::new();
    let given = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|value| value.to_str().ok())
        .filter(|id| !id.is_empty() && id.len() <= 128);
    RequestId(match given {
        Some(id) => id.to_owned(),
        None => {
            let process =
                PROCESS.get_or_init(|| format!("{:08x}", crate::store::now_millis() as u32));
            format!("{process}-{}", NEXT.fetch_add(1, AtomicOrdering::Relaxed))
        }
    })
}

/// The caller's address, as the connection shows it.
fn source(request: &Request) -> String {
    request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .map_or_else(|| "unknown".to_owned(), |info| info.0.addr.ip().to_string())
}

/// Who is calling, for every request: set before routing, so that a wrong
/// password is refused whatever the route (and recorded).
pub async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let _in_flight = state.metrics.request_started();
    let id = request_id(&request);
    let method = request.method().clone();
    let remote = source(&request);
    let traceparent = request
        .headers()
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let certificate = request
        .extensions()
        .get::<ConnectInfo<Peer>>()
        .and_then(|info| info.0.client_name.clone());
    let authenticated = state
        .security
        .authenticate(authorization, certificate.as_deref())
        .await;
    let mut principal_name = None;
    let mut response = match authenticated {
        Ok(principal) => {
            principal_name = principal
                .as_ref()
                .filter(|p| p.credential != Credential::Open)
                .map(|p| p.name.clone());
            let caller = match principal {
                Some(principal) => Caller::Principal(principal),
                None => Caller::Unauthenticated,
            };
            request.extensions_mut().insert(caller);
            request.extensions_mut().insert(id.clone());
            next.run(request).await
        }
        Err(error) => {
            if let AuthError::Unauthenticated(reason) = &error {
                let refused = Refused {
                    principal: "anonymous".to_owned(),
                    source: remote.clone(),
                    request_id: id.0.clone(),
                };
                let resource = format!("Path: {}", request.uri().path());
                refused
                    .record(
                        &state,
                        "auth.failure",
                        resource,
                        json!({ "reason": reason }),
                    )
                    .await;
            }
            ApiError::from(error).into_response()
        }
    };
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    let route = response
        .extensions()
        .get::<RouteTemplate>()
        .map_or("-", |route| route.0);
    let bytes = axum::body::HttpBody::size_hint(response.body()).exact();
    let latency = started.elapsed();
    state
        .metrics
        .request_finished(&method, route, response.status().as_u16(), latency);
    tracing::info!(
        target: "accord::request",
        request_id = %id.0,
        method = %method,
        route,
        status = response.status().as_u16(),
        latency_ms = latency.as_secs_f64() * 1000.0,
        bytes,
        principal = principal_name.as_deref().unwrap_or("-"),
        remote = %remote,
        traceparent,
    );
    response
}

/// The route template that served a response, for the request log.
#[derive(Clone, Copy, Debug)]
struct RouteTemplate(&'static str);

/// Who made a request that is refused, for its audit event.
struct Refused {
    principal: String,
    source: String,
    request_id: String,
}

impl Refused {
    /// Records the refusal (rate-limited).
    async fn record(
        self,
        state: &AppState,
        operation: &'static str,
        resource: String,
        details: Value,
    ) {
        let scope = AuditScope::new(
            self.principal,
            self.source,
            self.request_id,
            operation,
            resource,
        );
        let outcome = if operation == "access.denied" {
            "denied"
        } else {
            "failure"
        };
        if let Err(error) = state.auditor.record_alone(&scope, outcome, details).await {
            tracing::warn!(error = %error, "could not record a refused request in the audit trail");
        }
    }
}

/// The subject a request acts on, its alias resolved once, by the access
/// check: the handler acts on the subject that was checked, even if the
/// alias changes while the request body is still arriving.
#[derive(Clone, Debug)]
pub struct ResolvedSubject(pub Subject);

async fn authorize(
    State(guard): State<Guard>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Response {
    let template = RouteTemplate(guard.declared.path);
    let mut response = guarded(guard, params, request, next)
        .await
        .unwrap_or_else(IntoResponse::into_response);
    response.extensions_mut().insert(template);
    response
}

async fn guarded(
    guard: Guard,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let access = guard.declared.access;
    if access == Access::Public {
        return Ok(next.run(request).await);
    }
    // A segment that does not percent-decode is an unknown route, as the
    // handlers' own extractor says.
    let params = params.map_err(|_| ApiError::RouteNotFound)?;
    let caller = request.extensions().get::<Caller>().cloned();
    let audited = guard.declared.audit;
    // Authentication off: every caller may do everything, and only
    // mutations leave an event.
    if let Some(Caller::Principal(principal)) = &caller {
        if principal.credential == Credential::Open && audited.is_none() {
            return Ok(next.run(request).await);
        }
    }
    let id = request
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId(String::new()));
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    };
    let resource = resource_of(&guard.declared, &param("subject"), request.uri().path());
    let source = source(&request);
    let method = request.method().clone();
    let refused = |principal: &str| Refused {
        principal: principal.to_owned(),
        source: source.clone(),
        request_id: id.0.clone(),
    };
    let principal = match caller {
        Some(Caller::Principal(principal)) => principal,
        _ => {
            let details = json!({ "reason": "no credentials" });
            refused("anonymous")
                .record(&guard.state, "auth.failure", resource, details)
                .await;
            return Err(AuthError::Unauthenticated("no credentials").into());
        }
    };
    // The `subject` query parameter names the context of a schema id.
    let context = match access {
        Access::SchemaById => request.uri().query().and_then(|query| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .ok()?
                .into_iter()
                .find(|(key, _)| key == "subject")
                .map(|(_, value)| value)
        }),
        _ => None,
    };
    let checked = check(&guard, &principal, &param, context).await;
    if let Ok(Some(resolved)) = &checked {
        request
            .extensions_mut()
            .insert(ResolvedSubject(resolved.clone()));
    }
    if let Err(denied) = checked {
        if let ApiError::Auth(AuthError::Denied {
            operation,
            resource: named,
        }) = &denied
        {
            let details = json!({ "operation": operation.name(), "method": method.as_str() });
            refused(&principal.name)
                .record(&guard.state, "access.denied", resource, details)
                .await;
            if guard.state.security.hides_denied_reads() {
                if let Some(not_found) = hidden_read(*operation, named) {
                    return Err(not_found.into());
                }
            }
        }
        return Err(denied);
    }
    // A caller who may not read every subject sees only those it may read,
    // also where the registry looks beyond the subject named.
    let run = async {
        if principal
            .grants
            .allows_on_all_subjects(Operation::SubjectRead)
        {
            next.run(request).await
        } else {
            let reader = principal.clone();
            let filter: visibility::SubjectFilter =
                Arc::new(move |subject| reader.allows(Operation::SubjectRead, Some(subject)));
            visibility::scoped(filter, next.run(request)).await
        }
    };
    let Some(operation) = audited else {
        return Ok(run.await);
    };
    // A mutation: its event is written with the change, in its
    // transaction; one that failed gets one here.
    let scope = AuditScope::new(principal.name.clone(), source, id.0, operation, resource);
    let response = audit::scoped(scope.clone(), run).await;
    // A success that wrote nothing (re-registering known content, which
    // producers do on every start) changed nothing to record, and must stay
    // off the write path.
    let status = response.status();
    if !scope.is_written() && !status.is_success() {
        let code = response.extensions().get::<ErrorCode>().map(|code| code.0);
        let details = json!({ "status": status.as_u16(), "errorCode": code });
        if let Err(error) = guard
            .state
            .auditor
            .record_alone(&scope, "failure", details)
            .await
        {
            tracing::error!(error = %error, "could not record a request in the audit trail");
        }
    }
    Ok(response)
}

/// Karapace's answer to a read the caller may not make: the resource does
/// not exist, as far as the caller can tell (`--deny-reads-as-not-found`).
fn hidden_read(operation: Operation, resource: &str) -> Option<RegistryError> {
    let reads = matches!(
        operation,
        Operation::SubjectRead | Operation::SchemaRead | Operation::SubjectCompatibilityRead
    );
    if !reads {
        return None;
    }
    if let Some(subject) = resource.strip_prefix("Subject: ") {
        return Some(RegistryError::SubjectNotFound(subject.to_owned()));
    }
    resource
        .strip_prefix("Schema: ")
        .map(|id| RegistryError::SchemaIdNotFound(id.to_owned()))
}

/// What an audit event names as the resource of a request.
fn resource_of(declared: &Declared, subject: &Option<String>, path: &str) -> String {
    match (declared.access, subject) {
        (Access::Subject(_), Some(subject)) => {
            format!("Subject: {}", Subject::parse(subject).qualified())
        }
        (Access::Scope { .. }, Some(subject)) => match Scope::parse(subject) {
            Scope::Subject(named) => format!("Subject: {}", named.qualified()),
            scope => format!("Global: {}", scope.key()),
        },
        (Access::Admin, _) => format!("Admin: {path}"),
        _ => format!("Global: {path}"),
    }
}

/// Whether the principal may make this request.
async fn check(
    guard: &Guard,
    principal: &Principal,
    param: &impl Fn(&str) -> Option<String>,
    context: Option<String>,
) -> Result<Option<Subject>, ApiError> {
    match guard.declared.access {
        Access::Public | Access::Authenticated | Access::Filtered => {}
        Access::Subject(operation) => {
            let subject = Subject::parse(&param("subject").unwrap_or_default());
            require(principal, operation, &subject.qualified())?;
            // An alias acts on its target: the caller must be allowed there too.
            let target = guard.state.registry.resolve_alias(subject.clone()).await?;
            if target != subject {
                require(principal, operation, &target.qualified())?;
            }
            return Ok(Some(target));
        }
        Access::Scope { subject, global } => {
            match Scope::parse(&param("subject").unwrap_or_default()) {
                Scope::Subject(named) => require(principal, subject, &named.qualified())?,
                scope => require_global(principal, global, &scope.key())?,
            }
        }
        Access::Global(operation) => require_global(principal, operation, "config")?,
        Access::Admin => allow_or_deny(
            principal.allows(Operation::Admin, None),
            Operation::Admin,
            || "Admin: principals".to_owned(),
        )?,
        // A caller who reads every subject reads every schema: no lookup.
        Access::SchemaById | Access::SchemaByGuid
            if principal
                .grants
                .allows_on_all_subjects(Operation::SubjectRead) => {}
        Access::SchemaById => {
            let raw = param("id").unwrap_or_default();
            if let Some(id) = raw.trim().parse::<i64>().ok().and_then(SchemaId::new) {
                let carrying = guard
                    .state
                    .registry
                    .versions_of_id(id, context.as_deref(), true)
                    .await;
                may_read_schema(principal, carrying, &raw)?;
            }
        }
        Access::SchemaByGuid => {
            let guid = param("guid").unwrap_or_default();
            let carrying = guard.state.registry.versions_of_guid(&guid).await;
            may_read_schema(principal, carrying, &guid)?;
        }
    }
    Ok(None)
}

/// Confluent's 403 unless `allowed`; `resource` names what was denied.
fn allow_or_deny(
    allowed: bool,
    operation: Operation,
    resource: impl FnOnce() -> String,
) -> Result<(), ApiError> {
    if allowed {
        Ok(())
    } else {
        Err(AuthError::Denied {
            operation,
            resource: resource(),
        }
        .into())
    }
}

fn require(principal: &Principal, operation: Operation, subject: &str) -> Result<(), ApiError> {
    allow_or_deny(
        principal.allows(operation, Some(subject)),
        operation,
        || format!("Subject: {subject}"),
    )
}

fn require_global(
    principal: &Principal,
    operation: Operation,
    scope: &str,
) -> Result<(), ApiError> {
    allow_or_deny(principal.allows(operation, None), operation, || {
        format!("Global: {scope}")
    })
}

/// A schema is readable by a caller who may read any subject that uses
/// it; one that does not exist is left for the handler to report.
fn may_read_schema(
    principal: &Principal,
    carrying: Result<Vec<(Subject, crate::domain::Version)>, RegistryError>,
    named: &str,
) -> Result<(), ApiError> {
    let versions = match carrying {
        Ok(versions) => versions,
        Err(RegistryError::SchemaNotFound | RegistryError::SchemaIdNotFound(_)) => return Ok(()),
        Err(other) => return Err(other.into()),
    };
    let readable = versions
        .iter()
        .any(|(subject, _)| principal.allows(Operation::SubjectRead, Some(&subject.qualified())));
    allow_or_deny(readable, Operation::SchemaRead, || {
        format!("Schema: {named}")
    })
}

/// The caller, for handlers that filter what they list.
pub struct CallerPrincipal(pub Arc<Principal>);

impl CallerPrincipal {
    /// Whether the caller may read every subject (no filtering needed).
    pub fn reads_everything(&self) -> bool {
        self.0.grants.allows_on_all_subjects(Operation::SubjectRead)
    }

    /// Whether the caller may read the subject with this qualified name.
    pub fn may_read(&self, qualified: &str) -> bool {
        self.0.allows(Operation::SubjectRead, Some(qualified))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for CallerPrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        match parts.extensions.get::<Caller>() {
            Some(Caller::Principal(principal)) => Ok(CallerPrincipal(principal.clone())),
            _ => Err(AuthError::Unauthenticated("no credentials").into()),
        }
    }
}
