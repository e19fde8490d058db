//! Signing keys and installation secrets. Installation secrets are written
//! once; signing keys are only superseded (`signs_until`) and retired, in
//! conditional statements so that concurrent rotations have one winner.

macro_rules! impl_keys {
    ($store:ty, $row:ty, $pool:ty) => {
        mod keys {
            use super::*;
            use $crate::backend;
            use $crate::sql::col;
            use async_trait::async_trait;
            use portico_core::model::{SigningKeyRecord, UnixTime};
            use portico_core::infra::store::{KeyStore, StoreError, StoreResult};

            #[async_trait]
            impl KeyStore for $store {
                async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
                    let rows = sqlx::query(
                        "SELECT kid, alg, private_pkcs8, created_at, signs_from, signs_until, retired_at \
                         FROM signing_keys ORDER BY alg, signs_from, kid",
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
                                signs_from: col(r, 4)?,
                                signs_until: col(r, 5)?,
                                retired_at: col(r, 6)?,
                            })
                        })
                        .collect()
                }
                async fn insert_signing_key_if_absent(&self, k: &SigningKeyRecord) -> StoreResult<()> {
                    // No conflict target: a clash on the kid or on the
                    // partial index `signing_keys_current` (one current key
                    // per alg) both mean someone else got there first.
                    sqlx::query(
                        "INSERT INTO signing_keys (kid, alg, private_pkcs8, created_at, signs_from) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(&k.kid)
                    .bind(&k.alg)
                    .bind(&k.private_pkcs8)
                    .bind(k.created_at)
                    .bind(k.signs_from)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }
                async fn rotate_signing_key(
                    &self,
                    alg: &str,
                    current_kid: &str,
                    new: &SigningKeyRecord,
                    now: UnixTime,
                ) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    // On PostgreSQL a second rotation waits here for the
                    // first one's row lock, then finds `signs_until` set and
                    // changes nothing.
                    let ended = sqlx::query(
                        "UPDATE signing_keys SET signs_until = $3 \
                         WHERE kid = $1 AND alg = $2 AND signs_until IS NULL \
                         AND retired_at IS NULL AND signs_from <= $4",
                    )
                    .bind(current_kid)
                    .bind(alg)
                    .bind(new.signs_from)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    if ended != 1 {
                        tx.rollback().await.map_err(backend)?;
                        return Ok(false);
                    }
                    let r = sqlx::query(
                        "INSERT INTO signing_keys (kid, alg, private_pkcs8, created_at, signs_from) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(&new.kid)
                    .bind(alg)
                    .bind(&new.private_pkcs8)
                    .bind(new.created_at)
                    .bind(new.signs_from)
                    .execute(&mut *tx)
                    .await;
                    match r {
                        Ok(_) => {}
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                            return Err(StoreError::Conflict("the key id is taken".into()));
                        }
                        Err(e) => return Err(backend(e)),
                    }
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }
                async fn retire_signing_keys(
                    &self,
                    signed_until_before: UnixTime,
                    now: UnixTime,
                ) -> StoreResult<u64> {
                    let n = sqlx::query(
                        "UPDATE signing_keys SET retired_at = $2, private_pkcs8 = $3 \
                         WHERE retired_at IS NULL AND signs_until IS NOT NULL AND signs_until < $1",
                    )
                    .bind(signed_until_before)
                    .bind(now)
                    .bind(Vec::<u8>::new())
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    Ok(n)
                }
                async fn retire_signing_key(&self, kid: &str, now: UnixTime) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    // Allowed: a key that has stopped signing, or a pending
                    // current key whose predecessor can take over again.
                    // Never the key that signs now, which would leave its
                    // alg with nothing to sign with.
                    let row = sqlx::query(
                        "UPDATE signing_keys SET retired_at = $2, private_pkcs8 = $3, \
                         signs_until = COALESCE(signs_until, signs_from) \
                         WHERE kid = $1 AND retired_at IS NULL AND ( \
                           (signs_until IS NOT NULL AND signs_until <= $2) \
                           OR (signs_until IS NULL AND signs_from > $2 AND EXISTS ( \
                             SELECT 1 FROM signing_keys p WHERE p.alg = signing_keys.alg \
                             AND p.signs_until = signing_keys.signs_from \
                             AND p.retired_at IS NULL AND p.kid <> signing_keys.kid))) \
                         RETURNING alg, signs_from",
                    )
                    .bind(kid)
                    .bind(now)
                    .bind(Vec::<u8>::new())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                    let Some(row) = row else {
                        tx.rollback().await.map_err(backend)?;
                        return Ok(false);
                    };
                    let alg: String = col(&row, 0)?;
                    let from: UnixTime = col(&row, 1)?;
                    // A cancelled rotation: the predecessor, which ends
                    // where the pending key would have started, is current
                    // again. When the retired key was not current, its alg
                    // still has a current key and this changes nothing.
                    sqlx::query(
                        "UPDATE signing_keys SET signs_until = NULL \
                         WHERE alg = $1 AND signs_until = $2 AND retired_at IS NULL AND kid <> $3 \
                         AND NOT EXISTS (SELECT 1 FROM signing_keys c WHERE c.alg = $1 AND c.signs_until IS NULL)",
                    )
                    .bind(&alg)
                    .bind(from)
                    .bind(kid)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
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
