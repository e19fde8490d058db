//! Brute-force protection for passwords: failures are counted per account
//! and per client address in the store (so every instance counts together);
//! past a free allowance each failure locks the key for twice as long as
//! the last, up to a ceiling. A successful sign-in clears the account's
//! counter. Keys exist for unknown emails too, so a lock says nothing about
//! whether an account exists.

use crate::error::Result;
use crate::provider::Provider;
use crate::secret::lookup_hash;
use std::net::IpAddr;

/// How many failures are free, and the lock after them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures allowed before the first lock.
    pub free: i64,
    /// The first lock, in seconds; each further failure doubles it.
    pub base: i64,
    /// The longest lock.
    pub max: i64,
    /// A counter whose last failure is this old starts again.
    pub forget_after: i64,
}

/// Per account: 5 tries, then 30 s, 60 s, 120 s... up to 15 minutes.
pub const ACCOUNT: Policy = Policy {
    free: 5,
    base: 30,
    max: 900,
    forget_after: 3600,
};

/// Per client address (IPv6 by /64): generous for shared addresses, but a
/// spray across many accounts from one place still stops.
pub const ADDRESS: Policy = Policy {
    free: 50,
    base: 30,
    max: 900,
    forget_after: 3600,
};

impl Policy {
    /// The lock after `failures` failures, in seconds (0: none).
    pub fn lock_secs(&self, failures: i64) -> i64 {
        if failures < self.free {
            return 0;
        }
        let doublings = u32::try_from((failures - self.free).min(30)).unwrap_or(30);
        self.base.saturating_mul(1_i64 << doublings).min(self.max)
    }
}

/// The counter key of an account, by its normalised email (hashed: the
/// store never holds the guessed addresses in clear).
pub fn account_key(email: &str) -> String {
    format!(
        "login:account:{}",
        lookup_hash(&crate::accounts::normalize_email(email))
    )
}

/// The counter key of a client address.
pub fn address_key(ip: IpAddr) -> String {
    format!("login:address:{}", crate::throttle::ip_key(ip))
}

/// The keys one sign-in attempt counts under.
pub fn keys(email: &str, from: Option<IpAddr>) -> Vec<(String, Policy)> {
    let mut k = vec![(account_key(email), ACCOUNT)];
    if let Some(ip) = from {
        k.push((address_key(ip), ADDRESS));
    }
    k
}

/// Seconds until every key is unlocked; `None` when none is locked.
pub async fn wait(p: &Provider, keys: &[(String, Policy)]) -> Result<Option<i64>> {
    let now = p.now();
    let mut longest = 0;
    for (k, _) in keys {
        if let Some(l) = p.store.lockout(k).await? {
            longest = longest.max(l.locked_until - now);
        }
    }
    Ok((longest > 0).then_some(longest))
}

/// Count a failure under every key and lock those past their allowance.
/// Returns the wait now in force, if any.
pub async fn failed(p: &Provider, keys: &[(String, Policy)]) -> Result<Option<i64>> {
    let now = p.now();
    let mut longest = 0;
    for (k, policy) in keys {
        let failures = p
            .store
            .count_failure(k, now, now - policy.forget_after)
            .await?;
        let secs = policy.lock_secs(failures);
        if secs > 0 {
            p.store.lock_until(k, now + secs).await?;
            longest = longest.max(secs);
        }
    }
    Ok((longest > 0).then_some(longest))
}

/// A successful sign-in: the account starts afresh (the address does not,
/// or one good account would unlock a spray from the same place).
pub async fn succeeded(p: &Provider, email: &str) -> Result<()> {
    Ok(p.store.clear_lockout(&account_key(email)).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    #[test]
    fn locks_double_from_the_allowance_up_to_the_ceiling() {
        let secs: Vec<i64> = (1..=12).map(|n| ACCOUNT.lock_secs(n)).collect();
        assert_eq!(secs, [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(ACCOUNT.lock_secs(i64::MAX), 900);
    }

    #[test]
    fn account_keys_ignore_case_and_spaces_and_hide_the_email() {
        assert_eq!(
            account_key(" Ada@Example.com"),
            account_key("ada@example.com")
        );
        assert!(!account_key("ada@example.com").contains("ada"));
    }

    #[tokio::test]
    async fn failures_lock_then_time_and_success_unlock() {
        let k = kit().await;
        let keys = keys("ada@example.com", Some("192.0.2.1".parse().unwrap()));
        for _ in 0..4 {
            assert_eq!(failed(&k.p, &keys).await.unwrap(), None);
        }
        assert_eq!(failed(&k.p, &keys).await.unwrap(), Some(30));
        assert_eq!(wait(&k.p, &keys).await.unwrap(), Some(30));
        k.clock.advance(29);
        assert_eq!(wait(&k.p, &keys).await.unwrap(), Some(1));
        k.clock.advance(1);
        assert_eq!(wait(&k.p, &keys).await.unwrap(), None);
        assert_eq!(failed(&k.p, &keys).await.unwrap(), Some(60), "it doubles");
        succeeded(&k.p, "ADA@example.com").await.unwrap();
        assert_eq!(wait(&k.p, &keys).await.unwrap(), None);
        // Another account from the same address is not locked by this one.
        let other = super::keys("bob@example.com", Some("192.0.2.1".parse().unwrap()));
        assert_eq!(wait(&k.p, &other).await.unwrap(), None);
        // A long quiet spell forgets the failures.
        for _ in 0..5 {
            failed(&k.p, &keys).await.unwrap();
        }
        k.clock.advance(ACCOUNT.forget_after + 1);
        assert_eq!(failed(&k.p, &keys).await.unwrap(), None);
    }
}
