//! What is particular to SQLite.

use sqlx::{AnyConnection, Executor};

/// Adds `mode=rwc` so that `sqlite://accord.db` creates the file.
pub(super) fn connection_url(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_owned()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

/// WAL lets readers run beside the single writer; the busy timeout makes a
/// second writer wait for the lock instead of failing at once.
/// `synchronous = FULL` syncs the WAL at every commit, so an acknowledged
/// registration (and the id it handed out) survives a power loss; NORMAL
/// would only survive a crash of the process.
pub(super) async fn prepare_connection(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA busy_timeout = 30000").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    Ok(())
}
