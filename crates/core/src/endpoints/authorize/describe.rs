//! What the hosted UI shows about a request, and the error page's
//! explanation of a bad one.

use super::resume::load;
use super::validate::client_and_redirect;
use crate::infra::provider::Provider;
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::scope::scope_infos;
use crate::protocol::types::Prompt;
use crate::services::entrypoint::entrypoint_info;
use portico_api_types::AuthRequestInfo;

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
