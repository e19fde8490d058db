//! Email verification: a mail with a 6-digit code and a one-click link,
//! both single use, for 15 minutes, bound to the account and the address
//! it went to. Wrong codes count against the account like wrong passwords
//! ([`lockout::verify_code`]).

use crate::infra::provider::Provider;
use crate::model::{EmailToken, EmailTokenKind, User, normalize_email};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::secret::lookup_hash;
use crate::services::audit::{self, Event};
use crate::services::entrypoint::{behind, negotiate};
use crate::services::lockout;
use crate::services::mail::{self, Kind};
use portico_api_types::EmailVerification;
use portico_api_types::routes::pages;
use std::net::IpAddr;

/// How long a code and its link work.
pub const CODE_TTL: i64 = 15 * 60;
const CODE_DIGITS: usize = 6;

/// How a code is stored: keyed by the installation secret and bound to the
/// account (six digits alone would be reversed from a dump at once).
fn code_hash(p: &Provider, user_id: &str, code: &str) -> String {
    p.client_secrets
        .hash(&format!("verify_code:{user_id}:{code}"))
}

/// Six uniformly drawn digits (bytes ≥ 250 are redrawn: `% 10` unbiased).
pub fn draw_code(p: &Provider) -> Result<String> {
    let mut out = String::with_capacity(CODE_DIGITS);
    let mut buf = [0u8; 16];
    while out.len() < CODE_DIGITS {
        p.random.fill(&mut buf)?;
        for b in buf {
            if b < 250 && out.len() < CODE_DIGITS {
                out.push(char::from(b'0' + b % 10));
            }
        }
    }
    Ok(out)
}

/// The page that asks for the code of a mail just sent to `email`.
pub fn check_email_page(request: Option<&str>, email: &str) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if let Some(r) = request {
        q.append_pair("request", r);
    }
    q.append_pair("email", email);
    format!("{}?{}", pages::VERIFY_EMAIL, q.finish())
}

/// Mail `user` a code and a link for their current address, continuing
/// `request` afterwards. Past the per-recipient or per-address allowance
/// of mail, nothing is sent (and nothing said).
pub async fn send_code(
    p: &Provider,
    user: &User,
    request: Option<&str>,
    from: Option<IpAddr>,
    accept_language: Option<&str>,
) -> Result<()> {
    match lockout::begin(p, lockout::mail(&user.email, from)).await? {
        lockout::Begin::Go(attempt) => attempt.keep(),
        lockout::Begin::Locked(_) => {
            tracing::info!("verification code not mailed: too many asked");
            return Ok(());
        }
    }
    let now = p.now();
    let code = draw_code(p)?;
    let link_token = p.random.token(32)?;
    let token = |hash: String| EmailToken {
        token_hash: hash,
        kind: EmailTokenKind::VerifyEmail,
        user_id: user.id.clone(),
        email: user.email.clone(),
        request_id: request.map(str::to_owned),
        created_at: now,
        expires_at: now + CODE_TTL,
    };
    let tokens = [
        token(code_hash(p, &user.id, &code)),
        token(lookup_hash(&link_token)),
    ];
    let (entrypoint, locales) = behind(p, request).await?;
    let locale = negotiate(
        &locales,
        accept_language,
        entrypoint.default_locale.as_deref(),
    );
    let link = mail::page_link(p, pages::VERIFY_EMAIL, &link_token, locale, request);
    let m = mail::compose(
        p,
        &entrypoint,
        &Kind::VerifyEmail {
            code: &code,
            link: &link,
        },
        locale,
    );
    mail::queue(p, &user.email, m, &tokens).await
}

/// Why an address was not verified.
#[derive(Debug)]
pub enum VerifyError {
    /// A wrong code, or one past its life or used.
    InvalidCode,
    /// The link is unknown, used or past its life.
    InvalidLink,
    /// Too many wrong codes: wait this many seconds.
    Locked(i64),
    Other(OAuthError),
}

impl From<OAuthError> for VerifyError {
    fn from(e: OAuthError) -> Self {
        Self::Other(e)
    }
}

impl From<crate::infra::store::StoreError> for VerifyError {
    fn from(e: crate::infra::store::StoreError) -> Self {
        Self::Other(e.into())
    }
}

/// The account verified, and the authorization request to continue.
#[derive(Debug)]
pub struct Verified {
    pub user: User,
    pub request: Option<String>,
}

async fn verified(p: &Provider, t: EmailToken) -> std::result::Result<Verified, VerifyError> {
    let now = p.now();
    // A disabled account is not signed in by its link or code: dead, as
    // for an address changed since.
    if !crate::services::standing::usable_id(p, &t.user_id).await? {
        return Err(VerifyError::InvalidLink);
    }
    if !p
        .store
        .mark_email_verified(&t.user_id, &t.email, now)
        .await?
    {
        // The address changed since the mail went out.
        return Err(VerifyError::InvalidLink);
    }
    audit::record(
        p,
        Event::EmailVerified
            .entry()
            .user(&t.user_id)
            .detail(t.email.clone()),
    )
    .await?;
    let user = p
        .store
        .user_by_id(&t.user_id)
        .await?
        .ok_or(VerifyError::InvalidLink)?;
    let request = match t.request_id {
        Some(r) => p.store.auth_request(&r, now).await?.map(|_| r),
        None => None,
    };
    Ok(Verified { user, request })
}

/// The code typed on the "Check your email" screen for `email`.
pub async fn verify_code(
    p: &Provider,
    email: &str,
    code: &str,
    from: Option<IpAddr>,
) -> std::result::Result<Verified, VerifyError> {
    let email = normalize_email(email);
    let user = p.store.user_by_email(&email).await?;
    // An address without an account counts under its own key, so the
    // answer and the throttling are the same as for a wrong code.
    let key = match &user {
        Some(u) => u.id.clone(),
        None => format!("unknown:{}", lookup_hash(&email)),
    };
    let attempt = match lockout::begin(p, lockout::verify_code(&key, from)).await? {
        lockout::Begin::Go(a) => a,
        lockout::Begin::Locked(wait) => return Err(VerifyError::Locked(wait)),
    };
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let taken = match &user {
        Some(u) if code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit()) => {
            p.store
                .take_email_token(
                    &code_hash(p, &u.id, &code),
                    EmailTokenKind::VerifyEmail,
                    p.now(),
                )
                .await?
        }
        _ => None,
    };
    match taken {
        Some(t) => match attempt.succeeded(p).await? {
            Ok(()) => verified(p, t).await,
            Err(wait) => Err(VerifyError::Locked(wait)),
        },
        None => match attempt.failed(p).await? {
            Some(wait) => Err(VerifyError::Locked(wait)),
            None => Err(VerifyError::InvalidCode),
        },
    }
}

/// The link of a verification mail.
pub async fn verify_link(p: &Provider, token: &str) -> std::result::Result<Verified, VerifyError> {
    match p
        .store
        .take_email_token(&lookup_hash(token), EmailTokenKind::VerifyEmail, p.now())
        .await?
    {
        Some(t) => verified(p, t).await,
        None => Err(VerifyError::InvalidLink),
    }
}

/// Whether `user` must verify their address before `request` (its
/// entrypoint requires it, mail is on, the address is unverified).
pub async fn required_before(p: &Provider, user: &User, request: Option<&str>) -> Result<bool> {
    if user.email_verified || !p.config.mail {
        return Ok(false);
    }
    let (entrypoint, _) = behind(p, request).await?;
    Ok(entrypoint.verification(true) == EmailVerification::Required)
}

/// Whether the user `user_id` must verify their address before a request
/// at `entrypoint` completes (the authorization endpoint's check, before
/// the request is stored).
pub async fn required_at(p: &Provider, user_id: &str, entrypoint: &str) -> Result<bool> {
    if !p.config.mail {
        return Ok(false);
    }
    let e = crate::services::entrypoint::find_or_default(p, entrypoint).await?;
    if e.verification(true) != EmailVerification::Required {
        return Ok(false);
    }
    Ok(p.store
        .user_by_id(user_id)
        .await?
        .is_some_and(|u| !u.email_verified))
}

/// Before a signed-in user continues `request`: when their address must be
/// verified first, mail a code and return the "Check your email" page to
/// go to instead.
pub async fn gate(
    p: &Provider,
    user: &User,
    request: Option<&str>,
    from: Option<IpAddr>,
    accept_language: Option<&str>,
) -> Result<Option<String>> {
    if !required_before(p, user, request).await? {
        return Ok(None);
    }
    send_code(p, user, request, from, accept_language).await?;
    Ok(Some(check_email_page(request, &user.email)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    async fn unverified(k: &Kit) -> User {
        let mut u = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        u.email_verified = false;
        u.id = "user-2".into();
        u.email = "new@example.com".into();
        k.p.store.create_user(&u).await.unwrap();
        u
    }

    /// The code and link of the last queued mail.
    async fn last_mail(k: &Kit) -> (String, String) {
        let m = queued_mails(k).await.pop().unwrap();
        (code_in(&m.text), token_in(&m.text))
    }

    #[tokio::test]
    async fn the_mailed_code_verifies_once_and_uses_up_the_link() {
        let k = mailing_kit().await;
        let u = unverified(&k).await;
        send_code(&k.p, &u, None, None, None).await.unwrap();
        let (code, token) = last_mail(&k).await;
        let v = verify_code(&k.p, "NEW@example.com", &code, None)
            .await
            .unwrap();
        assert!(v.user.email_verified);
        assert!(matches!(
            verify_code(&k.p, "new@example.com", &code, None).await,
            Err(VerifyError::InvalidCode)
        ));
        assert!(matches!(
            verify_link(&k.p, &token).await,
            Err(VerifyError::InvalidLink)
        ));
    }

    #[tokio::test]
    async fn the_link_verifies_in_one_click() {
        let k = mailing_kit().await;
        let u = unverified(&k).await;
        send_code(&k.p, &u, None, None, None).await.unwrap();
        let (_, token) = last_mail(&k).await;
        assert!(verify_link(&k.p, &token).await.unwrap().user.email_verified);
    }

    #[tokio::test]
    async fn codes_expire_after_fifteen_minutes() {
        let k = mailing_kit().await;
        let u = unverified(&k).await;
        send_code(&k.p, &u, None, None, None).await.unwrap();
        let (code, _) = last_mail(&k).await;
        k.clock.advance(CODE_TTL);
        assert!(matches!(
            verify_code(&k.p, "new@example.com", &code, None).await,
            Err(VerifyError::InvalidCode)
        ));
    }

    #[tokio::test]
    async fn guessing_codes_locks_the_account_even_for_the_right_code() {
        let k = mailing_kit().await;
        let u = unverified(&k).await;
        send_code(&k.p, &u, None, None, None).await.unwrap();
        let (code, _) = last_mail(&k).await;
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..lockout::VERIFY_CODE.free {
            assert!(matches!(
                verify_code(&k.p, "new@example.com", wrong, None).await,
                Err(VerifyError::InvalidCode | VerifyError::Locked(_))
            ));
        }
        assert!(matches!(
            verify_code(&k.p, "new@example.com", &code, None).await,
            Err(VerifyError::Locked(_))
        ));
        // An address without an account answers like a wrong code.
        assert!(matches!(
            verify_code(&k.p, "nobody@example.com", "123456", None).await,
            Err(VerifyError::InvalidCode)
        ));
    }

    #[tokio::test]
    async fn required_only_where_the_entrypoint_says_so_and_mail_is_on() {
        let k = mailing_kit().await;
        let u = unverified(&k).await;
        assert!(
            !required_before(&k.p, &u, None).await.unwrap(),
            "optional by default"
        );
        let mut e = crate::services::entrypoint::find_or_default(&k.p, "default")
            .await
            .unwrap();
        e.email_verification = EmailVerification::Required;
        k.p.store.upsert_entrypoint(&e).await.unwrap();
        assert!(required_before(&k.p, &u, None).await.unwrap());
        let ada = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        assert!(
            !required_before(&k.p, &ada, None).await.unwrap(),
            "already verified"
        );
        let off = kit().await;
        off.p.store.upsert_entrypoint(&e).await.unwrap();
        assert!(
            !required_before(&off.p, &u, None).await.unwrap(),
            "no mail, no rule"
        );
    }

    #[tokio::test]
    async fn a_verification_code_or_link_signs_in_no_unusable_account() {
        let k = mailing_kit().await;
        let mut ada = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        ada.email_verified = false;
        send_code(&k.p, &ada, None, None, None).await.unwrap();
        let (code, token) = last_mail(&k).await;
        k.disable_ada_only();
        assert!(matches!(
            verify_code(&k.p, "ada@example.com", &code, None).await,
            Err(VerifyError::InvalidLink)
        ));
        send_code(&k.p, &ada, None, None, None).await.unwrap();
        let (_, token2) = last_mail(&k).await;
        for t in [token, token2] {
            assert!(matches!(
                verify_link(&k.p, &t).await,
                Err(VerifyError::InvalidLink)
            ));
        }
    }
}
