//! OpenID Provider metadata (OIDC Discovery §3): only what works.

use crate::provider::Provider;
use crate::scope::STANDARD_SCOPES;
use serde_json::{Value, json};

pub fn metadata(p: &Provider) -> Value {
    json!({
        "issuer": p.issuer(),
        "authorization_endpoint": p.url("/oauth2/authorize"),
        "token_endpoint": p.url("/oauth2/token"),
        "userinfo_endpoint": p.url("/oauth2/userinfo"),
        "jwks_uri": p.url("/.well-known/jwks.json"),
        "scopes_supported": STANDARD_SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256", "plain"],
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "azp", "email", "email_verified", "name"],
        "prompt_values_supported": ["none", "login", "create"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    })
}
