//! Answering the client: codes and tokens issued for a decided request,
//! errors, the response modes (query, fragment, form_post) and the signed
//! relay that carries a form_post answer through Portico's own page.

use super::Outcome;
use crate::infra::provider::Provider;
use crate::model::{AuthCode, AuthRequest, Client, Grant, Session};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::redirect::{with_fragment, with_query};
use crate::protocol::scope::{self};
use crate::protocol::secret::lookup_hash;
use crate::protocol::types::ResponseMode;
use crate::protocol::types::ResponseType;
use crate::services::tokens::{IdTokenExtras, access_token, id_token};

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
pub(super) const RELAY_TTL: i64 = 120;

/// The fields the relay adds; a client's own fields never use these names.
pub(super) const RELAY_ACTION: &str = "portico_relay_action";

pub(super) const RELAY_EXPIRES: &str = "portico_relay_expires";

pub(super) const RELAY_SIG: &str = "portico_relay_sig";

pub(super) fn relay_message(action: &str, expires: i64, fields: &[(String, String)]) -> Vec<u8> {
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

/// The mode a response or error travels in: the requested one when valid,
/// else the default for the response type (fragment whenever a token or
/// id_token is returned, query for code alone).
pub(super) fn mode_for(response_type: Option<&str>, response_mode: Option<&str>) -> ResponseMode {
    let default = response_type
        .and_then(ResponseType::parse)
        .map_or(ResponseMode::Query, ResponseType::default_mode);
    match response_mode.and_then(ResponseMode::parse) {
        // Never the query for a response type that carries tokens.
        Some(ResponseMode::Query) => default,
        Some(m) => m,
        None => default,
    }
}

/// Deliver `fields` to the client's (validated) redirect URI in `mode`.
pub(super) fn respond(
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
pub(super) fn error_response(
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

/// Issue what the response type asks for (code, access token, id_token;
/// OIDC Core §3.3.2.5) under one new grant, and answer in the request's mode.
pub(super) async fn issue_response(
    p: &Provider,
    client: &Client,
    req: &AuthRequest,
    session: &Session,
    fresh: bool,
) -> Result<Outcome> {
    // Disabling ends the user's sessions, but one read just before may
    // still be in hand: the response is refused as for a deleted account.
    if !crate::services::accounts::usable_id(p, &session.user_id).await? {
        return Err(OAuthError::access_denied("the account no longer exists"));
    }
    let now = p.now();
    let acr = crate::protocol::types::amr::acr(&session.amr, fresh);
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
    let code = if req.response_type.has_code() {
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
                amr: session.amr.clone(),
                created_at: now,
                expires_at: now + p.config.code_ttl,
            })
            .await?;
        fields.push(("code".into(), code.clone()));
        Some(code)
    } else {
        None
    };
    let at = if req.response_type.has_token() {
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
        p.metrics.token_issued("implicit", client.is_public());
        Some(at)
    } else {
        None
    };
    if req.response_type.has_id_token() {
        // With response_type=id_token there is no access token to fetch the
        // user's claims with, so they go in the id_token (OIDC Core §5.4).
        let user_claims = if req.response_type == ResponseType::IdToken {
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
                amr: &session.amr,
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
pub(super) fn session_state(
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
