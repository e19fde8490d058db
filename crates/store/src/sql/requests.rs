//! Requests waiting for the user: authorization requests, pushed
//! authorization requests (RFC 9126) and device authorizations (RFC 8628).

macro_rules! impl_requests {
    ($store:ty, $row:ty, $pool:ty) => {
        mod requests {
            use super::*;
            use $crate::sql::{col, json_col, words_col};
            use $crate::{backend, to_json};
            use async_trait::async_trait;
            use portico_core::model::UnixTime;
            use portico_core::model::{
                AuthRequest, DeviceApproval, DeviceAuthorization, DeviceStatus, PushedRequest,
            };
            use portico_core::infra::store::{
                AuthRequestStore, DeviceStore, PushedRequestStore, StoreError, StoreResult,
            };

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
                    row.map(|r| json_col(&r, 0)).transpose()
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
                    row.map(|r| json_col(&r, 0)).transpose()
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
                    row.map(|r| json_col(&r, 0)).transpose()
                }
            }

            const DEVICE_COLUMNS: &str = "device_code_hash, user_code_hash, client_id, scopes, entrypoint, status, \
                 user_id, grant_id, auth_time, acr, amr, interval_secs, last_polled_at, created_at, expires_at, used_at";

            fn device_from_row(r: &$row) -> StoreResult<DeviceAuthorization> {
                let status: String = col(r, "status")?;
                let status = DeviceStatus::parse(&status)
                    .ok_or_else(|| StoreError::Backend(format!("unknown device status {status}")))?;
                let user_id: Option<String> = col(r, "user_id")?;
                let grant_id: Option<String> = col(r, "grant_id")?;
                let approval = match (user_id, grant_id) {
                    (Some(user_id), Some(grant_id)) => Some(DeviceApproval {
                        user_id,
                        grant_id,
                        auth_time: col::<Option<UnixTime>, _, _>(r, "auth_time")?.unwrap_or_default(),
                        acr: col(r, "acr")?,
                        amr: words_col(r, "amr")?,
                    }),
                    _ => None,
                };
                Ok(DeviceAuthorization {
                    device_code_hash: col(r, "device_code_hash")?,
                    user_code_hash: col(r, "user_code_hash")?,
                    client_id: col(r, "client_id")?,
                    scopes: words_col(r, "scopes")?,
                    entrypoint: col(r, "entrypoint")?,
                    status,
                    approval,
                    interval: col(r, "interval_secs")?,
                    last_polled_at: col(r, "last_polled_at")?,
                    created_at: col(r, "created_at")?,
                    expires_at: col(r, "expires_at")?,
                    used_at: col(r, "used_at")?,
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
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
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
                    .bind(d.approval.as_ref().map(|a| a.amr.join(" ")).unwrap_or_default())
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
                        "UPDATE device_authorizations SET status = $1, user_id = $2, grant_id = $3, auth_time = $4, acr = $5, amr = $8 \
                         WHERE user_code_hash = $6 AND status = 'pending' AND expires_at > $7",
                    )
                    .bind(status.as_str())
                    .bind(approval.map(|a| a.user_id.clone()))
                    .bind(approval.map(|a| a.grant_id.clone()))
                    .bind(approval.map(|a| a.auth_time))
                    .bind(approval.and_then(|a| a.acr.clone()))
                    .bind(user_code_hash)
                    .bind(now)
                    .bind(approval.map(|a| a.amr.join(" ")).unwrap_or_default())
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
                        Some(r) => Ok(Some((device_from_row(&r)?, col(&r, "slow_poll")?))),
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
        }
    };
}

pub(crate) use impl_requests;
