//! The outbox and the single-use tokens mails carry.

macro_rules! impl_mail {
    ($store:ty, $row:ty, $pool:ty) => {
        mod mail {
            use super::*;
            use $crate::backend;
            use $crate::sql::col;
            use async_trait::async_trait;
            use portico_core::infra::store::{MailStore, StoreError, StoreResult};
            use portico_core::model::{EmailToken, EmailTokenKind, OutboxMail, UnixTime};

            const MAIL_COLUMNS: &str =
                "id, recipient, subject, text_body, html_body, created_at, attempts, next_attempt_at";

            fn mail_from_row(r: &$row) -> StoreResult<OutboxMail> {
                Ok(OutboxMail {
                    id: col(r, "id")?,
                    recipient: col(r, "recipient")?,
                    subject: col(r, "subject")?,
                    text: col(r, "text_body")?,
                    html: col(r, "html_body")?,
                    created_at: col(r, "created_at")?,
                    attempts: col(r, "attempts")?,
                    next_attempt_at: col(r, "next_attempt_at")?,
                })
            }

            fn token_from_row(r: &$row) -> StoreResult<EmailToken> {
                let kind: String = col(r, "kind")?;
                Ok(EmailToken {
                    token_hash: col(r, "token_hash")?,
                    kind: EmailTokenKind::parse(&kind).ok_or_else(|| {
                        StoreError::Backend(format!("unknown email token kind {kind:?}"))
                    })?,
                    user_id: col(r, "user_id")?,
                    email: col(r, "email")?,
                    request_id: col(r, "request_id")?,
                    created_at: col(r, "created_at")?,
                    expires_at: col(r, "expires_at")?,
                })
            }

            #[async_trait]
            impl MailStore for $store {
                async fn queue_mail(&self, m: &OutboxMail, tokens: &[EmailToken]) -> StoreResult<()> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    for t in tokens {
                        sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND kind = $2 AND used_at IS NULL")
                            .bind(&t.user_id)
                            .bind(t.kind.as_str())
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                    }
                    for t in tokens {
                        sqlx::query("INSERT INTO email_tokens (token_hash, kind, user_id, email, request_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                            .bind(&t.token_hash)
                            .bind(t.kind.as_str())
                            .bind(&t.user_id)
                            .bind(&t.email)
                            .bind(&t.request_id)
                            .bind(t.created_at)
                            .bind(t.expires_at)
                            .execute(&mut *tx)
                            .await
                            .map_err(backend)?;
                    }
                    sqlx::query(&format!("INSERT INTO outbox ({MAIL_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"))
                        .bind(&m.id)
                        .bind(&m.recipient)
                        .bind(&m.subject)
                        .bind(&m.text)
                        .bind(&m.html)
                        .bind(m.created_at)
                        .bind(m.attempts)
                        .bind(m.next_attempt_at)
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    tx.commit().await.map_err(backend)
                }
                async fn claim_mail(
                    &self,
                    now: UnixTime,
                    lease_until: UnixTime,
                    limit: u32,
                ) -> StoreResult<Vec<OutboxMail>> {
                    let due = sqlx::query(
                        "SELECT id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                         AND (claimed_until IS NULL OR claimed_until <= $1) ORDER BY next_attempt_at LIMIT $2",
                    )
                    .bind(now)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(backend)?;
                    let mut out = Vec::with_capacity(due.len());
                    for row in &due {
                        let id: String = col(row, 0)?;
                        // The claim itself is one conditional UPDATE: of two
                        // instances claiming the same row, the second finds
                        // the lease taken and gets nothing.
                        let won = sqlx::query(&format!(
                            "UPDATE outbox SET claimed_until = $2, attempts = attempts + 1 \
                             WHERE id = $1 AND sent_at IS NULL AND failed_at IS NULL \
                             AND (claimed_until IS NULL OR claimed_until <= $3) RETURNING {MAIL_COLUMNS}"
                        ))
                        .bind(&id)
                        .bind(lease_until)
                        .bind(now)
                        .fetch_optional(&self.writer)
                        .await
                        .map_err(backend)?;
                        if let Some(r) = won {
                            out.push(mail_from_row(&r)?);
                        }
                    }
                    Ok(out)
                }
                async fn mail_sent(&self, id: &str, now: UnixTime) -> StoreResult<()> {
                    sqlx::query("UPDATE outbox SET sent_at = $2, claimed_until = NULL, text_body = '', html_body = '' WHERE id = $1")
                        .bind(id)
                        .bind(now)
                        .execute(&self.writer)
                        .await
                        .map_err(backend)?;
                    Ok(())
                }
                async fn mail_failed(
                    &self,
                    id: &str,
                    retry_at: Option<UnixTime>,
                    error: &str,
                    now: UnixTime,
                ) -> StoreResult<()> {
                    let error: String = error.chars().take(500).collect();
                    let q = match retry_at {
                        Some(at) => sqlx::query("UPDATE outbox SET claimed_until = NULL, next_attempt_at = $2, last_error = $3 WHERE id = $1")
                            .bind(id)
                            .bind(at)
                            .bind(error),
                        None => sqlx::query("UPDATE outbox SET claimed_until = NULL, failed_at = $2, last_error = $3, text_body = '', html_body = '' WHERE id = $1")
                            .bind(id)
                            .bind(now)
                            .bind(error),
                    };
                    q.execute(&self.writer).await.map_err(backend)?;
                    Ok(())
                }
                async fn outbox_depth(&self) -> StoreResult<u64> {
                    let row = sqlx::query("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL")
                        .fetch_one(&self.pool)
                        .await
                        .map_err(backend)?;
                    let n: i64 = col(&row, 0)?;
                    Ok(u64::try_from(n).unwrap_or(0))
                }
                async fn take_email_token(
                    &self,
                    token_hash: &str,
                    kind: EmailTokenKind,
                    now: UnixTime,
                ) -> StoreResult<Option<EmailToken>> {
                    let mut tx = self.writer.begin().await.map_err(backend)?;
                    let row = sqlx::query(
                        "UPDATE email_tokens SET used_at = $3 WHERE token_hash = $1 AND kind = $2 \
                         AND used_at IS NULL AND expires_at > $3 \
                         RETURNING token_hash, kind, user_id, email, request_id, created_at, expires_at",
                    )
                    .bind(token_hash)
                    .bind(kind.as_str())
                    .bind(now)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
                    let Some(row) = row else {
                        return Ok(None);
                    };
                    let t = token_from_row(&row)?;
                    sqlx::query("DELETE FROM email_tokens WHERE user_id = $1 AND kind = $2 AND used_at IS NULL")
                        .bind(&t.user_id)
                        .bind(kind.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(backend)?;
                    tx.commit().await.map_err(backend)?;
                    Ok(Some(t))
                }
            }
        }
    };
}

pub(crate) use impl_mail;
