//! What is particular to SQLite.

use std::sync::atomic::{AtomicUsize, Ordering};

use sqlx::{AnyConnection, Executor};

use super::StoreError;

/// The database a SQLite URL names, as the pool must open it.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SqliteTarget {
    /// What every pooled connection opens.
    pub url: String,
    /// One in-memory database shared by the process's connections: it lives
    /// while one of them is open, so the store keeps one open for good.
    pub in_memory: bool,
}

static NEXT_MEMORY_DATABASE: AtomicUsize = AtomicUsize::new(0);

/// Reads a `sqlite:` URL (or `memory`), refusing what the registry cannot
/// serve correctly: a read-only or immutable file cannot take writes, and a
/// private-cache in-memory database is a different empty database on every
/// pooled connection.
///
/// A file is created if missing (`mode=rwc`). `memory`, `sqlite::memory:`
/// and `mode=memory` open one shared-cache in-memory database under a name
/// of its own: sqlx names `:memory:` anew each time a connection is opened,
/// which is the one-empty-database-per-connection fault.
pub(super) fn target(url: &str) -> Result<SqliteTarget, StoreError> {
    let refuse = |reason: &str| StoreError::UnservableUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    if url == "memory" {
        return Ok(memory_target());
    }
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .ok_or_else(|| refuse("expected sqlite://FILE, sqlite::memory: or memory"))?;
    let (database, params) = match rest.split_once('?') {
        Some((database, params)) => (database, Some(params)),
        None => (rest, None),
    };
    let mut in_memory = database == ":memory:";
    let mut mode_given = false;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(params.unwrap_or(""))
        .map_err(|_| refuse("its query string does not parse"))?;
    let memory_mode = pairs.iter().any(|(k, v)| k == "mode" && v == "memory");
    for (key, value) in &pairs {
        match (key.as_str(), value.as_str()) {
            ("mode", "ro") => return Err(refuse("a read-only database (mode=ro) cannot take writes")),
            ("mode", "memory") => in_memory = true,
            ("mode", "rw" | "rwc") => mode_given = true,
            ("cache", "private") if in_memory || memory_mode => {
                return Err(refuse(
                    "a private-cache in-memory database (cache=private) is a different empty database on every connection",
                ))
            }
            ("immutable", "1" | "true") => {
                return Err(refuse("an immutable database (immutable=1) cannot take writes"))
            }
            _ => {}
        }
    }
    if in_memory {
        return Ok(memory_target());
    }
    if database.is_empty() {
        return Err(refuse(
            "no file named: use sqlite://FILE, or memory for an in-memory database",
        ));
    }
    let url = match (mode_given, params) {
        (true, _) => url.to_owned(),
        (false, Some(_)) => format!("{url}&mode=rwc"),
        (false, None) => format!("{url}?mode=rwc"),
    };
    Ok(SqliteTarget {
        url,
        in_memory: false,
    })
}

fn memory_target() -> SqliteTarget {
    let n = NEXT_MEMORY_DATABASE.fetch_add(1, Ordering::Relaxed);
    SqliteTarget {
        url: format!(
            "sqlite:file:accord-memory-{}-{n}?mode=memory&cache=shared",
            std::process::id()
        ),
        in_memory: true,
    }
}

/// WAL lets readers run beside the single writer; the busy timeout makes a
/// second writer wait for the lock instead of failing at once.
/// `synchronous = FULL` syncs the WAL at every commit, so an acknowledged
/// registration (and the id it handed out) survives a power loss; NORMAL
/// would only survive a crash of the process. (An in-memory database keeps
/// its own journal mode; the pragmas cost it nothing.)
pub(super) async fn prepare_connection(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA busy_timeout = 30000").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_created_if_missing() {
        assert_eq!(
            target("sqlite://accord.db").unwrap().url,
            "sqlite://accord.db?mode=rwc"
        );
        assert_eq!(
            target("sqlite:///var/lib/a.db?cache=shared").unwrap().url,
            "sqlite:///var/lib/a.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            target("sqlite://a.db?mode=rw").unwrap().url,
            "sqlite://a.db?mode=rw"
        );
    }

    #[test]
    fn every_spelling_of_memory_is_one_shared_database_of_its_own() {
        for url in [
            "memory",
            "sqlite::memory:",
            "sqlite://:memory:",
            "sqlite://x?mode=memory",
        ] {
            let first = target(url).unwrap();
            assert!(first.in_memory, "{url}");
            assert!(
                first.url.ends_with("?mode=memory&cache=shared"),
                "{url}: {}",
                first.url
            );
            assert_ne!(
                first.url,
                target(url).unwrap().url,
                "two stores share a database"
            );
        }
    }

    #[test]
    fn what_cannot_take_writes_is_refused_with_the_reason() {
        for (url, reason) in [
            ("sqlite://a.db?mode=ro", "mode=ro"),
            ("sqlite://a.db?immutable=1", "immutable=1"),
            ("sqlite::memory:?cache=private", "cache=private"),
            ("sqlite://", "no file named"),
            ("mysql://localhost/db", "expected sqlite://"),
        ] {
            let error = target(url).unwrap_err().to_string();
            assert!(error.contains(reason), "{url}: {error}");
            assert!(!error.contains('\n'), "{error}");
        }
    }
}
