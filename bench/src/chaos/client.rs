//! What the driver does over HTTP, one call at a time: every call comes
//! back as a [`Call`] (status, body, redirect, session cookie, time taken),
//! a transport failure included, so the load and the checks decide what
//! counts as success.

use crate::config::{
    ADMIN_ID, ADMIN_SECRET, CHAOS_ID, CHAOS_SECRET, PARTNER_ID, PARTNER_SECRET, REDIRECT_URI,
};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use portico_api_types::admin::{ADMIN_SCOPE, paths};
use portico_api_types::{CSRF_HEADER, CSRF_HEADER_VALUE, routes};
use sha2::{Digest, Sha256};
use std::time::Duration;

/// RFC 7636 verifier; every authorize sends its S256 challenge.
pub const VERIFIER: &str = "portico-chaos-verifier-0123456789abcdefghijklmnopq";
const TOKEN: &str = "/oauth2/token";
const AUTHORIZE: &str = "/oauth2/authorize";

/// One HTTP exchange. `status` 0: no answer (refused, reset, timed out).
#[derive(Debug, Clone)]
pub struct Call {
    pub status: u16,
    pub body: String,
    pub location: Option<String>,
    /// `portico_session=...` when the answer set it.
    pub session: Option<String>,
}

impl Call {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }

    /// The OAuth `error` of a refusal (RFC 6749 §5.2), or "".
    pub fn error_code(&self) -> String {
        self.json()["error"].as_str().unwrap_or("").to_owned()
    }

    /// A query parameter of the redirect.
    pub fn location_param(&self, name: &str) -> Option<String> {
        let loc = self.location.as_deref()?;
        let q = loc.split_once('?')?.1;
        q.split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
            .map(str::to_owned)
    }
}

/// A client bound to one connection pool; workers own one each.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // Far above any answer Portico should take: a request that takes
        // this long is reported as a hang by the scenarios.
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(1)
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

async fn send(req: reqwest::RequestBuilder) -> Call {
    match req.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let session = r
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .filter_map(|v| v.split(';').next())
                .find(|p| {
                    p.split_once('=').is_some_and(|(k, v)| {
                        k.trim().ends_with("portico_session") && !v.is_empty()
                    })
                })
                .map(|p| p.trim().to_owned());
            let body = r.text().await.unwrap_or_default();
            Call {
                status,
                body,
                location,
                session,
            }
        }
        Err(e) => Call {
            status: 0,
            body: e.to_string(),
            location: None,
            session: None,
        },
    }
}

/// Sign in on the UI's JSON API (no pending request); the session cookie
/// is on the answer.
pub async fn sign_in(h: &reqwest::Client, base: &str, email: &str, password: &str) -> Call {
    send(
        h.post(format!("{base}{}", routes::LOGIN))
            .header(CSRF_HEADER, CSRF_HEADER_VALUE)
            .header("content-type", "application/json")
            .body(serde_json::json!({ "email": email, "password": password }).to_string()),
    )
    .await
}

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

/// GET /oauth2/authorize with the SSO session: a code redirect for a
/// first-party client, the consent screen for another (unless remembered).
pub async fn authorize(
    h: &reqwest::Client,
    base: &str,
    cookie: &str,
    client_id: &str,
    scope: &str,
    extra: &str,
) -> Call {
    let url = format!(
        "{base}{AUTHORIZE}?client_id={client_id}&response_type=code&redirect_uri={}&scope={}&state=chaos&nonce=chaos&code_challenge={}&code_challenge_method=S256{extra}",
        enc(REDIRECT_URI),
        enc(scope),
        challenge()
    );
    send(h.get(url).header("cookie", cookie)).await
}

/// The consent screen's "Allow".
pub async fn consent(h: &reqwest::Client, base: &str, cookie: &str, request: &str) -> Call {
    send(
        h.post(format!("{base}{}", routes::CONSENT))
            .header(CSRF_HEADER, CSRF_HEADER_VALUE)
            .header("content-type", "application/json")
            .header("cookie", cookie)
            .body(serde_json::json!({ "request": request, "allow": true }).to_string()),
    )
    .await
}

async fn token(h: &reqwest::Client, base: &str, auth: (&str, &str), body: String) -> Call {
    send(
        h.post(format!("{base}{TOKEN}"))
            .header("authorization", basic(auth.0, auth.1))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    )
    .await
}

/// The client's id and secret, by id: the load's and the consent client's.
pub fn secret_of(client_id: &str) -> &'static str {
    if client_id == PARTNER_ID {
        PARTNER_SECRET
    } else {
        CHAOS_SECRET
    }
}

/// Exchange a code (PKCE) at the token endpoint.
pub async fn exchange(h: &reqwest::Client, base: &str, client_id: &str, code: &str) -> Call {
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", VERIFIER),
        ("code", code),
    ]);
    token(h, base, (client_id, secret_of(client_id)), body).await
}

pub async fn refresh(h: &reqwest::Client, base: &str, rt: &str) -> Call {
    let body = form(&[("grant_type", "refresh_token"), ("refresh_token", rt)]);
    token(h, base, (CHAOS_ID, CHAOS_SECRET), body).await
}

pub async fn client_credentials(
    h: &reqwest::Client,
    base: &str,
    id: &str,
    secret: &str,
    scope: &str,
) -> Call {
    let body = form(&[("grant_type", "client_credentials"), ("scope", scope)]);
    token(h, base, (id, secret), body).await
}

/// RFC 7662, as the load's client (a resource server too).
pub async fn introspect(h: &reqwest::Client, base: &str, token: &str) -> Call {
    send(
        h.post(format!("{base}/oauth2/introspect"))
            .header("authorization", basic(CHAOS_ID, CHAOS_SECRET))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form(&[("token", token)])),
    )
    .await
}

/// A bearer token for the admin API.
pub async fn admin_token(h: &reqwest::Client, base: &str) -> Result<String, String> {
    let c = client_credentials(h, base, ADMIN_ID, ADMIN_SECRET, ADMIN_SCOPE).await;
    c.json()["access_token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no admin token: {} {}", c.status, c.body))
}

async fn admin_post(
    h: &reqwest::Client,
    base: &str,
    bearer: &str,
    path: &str,
    body: serde_json::Value,
) -> Call {
    send(
        h.post(format!("{base}{path}"))
            .bearer_auth(bearer)
            .header("content-type", "application/json")
            .body(body.to_string()),
    )
    .await
}

pub async fn create_user(
    h: &reqwest::Client,
    base: &str,
    bearer: &str,
    email: &str,
    password: &str,
) -> Call {
    let body = serde_json::json!({ "email": email, "name": "Chaos User", "password": password });
    admin_post(h, base, bearer, paths::USERS, body).await
}

/// A confidential machine client (client_credentials, scope `api`).
pub async fn create_client(h: &reqwest::Client, base: &str, bearer: &str, id: &str) -> Call {
    let body = serde_json::json!({
        "id": id,
        "confidential": true,
        "grant_types": ["client_credentials"],
        "response_types": [],
        "scopes": ["api"],
    });
    admin_post(h, base, bearer, paths::CLIENTS, body).await
}

pub async fn get_user(h: &reqwest::Client, base: &str, bearer: &str, id: &str) -> Call {
    send(
        h.get(format!("{base}{}", paths::USER.replace("{id}", id)))
            .bearer_auth(bearer),
    )
    .await
}

/// `/readyz` when the server has it, else `/healthz`.
pub async fn ready(h: &reqwest::Client, base: &str) -> bool {
    let r = send(h.get(format!("{base}/readyz"))).await;
    if r.status == 404 {
        return send(h.get(format!("{base}/healthz"))).await.ok();
    }
    r.ok()
}
