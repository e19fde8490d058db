//! OpenID Provider metadata (OIDC Discovery §3, RFC 8414): only what works.

use crate::infra::provider::Provider;
use crate::protocol::scope::STANDARD_SCOPES;
use crate::protocol::types::{ACR_VALUES, ResponseType, SigningAlg};
use serde_json::{Value, json};

/// Client authentication methods at the token, introspection and
/// revocation endpoints.
pub const TOKEN_AUTH_METHODS: [&str; 3] = ["client_secret_basic", "client_secret_post", "none"];

pub fn metadata(p: &Provider) -> Value {
    json!({
        "issuer": p.issuer(),
        "authorization_endpoint": p.url("/oauth2/authorize"),
        "token_endpoint": p.url("/oauth2/token"),
        "userinfo_endpoint": p.url("/oauth2/userinfo"),
        "jwks_uri": p.url("/.well-known/jwks.json"),
        "introspection_endpoint": p.url("/oauth2/introspect"),
        "revocation_endpoint": p.url("/oauth2/revoke"),
        "device_authorization_endpoint": p.url("/oauth2/device_authorization"),
        "pushed_authorization_request_endpoint": p.url("/oauth2/par"),
        "end_session_endpoint": p.url("/oauth2/logout"),
        // Per client (require_pushed_authorization_requests); not for all.
        "require_pushed_authorization_requests": false,
        "scopes_supported": STANDARD_SCOPES,
        "response_types_supported": ResponseType::ALL.map(ResponseType::as_str),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "grant_types_supported": ["authorization_code", "implicit", "refresh_token", "client_credentials", "password", crate::protocol::types::GRANT_DEVICE_CODE],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": SigningAlg::ALL.map(SigningAlg::as_str),
        "token_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        // Introspection is for resource servers: a secret is required.
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": TOKEN_AUTH_METHODS,
        "code_challenge_methods_supported": ["S256", "plain"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "at_hash", "c_hash", "azp",
            "email", "email_verified", "name", "given_name", "family_name", "updated_at",
            "birthdate", "phone_number", "phone_number_verified"
        ],
        "ui_locales_supported": portico_api_types::LOCALES,
        "acr_values_supported": ACR_VALUES,
        "prompt_values_supported": ["none", "login", "consent", "select_account", "create"],
        "authorization_response_iss_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "claims_parameter_supported": false,
    })
}
