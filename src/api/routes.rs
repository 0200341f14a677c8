//! The route table: every route is declared with the access it needs, so
//! no endpoint exists without an authorisation rule (`Routes::declared`
//! lists them for the test that holds the table against `openapi.yaml`).
//! Authentication runs once per request, before routing; each route's own
//! check runs after routing, when its path parameters are known.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::request::Parts;
use axum::http::{header, Method};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::Response;
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;

use super::AppState;
use crate::auth::{AuthError, Caller, Operation, Principal, Security};
use crate::domain::SchemaId;
use crate::error::ApiError;
use crate::registry::{RegistryError, Scope, Subject};

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
}

type Pending = (&'static str, Access, MethodRouter<AppState>);

/// Routes with their declared access, turned into a router once the
/// application state exists.
#[derive(Default)]
pub struct Routes {
    pending: Vec<Pending>,
    declared: Vec<Declared>,
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
        self.pending
            .push((path, Access::Public, axum::routing::any(handler)));
        self.declared.push(Declared {
            method: None,
            path,
            access: Access::Public,
        });
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
        self.pending.push((path, access, on(filter, handler)));
        self.declared.push(Declared {
            method: Some(method),
            path,
            access,
        });
        self
    }

    pub fn merge(mut self, other: Routes) -> Routes {
        self.pending.extend(other.pending);
        self.declared.extend(other.declared);
        self
    }

    pub fn declared(&self) -> &[Declared] {
        &self.declared
    }

    /// The router: each method of each path behind its own access check.
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        let mut by_path: BTreeMap<&'static str, MethodRouter<AppState>> = BTreeMap::new();
        for (path, access, method_router) in self.pending {
            let guarded = method_router.layer(from_fn_with_state(
                Guard {
                    state: state.clone(),
                    access,
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
    access: Access,
}

/// Who is calling, for every request: set before routing, so that a wrong
/// password is refused whatever the route.
pub async fn authenticate(
    State(security): State<Security>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    let caller = match security.authenticate(authorization).await? {
        Some(principal) => Caller::Principal(principal),
        None => Caller::Unauthenticated,
    };
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}

async fn authorize(
    State(guard): State<Guard>,
    params: Result<RawPathParams, axum::extract::rejection::RawPathParamsRejection>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    if guard.access == Access::Public {
        return Ok(next.run(request).await);
    }
    // A segment that does not percent-decode is an unknown route, as the
    // handlers' own extractor says.
    let params = params.map_err(|_| ApiError::RouteNotFound)?;
    let principal = match request.extensions().get::<Caller>() {
        Some(Caller::Principal(principal)) => principal.clone(),
        _ => return Err(AuthError::Unauthenticated("no credentials").into()),
    };
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    };
    // The `subject` query parameter names the context of a schema id.
    let context = request.uri().query().and_then(|query| {
        serde_urlencoded::from_str::<Vec<(String, String)>>(query)
            .ok()?
            .into_iter()
            .find(|(key, _)| key == "subject")
            .map(|(_, value)| value)
    });
    match guard.access {
        Access::Public | Access::Authenticated | Access::Filtered => {}
        Access::Subject(operation) => {
            let subject = Subject::parse(&param("subject").unwrap_or_default());
            require(&principal, operation, &subject.qualified())?;
            // An alias acts on its target: the caller must be allowed there too.
            let target = guard.state.registry.resolve_alias(subject.clone()).await?;
            if target != subject {
                require(&principal, operation, &target.qualified())?;
            }
        }
        Access::Scope { subject, global } => {
            match Scope::parse(&param("subject").unwrap_or_default()) {
                Scope::Subject(named) => require(&principal, subject, &named.qualified())?,
                scope => require_global(&principal, global, &scope.key())?,
            }
        }
        Access::Global(operation) => require_global(&principal, operation, "config")?,
        Access::Admin => {
            if !principal.allows(Operation::Admin, None) {
                return Err(AuthError::Denied {
                    operation: Operation::Admin,
                    resource: "Admin: principals".to_owned(),
                }
                .into());
            }
        }
        Access::SchemaById => {
            let raw = param("id").unwrap_or_default();
            if let Some(id) = raw.trim().parse::<i64>().ok().and_then(SchemaId::new) {
                let carrying = guard
                    .state
                    .registry
                    .versions_of_id(id, context.as_deref(), true)
                    .await;
                may_read_schema(&principal, carrying, &raw)?;
            }
        }
        Access::SchemaByGuid => {
            let guid = param("guid").unwrap_or_default();
            let carrying = guard.state.registry.versions_of_guid(&guid).await;
            may_read_schema(&principal, carrying, &guid)?;
        }
    }
    Ok(next.run(request).await)
}

fn require(principal: &Principal, operation: Operation, subject: &str) -> Result<(), ApiError> {
    if principal.allows(operation, Some(subject)) {
        Ok(())
    } else {
        Err(AuthError::Denied {
            operation,
            resource: format!("Subject: {subject}"),
        }
        .into())
    }
}

fn require_global(
    principal: &Principal,
    operation: Operation,
    scope: &str,
) -> Result<(), ApiError> {
    if principal.allows(operation, None) {
        Ok(())
    } else {
        Err(AuthError::Denied {
            operation,
            resource: format!("Global: {scope}"),
        }
        .into())
    }
}

/// A schema is readable by a caller who may read any subject that uses
/// it; one that does not exist is left for the handler to report.
fn may_read_schema(
    principal: &Principal,
    carrying: Result<Vec<(Subject, crate::domain::Version)>, RegistryError>,
    named: &str,
) -> Result<(), ApiError> {
    if principal
        .grants
        .allows_on_all_subjects(Operation::SubjectRead)
    {
        return Ok(());
    }
    let versions = match carrying {
        Ok(versions) => versions,
        Err(RegistryError::SchemaNotFound | RegistryError::SchemaIdNotFound(_)) => return Ok(()),
        Err(other) => return Err(other.into()),
    };
    if versions
        .iter()
        .any(|(subject, _)| principal.allows(Operation::SubjectRead, Some(&subject.qualified())))
    {
        Ok(())
    } else {
        Err(AuthError::Denied {
            operation: Operation::SchemaRead,
            resource: format!("Schema: {named}"),
        }
        .into())
    }
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
