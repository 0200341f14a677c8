//! The audit trail: who changed what, from where, and every failed sign-in
//! and denied request. Mutations write their event in the transaction of
//! the change (`record`); a request that changed nothing, failed or was
//! refused gets its event from the HTTP layer (`Auditor::record_alone`).
//! Events are hash-chained in the store; `verify` walks the chain.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::store::{
    event_hash, AuditEvent, AuditFilter, NewAuditEvent, Store, StoreError, WriteTx, GENESIS_HASH,
};

/// Who is doing what, for the events of one request (or CLI command).
#[derive(Debug)]
pub struct AuditScope {
    pub principal: String,
    pub source: String,
    pub request_id: String,
    /// A stable name: `schema.register`, `config.update`, `key.create`, …
    pub operation: &'static str,
    /// `Subject: name`, `Global: scope`, `Admin: principals`, …
    pub resource: String,
    /// Set once an event for this scope is committed.
    pub written: Arc<AtomicBool>,
}

impl AuditScope {
    pub fn new(
        principal: impl Into<String>,
        source: impl Into<String>,
        request_id: impl Into<String>,
        operation: &'static str,
        resource: impl Into<String>,
    ) -> Arc<AuditScope> {
        Arc::new(AuditScope {
            principal: principal.into(),
            source: source.into(),
            request_id: request_id.into(),
            operation,
            resource: resource.into(),
            written: Arc::new(AtomicBool::new(false)),
        })
    }

    pub fn is_written(&self) -> bool {
        self.written.load(Ordering::Acquire)
    }

    fn event(&self, outcome: &str, details: &Value) -> NewAuditEvent {
        NewAuditEvent {
            at: crate::store::now_millis(),
            principal: self.principal.clone(),
            source: self.source.clone(),
            request_id: self.request_id.clone(),
            operation: self.operation.to_owned(),
            resource: self.resource.clone(),
            outcome: outcome.to_owned(),
            details: details.to_string(),
        }
    }
}

tokio::task_local! {
    static CURRENT: Arc<AuditScope>;
}

/// Runs `work` with `scope` as the audit scope of every write it makes.
pub async fn scoped<F: std::future::Future>(scope: Arc<AuditScope>, work: F) -> F::Output {
    CURRENT.scope(scope, work).await
}

/// The scope of the running request, if it is audited.
pub fn current() -> Option<Arc<AuditScope>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Records a successful mutation in `tx`, the transaction that makes it,
/// under the running request's scope (nothing outside an audited request).
pub(crate) fn record(tx: &mut WriteTx, details: Value) {
    if let Some(scope) = current() {
        record_in(&scope, tx, details);
    }
}

/// `record` for a scope carried to another task (the group-commit writer).
pub(crate) fn record_in(scope: &AuditScope, tx: &mut WriteTx, details: Value) {
    tx.add_audit_event(scope.event("success", &details), scope.written.clone());
}

/// Denials and failed sign-ins recorded per second at most; the rest are
/// counted into the next recorded one, so a brute-force attempt cannot
/// flood the trail.
const REFUSALS_PER_SECOND: u32 = 20;

/// The operations of refused requests.
pub const REFUSALS: [&str; 2] = ["auth.failure", "access.denied"];

/// Writes the events the HTTP layer owns, and copies every event to an
/// optional JSON-lines file.
#[derive(Clone)]
pub struct Auditor {
    inner: Arc<AuditorInner>,
}

struct AuditorInner {
    store: Store,
    sink: Option<Mutex<std::fs::File>>,
    refusals: Mutex<(Instant, u32)>,
    suppressed: AtomicU64,
}

impl Auditor {
    pub fn new(store: Store, sink: Option<PathBuf>) -> std::io::Result<Auditor> {
        let sink = match sink {
            Some(path) => Some(Mutex::new(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)?,
            )),
            None => None,
        };
        Ok(Auditor {
            inner: Arc::new(AuditorInner {
                store,
                sink,
                refusals: Mutex::new((Instant::now(), 0)),
                suppressed: AtomicU64::new(0),
            }),
        })
    }

    /// An event in a transaction of its own: a request that changed
    /// nothing, failed, or was refused.
    pub async fn record_alone(
        &self,
        scope: &AuditScope,
        outcome: &str,
        mut details: Value,
    ) -> Result<(), StoreError> {
        if REFUSALS.contains(&scope.operation) {
            if !self.admit_refusal() {
                return Ok(());
            }
            let suppressed = self.inner.suppressed.swap(0, Ordering::AcqRel);
            if suppressed > 0 {
                if let Value::Object(map) = &mut details {
                    map.insert("suppressedBefore".to_owned(), suppressed.into());
                }
            }
        }
        let mut tx = self.inner.store.begin().await?;
        tx.add_audit_event(scope.event(outcome, &details), scope.written.clone());
        tx.commit().await?;
        Ok(())
    }

    fn admit_refusal(&self) -> bool {
        let mut window = self.inner.refusals.lock().expect("refusal window");
        if window.0.elapsed() >= Duration::from_secs(1) {
            *window = (Instant::now(), 0);
        }
        if window.1 < REFUSALS_PER_SECOND {
            window.1 += 1;
            true
        } else {
            self.inner.suppressed.fetch_add(1, Ordering::AcqRel);
            false
        }
    }

    /// Copies events committed since `after` to the JSON-lines sink;
    /// returns the last position copied.
    pub async fn ship(&self, after: i64) -> Result<i64, StoreError> {
        let Some(sink) = &self.inner.sink else {
            return Ok(after);
        };
        let events = events(
            &self.inner.store,
            &AuditFilter {
                after,
                limit: 1000,
                ..AuditFilter::default()
            },
        )
        .await?;
        let mut last = after;
        let mut file = sink.lock().expect("audit sink");
        for event in events {
            last = event.position;
            let line = serde_json::to_string(&event).expect("events serialize");
            if let Err(error) = writeln!(file, "{line}") {
                tracing::warn!(%error, "could not write the audit log file");
                break;
            }
        }
        Ok(last)
    }

    pub fn has_sink(&self) -> bool {
        self.inner.sink.is_some()
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }
}

/// The position of the last event written.
pub async fn head(store: &Store) -> Result<i64, StoreError> {
    let mut reader = store.reader().await?;
    Ok(reader.queries().audit_head().await?.0)
}

/// A page of the trail.
pub async fn events(store: &Store, filter: &AuditFilter) -> Result<Vec<AuditEvent>, StoreError> {
    let mut reader = store.reader().await?;
    reader.queries().audit_events(filter).await
}

/// A break in the chain, named by the event where it shows.
#[derive(Debug, PartialEq, Eq)]
pub enum ChainBreak {
    /// The event's columns no longer hash to its stored hash: edited.
    Edited { position: i64 },
    /// The event does not follow the one before it: one was removed or
    /// inserted before it.
    Unlinked {
        position: i64,
        expected_position: i64,
    },
    /// The head names an event that is not there: the last ones were removed.
    Truncated { head: i64, last: i64 },
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainBreak::Edited { position } => write!(
                f,
                "event {position} was changed: its content does not match its hash"
            ),
            ChainBreak::Unlinked {
                position,
                expected_position,
            } => write!(
                f,
                "event {position} does not follow the event before it (expected event {expected_position} with its hash): events were removed or inserted"
            ),
            ChainBreak::Truncated { head, last } => write!(
                f,
                "the trail ends at event {last} but {head} were written: the last events were removed"
            ),
        }
    }
}

/// Walks the whole chain; `Ok(count)` when it is intact.
pub async fn verify(store: &Store) -> Result<Result<i64, ChainBreak>, StoreError> {
    let mut previous_hash = GENESIS_HASH.to_owned();
    let mut expected = 1;
    loop {
        let page = events(
            store,
            &AuditFilter {
                after: expected - 1,
                limit: 1000,
                ..AuditFilter::default()
            },
        )
        .await?;
        let Some(last) = page.last().map(|event| event.position) else {
            break;
        };
        for event in &page {
            if event.position != expected || event.previous_hash != previous_hash {
                return Ok(Err(ChainBreak::Unlinked {
                    position: event.position,
                    expected_position: expected,
                }));
            }
            if event_hash(event.position, &event.as_new(), &previous_hash) != event.hash {
                return Ok(Err(ChainBreak::Edited {
                    position: event.position,
                }));
            }
            previous_hash = event.hash.clone();
            expected += 1;
        }
        debug_assert_eq!(last, expected - 1);
    }
    let (head, head_hash) = store.reader().await?.queries().audit_head().await?;
    if head != expected - 1 || head_hash != previous_hash {
        return Ok(Err(ChainBreak::Truncated {
            head,
            last: expected - 1,
        }));
    }
    Ok(Ok(head))
}
