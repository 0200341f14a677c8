//! Persistence. One `Store` over sqlx's `Any` driver: the SQL is shared by
//! SQLite (the embedded default) and PostgreSQL (production, several Accord
//! processes on one database); what differs lives in `sqlite.rs` and
//! `postgres.rs`.
//!
//! Concurrency guarantees are enforced by the database, not by process-local
//! locks: every write transaction first upserts its context's row in
//! `contexts` (PostgreSQL: a row lock held to commit; SQLite: the database
//! write lock), so checks and inserts in one context are atomic across
//! processes, and unique constraints back the invariants.

mod audit;
mod changes;
mod migrate;
mod postgres;
mod queries;
mod security;
mod sqlite;
mod values;

use std::time::{Duration, Instant};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Transaction};

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::domain::SchemaId;

pub use audit::{event_hash, AuditEvent, AuditFilter, NewAuditEvent, GENESIS_HASH};
pub(crate) use changes::{Change, ChangePage, CHANNEL as CHANGE_CHANNEL};
pub(crate) use queries::now_millis;
pub(crate) use queries::{
    ListFilter, LiveFilter, Queries, RegistrationState, SchemaRecord, VersionRecord,
};
pub(crate) use security::{ApiKeyRecord, BindingRecord, PrincipalRecord};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} failed")]
    Migration {
        version: i64,
        #[source]
        source: sqlx::Error,
    },
    #[error("unsupported database URL {0:?}: expected sqlite://FILE, memory or postgres://")]
    UnsupportedUrl(String),
    #[error("cannot serve the database URL {url:?}: {reason}")]
    UnservableUrl { url: String, reason: String },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether a unique constraint refused the write (a concurrent writer
    /// got there first).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(error))
            if error.kind() == sqlx::error::ErrorKind::UniqueViolation)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// This process's name in the change log: the changes it wrote itself
    /// are applied already and are skipped when it reads the log.
    origin: std::sync::Arc<str>,
    /// An in-memory database's own connection, outside the pool, so that
    /// the database outlives the pool's idle connections.
    _memory_keeper: Option<MemoryKeeper>,
    waits: Arc<PoolWaits>,
}

/// Connections taken from the pool, and the time spent waiting for them.
#[derive(Debug, Default)]
struct PoolWaits {
    count: AtomicU64,
    nanos: AtomicU64,
}

impl PoolWaits {
    fn count(&self, started: Instant) {
        let waited = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.nanos.fetch_add(waited, Ordering::Relaxed);
    }
}

/// The pool's figures at one moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolStatus {
    /// Connections open, in use or idle.
    pub size: u32,
    pub idle: u32,
    pub max: u32,
    /// Connections taken and write transactions begun, since start.
    pub acquires: u64,
    /// Time spent waiting for them, since start.
    pub wait: Duration,
}

#[derive(Clone)]
struct MemoryKeeper {
    _connection: Arc<tokio::sync::Mutex<sqlx::AnyConnection>>,
}

impl std::fmt::Debug for MemoryKeeper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemoryKeeper")
    }
}

impl Store {
    /// Connects, creating a SQLite file if missing, and applies migrations.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") || url == "memory" {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(
                crate::settings::redact_password(url),
            ));
        };
        let (url, in_memory) = match backend {
            Backend::Sqlite => {
                let target = sqlite::target(url).map_err(|error| match error {
                    StoreError::UnservableUrl { reason, .. } => StoreError::UnservableUrl {
                        url: crate::settings::redact_password(url),
                        reason,
                    },
                    other => other,
                })?;
                (target.url, target.in_memory)
            }
            Backend::Postgres => (url.to_owned(), false),
        };
        let options: AnyConnectOptions = url.parse()?;
        let mut pool_options = AnyPoolOptions::new()
            .max_connections(match backend {
                Backend::Sqlite => 8,
                Backend::Postgres => 16,
            })
            .acquire_timeout(Duration::from_secs(10));
        if in_memory {
            // Closing the last connection would drop the database.
            pool_options = pool_options.idle_timeout(None).max_lifetime(None);
        }
        let pool = pool_options
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        sqlite::prepare_connection(conn).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let memory_keeper = if in_memory {
            Some(MemoryKeeper {
                _connection: Arc::new(tokio::sync::Mutex::new(pool.acquire().await?.detach())),
            })
        } else {
            None
        };
        let store = Store {
            pool,
            backend,
            origin: process_origin().into(),
            _memory_keeper: memory_keeper,
            waits: Arc::default(),
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The last change-log position handed out.
    pub(crate) async fn change_head(&self) -> Result<i64, StoreError> {
        let mut conn = self.acquire().await?;
        changes::head(&mut conn).await
    }

    /// Up to `limit` changes after `position` that other processes wrote.
    pub(crate) async fn changes_after(
        &self,
        position: i64,
        limit: i64,
    ) -> Result<ChangePage, StoreError> {
        let mut conn = self.acquire().await?;
        changes::after(&mut conn, position, &self.origin, limit).await
    }

    /// Drops change-log entries older than `max_age`.
    pub(crate) async fn prune_changes(&self, max_age: Duration) -> Result<u64, StoreError> {
        let mut conn = self.acquire().await?;
        changes::prune(&mut conn, max_age.as_millis() as i64).await
    }

    /// SQLite: writes a consistent copy of the database to `path` (`VACUUM
    /// INTO` reads in one transaction; WAL lets writers go on meanwhile).
    pub async fn backup_into(&self, path: &str) -> Result<(), StoreError> {
        sqlx::query("VACUUM INTO $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Answers once the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// A pooled connection for reads.
    pub(crate) async fn reader(&self) -> Result<Reader, StoreError> {
        Ok(Reader {
            conn: self.acquire().await?,
        })
    }

    /// Begins a write transaction in `context`, holding that context's write
    /// lock until commit or drop. Returns with the lock taken.
    pub(crate) async fn begin_write(&self, context: &str) -> Result<WriteTx, StoreError> {
        let mut tx = self.begin().await?;
        tx.lock_context(context).await?;
        Ok(tx)
    }

    /// Begins a write transaction that holds no context's lock yet (config,
    /// modes; a group of registrations locks each context it writes to).
    pub(crate) async fn begin(&self) -> Result<WriteTx, StoreError> {
        Ok(WriteTx {
            tx: self.begin_transaction().await?,
            locked: Vec::new(),
            changes: Vec::new(),
            audit: Vec::new(),
            store: self.clone(),
        })
    }

    /// On SQLite, takes the write lock at `BEGIN`, waiting for it up to the
    /// busy timeout. A deferred transaction that reads first fails at once
    /// (SQLITE_BUSY, no waiting) when it must upgrade to a writer while
    /// another connection writes or has written since its read began.
    async fn begin_transaction(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let started = Instant::now();
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        };
        self.waits.count(started);
        Ok(tx?)
    }

    /// A pooled connection, its wait counted for the metrics.
    async fn acquire(&self) -> Result<PoolConnection<Any>, StoreError> {
        let started = Instant::now();
        let conn = self.pool.acquire().await;
        self.waits.count(started);
        Ok(conn?)
    }

    /// The pool's figures, for the metrics.
    pub fn pool_status(&self) -> PoolStatus {
        PoolStatus {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
            acquires: self.waits.count.load(Ordering::Relaxed),
            wait: Duration::from_nanos(self.waits.nanos.load(Ordering::Relaxed)),
        }
    }

    /// Schemas (distinct ids) and subjects with a live version, per format.
    pub async fn format_counts(&self) -> Result<crate::metrics::FormatCounts, StoreError> {
        let mut conn = self.acquire().await?;
        queries::format_counts(&mut conn).await
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

pub(crate) struct Reader {
    conn: PoolConnection<Any>,
}

impl Reader {
    pub fn queries(&mut self) -> Queries<'_> {
        Queries::new(&mut self.conn)
    }
}

/// A write transaction; rolled back if dropped without `commit`.
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    /// The contexts whose lock this transaction holds, with the highest id
    /// handed out in each and whether this transaction raised it.
    locked: Vec<(String, Option<SchemaId>, bool)>,
    /// What the writes so far changed, for the caches.
    changes: Vec<Change>,
    /// Audit events to append at commit, each with the flag that says it
    /// was written (set once the commit succeeds).
    audit: Vec<(NewAuditEvent, Arc<AtomicBool>)>,
    store: Store,
}

impl WriteTx {
    pub fn queries(&mut self) -> Queries<'_> {
        Queries::recording(&mut self.tx, &mut self.changes)
    }

    /// Takes `context`'s write lock (once per transaction); held to commit.
    pub async fn lock_context(&mut self, context: &str) -> Result<(), StoreError> {
        if self.locked.iter().any(|(locked, _, _)| locked == context) {
            return Ok(());
        }
        let (max_id, created) = queries::lock_context(&mut self.tx, context).await?;
        if created {
            self.changes.push(Change::Contexts);
        }
        self.locked.push((context.to_owned(), max_id, false));
        Ok(())
    }

    /// The highest id handed out in a locked context, this transaction's
    /// own included.
    pub fn max_id(&self, context: &str) -> Option<SchemaId> {
        self.locked
            .iter()
            .find(|(locked, _, _)| locked == context)
            .and_then(|(_, max_id, _)| *max_id)
    }

    /// Raises a locked context's id high-water mark (imported ids count
    /// too); written once, at commit.
    pub fn raise_max_id(&mut self, context: &str, id: SchemaId) {
        if let Some((_, max_id, raised)) = self
            .locked
            .iter_mut()
            .find(|(locked, _, _)| locked == context)
        {
            if Some(id) > *max_id {
                *max_id = Some(id);
                *raised = true;
            }
        }
    }

    /// Appends an audit event to the chain at commit, in this transaction;
    /// `written` is set once the commit succeeds.
    pub fn add_audit_event(&mut self, event: NewAuditEvent, written: Arc<AtomicBool>) {
        self.audit.push((event, written));
    }

    /// Commits, and returns what the transaction changed. On PostgreSQL the
    /// changes are appended to the change log in the same transaction, and
    /// the other replicas are notified when it commits.
    pub async fn commit(mut self) -> Result<Vec<Change>, StoreError> {
        for (context, max_id, raised) in &self.locked {
            if let (true, Some(max_id)) = (*raised, max_id) {
                Queries::new(&mut self.tx)
                    .raise_max_id(context, *max_id)
                    .await?;
            }
        }
        if self.store.backend == Backend::Postgres && !self.changes.is_empty() {
            changes::append(&mut self.tx, &self.store.origin, &self.changes).await?;
        }
        let events: Vec<NewAuditEvent> =
            self.audit.iter().map(|(event, _)| event.clone()).collect();
        Queries::new(&mut self.tx)
            .append_audit_events(&events)
            .await?;
        self.tx.commit().await?;
        for (_, written) in &self.audit {
            written.store(true, Ordering::Release);
        }
        Ok(self.changes)
    }
}

/// A name for this process that no other process sharing the database has.
fn process_origin() -> String {
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!("{}:{}:{started}", host.trim(), std::process::id())
}
