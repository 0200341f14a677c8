//! The SQL, shared by both backends (`$n` placeholders work in both).

use accord_schema::SchemaType;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Change, StoreError};
use crate::domain::{Page, SchemaId, SchemaReference, Version};

pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or(0)
}

/// One schema, identified by (context, id).
#[derive(Clone, Debug)]
pub struct SchemaRecord {
    pub context: String,
    pub id: SchemaId,
    pub schema_type: SchemaType,
    pub schema: String,
    pub references: Vec<SchemaReference>,
    pub metadata: Option<serde_json::Value>,
    pub rule_set: Option<serde_json::Value>,
    /// Hex MD5 of the schema's identity; also its GUID.
    pub content_hash: String,
}

/// One version of a subject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionRecord {
    pub context: String,
    pub subject: String,
    pub version: Version,
    pub schema_id: SchemaId,
    pub deleted: bool,
}

/// Which subjects a list reads: every context, one context, and a prefix
/// of the name. Bound as parameters $1 (context), $2 (prefix), $3 (the
/// prefix's length in characters).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// `None`: every context.
    pub context: Option<String>,
    pub name_prefix: String,
}

impl ListFilter {
    fn condition(&self, context_column: &str, subject_column: &str) -> String {
        let context = if self.context.is_some() {
            format!("{context_column} = $1")
        } else {
            "$1 = $1".to_owned()
        };
        format!("{context} AND substr({subject_column}, 1, CAST($3 AS INTEGER)) = $2")
    }

    fn bind<'q>(
        &'q self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        query
            .bind(self.context.as_deref().unwrap_or(""))
            .bind(self.name_prefix.as_str())
            .bind(self.name_prefix.chars().count() as i64)
    }
}

/// Which subjects a subject list keeps, by their live versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiveFilter {
    Any,
    SomeLive,
    NoneLive,
}

/// See `Queries::registration_state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegistrationState {
    pub max_version: Option<Version>,
    /// (version, schema id)
    pub latest_live: Option<(Version, SchemaId)>,
    pub existing: Option<SchemaId>,
}

/// A subject with how many of its versions are live.
#[derive(Clone, Debug)]
pub struct SubjectSummary {
    pub context: String,
    pub subject: String,
    pub live_versions: i64,
}

const SCHEMA_COLUMNS: &str =
    "s.context, s.id, s.schema_type, s.schema_text, s.references_json, s.metadata, s.rule_set, s.content_hash";

fn schema_from_row(row: &AnyRow) -> Result<SchemaRecord, StoreError> {
    let json = |column: &str| -> Result<Option<serde_json::Value>, StoreError> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|text| {
            serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
        })
        .transpose()
    };
    let references: String = row.try_get("references_json")?;
    Ok(SchemaRecord {
        context: row.try_get("context")?,
        id: row.try_get("id")?,
        schema_type: {
            let name: String = row.try_get("schema_type")?;
            SchemaType::from_wire(&name)
                .ok_or_else(|| StoreError::Corrupt(format!("schema type {name:?}")))?
        },
        schema: row.try_get("schema_text")?,
        references: serde_json::from_str(&references)
            .map_err(|e| StoreError::Corrupt(format!("references_json: {e}")))?,
        metadata: json("metadata")?,
        rule_set: json("rule_set")?,
        content_hash: row.try_get("content_hash")?,
    })
}

fn version_from_row(row: &AnyRow) -> Result<VersionRecord, StoreError> {
    Ok(VersionRecord {
        context: row.try_get("context")?,
        subject: row.try_get("subject")?,
        version: row.try_get("version")?,
        schema_id: row.try_get("schema_id")?,
        deleted: row.try_get::<i64, _>("deleted")? != 0,
    })
}

/// Takes the context's write lock (see the module docs of `store`) and
/// returns the highest id handed out in it so far, and whether this created
/// the context.
pub(super) async fn lock_context(
    conn: &mut AnyConnection,
    context: &str,
) -> Result<(Option<SchemaId>, bool), StoreError> {
    let (max_id, write_count): (i64, i64) = sqlx::query_as(
        "INSERT INTO contexts (context, max_id, write_count) VALUES ($1, 0, 1) \
         ON CONFLICT (context) DO UPDATE SET write_count = contexts.write_count + 1 \
         RETURNING max_id, write_count",
    )
    .bind(context)
    .fetch_one(conn)
    .await?;
    Ok((stored_max_id(max_id)?, write_count == 1))
}

/// `contexts.max_id` holds 0 until a context hands out its first id.
fn stored_max_id(max_id: i64) -> Result<Option<SchemaId>, StoreError> {
    match max_id {
        0 => Ok(None),
        id => SchemaId::try_from(id)
            .map(Some)
            .map_err(StoreError::Corrupt),
    }
}

/// Queries on one connection, in or out of a transaction. In a write
/// transaction every write records what it changed, for the caches.
pub struct Queries<'c> {
    pub(super) conn: &'c mut AnyConnection,
    changes: Option<&'c mut Vec<Change>>,
}

impl<'c> Queries<'c> {
    pub(super) fn new(conn: &'c mut AnyConnection) -> Self {
        Queries {
            conn,
            changes: None,
        }
    }

    pub(super) fn recording(conn: &'c mut AnyConnection, changes: &'c mut Vec<Change>) -> Self {
        Queries {
            conn,
            changes: Some(changes),
        }
    }

    fn record(&mut self, change: Change) {
        match &mut self.changes {
            Some(changes) => {
                if !changes.contains(&change) {
                    changes.push(change);
                }
            }
            None => debug_assert!(false, "a write outside a write transaction: {change:?}"),
        }
    }

    /// All versions of a subject, deleted ones included, oldest first.
    pub async fn subject_versions(
        &mut self,
        context: &str,
        subject: &str,
    ) -> Result<Vec<VersionRecord>, StoreError> {
        sqlx::query(
            "SELECT context, subject, version, schema_id, deleted FROM subject_versions \
             WHERE context = $1 AND subject = $2 ORDER BY version",
        )
        .bind(context)
        .bind(subject)
        .fetch_all(&mut *self.conn)
        .await?
        .iter()
        .map(version_from_row)
        .collect()
    }

    /// Every version that carries a schema id, oldest subject first.
    pub async fn versions_of_schema(
        &mut self,
        context: &str,
        schema_id: SchemaId,
    ) -> Result<Vec<VersionRecord>, StoreError> {
        sqlx::query(
            "SELECT context, subject, version, schema_id, deleted FROM subject_versions \
             WHERE context = $1 AND schema_id = $2 ORDER BY subject, version",
        )
        .bind(context)
        .bind(schema_id)
        .fetch_all(&mut *self.conn)
        .await?
        .iter()
        .map(version_from_row)
        .collect()
    }

    pub async fn schema_by_id(
        &mut self,
        context: &str,
        id: SchemaId,
    ) -> Result<Option<SchemaRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM schemas s WHERE s.context = $1 AND s.id = $2"
        ))
        .bind(context)
        .bind(id)
        .fetch_optional(&mut *self.conn)
        .await?
        .as_ref()
        .map(schema_from_row)
        .transpose()
    }

    /// Schemas with this GUID in any context, default context first.
    pub async fn schemas_by_hash_in_all_contexts(
        &mut self,
        content_hash: &str,
    ) -> Result<Vec<SchemaRecord>, StoreError> {
        sqlx::query(&format!(
            "SELECT {SCHEMA_COLUMNS} FROM schemas s WHERE s.content_hash = $1 ORDER BY s.context"
        ))
        .bind(content_hash)
        .fetch_all(&mut *self.conn)
        .await?
        .iter()
        .map(schema_from_row)
        .collect()
    }

    /// Every subject that has versions, with its count of live versions.
    pub async fn subjects(&mut self) -> Result<Vec<SubjectSummary>, StoreError> {
        self.subjects_page(&ListFilter::default(), LiveFilter::Any, Page::ALL)
            .await
    }

    /// One page of subjects in the order of their qualified names (byte
    /// order: the columns compare as "C" on PostgreSQL).
    pub async fn subjects_page(
        &mut self,
        filter: &ListFilter,
        live: LiveFilter,
        page: Page,
    ) -> Result<Vec<SubjectSummary>, StoreError> {
        let having = match live {
            LiveFilter::Any => "",
            LiveFilter::SomeLive => "HAVING SUM(CASE WHEN deleted = 0 THEN 1 ELSE 0 END) > 0",
            LiveFilter::NoneLive => "HAVING SUM(CASE WHEN deleted = 0 THEN 1 ELSE 0 END) = 0",
        };
        let sql = format!(
            "SELECT context, subject, SUM(CASE WHEN deleted = 0 THEN 1 ELSE 0 END) AS live \
             FROM subject_versions WHERE {} GROUP BY context, subject {having} \
             ORDER BY CASE WHEN context = '.' THEN subject ELSE ':' || context || ':' || subject END \
             LIMIT $4 OFFSET $5",
            filter.condition("context", "subject")
        );
        let rows = self.page(&sql, filter, page).await?;
        rows.iter()
            .map(|row| {
                Ok(SubjectSummary {
                    context: row.try_get("context")?,
                    subject: row.try_get("subject")?,
                    live_versions: row.try_get("live")?,
                })
            })
            .collect()
    }

    /// One page of versions with their schemas, for `GET /schemas`, in
    /// (context, subject, version) order: the primary key's, so a page
    /// reads only its own rows.
    pub async fn versions_with_schemas_page(
        &mut self,
        filter: &ListFilter,
        deleted: bool,
        latest_only: bool,
        page: Page,
    ) -> Result<Vec<(VersionRecord, SchemaRecord)>, StoreError> {
        let live = if deleted { "" } else { "AND v.deleted = 0" };
        let live_inner = if deleted { "" } else { "AND l.deleted = 0" };
        let latest = if latest_only {
            format!(
                "AND v.version = (SELECT MAX(l.version) FROM subject_versions l \
                 WHERE l.context = v.context AND l.subject = v.subject {live_inner})"
            )
        } else {
            String::new()
        };
        let sql = format!(
            "SELECT v.subject, v.version, v.schema_id, v.deleted, {SCHEMA_COLUMNS} \
             FROM subject_versions v JOIN schemas s ON s.context = v.context AND s.id = v.schema_id \
             WHERE {} {live} {latest} \
             ORDER BY v.context, v.subject, v.version LIMIT $4 OFFSET $5",
            filter.condition("v.context", "v.subject")
        );
        let rows = self.page(&sql, filter, page).await?;
        rows.iter()
            .map(|row| Ok((version_from_row(row)?, schema_from_row(row)?)))
            .collect()
    }

    /// Runs a list query whose filter binds $1–$3, and $4 / $5 the limit and
    /// offset.
    async fn page(
        &mut self,
        sql: &str,
        filter: &ListFilter,
        page: Page,
    ) -> Result<Vec<AnyRow>, StoreError> {
        let (offset, limit) = page.sql();
        Ok(filter
            .bind(sqlx::query(sql))
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *self.conn)
            .await?)
    }

    /// Ids of the schemas that reference (subject, version), ascending;
    /// `live_only` keeps those still carried by a live version.
    pub async fn referencing_schema_ids(
        &mut self,
        context: &str,
        subject: &str,
        version: Version,
        live_only: bool,
    ) -> Result<Vec<SchemaId>, StoreError> {
        let live_filter = if live_only { "AND v.deleted = 0" } else { "" };
        let ids = sqlx::query_scalar(&format!(
            "SELECT DISTINCT r.schema_id FROM schema_references r \
             WHERE r.context = $1 AND r.ref_subject = $2 AND r.ref_version = $3 \
             AND EXISTS (SELECT 1 FROM subject_versions v \
                         WHERE v.context = r.context AND v.schema_id = r.schema_id {live_filter}) \
             ORDER BY r.schema_id"
        ))
        .bind(context)
        .bind(subject)
        .bind(version)
        .fetch_all(&mut *self.conn)
        .await?;
        Ok(ids)
    }

    pub async fn insert_schema(&mut self, schema: &SchemaRecord) -> Result<(), StoreError> {
        let to_text = |value: &Option<serde_json::Value>| value.as_ref().map(|v| v.to_string());
        sqlx::query(
            "INSERT INTO schemas (context, id, schema_type, schema_text, references_json, metadata, \
             rule_set, content_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&schema.context)
        .bind(schema.id)
        .bind(schema.schema_type.as_str())
        .bind(&schema.schema)
        .bind(serde_json::to_string(&schema.references).expect("references serialize"))
        .bind(to_text(&schema.metadata))
        .bind(to_text(&schema.rule_set))
        .bind(&schema.content_hash)
        .bind(now_millis())
        .execute(&mut *self.conn)
        .await?;
        for (position, reference) in schema.references.iter().enumerate() {
            sqlx::query(
                "INSERT INTO schema_references (context, schema_id, position, name, ref_subject, ref_version) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&schema.context)
            .bind(schema.id)
            .bind(position as i64)
            .bind(&reference.name)
            .bind(&reference.subject)
            .bind(reference.version)
            .execute(&mut *self.conn)
            .await?;
        }
        self.record(Change::Schema {
            context: schema.context.clone(),
            id: schema.id,
            content_hash: schema.content_hash.clone(),
        });
        Ok(())
    }

    /// Raises the context's id high-water mark (imported ids count too).
    pub async fn raise_max_id(&mut self, context: &str, id: SchemaId) -> Result<(), StoreError> {
        sqlx::query("UPDATE contexts SET max_id = $2 WHERE context = $1 AND max_id < $2")
            .bind(context)
            .bind(id)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    pub async fn insert_version(&mut self, version: &VersionRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO subject_versions (context, subject, version, schema_id, deleted, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&version.context)
        .bind(&version.subject)
        .bind(version.version)
        .bind(version.schema_id)
        .bind(i64::from(version.deleted))
        .bind(now_millis())
        .execute(&mut *self.conn)
        .await?;
        self.record(Change::Subject {
            context: version.context.clone(),
            subject: version.subject.clone(),
        });
        Ok(())
    }

    pub async fn soft_delete_version(
        &mut self,
        context: &str,
        subject: &str,
        version: Version,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE subject_versions SET deleted = 1 WHERE context = $1 AND subject = $2 AND version = $3",
        )
        .bind(context)
        .bind(subject)
        .bind(version)
        .execute(&mut *self.conn)
        .await?;
        self.record(Change::Subject {
            context: context.to_owned(),
            subject: subject.to_owned(),
        });
        Ok(())
    }

    /// Removes a version for good, and its schema once no version carries it.
    pub async fn hard_delete_version(
        &mut self,
        context: &str,
        subject: &str,
        version: Version,
        schema_id: SchemaId,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "DELETE FROM subject_versions WHERE context = $1 AND subject = $2 AND version = $3",
        )
        .bind(context)
        .bind(subject)
        .bind(version)
        .execute(&mut *self.conn)
        .await?;
        let removed: Option<String> = sqlx::query_scalar(
            "DELETE FROM schemas WHERE context = $1 AND id = $2 AND NOT EXISTS \
             (SELECT 1 FROM subject_versions v WHERE v.context = $1 AND v.schema_id = $2) \
             RETURNING content_hash",
        )
        .bind(context)
        .bind(schema_id)
        .fetch_optional(&mut *self.conn)
        .await?;
        self.record(Change::Subject {
            context: context.to_owned(),
            subject: subject.to_owned(),
        });
        if let Some(content_hash) = removed {
            self.record(Change::Schema {
                context: context.to_owned(),
                id: schema_id,
                content_hash,
            });
        }
        Ok(())
    }

    /// Contexts that have been written to, in name order.
    pub async fn contexts(&mut self) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT context FROM contexts ORDER BY context")
                .fetch_all(&mut *self.conn)
                .await?,
        )
    }

    pub async fn delete_context(&mut self, context: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM contexts WHERE context = $1")
            .bind(context)
            .execute(&mut *self.conn)
            .await?;
        self.record(Change::Contexts);
        Ok(())
    }

    pub async fn config(&mut self, scope: &str) -> Result<Option<serde_json::Value>, StoreError> {
        self.scoped_setting("configs", "config", scope)
            .await?
            .map(|text| {
                serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("config: {e}")))
            })
            .transpose()
    }

    /// Every stored config, by scope.
    pub async fn configs(&mut self) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT scope, config FROM configs")
            .fetch_all(&mut *self.conn)
            .await?;
        rows.into_iter()
            .map(|(scope, text)| {
                serde_json::from_str(&text)
                    .map(|config| (scope, config))
                    .map_err(|e| StoreError::Corrupt(format!("config: {e}")))
            })
            .collect()
    }

    /// Every stored mode, by scope.
    pub async fn modes(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        Ok(
            sqlx::query_as("SELECT scope, mode FROM modes ORDER BY scope")
                .fetch_all(&mut *self.conn)
                .await?,
        )
    }

    pub async fn put_config(
        &mut self,
        scope: &str,
        config: &serde_json::Value,
    ) -> Result<(), StoreError> {
        self.put_scoped_setting("configs", "config", scope, &config.to_string())
            .await?;
        self.record(Change::Config {
            scope: scope.to_owned(),
        });
        Ok(())
    }

    pub async fn delete_config(&mut self, scope: &str) -> Result<(), StoreError> {
        self.delete_scoped_setting("configs", scope).await?;
        self.record(Change::Config {
            scope: scope.to_owned(),
        });
        Ok(())
    }

    pub async fn mode(&mut self, scope: &str) -> Result<Option<String>, StoreError> {
        self.scoped_setting("modes", "mode", scope).await
    }

    pub async fn put_mode(&mut self, scope: &str, mode: &str) -> Result<(), StoreError> {
        self.put_scoped_setting("modes", "mode", scope, mode)
            .await?;
        self.record(Change::Mode {
            scope: scope.to_owned(),
        });
        Ok(())
    }

    pub async fn delete_mode(&mut self, scope: &str) -> Result<(), StoreError> {
        self.delete_scoped_setting("modes", scope).await?;
        self.record(Change::Mode {
            scope: scope.to_owned(),
        });
        Ok(())
    }

    /// The configs and modes stored at these scopes, in one query: scope
    /// chains, read under a write lock. Each row is (`true` for a config,
    /// `false` for a mode, scope, value).
    pub async fn settings_at(
        &mut self,
        scopes: &[String],
    ) -> Result<Vec<(bool, String, String)>, StoreError> {
        if scopes.is_empty() {
            return Ok(Vec::new());
        }
        let placeholders: Vec<String> = (1..=scopes.len()).map(|n| format!("${n}")).collect();
        let placeholders = placeholders.join(", ");
        let sql = format!(
            "SELECT 1 AS is_config, scope, config AS value FROM configs WHERE scope IN ({placeholders}) \
             UNION ALL \
             SELECT 0 AS is_config, scope, mode AS value FROM modes WHERE scope IN ({placeholders})"
        );
        let mut query = sqlx::query_as::<_, (i64, String, String)>(&sql);
        for scope in scopes {
            query = query.bind(scope.as_str());
        }
        let rows = query.fetch_all(&mut *self.conn).await?;
        Ok(rows
            .into_iter()
            .map(|(is_config, scope, value)| (is_config == 1, scope, value))
            .collect())
    }

    /// What a registration re-validates under the lock, in one query: the
    /// subject's highest version number, its latest live version (number,
    /// schema id), and the id the content already has in the context.
    pub async fn registration_state(
        &mut self,
        context: &str,
        subject: &str,
        content_hash: &str,
    ) -> Result<RegistrationState, StoreError> {
        let (max_version, live_version, live_schema, existing): (
            Option<Version>,
            Option<Version>,
            Option<SchemaId>,
            Option<SchemaId>,
        ) = sqlx::query_as(
            "SELECT \
             (SELECT MAX(version) FROM subject_versions WHERE context = $1 AND subject = $2), \
             (SELECT version FROM subject_versions WHERE context = $1 AND subject = $2 AND deleted = 0 \
              ORDER BY version DESC LIMIT 1), \
             (SELECT schema_id FROM subject_versions WHERE context = $1 AND subject = $2 AND deleted = 0 \
              ORDER BY version DESC LIMIT 1), \
             (SELECT id FROM schemas WHERE context = $1 AND content_hash = $3)",
        )
        .bind(context)
        .bind(subject)
        .bind(content_hash)
        .fetch_one(&mut *self.conn)
        .await?;
        Ok(RegistrationState {
            max_version,
            latest_live: live_version.zip(live_schema),
            existing,
        })
    }

    // `table` and `column` below are always literals from this file.
    async fn scoped_setting(
        &mut self,
        table: &str,
        column: &str,
        scope: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar(&format!("SELECT {column} FROM {table} WHERE scope = $1"))
                .bind(scope)
                .fetch_optional(&mut *self.conn)
                .await?,
        )
    }

    async fn put_scoped_setting(
        &mut self,
        table: &str,
        column: &str,
        scope: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO {table} (scope, {column}) VALUES ($1, $2) \
             ON CONFLICT (scope) DO UPDATE SET {column} = excluded.{column}"
        ))
        .bind(scope)
        .bind(value)
        .execute(&mut *self.conn)
        .await?;
        Ok(())
    }

    async fn delete_scoped_setting(&mut self, table: &str, scope: &str) -> Result<(), StoreError> {
        sqlx::query(&format!("DELETE FROM {table} WHERE scope = $1"))
            .bind(scope)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }
}

impl Queries<'_> {
    /// The id of the schema with this content in a context.
    pub async fn id_by_hash(
        &mut self,
        context: &str,
        content_hash: &str,
    ) -> Result<Option<SchemaId>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM schemas WHERE context = $1 AND content_hash = $2")
                .bind(context)
                .bind(content_hash)
                .fetch_optional(&mut *self.conn)
                .await?,
        )
    }

    /// The highest id handed out in a context (`None`: none yet).
    pub async fn max_id(&mut self, context: &str) -> Result<Option<SchemaId>, StoreError> {
        let max_id: Option<i64> =
            sqlx::query_scalar("SELECT max_id FROM contexts WHERE context = $1")
                .bind(context)
                .fetch_optional(&mut *self.conn)
                .await?;
        stored_max_id(max_id.unwrap_or(0))
    }
}

/// Schemas (distinct ids in every context) and subjects with a live
/// version, per format: one scan each, read for the metrics.
pub(super) async fn format_counts(
    conn: &mut AnyConnection,
) -> Result<crate::metrics::FormatCounts, StoreError> {
    let schemas: Vec<(String, i64)> =
        sqlx::query_as("SELECT schema_type, COUNT(*) FROM schemas GROUP BY schema_type")
            .fetch_all(&mut *conn)
            .await?;
    let subjects: Vec<(String, i64)> = sqlx::query_as(
        "SELECT s.schema_type, COUNT(DISTINCT v.context || ':' || v.subject) \
         FROM subject_versions v JOIN schemas s ON s.context = v.context AND s.id = v.schema_id \
         WHERE v.deleted = 0 GROUP BY s.schema_type",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(crate::metrics::FormatCounts { schemas, subjects })
}
