//! Bounded storage: the sweeper deletes what has expired (authorization
//! requests, codes, pushed requests, device authorizations, sessions,
//! refresh tokens, grants nothing refers to, revoked-jti entries, stale
//! lockout counters) and audit entries past their retention, retires
//! signing keys past their verification window, and writes
//! the aggregated refusals ([`crate::services::audit::Refusals`]). The server runs it
//! every minute on every instance; a run that overlaps another deletes
//! each row once.

use crate::infra::provider::Provider;
use crate::infra::store::{Cutoffs, Swept};
use crate::protocol::error::Result;
use crate::services::audit::Refusals;

/// Spent authorization codes are kept this long past their expiry, so a
/// late replay still finds the code and revokes what it issued
/// (RFC 6749 §4.1.2).
pub const CODE_REPLAY_WINDOW: i64 = 24 * 3600;

/// How long a sent or given-up mail's row (without its bodies) is kept.
pub const MAIL_KEPT: i64 = 24 * 3600;

/// The cutoffs at the provider's `now`.
pub fn cutoffs(p: &Provider) -> Cutoffs {
    let now = p.now();
    let c = &p.config;
    // The last access token of a grant is issued with its last refresh
    // token, or within a code's or device code's life of the grant's
    // creation: once no code, refresh token or device refers to the grant
    // and this long has passed, every token of it has expired.
    let longest_wait = c.code_ttl.max(c.device_code_ttl);
    Cutoffs {
        expired_before: now,
        codes_expired_before: now - CODE_REPLAY_WINDOW,
        grants_created_before: now - c.access_token_ttl - longest_wait,
        lockouts_failed_before: now - crate::services::lockout::FORGET_AFTER,
        audit_before: now - c.audit_retention_days.saturating_mul(86_400),
        mail_done_before: now - MAIL_KEPT,
    }
}

/// One sweep: delete what is dead and flush the refusal counts.
pub async fn sweep(p: &Provider) -> Result<Swept> {
    Refusals::flush(p).await?;
    // Keys are retired by time whether or not this runs (the key set
    // computes it); this erases their private bytes for good.
    crate::services::keys::retire_expired(p).await?;
    let swept = p.store.sweep_expired(&cutoffs(p)).await?;
    if swept.total() > 0 {
        tracing::info!(
            rows = swept.total(),
            auth_requests = swept.auth_requests,
            sessions = swept.sessions,
            refresh_tokens = swept.refresh_tokens,
            audit = swept.audit,
            "swept expired rows"
        );
    }
    Ok(swept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    #[tokio::test]
    async fn expired_requests_go_and_live_ones_stay() {
        use crate::testkit::{CB, q};
        let k = kit().await;
        let query =
            format!("client_id=web&redirect_uri={CB}&response_type=code&scope=openid&nonce=n");
        let pairs = q(&query);
        let ask = || crate::endpoints::authorize::authorize(&k.p, &pairs, None);
        ask().await;
        k.clock.advance(k.p.config.auth_request_ttl / 2);
        ask().await;
        assert_eq!(sweep(&k.p).await.unwrap().auth_requests, 0, "both alive");
        k.clock.advance(k.p.config.auth_request_ttl / 2 + 1);
        assert_eq!(sweep(&k.p).await.unwrap().auth_requests, 1, "the first");
        assert_eq!(sweep(&k.p).await.unwrap().auth_requests, 0, "only once");
        k.clock.advance(k.p.config.auth_request_ttl);
        assert_eq!(sweep(&k.p).await.unwrap().auth_requests, 1, "the second");
    }

    #[tokio::test]
    async fn audit_entries_outlive_their_retention_only() {
        let k = kit().await;
        crate::services::audit::record(&k.p, crate::services::audit::Event::SignedOut.entry())
            .await
            .unwrap();
        k.clock
            .advance(k.p.config.audit_retention_days * 86_400 - 1);
        assert_eq!(sweep(&k.p).await.unwrap().audit, 0);
        k.clock.advance(2);
        assert_eq!(sweep(&k.p).await.unwrap().audit, 1);
    }
}
