//! Portico's storage. [`connect`] picks the backend from the database URL;
//! nothing outside this crate knows which one it is.
//!
//! No backend keeps an in-process cache: every read goes to the database, so
//! several Portico instances on one PostgreSQL database always agree.

pub mod backup;
#[cfg(test)]
mod contract_tests;
mod postgres;
mod sql;
mod sqlite;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use backup::{backup, restore};
pub use portico_core::infra::store::{Store, StoreError};
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
use std::sync::Arc;
use std::time::Duration;

/// Connection pool settings (`[database]` in portico.toml).
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub min_connections: u32,
    /// How long a request waits for a free connection (and how long the
    /// first connection at start may take) before failing.
    pub acquire_timeout: Duration,
    /// Idle connections above `min_connections` are closed after this.
    pub idle_timeout: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            min_connections: 0,
            acquire_timeout: Duration::from_secs(10),
            idle_timeout: Some(Duration::from_secs(600)),
        }
    }
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// `postgres://` and `postgresql://` mean PostgreSQL; `sqlite:` URLs and
/// plain file paths mean SQLite.
pub fn backend_of(url: &str) -> Backend {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Backend::Postgres
    } else {
        Backend::Sqlite
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.into()
        }
        Ok(_) => url.to_owned(),
        // Not a URL we can parse: hide everything between the scheme and
        // the last '@', where a user and password would be.
        Err(_) => match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s + 3 => format!("{}***{}", &url[..s + 3], &url[at..]),
            _ => url.to_owned(),
        },
    }
}

/// Connect to the database named by `url`, run its migrations unless
/// `migrate` is false, and return it as a [`Store`].
pub async fn connect(
    url: &str,
    migrate: bool,
    pool: &PoolSettings,
) -> Result<Arc<dyn Store>, StoreError> {
    match backend_of(url) {
        Backend::Postgres => {
            let store = PgStore::open(url, pool).await?;
            if migrate {
                store.migrate().await?;
            }
            Ok(Arc::new(store))
        }
        Backend::Sqlite => {
            let store = SqliteStore::open(url, pool).await?;
            if migrate {
                store.migrate().await?;
            }
            Ok(Arc::new(store))
        }
    }
}

/// Run the migrations of the database named by `url` and return.
pub async fn migrate(url: &str, pool: &PoolSettings) -> Result<(), StoreError> {
    match backend_of(url) {
        Backend::Postgres => PgStore::open(url, pool).await?.migrate().await,
        Backend::Sqlite => SqliteStore::open(url, pool).await?.migrate().await,
    }
}

/// A failure as a [`StoreError`]: a database that cannot be reached or
/// cannot write ([`unavailable`]) is `Unavailable` (503, retried), every
/// other failure is `Backend` (500). Callers pass sqlx's errors and a few
/// others (JSON, join errors); only sqlx's are classified.
pub(crate) fn backend<E: std::fmt::Display + 'static>(e: E) -> StoreError {
    let any: &dyn std::any::Any = &e;
    match any.downcast_ref::<sqlx::Error>() {
        Some(s) if unavailable(s) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
    }
}

/// Whether a database error means "not reachable or not writable now"
/// rather than a fault in the request or the schema.
pub(crate) fn unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| unavailable_code(&c)),
        _ => false,
    }
}

/// SQLSTATE classes of PostgreSQL and result codes of SQLite that say the
/// database is down, restarting or full.
fn unavailable_code(code: &str) -> bool {
    // PostgreSQL: 08 connection exception, 53 insufficient resources
    // (53100 disk full), 57P01-57P03 shutting down / cannot connect now,
    // 58 system error (I/O).
    if code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P0")
        || code.starts_with("58")
    {
        return true;
    }
    // SQLite (extended codes; the primary one is the low byte): 5 BUSY
    // (after the busy timeout), 6 LOCKED, 10 IOERR, 13 FULL, 14 CANTOPEN.
    match code.parse::<i64>() {
        Ok(n) => matches!(n & 0xff, 5 | 6 | 10 | 13 | 14),
        Err(_) => false,
    }
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(backend)
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_or_full_databases_are_unavailable_not_failures() {
        for code in [
            "08006", "08001", "57P01", "57P03", "53100", "58030", "13", "10", "778", "5",
        ] {
            assert!(unavailable_code(code), "{code}");
        }
        // Constraint violations, syntax errors, a missing table: real faults.
        for code in ["23505", "42601", "42P01", "19", "2067", "1", "HV000"] {
            assert!(!unavailable_code(code), "{code}");
        }
        assert!(matches!(
            backend(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            backend(sqlx::Error::RowNotFound),
            StoreError::Backend(_)
        ));
        assert!(matches!(backend("not sqlx"), StoreError::Backend(_)));
    }

    #[test]
    fn urls_pick_their_backend() {
        assert_eq!(backend_of("postgres://u@h/db"), Backend::Postgres);
        assert_eq!(backend_of("postgresql://u@h/db"), Backend::Postgres);
        assert_eq!(backend_of("sqlite://x.db"), Backend::Sqlite);
        assert_eq!(backend_of("portico.db"), Backend::Sqlite);
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("portico.db"), "portico.db");
        assert_eq!(redact_url("postgres://u:pw@[bad"), "postgres://***@[bad");
    }
}
