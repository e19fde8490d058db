//! The decision: a screen (login, sign-up, consent), an error, or the
//! response, from the request, the session and the user's consents.

use super::respond::issue_response;
use super::{Outcome, Screen};
use crate::infra::provider::Provider;
use crate::model::{AuthRequest, Client, Session};
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::scope::{self};
use crate::protocol::types::Prompt;
use crate::services::audit::{self, Event};
use crate::services::mfa::{self, Need};
use crate::services::verification;
use portico_api_types::XMethod;

/// Whether this request needs credentials typed now, even with a session.
/// `fresh`: the user has typed them for this request.
pub(super) fn needs_fresh_login(
    req: &AuthRequest,
    session: Option<&Session>,
    now: i64,
    fresh: bool,
) -> bool {
    let Some(s) = session else { return true };
    if fresh {
        return false;
    }
    req.x_method == XMethod::Reauthorize
        || req.prompt.contains(&Prompt::Login)
        || req.max_age.is_some_and(|m| now - s.auth_time > m)
        || req.wanted_acr() == Some("1")
}

/// The second-factor screen the session still needs for this request
/// (its entrypoint's policy, the client's `require_mfa`, `acr_values`), if
/// any.
pub(super) async fn second_factor_screen(
    p: &Provider,
    req: &AuthRequest,
    s: &Session,
) -> Result<Option<Screen>> {
    let policy = mfa::policy(p, Some(req)).await?;
    Ok(match mfa::need(p, &s.user_id, &s.amr, policy).await? {
        Need::Nothing => None,
        Need::SecondFactor => Some(Screen::SecondFactor),
        Need::Enrol => Some(Screen::Enrol),
    })
}

/// Whether the user must be asked to allow the client its scopes.
pub(super) async fn needs_consent(
    p: &Provider,
    client: &Client,
    req: &AuthRequest,
    user_id: &str,
) -> Result<bool> {
    if client.first_party {
        return Ok(false);
    }
    if req.prompt.contains(&Prompt::Consent) {
        return Ok(true);
    }
    let held = p.store.consented_scopes(user_id, &client.id).await?;
    Ok(!req.scopes.iter().all(|s| scope::contains(&held, s)))
}

pub(super) async fn decide(
    p: &Provider,
    client: &Client,
    req: AuthRequest,
    session: Option<&Session>,
) -> Result<Outcome> {
    let now = p.now();
    let prompt_none = req.prompt.contains(&Prompt::None);
    let screen = if req.x_method == XMethod::SignUp {
        Some(Screen::SignUp)
    } else if needs_fresh_login(&req, session, now, false)
        // select_account: the login screen doubles as the account chooser.
        || req.prompt.contains(&Prompt::SelectAccount)
    {
        Some(Screen::Login)
    } else {
        match session {
            // An address the entrypoint requires verified: the sign-in
            // screen, after which a code is mailed.
            Some(s) if verification::required_at(p, &s.user_id, &req.entrypoint).await? => {
                Some(Screen::Login)
            }
            Some(s) => match second_factor_screen(p, &req, s).await? {
                Some(screen) => Some(screen),
                None if needs_consent(p, client, &req, &s.user_id).await? => Some(Screen::Consent),
                None => None,
            },
            None => None,
        }
    };
    match (screen, session) {
        (Some(screen), _) if prompt_none => {
            let (code, why) = match (screen, session) {
                (_, None) => (ErrorCode::LoginRequired, "the user is not signed in"),
                (Screen::Consent, _) => (
                    ErrorCode::ConsentRequired,
                    "the user has not allowed this client yet",
                ),
                (Screen::Login, _) => (ErrorCode::LoginRequired, "the user must sign in again"),
                (Screen::SignUp, _) => (
                    ErrorCode::InteractionRequired,
                    "the user must interact with the sign-up page",
                ),
                (Screen::SecondFactor, _) => (
                    ErrorCode::LoginRequired,
                    "the user must give a second factor",
                ),
                (Screen::Enrol, _) => (
                    ErrorCode::InteractionRequired,
                    "the user must set up a second factor",
                ),
            };
            Err(OAuthError::new(code, why))
        }
        (Some(screen), _) => {
            // Nothing is revoked yet for reauthorize: this is a GET any
            // site can trigger ([`forget_for_reauthorize`]).
            p.store.put_auth_request(&req).await?;
            Ok(Outcome::Interaction {
                screen,
                request_id: req.id,
            })
        }
        (None, Some(s)) => issue_response(p, client, &req, s, false).await,
        (None, None) => Err(OAuthError::server_error("no session and no screen")),
    }
}

/// x_method=reauthorize: once the user has signed in again to finish the
/// request, every token they hold for this client dies, by revoking their
/// grants, before the new code is issued. Not when the flow starts: that
/// is a GET any site can send a signed-in browser to, and it must not be
/// able to log the user out of an app. The SSO session and other clients'
/// tokens are untouched; backing out changes nothing.
pub(super) async fn forget_for_reauthorize(
    p: &Provider,
    req: &AuthRequest,
    user_id: &str,
) -> Result<()> {
    if req.x_method == XMethod::Reauthorize {
        let n = p
            .store
            .revoke_grants_of(user_id, &req.client_id, p.now())
            .await?;
        tracing::info!(client_id = %req.client_id, grants = n, "reauthorize: the client's grants for this user revoked");
        let e = Event::Reauthorized
            .entry()
            .user(user_id)
            .client(&req.client_id)
            .detail(format!("{n} grant(s) revoked"));
        audit::record(p, e).await?;
    }
    Ok(())
}
