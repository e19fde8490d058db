//! Validating an authorization request: the client and redirect URI
//! first (errors shown to the browser), then everything else (errors sent
//! to the client).

use crate::infra::provider::Provider;
use crate::model::{AuthRequest, Client};
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::pkce;
use crate::protocol::redirect::matches_registered;
use crate::protocol::scope::{self, DEFAULT_ENTRYPOINT};
use crate::protocol::types::ResponseType;
use crate::protocol::types::{GRANT_AUTHORIZATION_CODE, PkceMethod, Prompt, ResponseMode};
use crate::services::entrypoint::classify_scope;
use portico_api_types::XMethod;

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

/// Everything after the client and redirect URI are known. Errors are
/// sent to the client.
pub(super) async fn validate(
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
    let response_type = ResponseType::parse(raw_type).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::UnsupportedResponseType,
            "the response_type is not supported",
        )
    })?;
    let allowed = client.response_types.contains(&response_type);
    if !allowed || (response_type.has_code() && !client.allows_grant(GRANT_AUTHORIZATION_CODE)) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this response_type",
        ));
    }
    let response_mode = match params.get("response_mode") {
        None => response_type.default_mode(),
        Some(m) => ResponseMode::parse(m).ok_or_else(|| {
            OAuthError::invalid_request("response_mode must be query, fragment or form_post")
        })?,
    };
    // Multiple Response Types §3.0: tokens never travel in the query.
    if response_mode == ResponseMode::Query && response_type != ResponseType::Code {
        return Err(OAuthError::invalid_request(
            "response_mode=query cannot carry tokens; use fragment or form_post",
        ));
    }

    let classified = classify_scope(p, client, params.get("scope")).await?;
    let nonce = params.get("nonce");
    if response_type.has_id_token() {
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
    if response_type.has_code() && client.is_public() && method != Some(PkceMethod::S256) {
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

pub(super) fn split(v: Option<&str>) -> Vec<String> {
    v.unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
