//! Clients and entrypoints: configuration records kept as JSON.

macro_rules! impl_clients {
    ($store:ty, $row:ty, $pool:ty) => {
        mod clients {
            use super::*;
            use $crate::sql::json_col;
            use $crate::{backend, to_json};
            use async_trait::async_trait;
            use portico_core::model::UnixTime;
            use portico_core::model::{Client, Entrypoint};
            use portico_core::infra::store::{ClientStore, EntrypointStore, StoreResult};

            #[async_trait]
            impl ClientStore for $store {
                async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
                    let row = sqlx::query("SELECT data FROM clients WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    row.map(|r| json_col(&r, 0)).transpose()
                }
                async fn upsert_client(&self, c: &Client) -> StoreResult<()> {
                    sqlx::query("INSERT INTO clients (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data")
                        .bind(&c.id)
                        .bind(to_json(c)?)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn insert_client(&self, c: &Client) -> StoreResult<bool> {
                    let n = sqlx::query("INSERT INTO clients (id, data) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING")
                        .bind(&c.id)
                        .bind(to_json(c)?)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    Ok(n == 1)
                }
                async fn clients(&self) -> StoreResult<Vec<Client>> {
                    let rows = sqlx::query("SELECT data FROM clients ORDER BY id")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                    rows.iter().map(|r| json_col(r, 0)).collect()
                }
                async fn delete_client(&self, id: &str, now: UnixTime) -> StoreResult<Option<u64>> {
                    // A rare admin action: grants and consents are found by
                    // scanning (no index leads with client_id), inside one
                    // transaction so a failure leaves the client whole.
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let gone = sqlx::query("DELETE FROM clients WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    if gone == 0 {
                        tx.rollback().await.map_err(backend)?;
                        return Ok(None);
                    }
                    let revoked = sqlx::query("UPDATE grants SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    sqlx::query("DELETE FROM consents WHERE client_id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(Some(revoked))
                }
            }

            #[async_trait]
            impl EntrypointStore for $store {
                async fn entrypoint(&self, id: &str) -> StoreResult<Option<Entrypoint>> {
                    let row = sqlx::query("SELECT data FROM entrypoints WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    row.map(|r| json_col(&r, 0)).transpose()
                }
                async fn upsert_entrypoint(&self, e: &Entrypoint) -> StoreResult<()> {
                    sqlx::query("INSERT INTO entrypoints (id, data) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET data = excluded.data")
                        .bind(&e.id)
                        .bind(to_json(e)?)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn entrypoints(&self) -> StoreResult<Vec<Entrypoint>> {
                    let rows = sqlx::query("SELECT data FROM entrypoints ORDER BY id")
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                    rows.iter().map(|r| json_col(r, 0)).collect()
                }
            }
        }
    };
}

pub(crate) use impl_clients;
