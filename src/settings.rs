//! `accord serve` settings: flags with `ACCORD_…` environment fallbacks.

use std::net::SocketAddr;

use accord_schema::CompatibilityLevel;
use clap::Args;

#[derive(Clone, Debug, Args)]
pub struct ServeSettings {
    /// Address to listen on.
    #[arg(
        long = "listen",
        env = "ACCORD_LISTEN",
        default_value = "127.0.0.1:8081"
    )]
    pub listen: SocketAddr,

    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(
        long = "database",
        env = "ACCORD_DATABASE_URL",
        default_value = "sqlite://accord.db"
    )]
    pub database_url: String,

    /// Largest schema accepted, in bytes.
    #[arg(long = "max-schema-bytes", env = "ACCORD_MAX_SCHEMA_BYTES", default_value_t = 1024 * 1024)]
    pub max_schema_bytes: usize,

    /// Compatibility level where no config sets one.
    #[arg(long = "default-compatibility", env = "ACCORD_DEFAULT_COMPATIBILITY", default_value = "BACKWARD", value_parser = parse_level)]
    pub default_compatibility: CompatibilityLevel,
}

fn parse_level(raw: &str) -> Result<CompatibilityLevel, String> {
    raw.parse()
        .map_err(|()| format!("unknown compatibility level {raw:?}"))
}

impl ServeSettings {
    /// Settings for a given database with every other value at its default.
    pub fn for_database(database_url: &str) -> ServeSettings {
        ServeSettings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: database_url.to_owned(),
            max_schema_bytes: 1024 * 1024,
            default_compatibility: CompatibilityLevel::Backward,
        }
    }

    /// Request bodies may be larger than the schema they carry (JSON escaping,
    /// references, metadata), so the body limit leaves room.
    pub fn max_body_bytes(&self) -> usize {
        self.max_schema_bytes
            .saturating_mul(8)
            .saturating_add(1024 * 1024)
    }
}
