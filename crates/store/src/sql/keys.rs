//! Signing keys and installation secrets: written once, read at start.

macro_rules! impl_keys {
    ($store:ty, $row:ty, $pool:ty) => {
        mod keys {
            use super::*;
            use $crate::backend;
            use $crate::sql::col;
            use async_trait::async_trait;
            use portico_core::model::SigningKeyRecord;
            use portico_core::infra::store::{KeyStore, StoreResult};

            #[async_trait]
            impl KeyStore for $store {
                async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
                    let rows = sqlx::query(
                        "SELECT kid, alg, private_pkcs8, created_at FROM signing_keys ORDER BY alg",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    rows.iter()
                        .map(|r| {
                            Ok(SigningKeyRecord {
                                kid: col(r, 0)?,
                                alg: col(r, 1)?,
                                private_pkcs8: col(r, 2)?,
                                created_at: col(r, 3)?,
                            })
                        })
                        .collect()
                }
                async fn insert_signing_key_if_absent(&self, k: &SigningKeyRecord) -> StoreResult<()> {
                    sqlx::query("INSERT INTO signing_keys (kid, alg, private_pkcs8, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                        .bind(&k.kid)
                        .bind(&k.alg)
                        .bind(&k.private_pkcs8)
                        .bind(k.created_at)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn installation_secret(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>> {
                    sqlx::query("INSERT INTO installation_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
                        .bind(name)
                        .bind(candidate)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    let row = sqlx::query("SELECT value FROM installation_secrets WHERE name = $1")
                        .bind(name)
                        .fetch_one(&self.pool)
                        .await
                        .map_err(backend)?;
                    col(&row, 0)
                }
            }
        }
    };
}

pub(crate) use impl_keys;
