//! The storage traits, written once for every backend: the SQL below runs
//! unchanged on SQLite and PostgreSQL (`$N` placeholders, `ON CONFLICT`,
//! `RETURNING`). Each backend module instantiates [`impl_store`] with its
//! store, row and pool types.

/// Implement every storage trait for `$store`, which has a `pool` field for
/// reads and a `writer` field for writes (the same pool on PostgreSQL; one
/// connection on SQLite, see `sqlite.rs`).
/// Rows one sweep statement deletes at most.
pub(crate) const SWEEP_BATCH: u64 = 1000;

macro_rules! impl_store {
    ($store:ty, $row:ty, $pool:ty) => {
#[async_trait]
        impl ClientStore for $store {
            async fn client(&self, id: &str) -> StoreResult<Option<Client>> {
                let row = sqlx::query("SELECT data FROM clients WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                row.map(|r| from_json(r.get::<&str, _>(0))).transpose()
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
            async fn clients(&self) -> StoreResult<Vec<Client>> {
                let rows = sqlx::query("SELECT data FROM clients ORDER BY id")
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                rows.iter().map(|r| from_json(r.get::<&str, _>(0))).collect()
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
                row.map(|r| from_json(r.get::<&str, _>(0))).transpose()
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
                rows.iter().map(|r| from_json(r.get::<&str, _>(0))).collect()
            }
        }

        fn user_from_row(r: &$row) -> User {
            User {
                id: r.get("id"),
                email: r.get("email"),
                email_verified: r.get::<bool, _>("email_verified"),
                name: r.get("name"),
                given_name: r.get("given_name"),
                family_name: r.get("family_name"),
                phone_number: r.get("phone_number"),
                birthdate: r.get("birthdate"),
                terms_accepted_at: r.get("terms_accepted_at"),
                password_hash: r.get("password_hash"),
                created_at: r.get("created_at"),
                updated_at: r
                    .get::<Option<i64>, _>("updated_at")
                    .unwrap_or_else(|| r.get("created_at")),
                self_registered: r.get::<bool, _>("self_registered"),
            }
        }

        const USER_COLUMNS: &str =
            "id, email, email_verified, name, password_hash, created_at, given_name, family_name, updated_at, \
             phone_number, birthdate, terms_accepted_at, self_registered";

        #[async_trait]
        impl UserStore for $store {
            async fn user_by_email(&self, email: &str) -> StoreResult<Option<User>> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE email = $1"))
                    .bind(email.to_lowercase())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(row.as_ref().map(user_from_row))
            }
            async fn user_by_id(&self, id: &str) -> StoreResult<Option<User>> {
                let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(row.as_ref().map(user_from_row))
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
                Ok(row.get(0))
            }
            async fn delete_user(&self, id: &str, now: UnixTime) -> StoreResult<bool> {
                let mut tx = self.writer.begin().await.map_err(backend)?;
                sqlx::query("UPDATE grants SET revoked_at = $2 WHERE user_id = $1 AND revoked_at IS NULL")
                    .bind(id)
                    .bind(now)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                for sql in [
                    "DELETE FROM sessions WHERE user_id = $1",
                    "DELETE FROM consents WHERE user_id = $1",
                ] {
                    sqlx::query(sql).bind(id).execute(&mut *tx).await.map_err(backend)?;
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
        }

        #[async_trait]
        impl SessionStore for $store {
            async fn create_session(&self, s: &Session) -> StoreResult<()> {
                sqlx::query("INSERT INTO sessions (id_hash, user_id, auth_time, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&s.id_hash)
                    .bind(&s.user_id)
                    .bind(s.auth_time)
                    .bind(s.created_at)
                    .bind(s.expires_at)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
            async fn session(&self, id_hash: &str, now: UnixTime) -> StoreResult<Option<Session>> {
                let row = sqlx::query(
                    "SELECT id_hash, user_id, auth_time, created_at, expires_at FROM sessions WHERE id_hash = $1 AND expires_at > $2",
                )
                .bind(id_hash)
                .bind(now)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                Ok(row.map(|r| Session {
                    id_hash: r.get(0),
                    user_id: r.get(1),
                    auth_time: r.get(2),
                    created_at: r.get(3),
                    expires_at: r.get(4),
                }))
            }
            async fn delete_session(&self, id_hash: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
                    .bind(id_hash)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[async_trait]
        impl AuthRequestStore for $store {
            async fn put_auth_request(&self, r: &AuthRequest) -> StoreResult<()> {
                sqlx::query("INSERT INTO auth_requests (id, data, expires_at) VALUES ($1, $2, $3)")
                    .bind(&r.id)
                    .bind(to_json(r)?)
                    .bind(r.expires_at)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
            async fn auth_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<AuthRequest>> {
                let row = sqlx::query("SELECT data FROM auth_requests WHERE id = $1 AND expires_at > $2")
                    .bind(id)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                row.map(|r| from_json(r.get::<&str, _>(0))).transpose()
            }
            async fn update_auth_request(&self, r: &AuthRequest, now: UnixTime) -> StoreResult<bool> {
                let done = sqlx::query("UPDATE auth_requests SET data = $1 WHERE id = $2 AND expires_at > $3")
                    .bind(to_json(r)?)
                    .bind(&r.id)
                    .bind(now)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }
            async fn take_auth_request(&self, id: &str, now: UnixTime) -> StoreResult<Option<AuthRequest>> {
                let row =
                    sqlx::query("DELETE FROM auth_requests WHERE id = $1 AND expires_at > $2 RETURNING data")
                        .bind(id)
                        .bind(now)
                        .fetch_optional(&self.writer)
                        .await
                        .map_err(backend)?;
                row.map(|r| from_json(r.get::<&str, _>(0))).transpose()
            }
        }

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
                Ok(row.map(|r| Grant {
                    id: r.get(0),
                    client_id: r.get(1),
                    user_id: r.get(2),
                    scopes: r
                        .get::<&str, _>(3)
                        .split(' ')
                        .filter(|s| !s.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    created_at: r.get(4),
                    revoked_at: r.get(5),
                    session_id_hash: r.get(6),
                }))
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
                return Ok(Take::Taken(from_json(r.get::<&str, _>(0))?));
            }
            let seen = sqlx::query(&format!("SELECT data, used_at FROM {table} WHERE {key_column} = $1"))
                .bind(key)
                .fetch_optional(pool)
                .await
                .map_err(backend)?;
            match seen {
                Some(r) => match r.get::<Option<i64>, _>(1) {
                    Some(at) => Ok(Take::AlreadyUsed(from_json(r.get::<&str, _>(0))?, at)),
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
                row.map(|r| Ok((from_json(r.get::<&str, _>(0))?, r.get::<Option<i64>, _>(1))))
                    .transpose()
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
                Ok(rows.iter().map(|r| r.get::<String, _>(0)).collect())
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

        const DEVICE_COLUMNS: &str = "device_code_hash, user_code_hash, client_id, scopes, entrypoint, status, \
             user_id, grant_id, auth_time, acr, interval_secs, last_polled_at, created_at, expires_at, used_at";

        fn device_from_row(r: &$row) -> StoreResult<DeviceAuthorization> {
            let status: String = r.get("status");
            let status = DeviceStatus::parse(&status)
                .ok_or_else(|| StoreError::Backend(format!("unknown device status {status}")))?;
            let approval = match (r.get::<Option<String>, _>("user_id"), r.get::<Option<String>, _>("grant_id")) {
                (Some(user_id), Some(grant_id)) => Some(DeviceApproval {
                    user_id,
                    grant_id,
                    auth_time: r.get::<Option<i64>, _>("auth_time").unwrap_or_default(),
                    acr: r.get("acr"),
                }),
                _ => None,
            };
            Ok(DeviceAuthorization {
                device_code_hash: r.get("device_code_hash"),
                user_code_hash: r.get("user_code_hash"),
                client_id: r.get("client_id"),
                scopes: r
                    .get::<&str, _>("scopes")
                    .split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect(),
                entrypoint: r.get("entrypoint"),
                status,
                approval,
                interval: r.get("interval_secs"),
                last_polled_at: r.get("last_polled_at"),
                created_at: r.get("created_at"),
                expires_at: r.get("expires_at"),
                used_at: r.get("used_at"),
            })
        }

        #[async_trait]
        impl DeviceStore for $store {
            async fn put_device_authorization(&self, d: &DeviceAuthorization, now: UnixTime) -> StoreResult<()> {
                // An expired holder of the same user code gives it up.
                sqlx::query("DELETE FROM device_authorizations WHERE user_code_hash = $1 AND expires_at <= $2")
                    .bind(&d.user_code_hash)
                    .bind(now)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                let r = sqlx::query(&format!(
                    "INSERT INTO device_authorizations ({DEVICE_COLUMNS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
                ))
                .bind(&d.device_code_hash)
                .bind(&d.user_code_hash)
                .bind(&d.client_id)
                .bind(d.scopes.join(" "))
                .bind(&d.entrypoint)
                .bind(d.status.as_str())
                .bind(d.approval.as_ref().map(|a| a.user_id.clone()))
                .bind(d.approval.as_ref().map(|a| a.grant_id.clone()))
                .bind(d.approval.as_ref().map(|a| a.auth_time))
                .bind(d.approval.as_ref().and_then(|a| a.acr.clone()))
                .bind(d.interval)
                .bind(d.last_polled_at)
                .bind(d.created_at)
                .bind(d.expires_at)
                .bind(d.used_at)
                .execute(&self.writer)
                .await;
                match r {
                    Ok(_) => Ok(()),
                    Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                        Err(StoreError::Conflict("the user code is taken".into()))
                    }
                    Err(e) => Err(backend(e)),
                }
            }
            async fn device_by_user_code(&self, user_code_hash: &str) -> StoreResult<Option<DeviceAuthorization>> {
                let row = sqlx::query(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM device_authorizations WHERE user_code_hash = $1"
                ))
                .bind(user_code_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)?;
                row.as_ref().map(device_from_row).transpose()
            }
            async fn decide_device(
                &self,
                user_code_hash: &str,
                approval: Option<&DeviceApproval>,
                now: UnixTime,
            ) -> StoreResult<bool> {
                let status = if approval.is_some() { DeviceStatus::Approved } else { DeviceStatus::Denied };
                let done = sqlx::query(
                    "UPDATE device_authorizations SET status = $1, user_id = $2, grant_id = $3, auth_time = $4, acr = $5 \
                     WHERE user_code_hash = $6 AND status = 'pending' AND expires_at > $7",
                )
                .bind(status.as_str())
                .bind(approval.map(|a| a.user_id.clone()))
                .bind(approval.map(|a| a.grant_id.clone()))
                .bind(approval.map(|a| a.auth_time))
                .bind(approval.and_then(|a| a.acr.clone()))
                .bind(user_code_hash)
                .bind(now)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }
            async fn poll_device(
                &self,
                device_code_hash: &str,
                client_id: &str,
                now: UnixTime,
                step: i64,
            ) -> StoreResult<Option<(DeviceAuthorization, bool)>> {
                // Every right-hand side sees the row as it was before this
                // update, so one statement both judges and records the poll.
                let row = sqlx::query(&format!(
                    "UPDATE device_authorizations SET \
                     slow_poll = (last_polled_at IS NOT NULL AND $1 - last_polled_at < interval_secs), \
                     interval_secs = CASE WHEN last_polled_at IS NOT NULL AND $1 - last_polled_at < interval_secs \
                                     THEN interval_secs + $2 ELSE interval_secs END, \
                     last_polled_at = $1 \
                     WHERE device_code_hash = $3 AND client_id = $4 \
                     RETURNING {DEVICE_COLUMNS}, slow_poll"
                ))
                .bind(now)
                .bind(step)
                .bind(device_code_hash)
                .bind(client_id)
                .fetch_optional(&self.writer)
                .await
                .map_err(backend)?;
                match row {
                    Some(r) => Ok(Some((device_from_row(&r)?, r.get::<bool, _>("slow_poll")))),
                    None => Ok(None),
                }
            }
            async fn take_device(&self, device_code_hash: &str, now: UnixTime) -> StoreResult<bool> {
                let done = sqlx::query(
                    "UPDATE device_authorizations SET used_at = $1 \
                     WHERE device_code_hash = $2 AND status = 'approved' AND used_at IS NULL",
                )
                .bind(now)
                .bind(device_code_hash)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
                Ok(done.rows_affected() == 1)
            }
        }

        #[async_trait]
        impl PushedRequestStore for $store {
            async fn put_pushed_request(&self, r: &PushedRequest) -> StoreResult<()> {
                sqlx::query("INSERT INTO pushed_requests (uri_hash, client_id, data, expires_at) VALUES ($1, $2, $3, $4)")
                    .bind(&r.uri_hash)
                    .bind(&r.client_id)
                    .bind(to_json(r)?)
                    .bind(r.expires_at)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
            async fn take_pushed_request(&self, uri_hash: &str, now: UnixTime) -> StoreResult<Option<PushedRequest>> {
                let row = sqlx::query("DELETE FROM pushed_requests WHERE uri_hash = $1 AND expires_at > $2 RETURNING data")
                    .bind(uri_hash)
                    .bind(now)
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(backend)?;
                row.map(|r| from_json(r.get::<&str, _>(0))).transpose()
            }
        }

        #[async_trait]
        impl AuditStore for $store {
            async fn append_audit(&self, r: &portico_core::audit::Record) -> StoreResult<()> {
                sqlx::query(
                    "INSERT INTO audit_log (at, event, user_id, client_id, ip, detail) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(r.at)
                .bind(&r.event)
                .bind(&r.user_id)
                .bind(&r.client_id)
                .bind(&r.ip)
                .bind(&r.detail)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
                Ok(())
            }
            async fn audit_log(
                &self,
                f: &portico_core::audit::Filter,
            ) -> StoreResult<Vec<portico_core::audit::Record>> {
                let rows = sqlx::query(
                    "SELECT id, at, event, user_id, client_id, ip, detail FROM audit_log \
                     WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) \
                     AND (CAST($2 AS TEXT) IS NULL OR client_id = $2) \
                     AND (CAST($3 AS BIGINT) IS NULL OR at >= $3) \
                     AND (CAST($4 AS BIGINT) IS NULL OR at < $4) \
                     ORDER BY id DESC LIMIT $5",
                )
                .bind(&f.user_id)
                .bind(&f.client_id)
                .bind(f.since)
                .bind(f.until)
                .bind(f.limit)
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                Ok(rows
                    .iter()
                    .map(|r| portico_core::audit::Record {
                        id: r.get(0),
                        at: r.get(1),
                        event: r.get(2),
                        user_id: r.get(3),
                        client_id: r.get(4),
                        ip: r.get(5),
                        detail: r.get(6),
                    })
                    .collect())
            }
        }

        #[async_trait]
        impl LockoutStore for $store {
            async fn lockout(&self, key: &str) -> StoreResult<Option<Lockout>> {
                let row = sqlx::query("SELECT failures, locked_until, last_failure FROM lockouts WHERE key = $1")
                    .bind(key)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(backend)?;
                Ok(row.map(|r| Lockout {
                    failures: r.get(0),
                    locked_until: r.get(1),
                    last_failure: r.get(2),
                }))
            }
            async fn reserve_attempt(
                &self,
                key: &str,
                now: UnixTime,
                policy: LockPolicy,
            ) -> StoreResult<Option<Reservation>> {
                // One statement: the right-hand sides see the old row, and
                // the WHERE leaves a locked key untouched (no row returned),
                // so counting, locking and refusing are one atomic step on
                // both backends. The lock is LockPolicy::lock_secs in SQL.
                let count = "(CASE WHEN lockouts.last_failure < $2 - $3 THEN 1 ELSE lockouts.failures + 1 END)";
                let lock = |n: &str| {
                    format!(
                        "(CASE WHEN {n} < $4 THEN 0 WHEN {n} - $4 >= $7 THEN $6 \
                         ELSE ($5 << CAST({n} - $4 AS INTEGER)) END)"
                    )
                };
                let sql = format!(
                    "INSERT INTO lockouts (key, failures, locked_until, last_failure) \
                     VALUES ($1, 1, $2 + {first}, $2) \
                     ON CONFLICT (key) DO UPDATE SET \
                     failures = {count}, locked_until = $2 + {next}, last_failure = $2 \
                     WHERE lockouts.locked_until <= $2 \
                     RETURNING failures, locked_until",
                    first = lock("1"),
                    next = lock(count),
                );
                let row = sqlx::query(&sql)
                    .bind(key)
                    .bind(now)
                    .bind(policy.forget_after)
                    .bind(policy.free)
                    .bind(policy.base)
                    .bind(policy.max)
                    .bind(policy.doublings_to_max())
                    .fetch_optional(&self.writer)
                    .await
                    .map_err(backend)?;
                row.map(|r| {
                    Ok(Reservation {
                        failures: r.try_get(0).map_err(backend)?,
                        locked_until: r.try_get(1).map_err(backend)?,
                    })
                })
                .transpose()
            }
            async fn release_attempt(&self, key: &str, its_lock: UnixTime) -> StoreResult<()> {
                sqlx::query(
                    "UPDATE lockouts SET failures = CASE WHEN failures > 0 THEN failures - 1 ELSE 0 END, \
                     locked_until = CASE WHEN locked_until = $2 THEN 0 ELSE locked_until END \
                     WHERE key = $1",
                )
                .bind(key)
                .bind(its_lock)
                .execute(&self.writer)
                .await
                .map_err(backend)?;
                Ok(())
            }
            async fn clear_lockout(&self, key: &str) -> StoreResult<()> {
                sqlx::query("DELETE FROM lockouts WHERE key = $1")
                    .bind(key)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                Ok(())
            }
        }

        #[async_trait]
        impl SweepStore for $store {
            async fn sweep_expired(&self, c: &Cutoffs) -> StoreResult<Swept> {
                // Each kind in batches of SWEEP_BATCH by primary key, so the
                // single SQLite writer is never held for long and token
                // requests keep flowing while a large backlog goes.
                const SWEEP_BATCH: u64 = crate::sql::SWEEP_BATCH;
                let t = c.expired_before;
                let mut s = Swept::default();
                let kinds: [(&str, &str, &str, i64, &mut u64); 8] = [
                    ("auth_requests", "id", "expires_at < $1", t, &mut s.auth_requests),
                    ("pushed_requests", "uri_hash", "expires_at < $1", t, &mut s.pushed_requests),
                    ("device_authorizations", "device_code_hash", "expires_at < $1", t, &mut s.device_authorizations),
                    ("sessions", "id_hash", "expires_at < $1", t, &mut s.sessions),
                    ("auth_codes", "code_hash", "expires_at < $1", c.codes_expired_before, &mut s.codes),
                    ("refresh_tokens", "token_hash", "expires_at < $1", t, &mut s.refresh_tokens),
                    ("revoked_access_tokens", "jti", "expires_at < $1", t, &mut s.revoked_jtis),
                    ("audit_log", "id", "at < $1", c.audit_before, &mut s.audit),
                ];
                for (table, key, dead, cutoff, count) in kinds {
                    let sql = format!(
                        "DELETE FROM {table} WHERE {key} IN \
                         (SELECT {key} FROM {table} WHERE {dead} LIMIT {SWEEP_BATCH})"
                    );
                    loop {
                        let n = sqlx::query(&sql)
                            .bind(cutoff)
                            .execute(&self.writer)
                            .await
                            .map_err(backend)?
                            .rows_affected();
                        *count += n;
                        if n < SWEEP_BATCH {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                }
                // After codes, refresh tokens and devices: a grant goes once
                // nothing refers to it any more.
                let grants = format!(
                    "DELETE FROM grants WHERE id IN (SELECT g.id FROM grants g WHERE g.created_at < $1 \
                     AND NOT EXISTS (SELECT 1 FROM auth_codes x WHERE x.grant_id = g.id) \
                     AND NOT EXISTS (SELECT 1 FROM refresh_tokens x WHERE x.grant_id = g.id) \
                     AND NOT EXISTS (SELECT 1 FROM device_authorizations x WHERE x.grant_id = g.id) \
                     LIMIT {SWEEP_BATCH})"
                );
                let lockouts = format!(
                    "DELETE FROM lockouts WHERE key IN (SELECT key FROM lockouts \
                     WHERE last_failure < $1 AND locked_until <= $2 LIMIT {SWEEP_BATCH})"
                );
                for (sql, count, a, b) in [
                    (&grants, &mut s.grants, c.grants_created_before, 0),
                    (&lockouts, &mut s.lockouts, c.lockouts_failed_before, t),
                ] {
                    loop {
                        let mut q = sqlx::query(sql).bind(a);
                        if sql.contains("$2") {
                            q = q.bind(b);
                        }
                        let n = q.execute(&self.writer).await.map_err(backend)?.rows_affected();
                        *count += n;
                        if n < SWEEP_BATCH {
                            break;
                        }
                        tokio::task::yield_now().await;
                    }
                }
                Ok(s)
            }
        }

        #[async_trait]
        impl KeyStore for $store {
            async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
                let rows = sqlx::query(
                    "SELECT kid, alg, private_pkcs8, created_at FROM signing_keys ORDER BY alg",
                )
                .fetch_all(&self.pool)
                .await
                .map_err(backend)?;
                Ok(rows
                    .into_iter()
                    .map(|r| SigningKeyRecord {
                        kid: r.get(0),
                        alg: r.get(1),
                        private_pkcs8: r.get(2),
                        created_at: r.get(3),
                    })
                    .collect())
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
                Ok(row.get(0))
            }
        }
    };
}

pub(crate) use impl_store;
