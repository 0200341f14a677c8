//! Authentication and authorisation: who is calling, and what each
//! principal may do to which resource. Principals, API keys, roles and
//! role bindings live in the registry's database, so every replica shares
//! them; `Security` is the service over them that the HTTP layer and the
//! `accord user|key|role` commands both use.

mod oidc;
mod roles;
mod secrets;
mod service;

use std::sync::Arc;

pub use oidc::{JwksSource, Oidc, OidcSettings, TokenIdentity};
pub use roles::{
    built_in_role, glob_matches, Grants, Operation, Operations, ResourcePattern, BUILT_IN_ROLES,
};
pub use secrets::{Secret, KEY_PREFIX, MIN_PASSWORD_CHARS};
pub use service::{
    ApiKeyView, BindingView, CreatedKey, PrincipalView, RoleView, Security, SecurityOptions,
    SECURITY_POLL,
};

use crate::store::StoreError;

/// How a caller proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Credential {
    Password,
    ApiKey,
    /// A client certificate whose subject's common name is the principal's.
    Certificate,
    /// A JWT from the OIDC issuer.
    Token,
    /// No credentials, let in by `--allow-anonymous=ROLE`.
    Anonymous,
    /// Authentication is off: no principal exists yet.
    Open,
}

/// A caller that authenticated, with what it may do.
#[derive(Clone, Debug)]
pub struct Principal {
    pub name: String,
    pub credential: Credential,
    pub grants: Grants,
}

impl Principal {
    /// Whether `operation` is allowed on `subject` (qualified; `None` for
    /// global and admin operations).
    pub fn allows(&self, operation: Operation, subject: Option<&str>) -> bool {
        self.grants.allows(operation, subject)
    }
}

/// Who is calling: a principal, or nobody the registry knows.
#[derive(Clone, Debug)]
pub enum Caller {
    Principal(Arc<Principal>),
    Unauthenticated,
}

impl Caller {
    pub fn principal(&self) -> Option<&Principal> {
        match self {
            Caller::Principal(principal) => Some(principal),
            Caller::Unauthenticated => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Missing or wrong credentials (401). The reason is logged, not sent.
    #[error("Unauthorized")]
    Unauthenticated(&'static str),
    /// Authenticated, but not allowed (403).
    #[error("User is denied operation {verb} on {resource}", verb = .operation.verb())]
    Denied {
        operation: Operation,
        /// `Subject: name`, `Global: config`, …
        resource: String,
    },
    #[error("Principal '{0}' already exists")]
    PrincipalExists(String),
    #[error("Principal '{0}' not found")]
    PrincipalNotFound(String),
    #[error("API key '{0}' not found")]
    KeyNotFound(String),
    #[error("Role '{0}' not found")]
    RoleNotFound(String),
    #[error("Role binding not found")]
    BindingNotFound,
    /// A name, password, role or resource that cannot be accepted.
    #[error("{0}")]
    Invalid(String),
    #[error("backend store failed")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}
