//! User passwords: argon2id (m=19 MiB, t=2, p=1, the OWASP minimum).
//!
//! Hashes run on a few dedicated threads, one per core, never on the async
//! runtime, so a burst of logins cannot stall token or discovery requests.
//! Each thread keeps its own 19 MiB work area and reuses it for every hash
//! while logins keep coming: allocating it per hash made the allocator keep
//! one retired area per thread it had ever run on (hundreds of MB after a
//! login storm, measured in BENCHMARKS.md), and cost page faults on every
//! hash. After [`IDLE_RELEASE`] without work the area is handed back, so a
//! server not signing anyone in does not hold it. Logins past the number of
//! threads queue without holding a thread, up to [`QUEUE_PER_THREAD`] per
//! thread: past that the server answers "busy" at once rather than letting
//! a flood of guesses queue without bound, and a queued job whose request
//! has gone away (the client hung up) is dropped unrun.

use crate::protocol::error::{OAuthError, Result};
use crate::protocol::secret::{Secret, ct_eq};
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use flume::{Receiver, RecvTimeoutError, Sender};
use std::sync::OnceLock;
use std::time::Duration;

const M_COST: u32 = 19 * 1024;
const T_COST: u32 = 2;
const P_COST: u32 = 1;
/// Stored hashes asking for more memory than this are refused rather than
/// letting a bad row allocate without bound.
const MAX_M_COST: u32 = 256 * 1024;

fn params() -> Result<Params> {
    Params::new(M_COST, T_COST, P_COST, None).map_err(OAuthError::server_error)
}

/// Hashes waiting per hasher thread before new ones are refused (about a
/// second of work at ~30 ms each).
pub const QUEUE_PER_THREAD: usize = 32;

/// How long a hasher thread keeps its work area with nothing to do.
const IDLE_RELEASE: Duration = Duration::from_secs(2);

/// Work for a hasher thread, given that thread's reusable work area.
type Job = Box<dyn FnOnce(&mut Vec<Block>) + Send>;

/// The queue in front of the hasher threads, started on first use.
fn hashers() -> Result<&'static Sender<Job>> {
    static QUEUE: OnceLock<std::result::Result<Sender<Job>, String>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let threads = std::thread::available_parallelism().map_or(1, usize::from);
            start(threads, threads * QUEUE_PER_THREAD)
        })
        .as_ref()
        .map_err(|e| OAuthError::server_error(e.clone()))
}

/// `threads` hasher threads behind a queue holding `capacity` jobs.
fn start(threads: usize, capacity: usize) -> std::result::Result<Sender<Job>, String> {
    let (tx, rx) = flume::bounded::<Job>(capacity);
    for i in 0..threads {
        let rx = rx.clone();
        std::thread::Builder::new()
            .name(format!("portico-argon2-{i}"))
            .spawn(move || hasher(&rx))
            .map_err(|e| format!("cannot start a password hasher thread: {e}"))?;
    }
    Ok(tx)
}

fn hasher(jobs: &Receiver<Job>) {
    let mut memory: Vec<Block> = Vec::new();
    loop {
        let job = if memory.is_empty() {
            jobs.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            jobs.recv_timeout(IDLE_RELEASE)
        };
        match job {
            // A panicking job must not take the thread (and its slot) down.
            Ok(job) => {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job(&mut memory)));
            }
            Err(RecvTimeoutError::Timeout) => memory = Vec::new(),
            Err(RecvTimeoutError::Disconnected) => return, // the process is ending
        }
    }
}

/// Run `work` on a hasher thread and wait for it without blocking the
/// runtime. Refused with `temporarily_unavailable` when the queue is full;
/// skipped when the caller stopped waiting before a thread got to it.
async fn on_hasher<T: Send + 'static>(
    work: impl FnOnce(&mut Vec<Block>) -> Result<T> + Send + 'static,
) -> Result<T> {
    on(hashers()?, work).await
}

async fn on<T: Send + 'static>(
    queue: &Sender<Job>,
    work: impl FnOnce(&mut Vec<Block>) -> Result<T> + Send + 'static,
) -> Result<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move |memory| {
        if tx.is_closed() {
            return; // the request went away: nobody would read the answer
        }
        let _ = tx.send(work(memory));
    });
    queue.try_send(job).map_err(|e| match e {
        flume::TrySendError::Full(_) => OAuthError::new(
            crate::protocol::error::ErrorCode::TemporarilyUnavailable,
            "too many sign-ins at once; try again in a moment",
        )
        .retry_after(1),
        flume::TrySendError::Disconnected(_) => {
            OAuthError::server_error("the password hashers have stopped")
        }
    })?;
    rx.await
        .map_err(|_| OAuthError::server_error("a password hash did not finish"))?
}

/// argon2id into `out`, in the thread's work area (grown once, then reused).
fn run(
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut Vec<Block>,
) -> Result<()> {
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, Block::default());
    }
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password, salt, out, &mut memory[..blocks])
        .map_err(OAuthError::server_error)
}

/// Hash a password with a 16-byte salt (from the provider's randomness).
pub async fn hash(password: Secret, salt: [u8; 16]) -> Result<String> {
    on_hasher(move |memory| {
        let params = params()?;
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        run(
            &params,
            password.expose().as_bytes(),
            &salt,
            &mut out,
            memory,
        )?;
        let salt = SaltString::encode_b64(&salt).map_err(OAuthError::server_error)?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(OAuthError::server_error)?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(OAuthError::server_error)?),
        };
        Ok(phc.to_string())
    })
    .await
}

/// Check a password against a PHC string. A malformed stored hash is a
/// mismatch (logged), not a crash.
pub async fn verify(password: Secret, phc: String) -> Result<bool> {
    on_hasher(move |memory| {
        let malformed = |why: &dyn std::fmt::Display| {
            tracing::error!(error = %why, "stored password hash is malformed");
            Ok(false)
        };
        let parsed = match PasswordHash::new(&phc) {
            Ok(p) => p,
            Err(e) => return malformed(&e),
        };
        if parsed.algorithm != Algorithm::Argon2id.ident() {
            return malformed(&"not argon2id");
        }
        let params = match Params::try_from(&parsed) {
            Ok(p) if p.m_cost() <= MAX_M_COST => p,
            Ok(_) => return malformed(&"memory cost too high"),
            Err(e) => return malformed(&e),
        };
        let (Some(salt), Some(expected)) = (parsed.salt, parsed.hash) else {
            return malformed(&"no salt or no hash");
        };
        let mut salt_buf = [0u8; 64];
        let salt = match salt.decode_b64(&mut salt_buf) {
            Ok(s) => s,
            Err(e) => return malformed(&e),
        };
        let mut out = vec![0u8; expected.len()];
        if let Err(e) = run(
            &params,
            password.expose().as_bytes(),
            salt,
            &mut out,
            memory,
        ) {
            tracing::error!(error = %e, "password hash failed");
            return Ok(false);
        }
        Ok(ct_eq(&out, expected.as_bytes()))
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
        let tasks: Vec<_> = (0..cores * 4)
            .map(|_| {
                let (running, most) = (running.clone(), most.clone());
                tokio::spawn(on_hasher(move |_| {
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
        let most = most.load(Ordering::SeqCst);
        assert!(most <= cores, "{most} hashes ran at once on {cores} cores");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_full_queue_refuses_and_abandoned_jobs_never_run() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let queue = start(1, 2).unwrap();
        let ran = Arc::new(AtomicUsize::new(0));
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let job = |ran: Arc<AtomicUsize>| {
            move |_: &mut Vec<Block>| {
                ran.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        };
        // The one thread is held busy; two more fill the queue.
        let started = Arc::new(AtomicUsize::new(0));
        let (q, s) = (queue.clone(), started.clone());
        let busy = tokio::spawn(async move {
            on(&q, move |_| {
                s.store(1, Ordering::SeqCst);
                let _ = release.recv();
                Ok(())
            })
            .await
        });
        while started.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let q = queue.clone();
        let gone = tokio::spawn({
            let ran = ran.clone();
            async move { on(&q, job(ran)).await }
        });
        let q = queue.clone();
        let kept = tokio::spawn({
            let ran = ran.clone();
            async move { on(&q, job(ran)).await }
        });
        while queue.len() < 2 {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        let refused = on(&queue, job(ran.clone())).await.unwrap_err();
        assert_eq!(
            refused.code,
            crate::protocol::error::ErrorCode::TemporarilyUnavailable,
            "{refused:?}"
        );
        // The first queued caller hangs up before its turn.
        gone.abort();
        let _ = gone.await;
        hold.send(()).unwrap();
        busy.await.unwrap().unwrap();
        kept.await.unwrap().unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1, "only the kept job ran");
    }

    #[tokio::test]
    async fn hashes_made_elsewhere_verify_and_ours_verify_elsewhere() {
        // The work-area path must agree with the argon2 crate's own.
        use argon2::PasswordHasher;
        use argon2::password_hash::PasswordVerifier;
        let salt = SaltString::encode_b64(&[9u8; 16]).unwrap();
        let theirs = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap())
            .hash_password(b"tr0ub4dor", &salt)
            .unwrap()
            .to_string();
        assert!(
            verify(Secret::new("tr0ub4dor"), theirs.clone())
                .await
                .unwrap()
        );
        assert!(
            !verify(Secret::new("tr0ub4dox"), theirs.clone())
                .await
                .unwrap()
        );
        let ours = hash(Secret::new("tr0ub4dor"), [9u8; 16]).await.unwrap();
        assert_eq!(ours, theirs);
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"tr0ub4dor", &parsed)
                .is_ok()
        );
    }

    #[tokio::test]
    async fn hashes_that_are_not_argon2id_or_too_big_never_verify() {
        let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$cG9ydGljby1kdW1teS1zYWx0$YJlSVbEsyIRshf7L6NaOKsN4h+L2Yq+9JBeLnGiTc1Y";
        assert!(!verify(Secret::new(""), argon2i.into()).await.unwrap());
        let huge = "$argon2id$v=19$m=4000000,t=2,p=1$cG9ydGljby1kdW1teS1zYWx0$YJlSVbEsyIRshf7L6NaOKsN4h+L2Yq+9JBeLnGiTc1Y";
        assert!(!verify(Secret::new(""), huge.into()).await.unwrap());
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
