//! The authorization endpoint (RFC 6749 §4.1-4.2, OIDC Core §3, OAuth 2.0
//! Multiple Response Types and Form Post Response Mode, DruID's x_method
//! and entrypoint-in-scope): validate the request, then decide whether to
//! show a screen (login, sign-up, consent) or answer the client.

pub mod par;

use crate::infra::provider::Provider;
use crate::model::{AuthCode, AuthRequest, Client, Grant, Session};
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::pkce;
use crate::protocol::redirect::{matches_registered, with_fragment, with_query};
use crate::protocol::scope::scope_infos;
use crate::protocol::scope::{self, DEFAULT_ENTRYPOINT};
use crate::protocol::secret::lookup_hash;
use crate::protocol::types::{ACR_VALUES, normalize_response_type};
use crate::protocol::types::{GRANT_AUTHORIZATION_CODE, PkceMethod, Prompt, ResponseMode};
use crate::services::audit::{self, Event};
use crate::services::entrypoint::{classify_scope, entrypoint_info};
use crate::services::tokens::{IdTokenExtras, access_token, id_token};
use portico_api_types::{AuthRequestInfo, XMethod};

/// The screens of the hosted UI an authorization request can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Sign in; with a session it doubles as the account chooser
    /// (prompt=select_account: "Continue as …" or use another account).
    Login,
    SignUp,
    Consent,
}

impl Screen {
    /// The UI path of the screen for a stored request.
    pub fn path(self, request_id: &str) -> String {
        let base = match self {
            Self::Login => "/login",
            Self::SignUp => "/sign-up",
            Self::Consent => "/consent",
        };
        format!("{base}?request={request_id}")
    }
}

/// A response delivered by a self-submitting HTML form (response_mode=form_post).
#[derive(Clone, PartialEq, Eq)]
pub struct FormPost {
    /// The client's (validated) redirect URI.
    pub action: String,
    pub fields: Vec<(String, String)>,
}

/// Where the hosted UI posts a form_post answer: a same-origin page that
/// renders the self-submitting form to the client. The UI cannot post to
/// the client itself: its own CSP allows forms to go to Portico only
/// (`form-action 'self'`), and widening that for every page would let any
/// injected form post anywhere.
pub const RELAY_PATH: &str = "/oauth2/form-post";

/// Seconds a relayed answer may take to come back (it is posted at once).
const RELAY_TTL: i64 = 120;

/// The fields the relay adds; a client's own fields never use these names.
const RELAY_ACTION: &str = "portico_relay_action";
const RELAY_EXPIRES: &str = "portico_relay_expires";
const RELAY_SIG: &str = "portico_relay_sig";

fn relay_message(action: &str, expires: i64, fields: &[(String, String)]) -> Vec<u8> {
    // JSON of a tuple: unambiguous however the values look.
    serde_json::to_vec(&(action, expires, fields)).unwrap_or_default()
}

/// The same answer, addressed to [`RELAY_PATH`] and signed, so the UI can
/// hand it to Portico's own page, which posts it on to the client.
pub fn relay(p: &Provider, f: &FormPost) -> FormPost {
    let expires = p.now() + RELAY_TTL;
    let sig = p
        .relay_key
        .sign(&relay_message(&f.action, expires, &f.fields));
    let mut fields = f.fields.clone();
    fields.push((RELAY_ACTION.into(), f.action.clone()));
    fields.push((RELAY_EXPIRES.into(), expires.to_string()));
    fields.push((RELAY_SIG.into(), sig));
    FormPost {
        action: RELAY_PATH.into(),
        fields,
    }
}

/// The answer behind a relayed form, if its signature holds and it has not
/// expired. Anything else is refused: the page only ever posts what
/// Portico itself produced, to the redirect URI it validated.
pub fn unrelay(p: &Provider, pairs: &[(String, String)]) -> Result<FormPost> {
    let refused =
        || OAuthError::invalid_request("this answer is not one Portico made, or it has expired");
    let mut fields = Vec::new();
    let (mut action, mut expires, mut sig) = (None, None, None);
    for (k, v) in pairs {
        match k.as_str() {
            RELAY_ACTION if action.is_none() => action = Some(v.clone()),
            RELAY_EXPIRES if expires.is_none() => expires = v.parse::<i64>().ok(),
            RELAY_SIG if sig.is_none() => sig = Some(v.clone()),
            RELAY_ACTION | RELAY_EXPIRES | RELAY_SIG => return Err(refused()),
            _ => fields.push((k.clone(), v.clone())),
        }
    }
    let (Some(action), Some(expires), Some(sig)) = (action, expires, sig) else {
        return Err(refused());
    };
    if expires < p.now()
        || !p
            .relay_key
            .verify(&relay_message(&action, expires, &fields), &sig)
    {
        return Err(refused());
    }
    Ok(FormPost { action, fields })
}

impl std::fmt::Debug for FormPost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The fields carry codes and tokens: only their names are shown.
        let names: Vec<&str> = self.fields.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("FormPost")
            .field("action", &self.action)
            .field("fields", &names)
            .finish()
    }
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

/// The mode a response or error travels in: the requested one when valid,
/// else the default for the response type (fragment whenever a token or
/// id_token is returned, query for code alone).
fn mode_for(response_type: Option<&str>, response_mode: Option<&str>) -> ResponseMode {
    let default = match response_type.and_then(normalize_response_type) {
        Some(rt) if rt != "code" => ResponseMode::Fragment,
        _ => ResponseMode::Query,
    };
    match response_mode.and_then(ResponseMode::parse) {
        // Never the query for a response type that carries tokens.
        Some(ResponseMode::Query) => default,
        Some(m) => m,
        None => default,
    }
}

/// Steps 1-3 of validation: the client and the redirect URI. Errors here are
/// never redirected. Returns the client, the redirect URI to use and whether
/// it was given explicitly.
pub async fn client_and_redirect(
    p: &Provider,
    params: &Params<'_>,
) -> Result<(Client, String, bool)> {
    if params.is_repeated("client_id") {
        return Err(OAuthError::invalid_request("client_id is repeated"));
    }
    let client_id = params
        .get("client_id")
        .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
    let client = p
        .client(client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("the client is not registered"))?;
    if params.is_repeated("redirect_uri") {
        return Err(OAuthError::invalid_request("redirect_uri is repeated"));
    }
    match params.get("redirect_uri") {
        Some(uri) if matches_registered(uri, &client.redirect_uris) => {
            Ok((client, uri.to_owned(), true))
        }
        Some(_) => Err(OAuthError::new(
            ErrorCode::RedirectUriMismatch,
            "redirect_uri is not registered for this client",
        )),
        None => match client.redirect_uris.as_slice() {
            [only] => {
                let only = only.clone();
                Ok((client, only, false))
            }
            _ => Err(OAuthError::invalid_request("redirect_uri is missing")),
        },
    }
}

/// Deliver `fields` to the client's (validated) redirect URI in `mode`.
fn respond(
    redirect_uri: &str,
    mode: ResponseMode,
    fields: Vec<(String, String)>,
) -> Result<Outcome> {
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let url = match mode {
        ResponseMode::Query => with_query(redirect_uri, &pairs),
        ResponseMode::Fragment => with_fragment(redirect_uri, &pairs),
        ResponseMode::FormPost => {
            return Ok(Outcome::FormPost(FormPost {
                action: redirect_uri.to_owned(),
                fields,
            }));
        }
    };
    url.map(Outcome::Redirect)
        .ok_or_else(|| OAuthError::server_error("registered redirect_uri is not a URL"))
}

/// The error response to the client (RFC 6749 §4.1.2.1, RFC 9207 iss).
fn error_response(
    p: &Provider,
    redirect_uri: &str,
    mode: ResponseMode,
    state: Option<&str>,
    e: &OAuthError,
) -> Outcome {
    let mut fields = vec![
        ("error".to_owned(), e.code.as_str().to_owned()),
        ("error_description".to_owned(), e.description().to_owned()),
    ];
    if let Some(s) = state {
        fields.push(("state".to_owned(), s.to_owned()));
    }
    fields.push(("iss".to_owned(), p.issuer().to_owned()));
    respond(redirect_uri, mode, fields).unwrap_or_else(Outcome::ErrorPage)
}

/// Everything after the client and redirect URI are known. Errors are
/// sent to the client.
pub(crate) async fn validate(
    p: &Provider,
    params: &Params<'_>,
    client: &Client,
    redirect_uri: String,
    given: bool,
) -> Result<AuthRequest> {
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
    }
    if let Some((name, cap)) = params.first_too_long() {
        return Err(OAuthError::invalid_request(format!(
            "{name} is longer than {cap} characters"
        )));
    }
    if params.get("request").is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        ));
    }
    let raw_type = params
        .get("response_type")
        .ok_or_else(|| OAuthError::invalid_request("response_type is missing"))?;
    let response_type = normalize_response_type(raw_type).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "the response_type is not supported",
        )
    })?;
    let allowed = client
        .response_types
        .iter()
        .any(|r| normalize_response_type(r).as_deref() == Some(response_type.as_str()));
    let has = |kind: &str| response_type.split(' ').any(|t| t == kind);
    if !allowed || (has("code") && !client.allows_grant(GRANT_AUTHORIZATION_CODE)) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this response_type",
        ));
    }
    let response_mode = match params.get("response_mode") {
        None => mode_for(Some(&response_type), None),
        Some(m) => ResponseMode::parse(m).ok_or_else(|| {
            OAuthError::invalid_request("response_mode must be query, fragment or form_post")
        })?,
    };
    // Multiple Response Types §3.0: tokens never travel in the query.
    if response_mode == ResponseMode::Query && response_type != "code" {
        return Err(OAuthError::invalid_request(
            "response_mode=query cannot carry tokens; use fragment or form_post",
        ));
    }

    let classified = classify_scope(p, client, params.get("scope")).await?;
    let nonce = params.get("nonce");
    if has("id_token") {
        if !scope::contains(&classified.scopes, scope::OPENID) {
            return Err(OAuthError::invalid_request(
                "an id_token is only issued with the openid scope",
            ));
        }
        // OIDC Core §3.2.2.1 / §3.3.2.11: nonce is required when the
        // authorization endpoint returns an id_token.
        if nonce.is_none_or(str::is_empty) {
            return Err(OAuthError::invalid_request(
                "nonce is required when an id_token is returned from the authorization endpoint",
            ));
        }
    }

    // PKCE (RFC 7636; public clients must use S256, RFC 9700 §2.1.1). It
    // protects the code, so it only applies when a code is issued.
    let challenge = params.get("code_challenge");
    let method = match (challenge, params.get("code_challenge_method")) {
        (None, Some(_)) => {
            return Err(OAuthError::invalid_request(
                "code_challenge_method without code_challenge",
            ));
        }
        (None, None) => None,
        (Some(c), m) => {
            let m = pkce::parse_method(m)?;
            pkce::validate_challenge(c, m)?;
            Some(m)
        }
    };
    if has("code") && client.is_public() && method != Some(PkceMethod::S256) {
        return Err(OAuthError::invalid_request(
            "public clients must use PKCE with code_challenge_method=S256",
        ));
    }

    let mut x_method = match params.get("x_method") {
        None | Some("login") => XMethod::Login,
        Some("sign_up") => XMethod::SignUp,
        Some("reauthorize") => XMethod::Reauthorize,
        Some(_) => {
            return Err(OAuthError::invalid_request(
                "x_method must be login, sign_up or reauthorize",
            ));
        }
    };
    let prompt = split(params.get("prompt"))
        .iter()
        .map(|v| {
            Prompt::parse(v)
                .ok_or_else(|| OAuthError::invalid_request(format!("unknown prompt value {v}")))
        })
        .collect::<Result<Vec<Prompt>>>()?;
    if prompt.contains(&Prompt::None) && prompt.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    if prompt.contains(&Prompt::Create) {
        x_method = XMethod::SignUp;
    }
    let entrypoint = classified
        .entrypoint
        .as_deref()
        .unwrap_or(DEFAULT_ENTRYPOINT)
        .to_owned();
    if let Some(e) = p.store.entrypoint(&entrypoint).await?
        && !e.offers(x_method)
    {
        return Err(OAuthError::invalid_request(format!(
            "the entrypoint {entrypoint} does not offer x_method={}",
            x_method.as_str()
        )));
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            OAuthError::invalid_request("max_age must be a non-negative integer")
        })?),
    };

    // RFC 6749 §3.3 lets a request without scope fail with invalid_scope,
    // and DruID requires one. Without this, an empty scope set would count
    // as already allowed (every one of no scopes is held) and a third-party
    // client would get a code for the user without the consent screen. An
    // entrypoint alone is no permission, so it does not count.
    if classified.scopes.is_empty() {
        return Err(OAuthError::invalid_scope(
            if classified.entrypoint.is_some() {
                "scope names only an entrypoint; add the scopes the client needs, such as openid"
            } else {
                "scope is required"
            },
        ));
    }
    let now = p.now();
    Ok(AuthRequest {
        id: p.random.token(16)?,
        client_id: client.id.clone(),
        redirect_uri,
        redirect_uri_given: given,
        response_type,
        response_mode,
        scopes: classified.scopes,
        entrypoint,
        state: params.get("state").map(str::to_owned),
        nonce: nonce.map(str::to_owned),
        code_challenge: challenge.map(str::to_owned),
        code_challenge_method: method,
        x_method,
        prompt,
        max_age,
        acr_values: split(params.get("acr_values")),
        ui_locales: split(params.get("ui_locales")),
        login_session: None,
        created_at: now,
        expires_at: now + p.config.auth_request_ttl,
    })
}

fn split(v: Option<&str>) -> Vec<String> {
    v.unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The acr the client prefers: the first of its acr_values Portico can
/// achieve. Values Portico cannot achieve are ignored (acr_values is a
/// voluntary request, OIDC Core §3.1.2.1); the claim then says what happened.
fn wanted_acr(req: &AuthRequest) -> Option<&str> {
    req.acr_values
        .iter()
        .map(String::as_str)
        .find(|v| ACR_VALUES.contains(v))
}

/// Whether this request needs credentials typed now, even with a session.
/// `fresh`: the user has typed them for this request.
fn needs_fresh_login(req: &AuthRequest, session: Option<&Session>, now: i64, fresh: bool) -> bool {
    let Some(s) = session else { return true };
    if fresh {
        return false;
    }
    req.x_method == XMethod::Reauthorize
        || req.prompt.contains(&Prompt::Login)
        || req.max_age.is_some_and(|m| now - s.auth_time > m)
        || wanted_acr(req) == Some("1")
}

/// Whether the user must be asked to allow the client its scopes.
async fn needs_consent(
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

async fn decide(
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
            Some(s) if needs_consent(p, client, &req, &s.user_id).await? => Some(Screen::Consent),
            _ => None,
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
async fn forget_for_reauthorize(p: &Provider, req: &AuthRequest, user_id: &str) -> Result<()> {
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

fn gone() -> OAuthError {
    OAuthError::invalid_request(
        "the sign-in request has expired or was already used; start again from the app",
    )
}

async fn load(p: &Provider, request_id: &str) -> Result<(AuthRequest, Client)> {
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
        return cancel(p, request_id, "the user did not allow the request").await;
    }
    let fresh = req.login_session.as_deref() == Some(session.id_hash.as_str());
    if needs_fresh_login(&req, Some(session), now, fresh) {
        return Err(OAuthError::new(
            ErrorCode::LoginRequired,
            "sign in again to continue",
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

/// Issue what the response type asks for (code, access token, id_token;
/// OIDC Core §3.3.2.5) under one new grant, and answer in the request's mode.
async fn issue_response(
    p: &Provider,
    client: &Client,
    req: &AuthRequest,
    session: &Session,
    fresh: bool,
) -> Result<Outcome> {
    let now = p.now();
    let acr = if fresh { "1" } else { "0" };
    let grant = Grant {
        id: p.random.token(16)?,
        client_id: req.client_id.clone(),
        user_id: session.user_id.clone(),
        scopes: req.scopes.clone(),
        created_at: now,
        revoked_at: None,
        session_id_hash: Some(session.id_hash.clone()),
    };
    p.store.create_grant(&grant).await?;
    let mut fields: Vec<(String, String)> = Vec::new();
    let code = if req.returns("code") {
        let code = p.random.token(32)?;
        p.store
            .put_code(&AuthCode {
                code_hash: lookup_hash(&code),
                grant_id: grant.id.clone(),
                client_id: req.client_id.clone(),
                redirect_uri: req.redirect_uri.clone(),
                redirect_uri_given: req.redirect_uri_given,
                user_id: session.user_id.clone(),
                session_id_hash: session.id_hash.clone(),
                scopes: req.scopes.clone(),
                nonce: req.nonce.clone(),
                code_challenge: req.code_challenge.clone(),
                code_challenge_method: req.code_challenge_method,
                auth_time: session.auth_time,
                acr: Some(acr.to_owned()),
                created_at: now,
                expires_at: now + p.config.code_ttl,
            })
            .await?;
        fields.push(("code".into(), code.clone()));
        Some(code)
    } else {
        None
    };
    let at = if req.returns("token") {
        let scope_str = scope::join(&req.scopes);
        let at = access_token(
            p,
            &client.id,
            &session.user_id,
            scope_str.clone(),
            Some((&grant.id, session.auth_time)),
        )?;
        fields.push(("access_token".into(), at.clone()));
        fields.push(("token_type".into(), "Bearer".into()));
        fields.push(("expires_in".into(), p.config.access_token_ttl.to_string()));
        fields.push(("scope".into(), scope_str));
        Some(at)
    } else {
        None
    };
    if req.returns("id_token") {
        // With response_type=id_token there is no access token to fetch the
        // user's claims with, so they go in the id_token (OIDC Core §5.4).
        let user_claims = if req.response_type == "id_token" {
            let user = p
                .store
                .user_by_id(&session.user_id)
                .await?
                .ok_or_else(|| OAuthError::access_denied("the account no longer exists"))?;
            let mut c = crate::services::claims::claims_for(&user, &req.scopes);
            c.remove("sub");
            c
        } else {
            serde_json::Map::new()
        };
        let id = id_token(
            p,
            client,
            &session.user_id,
            session.auth_time,
            IdTokenExtras {
                nonce: req.nonce.as_deref(),
                acr: Some(acr),
                access_token: at.as_deref(),
                code: code.as_deref(),
                user_claims,
            },
        )?;
        fields.push(("id_token".into(), id));
    }
    if let Some(s) = &req.state {
        fields.push(("state".into(), s.clone()));
    }
    if scope::contains(&req.scopes, scope::OPENID)
        && let Some(ss) = session_state(p, &req.client_id, &req.redirect_uri, session)?
    {
        fields.push(("session_state".into(), ss));
    }
    fields.push(("iss".into(), p.issuer().to_owned()));
    respond(&req.redirect_uri, req.response_mode, fields)
}

/// The OP browser state of a session (OIDC Session Management §3): stable
/// while the session lives, unguessable, and new with every new session.
pub fn browser_state(p: &Provider, session: &Session) -> String {
    lookup_hash(&p.client_secrets.hash(&format!("opbs:{}", session.id_hash)))
}

/// OIDC Session Management 1.0 §3: `session_state` =
/// `base64url(SHA-256(client_id " " origin " " opbs " " salt)) "." salt`,
/// where origin is the redirect URI's. A change of session (sign-out, a
/// new sign-in) changes it. `None` for a redirect URI without an origin
/// (a custom scheme), where the value could never be checked.
fn session_state(
    p: &Provider,
    client_id: &str,
    redirect_uri: &str,
    session: &Session,
) -> Result<Option<String>> {
    let Ok(url) = url::Url::parse(redirect_uri) else {
        return Ok(None);
    };
    let origin = url.origin();
    if !origin.is_tuple() {
        return Ok(None);
    }
    let salt = p.random.token(12)?;
    let opbs = browser_state(p, session);
    let digest = lookup_hash(&format!(
        "{client_id} {} {opbs} {salt}",
        origin.ascii_serialization()
    ));
    Ok(Some(format!("{digest}.{salt}")))
}

/// What the screens show about a pending request.
pub async fn describe(p: &Provider, request_id: &str) -> Result<AuthRequestInfo> {
    let (req, client) = load(p, request_id).await?;
    Ok(AuthRequestInfo {
        entrypoint: entrypoint_info(p, &req.entrypoint, &client).await?,
        scopes: scope_infos(&req.scopes),
        id: req.id,
        client_name: client.name,
        x_method: req.x_method,
        select_account: req.prompt.contains(&Prompt::SelectAccount),
    })
}

/// For the UI's error screen: why the request could not be redirected.
/// Only the never-redirect errors are explained; anything else gets a
/// generic answer so this cannot be used to probe a client's settings.
pub async fn explain_error(p: &Provider, pairs: &[(String, String)]) -> OAuthError {
    let params = Params::new(pairs);
    if params.get("request_uri").is_some() {
        // Only an unusable request_uri ever reaches the error page.
        return OAuthError::new(
            ErrorCode::InvalidRequestUri,
            "the request_uri is unknown, expired or already used; start again from the app",
        );
    }
    match client_and_redirect(p, &params).await {
        Err(e) => e,
        Ok(_) => OAuthError::invalid_request("the authorization request could not be processed"),
    }
}

/// Pushed authorization requests (RFC 9126), the authorization endpoint's
/// side; [`crate::endpoints::authorize::par`] is the pushing endpoint.
/// RFC 9126 §2.2: the request_uri's prefix.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

fn unusable() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidRequestUri,
        "the request_uri is unknown, expired or already used; start again from the app",
    )
}

/// At the authorization endpoint: when the query names a request_uri, the
/// pushed parameters, taken once (RFC 9126 §4: the rest of the query is
/// ignored). `Ok(None)` when there is no request_uri. Errors are never
/// redirected: without the pushed request the redirect_uri is unknown.
pub async fn resolve(p: &Provider, query: &Params<'_>) -> Result<Option<Vec<(String, String)>>> {
    let Some(uri) = query.get("request_uri") else {
        return Ok(None);
    };
    if query.is_repeated("request_uri") || query.is_repeated("client_id") {
        return Err(OAuthError::invalid_request(
            "request_uri or client_id is repeated",
        ));
    }
    let client_id = query
        .get("client_id")
        .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
    if !uri.starts_with(REQUEST_URI_PREFIX) || uri.len() > 200 {
        return Err(unusable());
    }
    let pushed = p
        .store
        .take_pushed_request(&lookup_hash(uri), p.now())
        .await?
        .ok_or_else(unusable)?;
    if pushed.client_id != client_id {
        tracing::warn!(%client_id, "request_uri presented by another client");
        return Err(unusable());
    }
    Ok(Some(pushed.params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::types::RESPONSE_TYPES;
    use crate::testkit::*;

    fn base() -> String {
        format!("client_id=web&redirect_uri={CB}&response_type=code&scope=openid&state=xyz")
    }

    async fn run(k: &Kit, query: &str, session: Option<&Session>) -> Outcome {
        authorize(&k.p, &q(query), session).await
    }

    fn expect_error_redirect(o: Outcome, code: &str) -> std::collections::HashMap<String, String> {
        let Outcome::Redirect(url) = o else {
            panic!("expected a redirect, got {o:?}")
        };
        assert!(url.starts_with(CB), "{url}");
        let p = redirect_params(&url);
        assert_eq!(p.get("error").map(String::as_str), Some(code), "{url}");
        assert!(p.contains_key("error_description"));
        assert_eq!(p.get("iss").map(String::as_str), Some(ISSUER));
        p
    }

    fn expect_error_page(o: Outcome, code: ErrorCode) {
        match o {
            Outcome::ErrorPage(e) => assert_eq!(e.code, code),
            other => panic!("expected an error page, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn missing_or_unknown_client_never_redirects() {
        let k = kit().await;
        expect_error_page(
            run(&k, &format!("redirect_uri={CB}&response_type=code"), None).await,
            ErrorCode::InvalidRequest,
        );
        expect_error_page(
            run(
                &k,
                &format!("client_id=nope&redirect_uri={CB}&response_type=code"),
                None,
            )
            .await,
            ErrorCode::InvalidClient,
        );
        expect_error_page(
            run(
                &k,
                &format!("client_id=web&client_id=spa&redirect_uri={CB}&response_type=code"),
                None,
            )
            .await,
            ErrorCode::InvalidRequest,
        );
    }

    #[tokio::test]
    async fn a_disabled_public_client_gets_the_error_page_like_an_unknown_one() {
        let k = kit().await;
        let query = format!(
            "client_id=spa&redirect_uri={CB}&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256"
        );
        assert!(!matches!(
            run(&k, &query, None).await,
            Outcome::ErrorPage(_)
        ));
        crate::services::clients::disable(&k.p, "spa", crate::model::DisabledBy::Admin, "test")
            .await
            .unwrap();
        expect_error_page(run(&k, &query, None).await, ErrorCode::InvalidClient);
    }

    #[tokio::test]
    async fn unregistered_redirect_uri_never_redirects() {
        let k = kit().await;
        for uri in [
            "https://evil.example/cb",
            "https://app.example/cb/",
            "https://app.example/cb?x=1",
        ] {
            let o = run(
                &k,
                &format!("client_id=web&redirect_uri={uri}&response_type=code"),
                None,
            )
            .await;
            expect_error_page(o, ErrorCode::RedirectUriMismatch);
        }
        // Two registered URIs: redirect_uri cannot be left out.
        expect_error_page(
            run(&k, "client_id=web&response_type=code", None).await,
            ErrorCode::InvalidRequest,
        );
        // Repeated redirect_uri cannot be trusted either.
        let o = run(
            &k,
            &format!("client_id=web&redirect_uri={CB}&redirect_uri={CB}&response_type=code"),
            None,
        )
        .await;
        expect_error_page(o, ErrorCode::InvalidRequest);
    }

    #[tokio::test]
    async fn single_registered_uri_may_be_omitted() {
        let k = kit().await;
        let o = run(&k, &format!("client_id=spa&response_type=code&scope=openid&code_challenge={CHALLENGE}&code_challenge_method=S256"), None).await;
        assert!(
            matches!(
                o,
                Outcome::Interaction {
                    screen: Screen::Login,
                    ..
                }
            ),
            "{o:?}"
        );
    }

    #[tokio::test]
    async fn response_type_errors_redirect() {
        let k = kit().await;
        let p = expect_error_redirect(
            run(
                &k,
                &format!("client_id=web&redirect_uri={CB}&state=s1"),
                None,
            )
            .await,
            "invalid_request",
        );
        assert_eq!(p.get("state").map(String::as_str), Some("s1"));
        let o = run(
            &k,
            &format!("client_id=web&redirect_uri={CB}&response_type=code magic&state=s1"),
            None,
        )
        .await;
        expect_error_redirect(o, "unsupported_response_type");
        // Implicit for a client not configured for it: the error travels in
        // the fragment, where a token would have.
        let o = run(
            &k,
            &format!("client_id=web&redirect_uri={CB}&response_type=token&state=s1"),
            None,
        )
        .await;
        let url = redirect_url(o);
        assert!(url.contains('#') && !url.contains('?'), "{url}");
        assert_eq!(fragment_params(&url)["error"], "unauthorized_client");
        let o = run(
            &k,
            &format!("client_id=m2m&redirect_uri={CB}&response_type=code"),
            None,
        )
        .await;
        expect_error_redirect(o, "unauthorized_client");
    }

    #[tokio::test]
    async fn scope_errors_redirect_with_invalid_scope() {
        let k = kit().await;
        let o = run(
            &k,
            &format!("client_id=web&redirect_uri={CB}&response_type=code&scope=unknown"),
            None,
        )
        .await;
        expect_error_redirect(o, "invalid_scope");
        let o = run(
            &k,
            &format!("client_id=web&redirect_uri={CB}&response_type=code&scope=shop default"),
            None,
        )
        .await;
        expect_error_redirect(o, "invalid_scope");
    }

    #[tokio::test]
    async fn entrypoint_in_scope_is_kept_apart_from_scopes() {
        let k = kit().await;
        let o = run(
            &k,
            &format!("client_id=web&redirect_uri={CB}&response_type=code&scope=openid shop"),
            None,
        )
        .await;
        let Outcome::Interaction { request_id, .. } = o else {
            panic!("{o:?}")
        };
        let r =
            k.p.store
                .auth_request(&request_id, T0)
                .await
                .unwrap()
                .unwrap();
        assert_eq!(r.scopes, vec!["openid"]);
        assert_eq!(r.entrypoint, "shop");
        let info = describe(&k.p, &request_id).await.unwrap();
        assert_eq!(info.entrypoint.display_name, "The Shop");
        assert_eq!(info.client_name, "Web App");
    }

    #[tokio::test]
    async fn no_entrypoint_means_default() {
        let k = kit().await;
        let Outcome::Interaction { request_id, .. } = run(&k, &base(), None).await else {
            panic!()
        };
        assert_eq!(
            k.p.store
                .auth_request(&request_id, T0)
                .await
                .unwrap()
                .unwrap()
                .entrypoint,
            "default"
        );
    }

    #[tokio::test]
    async fn pkce_rules() {
        let k = kit().await;
        // Public client without PKCE.
        expect_error_redirect(
            run(&k, "client_id=spa&response_type=code", None).await,
            "invalid_request",
        );
        // Public client with plain.
        let o = run(&k, &format!("client_id=spa&response_type=code&code_challenge={VERIFIER}&code_challenge_method=plain"), None).await;
        expect_error_redirect(o, "invalid_request");
        // Method without challenge.
        expect_error_redirect(
            run(&k, &format!("{}&code_challenge_method=S256", base()), None).await,
            "invalid_request",
        );
        // Unknown method.
        let o = run(
            &k,
            &format!(
                "{}&code_challenge={CHALLENGE}&code_challenge_method=S512",
                base()
            ),
            None,
        )
        .await;
        expect_error_redirect(o, "invalid_request");
        // Malformed challenge.
        expect_error_redirect(
            run(
                &k,
                &format!("{}&code_challenge=short&code_challenge_method=S256", base()),
                None,
            )
            .await,
            "invalid_request",
        );
        // Confidential client may use plain.
        let o = run(
            &k,
            &format!(
                "{}&code_challenge={VERIFIER}&code_challenge_method=plain",
                base()
            ),
            None,
        )
        .await;
        assert!(matches!(o, Outcome::Interaction { .. }), "{o:?}");
    }

    #[tokio::test]
    async fn x_method_prompt_and_max_age_validation() {
        let k = kit().await;
        expect_error_redirect(
            run(&k, &format!("{}&x_method=dance", base()), None).await,
            "invalid_request",
        );
        expect_error_redirect(
            run(&k, &format!("{}&prompt=maybe", base()), None).await,
            "invalid_request",
        );
        expect_error_redirect(
            run(&k, &format!("{}&prompt=none login", base()), None).await,
            "invalid_request",
        );
        expect_error_redirect(
            run(&k, &format!("{}&max_age=-1", base()), None).await,
            "invalid_request",
        );
        expect_error_redirect(
            run(&k, &format!("{}&state=a&state=b", base()), None).await,
            "invalid_request",
        );
        expect_error_page(
            run(&k, &format!("{}&request_uri=urn:x", base()), None).await,
            ErrorCode::InvalidRequestUri,
        );
        expect_error_redirect(
            run(&k, &format!("{}&request=eyJ", base()), None).await,
            "request_not_supported",
        );
        expect_error_redirect(
            run(&k, &format!("{}&response_mode=magic", base()), None).await,
            "invalid_request",
        );
    }

    #[tokio::test]
    async fn screens_follow_x_method() {
        let k = kit().await;
        assert!(matches!(
            run(&k, &base(), None).await,
            Outcome::Interaction {
                screen: Screen::Login,
                ..
            }
        ));
        let o = run(&k, &format!("{}&x_method=sign_up", base()), None).await;
        assert!(matches!(
            o,
            Outcome::Interaction {
                screen: Screen::SignUp,
                ..
            }
        ));
        let o = run(&k, &format!("{}&prompt=create", base()), None).await;
        assert!(matches!(
            o,
            Outcome::Interaction {
                screen: Screen::SignUp,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn session_state_is_salted_and_follows_the_session_and_origin() {
        let k = kit().await;
        let s = consented(&k).await;
        let get = |o: Outcome| {
            let Outcome::Redirect(url) = o else {
                panic!("expected a redirect, got {o:?}")
            };
            redirect_params(&url)["session_state"].clone()
        };
        let ss = get(run(&k, &base(), Some(&s)).await);
        let (digest, salt) = ss.split_once('.').unwrap();
        let opbs = browser_state(&k.p, &s);
        assert_eq!(
            digest,
            lookup_hash(&format!("web https://app.example {opbs} {salt}"))
        );
        let again = get(run(&k, &base(), Some(&s)).await);
        assert_ne!(again, ss, "a fresh salt each time");
        let other = Session {
            id_hash: "another".into(),
            ..s.clone()
        };
        assert_ne!(browser_state(&k.p, &other), opbs);
        // Without openid there is no OIDC session to speak of.
        let o = run(
            &k,
            &base().replace("scope=openid", "scope=profile"),
            Some(&s),
        )
        .await;
        let Outcome::Redirect(url) = o else {
            panic!("{o:?}")
        };
        assert!(!redirect_params(&url).contains_key("session_state"));
    }

    #[tokio::test]
    async fn an_entrypoint_only_offers_its_x_methods() {
        let k = kit().await;
        let mut shop = crate::model::Entrypoint::new("shop", "The Shop");
        shop.x_methods = vec![XMethod::Login];
        k.p.store.upsert_entrypoint(&shop).await.unwrap();
        let q = |extra: &str| {
            format!(
                "{}&code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
                base().replace("scope=openid", "scope=openid shop")
            )
        };
        let p = expect_error_redirect(
            run(&k, &q("&x_method=sign_up"), None).await,
            "invalid_request",
        );
        assert!(p["error_description"].contains("x_method=sign_up"), "{p:?}");
        expect_error_redirect(run(&k, &q("&prompt=create"), None).await, "invalid_request");
        expect_error_redirect(
            run(&k, &q("&x_method=reauthorize"), None).await,
            "invalid_request",
        );
        assert!(matches!(
            run(&k, &q(""), None).await,
            Outcome::Interaction {
                screen: Screen::Login,
                ..
            }
        ));
        // The default entrypoint still offers everything.
        assert!(matches!(
            run(&k, &format!("{}&x_method=sign_up", base()), None).await,
            Outcome::Interaction {
                screen: Screen::SignUp,
                ..
            }
        ));
    }

    #[tokio::test]
    async fn a_session_gets_a_code_at_once() {
        let k = kit().await;
        let s = k.session(T0).await;
        let Outcome::Redirect(url) = run(&k, &base(), Some(&s)).await else {
            panic!()
        };
        let p = redirect_params(&url);
        assert_eq!(p.get("state").map(String::as_str), Some("xyz"));
        assert_eq!(p.get("iss").map(String::as_str), Some(ISSUER));
        assert!(
            p.get("code").is_some_and(|c| c.len() >= 43),
            "≥256 bits: {url}"
        );
        assert!(!p.contains_key("error"));
    }

    #[tokio::test]
    async fn prompt_login_max_age_and_reauthorize_force_the_login_screen() {
        let k = kit().await;
        let s = k.session(T0).await;
        k.clock.advance(100);
        for extra in [
            "&prompt=login",
            "&max_age=50",
            "&x_method=reauthorize",
            "&max_age=0",
        ] {
            let o = run(&k, &format!("{}{extra}", base()), Some(&s)).await;
            assert!(
                matches!(
                    o,
                    Outcome::Interaction {
                        screen: Screen::Login,
                        ..
                    }
                ),
                "{extra}: {o:?}"
            );
        }
        let o = run(&k, &format!("{}&max_age=500", base()), Some(&s)).await;
        assert!(matches!(o, Outcome::Redirect(_)), "{o:?}");
    }

    #[tokio::test]
    async fn prompt_none_never_shows_a_screen() {
        let k = kit().await;
        expect_error_redirect(
            run(&k, &format!("{}&prompt=none", base()), None).await,
            "login_required",
        );
        let s = k.session(T0).await;
        k.clock.advance(100);
        expect_error_redirect(
            run(&k, &format!("{}&prompt=none&max_age=10", base()), Some(&s)).await,
            "login_required",
        );
        assert!(matches!(
            run(&k, &format!("{}&prompt=none", base()), Some(&s)).await,
            Outcome::Redirect(_)
        ));
    }

    #[tokio::test]
    async fn complete_issues_once_and_respects_fresh_login() {
        let k = kit().await;
        let Outcome::Interaction { request_id, .. } =
            run(&k, &format!("{}&prompt=login", base()), None).await
        else {
            panic!()
        };
        let s = k.session(T0).await;
        let e = complete(&k.p, &request_id, &s, false).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::LoginRequired);
        let url = redirect_url(complete(&k.p, &request_id, &s, true).await.unwrap());
        assert!(redirect_params(&url).contains_key("code"));
        let again = complete(&k.p, &request_id, &s, true).await.unwrap_err();
        assert_eq!(again.code, ErrorCode::InvalidRequest);
    }

    #[tokio::test]
    async fn cancel_redirects_access_denied_once() {
        let k = kit().await;
        let Outcome::Interaction { request_id, .. } = run(&k, &base(), None).await else {
            panic!()
        };
        let url = redirect_url(cancel(&k.p, &request_id, "cancelled").await.unwrap());
        let p = redirect_params(&url);
        assert_eq!(p.get("error").map(String::as_str), Some("access_denied"));
        assert_eq!(p.get("state").map(String::as_str), Some("xyz"));
        assert_eq!(p.get("iss").map(String::as_str), Some(ISSUER));
        assert!(cancel(&k.p, &request_id, "cancelled").await.is_err());
    }

    #[tokio::test]
    async fn stored_requests_expire() {
        let k = kit().await;
        let Outcome::Interaction { request_id, .. } = run(&k, &base(), None).await else {
            panic!()
        };
        k.clock.advance(601);
        let s = k.session(k.clock.now()).await;
        assert!(complete(&k.p, &request_id, &s, true).await.is_err());
        assert!(describe(&k.p, &request_id).await.is_err());
    }

    #[tokio::test]
    async fn explain_error_only_explains_non_redirectable_errors() {
        let k = kit().await;
        assert_eq!(
            explain_error(&k.p, &q("client_id=nope")).await.code,
            ErrorCode::InvalidClient
        );
        let e = explain_error(&k.p, &q("client_id=web&redirect_uri=https://evil.example")).await;
        assert_eq!(e.code, ErrorCode::RedirectUriMismatch);
    }

    use crate::infra::clock::Clock;

    fn rp(rt: &str, extra: &str) -> String {
        format!(
            "client_id=rp&redirect_uri={CB}&response_type={rt}&scope=openid email&state=st&nonce=n-1{extra}"
        )
    }

    /// Sign Ada in and allow the rp client once, so later requests need no screen.
    async fn consented(k: &Kit) -> Session {
        let s = k.session(T0).await;
        k.p.store
            .add_consent("user-1", "rp", &["openid".into(), "email".into()], T0)
            .await
            .unwrap();
        s
    }

    #[tokio::test]
    async fn every_response_type_returns_what_it_names_in_the_fragment() {
        let k = kit().await;
        let s = consented(&k).await;
        for rt in RESPONSE_TYPES {
            let url = redirect_url(run(&k, &rp(rt, ""), Some(&s)).await);
            let kinds: Vec<&str> = rt.split(' ').collect();
            let f = if rt == "code" {
                assert!(!url.contains('#'), "{rt}: code goes in the query");
                redirect_params(&url)
            } else {
                assert!(!url.contains('?'), "{rt}: {url}");
                fragment_params(&url)
            };
            assert_eq!(f["state"], "st", "{rt}");
            assert_eq!(f["iss"], ISSUER, "{rt}");
            assert_eq!(f.contains_key("code"), kinds.contains(&"code"), "{rt}");
            assert_eq!(
                f.contains_key("access_token"),
                kinds.contains(&"token"),
                "{rt}"
            );
            assert_eq!(
                f.contains_key("id_token"),
                kinds.contains(&"id_token"),
                "{rt}"
            );
            if let Some(at) = f.get("access_token") {
                assert_eq!(f["token_type"], "Bearer");
                assert_eq!(f["expires_in"], "3600");
                let info = crate::endpoints::userinfo::userinfo(&k.p, at)
                    .await
                    .unwrap();
                assert_eq!(info["email"], "ada@example.com");
            }
            if let Some(id) = f.get("id_token") {
                let c = k.p.keys.verify(id).unwrap().claims;
                assert_eq!(c["nonce"], "n-1", "{rt}");
                assert_eq!(c["aud"], "rp");
                assert_eq!(c["acr"], "0", "an SSO session was reused");
                assert_eq!(c["auth_time"], T0);
                match f.get("access_token") {
                    Some(at) => assert_eq!(c["at_hash"], crate::infra::jose::half_hash(at), "{rt}"),
                    None => assert!(c.get("at_hash").is_none(), "{rt}"),
                }
                match f.get("code") {
                    Some(code) => {
                        assert_eq!(c["c_hash"], crate::infra::jose::half_hash(code), "{rt}")
                    }
                    None => assert!(c.get("c_hash").is_none(), "{rt}"),
                }
                // Only a lone id_token carries the user's claims.
                assert_eq!(c.get("email").is_some(), rt == "id_token", "{rt}");
            }
        }
    }

    #[tokio::test]
    async fn response_types_in_any_order_and_their_rules() {
        assert_eq!(
            normalize_response_type("token id_token code").as_deref(),
            Some("code id_token token")
        );
        assert_eq!(
            normalize_response_type("token code").as_deref(),
            Some("code token")
        );
        assert_eq!(normalize_response_type("code code"), None);
        assert_eq!(normalize_response_type("none"), None);
        assert_eq!(normalize_response_type(""), None);
        let k = kit().await;
        let s = consented(&k).await;
        // nonce is required whenever an id_token comes from this endpoint.
        for rt in ["id_token", "code id_token", "id_token token"] {
            let q =
                format!("client_id=rp&redirect_uri={CB}&response_type={rt}&scope=openid&state=st");
            let url = redirect_url(run(&k, &q, Some(&s)).await);
            let f = fragment_params(&url);
            assert_eq!(f["error"], "invalid_request", "{rt}");
            assert!(f["error_description"].contains("nonce"));
        }
        // ...but not for code or token.
        let q = format!("client_id=rp&redirect_uri={CB}&response_type=token&scope=openid email");
        assert!(
            fragment_params(&redirect_url(run(&k, &q, Some(&s)).await))
                .contains_key("access_token")
        );
        // An id_token needs openid.
        let q =
            format!("client_id=rp&redirect_uri={CB}&response_type=id_token&scope=email&nonce=n");
        assert_eq!(
            fragment_params(&redirect_url(run(&k, &q, Some(&s)).await))["error"],
            "invalid_request"
        );
        // Tokens never go in the query.
        let url = redirect_url(run(&k, &rp("token", "&response_mode=query"), Some(&s)).await);
        assert_eq!(fragment_params(&url)["error"], "invalid_request");
        // A code may go in the fragment when asked.
        let url = redirect_url(run(&k, &rp("code", "&response_mode=fragment"), Some(&s)).await);
        assert!(fragment_params(&url).contains_key("code"));
    }

    #[tokio::test]
    async fn form_post_carries_the_response_and_errors() {
        let k = kit().await;
        let s = consented(&k).await;
        let Outcome::FormPost(f) = run(
            &k,
            &rp("code id_token", "&response_mode=form_post"),
            Some(&s),
        )
        .await
        else {
            panic!()
        };
        assert_eq!(f.action, CB);
        let names: Vec<&str> = f.fields.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["code", "id_token", "state", "session_state", "iss"]);
        assert!(
            !format!("{f:?}").contains(&f.fields[0].1),
            "Debug hides the code"
        );
        // Errors use the requested mode too.
        k.clock.advance(10);
        let Outcome::FormPost(f) = run(
            &k,
            &rp("code", "&response_mode=form_post&prompt=none&max_age=5"),
            Some(&s),
        )
        .await
        else {
            panic!()
        };
        let fields: std::collections::HashMap<_, _> = f.fields.into_iter().collect();
        assert_eq!(fields["error"], "login_required");
        assert_eq!(fields["state"], "st");
        assert!(!fields.contains_key("code"));
    }

    #[tokio::test]
    async fn a_request_without_scope_gets_invalid_scope_never_a_silent_code() {
        let k = kit().await;
        let s = k.session(T0).await;
        // Signed in, prompt=none: before, an empty scope set counted as
        // already allowed and the third-party client got a code silently.
        for client in ["rp", "web"] {
            for scope in ["", "&scope=", "&scope=  ", "&scope=shop"] {
                for extra in ["", "&prompt=none"] {
                    let query = format!(
                        "client_id={client}&redirect_uri={CB}&response_type=code&state=st{scope}{extra}"
                    );
                    let o = run(&k, &query, Some(&s)).await;
                    let p = expect_error_redirect(o, "invalid_scope");
                    assert_eq!(p["state"], "st", "{query}");
                    assert!(!p.contains_key("code"), "{query}");
                    let why = &p["error_description"];
                    if scope.ends_with("shop") {
                        assert!(why.contains("only an entrypoint"), "{why}");
                    } else {
                        assert_eq!(why, "scope is required");
                    }
                }
            }
        }
    }

    #[tokio::test]
    async fn third_party_clients_need_consent_which_is_remembered() {
        let k = kit().await;
        let s = k.session(T0).await;
        let q = format!(
            "client_id=rp&redirect_uri={CB}&response_type=code&scope=openid email&state=st"
        );
        // prompt=none cannot ask: consent_required.
        let url = redirect_url(run(&k, &format!("{q}&prompt=none"), Some(&s)).await);
        assert_eq!(redirect_params(&url)["error"], "consent_required");
        let Outcome::Interaction {
            screen: Screen::Consent,
            request_id,
        } = run(&k, &q, Some(&s)).await
        else {
            panic!()
        };
        let info = describe(&k.p, &request_id).await.unwrap();
        assert_eq!(info.client_name, "Partner App");
        let words: Vec<&str> = info.scopes.iter().map(|s| s.description.as_str()).collect();
        assert_eq!(
            words,
            [
                "Know who you are when you sign in",
                "See your email address"
            ]
        );
        // "Continue" cannot skip the consent screen.
        assert!(matches!(
            complete(&k.p, &request_id, &s, false).await.unwrap(),
            Outcome::Interaction {
                screen: Screen::Consent,
                ..
            }
        ));
        let url = redirect_url(consent(&k.p, &request_id, &s, true).await.unwrap());
        assert!(redirect_params(&url).contains_key("code"));
        let audit =
            k.p.store
                .audit_log(&crate::services::audit::Filter {
                    client_id: Some("rp".into()),
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap();
        assert_eq!(audit[0].event, "consent.given");
        assert_eq!(
            (audit[0].user_id.as_deref(), audit[0].detail.as_str()),
            (Some("user-1"), "openid email")
        );
        // Remembered: the same scopes need no screen, even with prompt=none.
        assert!(
            matches!(run(&k, &format!("{q}&prompt=none"), Some(&s)).await, Outcome::Redirect(u) if u.contains("code="))
        );
        // More scopes, or prompt=consent, ask again.
        let more = q.replace("openid email", "openid email profile");
        assert!(matches!(
            run(&k, &more, Some(&s)).await,
            Outcome::Interaction {
                screen: Screen::Consent,
                ..
            }
        ));
        assert!(matches!(
            run(&k, &format!("{q}&prompt=consent"), Some(&s)).await,
            Outcome::Interaction {
                screen: Screen::Consent,
                ..
            }
        ));
        // First-party clients never ask.
        assert!(matches!(
            run(&k, &base(), Some(&s)).await,
            Outcome::Redirect(_)
        ));
    }

    #[tokio::test]
    async fn denying_consent_sends_access_denied_and_remembers_nothing() {
        let k = kit().await;
        let s = k.session(T0).await;
        let q = format!("client_id=rp&redirect_uri={CB}&response_type=code&scope=openid&state=st");
        let Outcome::Interaction { request_id, .. } = run(&k, &q, Some(&s)).await else {
            panic!()
        };
        let url = redirect_url(consent(&k.p, &request_id, &s, false).await.unwrap());
        let p = redirect_params(&url);
        assert_eq!(p["error"], "access_denied");
        assert_eq!(p["state"], "st");
        assert!(
            k.p.store
                .consented_scopes("user-1", "rp")
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            consent(&k.p, &request_id, &s, true).await.is_err(),
            "the request is gone"
        );
    }

    #[tokio::test]
    async fn a_fresh_login_carries_through_the_consent_screen() {
        let k = kit().await;
        let q = format!(
            "client_id=rp&redirect_uri={CB}&response_type=code id_token&scope=openid&nonce=n&prompt=login"
        );
        let s = k.session(T0).await;
        let Outcome::Interaction {
            screen: Screen::Login,
            request_id,
        } = run(&k, &q, Some(&s)).await
        else {
            panic!()
        };
        // The user typed credentials: a new session.
        let fresh = k.session(T0 + 1).await;
        let Outcome::Interaction {
            screen: Screen::Consent,
            ..
        } = complete(&k.p, &request_id, &fresh, true).await.unwrap()
        else {
            panic!()
        };
        // The old session cannot finish it (prompt=login).
        assert_eq!(
            consent(&k.p, &request_id, &s, true).await.unwrap_err().code,
            ErrorCode::LoginRequired
        );
        let url = redirect_url(consent(&k.p, &request_id, &fresh, true).await.unwrap());
        let c =
            k.p.keys
                .verify(&fragment_params(&url)["id_token"])
                .unwrap()
                .claims;
        assert_eq!(c["acr"], "1", "credentials were typed for this request");
        assert_eq!(c["auth_time"], T0 + 1);
    }

    #[tokio::test]
    async fn acr_values_one_forces_credentials_and_the_claim_tells_the_truth() {
        let k = kit().await;
        let s = consented(&k).await;
        // Asking for "1" with only an SSO session: the login screen.
        assert!(matches!(
            run(&k, &rp("id_token", "&acr_values=1 0"), Some(&s)).await,
            Outcome::Interaction {
                screen: Screen::Login,
                ..
            }
        ));
        // prompt=none cannot do it.
        let url =
            redirect_url(run(&k, &rp("id_token", "&acr_values=1&prompt=none"), Some(&s)).await);
        assert_eq!(fragment_params(&url)["error"], "login_required");
        // Unknown values are ignored; the claim says what happened.
        let url = redirect_url(run(&k, &rp("id_token", "&acr_values=urn:mfa"), Some(&s)).await);
        let c =
            k.p.keys
                .verify(&fragment_params(&url)["id_token"])
                .unwrap()
                .claims;
        assert_eq!(c["acr"], "0");
    }

    #[tokio::test]
    async fn select_account_shows_the_chooser_even_with_a_session() {
        let k = kit().await;
        let s = k.session(T0).await;
        let Outcome::Interaction {
            screen: Screen::Login,
            request_id,
        } = run(&k, &format!("{}&prompt=select_account", base()), Some(&s)).await
        else {
            panic!()
        };
        // Choosing the current account needs no password.
        let url = redirect_url(complete(&k.p, &request_id, &s, false).await.unwrap());
        assert!(redirect_params(&url).contains_key("code"));
        // prompt=none with no session: login_required.
        let url = redirect_url(run(&k, &format!("{}&prompt=none", base()), None).await);
        assert_eq!(redirect_params(&url)["error"], "login_required");
    }
}

#[cfg(test)]
mod relay_tests {
    use super::*;
    use crate::testkit::kit;

    fn answer() -> FormPost {
        FormPost {
            action: "https://app.example/cb".into(),
            fields: vec![
                ("code".into(), "the-code".into()),
                ("state".into(), "s".into()),
            ],
        }
    }

    #[tokio::test]
    async fn a_relayed_answer_comes_back_as_it_went_and_only_so() {
        let k = kit().await;
        let relayed = relay(&k.p, &answer());
        assert_eq!(relayed.action, RELAY_PATH);
        assert_eq!(unrelay(&k.p, &relayed.fields).unwrap(), answer());
        // Another target, another field, a changed value: refused.
        type Fields = Vec<(String, String)>;
        let tamper = |f: &dyn Fn(&mut Fields)| {
            let mut fields = relayed.fields.clone();
            f(&mut fields);
            unrelay(&k.p, &fields).is_err()
        };
        assert!(tamper(&|v| v[2].1 = "https://evil.example/cb".into()));
        assert!(tamper(&|v| v.push(("extra".into(), "x".into()))));
        assert!(tamper(&|v| v[0].1 = "other-code".into()));
        assert!(tamper(&|v| v.push((RELAY_SIG.into(), "x".into()))));
        assert!(tamper(&|v| {
            v.pop();
        }));
        // Too late.
        k.clock.advance(RELAY_TTL + 1);
        assert!(unrelay(&k.p, &relayed.fields).is_err());
    }
}
