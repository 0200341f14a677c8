//! Following the other replicas' writes (PostgreSQL): a task LISTENs for the
//! writers' notifications, polls as a fallback, and applies every change
//! logged after the last position it saw to this process's caches. A replica
//! that missed entries (pruned while it was cut off) drops its caches.

use std::str::FromStr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};

use super::Registry;
use crate::store::{Backend, StoreError, CHANGE_CHANNEL};

/// How long a write on one replica may stay unseen on another: a
/// notification arrives in milliseconds; without one, the log is polled
/// every `POLL_INTERVAL`. A replica that has not caught up within this
/// bound reports itself not ready.
pub const STALENESS_BOUND: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Log entries older than this are pruned; a replica cut off for longer
/// starts its caches afresh.
const LOG_RETENTION: Duration = Duration::from_secs(600);
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);
const PAGE: i64 = 1000;
/// The notification connection's name in `pg_stat_activity`.
pub const LISTENER_APPLICATION_NAME: &str = "accord-change-listener";

/// Whether this replica's caches are caught up with the change log.
#[derive(Clone)]
pub struct ChangeFollower {
    state: Arc<FollowerState>,
    task: Option<Arc<TaskGuard>>,
}

struct FollowerState {
    position: AtomicI64,
    caught_up_at: Mutex<Option<Instant>>,
}

struct TaskGuard(tokio::task::JoinHandle<()>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl ChangeFollower {
    /// Starts following the log (PostgreSQL); SQLite serves one process,
    /// which needs no follower and is always caught up.
    pub async fn start(registry: Registry, database_url: &str) -> Result<Self, StoreError> {
        let state = Arc::new(FollowerState {
            position: AtomicI64::new(0),
            caught_up_at: Mutex::new(Some(Instant::now())),
        });
        if registry.store().backend() != Backend::Postgres {
            return Ok(ChangeFollower { state, task: None });
        }
        // The caches start empty: what was logged before now is irrelevant.
        state
            .position
            .store(registry.store().change_head().await?, Ordering::Release);
        let options =
            PgConnectOptions::from_str(database_url)?.application_name(LISTENER_APPLICATION_NAME);
        let task = tokio::spawn(follow(registry, options, state.clone()));
        Ok(ChangeFollower {
            state,
            task: Some(Arc::new(TaskGuard(task))),
        })
    }

    /// How far behind the change log this replica is: positions written
    /// (by any replica) after the last one applied, and seconds since it
    /// last caught up. `None` where there is no log to follow (SQLite).
    pub async fn lag(&self, store: &crate::store::Store) -> Option<(i64, f64)> {
        self.task.as_ref()?;
        let head = store.change_head().await.ok()?;
        let position = self.state.position.load(Ordering::Acquire);
        let since = self
            .state
            .caught_up_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .map_or(f64::INFINITY, |at| at.elapsed().as_secs_f64());
        Some(((head - position).max(0), since))
    }

    /// Caught up within the staleness bound.
    pub fn is_ready(&self) -> bool {
        if self.task.is_none() {
            return true;
        }
        let caught_up_at = *self
            .state
            .caught_up_at
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        caught_up_at.is_some_and(|at| at.elapsed() < STALENESS_BOUND)
    }
}

async fn follow(registry: Registry, options: PgConnectOptions, state: Arc<FollowerState>) {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let mut listener: Option<PgListener> = None;
    let mut last_prune = Instant::now();
    loop {
        if listener.is_none() {
            match listen(&pool).await {
                Ok(connected) => listener = Some(connected),
                Err(error) => {
                    tracing::warn!(error = %error, "change log: cannot listen; polling");
                }
            }
        }
        let woken = async {
            match listener.as_mut() {
                // `None` means the connection was lost (and is re-made on
                // the next call): notifications may have been missed, which
                // the catch-up below covers.
                Some(listening) => listening.try_recv().await.map(|_| ()),
                None => std::future::pending().await,
            }
        };
        if let Ok(Err(error)) = tokio::time::timeout(POLL_INTERVAL, woken).await {
            tracing::warn!(error = %error, "change log: notification connection failed");
            listener = None;
        }
        match catch_up(&registry, &state).await {
            Ok(()) => {
                *state.caught_up_at.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(Instant::now());
            }
            Err(error) => tracing::warn!(error = %error, "change log: cannot read"),
        }
        if last_prune.elapsed() > PRUNE_INTERVAL {
            last_prune = Instant::now();
            if let Err(error) = registry.store().prune_changes(LOG_RETENTION).await {
                tracing::warn!(error = %error, "change log: cannot prune");
            }
        }
    }
}

async fn listen(pool: &sqlx::PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANGE_CHANNEL).await?;
    Ok(listener)
}

/// Applies every change after the last position seen.
async fn catch_up(registry: &Registry, state: &FollowerState) -> Result<(), StoreError> {
    let store = registry.store();
    loop {
        let position = state.position.load(Ordering::Acquire);
        // The head first: a position it shows was committed with its rows,
        // so rows missing after it were pruned, not in flight.
        let head = store.change_head().await?;
        if head <= position {
            return Ok(());
        }
        let page = store.changes_after(position, PAGE).await?;
        match (page.first, page.last) {
            (Some(first), Some(last)) if first == position + 1 => {
                registry.apply_changes(&page.changes);
                state.position.store(last, Ordering::Release);
            }
            _ => {
                tracing::warn!(
                    position,
                    head,
                    "change log: entries were pruned before this replica read them; dropping every cache"
                );
                registry.caches().invalidate_all();
                state.position.store(head, Ordering::Release);
                return Ok(());
            }
        }
    }
}
