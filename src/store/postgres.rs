//! What is particular to PostgreSQL.

use sqlx::AnyConnection;

/// Session-level advisory lock key under which migrations run, so that
/// several Accord processes starting together migrate once.
const MIGRATION_LOCK_KEY: i64 = 0x4163_636f_7264_0001;

pub(super) async fn lock_migrations(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub(super) async fn unlock_migrations(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(MIGRATION_LOCK_KEY)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
