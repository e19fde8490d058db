//! `portico backup` and `portico restore`, for SQLite. PostgreSQL has its
//! own tools (`pg_dump -Fc`, `pg_restore`), which Portico does not wrap.
//!
//! A backup is `VACUUM INTO`: one read transaction, so the copy is a
//! consistent snapshot even while a server writes (WAL lets the read run
//! beside the writes), and the result is one self-contained file with no
//! `-wal` beside it.
//!
//! A restore checks the file before it touches anything (SQLite's integrity
//! check, and migrations this binary knows), then replaces the database the
//! way an editor saves a file: a copy beside the target, fsynced, renamed
//! over it. It is meant to run with Portico stopped.

use crate::sqlite::{MIGRATOR, file_lock, in_use_lock, url_options};
use crate::{Backend, PoolSettings, backend_of};
use portico_core::infra::store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, Row};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a backup or a restore did nothing (or failed half way, `Failed`).
#[derive(Debug)]
pub enum BackupError {
    /// The URL names PostgreSQL.
    Postgres,
    /// The backup file exists; backups never overwrite.
    Exists(PathBuf),
    /// The file to restore is not a sound Portico backup.
    NotABackup { file: PathBuf, why: String },
    /// The backup was made by a newer Portico (it has migrations this
    /// binary does not know).
    Newer { file: PathBuf, version: i64 },
    /// A Portico process has the database open (stop it first).
    InUse(PathBuf),
    /// Reading or writing failed.
    Failed(String),
}

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Postgres => f.write_str(
                "backup and restore are for SQLite; back PostgreSQL up with pg_dump -Fc and \
                 restore it with pg_restore (README: \"Running it in production\")",
            ),
            Self::Exists(p) => write!(f, "{} exists; a backup never overwrites", p.display()),
            Self::NotABackup { file, why } => {
                write!(f, "{} is not a Portico backup: {why}", file.display())
            }
            Self::Newer { file, version } => write!(
                f,
                "{} comes from a newer Portico (migration {version} is unknown to this \
                 binary); restore it with that version or a later one",
                file.display()
            ),
            Self::InUse(db) => write!(
                f,
                "{} is in use by a running Portico (or another portico command); stop it, then restore",
                db.display()
            ),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for BackupError {}

/// What [`backup`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackedUp {
    pub bytes: u64,
    /// The newest migration in the copy (its schema version).
    pub schema_version: i64,
}

/// What [`restore`] put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The database file that was replaced.
    pub database: PathBuf,
    pub bytes: u64,
    /// The newest migration in the backup.
    pub schema_version: i64,
    /// Migrations run after the restore to bring it up to this binary.
    pub migrations_applied: usize,
    pub clients: i64,
    pub users: i64,
}

fn failed(what: &str) -> impl Fn(sqlx::Error) -> BackupError + '_ {
    move |e| BackupError::Failed(format!("{what}: {e}"))
}

fn io_failed(what: String) -> impl Fn(std::io::Error) -> BackupError {
    move |e| BackupError::Failed(format!("{what}: {e}"))
}

/// The database file a SQLite URL names; in-memory databases have none.
fn database_file(url: &str) -> Result<PathBuf, BackupError> {
    if backend_of(url) == Backend::Postgres {
        return Err(BackupError::Postgres);
    }
    let opts = url_options(url).map_err(|e| BackupError::Failed(e.to_string()))?;
    let file = opts.get_filename().to_path_buf();
    if file.as_os_str().is_empty() || file == Path::new(":memory:") {
        return Err(BackupError::Failed(
            "an in-memory database has nothing to back up or restore".into(),
        ));
    }
    Ok(file)
}

/// Copy the database `url` names into `dest`, a new file, while it may be
/// in use. The file is created readable by its owner only: it holds the
/// signing keys and password hashes.
pub async fn backup(url: &str, dest: &Path) -> Result<BackedUp, BackupError> {
    let db = database_file(url)?;
    if !db.exists() {
        return Err(BackupError::Failed(format!(
            "{} does not exist",
            db.display()
        )));
    }
    // VACUUM INTO takes the name as text.
    let dest_text = dest
        .to_str()
        .ok_or_else(|| BackupError::Failed(format!("{} is not a UTF-8 path", dest.display())))?;
    // Created here, atomically and empty: `create_new` is the refusal to
    // overwrite that no race slips past, and SQLite writes into an empty
    // file (it refuses only a non-empty one).
    let mut new = std::fs::OpenOptions::new();
    new.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut new, 0o600);
    match new.open(dest) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(BackupError::Exists(dest.to_path_buf()));
        }
        Err(e) => return Err(io_failed(format!("cannot create {}", dest.display()))(e)),
    }
    let schema_version = match vacuum_into(&db, dest_text).await {
        Ok(v) => v,
        Err(e) => {
            // Leave nothing that looks like a backup.
            let _ = std::fs::remove_file(dest);
            return Err(e);
        }
    };
    let file =
        std::fs::File::open(dest).map_err(io_failed(format!("cannot open {}", dest.display())))?;
    file.sync_all()
        .map_err(io_failed(format!("cannot sync {}", dest.display())))?;
    let bytes = file
        .metadata()
        .map_err(io_failed(format!("cannot read {}", dest.display())))?
        .len();
    Ok(BackedUp {
        bytes,
        schema_version,
    })
}

async fn vacuum_into(db: &Path, dest: &str) -> Result<i64, BackupError> {
    // Not the store's pool: no migrations, no journal-mode switch, nothing
    // created; the live database is only read.
    let opts = SqliteConnectOptions::new()
        .filename(db)
        .busy_timeout(Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&opts)
        .await
        .map_err(failed("cannot open the database"))?;
    sqlx::query("VACUUM INTO ?")
        .bind(dest)
        .execute(&mut conn)
        .await
        .map_err(failed("the backup failed"))?;
    let version = newest_migration(&mut conn).await?;
    conn.close().await.map_err(failed("closing the database"))?;
    Ok(version)
}

async fn newest_migration(conn: &mut SqliteConnection) -> Result<i64, BackupError> {
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations")
        .fetch_one(conn)
        .await
        .map_err(failed("cannot read the migrations"))?;
    row.try_get(0).map_err(failed("cannot read the migrations"))
}

/// A checked backup: its newest migration, how many it has, what it holds.
struct Checked {
    schema_version: i64,
    migrations: usize,
    clients: i64,
    users: i64,
}

/// Open `src` without writing to it (not even a `-shm`), and check it is a
/// whole SQLite database with Portico's migrations, none newer than ours.
async fn check_backup(src: &Path) -> Result<Checked, BackupError> {
    let not = |why: String| BackupError::NotABackup {
        file: src.to_path_buf(),
        why,
    };
    let meta = std::fs::metadata(src).map_err(|e| not(e.to_string()))?;
    if !meta.is_file() {
        return Err(not("not a file".into()));
    }
    // `immutable` reads the main file only; a live database's unmerged
    // writes in its `-wal` would be silently left behind.
    let mut wal = src.as_os_str().to_owned();
    wal.push("-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(not(format!(
            "it has a write-ahead log beside it ({}): it is a live database; \
             make a backup of it with portico backup",
            PathBuf::from(wal).display()
        )));
    }
    let opts = SqliteConnectOptions::new()
        .filename(src)
        .read_only(true)
        .immutable(true);
    let mut conn = SqliteConnection::connect_with(&opts)
        .await
        .map_err(|e| not(e.to_string()))?;
    let checked = check_open_backup(&mut conn, src).await;
    let _ = conn.close().await;
    checked
}

async fn check_open_backup(
    conn: &mut SqliteConnection,
    src: &Path,
) -> Result<Checked, BackupError> {
    let not = |why: String| BackupError::NotABackup {
        file: src.to_path_buf(),
        why,
    };
    let rows = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| not(e.to_string()))?;
    let verdict: Vec<String> = rows
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
        .collect();
    if verdict != ["ok"] {
        return Err(not(format!(
            "SQLite's integrity check failed: {}",
            verdict.join("; ")
        )));
    }
    let has_table: i64 = sqlx::query(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .and_then(|r| r.try_get(0))
    .map_err(|e| not(e.to_string()))?;
    if has_table == 0 {
        return Err(not("it has no migrations table".into()));
    }
    let applied =
        sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(|e| not(e.to_string()))?;
    let known: Vec<_> = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .collect();
    // The backup's migrations must be the first of ours, unchanged: then
    // running the rest brings it up to this binary.
    for (i, row) in applied.iter().enumerate() {
        let version: i64 = row.try_get(0).map_err(|e| not(e.to_string()))?;
        let checksum: Vec<u8> = row.try_get(1).map_err(|e| not(e.to_string()))?;
        let success: bool = row.try_get(2).map_err(|e| not(e.to_string()))?;
        if !success {
            return Err(not(format!("migration {version} did not finish")));
        }
        match known.get(i) {
            Some(m) if m.version == version && *m.checksum == *checksum => {}
            Some(m) if m.version == version => {
                return Err(not(format!(
                    "migration {version} differs from this binary's"
                )));
            }
            _ if known.iter().all(|m| m.version != version) => {
                return Err(BackupError::Newer {
                    file: src.to_path_buf(),
                    version,
                });
            }
            _ => {
                return Err(not(format!(
                    "its migrations are not in this binary's order (at {version})"
                )));
            }
        }
    }
    let schema_version = applied
        .last()
        .and_then(|r| r.try_get::<i64, _>(0).ok())
        .unwrap_or(0);
    let clients = count(conn, "clients").await;
    let users = count(conn, "users").await;
    Ok(Checked {
        schema_version,
        migrations: applied.len(),
        clients,
        users,
    })
}

/// Rows in one of the backup's tables (0 if it has no such table).
async fn count(conn: &mut SqliteConnection, table: &'static str) -> i64 {
    sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .unwrap_or(0)
}

/// Replace the database `url` names with the backup `src`, then migrate it
/// to this binary. Run it with Portico stopped: a running server keeps the
/// old file open and would go on writing to it.
pub async fn restore(url: &str, src: &Path) -> Result<Restored, BackupError> {
    let db = database_file(url)?;
    let checked = check_backup(src).await?;
    let bytes = {
        // The same lock as opening and migrating: no server starts and no
        // migration runs while the file is swapped.
        let _lock = file_lock(&db)
            .await
            .map_err(|e| BackupError::Failed(e.to_string()))?;
        // And no Portico (server or command) has it open: their writes
        // would go on into the replaced file and be lost.
        let _alone = in_use_lock(&db, true).await.map_err(|e| match e {
            StoreError::Conflict(_) => BackupError::InUse(db.clone()),
            e => BackupError::Failed(e.to_string()),
        })?;
        swap_in(src, &db)?
    };
    let before = checked.migrations;
    crate::migrate(url, &PoolSettings::default())
        .await
        .map_err(|e| BackupError::Failed(format!("the restored database: {e}")))?;
    let known = MIGRATOR
        .iter()
        .filter(|m| !m.migration_type.is_down_migration())
        .count();
    Ok(Restored {
        database: db,
        bytes,
        schema_version: checked.schema_version,
        migrations_applied: known.saturating_sub(before),
        clients: checked.clients,
        users: checked.users,
    })
}

/// Copy `src` beside `db`, fsync it, drop `db`'s `-wal` and `-shm`, and
/// rename the copy over `db`. A crash leaves either the old file or the
/// new one, never half of one (and at worst a stray `.restore` file).
fn swap_in(src: &Path, db: &Path) -> Result<u64, BackupError> {
    let with = |suffix: &str| {
        let mut p = db.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    let tmp = with(".restore");
    let bytes =
        std::fs::copy(src, &tmp).map_err(io_failed(format!("cannot copy to {}", tmp.display())))?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io_failed(format!("cannot sync {}", tmp.display())))?;
    // A `-wal` left from the old database would be replayed into the new
    // one at the next open (its frames are not tied to one database file).
    for stale in [with("-wal"), with("-shm")] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_failed(format!("cannot remove {}", stale.display()))(e)),
        }
    }
    std::fs::rename(&tmp, db).map_err(io_failed(format!(
        "cannot rename {} to {}",
        tmp.display(),
        db.display()
    )))?;
    // The rename is durable once the directory is.
    let dir = db
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_failed(format!("cannot sync {}", dir.display())))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A client record, as the store's contract tests make them.
    use crate::contract_tests::client;

    async fn store_with(path: &Path, ids: &[&str]) -> std::sync::Arc<dyn crate::Store> {
        let store = crate::connect(path.to_str().unwrap(), true, &PoolSettings::default())
            .await
            .unwrap();
        for id in ids {
            store.upsert_client(&client(id)).await.unwrap();
        }
        store
    }

    #[tokio::test]
    async fn a_backup_restores_what_it_copied_and_nothing_written_after() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        let store = store_with(&live, &["before"]).await;
        let file = dir.path().join("backup.db");
        let made = backup(live.to_str().unwrap(), &file).await.unwrap();
        assert!(made.bytes > 0 && made.schema_version > 0, "{made:?}");
        store.upsert_client(&client("after")).await.unwrap();
        // Not over a database a store has open: its writes would be lost.
        let e = restore(live.to_str().unwrap(), &file).await.unwrap_err();
        assert!(matches!(e, BackupError::InUse(_)), "{e}");
        assert!(store.client("after").await.unwrap().is_some());
        drop(store);

        let fresh = dir.path().join("fresh.db");
        let r = restore(fresh.to_str().unwrap(), &file).await.unwrap();
        assert_eq!((r.clients, r.migrations_applied), (1, 0), "{r:?}");
        let restored = store_with(&fresh, &[]).await;
        assert!(restored.client("before").await.unwrap().is_some());
        assert!(restored.client("after").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn a_backup_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        let _store = store_with(&live, &["c"]).await;
        let file = dir.path().join("backup.db");
        std::fs::write(&file, "precious").unwrap();
        let e = backup(live.to_str().unwrap(), &file).await.unwrap_err();
        assert!(matches!(e, BackupError::Exists(_)), "{e}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious");
    }

    #[tokio::test]
    async fn postgresql_is_pointed_at_pg_dump() {
        let dir = tempfile::tempdir().unwrap();
        let url = "postgres://postgres@127.0.0.1:5432/portico";
        let e = backup(url, &dir.path().join("b")).await.unwrap_err();
        assert!(matches!(e, BackupError::Postgres));
        assert!(e.to_string().contains("pg_dump"), "{e}");
        let e = restore(url, &dir.path().join("b")).await.unwrap_err();
        assert!(matches!(e, BackupError::Postgres));
        assert!(!dir.path().join("b").exists());
    }

    #[tokio::test]
    async fn a_file_that_is_not_a_backup_leaves_the_database_alone() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        drop(store_with(&live, &["kept"]).await);
        let junk = dir.path().join("junk.db");
        std::fs::write(&junk, vec![7u8; 8192]).unwrap();
        let e = restore(live.to_str().unwrap(), &junk).await.unwrap_err();
        assert!(matches!(e, BackupError::NotABackup { .. }), "{e}");
        // A SQLite database, but not Portico's.
        let other = dir.path().join("other.db");
        let opts = SqliteConnectOptions::new()
            .filename(&other)
            .create_if_missing(true);
        let mut c = SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::query("CREATE TABLE t (x)")
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        let e = restore(live.to_str().unwrap(), &other).await.unwrap_err();
        assert!(e.to_string().contains("no migrations table"), "{e}");
        let still = store_with(&live, &[]).await;
        assert!(still.client("kept").await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_damaged_backup_fails_the_integrity_check() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        let ids: Vec<String> = (0..300).map(|i| format!("client-{i:04}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        drop(store_with(&live, &ids).await);
        let file = dir.path().join("backup.db");
        backup(live.to_str().unwrap(), &file).await.unwrap();
        // Scribble over the middle of the file (past the header page).
        let mut bytes = std::fs::read(&file).unwrap();
        let mid = bytes.len() / 2;
        for b in &mut bytes[mid..mid + 4096] {
            *b = 0x5a;
        }
        std::fs::write(&file, bytes).unwrap();
        let fresh = dir.path().join("fresh.db");
        let e = restore(fresh.to_str().unwrap(), &file).await.unwrap_err();
        assert!(matches!(e, BackupError::NotABackup { .. }), "{e}");
        assert!(!fresh.exists());
    }

    #[tokio::test]
    async fn a_backup_from_a_newer_portico_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("live.db");
        drop(store_with(&live, &[]).await);
        let file = dir.path().join("backup.db");
        backup(live.to_str().unwrap(), &file).await.unwrap();
        let opts = SqliteConnectOptions::new().filename(&file);
        let mut c = SqliteConnection::connect_with(&opts).await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (999999, 'from the future', 1, x'00', 0)",
        )
        .execute(&mut c)
        .await
        .unwrap();
        c.close().await.unwrap();
        let fresh = dir.path().join("fresh.db");
        let e = restore(fresh.to_str().unwrap(), &file).await.unwrap_err();
        assert!(
            matches!(
                e,
                BackupError::Newer {
                    version: 999999,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[tokio::test]
    async fn a_restore_replaces_the_live_file_and_drops_its_old_log() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.db");
        drop(store_with(&a, &["from-a"]).await);
        let file = dir.path().join("a-backup.db");
        backup(a.to_str().unwrap(), &file).await.unwrap();
        let b = dir.path().join("b.db");
        // b's log, with frames not yet in b: what a crash leaves.
        let mut wal = b.as_os_str().to_owned();
        wal.push("-wal");
        let store = store_with(&b, &["from-b"]).await;
        let log = std::fs::read(&wal).unwrap();
        assert!(!log.is_empty());
        drop(store);
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        std::fs::write(&wal, &log).unwrap();
        restore(b.to_str().unwrap(), &file).await.unwrap();
        let restored = store_with(&b, &[]).await;
        assert!(restored.client("from-a").await.unwrap().is_some());
        assert!(restored.client("from-b").await.unwrap().is_none());
    }
}
