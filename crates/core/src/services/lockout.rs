//! Brute-force protection for every credential check: passwords (sign-in
//! screen and password grant), client authentication and device user
//! codes. Failures are counted per account and per client address in the
//! store (so every instance on one database counts together, and each
//! count is one atomic statement); past a free allowance each failure
//! locks the key for twice as long as the last, up to a ceiling. A locked
//! key refuses even the right credential, before it is checked, so
//! guessing gains nothing during a lock. Keys exist for unknown accounts
//! too, so a lock says nothing about whether an account exists.

use crate::infra::provider::Provider;
use crate::infra::store::Reservation;
use crate::protocol::error::Result;
use crate::protocol::secret::lookup_hash;
use std::net::IpAddr;
use std::sync::atomic::Ordering;

/// How many failures are free, and the lock after them.
pub use crate::infra::store::LockPolicy as Policy;

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
/// out from its own address. There is no lock per address alone: behind
/// one proxy or NAT, one caller's bad secrets must not stop other clients,
/// and spraying client ids gains nothing.
pub const CLIENT: Policy = Policy {
    free: 10,
    base: 30,
    max: 900,
    forget_after: 3600,
};

/// Per address for sign-up attempts: every attempt that reaches the email
/// check counts, taken address or free, so sign-up cannot be used to test
/// thousands of addresses for accounts.
pub const SIGN_UP: Policy = Policy {
    free: 20,
    base: 60,
    max: 3600,
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

/// Mail asked for one recipient (reset links, verification codes): enough
/// for a person who lost a mail or two, not for filling an inbox.
pub const MAIL_RECIPIENT: Policy = Policy {
    free: 5,
    base: 600,
    max: 3600,
    forget_after: 3600,
};

/// Mail asked for from one address, whatever the recipients.
pub const MAIL_ADDRESS: Policy = Policy {
    free: 20,
    base: 600,
    max: 3600,
    forget_after: 3600,
};

/// Guesses at one account's email verification code (6 digits).
pub const VERIFY_CODE: Policy = Policy {
    free: 5,
    base: 60,
    max: 900,
    forget_after: 3600,
};

/// Guesses at one account's authentication code (6 digits, three steps
/// valid at a time): 5 tries, then 30 s doubling to 15 minutes, so
/// guessing a code takes years.
pub const SECOND_FACTOR: Policy = Policy {
    free: 5,
    base: 30,
    max: 900,
    forget_after: 3600,
};

/// The counters one credential check counts under: the account's first,
/// then the address's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    keys: Vec<(String, Policy)>,
    /// Client secrets: see [`Attempt`]'s two ways of counting.
    fast: bool,
}

/// The longest `forget_after` of any policy: counters quiet for longer
/// than this (and not locked) are swept.
pub const FORGET_AFTER: i64 = 3600;

impl Keys {
    fn new(account: String, policy: Policy, address: Option<(String, Policy)>) -> Self {
        let mut keys = vec![(account, policy)];
        keys.extend(address);
        Self { keys, fast: false }
    }

    /// The account's key.
    pub fn account(&self) -> &str {
        self.keys.first().map_or("", |(k, _)| k.as_str())
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
        lookup_hash(&crate::model::normalize_email(email))
    );
    let address = from.map(|ip| (format!("login:address:{}", ip_key(ip)), ADDRESS));
    Keys::new(account, ACCOUNT, address)
}

/// The keys that describe the person rather than an address: sign-in,
/// second factor, email verification code and device user code. An
/// administrator's unlock clears these; the address keys describe an IP
/// and stay.
pub fn account_keys(user: &crate::model::User) -> [String; 4] {
    [
        login(&user.email, None).account().to_owned(),
        second_factor(&user.id, None).account().to_owned(),
        verify_code(&user.id, None).account().to_owned(),
        user_code(&user.id, None).account().to_owned(),
    ]
}

/// Lift every lockout of the account ([`account_keys`]). A locked key is
/// read from the store at every attempt (only "clear" is cached), so this
/// counts at once on every instance.
pub async fn clear_account(p: &Provider, user: &crate::model::User) -> Result<()> {
    for key in account_keys(user) {
        p.store.clear_lockout(&key).await?;
    }
    Ok(())
}

/// Until when the account is locked (the latest of its keys), if it is
/// locked at `now`.
pub async fn account_locked_until(
    p: &Provider,
    user: &crate::model::User,
) -> Result<Option<crate::model::UnixTime>> {
    let now = p.now();
    let mut until = None;
    for key in account_keys(user) {
        if let Some(l) = p.store.lockout(&key).await?
            && l.locked_until > now
        {
            until = until.max(Some(l.locked_until));
        }
    }
    Ok(until)
}

/// A client authentication: the client from this address.
pub fn client(client_id: &str, from: Option<IpAddr>) -> Keys {
    let ip = from.map(ip_key).unwrap_or_default();
    let account = format!("client:{}:{ip}", lookup_hash(client_id));
    Keys {
        fast: true,
        ..Keys::new(account, CLIENT, None)
    }
}

/// A sign-up attempt: the address it comes from.
pub fn sign_up(from: Option<IpAddr>) -> Keys {
    let ip = from.map(ip_key).unwrap_or_default();
    Keys::new(format!("sign_up:address:{ip}"), SIGN_UP, None)
}

/// A mail asked for: its recipient (hashed, like sign-in accounts) and the
/// address asking. Every request counts, sent or not.
pub fn mail(recipient: &str, from: Option<IpAddr>) -> Keys {
    let account = format!(
        "mail:to:{}",
        lookup_hash(&crate::model::normalize_email(recipient))
    );
    let address = from.map(|ip| (format!("mail:address:{}", ip_key(ip)), MAIL_ADDRESS));
    Keys::new(account, MAIL_RECIPIENT, address)
}

/// A typed email verification code: the account, and the address.
pub fn verify_code(user_id: &str, from: Option<IpAddr>) -> Keys {
    let address = from.map(|ip| (format!("verify:address:{}", ip_key(ip)), ADDRESS));
    Keys::new(format!("verify:user:{user_id}"), VERIFY_CODE, address)
}

/// A typed authentication code (app or recovery code): the account, and
/// the address.
pub fn second_factor(user_id: &str, from: Option<IpAddr>) -> Keys {
    let address = from.map(|ip| (format!("mfa:address:{}", ip_key(ip)), ADDRESS));
    Keys::new(format!("mfa:user:{user_id}"), SECOND_FACTOR, address)
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

/// What [`begin`] decided.
#[derive(Debug)]
pub enum Begin {
    /// Check the credential, then report with [`Attempt::succeeded`] or
    /// [`Attempt::failed`].
    Go(Attempt),
    /// A key is locked: refuse without checking, for this many seconds.
    Locked(i64),
}

/// A credential check under way, counted one of two ways.
///
/// Passwords and device user codes are *reserved*: the attempt is counted
/// as a failure against the account (and the account locked as if it
/// failed) before the credential is looked at, in one atomic statement
/// ([`crate::infra::store::LockoutStore::reserve_attempt`]), and given back when
/// it was right. However many checks of one account run at once, on
/// however many instances, no more are made than the policy allows. One
/// person signs in once at a time, so a burst is always an attack. The
/// address is read (its lock refuses) and counted on a failure.
///
/// Client secrets cannot be counted that way: a machine client sends many
/// requests at once, and counting them in advance would lock it out of
/// its own traffic. Their check is synchronous and takes a microsecond,
/// and a secret carries at least 32 characters (256 random bits when
/// `portico client secret` makes it), so instead the lock is read before
/// the check and *read again after a right one* (a lock set meanwhile
/// wins), and a wrong one is counted at once. While every key is known
/// clear ([`crate::infra::cache`]) the reads are skipped, so the token
/// endpoint's hot path stays read-free: between that check and a
/// failure's report there is no await, and the report drops the marks
/// before its first write, so on one process at most one check per worker
/// thread can slip past a failure.
#[derive(Debug)]
#[must_use = "report how the check went"]
pub struct Attempt {
    keys: Keys,
    how: Counted,
    now: i64,
    epoch: u64,
}

#[derive(Debug)]
enum Counted {
    /// One reservation per key, in order.
    Reserved(Vec<Reservation>),
    /// Read before, re-read after a success, counted on a failure.
    Read,
    /// As `Read`, with the keys known clear: nothing read.
    Fast,
}

/// Start a credential check: see [`Attempt`]. A key locked now refuses
/// the check outright.
pub async fn begin(p: &Provider, keys: Keys) -> Result<Begin> {
    let now = p.now();
    let epoch = p.lockout_epoch.load(Ordering::SeqCst);
    let attempt = |keys, how| {
        Ok(Begin::Go(Attempt {
            keys,
            how,
            now,
            epoch,
        }))
    };
    if keys.fast {
        if keys
            .keys
            .iter()
            .all(|(k, _)| p.clear_lockouts.get(k, now).is_some())
        {
            return attempt(keys, Counted::Fast);
        }
        return match wait(p, &keys).await? {
            Some(w) => Ok(Begin::Locked(w)),
            None => attempt(keys, Counted::Read),
        };
    }
    // The account's key is reserved; the address's is read (a lock
    // refuses) and counted only on a failure. Reserving the address too
    // would count every sign-in in flight from it as a failure: a busy
    // proxy or NAT (50 people signing in at once) would lock itself out.
    // A spray over many accounts from one address is bounded by the hash
    // queue and stopped by the address's lock once its failures count.
    let Some((account, policy)) = keys.keys.first() else {
        return attempt(keys, Counted::Reserved(Vec::new()));
    };
    let Some(mine) = p.store.reserve_attempt(account, now, *policy).await? else {
        let wait = p
            .store
            .lockout(account)
            .await?
            .map_or(1, |l| (l.locked_until - now).max(1));
        return Ok(Begin::Locked(wait));
    };
    for (k, _) in keys.keys.iter().skip(1) {
        if let Some(l) = p.store.lockout(k).await?
            && l.locked_until > now
        {
            // This check never runs: give the account its count back.
            p.store.release_attempt(account, mine.locked_until).await?;
            return Ok(Begin::Locked(l.locked_until - now));
        }
    }
    attempt(keys, Counted::Reserved(vec![mine]))
}

impl Attempt {
    /// The credential was right. The account starts afresh; the address
    /// keeps its earlier failures (or one good account would unlock a spray
    /// from the same place).
    ///
    /// Re-checks first: if checks that began after this one failed and
    /// locked the account while this one was being checked, the lock wins
    /// and the wait comes back as `Err`.
    pub async fn succeeded(self, p: &Provider) -> Result<std::result::Result<(), i64>> {
        let reserved = match &self.how {
            Counted::Fast => return Ok(Ok(())),
            Counted::Read => {
                let account = p.store.lockout(self.keys.account()).await?;
                if let Some(w) = wait(p, &self.keys).await? {
                    return Ok(Err(w));
                }
                if account.is_some_and(|l| l.failures > 0) {
                    p.store.clear_lockout(self.keys.account()).await?;
                }
                // Clean now: later checks may skip the reads, unless a
                // failure on this process came in between.
                for (k, _) in &self.keys.keys {
                    p.clear_lockouts.put_if(k, (), self.now, || {
                        p.lockout_epoch.load(Ordering::SeqCst) == self.epoch
                    });
                }
                return Ok(Ok(()));
            }
            Counted::Reserved(r) => r,
        };
        let Some(mine) = reserved.first() else {
            return Ok(Ok(()));
        };
        // Against the time now, not when the check began: a later attempt
        // that set no lock leaves `locked_until` at its own start.
        let now = p.now();
        if let Some(l) = p.store.lockout(self.keys.account()).await?
            && l.failures > mine.failures
            && l.locked_until > now
        {
            return Ok(Err(l.locked_until - now));
        }
        p.store.clear_lockout(self.keys.account()).await?;
        Ok(Ok(()))
    }

    /// The credential was wrong. Returns the wait now in force, if any.
    pub async fn failed(self, p: &Provider) -> Result<Option<i64>> {
        // Before any await: no check on this process takes the fast path
        // from here on.
        p.lockout_epoch.fetch_add(1, Ordering::SeqCst);
        for (k, _) in &self.keys.keys {
            p.clear_lockouts.remove(k);
        }
        let (mut until, counted) = match &self.how {
            // The account was counted when the check began; the rest now.
            Counted::Reserved(r) => (r.iter().map(|r| r.locked_until).max(), r.len()),
            Counted::Read | Counted::Fast => (None, 0),
        };
        for (k, policy) in self.keys.keys.iter().skip(counted) {
            let at = match p.store.reserve_attempt(k, self.now, *policy).await? {
                Some(r) => r.locked_until,
                // Locked meanwhile by another failure.
                None => p.store.lockout(k).await?.map_or(0, |l| l.locked_until),
            };
            until = until.max(Some(at));
        }
        Ok(until.map(|u| u - self.now).filter(|&wait| wait > 0))
    }

    /// The attempt stays counted whatever its outcome (sign-up attempts).
    pub fn keep(self) {}

    /// The credential could not be checked (the server is too busy), or
    /// was no guess (a device code that exists but is spent): the attempt
    /// is given back uncounted, and nothing earlier is forgiven.
    pub async fn abandon(self, p: &Provider) -> Result<()> {
        if let Counted::Reserved(reserved) = &self.how {
            for ((k, _), r) in self.keys.keys.iter().zip(reserved) {
                p.store.release_attempt(k, r.locked_until).await?;
            }
        }
        Ok(())
    }
}

/// Seconds until every key is unlocked, read from the store; `None` when
/// none is locked.
pub async fn wait(p: &Provider, keys: &Keys) -> Result<Option<i64>> {
    let now = p.now();
    let mut longest = 0;
    for (k, _) in &keys.keys {
        if let Some(l) = p.store.lockout(k).await? {
            longest = longest.max(l.locked_until - now);
        }
    }
    Ok((longest > 0).then_some(longest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    async fn go(k: &crate::testkit::Kit, keys: &Keys) -> Attempt {
        match begin(&k.p, keys.clone()).await.unwrap() {
            Begin::Go(a) => a,
            Begin::Locked(w) => panic!("locked for {w} s"),
        }
    }

    /// One wrong credential: the wait it leaves, or the lock that refused it.
    async fn fail(k: &crate::testkit::Kit, keys: &Keys) -> Option<i64> {
        match begin(&k.p, keys.clone()).await.unwrap() {
            Begin::Go(a) => a.failed(&k.p).await.unwrap(),
            Begin::Locked(w) => Some(w),
        }
    }

    async fn locked(k: &crate::testkit::Kit, keys: &Keys) -> Option<i64> {
        wait(&k.p, keys).await.unwrap()
    }

    #[test]
    fn locks_double_from_the_allowance_up_to_the_ceiling() {
        let secs: Vec<i64> = (1..=12).map(|n| ACCOUNT.lock_secs(n)).collect();
        assert_eq!(secs, [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(ACCOUNT.lock_secs(i64::MAX), 900);
        assert_eq!(ACCOUNT.doublings_to_max(), 5);
        for p in [
            ACCOUNT,
            ADDRESS,
            CLIENT,
            USER_CODE,
            USER_CODE_ADDRESS,
            SIGN_UP,
            MAIL_RECIPIENT,
            MAIL_ADDRESS,
            VERIFY_CODE,
        ] {
            assert!(p.forget_after <= FORGET_AFTER);
            let k = p.doublings_to_max();
            assert_eq!(p.lock_secs(p.free + k), p.max);
            assert!(k == 0 || p.lock_secs(p.free + k - 1) < p.max);
        }
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
        let all = [
            login("x", ip),
            client("x", ip),
            user_code("x", ip),
            sign_up(ip),
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(
                    a.keys
                        .iter()
                        .all(|(k, _)| b.keys.iter().all(|(l, _)| k != l))
                );
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
            assert_eq!(fail(&k, &keys).await, None);
        }
        assert_eq!(fail(&k, &keys).await, Some(30));
        assert_eq!(locked(&k, &keys).await, Some(30));
        k.clock.advance(29);
        assert_eq!(fail(&k, &keys).await, Some(1), "refused, not counted");
        k.clock.advance(1);
        assert_eq!(locked(&k, &keys).await, None);
        assert_eq!(fail(&k, &keys).await, Some(60), "it doubles");
        k.clock.advance(60);
        let right = go(&k, &login("ADA@example.com", keys_ip(&keys))).await;
        assert_eq!(right.succeeded(&k.p).await.unwrap(), Ok(()));
        assert_eq!(k.p.store.lockout(keys.account()).await.unwrap(), None);
        // The address keeps its failures but not the successful attempt.
        let address = &keys.keys[1].0;
        assert_eq!(
            k.p.store.lockout(address).await.unwrap().unwrap().failures,
            6
        );
        // Another account from the same address is not locked by this one.
        let other = login("bob@example.com", Some("192.0.2.1".parse().unwrap()));
        assert_eq!(locked(&k, &other).await, None);
        // A long quiet spell forgets the failures.
        for _ in 0..5 {
            fail(&k, &keys).await;
        }
        k.clock.advance(ACCOUNT.forget_after + 1);
        assert_eq!(fail(&k, &keys).await, None);
        assert_eq!(
            k.p.store
                .lockout(keys.account())
                .await
                .unwrap()
                .unwrap()
                .failures,
            1
        );
    }

    fn keys_ip(keys: &Keys) -> Option<IpAddr> {
        keys.keys[1].0.rsplit(':').next()?.parse().ok()
    }

    #[tokio::test]
    async fn concurrent_checks_get_only_the_allowance() {
        let k = std::sync::Arc::new(kit().await);
        let keys = login("ada@example.com", Some("192.0.2.1".parse().unwrap()));
        let mut tasks = Vec::new();
        for _ in 0..200 {
            let (k, keys) = (k.clone(), keys.clone());
            tasks.push(tokio::spawn(
                async move { begin(&k.p, keys).await.unwrap() },
            ));
        }
        let mut admitted = Vec::new();
        for t in tasks {
            if let Begin::Go(a) = t.await.unwrap() {
                admitted.push(a);
            }
        }
        assert_eq!(admitted.len(), ACCOUNT.free as usize);
        // All of them wrong but the last: the lock the others set wins.
        let last = admitted.remove(0);
        for a in admitted {
            a.failed(&k.p).await.unwrap();
        }
        assert!(last.succeeded(&k.p).await.unwrap().is_err());
    }

    #[tokio::test]
    async fn a_check_that_could_not_run_is_not_counted() {
        let k = kit().await;
        let keys = login("ada@example.com", Some("192.0.2.1".parse().unwrap()));
        for _ in 0..10 {
            go(&k, &keys).await.abandon(&k.p).await.unwrap();
        }
        let account = k.p.store.lockout(keys.account()).await.unwrap().unwrap();
        assert_eq!((account.failures, account.locked_until), (0, 0));
    }

    #[tokio::test]
    async fn the_address_locks_a_spray_across_accounts() {
        let k = kit().await;
        let ip = Some("198.51.100.4".parse().unwrap());
        let mut locked_at = None;
        for n in 1..=ADDRESS.free {
            // A different account each time: no account reaches its limit.
            if fail(&k, &login(&format!("u{n}@example.com"), ip))
                .await
                .is_some()
            {
                locked_at = Some(n);
                break;
            }
        }
        assert_eq!(locked_at, Some(ADDRESS.free));
        let fresh = login("someone-else@example.com", ip);
        assert!(matches!(
            begin(&k.p, fresh).await.unwrap(),
            Begin::Locked(_)
        ));
        let elsewhere = login("someone-else@example.com", None);
        assert!(matches!(
            begin(&k.p, elsewhere).await.unwrap(),
            Begin::Go(_)
        ));
    }

    #[tokio::test]
    async fn clients_skip_the_store_once_known_clear_and_stop_at_a_failure() {
        let k = kit().await;
        let keys = client("web", Some("192.0.2.7".parse().unwrap()));
        // The first check reads the store and, clean, marks the keys.
        let first = go(&k, &keys).await;
        assert!(matches!(first.how, Counted::Read));
        first.succeeded(&k.p).await.unwrap().unwrap();
        let a = go(&k, &keys).await;
        assert!(matches!(a.how, Counted::Fast));
        // A failure on the fast path counts, and ends the fast path at once.
        assert_eq!(a.failed(&k.p).await.unwrap(), None);
        let account = k.p.store.lockout(keys.account()).await.unwrap();
        assert_eq!(account.map(|l| l.failures), Some(1));
        let b = go(&k, &keys).await;
        assert!(matches!(b.how, Counted::Read), "back to reading");
        // A success forgets the failure and marks the keys again.
        b.succeeded(&k.p).await.unwrap().unwrap();
        assert_eq!(k.p.store.lockout(keys.account()).await.unwrap(), None);
        assert!(matches!(go(&k, &keys).await.how, Counted::Fast));
    }

    #[tokio::test]
    async fn a_right_client_secret_checked_while_a_lock_was_set_is_refused() {
        let k = kit().await;
        let keys = client("web", Some("192.0.2.7".parse().unwrap()));
        let right = go(&k, &keys).await;
        for _ in 0..CLIENT.free {
            let _ = fail(&k, &keys).await;
        }
        assert_eq!(right.succeeded(&k.p).await.unwrap(), Err(30));
    }

    #[tokio::test]
    async fn a_later_attempt_that_set_no_lock_does_not_refuse_an_earlier_right_one() {
        let k = kit().await;
        let keys = login("ada@example.com", Some("192.0.2.1".parse().unwrap()));
        let first = go(&k, &keys).await;
        k.clock.advance(1);
        let second = go(&k, &keys).await;
        assert_eq!(first.succeeded(&k.p).await.unwrap(), Ok(()));
        assert_eq!(second.succeeded(&k.p).await.unwrap(), Ok(()));
    }

    #[tokio::test]
    async fn a_lock_set_elsewhere_shows_within_the_cache_ttl() {
        let k = kit().await;
        let keys = client("web", Some("192.0.2.7".parse().unwrap()));
        go(&k, &keys).await.succeeded(&k.p).await.unwrap().unwrap();
        // Another instance locks the key after this one marked it clear.
        for _ in 0..CLIENT.free {
            k.p.store
                .reserve_attempt(keys.account(), k.p.now(), CLIENT)
                .await
                .unwrap();
        }
        // Until the clear mark expires this instance has not looked again.
        assert!(matches!(
            begin(&k.p, keys.clone()).await.unwrap(),
            Begin::Go(_)
        ));
        k.clock.advance(k.p.config.lockout_cache_ttl);
        assert!(matches!(begin(&k.p, keys).await.unwrap(), Begin::Locked(_)));
    }

    #[tokio::test]
    async fn a_check_that_raced_a_failure_leaves_no_clear_mark() {
        let k = kit().await;
        let keys = client("web", Some("192.0.2.9".parse().unwrap()));
        let clean = go(&k, &keys).await;
        // Another check fails while the clean one is still running.
        k.p.lockout_epoch.fetch_add(1, Ordering::SeqCst);
        clean.succeeded(&k.p).await.unwrap().unwrap();
        assert!(k.p.clear_lockouts.get(keys.account(), k.p.now()).is_none());
    }
}
