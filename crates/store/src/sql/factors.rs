//! Second factors, recovery codes and ceremonies (issue 18).

macro_rules! impl_factors {
    ($store:ty, $row:ty, $pool:ty) => {
        mod factors {
            use super::*;
            use $crate::backend;
            use $crate::sql::col;
            use async_trait::async_trait;
            use portico_core::infra::store::{CeremonyStore, FactorStore, StoreError, StoreResult};
            use portico_core::model::{
                Ceremony, CeremonyKind, Factor, FactorKind, FactorKindExt, UnixTime,
            };

            const FACTOR_COLUMNS: &str =
                "id, user_id, kind, name, secret, credential_id, created_at, last_used_at, last_step";

            fn factor_from_row(r: &$row) -> StoreResult<Factor> {
                let kind: String = col(r, "kind")?;
                Ok(Factor {
                    id: col(r, "id")?,
                    user_id: col(r, "user_id")?,
                    kind: FactorKind::parse(&kind).ok_or_else(|| {
                        StoreError::Backend(format!("unknown factor kind {kind:?}"))
                    })?,
                    name: col(r, "name")?,
                    secret: col(r, "secret")?,
                    credential_id: col(r, "credential_id")?,
                    created_at: col(r, "created_at")?,
                    last_used_at: col(r, "last_used_at")?,
                    last_step: col(r, "last_step")?,
                })
            }

            #[async_trait]
            impl FactorStore for $store {
                async fn add_factor(&self, f: &Factor) -> StoreResult<()> {
                    let r = sqlx::query(&format!(
                        "INSERT INTO factors ({FACTOR_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                    ))
                    .bind(&f.id)
                    .bind(&f.user_id)
                    .bind(f.kind.as_str())
                    .bind(&f.name)
                    .bind(&f.secret)
                    .bind(&f.credential_id)
                    .bind(f.created_at)
                    .bind(f.last_used_at)
                    .bind(f.last_step)
                    .execute(&self.writer)
                    .await;
                    match r {
                        Ok(_) => Ok(()),
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                            Err(StoreError::Conflict("this passkey is already registered".into()))
                        }
                        Err(e) => Err(backend(e)),
                    }
                }
                async fn factors(&self, user_id: &str) -> StoreResult<Vec<Factor>> {
                    let rows = sqlx::query(&format!(
                        "SELECT {FACTOR_COLUMNS} FROM factors WHERE user_id = $1 ORDER BY created_at, id"
                    ))
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    rows.iter().map(factor_from_row).collect()
                }
                async fn factor_by_credential(&self, credential_id: &str) -> StoreResult<Option<Factor>> {
                    let row = sqlx::query(&format!(
                        "SELECT {FACTOR_COLUMNS} FROM factors WHERE credential_id = $1"
                    ))
                    .bind(credential_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    row.as_ref().map(factor_from_row).transpose()
                }
                async fn rename_factor(&self, user_id: &str, id: &str, name: &str) -> StoreResult<bool> {
                    let n = sqlx::query("UPDATE factors SET name = $3 WHERE user_id = $1 AND id = $2")
                        .bind(user_id)
                        .bind(id)
                        .bind(name)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    Ok(n > 0)
                }
                async fn remove_factor(&self, user_id: &str, id: &str) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let n = sqlx::query("DELETE FROM factors WHERE user_id = $1 AND id = $2")
                        .bind(user_id)
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    if n > 0 {
                        sqlx::query(
                            "DELETE FROM recovery_codes WHERE user_id = $1 \
                             AND NOT EXISTS (SELECT 1 FROM factors WHERE user_id = $1)",
                        )
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    }
                    tx.commit().await.map_err(backend)?;
                    Ok(n > 0)
                }
                async fn advance_totp_step(&self, id: &str, step: i64, now: UnixTime) -> StoreResult<bool> {
                    let n = sqlx::query(
                        "UPDATE factors SET last_step = $2, last_used_at = $3 \
                         WHERE id = $1 AND (last_step IS NULL OR last_step < $2)",
                    )
                    .bind(id)
                    .bind(step)
                    .bind(now)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    Ok(n == 1)
                }
                async fn passkey_used(&self, id: &str, credential: &str, now: UnixTime) -> StoreResult<()> {
                    sqlx::query("UPDATE factors SET secret = $2, last_used_at = $3 WHERE id = $1")
                        .bind(id)
                        .bind(credential)
                        .bind(now)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn replace_recovery_codes(
                    &self,
                    user_id: &str,
                    hashes: &[String],
                    now: UnixTime,
                ) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    for h in hashes {
                        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
                            .bind(user_id)
                            .bind(h)
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                    }
                    tx.commit().await.map_err(backend)?;
                    Ok(())
                }
                async fn use_recovery_code(&self, user_id: &str, hash: &str, now: UnixTime) -> StoreResult<bool> {
                    let n = sqlx::query(
                        "UPDATE recovery_codes SET used_at = $3 \
                         WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL",
                    )
                    .bind(user_id)
                    .bind(hash)
                    .bind(now)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    Ok(n == 1)
                }
                async fn recovery_codes_left(&self, user_id: &str) -> StoreResult<u32> {
                    let row = sqlx::query(
                        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
                    )
                    .bind(user_id)
                    .fetch_one(&self.pool)
                    .await
                    .map_err(backend)?;
                    let n: i64 = col(&row, 0)?;
                    Ok(u32::try_from(n).unwrap_or(0))
                }
            }

            fn ceremony_from_row(r: &$row) -> StoreResult<Ceremony> {
                let kind: String = col(r, "kind")?;
                Ok(Ceremony {
                    id_hash: col(r, "id_hash")?,
                    kind: CeremonyKind::parse(&kind).ok_or_else(|| {
                        StoreError::Backend(format!("unknown ceremony kind {kind:?}"))
                    })?,
                    user_id: col(r, "user_id")?,
                    state: col(r, "state")?,
                    created_at: col(r, "created_at")?,
                    expires_at: col(r, "expires_at")?,
                })
            }

            const CEREMONY_COLUMNS: &str = "id_hash, kind, user_id, state, created_at, expires_at";

            #[async_trait]
            impl CeremonyStore for $store {
                async fn put_ceremony(&self, c: &Ceremony) -> StoreResult<()> {
                    sqlx::query(&format!(
                        "INSERT INTO ceremonies ({CEREMONY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
                    ))
                    .bind(&c.id_hash)
                    .bind(c.kind.as_str())
                    .bind(&c.user_id)
                    .bind(&c.state)
                    .bind(c.created_at)
                    .bind(c.expires_at)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }
                async fn ceremony(
                    &self,
                    id_hash: &str,
                    kind: CeremonyKind,
                    now: UnixTime,
                ) -> StoreResult<Option<Ceremony>> {
                    let row = sqlx::query(&format!(
                        "SELECT {CEREMONY_COLUMNS} FROM ceremonies WHERE id_hash = $1 AND kind = $2 AND expires_at > $3"
                    ))
                    .bind(id_hash)
                    .bind(kind.as_str())
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    row.as_ref().map(ceremony_from_row).transpose()
                }
                async fn take_ceremony(
                    &self,
                    id_hash: &str,
                    kind: CeremonyKind,
                    now: UnixTime,
                ) -> StoreResult<Option<Ceremony>> {
                    // One statement: of two concurrent takes, the database
                    // lets one delete the row, and only that one gets it back.
                    let row = sqlx::query(&format!(
                        "DELETE FROM ceremonies WHERE id_hash = $1 AND kind = $2 AND expires_at > $3 \
                         RETURNING {CEREMONY_COLUMNS}"
                    ))
                    .bind(id_hash)
                    .bind(kind.as_str())
                    .bind(now)
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(backend)?;
                    row.as_ref().map(ceremony_from_row).transpose()
                }
            }
        }
    };
}

pub(crate) use impl_factors;
