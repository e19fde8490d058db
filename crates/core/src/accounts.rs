//! Sign-in, sign-up and SSO sessions.

use crate::clock::UnixTime;
use crate::error::{OAuthError, Result};
use crate::model::{Session, User};
use crate::password;
use crate::provider::Provider;
use crate::secret::{Secret, lookup_hash};
use crate::store::StoreError;

/// Why a sign-in or sign-up did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountError {
    /// Wrong email or password; deliberately does not say which.
    InvalidCredentials,
    /// Form fields that need fixing: (field, message).
    Invalid(Vec<(&'static str, String)>),
    EmailTaken,
    Server(OAuthError),
}

impl From<OAuthError> for AccountError {
    fn from(e: OAuthError) -> Self {
        Self::Server(e)
    }
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        Self::Server(e.into())
    }
}

pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

pub fn validate_email(email: &str) -> Option<String> {
    let e = email.trim();
    if e.is_empty() {
        return Some("Enter your email address.".into());
    }
    let valid = e.len() <= 254
        && !e.chars().any(char::is_whitespace)
        && e.split_once('@')
            .is_some_and(|(l, d)| !l.is_empty() && !d.is_empty() && !d.contains('@'));
    (!valid).then(|| "Enter an email address like name@example.com.".into())
}

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 1024;

pub fn validate_password(pw: &str) -> Option<String> {
    let n = pw.chars().count();
    if n < MIN_PASSWORD_LEN {
        Some(format!("Use at least {MIN_PASSWORD_LEN} characters."))
    } else if pw.len() > MAX_PASSWORD_LEN {
        Some(format!("Use at most {MAX_PASSWORD_LEN} characters."))
    } else {
        None
    }
}

pub fn validate_name(name: &str) -> Option<String> {
    let n = name.trim();
    if n.is_empty() {
        Some("Enter your name.".into())
    } else if n.chars().count() > 100 {
        Some("Use at most 100 characters.".into())
    } else {
        None
    }
}

/// Check an email and password. Unknown emails cost the same argon2 work as
/// wrong passwords, and get the same answer.
pub async fn login(p: &Provider, email: &str, password: Secret) -> Result<User, AccountError> {
    if email.trim().is_empty()
        || password.expose().is_empty()
        || password.expose().len() > MAX_PASSWORD_LEN
    {
        return Err(AccountError::InvalidCredentials);
    }
    let user = p.store.user_by_email(&normalize_email(email)).await?;
    let phc = user.as_ref().map_or_else(
        || password::DUMMY_HASH.to_owned(),
        |u| u.password_hash.clone(),
    );
    let ok = password::verify(password, phc).await?;
    match user {
        Some(u) if ok => Ok(u),
        _ => Err(AccountError::InvalidCredentials),
    }
}

/// Hash a password with a fresh salt.
pub async fn hash_password(p: &Provider, password: Secret) -> Result<String> {
    let mut salt = [0u8; 16];
    p.random.fill(&mut salt)?;
    password::hash(password, salt).await
}

/// Register a new user.
pub async fn sign_up(
    p: &Provider,
    name: &str,
    email: &str,
    password: Secret,
) -> Result<User, AccountError> {
    let mut problems = Vec::new();
    if let Some(m) = validate_name(name) {
        problems.push(("name", m));
    }
    if let Some(m) = validate_email(email) {
        problems.push(("email", m));
    }
    if let Some(m) = validate_password(password.expose()) {
        problems.push(("password", m));
    }
    if !problems.is_empty() {
        return Err(AccountError::Invalid(problems));
    }
    let email = normalize_email(email);
    if p.store.user_by_email(&email).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let user = User {
        id: p.random.token(16)?,
        email,
        email_verified: false,
        name: name.trim().to_owned(),
        given_name: None,
        family_name: None,
        password_hash: hash_password(p, password).await?,
        created_at: p.now(),
        updated_at: p.now(),
    };
    match p.store.create_user(&user).await {
        Ok(()) => Ok(user),
        Err(StoreError::Conflict(_)) => Err(AccountError::EmailTaken),
        Err(e) => Err(e.into()),
    }
}

/// Start an SSO session. Returns the cookie value (only its hash is stored).
pub async fn start_session(
    p: &Provider,
    user_id: &str,
    auth_time: UnixTime,
) -> Result<(String, Session)> {
    let value = p.random.token(32)?;
    let now = p.now();
    let session = Session {
        id_hash: lookup_hash(&value),
        user_id: user_id.to_owned(),
        auth_time,
        created_at: now,
        expires_at: now + p.config.session_ttl,
    };
    p.store.create_session(&session).await?;
    Ok((value, session))
}

/// The live session behind a cookie value, if any.
pub async fn session_from_cookie(p: &Provider, cookie: &str) -> Result<Option<Session>> {
    if cookie.is_empty() || cookie.len() > 128 {
        return Ok(None);
    }
    Ok(p.store.session(&lookup_hash(cookie), p.now()).await?)
}

/// Sign out: the SSO session ends and every grant given from it (its
/// refresh and access tokens) is revoked. Grants from other sessions, and
/// those without one (password, client credentials), are untouched.
pub async fn end_session(p: &Provider, cookie: &str) -> Result<()> {
    let id_hash = lookup_hash(cookie);
    p.store.revoke_grants_of_session(&id_hash, p.now()).await?;
    Ok(p.store.delete_session(&id_hash).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_validation() {
        assert!(validate_email("a@b.c").is_none());
        assert!(validate_email("").is_some());
        assert!(validate_email("no-at").is_some());
        assert!(validate_email("a b@c.d").is_some());
        assert!(validate_email("a@b@c").is_some());
        assert!(validate_email("@b.c").is_some());
    }

    #[test]
    fn password_and_name_validation() {
        assert!(validate_password("1234567").is_some());
        assert!(validate_password("12345678").is_none());
        assert!(validate_password(&"x".repeat(1025)).is_some());
        assert!(validate_name("  ").is_some());
        assert!(validate_name("Ada").is_none());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(normalize_email("  Ada@Example.COM "), "ada@example.com");
    }
}
