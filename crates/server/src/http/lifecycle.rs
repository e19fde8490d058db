//! Where this instance is in its life: starting (the listener is open but
//! the provider is not ready), serving, or draining (a stop signal came).
//! `/readyz` answers 503 unless serving; the listener stops accepting and
//! lets requests under way finish when draining begins.

use std::sync::atomic::{AtomicU8, Ordering};
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Starting,
    Serving,
    Draining,
}

impl Phase {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Serving => "serving",
            Self::Draining => "draining",
        }
    }
}

/// Shared by the listener, `/readyz` and whoever starts the shutdown.
pub struct Lifecycle {
    phase: AtomicU8,
    /// Flips to true once, when draining begins: the listener watches it.
    drain: watch::Sender<bool>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            phase: AtomicU8::new(Phase::Starting as u8),
            drain: watch::channel(false).0,
        }
    }
}

impl Lifecycle {
    pub fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Acquire) {
            0 => Phase::Starting,
            1 => Phase::Serving,
            _ => Phase::Draining,
        }
    }

    /// Start-up is over. Never undoes a drain that began meanwhile.
    pub fn serving(&self) {
        let _ = self.phase.compare_exchange(
            Phase::Starting as u8,
            Phase::Serving as u8,
            Ordering::AcqRel,
            Ordering::Acquire,
        );
    }

    /// Begin draining: `/readyz` says 503 from now on and the listener
    /// stops accepting. Idempotent.
    pub fn drain(&self) {
        self.phase.store(Phase::Draining as u8, Ordering::Release);
        self.drain.send_replace(true);
    }

    /// Resolves once draining has begun (at once if it already has).
    pub async fn drained(&self) {
        let mut rx = self.drain.subscribe();
        // Only an error if the sender is gone, and `self` holds it.
        let _ = rx.wait_for(|d| *d).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_drain_is_final_and_wakes_the_waiters() {
        let l = std::sync::Arc::new(Lifecycle::default());
        assert_eq!(l.phase(), Phase::Starting);
        let waiter = tokio::spawn({
            let l = l.clone();
            async move { l.drained().await }
        });
        l.serving();
        assert_eq!(l.phase(), Phase::Serving);
        l.drain();
        waiter.await.unwrap();
        l.serving();
        assert_eq!(l.phase(), Phase::Draining, "serving() cannot undo a drain");
        // Already drained: returns at once.
        l.drained().await;
    }
}
