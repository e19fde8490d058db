//! grant_type=client_credentials (RFC 6749 §4.4): a confidential client
//! gets an access token for itself. No refresh token (§4.4.3), no id_token
//! (there is no user).

use crate::infra::provider::Provider;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::scope::{self, OFFLINE_ACCESS, OPENID};
use crate::services::tokens::{TokenResponse, access_token};

/// Scopes that only make sense for a user; a client acting for itself
/// cannot ask for them.
const USER_SCOPES: [&str; 2] = [OPENID, OFFLINE_ACCESS];

pub async fn exchange(p: &Provider, client: &Client, params: &Params<'_>) -> Result<TokenResponse> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(
            "client_credentials needs a confidential client",
        ));
    }
    let requested = scope::tokens(params.get("scope"))?;
    let scopes: Vec<String> = if requested.is_empty() {
        // RFC 6749 §3.3: no scope asked, the client's own set (minus user scopes).
        client
            .scopes
            .iter()
            .filter(|s| !USER_SCOPES.contains(&s.as_str()))
            .cloned()
            .collect()
    } else {
        if let Some(bad) = requested
            .iter()
            .find(|s| USER_SCOPES.contains(&s.as_str()) || !scope::contains(&client.scopes, s))
        {
            return Err(OAuthError::invalid_scope(format!(
                "the client may not ask for the scope {bad} with client_credentials"
            )));
        }
        requested
    };
    let scope_str = scope::join(&scopes);
    // RFC 9068 §2.2: for a client acting for itself, sub is its id.
    let access_token = access_token(p, &client.id, &client.id, scope_str.clone(), None)?;
    Ok(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in: p.config.access_token_ttl,
        scope: scope_str,
        refresh_token: None,
        id_token: None,
    })
}
