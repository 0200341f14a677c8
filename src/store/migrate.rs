//! Applies the embedded migrations of the store's backend, each once, in order.

use super::{postgres, Backend, Store, StoreError};

struct Migration {
    version: i64,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/sqlite/0001_registry.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/sqlite/0002_change_log.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../../migrations/sqlite/0003_security.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../../migrations/sqlite/0004_audit.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../../migrations/postgres/0001_registry.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../../migrations/postgres/0002_change_log.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../../migrations/postgres/0003_security.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../../migrations/postgres/0004_audit.sql"),
    },
];

pub(super) async fn run(store: &Store) -> Result<(), StoreError> {
    let mut conn = store.pool.acquire().await?;
    let migrations = match store.backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => {
            postgres::lock_migrations(&mut conn).await?;
            POSTGRES
        }
    };
    let result = apply(&mut conn, migrations).await;
    if store.backend == Backend::Postgres {
        postgres::unlock_migrations(&mut conn).await?;
    }
    result
}

async fn apply(
    conn: &mut sqlx::AnyConnection,
    migrations: &'static [Migration],
) -> Result<(), StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS accord_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for migration in migrations {
        let applied: Option<i64> =
            sqlx::query_scalar("SELECT version FROM accord_migrations WHERE version = $1")
                .bind(migration.version)
                .fetch_optional(&mut *conn)
                .await?;
        if applied.is_none() {
            apply_one(conn, migration)
                .await
                .map_err(|source| StoreError::Migration {
                    version: migration.version,
                    source,
                })?;
        }
    }
    Ok(())
}

/// Runs one migration and records it, in one transaction.
async fn apply_one(
    conn: &mut sqlx::AnyConnection,
    migration: &'static Migration,
) -> Result<(), sqlx::Error> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    // A plain string runs as one multi-statement script on both backends.
    sqlx::Executor::execute(&mut *tx, migration.sql).await?;
    sqlx::query("INSERT INTO accord_migrations (version, applied_at) VALUES ($1, $2)")
        .bind(migration.version)
        .bind(super::queries::now_millis())
        .execute(&mut *tx)
        .await?;
    tx.commit().await
}
