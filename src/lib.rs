//! Accord: a schema registry wire-compatible with Confluent Schema Registry.

pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod domain;
pub mod error;
pub mod metrics;
pub mod registry;
pub mod router;
pub mod serve;
pub mod settings;
pub mod store;
pub mod tls;

use std::future::Future;

use tokio::net::TcpListener;

use crate::api::AppState;
use crate::audit::Auditor;
use crate::auth::{AuthError, Oidc, Security, SecurityOptions};
use crate::registry::{ChangeFollower, Registry, RegistryOptions};
use crate::settings::ServeSettings;
use crate::store::{Store, StoreError};

pub use crate::settings::redact_password;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("could not open the store at {url}")]
    Store {
        url: String,
        #[source]
        source: StoreError,
    },
    #[error("the server failed")]
    Serve(#[source] std::io::Error),
    #[error("cannot set up authentication")]
    Security(#[source] AuthError),
    #[error("refusing to listen on {0} without authentication: add a principal (`accord user add NAME --role admin`) or pass --allow-anonymous")]
    Unprotected(std::net::SocketAddr),
    #[error("cannot serve TLS")]
    Tls(#[source] tls::TlsError),
    #[error("cannot open the audit log file")]
    AuditLog(#[source] std::io::Error),
    #[error("--allow-anonymous names the role {0:?}, which does not exist")]
    UnknownAnonymousRole(String),
}

/// Opens the store, then serves the API on `listener` until `shutdown`
/// resolves; in-flight requests finish before it returns.
pub async fn serve(
    listener: TcpListener,
    settings: ServeSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let store_error = |source| StartupError::Store {
        url: settings.database_url.to_string(),
        source,
    };
    let store = Store::connect(settings.database_url.expose())
        .await
        .map_err(store_error)?;
    let registry = Registry::new(
        store.clone(),
        RegistryOptions {
            max_schema_bytes: settings.max_schema_bytes,
            default_compatibility: settings.default_compatibility,
            cache_max_bytes: settings.cache_max_bytes,
        },
    );
    let follower = ChangeFollower::start(registry.clone(), settings.database_url.expose())
        .await
        .map_err(store_error)?;
    let oidc = match settings.oidc() {
        Some(oidc) => Some(Oidc::load(oidc).await.map_err(StartupError::Security)?),
        None => None,
    };
    let security = Security::start(
        store.clone(),
        SecurityOptions {
            anonymous_role: settings.anonymous_role().map(str::to_owned),
            oidc,
            hide_denied_reads: settings.deny_reads_as_not_found,
        },
    )
    .await
    .map_err(StartupError::Security)?;
    if let Some(role) = settings.anonymous_role() {
        let roles = security.roles().await.map_err(StartupError::Security)?;
        if !roles.iter().any(|known| known.name == role) {
            return Err(StartupError::UnknownAnonymousRole(role.to_owned()));
        }
    }
    let address = listener.local_addr().map_err(StartupError::Serve)?;
    let tls = settings.tls_files();
    // Required client certificates authenticate every caller.
    let certificates_required = tls
        .as_ref()
        .is_some_and(|tls| tls.client_ca.is_some() && tls.client_auth == tls::ClientAuth::Required);
    if !security.enabled() && !certificates_required {
        if !address.ip().is_loopback() && settings.allow_anonymous.is_none() {
            return Err(StartupError::Unprotected(address));
        }
        if !address.ip().is_loopback() {
            tracing::warn!(%address, "no principal exists: anyone who can reach this address may read and change every schema");
        }
    }
    let auditor =
        Auditor::new(store.clone(), settings.audit_log.clone()).map_err(StartupError::AuditLog)?;
    if auditor.has_sink() {
        // Events from now on: the file gets what happens while it is named.
        let head = audit::head(&store).await.map_err(store_error)?;
        tokio::spawn(ship_audit_events(auditor.clone(), head));
    }
    let app = router::router(
        AppState {
            metrics: metrics::Metrics::new(registry.metrics().clone(), store.backend()),
            registry,
            security,
            auditor,
            follower,
        },
        settings.max_body_bytes(),
        std::time::Duration::from_secs(settings.request_timeout),
    );
    let app = tower::util::MapRequest::new(app, router::normalize_path);
    let limits = settings.connection_limits();
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%address, scheme, "accord is serving");
    match tls {
        Some(files) => {
            let listener = tls::TlsListener::new(listener, files).map_err(StartupError::Tls)?;
            serve::serve(listener, app, limits, shutdown).await
        }
        None => serve::serve(listener, app, limits, shutdown).await,
    }
    store.close().await;
    Ok(())
}

/// An error with its causes, on one line.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// Copies the audit trail to `--audit-log` as it grows (events of every
/// replica, in chain order), once a second, from position `after`.
async fn ship_audit_events(auditor: Auditor, mut after: i64) {
    loop {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        match auditor.ship(after).await {
            Ok(last) => after = last,
            Err(error) => {
                tracing::warn!(error = %error, "could not read the audit trail for the log file")
            }
        }
    }
}
