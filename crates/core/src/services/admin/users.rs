//! Users in the cockpit: search, read, create or invite, disable and
//! enable, unlock, force a password reset, erase, roles, and a user's
//! sessions and grants. Every change is audited with its actor, and no
//! change may leave the installation without an enabled administrator.

use super::{AdminError, AdminResult, LIMIT_MAX, Page, conflict};
use crate::infra::provider::Provider;
use crate::infra::store::StoreError;
use crate::model::{Factor, Grant, Session, UnixTime, User};
use crate::protocol::secret::{Secret, lookup_hash};
use crate::services::accounts::{self, hash_password, normalize_email, validate_email};
use crate::services::audit::{self, Actor, Event};
use crate::services::recovery::{self, InviteError};
use crate::services::roles::{self, Refused};
use crate::services::{lockout, mail};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A user as the cockpit shows them.
#[derive(Debug, Clone)]
pub struct UserDetail {
    pub user: User,
    pub roles: Vec<String>,
    /// Their second factors (the view leaves out the secrets).
    pub factors: Vec<Factor>,
    /// Locked out of some kind of attempt until then.
    pub locked_until: Option<UnixTime>,
}

/// Users whose email or name holds `text` (ignoring case), by email,
/// `limit` at a time; `cursor` is the `next` of the page before.
pub async fn search(
    p: &Provider,
    text: Option<&str>,
    cursor: Option<&str>,
    limit: u32,
) -> AdminResult<Page<User>> {
    if !(1..=LIMIT_MAX).contains(&limit) {
        return Err(invalid(
            "limit",
            format!("limit must be between 1 and {LIMIT_MAX}"),
        ));
    }
    // PostgreSQL refuses a NUL in a query; no email or name holds a
    // control character either.
    if text.is_some_and(|t| t.chars().any(char::is_control)) {
        return Err(invalid("q", "the search text holds a control character"));
    }
    let after = match cursor {
        None => None,
        Some(c) => Some(
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|e| !e.is_empty() && !e.chars().any(char::is_control))
                .ok_or_else(|| invalid("cursor", "cursor must be the next of an earlier page"))?,
        ),
    };
    // One more than asked, to know whether another page follows.
    let mut items = p
        .store
        .users_page(text, after.as_deref(), limit + 1)
        .await?;
    let more = items.len() > limit as usize;
    items.truncate(limit as usize);
    let next = items
        .last()
        .filter(|_| more)
        .map(|u| URL_SAFE_NO_PAD.encode(u.email.as_bytes()));
    Ok(Page { items, next })
}

fn invalid(field: &'static str, message: impl Into<String>) -> AdminError {
    AdminError::Invalid {
        field,
        message: message.into(),
    }
}

/// The user with this id; ids with a control character are never found
/// (PostgreSQL would refuse the NUL in the query).
pub async fn user(p: &Provider, id: &str) -> AdminResult<User> {
    if id.is_empty() || id.chars().any(char::is_control) {
        return Err(AdminError::NotFound);
    }
    p.store.user_by_id(id).await?.ok_or(AdminError::NotFound)
}

pub async fn get(p: &Provider, id: &str) -> AdminResult<UserDetail> {
    let user = user(p, id).await?;
    detail(p, user).await
}

async fn detail(p: &Provider, user: User) -> AdminResult<UserDetail> {
    Ok(UserDetail {
        roles: p.store.user_roles(&user.id).await?,
        factors: p.store.factors(&user.id).await?,
        locked_until: lockout::account_locked_until(p, &user).await?,
        user,
    })
}

/// What an administrator gives to make an account.
pub struct NewUser {
    pub email: String,
    pub name: String,
    /// None: invite by mail (a link to choose the first password).
    pub password: Option<Secret>,
}

/// Make an account with a password, or invite its owner by mail (when the
/// installation sends mail). Returns the account and whether a mail went.
pub async fn create(p: &Provider, new: NewUser, actor: &Actor) -> AdminResult<(UserDetail, bool)> {
    let name = new.name.trim().to_owned();
    if name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(invalid(
            "name",
            "name must be at most 100 characters, without control characters",
        ));
    }
    let Some(password) = new.password else {
        let user = match recovery::invite(p, &new.email, &name).await {
            Ok(u) => u,
            Err(InviteError::NoMail) => {
                return Err(invalid(
                    "password",
                    "this installation sends no mail: give a password",
                ));
            }
            Err(InviteError::Invalid(m)) => return Err(invalid("email", m)),
            Err(InviteError::Exists) => return Err(taken()),
            Err(InviteError::Other(e)) => return Err(e.into()),
        };
        let e = Event::UserCreated
            .entry()
            .user(&user.id)
            .actor(actor)
            .detail("invited by mail");
        audit::record(p, e).await?;
        return Ok((detail(p, user).await?, true));
    };
    let email = normalize_email(&new.email);
    if let Some(problem) = validate_email(&email) {
        return Err(invalid("email", problem.message));
    }
    if let Some(problem) = accounts::validate_password(password.expose()) {
        return Err(invalid("password", problem.message));
    }
    let now = p.now();
    let user = User {
        id: p.random.token(16)?,
        email,
        // The administrator vouches for the account, not for the address.
        email_verified: false,
        name,
        given_name: None,
        family_name: None,
        phone_number: None,
        birthdate: None,
        terms_accepted_at: None,
        password_hash: hash_password(p, password).await?,
        created_at: now,
        updated_at: now,
        self_registered: false,
        disabled_at: None,
    };
    match p.store.create_user(&user).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Err(taken()),
        Err(e) => return Err(e.into()),
    }
    let e = Event::UserCreated
        .entry()
        .user(&user.id)
        .actor(actor)
        .detail("with a password");
    audit::record(p, e).await?;
    Ok((detail(p, user).await?, false))
}

fn taken() -> AdminError {
    AdminError::Conflict(conflict::EXISTS, "an account has this email".into())
}

/// Refused when `user` is an enabled administrator and no other enabled
/// one would be left. Not atomic with the change that follows: two
/// administrators disabling each other at the same moment can both pass
/// (the CLI's `portico user enable` is the way back).
async fn not_last_admin(p: &Provider, user: &User) -> AdminResult<()> {
    if user.disabled_at.is_some() || !roles::has(p, &user.id, roles::ADMIN).await? {
        return Ok(());
    }
    for holder in p.store.role_holders(roles::ADMIN).await? {
        if holder != user.id
            && p.store
                .user_by_id(&holder)
                .await?
                .is_some_and(|u| u.disabled_at.is_none())
        {
            return Ok(());
        }
    }
    Err(AdminError::Conflict(
        conflict::LAST_ADMIN,
        "this is the last enabled administrator: make another one first".into(),
    ))
}

/// Disable (every session and grant ends with it, and no sign-in works
/// until enabled) or enable the account.
pub async fn set_disabled(
    p: &Provider,
    id: &str,
    disabled: bool,
    actor: &Actor,
) -> AdminResult<UserDetail> {
    let u = user(p, id).await?;
    if disabled {
        not_last_admin(p, &u).await?;
    }
    let changed = u.disabled_at.is_some() != disabled;
    if !p.store.set_user_disabled(id, disabled, p.now()).await? {
        return Err(AdminError::NotFound);
    }
    if changed {
        let event = if disabled {
            Event::UserDisabled
        } else {
            Event::UserEnabled
        };
        audit::record(p, event.entry().user(id).actor(actor)).await?;
    }
    get(p, id).await
}

/// Lift the account's lockouts (sign-in, second factor, codes); the
/// lockouts of addresses stay.
pub async fn unlock(p: &Provider, id: &str, actor: &Actor) -> AdminResult<UserDetail> {
    let u = user(p, id).await?;
    lockout::clear_account(p, &u).await?;
    audit::record(p, Event::UserUnlocked.entry().user(id).actor(actor)).await?;
    detail(p, u).await
}

/// End every session and grant of the account. When mail is on, the
/// password is also replaced by one nobody knows and a reset link goes to
/// the address (the old password stops working); without mail there is no
/// way to hand over a link, so the password stays. Returns whether a link
/// was mailed.
pub async fn force_password_reset(p: &Provider, id: &str, actor: &Actor) -> AdminResult<bool> {
    let u = user(p, id).await?;
    let now = p.now();
    let mailed = if p.config.mail {
        let unknowable = Secret::new(p.random.token(32)?);
        let hash = hash_password(p, unknowable).await?;
        // One transaction: the password, the grants, the sessions and the
        // unused links (so the new link is the only one).
        if !p.store.reset_password(id, &hash, now).await? {
            return Err(AdminError::NotFound);
        }
        mail::reset_link(p, id, &u.email, None, None, false).await?;
        true
    } else {
        p.store.end_sessions_of_user(id, now).await?;
        p.store.revoke_grants_of_user(id, now).await?;
        false
    };
    let e = Event::PasswordResetForced
        .entry()
        .user(id)
        .actor(actor)
        .detail(if mailed {
            "sessions and grants ended, reset link mailed"
        } else {
            "sessions and grants ended (mail is off)"
        });
    audit::record(p, e).await?;
    Ok(mailed)
}

/// Erase the account: everything of theirs goes, their audit entries keep
/// only the id. Not the last enabled administrator.
pub async fn delete(p: &Provider, id: &str, actor: &Actor) -> AdminResult<()> {
    let u = user(p, id).await?;
    not_last_admin(p, &u).await?;
    if !p.store.delete_user(id, p.now()).await? {
        return Err(AdminError::NotFound);
    }
    audit::record(p, Event::UserDeleted.entry().user(id).actor(actor)).await?;
    Ok(())
}

/// Give or take a role. Taking `admin` from the last enabled administrator
/// is refused.
pub async fn set_role(
    p: &Provider,
    id: &str,
    role: &str,
    on: bool,
    actor: &Actor,
) -> AdminResult<UserDetail> {
    let u = user(p, id).await?;
    let role = roles::parse(role).map_err(|_| AdminError::NotFound)?;
    if !on && role == roles::ADMIN {
        not_last_admin(p, &u).await?;
    }
    match roles::set(p, id, role, on, actor).await? {
        Ok(_) => {}
        Err(Refused::LastHolder) => {
            return Err(AdminError::Conflict(
                conflict::LAST_ADMIN,
                Refused::LastHolder.to_string(),
            ));
        }
        Err(Refused::NoSuchUser | Refused::Unknown(_)) => return Err(AdminError::NotFound),
    }
    detail(p, u).await
}

/// The opaque id the API gives a session: a keyed hash of the session's
/// stored hash under its own label. Never the cookie nor its stored hash
/// (both are in the database and the cookie signs a browser in), and not
/// linkable to the `session_state` relying parties see, which is keyed
/// under another label. 22 characters carry 132 bits.
pub fn session_id(p: &Provider, s: &Session) -> String {
    let full = lookup_hash(
        &p.client_secrets
            .hash(&format!("admin-session:{}", s.id_hash)),
    );
    full.chars().take(22).collect()
}

/// The account's live sessions, newest first, each with its [`session_id`].
pub async fn sessions(p: &Provider, id: &str) -> AdminResult<Vec<(String, Session)>> {
    user(p, id).await?;
    Ok(p.store
        .sessions_of_user(id, p.now())
        .await?
        .into_iter()
        .map(|s| (session_id(p, &s), s))
        .collect())
}

/// End one session of the account (the grants given from it with it).
pub async fn end_session(p: &Provider, id: &str, sid: &str, actor: &Actor) -> AdminResult<()> {
    let found = sessions(p, id).await?.into_iter().find(|(s, _)| s == sid);
    let Some((_, s)) = found else {
        return Err(AdminError::NotFound);
    };
    if !p.store.end_session_of_user(id, &s.id_hash, p.now()).await? {
        return Err(AdminError::NotFound);
    }
    let e = Event::SessionsRevoked
        .entry()
        .user(id)
        .actor(actor)
        .detail("1 session");
    audit::record(p, e).await?;
    Ok(())
}

/// End every session of the account; returns how many.
pub async fn end_sessions(p: &Provider, id: &str, actor: &Actor) -> AdminResult<u64> {
    user(p, id).await?;
    let n = p.store.end_sessions_of_user(id, p.now()).await?;
    let e = Event::SessionsRevoked
        .entry()
        .user(id)
        .actor(actor)
        .detail(format!("{n} session(s)"));
    audit::record(p, e).await?;
    Ok(n)
}

/// The account's live grants, newest first.
pub async fn grants(p: &Provider, id: &str) -> AdminResult<Vec<Grant>> {
    user(p, id).await?;
    Ok(p.store.grants_of_user(id).await?)
}

/// Revoke one live grant of the account (every token of it dies).
pub async fn revoke_grant(p: &Provider, id: &str, gid: &str, actor: &Actor) -> AdminResult<()> {
    user(p, id).await?;
    if gid.chars().any(char::is_control) {
        return Err(AdminError::NotFound);
    }
    // Only this user's, and only a live one: another user's grant id in
    // this URL is not found.
    let Some(g) = p
        .store
        .grant(gid)
        .await?
        .filter(|g| g.user_id == id && g.revoked_at.is_none())
    else {
        return Err(AdminError::NotFound);
    };
    p.store.revoke_grant(&g.id, p.now()).await?;
    let e = Event::GrantsRevoked
        .entry()
        .user(id)
        .client(&g.client_id)
        .actor(actor)
        .detail("1 grant");
    audit::record(p, e).await?;
    Ok(())
}

/// Revoke every live grant of the account; returns how many.
pub async fn revoke_grants(p: &Provider, id: &str, actor: &Actor) -> AdminResult<u64> {
    user(p, id).await?;
    let n = p.store.revoke_grants_of_user(id, p.now()).await?;
    let e = Event::GrantsRevoked
        .entry()
        .user(id)
        .actor(actor)
        .detail(format!("{n} grant(s)"));
    audit::record(p, e).await?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::*;

    #[tokio::test]
    async fn the_last_enabled_admin_stays_and_session_ids_are_not_the_cookie_hash() {
        let k = kit().await;
        let cli = Actor::Cli;
        k.p.store.grant_role("user-1", roles::ADMIN).await.unwrap();
        let last = |r: AdminResult<_>| matches!(r, Err(AdminError::Conflict("last_admin", _)));
        assert!(last(
            set_disabled(&k.p, "user-1", true, &cli).await.map(|_| ())
        ));
        assert!(last(delete(&k.p, "user-1", &cli).await));
        assert!(last(
            set_role(&k.p, "user-1", "admin", false, &cli)
                .await
                .map(|_| ())
        ));
        // A second administrator who is disabled does not count.
        let (other, _) = create(
            &k.p,
            NewUser {
                email: "grace@example.com".into(),
                name: "Grace".into(),
                password: Some(Secret::new("a long password")),
            },
            &cli,
        )
        .await
        .unwrap();
        let other = other.user.id;
        set_role(&k.p, &other, "admin", true, &cli).await.unwrap();
        set_disabled(&k.p, &other, true, &cli).await.unwrap();
        assert!(last(
            set_disabled(&k.p, "user-1", true, &cli).await.map(|_| ())
        ));
        set_disabled(&k.p, &other, false, &cli).await.unwrap();
        let s = k.session(k.p.now()).await;
        assert_eq!(sessions(&k.p, "user-1").await.unwrap().len(), 1);
        set_disabled(&k.p, "user-1", true, &cli).await.unwrap();
        assert!(
            get(&k.p, "user-1")
                .await
                .unwrap()
                .user
                .disabled_at
                .is_some()
        );
        let listed = sessions(&k.p, "user-1").await.unwrap();
        assert!(listed.is_empty(), "disabling ended it");
        set_disabled(&k.p, "user-1", false, &cli).await.unwrap();
        let s2 = Session {
            id_hash: "s-second".into(),
            ..s
        };
        k.p.store.create_session(&s2).await.unwrap();
        let listed = sessions(&k.p, "user-1").await.unwrap();
        assert_eq!(listed.len(), 1);
        let sid = &listed[0].0;
        assert_eq!(sid.len(), 22);
        assert!(!s2.id_hash.contains(sid.as_str()) && *sid != lookup_hash(&s2.id_hash)[..22]);
        assert!(matches!(
            end_session(&k.p, &other, sid, &cli).await,
            Err(AdminError::NotFound)
        ));
        end_session(&k.p, "user-1", sid, &cli).await.unwrap();
        assert!(sessions(&k.p, "user-1").await.unwrap().is_empty());
        assert!(matches!(
            get(&k.p, "bad\u{0}id").await,
            Err(AdminError::NotFound)
        ));
    }
}
