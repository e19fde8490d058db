//! Injectable randomness. Production uses the OS generator through aws-lc;
//! tests use a deterministic sequence.

use crate::protocol::error::{OAuthError, Result};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::atomic::{AtomicU64, Ordering};

pub trait Random: Send + Sync + 'static {
    fn fill(&self, dest: &mut [u8]) -> Result<()>;

    /// `n` random bytes, base64url without padding: codes, tokens, ids.
    fn token(&self, n: usize) -> Result<String> {
        let mut buf = vec![0u8; n];
        self.fill(&mut buf)?;
        Ok(URL_SAFE_NO_PAD.encode(&buf))
    }
}

/// The operating system's CSPRNG.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        aws_lc_rs::rand::fill(dest)
            .map_err(|_| OAuthError::server_error("the system random generator failed"))
    }
}

/// Deterministic bytes for tests: SHA-256 of a counter. Never use in production.
#[derive(Debug, Default)]
pub struct SequenceRandom(AtomicU64);

impl Random for SequenceRandom {
    fn fill(&self, dest: &mut [u8]) -> Result<()> {
        for chunk in dest.chunks_mut(32) {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &n.to_be_bytes());
            chunk.copy_from_slice(&d.as_ref()[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_have_the_requested_entropy_and_differ() {
        let r = SystemRandom;
        let a = r.token(32).unwrap();
        let b = r.token(32).unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }

    #[test]
    fn sequence_random_is_deterministic() {
        let a = SequenceRandom::default();
        let b = SequenceRandom::default();
        assert_eq!(a.token(40).unwrap(), b.token(40).unwrap());
        assert_ne!(a.token(16).unwrap(), a.token(16).unwrap());
    }
}
