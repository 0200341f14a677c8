//! Accord: a schema registry wire-compatible with Confluent Schema Registry.

pub mod api;
pub mod cli;
pub mod domain;
pub mod error;
pub mod registry;
pub mod router;
pub mod settings;
pub mod store;

use std::future::Future;

use tokio::net::TcpListener;

use crate::api::AppState;
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
    let app = router::router(AppState { registry, follower }, settings.max_body_bytes());
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
