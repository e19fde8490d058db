//! PostgreSQL, for several stateless Portico instances on one database.
//! Single-use values are taken with one conditional `UPDATE ... WHERE
//! used_at IS NULL RETURNING`: under READ COMMITTED a concurrent second
//! update of the same row waits for the first, re-checks the condition and
//! finds nothing, so exactly one instance wins. Migrations run under
//! sqlx's advisory lock, so instances starting together do not collide.

use crate::sql::impl_store;
use crate::{PoolSettings, backend, redact_url};
use portico_core::infra::store::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;

pub struct PgStore {
    pool: PgPool,
    /// The same pool: PostgreSQL queues concurrent writers itself.
    writer: PgPool,
}

impl PgStore {
    pub async fn open(url: &str, settings: &PoolSettings) -> StoreResult<Self> {
        let shown = redact_url(url);
        let opts = PgConnectOptions::from_str(url)
            .map_err(|e| {
                StoreError::Backend(format!("the database URL {shown} is not valid: {e}"))
            })?
            .application_name("portico");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .min_connections(settings.min_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(settings.idle_timeout)
            .connect_with(opts)
            .await
            .map_err(|e| {
                StoreError::Backend(format!("cannot connect to PostgreSQL at {shown}: {e}"))
            })?;
        Ok(Self {
            writer: pool.clone(),
            pool,
        })
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        sqlx::migrate!("./migrations/postgres")
            .run(&self.pool)
            .await
            .map_err(backend)
    }
}

impl_store!(PgStore, sqlx::postgres::PgRow, PgPool);

#[async_trait::async_trait]
impl portico_core::infra::store::OpsStore for PgStore {
    async fn ping(&self) -> StoreResult<std::time::Duration> {
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
        portico_core::infra::store::PoolStats {
            size: self.pool.size(),
            idle: u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX),
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn checkpoint(&self) -> StoreResult<()> {
        Ok(())
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
