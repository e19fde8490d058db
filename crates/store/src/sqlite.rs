//! SQLite, the embedded default. WAL mode, a busy timeout so concurrent
//! writers wait instead of failing, and single statements (conditional
//! UPDATE/DELETE ... RETURNING) wherever a value must be taken exactly once.

use crate::sql::impl_store;
use crate::{PoolSettings, backend};
use portico_core::infra::store::{StoreError, StoreResult};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    /// Reads: several connections, which WAL lets run beside a write.
    pool: SqlitePool,
    /// Writes: one connection. SQLite runs one write at a time anyway; with
    /// several writing connections the losers wait in SQLite's busy
    /// handler, which sleeps (1, 2, 5, 10… ms) instead of queueing, and
    /// that sleep was the round trip's p99 (BENCHMARKS.md). Here writes
    /// queue in order for the connection instead.
    writer: SqlitePool,
    /// The database file (None for in-memory databases).
    file: Option<std::path::PathBuf>,
}

impl SqliteStore {
    pub async fn open(url: &str, settings: &PoolSettings) -> StoreResult<Self> {
        let opts = url_options(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let file = Some(opts.get_filename().to_path_buf())
            .filter(|p| !p.as_os_str().is_empty() && p != std::path::Path::new(":memory:"));
        // Creating the file and switching it to WAL needs an exclusive lock
        // that SQLite refuses at once (SQLITE_BUSY, no busy handler) when a
        // second process does the same at the same moment. Opening under
        // the same OS lock as the migrations serialises that first step.
        let _lock = match &file {
            Some(f) => Some(file_lock(f).await?),
            None => None,
        };
        let open_error = |e: sqlx::Error| {
            StoreError::Backend(format!("cannot open the SQLite database {url}: {e}"))
        };
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(settings.min_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(settings.idle_timeout)
            .connect_with(opts.clone())
            .await
            .map_err(open_error)?;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(settings.min_connections.min(1))
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(settings.idle_timeout)
            .connect_with(opts)
            .await
            .map_err(open_error)?;
        Ok(Self { pool, writer, file })
    }

    /// Run the migrations. sqlx's SQLite migrator takes no lock, so two
    /// processes starting together on one file would both try to create the
    /// tables; an exclusive OS lock on `<file>.migrate-lock` serialises them
    /// (the second then finds the migrations applied and does nothing).
    pub async fn migrate(&self) -> StoreResult<()> {
        let _lock = match &self.file {
            Some(f) => Some(file_lock(f).await?),
            None => None,
        };
        MIGRATOR.run(&self.pool).await.map_err(backend)
        // The lock is released when `_lock` (the file) is dropped.
    }
}

/// The migrations this binary knows (a backup is checked against them).
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// What a SQLite URL or plain path names, before any of Portico's settings.
pub(crate) fn url_options(url: &str) -> StoreResult<SqliteConnectOptions> {
    if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("bad SQLite URL: {e}")))
    } else {
        Ok(SqliteConnectOptions::new().filename(url))
    }
}

/// An exclusive OS lock on `<file>.migrate-lock`, released when the
/// returned file is dropped. Taken on a blocking thread: it may wait.
/// Opening, migrating and `portico restore` all take it.
pub(crate) async fn file_lock(db_file: &std::path::Path) -> StoreResult<std::fs::File> {
    let mut name = db_file.to_path_buf().into_os_string();
    name.push(".migrate-lock");
    let path = std::path::PathBuf::from(name);
    tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        file.lock()?;
        Ok(file)
    })
    .await
    .map_err(backend)?
    .map_err(|e| StoreError::Backend(format!("cannot take the SQLite lock file: {e}")))
}

impl_store!(SqliteStore, sqlx::sqlite::SqliteRow, SqlitePool);

#[async_trait::async_trait]
impl portico_core::infra::store::OpsStore for SqliteStore {
    async fn ping(&self) -> StoreResult<Duration> {
        let started = std::time::Instant::now();
        let mut conn = self.pool.acquire().await.map_err(backend)?;
        let waited = started.elapsed();
        sqlx::query("SELECT 1")
            .execute(&mut *conn)
            .await
            .map_err(backend)?;
        Ok(waited)
    }

    fn pool_stats(&self) -> portico_core::infra::store::PoolStats {
        let size = self.pool.size() + self.writer.size();
        let idle = self.pool.num_idle() + self.writer.num_idle();
        let max =
            self.pool.options().get_max_connections() + self.writer.options().get_max_connections();
        portico_core::infra::store::PoolStats {
            size,
            idle: u32::try_from(idle).unwrap_or(u32::MAX),
            max,
        }
    }

    /// TRUNCATE, through the writer (so no write of ours waits on it
    /// beyond its turn): SQLite checkpoints by itself every 1000 pages,
    /// but only passively, which never completes while readers keep
    /// coming; this one waits (the busy timeout) for the readers of old
    /// snapshots and resets the log to zero bytes. A checkpoint that could
    /// not finish ("busy") is not an error: the next one catches up.
    async fn checkpoint(&self) -> StoreResult<()> {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn close(&self) {
        self.writer.close().await;
        self.pool.close().await;
    }
}
