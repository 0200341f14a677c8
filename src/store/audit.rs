//! The audit trail's SQL and its hash chain: each event's hash covers its
//! columns and the previous event's hash, so an edited, deleted or
//! inserted row shows as a break.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::queries::Queries;
use super::StoreError;

/// The hash before the first event.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event about to be appended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub at: i64,
    pub principal: String,
    pub source: String,
    pub request_id: String,
    pub operation: String,
    pub resource: String,
    /// `success`, `failure` or `denied`.
    pub outcome: String,
    /// JSON text.
    pub details: String,
}

/// An event as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    pub position: i64,
    pub at: i64,
    pub principal: String,
    pub source: String,
    pub request_id: String,
    pub operation: String,
    pub resource: String,
    pub outcome: String,
    pub details: serde_json::Value,
    pub previous_hash: String,
    pub hash: String,
    /// `details` as stored (and hashed).
    #[serde(skip)]
    pub details_text: String,
}

/// What a page of the trail is filtered by.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Events after this position.
    pub after: i64,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub principal: Option<String>,
    pub operation: Option<String>,
    /// Events on this resource (`Subject: name`, …).
    pub resource: Option<String>,
    pub limit: i64,
}

/// The hash of an event: SHA-256 over its columns, length-prefixed so that
/// no two different rows hash alike, and the previous hash.
pub fn event_hash(position: i64, event: &NewAuditEvent, previous_hash: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(position.to_be_bytes());
    hasher.update(event.at.to_be_bytes());
    for field in [
        &event.principal,
        &event.source,
        &event.request_id,
        &event.operation,
        &event.resource,
        &event.outcome,
        &event.details,
    ] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hasher.update(previous_hash.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl Queries<'_> {
    /// Appends events to the chain, in order. The head row's lock is held
    /// until the transaction ends, so appends follow commit order.
    pub async fn append_audit_events(
        &mut self,
        events: &[NewAuditEvent],
    ) -> Result<(), StoreError> {
        if events.is_empty() {
            return Ok(());
        }
        let (mut position, mut previous): (i64, String) = sqlx::query_as(
            "UPDATE audit_head SET position = position + $1 WHERE id = 1 RETURNING position - $1, hash",
        )
        .bind(events.len() as i64)
        .fetch_one(&mut *self.conn)
        .await?;
        for event in events {
            position += 1;
            let hash = event_hash(position, event, &previous);
            sqlx::query(
                "INSERT INTO audit_events (position, at, principal, source, request_id, operation, \
                 resource, outcome, details, previous_hash, hash) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(position)
            .bind(event.at)
            .bind(&event.principal)
            .bind(&event.source)
            .bind(&event.request_id)
            .bind(&event.operation)
            .bind(&event.resource)
            .bind(&event.outcome)
            .bind(&event.details)
            .bind(&previous)
            .bind(&hash)
            .execute(&mut *self.conn)
            .await?;
            previous = hash;
        }
        sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
            .bind(&previous)
            .execute(&mut *self.conn)
            .await?;
        Ok(())
    }

    /// The head: (last position, last hash).
    pub async fn audit_head(&mut self) -> Result<(i64, String), StoreError> {
        Ok(
            sqlx::query_as("SELECT position, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *self.conn)
                .await?,
        )
    }

    /// Events in position order, filtered; `details` parsed.
    pub async fn audit_events(
        &mut self,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT position, at, principal, source, request_id, operation, resource, outcome, \
             details, previous_hash, hash FROM audit_events \
             WHERE position > $1 AND at >= $2 AND at <= $3 \
             AND ($4 = '' OR principal = $4) AND ($5 = '' OR operation = $5) \
             AND ($6 = '' OR resource = $6) \
             ORDER BY position LIMIT $7",
        )
        .bind(filter.after)
        .bind(filter.since.unwrap_or(i64::MIN))
        .bind(filter.until.unwrap_or(i64::MAX))
        .bind(filter.principal.as_deref().unwrap_or(""))
        .bind(filter.operation.as_deref().unwrap_or(""))
        .bind(filter.resource.as_deref().unwrap_or(""))
        .bind(filter.limit)
        .fetch_all(&mut *self.conn)
        .await?;
        rows.iter()
            .map(|row| {
                let details: String = row.try_get("details")?;
                Ok(AuditEvent {
                    position: row.try_get("position")?,
                    at: row.try_get("at")?,
                    principal: row.try_get("principal")?,
                    source: row.try_get("source")?,
                    request_id: row.try_get("request_id")?,
                    operation: row.try_get("operation")?,
                    resource: row.try_get("resource")?,
                    outcome: row.try_get("outcome")?,
                    // A row whose details are not JSON was edited: shown as
                    // text, and `verify` reports it.
                    details: serde_json::from_str(&details)
                        .unwrap_or_else(|_| serde_json::Value::String(details.clone())),
                    previous_hash: row.try_get("previous_hash")?,
                    hash: row.try_get("hash")?,
                    details_text: details,
                })
            })
            .collect()
    }
}

impl AuditEvent {
    /// The event's columns as they were hashed.
    pub fn as_new(&self) -> NewAuditEvent {
        NewAuditEvent {
            at: self.at,
            principal: self.principal.clone(),
            source: self.source.clone(),
            request_id: self.request_id.clone(),
            operation: self.operation.clone(),
            resource: self.resource.clone(),
            outcome: self.outcome.clone(),
            details: self.details_text.clone(),
        }
    }
}
