//! Injectable time, so that expiry can be tested without sleeping.

use crate::model::UnixTime;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> UnixTime;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> UnixTime {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that moves only when told to (tests, and the server's test mode).
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: UnixTime) -> Self {
        Self(AtomicI64::new(start))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
    pub fn set(&self, t: UnixTime) {
        self.0.store(t, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> UnixTime {
        self.0.load(Ordering::SeqCst)
    }
}

/// A clock that is the system clock plus an offset the tests can move.
/// Used by the server's test hook so integration tests can expire codes.
/// Tests that compare waits to the second can stop it ([`Self::freeze`]),
/// so a second boundary passing mid-test cannot change an answer.
#[derive(Debug, Default)]
pub struct OffsetClock {
    offset: AtomicI64,
    /// Stopped at this time (0: running).
    frozen: AtomicI64,
}

impl OffsetClock {
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }

    /// Stop the clock where it is; [`Self::advance`] still moves it.
    pub fn freeze(&self) {
        let now = SystemClock.now();
        self.frozen.store(now, Ordering::SeqCst);
    }
}

impl Clock for OffsetClock {
    fn now(&self) -> UnixTime {
        let base = match self.frozen.load(Ordering::SeqCst) {
            0 => SystemClock.now(),
            at => at,
        };
        base + self.offset.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = ManualClock::new(1000);
        assert_eq!(c.now(), 1000);
        c.advance(61);
        assert_eq!(c.now(), 1061);
    }

    #[test]
    fn offset_clock_adds_its_offset() {
        let c = OffsetClock::default();
        let before = SystemClock.now();
        c.advance(3600);
        assert!(c.now() >= before + 3600);
    }
}
