//! The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2, DruID's
//! x_method and entrypoint-in-scope): validate the request, then decide
//! whether to show a screen or redirect back to the client.

use crate::error::{ErrorCode, OAuthError, Result};
use crate::model::{
    AuthCode, AuthRequest, Client, GRANT_AUTHORIZATION_CODE, Grant, PkceMethod, Session,
};
use crate::params::Params;
use crate::pkce;
use crate::provider::Provider;
use crate::redirect::{matches_registered, with_query};
use crate::scope::{self, DEFAULT_ENTRYPOINT};
use crate::secret::lookup_hash;
use portico_api_types::{AuthRequestInfo, EntrypointInfo, XMethod};

/// The screens of the hosted UI an authorization request can need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Login,
    SignUp,
}

impl Screen {
    /// The UI path of the screen for a stored request.
    pub fn path(self, request_id: &str) -> String {
        let base = match self {
            Self::Login => "/login",
            Self::SignUp => "/sign-up",
        };
        format!("{base}?request={request_id}")
    }
}

/// What the endpoint answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The client or redirect_uri cannot be trusted: show an error page
    /// (HTTP 400) and never redirect.
    ErrorPage(OAuthError),
    /// Redirect the browser to this (validated) URL: a code or an error.
    Redirect(String),
    /// The user must act first; the request is stored under `request_id`.
    Interaction { screen: Screen, request_id: String },
}

const PROMPTS: [&str; 5] = ["none", "login", "consent", "select_account", "create"];

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
        .store
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

/// The redirect to the client carrying an error (RFC 6749 §4.1.2.1, RFC 9207 iss).
fn error_redirect(
    p: &Provider,
    redirect_uri: &str,
    state: Option<&str>,
    e: &OAuthError,
) -> Outcome {
    let mut q: Vec<(&str, &str)> = vec![
        ("error", e.code.as_str()),
        ("error_description", &e.description),
    ];
    if let Some(s) = state {
        q.push(("state", s));
    }
    q.push(("iss", p.issuer()));
    match with_query(redirect_uri, &q) {
        Some(url) => Outcome::Redirect(url),
        None => Outcome::ErrorPage(OAuthError::server_error(
            "registered redirect_uri is not a URL",
        )),
    }
}

/// Everything after the client and redirect URI are known. Errors are
/// redirected to the client.
async fn validate(
    p: &Provider,
    params: &Params<'_>,
    client: &Client,
    redirect_uri: String,
    given: bool,
) -> Result<AuthRequest> {
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
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
    let response_type = params
        .get("response_type")
        .ok_or_else(|| OAuthError::invalid_request("response_type is missing"))?;
    if response_type != "code" {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "only response_type=code is supported",
        ));
    }
    if !client.response_types.iter().any(|r| r == response_type)
        || !client.allows_grant(GRANT_AUTHORIZATION_CODE)
    {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this response_type",
        ));
    }
    if let Some(mode) = params.get("response_mode")
        && mode != "query"
    {
        return Err(OAuthError::invalid_request(
            "only response_mode=query is supported",
        ));
    }

    // Scope: client scopes plus at most one entrypoint (DruID).
    let tokens = scope::tokens(params.get("scope"))?;
    let mut entrypoints = Vec::new();
    for t in &tokens {
        if !scope::contains(&client.scopes, t)
            && !scope::STANDARD_SCOPES.contains(&t.as_str())
            && p.store.entrypoint(t).await?.is_some()
        {
            entrypoints.push(t.clone());
        }
    }
    let classified = scope::classify(tokens, &client.scopes, |t| {
        entrypoints.iter().any(|e| e == t)
    })?;

    // PKCE (RFC 7636; public clients must use S256, RFC 9700 §2.1.1).
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
    if client.is_public() && method != Some(PkceMethod::S256) {
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
    let prompt: Vec<String> = params
        .get("prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(bad) = prompt.iter().find(|v| !PROMPTS.contains(&v.as_str())) {
        return Err(OAuthError::invalid_request(format!(
            "unknown prompt value {bad}"
        )));
    }
    if prompt.iter().any(|v| v == "none") && prompt.len() > 1 {
        return Err(OAuthError::invalid_request(
            "prompt=none cannot be combined with other values",
        ));
    }
    if prompt.iter().any(|v| v == "create") {
        x_method = XMethod::SignUp;
    }
    let max_age = match params.get("max_age") {
        None => None,
        Some(v) => Some(v.parse::<i64>().ok().filter(|n| *n >= 0).ok_or_else(|| {
            OAuthError::invalid_request("max_age must be a non-negative integer")
        })?),
    };

    let now = p.now();
    Ok(AuthRequest {
        id: p.random.token(16)?,
        client_id: client.id.clone(),
        redirect_uri,
        redirect_uri_given: given,
        response_type: response_type.to_owned(),
        scopes: classified.scopes,
        entrypoint: classified
            .entrypoint
            .unwrap_or_else(|| DEFAULT_ENTRYPOINT.to_owned()),
        state: params.get("state").map(str::to_owned),
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: challenge.map(str::to_owned),
        code_challenge_method: method,
        x_method,
        prompt,
        max_age,
        created_at: now,
        expires_at: now + p.config.auth_request_ttl,
    })
}

/// Whether this request needs credentials typed now, even with a session.
fn needs_fresh_login(req: &AuthRequest, session: Option<&Session>, now: i64) -> bool {
    let Some(s) = session else { return true };
    req.x_method == XMethod::Reauthorize
        || req.prompt.iter().any(|v| v == "login")
        || req.max_age.is_some_and(|m| now - s.auth_time > m)
}

/// Handle `GET /oauth2/authorize` with its query pairs and the browser's
/// SSO session, if any.
pub async fn authorize(
    p: &Provider,
    pairs: &[(String, String)],
    session: Option<&Session>,
) -> Outcome {
    let params = Params::new(pairs);
    let (client, redirect_uri, given) = match client_and_redirect(p, &params).await {
        Ok(v) => v,
        Err(e) => return Outcome::ErrorPage(e),
    };
    let state = if params.is_repeated("state") {
        None
    } else {
        params.get("state")
    };
    let req = match validate(p, &params, &client, redirect_uri.clone(), given).await {
        Ok(r) => r,
        Err(e) if e.code == ErrorCode::ServerError => return Outcome::ErrorPage(e),
        Err(e) => return error_redirect(p, &redirect_uri, state, &e),
    };
    match decide(p, req, session).await {
        Ok(o) => o,
        Err(e) if e.code == ErrorCode::ServerError => Outcome::ErrorPage(e),
        Err(e) => error_redirect(p, &redirect_uri, state, &e),
    }
}

async fn decide(p: &Provider, req: AuthRequest, session: Option<&Session>) -> Result<Outcome> {
    let now = p.now();
    let prompt_none = req.prompt.iter().any(|v| v == "none");
    let screen = match req.x_method {
        XMethod::SignUp => Some(Screen::SignUp),
        _ if needs_fresh_login(&req, session, now) => Some(Screen::Login),
        _ => None,
    };
    match (screen, session) {
        (Some(_), _) if prompt_none => Err(OAuthError::new(
            if session.is_some() {
                ErrorCode::InteractionRequired
            } else {
                ErrorCode::LoginRequired
            },
            "the user must interact with the sign-in page",
        )),
        (Some(screen), _) => {
            p.store.put_auth_request(&req).await?;
            Ok(Outcome::Interaction {
                screen,
                request_id: req.id,
            })
        }
        (None, Some(s)) => Ok(Outcome::Redirect(issue_code(p, &req, s).await?)),
        (None, None) => Err(OAuthError::server_error("no session and no screen")),
    }
}

/// Finish a stored request for a signed-in user and return the redirect to
/// the client. `fresh` says the user has just typed their credentials (so
/// prompt=login, max_age and reauthorize are satisfied).
pub async fn complete(
    p: &Provider,
    request_id: &str,
    session: &Session,
    fresh: bool,
) -> Result<String> {
    let now = p.now();
    let gone = || {
        OAuthError::invalid_request(
            "the sign-in request has expired or was already used; start again from the app",
        )
    };
    let req = p
        .store
        .auth_request(request_id, now)
        .await?
        .ok_or_else(gone)?;
    if !fresh && needs_fresh_login(&req, Some(session), now) {
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
    issue_code(p, &req, session).await
}

/// The user backed out of the screen: the client gets `access_denied`.
pub async fn cancel(p: &Provider, request_id: &str) -> Result<String> {
    let req = p
        .store
        .take_auth_request(request_id, p.now())
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_request("the sign-in request has expired or was already used")
        })?;
    let e = OAuthError::new(ErrorCode::AccessDenied, "the user cancelled the sign-in");
    match error_redirect(p, &req.redirect_uri, req.state.as_deref(), &e) {
        Outcome::Redirect(url) => Ok(url),
        _ => Err(OAuthError::server_error(
            "registered redirect_uri is not a URL",
        )),
    }
}

/// Store a code (and its grant) and build the success redirect.
async fn issue_code(p: &Provider, req: &AuthRequest, session: &Session) -> Result<String> {
    let now = p.now();
    let grant = Grant {
        id: p.random.token(16)?,
        client_id: req.client_id.clone(),
        user_id: session.user_id.clone(),
        scopes: req.scopes.clone(),
        created_at: now,
        revoked_at: None,
    };
    p.store.create_grant(&grant).await?;
    let code = p.random.token(32)?;
    p.store
        .put_code(&AuthCode {
            code_hash: lookup_hash(&code),
            grant_id: grant.id,
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
            created_at: now,
            expires_at: now + p.config.code_ttl,
        })
        .await?;
    let mut q: Vec<(&str, &str)> = vec![("code", &code)];
    if let Some(s) = &req.state {
        q.push(("state", s));
    }
    q.push(("iss", p.issuer()));
    with_query(&req.redirect_uri, &q)
        .ok_or_else(|| OAuthError::server_error("registered redirect_uri is not a URL"))
}

/// What the login screen shows about a pending request.
pub async fn describe(p: &Provider, request_id: &str) -> Result<AuthRequestInfo> {
    let req = p
        .store
        .auth_request(request_id, p.now())
        .await?
        .ok_or_else(|| {
            OAuthError::invalid_request("the sign-in request has expired or was already used")
        })?;
    let client = p
        .store
        .client(&req.client_id)
        .await?
        .ok_or_else(|| OAuthError::invalid_client("the client is gone"))?;
    let ep = p.store.entrypoint(&req.entrypoint).await?;
    let display_name = ep.map_or_else(|| client.name.clone(), |e| e.display_name);
    Ok(AuthRequestInfo {
        id: req.id,
        client_name: client.name,
        x_method: req.x_method,
        entrypoint: EntrypointInfo {
            id: req.entrypoint,
            display_name,
        },
    })
}

/// For the UI's error screen: why the request could not be redirected.
/// Only the never-redirect errors are explained; anything else gets a
/// generic answer so this cannot be used to probe a client's settings.
pub async fn explain_error(p: &Provider, pairs: &[(String, String)]) -> OAuthError {
    let params = Params::new(pairs);
    match client_and_redirect(p, &params).await {
        Err(e) => e,
        Ok(_) => OAuthError::invalid_request("the authorization request could not be processed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let o = run(&k, &format!("client_id=spa&response_type=code&code_challenge={CHALLENGE}&code_challenge_method=S256"), None).await;
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
            &format!("client_id=web&redirect_uri={CB}&response_type=token&state=s1"),
            None,
        )
        .await;
        expect_error_redirect(o, "unsupported_response_type");
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
        expect_error_redirect(
            run(&k, &format!("{}&request_uri=urn:x", base()), None).await,
            "request_uri_not_supported",
        );
        expect_error_redirect(
            run(&k, &format!("{}&request=eyJ", base()), None).await,
            "request_not_supported",
        );
        expect_error_redirect(
            run(&k, &format!("{}&response_mode=fragment", base()), None).await,
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
            "interaction_required",
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
        let url = complete(&k.p, &request_id, &s, true).await.unwrap();
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
        let url = cancel(&k.p, &request_id).await.unwrap();
        let p = redirect_params(&url);
        assert_eq!(p.get("error").map(String::as_str), Some("access_denied"));
        assert_eq!(p.get("state").map(String::as_str), Some("xyz"));
        assert_eq!(p.get("iss").map(String::as_str), Some(ISSUER));
        assert!(cancel(&k.p, &request_id).await.is_err());
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

    use crate::clock::Clock;
}
