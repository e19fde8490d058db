//! User passwords: argon2id (m=19 MiB, t=2, p=1, the OWASP minimum), always
//! run on the blocking thread pool so a burst of logins never stalls the
//! async runtime, and at most one hash per core at a time.

use crate::error::{OAuthError, Result};
use crate::secret::Secret;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::OnceLock;
use tokio::sync::Semaphore;

fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(OAuthError::server_error)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// One slot per core. Each hash holds 19 MiB and a core for tens of
/// milliseconds; unbounded, a burst of logins would start one hash per
/// request on tokio's blocking pool (up to 512 threads): memory would grow
/// by 19 MiB per waiting login and every hash would slow down. Logins past
/// the limit wait for a slot without holding a thread.
fn slots() -> &'static Semaphore {
    static SLOTS: OnceLock<Semaphore> = OnceLock::new();
    SLOTS
        .get_or_init(|| Semaphore::new(std::thread::available_parallelism().map_or(1, usize::from)))
}

/// Run `work` on the blocking pool once a hashing slot is free.
async fn off_runtime<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    off_runtime_in(slots(), work).await
}

async fn off_runtime_in<T: Send + 'static>(
    slots: &Semaphore,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let _slot = slots.acquire().await.map_err(OAuthError::server_error)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(OAuthError::server_error)?
}

/// Hash a password with a 16-byte salt (from the provider's randomness).
pub async fn hash(password: Secret, salt: [u8; 16]) -> Result<String> {
    off_runtime(move || {
        let salt = SaltString::encode_b64(&salt).map_err(OAuthError::server_error)?;
        let h = hasher()?
            .hash_password(password.expose().as_bytes(), &salt)
            .map_err(OAuthError::server_error)?;
        Ok(h.to_string())
    })
    .await
}

/// Check a password against a PHC string. A malformed stored hash is a
/// mismatch (logged), not a crash.
pub async fn verify(password: Secret, phc: String) -> Result<bool> {
    off_runtime(move || {
        let parsed = match PasswordHash::new(&phc) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "stored password hash is malformed");
                return Ok(false);
            }
        };
        Ok(hasher()?
            .verify_password(password.expose().as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

/// A valid argon2id hash of a random password nobody knows. Verifying against
/// it when the user does not exist makes unknown and known emails take the
/// same time.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$cG9ydGljby1kdW1teS1zYWx0$YJlSVbEsyIRshf7L6NaOKsN4h+L2Yq+9JBeLnGiTc1Y";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash(Secret::new("correct horse"), [7u8; 16]).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify(Secret::new("correct horse"), h.clone())
                .await
                .unwrap()
        );
        assert!(!verify(Secret::new("wrong horse"), h).await.unwrap());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_hashes_at_once_than_cores() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        // The same number of slots as the real ones, but not shared with
        // the other tests' hashes.
        let slots: &'static Semaphore = Box::leak(Box::new(Semaphore::new(cores)));
        let tasks: Vec<_> = (0..cores * 4)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(off_runtime_in(slots, move || {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok(())
                }))
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
        // Bounded by the slots, and the slots are used (not one at a time
        // on a multi-core machine).
        let most = most.load(Ordering::SeqCst);
        assert!(most <= cores, "{most} hashes ran at once on {cores} cores");
        assert!(most >= cores.min(2), "only {most} at once on {cores} cores");
    }

    #[tokio::test]
    async fn malformed_hashes_never_verify() {
        assert!(!verify(Secret::new("x"), "not a hash".into()).await.unwrap());
    }

    #[tokio::test]
    async fn dummy_hash_is_well_formed() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify(Secret::new(""), DUMMY_HASH.into()).await.unwrap());
    }
}
