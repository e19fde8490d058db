//! User passwords: argon2id (m=19 MiB, t=2, p=1, the OWASP minimum), always
//! run on the blocking thread pool so a burst of logins never stalls the
//! async runtime.

use crate::error::{OAuthError, Result};
use crate::secret::Secret;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

fn hasher() -> Result<Argon2<'static>> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(OAuthError::server_error)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hash a password with a 16-byte salt (from the provider's randomness).
pub async fn hash(password: Secret, salt: [u8; 16]) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::encode_b64(&salt).map_err(OAuthError::server_error)?;
        let h = hasher()?
            .hash_password(password.expose().as_bytes(), &salt)
            .map_err(OAuthError::server_error)?;
        Ok(h.to_string())
    })
    .await
    .map_err(OAuthError::server_error)?
}

/// Check a password against a PHC string. A malformed stored hash is a
/// mismatch (logged), not a crash.
pub async fn verify(password: Secret, phc: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
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
    .map_err(OAuthError::server_error)?
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
