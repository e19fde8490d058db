//! The authorization endpoint (RFC 6749 §4.1-4.2, OIDC Core §3, OAuth 2.0
//! Multiple Response Types and Form Post Response Mode, DruID's x_method
//! and entrypoint-in-scope): validate the request, then decide whether to
//! show a screen (login, sign-up, consent) or answer the client.

mod decide;
mod describe;
pub mod par;
mod respond;
mod resume;
mod validate;

use decide::decide;
pub use describe::{describe, explain_error};
pub use par::{REQUEST_URI_PREFIX, resolve};
pub use respond::{FormPost, RELAY_PATH, browser_state, relay, unrelay};
use respond::{error_response, mode_for};
pub use resume::{cancel, complete, consent};
pub use validate::client_and_redirect;
use validate::validate;

use crate::infra::provider::Provider;
use crate::model::Session;
use crate::protocol::error::{ErrorCode, OAuthError};
use crate::protocol::params::Params;

/// The screens of the hosted UI an authorization request can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Sign in; with a session it doubles as the account chooser
    /// (prompt=select_account: "Continue as …" or use another account).
    Login,
    SignUp,
    Consent,
    /// The account's second factor ("Authentication code", or a passkey),
    /// for a session that has only a password.
    SecondFactor,
    /// A second factor is required and the account has none: enrol one.
    Enrol,
}

/// What the endpoint answers.
#[derive(Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The client or redirect_uri cannot be trusted: show an error page
    /// (HTTP 400) and never redirect.
    ErrorPage(OAuthError),
    /// Redirect the browser to this (validated) URL: a response or an error
    /// in the query or the fragment.
    Redirect(String),
    /// Post the response to the client's redirect URI.
    FormPost(FormPost),
    /// The user must act first; the request is stored under `request_id`.
    Interaction { screen: Screen, request_id: String },
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ErrorPage(e) => f.debug_tuple("ErrorPage").field(e).finish(),
            // The URL may carry a code or tokens: show only where it goes.
            Self::Redirect(u) => {
                let cut = u.find(['?', '#']).unwrap_or(u.len());
                f.debug_tuple("Redirect").field(&&u[..cut]).finish()
            }
            Self::FormPost(x) => f.debug_tuple("FormPost").field(x).finish(),
            Self::Interaction { screen, request_id } => f
                .debug_struct("Interaction")
                .field("screen", screen)
                .field("request_id", request_id)
                .finish(),
        }
    }
}

/// Handle `GET /oauth2/authorize` with its query pairs and the browser's
/// SSO session, if any.
pub async fn authorize(
    p: &Provider,
    pairs: &[(String, String)],
    session: Option<&Session>,
) -> Outcome {
    let query = Params::new(pairs);
    let pushed = match resolve(p, &query).await {
        Ok(v) => v,
        Err(e) => return Outcome::ErrorPage(e),
    };
    let params = pushed.as_deref().map_or(query, Params::new);
    let (client, redirect_uri, given) = match client_and_redirect(p, &params).await {
        Ok(v) => v,
        Err(e) => return Outcome::ErrorPage(e),
    };
    let single = |name: &str| {
        if params.is_repeated(name) {
            None
        } else {
            params.get(name)
        }
    };
    let state = single("state");
    if let Some(cap) = crate::protocol::params::cap("state")
        && state.is_some_and(|s| s.len() > cap)
    {
        // Too long to echo back: the browser gets the error, not the client.
        return Outcome::ErrorPage(OAuthError::invalid_request(format!(
            "state is longer than {cap} characters"
        )));
    }
    let mode = mode_for(single("response_type"), single("response_mode"));
    let req = if client.require_pushed_authorization_requests && pushed.is_none() {
        Err(OAuthError::invalid_request(
            "this client must push its authorization requests (RFC 9126)",
        ))
    } else {
        validate(p, &params, &client, redirect_uri.clone(), given).await
    };
    let req = match req {
        Ok(r) => r,
        Err(e) if e.code == ErrorCode::ServerError => return Outcome::ErrorPage(e),
        Err(e) => return error_response(p, &redirect_uri, mode, state, &e),
    };
    let mode = req.response_mode;
    match decide(p, &client, req, session).await {
        Ok(o) => o,
        Err(e) if e.code == ErrorCode::ServerError => Outcome::ErrorPage(e),
        Err(e) => error_response(p, &redirect_uri, mode, state, &e),
    }
}

#[cfg(test)]
mod tests;
