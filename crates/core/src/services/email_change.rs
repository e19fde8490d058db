//! Changing a signed-in account's address: a code goes to the new address
//! and must come back before it replaces the old one; the old address is
//! then told, with a link (7 days) that puts it back and signs every
//! device out, in case someone else made the change.

use crate::infra::provider::Provider;
use crate::infra::store::StoreError;
use crate::model::{EmailToken, EmailTokenKind, User, normalize_email};
use crate::protocol::error::OAuthError;
use crate::protocol::secret::lookup_hash;
use crate::services::accounts::validate_email;
use crate::services::audit::{self, Event};
use crate::services::entrypoint::{behind, negotiate};
use crate::services::lockout;
use crate::services::mail::{self, Kind};
use crate::services::verification::CODE_TTL;
use portico_api_types::routes::pages;
use std::net::IpAddr;

/// How long the undo link mailed to the old address works.
pub const UNDO_TTL: i64 = 7 * 24 * 3600;

/// Why an address was not changed.
#[derive(Debug)]
pub enum ChangeError {
    /// The new address is not one (the message says why).
    Invalid(String),
    /// A wrong code, or one past its life or used.
    InvalidCode,
    /// The undo link is unknown, used or past its life.
    InvalidLink,
    /// The new address got an account meanwhile.
    Taken,
    /// Too many wrong codes: wait this many seconds.
    Locked(i64),
    Other(OAuthError),
}

impl From<OAuthError> for ChangeError {
    fn from(e: OAuthError) -> Self {
        Self::Other(e)
    }
}

impl From<StoreError> for ChangeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => Self::Taken,
            e => Self::Other(e.into()),
        }
    }
}

fn code_hash(p: &Provider, user_id: &str, code: &str) -> String {
    p.client_secrets
        .hash(&format!("change_email:{user_id}:{code}"))
}

/// Mail a code to `new_email` for `user`. The answer does not say whether
/// the address has an account: one that has gets no mail (and the change
/// could not complete).
pub async fn start(
    p: &Provider,
    user: &User,
    new_email: &str,
    from: Option<IpAddr>,
    accept_language: Option<&str>,
) -> std::result::Result<(), ChangeError> {
    if !p.config.mail {
        return Err(OAuthError::invalid_request("this installation sends no mail").into());
    }
    let new_email = normalize_email(new_email);
    if let Some(problem) = validate_email(&new_email) {
        return Err(ChangeError::Invalid(problem.message));
    }
    if new_email == user.email {
        return Err(ChangeError::Invalid("That is already your email.".into()));
    }
    match lockout::begin(p, lockout::mail(&new_email, from)).await? {
        lockout::Begin::Go(attempt) => attempt.keep(),
        lockout::Begin::Locked(_) => return Ok(()),
    }
    if p.store.user_by_email(&new_email).await?.is_some() {
        return Ok(());
    }
    let code = crate::services::verification::draw_code(p)?;
    let now = p.now();
    let token = EmailToken {
        token_hash: code_hash(p, &user.id, &code),
        kind: EmailTokenKind::ChangeEmail,
        user_id: user.id.clone(),
        email: new_email.clone(),
        request_id: None,
        created_at: now,
        expires_at: now + CODE_TTL,
    };
    let (entrypoint, locales) = behind(p, None).await?;
    let locale = negotiate(
        &locales,
        accept_language,
        entrypoint.default_locale.as_deref(),
    );
    let m = mail::compose(
        p,
        &entrypoint,
        &Kind::ConfirmNewEmail { code: &code },
        locale,
    );
    mail::queue(p, &new_email, m, &[token]).await?;
    Ok(())
}

/// The code from the new address: it replaces the old one, and the old
/// one is mailed a notice with the undo link. Returns the updated user.
pub async fn confirm(
    p: &Provider,
    user: &User,
    code: &str,
    from: Option<IpAddr>,
    accept_language: Option<&str>,
) -> std::result::Result<User, ChangeError> {
    let attempt = match lockout::begin(p, lockout::verify_code(&user.id, from)).await? {
        lockout::Begin::Go(a) => a,
        lockout::Begin::Locked(wait) => return Err(ChangeError::Locked(wait)),
    };
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let now = p.now();
    let taken = p
        .store
        .take_email_token(
            &code_hash(p, &user.id, &code),
            EmailTokenKind::ChangeEmail,
            now,
        )
        .await?;
    let Some(t) = taken else {
        return Err(match attempt.failed(p).await? {
            Some(wait) => ChangeError::Locked(wait),
            None => ChangeError::InvalidCode,
        });
    };
    if let Err(wait) = attempt.succeeded(p).await? {
        return Err(ChangeError::Locked(wait));
    }
    let old = user.email.clone();
    if !p.store.change_email(&user.id, &old, &t.email, now).await? {
        return Err(ChangeError::InvalidCode);
    }
    let undo = p.random.token(32)?;
    let undo_token = EmailToken {
        token_hash: lookup_hash(&undo),
        kind: EmailTokenKind::UndoEmailChange,
        user_id: user.id.clone(),
        email: old.clone(),
        request_id: None,
        created_at: now,
        expires_at: now + UNDO_TTL,
    };
    let (entrypoint, locales) = behind(p, None).await?;
    let locale = negotiate(
        &locales,
        accept_language,
        entrypoint.default_locale.as_deref(),
    );
    let link = mail::page_link(p, pages::EMAIL_CHANGE_UNDO, &undo, locale, None);
    let notice = mail::compose(
        p,
        &entrypoint,
        &Kind::EmailChanged {
            new_email: &t.email,
            undo_link: &link,
        },
        locale,
    );
    mail::queue(p, &old, notice, &[undo_token]).await?;
    audit::record(
        p,
        Event::EmailChanged
            .entry()
            .user(&user.id)
            .ip(from)
            .detail(format!("{old} -> {}", t.email)),
    )
    .await?;
    p.store
        .user_by_id(&user.id)
        .await?
        .ok_or(ChangeError::InvalidCode)
}

/// The link mailed to the old address: put it back and end every session
/// and grant of the account.
pub async fn undo(p: &Provider, token: &str) -> std::result::Result<(), ChangeError> {
    let now = p.now();
    let Some(t) = p
        .store
        .take_email_token(&lookup_hash(token), EmailTokenKind::UndoEmailChange, now)
        .await?
    else {
        return Err(ChangeError::InvalidLink);
    };
    let Some(user) = p.store.user_by_id(&t.user_id).await? else {
        return Err(ChangeError::InvalidLink);
    };
    if !p
        .store
        .undo_email_change(&user.id, &user.email, &t.email, now)
        .await?
    {
        return Err(ChangeError::InvalidLink);
    }
    tracing::warn!(user_id = %user.id, "address change undone from the old address; sessions ended");
    audit::record(
        p,
        Event::EmailChanged
            .entry()
            .user(&user.id)
            .detail(format!("undone: {} -> {}", user.email, t.email)),
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    async fn ada(k: &Kit) -> User {
        k.p.store.user_by_id("user-1").await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn the_new_address_confirms_then_the_old_one_can_undo() {
        let k = mailing_kit().await;
        let s = k.session(T0).await;
        start(&k.p, &ada(&k).await, "Ada.New@example.com", None, None)
            .await
            .unwrap();
        let sent = queued_mails(&k).await;
        assert_eq!(sent[0].recipient, "ada.new@example.com");
        let code = code_in(&sent[0].text);
        // Not changed until the code comes back.
        assert_eq!(ada(&k).await.email, "ada@example.com");
        let u = confirm(&k.p, &ada(&k).await, &code, None, None)
            .await
            .unwrap();
        assert_eq!(u.email, "ada.new@example.com");
        assert!(u.email_verified);
        let notice = queued_mails(&k).await;
        assert_eq!(notice[0].recipient, "ada@example.com");
        assert!(notice[0].text.contains("ada.new@example.com"));
        let undo_token = &token_in(&notice[0].text);
        undo(&k.p, undo_token).await.unwrap();
        assert_eq!(ada(&k).await.email, "ada@example.com");
        assert!(k.p.store.session(&s.id_hash, T0).await.unwrap().is_none());
        assert!(matches!(
            undo(&k.p, undo_token).await,
            Err(ChangeError::InvalidLink)
        ));
    }

    #[tokio::test]
    async fn a_wrong_code_changes_nothing_and_codes_are_bound_to_the_account() {
        let k = mailing_kit().await;
        start(&k.p, &ada(&k).await, "ada.new@example.com", None, None)
            .await
            .unwrap();
        let code = code_in(&queued_mails(&k).await[0].text);
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert!(matches!(
            confirm(&k.p, &ada(&k).await, wrong, None, None).await,
            Err(ChangeError::InvalidCode)
        ));
        let mut other = ada(&k).await;
        other.id = "someone-else".into();
        assert!(matches!(
            confirm(&k.p, &other, &code, None, None).await,
            Err(ChangeError::InvalidCode)
        ));
        assert_eq!(ada(&k).await.email, "ada@example.com");
    }

    #[tokio::test]
    async fn an_address_with_an_account_gets_no_mail() {
        let k = mailing_kit().await;
        let mut bob = ada(&k).await;
        bob.id = "bob".into();
        bob.email = "bob@example.com".into();
        k.p.store.create_user(&bob).await.unwrap();
        start(&k.p, &ada(&k).await, "bob@example.com", None, None)
            .await
            .unwrap();
        assert!(queued_mails(&k).await.is_empty());
        assert!(matches!(
            start(&k.p, &ada(&k).await, "not an address", None, None).await,
            Err(ChangeError::Invalid(_))
        ));
    }
}
