//! Users, their sessions and their consents.

macro_rules! impl_users {
    ($store:ty, $row:ty, $pool:ty) => {
        mod users {
            use super::*;
            use $crate::backend;
            use $crate::sql::{col, words_col};
            use async_trait::async_trait;
            use portico_core::model::UnixTime;
            use portico_core::model::{Session, User};
            use portico_core::infra::store::{
                ConsentStore, Revoked, RoleStore, SessionStore, StoreError, StoreResult, UserStore,
            };

            fn user_from_row(r: &$row) -> StoreResult<User> {
                let created_at: UnixTime = col(r, "created_at")?;
                Ok(User {
                    id: col(r, "id")?,
                    email: col(r, "email")?,
                    email_verified: col(r, "email_verified")?,
                    name: col(r, "name")?,
                    given_name: col(r, "given_name")?,
                    family_name: col(r, "family_name")?,
                    phone_number: col(r, "phone_number")?,
                    birthdate: col(r, "birthdate")?,
                    terms_accepted_at: col(r, "terms_accepted_at")?,
                    password_hash: col(r, "password_hash")?,
                    created_at,
                    updated_at: col::<Option<UnixTime>, _, _>(r, "updated_at")?
                        .unwrap_or(created_at),
                    self_registered: col(r, "self_registered")?,
                    disabled_at: col(r, "disabled_at")?,
                })
            }

            /// In `tx`: every grant of the user revoked at `now` (so every
            /// token dies), every session ended, every unused mailed token
            /// dropped (a password reset, an undone address change).
            async fn sign_out_everywhere(
                tx: &mut sqlx::Transaction<'_, <$row as sqlx::Row>::Database>,
                id: &str,
                now: UnixTime,
            ) -> StoreResult<()> {
                sqlx::query("UPDATE grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                    .bind(id)
                    .bind(now)
                    .execute(&mut **tx)
                    .await
                    .map_err(backend)?;
                for sql in [
                    "DELETE FROM sessions WHERE user_id = $1",
                    "DELETE FROM email_tokens WHERE user_id = $1 AND used_at IS NULL",
                ] {
                    sqlx::query(sql).bind(id).execute(&mut **tx).await.map_err(backend)?;
                }
                Ok(())
            }

            const USER_COLUMNS: &str =
                "id, email, email_verified, name, password_hash, created_at, given_name, family_name, updated_at, \
                 phone_number, birthdate, terms_accepted_at, self_registered";
            /// What is read: the written columns and the state only an
            /// administrator changes (never written by an upsert, so the
            /// config file cannot enable a disabled account).
            const USER_SELECT: &str =
                "id, email, email_verified, name, password_hash, created_at, given_name, family_name, updated_at, \
                 phone_number, birthdate, terms_accepted_at, self_registered, disabled_at";

            /// `text` as a LIKE pattern matching it anywhere, lower-cased,
            /// with the pattern characters taken literally (`ESCAPE '\'`).
            fn contains_pattern(text: &str) -> String {
                let mut p = String::from("%");
                for c in text.to_lowercase().chars() {
                    if matches!(c, '%' | '_' | '\\') {
                        p.push('\\');
                    }
                    p.push(c);
                }
                p.push('%');
                p
            }

            fn session_from_row(r: &$row) -> StoreResult<Session> {
                Ok(Session {
                    id_hash: col(r, 0)?,
                    user_id: col(r, 1)?,
                    auth_time: col(r, 2)?,
                    created_at: col(r, 3)?,
                    expires_at: col(r, 4)?,
                    amr: words_col(r, 5)?,
                })
            }

            #[async_trait]
            impl UserStore for $store {
                async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
                    let row = sqlx::query(&format!("SELECT {USER_SELECT} FROM users WHERE email = $1"))
                        .bind(email.to_lowercase())
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    row.as_ref().map(user_from_row).transpose()
                }
                async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
                    let row = sqlx::query(&format!("SELECT {USER_SELECT} FROM users WHERE id = $1"))
                        .bind(id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(backend)?;
                    row.as_ref().map(user_from_row).transpose()
                }
                async fn create_user(&self, u: &User) -> StoreResult<()> {
                    let r = sqlx::query(&format!(
                        "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
                    ))
                    .bind(&u.id)
                    .bind(u.email.to_lowercase())
                    .bind(u.email_verified)
                    .bind(&u.name)
                    .bind(&u.password_hash)
                    .bind(u.created_at)
                    .bind(&u.given_name)
                    .bind(&u.family_name)
                    .bind(u.updated_at)
                    .bind(&u.phone_number)
                    .bind(&u.birthdate)
                    .bind(u.terms_accepted_at)
                    .bind(u.self_registered)
                    .execute(&self.writer)
                    .await;
                    match r {
                        Ok(_) => Ok(()),
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                            Err(StoreError::Conflict("email already registered".into()))
                        }
                        Err(e) => Err(backend(e)),
                    }
                }
                async fn upsert_user_by_email(&self, u: &User) -> StoreResult<String> {
                    let row = sqlx::query(&format!(
                        "INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                         ON CONFLICT (email) DO UPDATE SET name = excluded.name, password_hash = excluded.password_hash, \
                         email_verified = excluded.email_verified, given_name = excluded.given_name, \
                         family_name = excluded.family_name, updated_at = excluded.updated_at, \
                         self_registered = excluded.self_registered RETURNING id"
                    ))
                    .bind(&u.id)
                    .bind(u.email.to_lowercase())
                    .bind(u.email_verified)
                    .bind(&u.name)
                    .bind(&u.password_hash)
                    .bind(u.created_at)
                    .bind(&u.given_name)
                    .bind(&u.family_name)
                    .bind(u.updated_at)
                    .bind(&u.phone_number)
                    .bind(&u.birthdate)
                    .bind(u.terms_accepted_at)
                    .bind(u.self_registered)
                    .fetch_one(&self.writer)
                    .await
                    .map_err(backend)?;
                    col(&row, 0)
                }
                async fn delete_user(&self, id: &str, now: UnixTime) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let email: Option<String> = match sqlx::query("SELECT email FROM users WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(backend)?
                    {
                        Some(r) => Some(col(&r, 0)?),
                        None => None,
                    };
                    sqlx::query("UPDATE grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                        .bind(id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    for sql in [
                        "DELETE FROM sessions WHERE user_id = $1",
                        "DELETE FROM consents WHERE user_id = $1",
                        "DELETE FROM email_tokens WHERE user_id = $1",
                        // Erasure: the log keeps that something happened to
                        // this id, not what was typed (an old address in an
                        // email change) nor where from.
                        "UPDATE audit_log SET detail = '', ip = NULL WHERE user_id = $1",
                    ] {
                        sqlx::query(sql).bind(id).execute(&mut *tx).await.map_err(backend)?;
                    }
                    if let Some(email) = email {
                        // Mail not yet sent would reach the person after
                        // the account is gone, and holds their address.
                        sqlx::query("DELETE FROM outbox WHERE recipient = $1 AND sent_at IS NULL")
                            .bind(email)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                    }
                    let gone = sqlx::query("DELETE FROM users WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    tx.commit().await.map_err(backend)?;
                    Ok(gone > 0)
                }
                async fn users_page(
                    &self,
                    text: Option<&str>,
                    after_email: Option<&str>,
                    limit: u32,
                ) -> StoreResult<Vec<User>> {
                    // Built from fixed pieces; only values are bound.
                    let mut sql = format!("SELECT {USER_SELECT} FROM users WHERE TRUE");
                    let mut n = 0;
                    let pattern = text.filter(|t| !t.is_empty()).map(contains_pattern);
                    if pattern.is_some() {
                        n += 1;
                        sql.push_str(&format!(
                            " AND (lower(email) LIKE ${n} ESCAPE '\\' OR lower(name) LIKE ${n} ESCAPE '\\')"
                        ));
                    }
                    if after_email.is_some() {
                        n += 1;
                        sql.push_str(&format!(" AND email > ${n}"));
                    }
                    sql.push_str(&format!(" ORDER BY email LIMIT ${}", n + 1));
                    let mut q = sqlx::query(&sql);
                    if let Some(p) = pattern {
                        q = q.bind(p);
                    }
                    if let Some(a) = after_email {
                        q = q.bind(a.to_owned());
                    }
                    let rows = q
                        .bind(i64::from(limit))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                    rows.iter().map(user_from_row).collect()
                }
                async fn set_user_disabled(&self, id: &str, disabled: bool, now: UnixTime) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let update = if disabled {
                        sqlx::query("UPDATE users SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1")
                            .bind(id)
                            .bind(now)
                    } else {
                        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = $1").bind(id)
                    };
                    let found = update
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    if found == 0 {
                        return Ok(false);
                    }
                    if disabled {
                        sign_out_everywhere(&mut tx, id, now).await?;
                    }
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }
                async fn reset_password(&self, id: &str, hash: &str, now: UnixTime) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let found = sqlx::query("UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1")
                        .bind(id)
                        .bind(hash)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    if found == 0 {
                        return Ok(false);
                    }
                    sign_out_everywhere(&mut tx, id, now).await?;
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }
                async fn change_email(&self, id: &str, from: &str, to: &str, now: UnixTime) -> StoreResult<bool> {
                    let r = sqlx::query("UPDATE users SET email = $3, email_verified = TRUE, updated_at = $4 WHERE id = $1 AND email = $2")
                        .bind(id)
                        .bind(from.to_lowercase())
                        .bind(to.to_lowercase())
                        .bind(now)
                        .execute(&self.writer)
                        .await;
                    match r {
                        Ok(r) => Ok(r.rows_affected() > 0),
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                            Err(StoreError::Conflict("email already registered".into()))
                        }
                        Err(e) => Err(backend(e)),
                    }
                }
                async fn undo_email_change(
                    &self,
                    id: &str,
                    current: &str,
                    restore: &str,
                    now: UnixTime,
                ) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let r = sqlx::query("UPDATE users SET email = $3, email_verified = TRUE, updated_at = $4 WHERE id = $1 AND email = $2")
                        .bind(id)
                        .bind(current.to_lowercase())
                        .bind(restore.to_lowercase())
                        .bind(now)
                        .execute(&mut *tx)
                        .await;
                    let changed = match r {
                        Ok(r) => r.rows_affected() > 0,
                        Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                            return Err(StoreError::Conflict("email already registered".into()));
                        }
                        Err(e) => return Err(backend(e)),
                    };
                    if !changed {
                        return Ok(false);
                    }
                    sign_out_everywhere(&mut tx, id, now).await?;
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }
                async fn mark_email_verified(&self, id: &str, email: &str, now: UnixTime) -> StoreResult<bool> {
                    let n = sqlx::query("UPDATE users SET email_verified = TRUE, updated_at = $3 WHERE id = $1 AND email = $2")
                        .bind(id)
                        .bind(email.to_lowercase())
                        .bind(now)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    Ok(n > 0)
                }
            }

            #[async_trait]
            impl RoleStore for $store {
                async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<String>> {
                    let rows = sqlx::query("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                    rows.iter().map(|r| col(r, 0)).collect()
                }
                async fn grant_role(&self, user_id: &str, role: &str) -> StoreResult<bool> {
                    // Through the users table, so an unknown id inserts
                    // nothing (rather than failing the foreign key).
                    let n = sqlx::query(
                        "INSERT INTO user_roles (user_id, role) SELECT id, $2 FROM users WHERE id = $1 \
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(user_id)
                    .bind(role)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?
                    .rows_affected();
                    Ok(n > 0)
                }
                async fn revoke_role(&self, user_id: &str, role: &str) -> StoreResult<Revoked> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    // Lock every holder's row first. A concurrent revocation
                    // waits here and then sees only the rows this one left
                    // (PostgreSQL re-reads a row it waited for and skips it
                    // when deleted; SQLite has a single writer).
                    let rows = sqlx::query("UPDATE user_roles SET role = role WHERE role = $1 RETURNING user_id")
                        .bind(role)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(backend)?;
                    let holders = rows.iter().map(|r| col::<String, _, _>(r, 0)).collect::<StoreResult<Vec<_>>>()?;
                    if !holders.iter().any(|h| h == user_id) {
                        return Ok(Revoked::NotHeld);
                    }
                    if holders.len() <= 1 {
                        return Ok(Revoked::LastHolder);
                    }
                    sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
                        .bind(user_id)
                        .bind(role)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(Revoked::Done)
                }
                async fn role_holders(&self, role: &str) -> StoreResult<Vec<String>> {
                    let rows = sqlx::query("SELECT user_id FROM user_roles WHERE role = $1 ORDER BY user_id")
                        .bind(role)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                    rows.iter().map(|r| col(r, 0)).collect()
                }
            }

            #[async_trait]
            impl SessionStore for $store {
                async fn create_session(&self, s: &Session) -> StoreResult<()> {
                    sqlx::query("INSERT INTO sessions (id_hash, user_id, auth_time, created_at, expires_at, amr) VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(&s.id_hash)
                        .bind(&s.user_id)
                        .bind(s.auth_time)
                        .bind(s.created_at)
                        .bind(s.expires_at)
                        .bind(s.amr.join(" "))
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn session(&self, id_hash: &str, now: UnixTime) -> StoreResult<Option<Session>> {
                    let row = sqlx::query(
                        "SELECT id_hash, user_id, auth_time, created_at, expires_at, amr FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                    )
                    .bind(id_hash)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                    row.as_ref().map(session_from_row).transpose()
                }
                async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
                    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                        .bind(id_hash)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn sessions_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<Vec<Session>> {
                    let rows = sqlx::query(
                        "SELECT id_hash, user_id, auth_time, created_at, expires_at, amr FROM sessions \
                         WHERE user_id = $1 AND expires_at > $2 ORDER BY created_at DESC, id_hash",
                    )
                    .bind(user_id)
                    .bind(now)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    rows.iter().map(session_from_row).collect()
                }
                async fn end_session_of_user(&self, user_id: &str, id_hash: &str, now: UnixTime) -> StoreResult<bool> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let ended = sqlx::query("DELETE FROM sessions WHERE id_hash = $1 AND user_id = $2")
                        .bind(id_hash)
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    if ended == 0 {
                        return Ok(false);
                    }
                    sqlx::query("UPDATE grants SET revoked_at = $3 WHERE session_id_hash = $1 AND user_id = $2 AND revoked_at IS NULL")
                        .bind(id_hash)
                        .bind(user_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(true)
                }
                async fn end_sessions_of_user(&self, user_id: &str, now: UnixTime) -> StoreResult<u64> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    // Grants first, while the sessions still name them.
                    sqlx::query(
                        "UPDATE grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL \
                         AND session_id_hash IN (SELECT id_hash FROM sessions WHERE user_id = $1)",
                    )
                    .bind(user_id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                    let ended = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?
                        .rows_affected();
                    tx.commit().await.map_err(backend)?;
                    Ok(ended)
                }
            }

            #[async_trait]
            impl ConsentStore for $store {
                async fn consented_scopes(&self, user_id: &str, client_id: &str) -> StoreResult<Vec<String>> {
                    let rows = sqlx::query("SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2 ORDER BY scope")
                        .bind(user_id)
                        .bind(client_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(backend)?;
                    rows.iter().map(|r| col(r, 0)).collect()
                }
                async fn add_consent(
                    &self,
                    user_id: &str,
                    client_id: &str,
                    scopes: &[String],
                    now: UnixTime,
                ) -> StoreResult<()> {
                    // One statement per scope, each idempotent: no transaction is
                    // needed because a partial write only forgets some consent
                    // (the user is asked again), never grants more.
                    for scope in scopes {
                        sqlx::query("INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
                            .bind(user_id)
                            .bind(client_id)
                            .bind(scope)
                            .bind(now)
                            .execute(&self.writer)
                            .await
                            .map_err(backend)?;
                    }
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_users;
