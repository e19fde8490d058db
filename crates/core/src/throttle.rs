//! Attempt counting for anything that can be guessed (user codes now;
//! passwords next). Counters live in the store, so every instance on one
//! database counts together, and each hit is one atomic statement: no
//! read-then-write race lets parallel guesses slip past the limit.

use crate::clock::UnixTime;
use crate::error::Result;
use crate::provider::Provider;
use std::net::IpAddr;

/// At most `max` attempts per fixed window of `window` seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub max: i64,
    pub window: i64,
}

/// Count an attempt under `key`. `Ok(None)` lets it through; `Ok(Some(s))`
/// refuses it, `s` being the seconds until the window ends (Retry-After).
/// Refused attempts count too, so hammering does not shorten the wait.
pub async fn attempt(p: &Provider, key: &str, limit: Limit) -> Result<Option<i64>> {
    let window = limit.window.max(1);
    let now = p.now();
    let start: UnixTime = now - now.rem_euclid(window);
    let hits = p.store.hit(key, start).await?;
    Ok((hits > limit.max).then(|| (start + window - now).max(1)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::kit;

    #[tokio::test]
    async fn the_limit_refuses_until_the_window_ends() {
        let k = kit().await;
        let limit = Limit { max: 3, window: 60 };
        // Start the test at the beginning of a window.
        let now = k.p.now();
        k.clock.advance(60 - now.rem_euclid(60));
        for _ in 0..3 {
            assert_eq!(attempt(&k.p, "a", limit).await.unwrap(), None);
        }
        assert_eq!(attempt(&k.p, "a", limit).await.unwrap(), Some(60));
        assert_eq!(
            attempt(&k.p, "b", limit).await.unwrap(),
            None,
            "keys count apart"
        );
        k.clock.advance(45);
        assert_eq!(attempt(&k.p, "a", limit).await.unwrap(), Some(15));
        k.clock.advance(15);
        assert_eq!(attempt(&k.p, "a", limit).await.unwrap(), None);
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
}
