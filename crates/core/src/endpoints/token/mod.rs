//! The token endpoint (RFC 6749 §3.2): parse, authenticate the client,
//! dispatch to one module per grant type.

pub mod authorization_code;
pub mod client_credentials;
pub mod device_code;
pub mod password;
pub mod refresh_token;

use crate::infra::provider::Provider;
use crate::protocol::error::{ErrorCode, OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::types::GrantType;
use crate::services::client_auth;
use crate::services::tokens::TokenResponse;

/// Handle `POST /oauth2/token`. `authorization` is the Authorization
/// header; `from` the client's address (password grant lockouts).
pub async fn token(
    p: &Provider,
    authorization: Option<&str>,
    form: &[(String, String)],
    from: Option<std::net::IpAddr>,
) -> Result<TokenResponse> {
    let params = Params::new(form);
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
    }
    let grant_type = params
        .get("grant_type")
        .ok_or_else(|| OAuthError::invalid_request("grant_type is missing"))?;
    let client = client_auth::caller(p, authorization, &params, from).await?;
    let Some(grant) = GrantType::parse(grant_type) else {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "the grant_type is not supported",
        ));
    };
    if !client.allows_grant(grant.as_str()) {
        return Err(OAuthError::unauthorized_client(
            "the client may not use this grant_type",
        ));
    }
    let issued = match grant {
        GrantType::AuthorizationCode => authorization_code::exchange(p, &client, &params).await,
        GrantType::ClientCredentials => client_credentials::exchange(p, &client, &params).await,
        GrantType::Password => password::exchange(p, &client, &params, from).await,
        GrantType::DeviceCode => device_code::exchange(p, &client, &params).await,
        GrantType::RefreshToken => refresh_token::exchange(p, &client, &params).await,
    }?;
    p.metrics.token_issued(grant.as_str(), client.is_public());
    Ok(issued)
}

#[cfg(test)]
mod tests {

    use crate::endpoints::token::token;

    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    #[tokio::test]
    async fn client_authentication_and_grant_type_errors() {
        let k = kit().await;
        let e = token(
            &k.p,
            Some(&basic("web", "wrong")),
            &q("grant_type=authorization_code&code=x"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
        let e = token(
            &k.p,
            None,
            &q("grant_type=authorization_code&code=x&client_id=web"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidClient,
            "confidential client without a secret"
        );
        let e = token(
            &k.p,
            None,
            &q("grant_type=authorization_code&code=x&client_id=spa&client_secret=x"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidClient,
            "public client with a secret"
        );
        let e = token(&k.p, None, &q("grant_type=authorization_code&code=x&client_id=web&client_secret=confidential-secret"), None)
            .await
            .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant, "client_secret_post works");
        assert_eq!(
            token_request(&k, "grant_type=magic")
                .await
                .unwrap_err()
                .code,
            ErrorCode::UnsupportedGrantType
        );
        assert_eq!(
            token_request(&k, "code=x").await.unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            token_request(&k, "grant_type=a&grant_type=b")
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidRequest
        );
        let e = token(
            &k.p,
            Some(&basic("m2m", k.secret)),
            &q("grant_type=authorization_code&code=x"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    }
}
