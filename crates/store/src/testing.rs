//! Test support (feature `testing`): fresh PostgreSQL databases.
//!
//! `PORTICO_TEST_PG=off` skips PostgreSQL tests (they say so);
//! `PORTICO_TEST_PG_URL` names the server (default
//! `postgres://postgres@127.0.0.1:5432`).

use crate::{StoreError, backend};
use sqlx::Connection;
use std::sync::atomic::{AtomicU64, Ordering};

/// Whether PostgreSQL tests should run. Prints why when they do not.
pub fn pg_enabled(test: &str) -> bool {
    if std::env::var("PORTICO_TEST_PG").is_ok_and(|v| v == "off") {
        eprintln!("SKIPPED on PostgreSQL: {test} (PORTICO_TEST_PG=off)");
        return false;
    }
    true
}

pub fn pg_server_url() -> String {
    std::env::var("PORTICO_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// Create an empty database with a unique name and return its URL.
pub async fn fresh_pg_database() -> Result<String, StoreError> {
    static N: AtomicU64 = AtomicU64::new(0);
    let server = pg_server_url();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let name = format!(
        "portico_test_{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::SeqCst)
    );
    let mut admin = sqlx::PgConnection::connect(&format!("{server}/postgres"))
        .await
        .map_err(backend)?;
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(&mut admin)
        .await
        .map_err(backend)?;
    admin.close().await.map_err(backend)?;
    Ok(format!("{server}/{name}"))
}
