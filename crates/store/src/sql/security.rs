//! Security bookkeeping: the audit log, login lockouts and the sweep of
//! expired rows.

macro_rules! impl_security {
    ($store:ty, $row:ty, $pool:ty) => {
        mod security {
            use super::*;
            use $crate::backend;
            use $crate::sql::col;
            use async_trait::async_trait;
            use portico_core::services::audit::{Filter, Record};
            use portico_core::model::UnixTime;
            use portico_core::infra::store::{
                AuditStore, Cutoffs, LockPolicy, Lockout, LockoutStore, Reservation, StoreResult,
                SweepStore, Swept,
            };

            #[async_trait]
            impl AuditStore for $store {
                async fn append_audit(&self, r: &Record) -> StoreResult<()> {
                    sqlx::query(
                        "INSERT INTO audit_log (at, event, user_id, client_id, ip, detail, actor) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(r.at)
                    .bind(&r.event)
                    .bind(&r.user_id)
                    .bind(&r.client_id)
                    .bind(&r.ip)
                    .bind(&r.detail)
                    .bind(&r.actor)
                    .execute(&self.writer)
                    .await
                    .map_err(backend)?;
                    Ok(())
                }
                async fn audit_log(
                    &self,
                    f: &Filter,
                ) -> StoreResult<Vec<Record>> {
                    let rows = sqlx::query(
                        "SELECT id, at, event, user_id, client_id, ip, detail, actor FROM audit_log \
                         WHERE (CAST($1 AS TEXT) IS NULL OR user_id = $1) \
                         AND (CAST($2 AS TEXT) IS NULL OR client_id = $2) \
                         AND (CAST($3 AS BIGINT) IS NULL OR at >= $3) \
                         AND (CAST($4 AS BIGINT) IS NULL OR at < $4) \
                         AND (CAST($5 AS TEXT) IS NULL OR event = $5) \
                         AND (CAST($6 AS TEXT) IS NULL OR actor = $6) \
                         AND (CAST($7 AS BIGINT) IS NULL OR id < $7) \
                         ORDER BY id DESC LIMIT $8",
                    )
                    .bind(&f.user_id)
                    .bind(&f.client_id)
                    .bind(f.since)
                    .bind(f.until)
                    .bind(&f.event)
                    .bind(&f.actor)
                    .bind(f.before_id)
                    .bind(f.limit)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    rows.iter()
                        .map(|r| {
                            Ok(Record {
                                id: col(r, 0)?,
                                at: col(r, 1)?,
                                event: col(r, 2)?,
                                user_id: col(r, 3)?,
                                client_id: col(r, 4)?,
                                ip: col(r, 5)?,
                                detail: col(r, 6)?,
                                actor: col(r, 7)?,
                            })
                        })
                        .collect()
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
                    row.map(|r| {
                        Ok(Lockout {
                            failures: col(&r, 0)?,
                            locked_until: col(&r, 1)?,
                            last_failure: col(&r, 2)?,
                        })
                    })
                    .transpose()
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
                            failures: col(&r, 0)?,
                            locked_until: col(&r, 1)?,
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
                    const SWEEP_BATCH: u64 = $crate::sql::SWEEP_BATCH;
                    let t = c.expired_before;
                    let mut s = Swept::default();
                    let batch = |table: &str, key: &str, dead: &str| {
                        format!(
                            "DELETE FROM {table} WHERE {key} IN \
                             (SELECT {key} FROM {table} WHERE {dead} LIMIT {SWEEP_BATCH})"
                        )
                    };
                    // In this order: a grant goes once no code, refresh token
                    // or device refers to it any more.
                    let kinds: [(String, Vec<i64>, &mut u64); 13] = [
                        (batch("auth_requests", "id", "expires_at < $1"), vec![t], &mut s.auth_requests),
                        (batch("pushed_requests", "uri_hash", "expires_at < $1"), vec![t], &mut s.pushed_requests),
                        (batch("device_authorizations", "device_code_hash", "expires_at < $1"), vec![t], &mut s.device_authorizations),
                        (batch("sessions", "id_hash", "expires_at < $1"), vec![t], &mut s.sessions),
                        (batch("auth_codes", "code_hash", "expires_at < $1"), vec![c.codes_expired_before], &mut s.codes),
                        (batch("refresh_tokens", "token_hash", "expires_at < $1"), vec![t], &mut s.refresh_tokens),
                        (batch("revoked_access_tokens", "jti", "expires_at < $1"), vec![t], &mut s.revoked_jtis),
                        (batch("audit_log", "id", "at < $1"), vec![c.audit_before], &mut s.audit),
                        (batch("email_tokens", "token_hash", "expires_at < $1"), vec![t], &mut s.email_tokens),
                        (batch("ceremonies", "id_hash", "expires_at < $1"), vec![t], &mut s.ceremonies),
                        (
                            batch("outbox", "id", "(sent_at < $1 OR failed_at < $1)"),
                            vec![c.mail_done_before],
                            &mut s.mails,
                        ),
                        (
                            batch(
                                "grants",
                                "id",
                                "created_at < $1 \
                                 AND NOT EXISTS (SELECT 1 FROM auth_codes x WHERE x.grant_id = grants.id) \
                                 AND NOT EXISTS (SELECT 1 FROM refresh_tokens x WHERE x.grant_id = grants.id) \
                                 AND NOT EXISTS (SELECT 1 FROM device_authorizations x WHERE x.grant_id = grants.id)",
                            ),
                            vec![c.grants_created_before],
                            &mut s.grants,
                        ),
                        (
                            batch("lockouts", "key", "last_failure < $1 AND locked_until <= $2"),
                            vec![c.lockouts_failed_before, t],
                            &mut s.lockouts,
                        ),
                    ];
                    for (sql, binds, count) in kinds {
                        loop {
                            let mut q = sqlx::query(&sql);
                            for b in &binds {
                                q = q.bind(*b);
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
        }
    };
}

pub(crate) use impl_security;
