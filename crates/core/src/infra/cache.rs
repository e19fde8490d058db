//! Short-lived, per-process copies of rarely changing records, so the token
//! endpoint's hot path does not wait on the database for them: clients
//! (a few seconds) and lockout keys known to be clear (about a second).
//!
//! The database stays the truth: an entry is only ever a copy of what a
//! read returned, it expires after `ttl` seconds of the provider's clock,
//! and writes made through this process drop it at once. Writes by another
//! process (the CLI, another instance) show after at most `ttl`.
//!
//! Written here rather than taken from a caching crate because expiry must
//! follow the provider's injectable clock (tests move time by hand), and
//! the whole need is a bounded map with expiry times.

use crate::model::AuditEvent;
use crate::model::UnixTime;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, MutexGuard};

pub struct TtlCache<V> {
    ttl: i64,
    max_entries: usize,
    map: Mutex<HashMap<String, (UnixTime, V)>>,
}

impl<V: Clone> TtlCache<V> {
    /// A `ttl` of 0 turns the cache off.
    pub fn new(ttl: i64, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries,
            map: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> MutexGuard<'_, HashMap<String, (UnixTime, V)>> {
        // A panic while holding the lock cannot leave the map half-written
        // (every change is one insert or remove), so a poisoned lock is fine.
        self.map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn get(&self, key: &str, now: UnixTime) -> Option<V> {
        if self.ttl <= 0 {
            return None;
        }
        match self.map().get(key) {
            Some((expires, v)) if *expires > now => Some(v.clone()),
            _ => None,
        }
    }

    pub fn put(&self, key: &str, value: V, now: UnixTime) {
        self.put_if(key, value, now, || true);
    }

    /// Store only if `still_valid()` holds, checked under the cache's lock:
    /// a `remove` that follows whatever makes it false cannot be overtaken.
    pub fn put_if(&self, key: &str, value: V, now: UnixTime, still_valid: impl FnOnce() -> bool) {
        if self.ttl <= 0 {
            return;
        }
        let mut map = self.map();
        if !still_valid() {
            return;
        }
        if map.len() >= self.max_entries && !map.contains_key(key) {
            map.retain(|_, (expires, _)| *expires > now);
            if map.len() >= self.max_entries {
                // Full of live entries (many distinct keys at once): start
                // over rather than grow without bound.
                map.clear();
            }
        }
        map.insert(key.to_owned(), (now + self.ttl, value));
    }

    pub fn remove(&self, key: &str) {
        self.map().remove(key);
    }
}

/// Attempts refused unchecked because a key was locked. A flood of them
/// must not be a flood of rows: they are counted in memory per event and
/// address and written as one entry each when `Refusals::flush` (in [`crate::services::audit`]) runs
/// (the sweeper does, every minute). At most [`Refusals::MAX_KEYS`]
/// addresses are told apart; past that the rest count without one.
#[derive(Default)]
pub struct Refusals(std::sync::Mutex<std::collections::HashMap<(AuditEvent, Option<IpAddr>), u64>>);

impl Refusals {
    pub const MAX_KEYS: usize = 10_000;

    fn map(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashMap<(AuditEvent, Option<IpAddr>), u64>>
    {
        // Every change is one insert or add: a poisoned lock is fine.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Everything counted so far, emptying the tally.
    pub fn take(&self) -> Vec<((AuditEvent, Option<IpAddr>), u64)> {
        self.map().drain().collect()
    }

    /// One more refusal of `event` from `ip`.
    pub fn count(&self, event: AuditEvent, ip: Option<IpAddr>) {
        let mut m = self.map();
        let ip = if m.len() >= Self::MAX_KEYS && !m.contains_key(&(event, ip)) {
            None
        } else {
            ip
        };
        *m.entry((event, ip)).or_insert(0) += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_after_the_ttl() {
        let c = TtlCache::new(5, 10);
        c.put("a", 1, 100);
        assert_eq!(c.get("a", 100), Some(1));
        assert_eq!(c.get("a", 104), Some(1));
        assert_eq!(c.get("a", 105), None);
        assert_eq!(c.get("b", 100), None);
    }

    #[test]
    fn removed_entries_are_gone() {
        let c = TtlCache::new(5, 10);
        c.put("a", 1, 100);
        c.remove("a");
        assert_eq!(c.get("a", 100), None);
    }

    #[test]
    fn a_zero_ttl_caches_nothing() {
        let c = TtlCache::new(0, 10);
        c.put("a", 1, 100);
        assert_eq!(c.get("a", 100), None);
    }

    #[test]
    fn the_size_stays_bounded() {
        let c = TtlCache::new(5, 3);
        for (i, k) in ["a", "b", "c", "d", "e"].iter().enumerate() {
            c.put(k, i, 100);
        }
        assert!(c.map().len() <= 3);
        assert_eq!(c.get("e", 100), Some(4));
        // Expired entries make room before live ones are dropped.
        let c = TtlCache::new(5, 2);
        c.put("old", 0, 100);
        c.put("live", 1, 103);
        c.put("new", 2, 106);
        assert_eq!(c.get("live", 106), Some(1));
        assert_eq!(c.get("new", 106), Some(2));
    }
}
