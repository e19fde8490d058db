//! Brute-force protection for every credential check: passwords (sign-in
//! screen and password grant), client authentication and device user
//! codes. Failures are counted per account and per client address in the
//! store (so every instance on one database counts together, and each
//! count is one atomic statement); past a free allowance each failure
//! locks the key for twice as long as the last, up to a ceiling. A locked
//! key refuses even the right credential, before it is checked, so
//! guessing gains nothing during a lock. Keys exist for unknown accounts
//! too, so a lock says nothing about whether an account exists.

use crate::error::Result;
use crate::provider::Provider;
use crate::secret::lookup_hash;
use std::net::IpAddr;
use std::sync::atomic::Ordering;

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

/// Per client and address for client authentication. Machine secrets
/// carry 256 bits, so guessing them is hopeless anyway; the lock is per
/// address so that a stranger's wrong secrets cannot lock the real client
/// out from its own address (the per-address counter stops the stranger).
pub const CLIENT: Policy = Policy {
    free: 10,
    base: 30,
    max: 900,
    forget_after: 3600,
};

/// Per signed-in user for device user codes (about 2^34.6 codes).
pub const USER_CODE: Policy = Policy {
    free: 10,
    base: 30,
    max: 900,
    forget_after: 3600,
};

/// Per address for device user codes.
pub const USER_CODE_ADDRESS: Policy = Policy {
    free: 30,
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

/// The counters one credential check counts under: the account's first,
/// then the address's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys(Vec<(String, Policy)>);

impl Keys {
    fn new(account: String, policy: Policy, address: Option<(String, Policy)>) -> Self {
        let mut k = vec![(account, policy)];
        k.extend(address);
        Self(k)
    }

    /// The account's key.
    pub fn account(&self) -> &str {
        self.0.first().map_or("", |(k, _)| k.as_str())
    }
}

/// The throttling key of a client address. IPv6 hosts usually own a whole
/// /64, so the key is the /64 prefix; an IPv4-mapped address counts as the
/// IPv4 address.
pub fn ip_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// A sign-in: the account by its normalised email (hashed: the store never
/// holds the guessed addresses in clear), and the address.
pub fn login(email: &str, from: Option<IpAddr>) -> Keys {
    let account = format!(
        "login:account:{}",
        lookup_hash(&crate::accounts::normalize_email(email))
    );
    let address = from.map(|ip| (format!("login:address:{}", ip_key(ip)), ADDRESS));
    Keys::new(account, ACCOUNT, address)
}

/// A client authentication: the client from this address, and the address.
pub fn client(client_id: &str, from: Option<IpAddr>) -> Keys {
    let ip = from.map(ip_key).unwrap_or_default();
    let account = format!("client:{}:{ip}", lookup_hash(client_id));
    let address = from.map(|_| (format!("client:address:{ip}"), ADDRESS));
    Keys::new(account, CLIENT, address)
}

/// A typed device user code: the signed-in user, and the address.
pub fn user_code(user_id: &str, from: Option<IpAddr>) -> Keys {
    let account = format!("user_code:user:{user_id}");
    let address = from.map(|ip| {
        (
            format!("user_code:address:{}", ip_key(ip)),
            USER_CODE_ADDRESS,
        )
    });
    Keys::new(account, USER_CODE, address)
}

/// Where a set of counters stands before a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Seconds until every key is unlocked; `None` when none is locked.
    pub wait: Option<i64>,
    /// Failures counted on the account's key.
    pub account_failures: i64,
}

/// Read the counters: is any key locked?
pub async fn standing(p: &Provider, keys: &Keys) -> Result<Standing> {
    let now = p.now();
    let mut longest = 0;
    let mut account_failures = 0;
    for (i, (k, policy)) in keys.0.iter().enumerate() {
        // A key read clear a moment ago is taken as still clear
        // ([`crate::cache`]): steady good traffic skips the read.
        if p.clear_lockouts.get(k, now).is_some() {
            continue;
        }
        let epoch = p.lockout_epoch.load(Ordering::SeqCst);
        match p.store.lockout(k).await? {
            Some(l) => {
                longest = longest.max(l.locked_until - now);
                if i == 0 && l.last_failure >= now - policy.forget_after {
                    account_failures = l.failures;
                }
            }
            None => p.clear_lockouts.put_if(k, (), now, || {
                p.lockout_epoch.load(Ordering::SeqCst) == epoch
            }),
        }
    }
    Ok(Standing {
        wait: (longest > 0).then_some(longest),
        account_failures,
    })
}

/// Count a failure under every key and lock those past their allowance.
/// Returns the wait now in force, if any.
pub async fn failed(p: &Provider, keys: &Keys) -> Result<Option<i64>> {
    let now = p.now();
    let mut longest = 0;
    p.lockout_epoch.fetch_add(1, Ordering::SeqCst);
    for (k, policy) in &keys.0 {
        p.clear_lockouts.remove(k);
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

/// A success: the account starts afresh (the address does not, or one good
/// account would unlock a spray from the same place). Writes only when
/// there is something to forget, so the hot path stays read-only.
pub async fn succeeded(p: &Provider, keys: &Keys, before: Standing) -> Result<()> {
    if before.account_failures > 0 {
        p.store.clear_lockout(keys.account()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    async fn wait(k: &crate::testkit::Kit, keys: &Keys) -> Option<i64> {
        standing(&k.p, keys).await.unwrap().wait
    }

    #[test]
    fn locks_double_from_the_allowance_up_to_the_ceiling() {
        let secs: Vec<i64> = (1..=12).map(|n| ACCOUNT.lock_secs(n)).collect();
        assert_eq!(secs, [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(ACCOUNT.lock_secs(i64::MAX), 900);
    }

    #[test]
    fn account_keys_ignore_case_and_spaces_and_hide_the_email() {
        assert_eq!(
            login(" Ada@Example.com", None),
            login("ada@example.com", None)
        );
        assert!(!login("ada@example.com", None).account().contains("ada"));
    }

    #[test]
    fn each_check_counts_apart() {
        let ip = Some("192.0.2.1".parse().unwrap());
        let all = [login("x", ip), client("x", ip), user_code("x", ip)];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(a.0.iter().all(|(k, _)| b.0.iter().all(|(l, _)| k != l)));
            }
        }
        // A client's key is per address: a stranger cannot lock it out.
        assert_ne!(
            client("web", ip).account(),
            client("web", Some("192.0.2.2".parse().unwrap())).account()
        );
    }

    #[test]
    fn ipv6_hosts_are_counted_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ip_key(a), ip_key(b));
        assert_ne!(ip_key(a), ip_key(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert_eq!(ip_key(mapped), "192.0.2.7");
    }

    #[tokio::test]
    async fn failures_lock_then_time_and_success_unlock() {
        let k = kit().await;
        let keys = login("ada@example.com", Some("192.0.2.1".parse().unwrap()));
        for _ in 0..4 {
            assert_eq!(failed(&k.p, &keys).await.unwrap(), None);
        }
        assert_eq!(failed(&k.p, &keys).await.unwrap(), Some(30));
        assert_eq!(wait(&k, &keys).await, Some(30));
        k.clock.advance(29);
        assert_eq!(wait(&k, &keys).await, Some(1));
        k.clock.advance(1);
        assert_eq!(wait(&k, &keys).await, None);
        assert_eq!(failed(&k.p, &keys).await.unwrap(), Some(60), "it doubles");
        k.clock.advance(60);
        let before = standing(&k.p, &keys).await.unwrap();
        assert_eq!(before.account_failures, 6);
        succeeded(&k.p, &login("ADA@example.com", None), before)
            .await
            .unwrap();
        assert_eq!(standing(&k.p, &keys).await.unwrap().account_failures, 0);
        // Another account from the same address is not locked by this one.
        let other = login("bob@example.com", Some("192.0.2.1".parse().unwrap()));
        assert_eq!(wait(&k, &other).await, None);
        // A long quiet spell forgets the failures.
        for _ in 0..5 {
            failed(&k.p, &keys).await.unwrap();
        }
        k.clock.advance(ACCOUNT.forget_after + 1);
        assert_eq!(standing(&k.p, &keys).await.unwrap().account_failures, 0);
        assert_eq!(failed(&k.p, &keys).await.unwrap(), None);
    }

    #[tokio::test]
    async fn the_address_locks_a_spray_across_accounts() {
        let k = kit().await;
        let ip = Some("198.51.100.4".parse().unwrap());
        let mut locked_at = None;
        for n in 1..=ADDRESS.free {
            // A different account each time: no account reaches its limit.
            if failed(&k.p, &login(&format!("u{n}@example.com"), ip))
                .await
                .unwrap()
                .is_some()
            {
                locked_at = Some(n);
                break;
            }
        }
        assert_eq!(locked_at, Some(ADDRESS.free));
        let fresh = login("someone-else@example.com", ip);
        assert!(wait(&k, &fresh).await.is_some(), "the address is locked");
        let elsewhere = login("someone-else@example.com", None);
        assert_eq!(wait(&k, &elsewhere).await, None);
    }

    #[tokio::test]
    async fn a_lock_set_elsewhere_shows_within_the_cache_ttl() {
        let k = kit().await;
        let keys = client("web", Some("192.0.2.7".parse().unwrap()));
        assert_eq!(wait(&k, &keys).await, None);
        // Another instance locks the key after this one read it clear.
        let now = k.p.now();
        k.p.store
            .count_failure(keys.account(), now, now - 60)
            .await
            .unwrap();
        k.p.store
            .lock_until(keys.account(), now + 300)
            .await
            .unwrap();
        // Until the clear mark expires this instance has not looked again.
        assert_eq!(wait(&k, &keys).await, None);
        k.clock.advance(k.p.config.lockout_cache_ttl);
        assert!(wait(&k, &keys).await.is_some());
    }

    #[tokio::test]
    async fn a_read_that_raced_a_failure_leaves_no_clear_mark() {
        let k = kit().await;
        let keys = client("web", Some("192.0.2.9".parse().unwrap()));
        // What standing() does, with a failure between its read and its mark.
        let epoch = k.p.lockout_epoch.load(Ordering::SeqCst);
        assert!(k.p.store.lockout(keys.account()).await.unwrap().is_none());
        failed(&k.p, &keys).await.unwrap();
        let now = k.p.now();
        k.p.clear_lockouts.put_if(keys.account(), (), now, || {
            k.p.lockout_epoch.load(Ordering::SeqCst) == epoch
        });
        assert!(k.p.clear_lockouts.get(keys.account(), now).is_none());
    }

    #[tokio::test]
    async fn a_failure_here_drops_the_clear_mark_at_once() {
        let k = kit().await;
        let keys = client("web", Some("192.0.2.8".parse().unwrap()));
        assert_eq!(wait(&k, &keys).await, None);
        for _ in 0..CLIENT.free {
            failed(&k.p, &keys).await.unwrap();
        }
        let locked = failed(&k.p, &keys).await.unwrap();
        assert!(locked.is_some());
        // No clock advance: the clear mark must not hide the new lock.
        assert_eq!(wait(&k, &keys).await, locked);
    }
}
