//! Storage: one code path over SQLite and PostgreSQL through sqlx's `Any`
//! driver, with portable SQL (`$1` placeholders, `RETURNING`, integers for
//! times and money).
//!
//! [`Db`] holds two pools. On PostgreSQL they are the same pool. On SQLite,
//! which allows one writer at a time, writes go through a pool of exactly one
//! connection so that writers queue in the process instead of spinning on
//! `SQLITE_BUSY`, while reads use one connection per core (WAL mode).
//!
//! The submodules hold the queries, one per table group; they take an
//! executor or a [`Tx`] explicitly and know nothing of HTTP or of the
//! product's rules. [`batch`] lets concurrent callers share statements;
//! [`reader`] (token and client lookups) and [`limiter`] (rate-limit
//! counters) are built on it. Rows derive `sqlx::FromRow`, read by column
//! name. Nothing outside `store` names an `sqlx` type.
//!
//! May touch: `sqlx` and its own submodules. Never `domain` or an entry
//! point.

pub mod activity;
pub mod audit;
pub mod batch;
pub mod catalog;
pub mod catalog_cache;
pub mod clients;
pub mod codes;
pub mod companies;
pub mod keys;
pub mod ledger;
pub mod limiter;
pub mod links;
pub mod migrate;
pub mod operators;
pub mod orders;
pub mod outbox;
pub mod rate_limits;
pub mod reader;
pub mod reports;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod webhooks;

use std::{str::FromStr, time::Duration};

use sqlx::{
    any::{AnyConnectOptions, AnyPoolOptions},
    AnyPool, Executor,
};

/// Which database engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// SQLite (embedded, one node).
    Sqlite,
    /// PostgreSQL (any number of nodes).
    Postgres,
}

/// A transaction on the writer pool. Code outside `store` passes it to store
/// functions (it dereferences to the connection they run statements on)
/// and commits or rolls it back; it never runs SQL of its own.
#[derive(Debug)]
pub struct Tx(sqlx::Transaction<'static, sqlx::Any>);

impl Tx {
    /// Makes every change of the transaction durable.
    pub async fn commit(self) -> StoreResult<()> {
        Ok(self.0.commit().await?)
    }

    /// Undoes every change of the transaction.
    pub async fn rollback(self) -> StoreResult<()> {
        Ok(self.0.rollback().await?)
    }
}

impl std::ops::Deref for Tx {
    type Target = sqlx::AnyConnection;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Tx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

/// Database handle, cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    engine: Engine,
    read: AnyPool,
    write: AnyPool,
}

/// A storage failure. The detail is for logs only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The driver failed (connection, constraint, syntax).
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Rows changed in a way their locks should have prevented (the
    /// transaction is rolled back).
    #[error("inconsistent data: {0}")]
    Inconsistent(&'static str),
    /// A batch worker failed or stopped; the text says why.
    #[error("batched storage call failed: {0}")]
    Batch(String),
    /// A migration failed.
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        /// Version number.
        version: i64,
        /// File name.
        name: &'static str,
        /// Driver error.
        source: sqlx::Error,
    },
}

impl StoreError {
    /// True when the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlx(sqlx::Error::Database(db)) => db.is_unique_violation(),
            _ => false,
        }
    }
}

/// Result of a storage call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Reads a row into a struct that derives `sqlx::FromRow` (columns by
/// name, so every `SELECT` names its columns as the struct's fields).
fn read<T: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>>(row: sqlx::any::AnyRow) -> StoreResult<T> {
    Ok(T::from_row(&row)?)
}

impl Db {
    /// Connects to `url` (`sqlite://path` creates the file; `postgres://...`).
    pub async fn connect(url: &str, max_connections: u32) -> StoreResult<Self> {
        sqlx::any::install_default_drivers();
        if url.starts_with("sqlite:") {
            let url = sqlite_url_with_create(url);
            let options = AnyConnectOptions::from_str(&url)?;
            let pool = |max: u32| {
                AnyPoolOptions::new()
                    .max_connections(max)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    // A file opened in the process has no connection to
                    // lose: no ping (a round trip to the connection's
                    // thread) before each use.
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                // busy_timeout first: switching to WAL
                                // needs a lock another process may hold.
                                // secure_delete: deleted and overwritten
                                // content (sent link URLs) is zeroed, not
                                // left in free space.
                                "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; \
                                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; \
                                 PRAGMA secure_delete = ON;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect_with(options.clone())
            };
            let write = pool(1).await?;
            // Each SQLite connection is a thread doing CPU work in this
            // process: more readers than cores only adds thread switches.
            let cores = std::thread::available_parallelism().map_or(4, |n| n.get() as u32);
            let read = pool(max_connections.min(cores.max(2)).clamp(1, 8)).await?;
            Ok(Self {
                engine: Engine::Sqlite,
                read,
                write,
            })
        } else {
            let options = AnyConnectOptions::from_str(url)?;
            let pool = AnyPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await?;
            Ok(Self {
                engine: Engine::Postgres,
                read: pool.clone(),
                write: pool,
            })
        }
    }

    /// The engine behind this handle.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Pool for reads that need no transaction.
    pub fn reader(&self) -> &AnyPool {
        &self.read
    }

    /// Pool for single-statement writes outside a transaction.
    pub fn writer(&self) -> &AnyPool {
        &self.write
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(Tx(self.write.begin().await?))
    }

    /// After secrets were overwritten (a sent link e-mail's URL): on SQLite,
    /// copies the write-ahead log into the database and truncates it, so
    /// that the old row versions are no longer in any file (with
    /// `secure_delete` the database's own free space is zeroed). Returns
    /// false when readers kept the log from being truncated; call again
    /// later. PostgreSQL keeps its own log and dead row versions until
    /// vacuum: nothing to do here.
    pub async fn scrub_log(&self) -> StoreResult<bool> {
        if self.engine == Engine::Postgres {
            return Ok(true);
        }
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.write)
            .await?;
        Ok(busy == 0)
    }

    /// Cheap round trip used by `/readyz`.
    pub async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    /// Closes both pools.
    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// The file of a `sqlite:` database URL (`None` for other engines and for
/// in-memory databases).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path.contains(":memory:") {
        return None;
    }
    Some(std::path::PathBuf::from(path))
}

/// Adds `mode=rwc` so that a missing SQLite file is created.
fn sqlite_url_with_create(url: &str) -> String {
    if url.contains("mode=") || url.contains(":memory:") {
        url.to_string()
    } else if url.contains('?') {
        format!("{url}&mode=rwc")
    } else {
        format!("{url}?mode=rwc")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(sqlite_path("sqlite://g.db"), Some("g.db".into()));
        assert_eq!(
            sqlite_path("sqlite:///tmp/g.db?mode=rwc"),
            Some("/tmp/g.db".into())
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }

    #[test]
    fn sqlite_urls_create_the_file() {
        assert_eq!(
            sqlite_url_with_create("sqlite://g.db"),
            "sqlite://g.db?mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite://g.db?cache=shared"),
            "sqlite://g.db?cache=shared&mode=rwc"
        );
        assert_eq!(
            sqlite_url_with_create("sqlite://g.db?mode=ro"),
            "sqlite://g.db?mode=ro"
        );
    }
}

/// Builds a statement whose parameter count depends on the data (multi-row
/// inserts, `IN` lists). Parameters are appended in bind order: `?` on
/// SQLite, whose lookup of numbered (`$n`) parameters is linear per
/// parameter and so quadratic per statement, and `$n` on PostgreSQL.
#[derive(Debug)]
pub struct DynSql {
    numbered: bool,
    count: usize,
    text: String,
}

impl DynSql {
    /// Starts a statement for the connection's engine.
    pub fn new(conn: &sqlx::AnyConnection, head: &str) -> Self {
        Self {
            numbered: conn.backend_name() != "SQLite",
            count: 0,
            text: head.to_string(),
        }
    }

    /// Appends literal SQL.
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.text.push_str(sql);
        self
    }

    /// Appends the next parameter.
    pub fn param(&mut self) -> &mut Self {
        self.count += 1;
        if self.numbered {
            self.text.push_str(&format!("${}", self.count));
        } else {
            self.text.push('?');
        }
        self
    }

    /// Appends `n` parameters separated by commas.
    pub fn params(&mut self, n: usize) -> &mut Self {
        for i in 0..n {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.param();
        }
        self
    }

    /// Appends `count` row tuples separated by commas, `(…), (…)`, each
    /// written inside its parentheses by `row` (parameters and literals).
    pub fn rows(&mut self, count: usize, row: impl Fn(&mut Self)) -> &mut Self {
        for i in 0..count {
            self.text.push_str(if i == 0 { "(" } else { ", (" });
            row(self);
            self.text.push(')');
        }
        self
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.text
    }
}
