//! Password reset by mail. Asking always gets the same answer, known
//! address or not; the link carries a 256-bit token stored hashed, works
//! once, for 30 minutes, and dies with a newer request or a password
//! change. Setting the password ends every session and grant of the
//! account, clears its sign-in lockout, is audited, and mails a notice.

use crate::infra::provider::Provider;
use crate::model::{EmailToken, EmailTokenKind, User, normalize_email};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::secret::{Secret, lookup_hash};
use crate::services::accounts::{Problem, hash_password, validate_email, validate_password};
use crate::services::audit::{self, Event};
use crate::services::entrypoint::{behind, negotiate};
use crate::services::lockout;
use crate::services::mail::{self, Kind};
use portico_api_types::routes::pages;
use std::net::IpAddr;

pub use crate::services::mail::RESET_TTL;

/// Who asks, and in which language the mail should be.
pub struct Asker<'a> {
    pub from: Option<IpAddr>,
    pub accept_language: Option<&'a str>,
}

/// Mail a reset link to `email` if it has an account, as part of the
/// authorization request `request` if there is one (the user continues it
/// after signing in with the new password). Returns nothing on purpose:
/// the answer must not tell whether the address has an account. Requests
/// past the per-recipient or per-address allowance send nothing.
pub async fn request_reset(
    p: &Provider,
    email: &str,
    request: Option<&str>,
    who: Asker<'_>,
) -> Result<()> {
    if !p.config.mail {
        return Err(OAuthError::invalid_request(
            "this installation sends no mail",
        ));
    }
    let email = normalize_email(email);
    if email.is_empty() || email.len() > 320 {
        return Ok(());
    }
    match lockout::begin(p, lockout::mail(&email, who.from)).await? {
        lockout::Begin::Go(attempt) => attempt.keep(),
        lockout::Begin::Locked(_) => {
            tracing::info!(
                "password reset not mailed: too many asked for this address or from this one"
            );
            return Ok(());
        }
    }
    let Some(user) = p.store.user_by_email(&email).await? else {
        return Ok(());
    };
    // A request that is gone is no reason to refuse: the user simply
    // signs in afterwards without continuing it.
    let request = match request {
        Some(r) => p.store.auth_request(r, p.now()).await?.map(|_| r),
        None => None,
    };
    mail::reset_link(
        p,
        &user.id,
        &user.email,
        request,
        who.accept_language,
        false,
    )
    .await?;
    audit::record(
        p,
        Event::PasswordResetRequested
            .entry()
            .user(&user.id)
            .ip(who.from),
    )
    .await
}

/// How long an invitation's link works.
pub const INVITE_TTL: i64 = 7 * 24 * 3600;

/// Why an invitation was not sent.
#[derive(Debug)]
pub enum InviteError {
    /// The installation sends no mail.
    NoMail,
    /// The address is not one (the message says why).
    Invalid(String),
    /// The address has an account.
    Exists,
    Other(OAuthError),
}

impl From<OAuthError> for InviteError {
    fn from(e: OAuthError) -> Self {
        Self::Other(e)
    }
}

impl From<crate::infra::store::StoreError> for InviteError {
    fn from(e: crate::infra::store::StoreError) -> Self {
        Self::Other(e.into())
    }
}

/// `portico user invite`: make an account for `email` (no usable password)
/// and mail it a link to choose its first password, valid for 7 days.
/// The account's address is verified when the link is used.
pub async fn invite(
    p: &Provider,
    email: &str,
    name: &str,
) -> std::result::Result<User, InviteError> {
    if !p.config.mail {
        return Err(InviteError::NoMail);
    }
    let email = normalize_email(email);
    if let Some(problem) = validate_email(&email) {
        return Err(InviteError::Invalid(problem.message));
    }
    // A password nobody knows: the link is the only way in.
    let unknowable = Secret::new(p.random.token(32)?);
    let now = p.now();
    let user = User {
        id: p.random.token(16)?,
        email: email.clone(),
        email_verified: false,
        name: name.to_owned(),
        given_name: None,
        family_name: None,
        phone_number: None,
        birthdate: None,
        terms_accepted_at: None,
        password_hash: hash_password(p, unknowable).await?,
        created_at: now,
        updated_at: now,
        self_registered: false,
        disabled_at: None,
    };
    match p.store.create_user(&user).await {
        Ok(()) => {}
        Err(crate::infra::store::StoreError::Conflict(_)) => return Err(InviteError::Exists),
        Err(e) => return Err(e.into()),
    }
    let token = p.random.token(32)?;
    let record = EmailToken {
        token_hash: lookup_hash(&token),
        kind: EmailTokenKind::PasswordReset,
        user_id: user.id.clone(),
        email: email.clone(),
        request_id: None,
        created_at: now,
        expires_at: now + INVITE_TTL,
    };
    let (entrypoint, locales) = behind(p, None).await?;
    let locale = negotiate(&locales, None, entrypoint.default_locale.as_deref());
    let link = mail::page_link(p, pages::RESET_PASSWORD, &token, locale, None);
    let m = mail::compose(p, &entrypoint, &Kind::Invite { link: &link }, locale);
    mail::queue(p, &email, m, &[record]).await?;
    audit::record(
        p,
        Event::SignedUp
            .entry()
            .user(&user.id)
            .detail("invited by an operator"),
    )
    .await?;
    Ok(user)
}

/// Why a new password was not set.
#[derive(Debug)]
pub enum ResetError {
    /// The link is unknown, used, replaced or past its life.
    InvalidLink,
    /// The password breaks a rule.
    Invalid(Problem),
    Other(OAuthError),
}

impl From<OAuthError> for ResetError {
    fn from(e: OAuthError) -> Self {
        Self::Other(e)
    }
}

impl From<crate::infra::store::StoreError> for ResetError {
    fn from(e: crate::infra::store::StoreError) -> Self {
        Self::Other(e.into())
    }
}

/// Set a new password with the token of a reset link. Returns the page to
/// go to next: the sign-in page, continuing the authorization request the
/// reset started from when it is still pending.
pub async fn complete_reset(
    p: &Provider,
    token: &str,
    password: Secret,
    accept_language: Option<&str>,
) -> std::result::Result<String, ResetError> {
    if let Some(problem) = validate_password(password.expose()) {
        return Err(ResetError::Invalid(problem));
    }
    // Hashed before the token is used: a slow hash must not leave a used
    // token with the old password in place if it fails.
    let hash = hash_password(p, password).await?;
    let now = p.now();
    let Some(t) = p
        .store
        .take_email_token(&lookup_hash(token), EmailTokenKind::PasswordReset, now)
        .await?
    else {
        return Err(ResetError::InvalidLink);
    };
    // A disabled account gets no new password: the link counts as dead.
    if !crate::services::accounts::usable_id(p, &t.user_id).await?
        || !p.store.reset_password(&t.user_id, &hash, now).await?
    {
        return Err(ResetError::InvalidLink);
    }
    // The link proved the address, too.
    p.store
        .mark_email_verified(&t.user_id, &t.email, now)
        .await?;
    // The right person has just proven the address: the sign-in lockout
    // their guesses (or a stranger's) may have set is lifted.
    p.store
        .clear_lockout(lockout::login(&t.email, None).account())
        .await?;
    tracing::info!(user_id = %t.user_id, "password reset; sessions and grants ended");
    audit::record(p, Event::PasswordReset.entry().user(&t.user_id)).await?;
    let request = match t.request_id.as_deref() {
        Some(r) => p.store.auth_request(r, now).await?.map(|_| r.to_owned()),
        None => None,
    };
    let (entrypoint, locales) = behind(p, request.as_deref()).await?;
    let locale = negotiate(
        &locales,
        accept_language,
        entrypoint.default_locale.as_deref(),
    );
    let notice = mail::compose(p, &entrypoint, &Kind::PasswordChanged, locale);
    mail::queue(p, &t.email, notice, &[]).await?;
    Ok(match request {
        Some(r) => format!("{}?request={r}", pages::LOGIN),
        None => pages::LOGIN.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    fn asker() -> Asker<'static> {
        Asker {
            from: Some("192.0.2.7".parse().unwrap()),
            accept_language: Some("es"),
        }
    }

    #[tokio::test]
    async fn known_and_unknown_addresses_get_the_same_answer_and_only_the_known_a_mail() {
        let k = mailing_kit().await;
        request_reset(&k.p, "nobody@example.com", None, asker())
            .await
            .unwrap();
        assert!(queued_mails(&k).await.is_empty());
        request_reset(&k.p, " Ada@Example.com ", None, asker())
            .await
            .unwrap();
        let mails = queued_mails(&k).await;
        assert_eq!(mails.len(), 1);
        assert_eq!(mails[0].recipient, "ada@example.com");
        assert!(
            mails[0]
                .text
                .contains("https://id.example/reset-password?token=")
        );
        assert!(
            mails[0].subject.contains("Restablece"),
            "in the asker's language"
        );
    }

    #[tokio::test]
    async fn a_reset_link_works_once_ends_sessions_and_mails_a_notice() {
        let k = mailing_kit().await;
        let s = k.session(T0).await;
        request_reset(&k.p, "ada@example.com", None, asker())
            .await
            .unwrap();
        let token = token_in(&queued_mails(&k).await[0].text);
        let bad = complete_reset(&k.p, &token, Secret::new("short"), None).await;
        assert!(matches!(bad, Err(ResetError::Invalid(_))), "{bad:?}");
        let next = complete_reset(&k.p, &token, Secret::new("a new long password"), None)
            .await
            .unwrap();
        assert_eq!(next, "/login");
        assert!(k.p.store.session(&s.id_hash, T0).await.unwrap().is_none());
        let again = complete_reset(&k.p, &token, Secret::new("another password"), None).await;
        assert!(matches!(again, Err(ResetError::InvalidLink)), "{again:?}");
        let notice = queued_mails(&k).await;
        assert_eq!(notice.len(), 1);
        assert!(
            notice[0].subject.contains("changed"),
            "{}",
            notice[0].subject
        );
        let user =
            k.p.store
                .user_by_email("ada@example.com")
                .await
                .unwrap()
                .unwrap();
        assert!(
            crate::infra::password::verify(
                Secret::new("a new long password"),
                user.password_hash.clone()
            )
            .await
            .unwrap()
        );
    }

    #[tokio::test]
    async fn a_newer_request_voids_the_older_link_and_links_expire() {
        let k = mailing_kit().await;
        request_reset(&k.p, "ada@example.com", None, asker())
            .await
            .unwrap();
        let first = token_in(&queued_mails(&k).await[0].text);
        request_reset(&k.p, "ada@example.com", None, asker())
            .await
            .unwrap();
        let second = token_in(&queued_mails(&k).await[0].text);
        let r = complete_reset(&k.p, &first, Secret::new("a new long password"), None).await;
        assert!(matches!(r, Err(ResetError::InvalidLink)));
        k.clock.advance(RESET_TTL);
        let r = complete_reset(&k.p, &second, Secret::new("a new long password"), None).await;
        assert!(matches!(r, Err(ResetError::InvalidLink)), "expired");
    }

    #[tokio::test]
    async fn one_recipient_gets_a_handful_of_mails_an_hour_at_most() {
        let k = mailing_kit().await;
        for _ in 0..12 {
            request_reset(&k.p, "ada@example.com", None, asker())
                .await
                .unwrap();
        }
        let n = queued_mails(&k).await.len();
        assert_eq!(n, lockout::MAIL_RECIPIENT.free as usize, "{n} mails");
    }

    #[tokio::test]
    async fn without_mail_there_is_no_reset() {
        let k = kit().await;
        assert!(
            request_reset(&k.p, "ada@example.com", None, asker())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn a_reset_link_sets_no_password_on_an_unusable_account() {
        let k = mailing_kit().await;
        request_reset(&k.p, "ada@example.com", None, asker())
            .await
            .unwrap();
        let token = token_in(&queued_mails(&k).await[0].text);
        let before = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        k.disable_ada_only();
        let r = complete_reset(&k.p, &token, Secret::new("a new password"), None).await;
        assert!(matches!(r, Err(ResetError::InvalidLink)), "{r:?}");
        let after = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        assert_eq!(after.password_hash, before.password_hash);
    }
}
