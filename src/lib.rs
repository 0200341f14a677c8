//! Accord: a schema registry wire-compatible with Confluent Schema Registry.

pub mod api;
pub mod cli;
pub mod error;
pub mod registry;
pub mod router;
pub mod settings;
pub mod store;

use std::future::Future;

use tokio::net::TcpListener;

use crate::api::AppState;
use crate::registry::{Registry, RegistrySettings};
use crate::settings::ServeSettings;
use crate::store::{Store, StoreError};

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
}

/// Opens the store, then serves the API on `listener` until `shutdown`
/// resolves; in-flight requests finish before it returns.
pub async fn serve(
    listener: TcpListener,
    settings: ServeSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let store = Store::connect(&settings.database_url)
        .await
        .map_err(|source| StartupError::Store {
            url: redact_password(&settings.database_url),
            source,
        })?;
    let registry = Registry::new(
        store.clone(),
        RegistrySettings {
            max_schema_bytes: settings.max_schema_bytes,
            default_compatibility: settings.default_compatibility,
        },
    );
    let app = router::router(AppState { registry }, settings.max_body_bytes());
    let app = tower::util::MapRequest::new(app, router::normalize_path);
    tracing::info!(address = %listener.local_addr().map_err(StartupError::Serve)?, "accord is serving");
    let served = axum::serve(
        listener,
        axum::ServiceExt::<axum::extract::Request>::into_make_service(app),
    )
    .with_graceful_shutdown(shutdown)
    .await
    .map_err(StartupError::Serve);
    store.close().await;
    served
}

/// Hides the password of a database URL for logs and errors.
pub fn redact_password(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_database_passwords() {
        assert_eq!(
            super::redact_password("postgres://me:secret@db:5432/x"),
            "postgres://me:***@db:5432/x"
        );
        assert_eq!(
            super::redact_password("sqlite://accord.db"),
            "sqlite://accord.db"
        );
    }
}
