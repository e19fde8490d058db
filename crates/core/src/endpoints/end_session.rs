//! RP-Initiated Logout 1.0: the end_session_endpoint. A client sends the
//! browser here to sign the user out of Portico, and may name where to go
//! afterwards (a registered post_logout_redirect_uri, with its state).

use crate::infra::jose::Unverified;
use crate::infra::provider::Provider;
use crate::model::Session;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::redirect::with_query;
use serde_json::Value;

/// What a logout request asks for, once checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// Where the browser goes once signed out (with `state`), if anywhere.
    pub redirect: Option<String>,
    /// The id_token_hint shows the client asked for the signed-in user's
    /// logout: no need to ask the user. Without it (a link anyone could
    /// send), the user confirms on the "Sign out" screen.
    pub confirmed: bool,
    /// The client's name, for the confirmation screen.
    pub client_name: Option<String>,
}

/// An id_token we issued (signature and issuer checked). Expired tokens are
/// accepted: a hint is about who, not about access. One signed by a key we
/// no longer hold (retired after rotation: the hint is older than every
/// token that key signed) is no hint at all, so the user is asked rather
/// than shown an error for a genuine, merely old, logout link.
async fn verify_hint(p: &Provider, token: &str) -> Result<Option<serde_json::Map<String, Value>>> {
    let bad = || OAuthError::invalid_request("the id_token_hint is not an id_token from Portico");
    let v = match p.verify(token).await {
        Ok(v) => v,
        Err(Unverified::UnknownKey) => return Ok(None),
        Err(Unverified::Invalid) => return Err(bad()),
    };
    if v.typ.as_deref() != Some("JWT")
        || v.claims.get("iss").and_then(Value::as_str) != Some(p.issuer())
    {
        return Err(bad());
    }
    Ok(Some(v.claims))
}

/// Check a logout request (`GET` query or `POST` form of
/// /oauth2/logout). Errors are shown to the user, never redirected.
pub async fn plan(
    p: &Provider,
    pairs: &[(String, String)],
    session: Option<&Session>,
) -> Result<LogoutPlan> {
    let params = Params::new(pairs);
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
    }
    let hint = match params.get("id_token_hint") {
        Some(t) => verify_hint(p, t).await?,
        None => None,
    };
    let hinted = hint
        .as_ref()
        .and_then(|c| c.get("aud"))
        .and_then(Value::as_str);
    let client_id = match (params.get("client_id"), hinted) {
        (Some(a), Some(b)) if a != b => {
            return Err(OAuthError::invalid_request(
                "client_id does not match the id_token_hint",
            ));
        }
        (Some(a), _) => Some(a),
        (None, b) => b,
    };
    let client = match client_id {
        Some(id) => Some(
            p.client(id)
                .await?
                .ok_or_else(|| OAuthError::invalid_request("the client is not registered"))?,
        ),
        None => None,
    };
    let redirect = match params.get("post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let c = client.as_ref().ok_or_else(|| {
                OAuthError::invalid_request(
                    "post_logout_redirect_uri needs client_id or id_token_hint",
                )
            })?;
            if !c.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(OAuthError::invalid_request(
                    "post_logout_redirect_uri is not registered for this client",
                ));
            }
            let state: Vec<(&str, &str)> = params
                .get("state")
                .map(|s| vec![("state", s)])
                .unwrap_or_default();
            Some(
                with_query(uri, &state)
                    .ok_or_else(|| OAuthError::server_error("a registered URI is not a URL"))?,
            )
        }
    };
    let confirmed = match (&hint, session) {
        (Some(c), Some(s)) => c.get("sub").and_then(Value::as_str) == Some(s.user_id.as_str()),
        (Some(_), None) => true,
        (None, _) => false,
    };
    Ok(LogoutPlan {
        redirect,
        confirmed,
        client_name: client.map(|c| c.name),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infra::clock::Clock;
    use crate::protocol::error::ErrorCode;
    use crate::services::tokens::{IdTokenExtras, id_token};
    use crate::testkit::*;

    async fn hint(k: &Kit, client: &str, sub: &str) -> String {
        let c = k.p.store.client(client).await.unwrap().unwrap();
        id_token(&k.p, &c, sub, T0, IdTokenExtras::default()).unwrap()
    }

    #[tokio::test]
    async fn a_hint_for_the_signed_in_user_needs_no_confirmation() {
        let k = kit().await;
        let s = k.session(k.clock.now()).await;
        let h = hint(&k, "web", "user-1").await;
        let pairs = q(&format!(
            "id_token_hint={h}&post_logout_redirect_uri=https://app.example/bye&state=s1"
        ));
        k.clock.advance(7200); // an expired hint still says who
        let plan = plan(&k.p, &pairs, Some(&s)).await.unwrap();
        assert!(plan.confirmed);
        assert_eq!(
            plan.redirect.as_deref(),
            Some("https://app.example/bye?state=s1")
        );
        // Another user's hint, or none: ask.
        let other = hint(&k, "web", "someone-else").await;
        let p2 = plan_of(&k, &format!("id_token_hint={other}"), &s).await;
        assert!(!p2.confirmed);
        let p3 = plan_of(&k, "client_id=web", &s).await;
        assert!(!p3.confirmed);
        assert_eq!(p3.client_name.as_deref(), Some("Web App"));
    }

    async fn plan_of(k: &Kit, query: &str, s: &Session) -> LogoutPlan {
        plan(&k.p, &q(query), Some(s)).await.unwrap()
    }

    #[tokio::test]
    async fn a_hint_signed_by_a_retired_key_asks_the_user() {
        let k = kit().await;
        let s = k.session(k.clock.now()).await;
        let h = hint(&k, "web", "user-1").await;
        assert!(
            plan_of(&k, &format!("id_token_hint={h}"), &s)
                .await
                .confirmed
        );
        crate::services::keys::rotate(&k.p, None, true, &crate::services::audit::Actor::Cli)
            .await
            .unwrap();
        k.clock.advance(k.p.config.key_verify_grace());
        let plan = plan_of(&k, &format!("id_token_hint={h}&client_id=web"), &s).await;
        assert!(!plan.confirmed, "treated like no hint");
        assert_eq!(plan.client_name.as_deref(), Some("Web App"));
    }

    #[tokio::test]
    async fn only_registered_uris_and_genuine_hints() {
        let k = kit().await;
        let s = k.session(k.clock.now()).await;
        for bad in [
            "client_id=web&post_logout_redirect_uri=https://evil.example/",
            "post_logout_redirect_uri=https://app.example/bye",
            "id_token_hint=not.a.token",
            "client_id=nobody",
        ] {
            let e = plan(&k.p, &q(bad), Some(&s)).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidRequest, "{bad}");
        }
        let h = hint(&k, "web", "user-1").await;
        let e = plan(
            &k.p,
            &q(&format!("id_token_hint={h}&client_id=rp")),
            Some(&s),
        )
        .await
        .unwrap_err();
        assert_eq!(
            e.code,
            ErrorCode::InvalidRequest,
            "client_id must match the hint"
        );
    }
}
