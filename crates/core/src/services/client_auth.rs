//! Client authentication at the token endpoint (RFC 6749 §2.3):
//! client_secret_basic, client_secret_post, and none for public clients.

use crate::infra::provider::Provider;
use crate::model::Client;
use crate::protocol::error::{OAuthError, Result};
use crate::protocol::params::Params;
use crate::protocol::secret::Secret;
use crate::services::audit::{self, Event};
use crate::services::lockout;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::net::IpAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    None,
}

/// Credentials as presented, before they are checked.
#[derive(Debug, Clone)]
pub struct PresentedCredentials {
    pub client_id: String,
    pub secret: Option<Secret>,
    pub method: AuthMethod,
}

/// RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
fn form_decode(s: &str) -> Option<String> {
    let plus_fixed = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_fixed)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// Parse `Authorization: Basic ...`. Anything else in the header is ignored
/// by returning `Ok(None)` only when the header is absent.
pub fn parse_basic(header: &str) -> Result<(String, Secret)> {
    let bad =
        || OAuthError::invalid_client("the Authorization header is not valid Basic credentials");
    let (scheme, rest) = header.trim().split_once(' ').ok_or_else(bad)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad());
    }
    let decoded = STANDARD.decode(rest.trim()).map_err(|_| bad())?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
    let (id, secret) = decoded.split_once(':').ok_or_else(bad)?;
    let id = form_decode(id).ok_or_else(bad)?;
    let secret = form_decode(secret).ok_or_else(bad)?;
    if id.is_empty() {
        return Err(bad());
    }
    Ok((id, Secret::new(secret)))
}

/// Work out which credentials the request presents. Using two methods at
/// once is an error (RFC 6749 §2.3).
pub fn presented(
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_client_secret: Option<&str>,
) -> Result<PresentedCredentials> {
    if let Some(h) = authorization {
        let (id, secret) = parse_basic(h)?;
        if form_client_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method, not two",
            ));
        }
        if let Some(fid) = form_client_id
            && fid != id
        {
            return Err(OAuthError::invalid_request(
                "client_id does not match the Authorization header",
            ));
        }
        return Ok(PresentedCredentials {
            client_id: id,
            secret: Some(secret),
            method: AuthMethod::ClientSecretBasic,
        });
    }
    let id = form_client_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| OAuthError::invalid_client("client authentication is required"))?;
    match form_client_secret {
        Some(s) => Ok(PresentedCredentials {
            client_id: id.to_owned(),
            secret: Some(Secret::new(s)),
            method: AuthMethod::ClientSecretPost,
        }),
        None => Ok(PresentedCredentials {
            client_id: id.to_owned(),
            secret: None,
            method: AuthMethod::None,
        }),
    }
}

/// Check presented credentials: confidential clients must prove their
/// secret; public clients must not present one. `from` is the caller's
/// address: failed secrets count per client and address and per address,
/// and a locked caller is refused before anything is checked
/// ([`lockout`]). A caller presenting no secret guesses nothing, so it is
/// neither counted nor refused by a lock: a public client is never shut
/// out by somebody else's failures.
pub async fn authenticate(
    p: &Provider,
    creds: &PresentedCredentials,
    from: Option<IpAddr>,
) -> Result<Client> {
    let client = p.client(&creds.client_id).await?;
    let Some(given) = &creds.secret else {
        return match client {
            Some(c) if c.secret_hash.is_none() => Ok(c),
            _ => Err(OAuthError::invalid_client("client authentication failed")),
        };
    };
    // No await between the fast path's check and a failure's report, so a
    // burst cannot slip past a known-clear mark ([`lockout::begin`]).
    let attempt = match lockout::begin(p, lockout::client(&creds.client_id, from)).await? {
        lockout::Begin::Go(a) => a,
        lockout::Begin::Locked(wait) => {
            p.refusals.count(Event::ClientAuthFailed, from);
            return Err(locked(wait));
        }
    };
    let ok = match &client {
        Some(c) => c
            .secret_hash
            .as_ref()
            .is_some_and(|stored| p.client_secrets.verify(given.expose(), stored)),
        None => {
            // Same work as a wrong secret, so unknown ids are not cheaper
            // to probe.
            let _ = p.client_secrets.verify(
                given.expose(),
                "hmac-sha256$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            );
            false
        }
    };
    match client {
        Some(c) if ok => match attempt.succeeded(p).await? {
            Ok(()) => Ok(c),
            Err(wait) => Err(locked(wait)),
        },
        _ => {
            let locked_for = attempt.failed(p).await?;
            tracing::info!(client_id = ?creds.client_id, "client authentication failed");
            let failed = Event::ClientAuthFailed
                .entry()
                .client(&creds.client_id)
                .ip(from);
            audit::record(p, failed).await?;
            match locked_for {
                Some(wait) => {
                    let e = Event::LockedOut
                        .entry()
                        .client(&creds.client_id)
                        .ip(from)
                        .detail(format!("client authentication locked for {wait} s"));
                    audit::record(p, e).await?;
                    p.metrics.lockout("client");
                    Err(locked(wait))
                }
                None => Err(OAuthError::invalid_client("client authentication failed")),
            }
        }
    }
}

/// The client behind a back-channel request (token, PAR, device
/// authorization, introspection, revocation): no parameter may repeat,
/// and the presented credentials must hold.
pub async fn caller(
    p: &Provider,
    authorization: Option<&str>,
    params: &Params<'_>,
    from: Option<IpAddr>,
) -> Result<Client> {
    if let Some(name) = params.first_repeated() {
        return Err(OAuthError::invalid_request(format!("{name} is repeated")));
    }
    let creds = presented(
        authorization,
        params.get("client_id"),
        params.get("client_secret"),
    )?;
    authenticate(p, &creds, from).await
}

fn locked(wait: i64) -> OAuthError {
    OAuthError::invalid_client(format!(
        "too many failed client authentications; try again in {wait} seconds"
    ))
    .retry_after(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::error::ErrorCode;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let (id, s) = parse_basic(&basic("my%20app", "p%3Ass+x")).unwrap();
        assert_eq!(id, "my app");
        assert_eq!(s.expose(), "p:ss x");
    }

    #[test]
    fn malformed_basic_is_invalid_client() {
        for h in [
            "Bearer abc",
            "Basic !!!",
            "Basic",
            &format!("Basic {}", STANDARD.encode("nocolon")),
        ] {
            assert_eq!(
                parse_basic(h).unwrap_err().code,
                ErrorCode::InvalidClient,
                "{h}"
            );
        }
    }

    #[test]
    fn two_methods_at_once_are_rejected() {
        let e = presented(Some(&basic("a", "b")), None, Some("b")).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        let e = presented(Some(&basic("a", "b")), Some("other"), None).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn methods_are_recognised() {
        assert_eq!(
            presented(Some(&basic("a", "b")), Some("a"), None)
                .unwrap()
                .method,
            AuthMethod::ClientSecretBasic
        );
        assert_eq!(
            presented(None, Some("a"), Some("b")).unwrap().method,
            AuthMethod::ClientSecretPost
        );
        assert_eq!(
            presented(None, Some("a"), None).unwrap().method,
            AuthMethod::None
        );
        assert_eq!(
            presented(None, None, None).unwrap_err().code,
            ErrorCode::InvalidClient
        );
    }

    #[tokio::test]
    async fn wrong_secrets_lock_the_client_at_that_address_only() {
        let k = crate::testkit::kit().await;
        let creds = |secret: &str| PresentedCredentials {
            client_id: "web".into(),
            secret: Some(Secret::new(secret)),
            method: AuthMethod::ClientSecretPost,
        };
        let attacker: Option<IpAddr> = Some("203.0.113.9".parse().unwrap());
        let home: Option<IpAddr> = Some("192.0.2.10".parse().unwrap());
        for i in 1..crate::services::lockout::CLIENT.free {
            let e = authenticate(&k.p, &creds("wrong"), attacker)
                .await
                .unwrap_err();
            assert_eq!(
                (e.code, e.retry_after),
                (ErrorCode::InvalidClient, None),
                "{i}"
            );
        }
        let e = authenticate(&k.p, &creds("wrong"), attacker)
            .await
            .unwrap_err();
        assert_eq!(e.retry_after, Some(30));
        assert!(e.description().contains("try again in 30 seconds"), "{e}");
        let e = authenticate(&k.p, &creds(k.secret), attacker)
            .await
            .unwrap_err();
        assert_eq!(e.retry_after, Some(30), "the right secret waits too");
        // The client itself, from its own address, is not locked out.
        assert!(authenticate(&k.p, &creds(k.secret), home).await.is_ok());
        k.clock.advance(30);
        assert!(authenticate(&k.p, &creds(k.secret), attacker).await.is_ok());
        let after =
            k.p.store
                .lockout(crate::services::lockout::client("web", attacker).account())
                .await
                .unwrap();
        assert_eq!(after, None, "a success starts the count again");
    }

    #[tokio::test]
    async fn public_clients_are_never_refused_for_others_failures() {
        let k = crate::testkit::kit().await;
        let from = Some("192.0.2.40".parse().unwrap());
        let public = PresentedCredentials {
            client_id: "spa".into(),
            secret: None,
            method: AuthMethod::None,
        };
        // Someone presents wrong secrets for the public client's id until
        // the id and the address are locked.
        let guess = PresentedCredentials {
            secret: Some(Secret::new("guess")),
            method: AuthMethod::ClientSecretPost,
            ..public.clone()
        };
        for _ in 0..crate::services::lockout::CLIENT.free {
            let _ = authenticate(&k.p, &guess, from).await;
        }
        assert!(
            authenticate(&k.p, &guess, from)
                .await
                .unwrap_err()
                .retry_after
                .is_some()
        );
        // The public client, from the same address, still gets in.
        assert_eq!(authenticate(&k.p, &public, from).await.unwrap().id, "spa");
    }
}
