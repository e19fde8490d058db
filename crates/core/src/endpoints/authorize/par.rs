//! Pushed Authorization Requests (RFC 9126): the client posts the
//! authorization request's parameters to the server first and sends the
//! browser with only `client_id` and the returned `request_uri`. The
//! parameters never pass through the browser, and are validated (with the
//! client authenticated) before any user sees a screen.

use super::validate::{client_and_redirect, validate};
use crate::infra::provider::Provider;
use crate::model::PushedRequest;
use crate::protocol::error::ErrorCode;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::secret::lookup_hash;
use crate::services::client_auth;
use serde::Serialize;
use std::net::IpAddr;

/// The pushed authorization response (RFC 9126 §2.2).
#[derive(Serialize, Clone, PartialEq, Eq)]
pub struct PushedResponse {
    pub request_uri: String,
    pub expires_in: i64,
}

impl std::fmt::Debug for PushedResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushedResponse")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Handle `POST /oauth2/par`.
pub async fn push(
    p: &Provider,
    authorization: Option<&str>,
    form: &[(String, String)],
    from: Option<IpAddr>,
) -> Result<PushedResponse> {
    let params = Params::new(form);
    let client = client_auth::caller(p, authorization, &params, from).await?;
    if params.get("request_uri").is_some() {
        return Err(OAuthError::invalid_request(
            "request_uri cannot be pushed (RFC 9126 section 2.1)",
        ));
    }
    // What authorize will see: the parameters without the credentials,
    // with the authenticated client's id.
    let mut pushed: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| k != "client_secret" && k != "client_id")
        .cloned()
        .collect();
    pushed.push(("client_id".into(), client.id.clone()));
    // Validate now: errors go straight back to the client (§2.3).
    let check = Params::new(&pushed);
    let (client, redirect_uri, given) = client_and_redirect(p, &check).await?;
    validate(p, &check, &client, redirect_uri, given).await?;

    let value = format!("{REQUEST_URI_PREFIX}{}", p.random.token(32)?);
    let now = p.now();
    p.store
        .put_pushed_request(&PushedRequest {
            uri_hash: lookup_hash(&value),
            client_id: client.id,
            params: pushed,
            created_at: now,
            expires_at: now + p.config.par_ttl,
        })
        .await?;
    Ok(PushedResponse {
        request_uri: value,
        expires_in: p.config.par_ttl,
    })
}

/// Pushed authorization requests (RFC 9126), the authorization endpoint's
/// side; [`crate::endpoints::authorize::par`] is the pushing endpoint.
/// RFC 9126 §2.2: the request_uri's prefix.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

fn unusable() -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidRequestUri,
        "the request_uri is unknown, expired or already used; start again from the app",
    )
}

/// At the authorization endpoint: when the query names a request_uri, the
/// pushed parameters, taken once (RFC 9126 §4: the rest of the query is
/// ignored). `Ok(None)` when there is no request_uri. Errors are never
/// redirected: without the pushed request the redirect_uri is unknown.
pub async fn resolve(p: &Provider, query: &Params<'_>) -> Result<Option<Vec<(String, String)>>> {
    let Some(uri) = query.get("request_uri") else {
        return Ok(None);
    };
    if query.is_repeated("request_uri") || query.is_repeated("client_id") {
        return Err(OAuthError::invalid_request(
            "request_uri or client_id is repeated",
        ));
    }
    let client_id = query
        .get("client_id")
        .ok_or_else(|| OAuthError::invalid_request("client_id is missing"))?;
    if !uri.starts_with(REQUEST_URI_PREFIX) || uri.len() > 200 {
        return Err(unusable());
    }
    let pushed = p
        .store
        .take_pushed_request(&lookup_hash(uri), p.now())
        .await?
        .ok_or_else(unusable)?;
    if pushed.client_id != client_id {
        tracing::warn!(%client_id, "request_uri presented by another client");
        return Err(unusable());
    }
    Ok(Some(pushed.params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoints::authorize::{Outcome, authorize, explain_error};
    use crate::infra::clock::Clock;
    use crate::protocol::error::ErrorCode;
    use crate::testkit::*;

    fn push_form(extra: &str) -> Vec<(String, String)> {
        q(&format!(
            "client_id=web&client_secret=confidential-secret&redirect_uri={CB}&response_type=code&scope=openid&state=pushed{extra}"
        ))
    }

    #[tokio::test]
    async fn a_pushed_request_without_scope_is_invalid_scope() {
        let k = kit().await;
        let form = q(&format!(
            "client_id=web&client_secret=confidential-secret&redirect_uri={CB}&response_type=code&state=pushed"
        ));
        let Err(e) = push(&k.p, None, &form, None).await else {
            panic!("a request without scope was accepted")
        };
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[tokio::test]
    async fn a_pushed_request_is_used_once_and_the_query_is_ignored() {
        let k = kit().await;
        let r = push(&k.p, None, &push_form(""), None).await.unwrap();
        assert!(r.request_uri.starts_with(REQUEST_URI_PREFIX));
        assert_eq!(r.expires_in, 60);
        let s = k.session(k.clock.now()).await;
        let query = q(&format!(
            "client_id=web&request_uri={}&state=from-the-query&redirect_uri=https://app.example/other",
            r.request_uri
        ));
        let Outcome::Redirect(url) = authorize(&k.p, &query, Some(&s)).await else {
            panic!("a session answers at once")
        };
        assert!(url.starts_with(CB), "{url}");
        let params = redirect_params(&url);
        assert_eq!(params["state"], "pushed");
        assert!(params.contains_key("code"));
        let Outcome::ErrorPage(e) = authorize(&k.p, &query, Some(&s)).await else {
            panic!("a used request_uri is never redirected")
        };
        assert_eq!(e.code, ErrorCode::InvalidRequestUri);
        assert_eq!(
            explain_error(&k.p, &query).await.code,
            ErrorCode::InvalidRequestUri
        );
    }

    #[tokio::test]
    async fn pushed_requests_expire_and_belong_to_their_client() {
        let k = kit().await;
        let r = push(&k.p, None, &push_form(""), None).await.unwrap();
        k.clock.advance(60);
        let query = q(&format!("client_id=web&request_uri={}", r.request_uri));
        let Outcome::ErrorPage(e) = authorize(&k.p, &query, None).await else {
            panic!()
        };
        assert_eq!(e.code, ErrorCode::InvalidRequestUri);
        let r = push(&k.p, None, &push_form(""), None).await.unwrap();
        let query = q(&format!("client_id=rp&request_uri={}", r.request_uri));
        let Outcome::ErrorPage(e) = authorize(&k.p, &query, None).await else {
            panic!()
        };
        assert_eq!(e.code, ErrorCode::InvalidRequestUri);
    }

    #[tokio::test]
    async fn pushing_authenticates_and_validates() {
        let k = kit().await;
        let bad = q(&format!(
            "client_id=web&client_secret=wrong&redirect_uri={CB}&response_type=code&scope=openid"
        ));
        assert_eq!(
            push(&k.p, None, &bad, None).await.unwrap_err().code,
            ErrorCode::InvalidClient
        );
        let e = push(&k.p, None, &push_form("&request_uri=urn:x"), None).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidRequest);
        let e = push(&k.p, None, &push_form("&response_type=token"), None).await;
        assert_eq!(e.unwrap_err().code, ErrorCode::InvalidRequest, "repeated");
        let unregistered = q(
            "client_id=web&client_secret=confidential-secret&redirect_uri=https://evil.example/cb&response_type=code&scope=openid",
        );
        assert_eq!(
            push(&k.p, None, &unregistered, None)
                .await
                .unwrap_err()
                .code,
            ErrorCode::RedirectUriMismatch
        );
        let e = push(&k.p, None, &push_form("&scope=nope"), None).await;
        assert_eq!(
            e.unwrap_err().code,
            ErrorCode::InvalidRequest,
            "repeated scope"
        );
    }

    #[tokio::test]
    async fn clients_that_require_par_cannot_skip_it() {
        let k = kit().await;
        let mut web = k.p.store.client("web").await.unwrap().unwrap();
        web.require_pushed_authorization_requests = true;
        k.p.upsert_client(&web).await.unwrap();
        let s = k.session(k.clock.now()).await;
        let plain = q(&format!(
            "client_id=web&redirect_uri={CB}&response_type=code&scope=openid&state=x"
        ));
        let Outcome::Redirect(url) = authorize(&k.p, &plain, Some(&s)).await else {
            panic!()
        };
        assert_eq!(redirect_params(&url)["error"], "invalid_request");
        let r = push(&k.p, None, &push_form(""), None).await.unwrap();
        let query = q(&format!("client_id=web&request_uri={}", r.request_uri));
        let Outcome::Redirect(url) = authorize(&k.p, &query, Some(&s)).await else {
            panic!()
        };
        assert!(redirect_params(&url).contains_key("code"), "{url}");
    }
}
