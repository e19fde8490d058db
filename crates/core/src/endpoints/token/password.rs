//! grant_type=password (RFC 6749 §4.3), the resource owner password
//! credentials grant. RFC 9700 §2.4 says it MUST NOT be used; it exists for
//! clients migrating from it, so only clients configured with the `password`
//! grant may use it. Credentials go through [`accounts::login`], the same
//! check (and the same accounting) as the login screen.

use crate::infra::provider::Provider;
use crate::model::{Client, Grant};
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::scope;
use crate::protocol::secret::Secret;
use crate::services::accounts::{self, AccountError};
use crate::services::tokens::{TokenResponse, UserGrant, issue_for_user};

/// What a password sign-in achieved: credentials typed for this request.
pub const ACR_CREDENTIALS: &str = "1";

pub async fn exchange(
    p: &Provider,
    client: &Client,
    params: &Params<'_>,
    from: Option<std::net::IpAddr>,
) -> Result<TokenResponse> {
    let username = params
        .get("username")
        .ok_or_else(|| OAuthError::invalid_request("username is missing"))?;
    let password = params
        .get("password")
        .ok_or_else(|| OAuthError::invalid_request("password is missing"))?;
    let scopes = scope::tokens(params.get("scope"))?;
    // RFC 6749 §3.3 allows a default or invalid_scope. This grant shows the
    // user no consent screen, so the client must say what it wants: no
    // silent default of everything it is registered for.
    if scopes.is_empty() {
        return Err(OAuthError::invalid_scope(
            "scope is required with the password grant",
        ));
    }
    if let Some(bad) = scopes.iter().find(|s| !scope::contains(&client.scopes, s)) {
        return Err(OAuthError::invalid_scope(format!(
            "the client may not ask for the scope {bad}"
        )));
    }
    let user = match accounts::login(p, username, Secret::new(password), from).await {
        Ok(u) => u,
        Err(AccountError::Server(e)) => return Err(e),
        Err(AccountError::Locked(wait)) => {
            tracing::info!(client_id = %client.id, "password grant: locked after repeated failures");
            return Err(OAuthError::invalid_grant(format!(
                "too many failed attempts; try again in {wait} seconds"
            ))
            .retry_after(wait));
        }
        Err(_) => {
            tracing::info!(client_id = %client.id, "password grant: wrong username or password");
            return Err(OAuthError::invalid_grant(
                "the username or password is not right",
            ));
        }
    };
    let now = p.now();
    let grant = Grant {
        id: p.random.token(16)?,
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        scopes: scopes.clone(),
        created_at: now,
        revoked_at: None,
        session_id_hash: None,
    };
    p.store.create_grant(&grant).await?;
    issue_for_user(
        p,
        UserGrant {
            client,
            user_id: &user.id,
            grant_id: &grant.id,
            scopes: &scopes,
            refresh_scopes: &scopes,
            auth_time: now,
            nonce: None,
            acr: Some(ACR_CREDENTIALS),
            rotates: None,
        },
    )
    .await
}
