//! Grants and what they issue: authorization codes, refresh tokens and
//! revoked access tokens.

macro_rules! impl_tokens {
    ($store:ty, $row:ty, $pool:ty) => {
        mod tokens {
            use super::*;
            use $crate::sql::{col, json_col, words_col};
            use $crate::{backend, to_json};
            use async_trait::async_trait;
            use portico_core::model::UnixTime;
            use portico_core::model::{AuthCode, Grant, RefreshToken};
            use portico_core::infra::store::{
                CodeStore, GrantStore, RefreshTokenStore, RevocationStore, StoreResult, Take,
            };

            #[async_trait]
            impl GrantStore for $store {
                async fn create_grant(&self, g: &Grant) -> StoreResult<()> {
                    sqlx::query("INSERT INTO grants (id, client_id, user_id, scopes, created_at, revoked_at, session_id_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(&g.id)
                        .bind(&g.client_id)
                        .bind(&g.user_id)
                        .bind(g.scopes.join(" "))
                        .bind(g.created_at)
                        .bind(g.revoked_at)
                        .bind(&g.session_id_hash)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn grant(&self, id: &str) -> StoreResult<Option<Grant>> {
                    let row = sqlx::query("SELECT id, client_id, user_id, scopes, created_at, revoked_at, session_id_hash FROM grants WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    row.map(|r| {
                        Ok(Grant {
                            id: col(&r, 0)?,
                            client_id: col(&r, 1)?,
                            user_id: col(&r, 2)?,
                            scopes: words_col(&r, 3)?,
                            created_at: col(&r, 4)?,
                            revoked_at: col(&r, 5)?,
                            session_id_hash: col(&r, 6)?,
                        })
                    })
                    .transpose()
                }
                async fn grants_of_user(&self, user_id: &str) -> StoreResult<Vec<Grant>> {
                    let rows = sqlx::query(
                        "SELECT id, client_id, user_id, scopes, created_at, revoked_at, session_id_hash FROM grants \
                         WHERE user_id = $1 AND revoked_at IS NULL ORDER BY created_at DESC, id",
                    )
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    rows.iter()
                        .map(|r| {
                            Ok(Grant {
                                id: col(r, 0)?,
                                client_id: col(r, 1)?,
                                user_id: col(r, 2)?,
                                scopes: words_col(r, 3)?,
                                created_at: col(r, 4)?,
                                revoked_at: col(r, 5)?,
                                session_id_hash: col(r, 6)?,
                            })
                        })
                        .collect()
                }
                async fn revoke_grants_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<u64> {
                    let done = sqlx::query("UPDATE grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                        .bind(user_id)
                        .bind(now)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected())
                }
                async fn revoke_grants_of_session(&self, session_id_hash: &str, now: UnixTime) -> StoreResult<u64> {
                    let done = sqlx::query("UPDATE grants SET revoked_at = $1 WHERE session_id_hash = $2 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(session_id_hash)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected())
                }
                async fn move_grants_to_session(&self, from: &str, to: &str) -> StoreResult<u64> {
                    let done = sqlx::query("UPDATE grants SET session_id_hash = $2 WHERE session_id_hash = $1")
                        .bind(from)
                        .bind(to)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected())
                }
                async fn revoke_grants_of(&self, user_id: &str, client_id: &str, now: UnixTime) -> StoreResult<u64> {
                    let done = sqlx::query("UPDATE grants SET revoked_at = $1 WHERE user_id = $2 AND client_id = $3 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(user_id)
                        .bind(client_id)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected())
                }
                async fn revoke_grants_of_client(&self, client_id: &str, now: UnixTime) -> StoreResult<u64> {
                    let done = sqlx::query("UPDATE grants SET revoked_at = $1 WHERE client_id = $2 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(client_id)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(done.rows_affected())
                }
                async fn revoke_grant(&self, id: &str, now: UnixTime) -> StoreResult<()> {
                    sqlx::query("UPDATE grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                        .bind(now)
                        .bind(id)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
            }

            /// Take a single-use row: one conditional UPDATE decides the winner; a
            /// second SELECT only tells a replay from an unknown value.
            async fn take_once<T: serde::de::DeserializeOwned>(
                pool: &$pool,
                table: &str,
                key_column: &str,
                key: &str,
                now: UnixTime,
            ) -> StoreResult<Take<T>> {
                // One statement decides: unused, and its grant not revoked.
                let won = sqlx::query(&format!(
                    "UPDATE {table} SET used_at = $1 WHERE {key_column} = $2 AND used_at IS NULL \
                     AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.id = {table}.grant_id AND g.revoked_at IS NOT NULL) \
                     RETURNING data"
                ))
                .bind(now)
                .bind(key)
                .fetch_optional(pool)
                .await
                .map_err(backend)?;
                if let Some(r) = won {
                    return Ok(Take::Taken(json_col(&r, 0)?));
                }
                let seen = sqlx::query(&format!("SELECT data, used_at FROM {table} WHERE {key_column} = $1"))
                    .bind(key)
                    .fetch_optional(pool)
                    .await
                    .map_err(backend)?;
                match seen {
                    Some(r) => match col::<Option<UnixTime>, _, _>(&r, 1)? {
                        Some(at) => Ok(Take::AlreadyUsed(json_col(&r, 0)?, at)),
                        None => Ok(Take::Revoked),
                    },
                    None => Ok(Take::NotFound),
                }
            }

            #[async_trait]
            impl CodeStore for $store {
                async fn put_code(&self, c: &AuthCode) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO auth_codes (code_hash, grant_id, data, expires_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&c.code_hash)
                    .bind(&c.grant_id)
                    .bind(to_json(c)?)
                    .bind(c.expires_at)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }
                async fn take_code(&self, code_hash: &str, now: UnixTime) -> StoreResult<Take<AuthCode>> {
                    take_once(&self.writer, "auth_codes", "code_hash", code_hash, now).await
                }
            }

            #[async_trait]
            impl RefreshTokenStore for $store {
                async fn put_refresh_token(&self, t: &RefreshToken) -> StoreResult<()> {
                    sqlx::query("INSERT INTO refresh_tokens (token_hash, grant_id, data, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (token_hash) DO NOTHING")
                        .bind(&t.token_hash)
                        .bind(&t.grant_id)
                        .bind(to_json(t)?)
                        .bind(t.expires_at)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn take_refresh_token(
                    &self,
                    token_hash: &str,
                    now: UnixTime,
                ) -> StoreResult<Take<RefreshToken>> {
                    take_once(&self.writer, "refresh_tokens", "token_hash", token_hash, now).await
                }
                async fn refresh_token(
                    &self,
                    token_hash: &str,
                ) -> StoreResult<Option<(RefreshToken, Option<UnixTime>)>> {
                    let row = sqlx::query("SELECT data, used_at FROM refresh_tokens WHERE token_hash = $1")
                        .bind(token_hash)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    row.map(|r| Ok((json_col(&r, 0)?, col(&r, 1)?))).transpose()
                }
            }

            #[async_trait]
            impl RevocationStore for $store {
                async fn revoke_access_token(&self, jti: &str, expires_at: UnixTime) -> StoreResult<()> {
                    sqlx::query("INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(jti)
                        .bind(expires_at)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn access_token_revoked(&self, jti: &str) -> StoreResult<bool> {
                    let row = sqlx::query("SELECT 1 FROM revoked_access_tokens WHERE jti = $1")
                        .bind(jti)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    Ok(row.is_some())
                }
            }
        }
    };
}

pub(crate) use impl_tokens;
