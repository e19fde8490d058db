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

pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
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
