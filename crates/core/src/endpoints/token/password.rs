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
    // A second factor cannot be given through this grant: an account that
    // has one signs in through the browser. Said only to a caller who knew
    // the password.
    if !p.store.factors(&user.id).await?.is_empty() {
        tracing::info!(client_id = %client.id, "password grant: refused, the account has a second factor");
        return Err(OAuthError::invalid_grant(
            "this account signs in with a second factor, which the password grant cannot carry; \
             use the authorization code flow",
        ));
    }
    let pwd = [crate::protocol::types::amr::PWD.to_owned()];
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
            amr: &pwd,
            rotates: None,
        },
    )
    .await
}

#[cfg(test)]
mod tests {

    use crate::endpoints::token::token;

    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    #[tokio::test]
    async fn password_grant_only_for_allowed_clients_and_right_credentials() {
        let k = kit().await;
        // Give Ada a real password.
        let mut ada = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        ada.password_hash = crate::services::accounts::hash_password(
            &k.p,
            crate::protocol::secret::Secret::new("correct horse battery"),
        )
        .await
        .unwrap();
        k.p.store.upsert_user_by_email(&ada).await.unwrap();
        let pw = |client: &'static str, password: &'static str, scope: &'static str| {
            let k = &k;
            async move {
                token(
                    &k.p,
                    Some(&basic(client, k.secret)),
                    &q(&format!(
                        "grant_type=password&username=ada@example.com&password={password}{scope}"
                    )),
                    None,
                )
                .await
            }
        };
        let t = pw(
            "legacy",
            "correct horse battery",
            "&scope=openid email offline_access",
        )
        .await
        .unwrap();
        assert_eq!(t.scope, "openid email offline_access");
        assert!(t.refresh_token.is_some());
        let id = k.p.verify(t.id_token.as_deref().unwrap()).await.unwrap();
        assert_eq!(id.claims["sub"], "user-1");
        assert_eq!(id.claims["acr"], "1");
        assert_eq!(id.claims["auth_time"], T0);
        let info = crate::endpoints::userinfo::userinfo(&k.p, &t.access_token)
            .await
            .unwrap();
        assert_eq!(info["email"], "ada@example.com");
        // No openid: no id_token.
        let t = pw("legacy", "correct horse battery", "&scope=email")
            .await
            .unwrap();
        assert!(t.id_token.is_none());
        assert_eq!(
            pw("legacy", "wrong", "&scope=openid")
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            pw("legacy", "correct horse battery", "&scope=admin")
                .await
                .unwrap_err()
                .code,
            ErrorCode::InvalidScope
        );
        assert_eq!(
            pw("web", "correct horse battery", "")
                .await
                .unwrap_err()
                .code,
            ErrorCode::UnauthorizedClient
        );
        let e = token(
            &k.p,
            Some(&basic("legacy", k.secret)),
            &q("grant_type=password&username=ada@example.com"),
            None,
        )
        .await
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[tokio::test]
    async fn the_password_grant_requires_a_scope_it_has_no_consent_screen() {
        let k = kit().await;
        let mut ada = k.p.store.user_by_id("user-1").await.unwrap().unwrap();
        ada.password_hash = crate::services::accounts::hash_password(
            &k.p,
            crate::protocol::secret::Secret::new("correct horse battery"),
        )
        .await
        .unwrap();
        k.p.store.upsert_user_by_email(&ada).await.unwrap();
        // Before, no scope meant every scope the client is registered for.
        for scope in ["", "&scope=", "&scope=  "] {
            let e = token(
                &k.p,
                Some(&basic("legacy", k.secret)),
                &q(&format!(
                    "grant_type=password&username=ada@example.com&password=correct horse battery{scope}"
                )),
                None,
            )
            .await
            .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidScope, "{scope:?}");
            assert_eq!(e.description(), "scope is required with the password grant");
        }
    }

    #[tokio::test]
    async fn the_password_grant_refuses_an_unusable_account() {
        let k = kit().await;
        k.ada_password("correct horse battery").await;
        let form = "grant_type=password&username=ada@example.com&password=correct horse battery&scope=openid";
        let (auth, params) = (basic("legacy", k.secret), q(form));
        assert!(token(&k.p, Some(&auth), &params, None).await.is_ok());
        k.disable_ada_only();
        let e = token(&k.p, Some(&auth), &params, None).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidGrant);
    }
}
