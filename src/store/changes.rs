//! The change log: what a write made stale, recorded in the write's own
//! transaction so that every replica's caches can follow (PostgreSQL), and
//! applied at once by the process that wrote it.

use sqlx::{AnyConnection, Row};

use super::queries::now_millis;
use super::StoreError;
use crate::domain::SchemaId;

/// The channel writers NOTIFY on commit and replicas LISTEN to.
pub const CHANNEL: &str = "accord_changes";

/// Something a committed write changed, named as finely as the caches are
/// keyed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Change {
    /// A subject's versions (added, soft or permanently deleted).
    Subject { context: String, subject: String },
    /// A schema added or removed in a context; `content_hash` is its GUID.
    Schema {
        context: String,
        id: SchemaId,
        content_hash: String,
    },
    /// The config stored at a scope.
    Config { scope: String },
    /// The mode stored at a scope.
    Mode { scope: String },
    /// The set of contexts (one created or removed).
    Contexts,
}

impl Change {
    /// (kind, context, name, schema_id) as stored in `changes`.
    fn columns(&self) -> (&'static str, &str, &str, i64) {
        match self {
            Change::Subject { context, subject } => ("subject", context, subject, 0),
            Change::Schema {
                context,
                id,
                content_hash,
            } => ("schema", context, content_hash, id.get()),
            Change::Config { scope } => ("config", "", scope, 0),
            Change::Mode { scope } => ("mode", "", scope, 0),
            Change::Contexts => ("contexts", "", "", 0),
        }
    }

    fn from_columns(kind: &str, context: String, name: String, schema_id: i64) -> Option<Change> {
        Some(match kind {
            "subject" => Change::Subject {
                context,
                subject: name,
            },
            "schema" => Change::Schema {
                context,
                id: SchemaId::new(schema_id)?,
                content_hash: name,
            },
            "config" => Change::Config { scope: name },
            "mode" => Change::Mode { scope: name },
            "contexts" => Change::Contexts,
            _ => return None,
        })
    }
}

/// Appends `changes` to the log and notifies listeners (on commit). Takes the
/// head's row lock, held until the transaction ends.
pub(super) async fn append(
    conn: &mut AnyConnection,
    origin: &str,
    changes: &[Change],
) -> Result<(), StoreError> {
    let last: i64 = sqlx::query_scalar(
        "UPDATE change_head SET position = position + $1 WHERE id = 1 RETURNING position",
    )
    .bind(changes.len() as i64)
    .fetch_one(&mut *conn)
    .await?;
    let first = last - changes.len() as i64 + 1;
    let now = now_millis();
    // One statement per chunk of rows: the rows are written while the head's
    // lock (and the contexts') is held, so round trips count.
    const ROWS_PER_STATEMENT: usize = 256;
    for (chunk_index, chunk) in changes.chunks(ROWS_PER_STATEMENT).enumerate() {
        let rows: Vec<String> = (0..chunk.len())
            .map(|row| {
                let n = row * 7;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO changes (position, origin, kind, context, name, schema_id, created_at) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (offset, change) in chunk.iter().enumerate() {
            let (kind, context, name, schema_id) = change.columns();
            let position = first + (chunk_index * ROWS_PER_STATEMENT + offset) as i64;
            query = query
                .bind(position)
                .bind(origin)
                .bind(kind)
                .bind(context)
                .bind(name)
                .bind(schema_id)
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(last.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The last position handed out.
pub(super) async fn head(conn: &mut AnyConnection) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT position FROM change_head WHERE id = 1")
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// A page of the log after `position`: the changes other processes wrote,
/// and the last position read.
pub struct ChangePage {
    pub changes: Vec<Change>,
    /// The first position read, to tell whether entries were pruned.
    pub first: Option<i64>,
    pub last: Option<i64>,
}

pub(super) async fn after(
    conn: &mut AnyConnection,
    position: i64,
    origin: &str,
    limit: i64,
) -> Result<ChangePage, StoreError> {
    let rows = sqlx::query(
        "SELECT position, origin, kind, context, name, schema_id FROM changes \
         WHERE position > $1 ORDER BY position LIMIT $2",
    )
    .bind(position)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut page = ChangePage {
        changes: Vec::with_capacity(rows.len()),
        first: None,
        last: None,
    };
    for row in &rows {
        let at: i64 = row.try_get("position")?;
        page.first.get_or_insert(at);
        page.last = Some(at);
        let from: String = row.try_get("origin")?;
        if from == origin {
            continue;
        }
        let kind: String = row.try_get("kind")?;
        match Change::from_columns(
            &kind,
            row.try_get("context")?,
            row.try_get("name")?,
            row.try_get("schema_id")?,
        ) {
            Some(change) => page.changes.push(change),
            None => return Err(StoreError::Corrupt(format!("change of kind {kind:?}"))),
        }
    }
    Ok(page)
}

/// Drops log entries older than `max_age_millis`; replicas further behind
/// than that flush their caches instead.
pub(super) async fn prune(
    conn: &mut AnyConnection,
    max_age_millis: i64,
) -> Result<u64, StoreError> {
    let result = sqlx::query("DELETE FROM changes WHERE created_at < $1")
        .bind(now_millis() - max_age_millis)
        .execute(&mut *conn)
        .await?;
    Ok(result.rows_affected())
}
