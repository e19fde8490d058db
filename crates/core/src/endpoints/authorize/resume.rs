//! Resuming a stored request after a screen: signed in, consent given,
//! or cancelled.

use super::decide::{
    forget_for_reauthorize, needs_consent, needs_fresh_login, second_factor_screen,
};
use super::respond::error_response;
use super::respond::issue_response;
use super::{Outcome, Screen};
use crate::infra::provider::Provider;
use crate::model::{AuthRequest, Client, Session};
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::scope::{self};
use crate::services::audit::{self, Event};
use crate::services::verification;

pub(super) fn gone() -> OAuthError {
    OAuthError::invalid_request(
        "the sign-in request has expired or was already used; start again from the app",
    )
}

pub(super) async fn load(p: &Provider, request_id: &str) -> Result<(AuthRequest, Client)> {
    let req = p
        .store
        .auth_request(request_id, p.now())
        .await?
        .ok_or_else(gone)?;
    let client = p
        .client(&req.client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("the client is gone"))?;
    Ok((req, client))
}

/// Finish a stored request for a signed-in user: the answer for the client,
/// or the consent screen when the user has not allowed the client yet.
/// `fresh` says the user has just typed their credentials (so prompt=login,
/// max_age, reauthorize and acr "1" are satisfied); it is remembered on the
/// request for the consent step.
pub async fn complete(
    p: &Provider,
    request_id: &str,
    session: &Session,
    fresh: bool,
) -> Result<Outcome> {
    let now = p.now();
    let (mut req, client) = load(p, request_id).await?;
    let fresh = fresh || req.login_session.as_deref() == Some(session.id_hash.as_str());
    if needs_fresh_login(&req, Some(session), now, fresh) {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "sign in again to continue",
        ));
    }
    if verification::required_at(p, &session.user_id, &req.entrypoint).await? {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "verify your email address to continue",
        ));
    }
    if let Some(screen) = second_factor_screen(p, &req, session).await? {
        return Ok(Outcome::Interaction {
            screen,
            request_id: req.id,
        });
    }
    forget_for_reauthorize(p, &req, &session.user_id).await?;
    if needs_consent(p, &client, &req, &session.user_id).await? {
        req.login_session = fresh.then(|| session.id_hash.clone());
        if !p.store.update_auth_request(&req, now).await? {
            return Err(gone());
        }
        return Ok(Outcome::Interaction {
            screen: Screen::Consent,
            request_id: req.id,
        });
    }
    let req = p
        .store
        .take_auth_request(request_id, now)
        .await?
        .ok_or_else(gone)?;
    issue_response(p, &client, &req, session, fresh).await
}

/// The consent screen's answer. Allowing remembers the scopes for this user
/// and client and finishes the request; not allowing sends access_denied.
pub async fn consent(
    p: &Provider,
    request_id: &str,
    session: &Session,
    allow: bool,
) -> Result<Outcome> {
    let now = p.now();
    let (req, client) = load(p, request_id).await?;
    if !allow {
        let e = Event::ConsentDenied
            .entry()
            .user(&session.user_id)
            .client(&client.id)
            .detail(scope::join(&req.scopes));
        audit::record(p, e).await?;
        p.metrics.consent(false);
        return cancel(p, request_id, "the user did not allow the request").await;
    }
    let fresh = req.login_session.as_deref() == Some(session.id_hash.as_str());
    if needs_fresh_login(&req, Some(session), now, fresh) {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "sign in again to continue",
        ));
    }
    // Consent is no way around a second factor the request needs.
    if second_factor_screen(p, &req, session).await?.is_some() {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "give your second factor to continue",
        ));
    }
    let req = p
        .store
        .take_auth_request(request_id, now)
        .await?
        .ok_or_else(gone)?;
    p.store
        .add_consent(&session.user_id, &client.id, &req.scopes, now)
        .await?;
    let e = Event::ConsentGiven
        .entry()
        .user(&session.user_id)
        .client(&client.id)
        .detail(scope::join(&req.scopes));
    audit::record(p, e).await?;
    p.metrics.consent(true);
    issue_response(p, &client, &req, session, fresh).await
}

/// The user backed out of a screen: the client gets `access_denied`.
pub async fn cancel(p: &Provider, request_id: &str, why: &'static str) -> Result<Outcome> {
    let req = p
        .store
        .take_auth_request(request_id, p.now())
        .await?
        .ok_or_else(gone)?;
    let e = OAuthError::new(ErrorCode::AccessDenied, why);
    match error_response(
        p,
        &req.redirect_uri,
        req.response_mode,
        req.state.as_deref(),
        &e,
    ) {
        Outcome::ErrorPage(e) => Err(e),
        o => Ok(o),
    }
}
