//! Set-up as the client: sign-in, the code flow with PKCE, refresh tokens to start from.

use crate::R;
use crate::servers::{
    CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, REDIRECT_URI_ENC, Server, USER_EMAIL, USER_PASSWORD,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// RFC 7636 verifier; every authorize uses its S256 challenge.
pub const VERIFIER: &str = "portico-bench-verifier-0123456789abcdefghijklmnop";

fn challenge() -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(VERIFIER.as_bytes()))
}

pub fn basic() -> String {
    let raw = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// The SSO session on Portico: sign in through the UI's JSON API; the
/// session cookies are kept on `s`.
pub async fn sign_in(s: &mut Server, http: &reqwest::Client) -> R<()> {
    let r = http
        .post(format!("{}/api/ui/login", s.base))
        .header("x-portico-csrf", "1")
        .header("content-type", "application/json")
        .body(serde_json::json!({ "email": USER_EMAIL, "password": USER_PASSWORD }).to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !r.status().is_success() {
        return Err(format!("Portico sign-in failed: {}", r.status()));
    }
    let mut jar = BTreeMap::new();
    keep_cookies(&mut jar, &r);
    s.cookie = cookie_header(&jar);
    Ok(())
}

fn keep_cookies(jar: &mut BTreeMap<String, String>, r: &reqwest::Response) {
    for v in r.headers().get_all("set-cookie") {
        if let Ok(s) = v.to_str()
            && let Some((name, value)) = s.split(';').next().and_then(|p| p.split_once('='))
        {
            jar.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
}

fn cookie_header(jar: &BTreeMap<String, String>) -> String {
    jar.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn authorize_path(s: &Server, scope: &str, extra: &str) -> String {
    format!(
        "{}?client_id={CLIENT_ID}&response_type=code&redirect_uri={REDIRECT_URI_ENC}&scope={scope}&state=bench&nonce=bench&code_challenge={}&code_challenge_method=S256{extra}",
        s.authorize,
        challenge()
    )
}

pub fn token_body_prefix() -> String {
    format!(
        "grant_type=authorization_code&redirect_uri={REDIRECT_URI_ENC}&code_verifier={VERIFIER}&code="
    )
}

/// Follow an authorization request through redirects (and, for the anchor,
/// its interactions) until the client's redirect URI, keeping cookies; then
/// exchange the code. The session cookies are kept on `s`.
async fn code_flow(s: &mut Server, http: &reqwest::Client, path: &str) -> R<serde_json::Value> {
    let mut jar: BTreeMap<String, String> = BTreeMap::new();
    for part in s.cookie.split("; ").filter(|p| !p.is_empty()) {
        if let Some((k, v)) = part.split_once('=') {
            jar.insert(k.to_owned(), v.to_owned());
        }
    }
    let mut url = format!("{}{path}", s.base);
    let mut code = None;
    for _ in 0..10 {
        let r = http
            .get(&url)
            .header("cookie", cookie_header(&jar))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        keep_cookies(&mut jar, &r);
        let loc = r
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "{}: {url} answered {} without a redirect",
                    s.label,
                    r.status()
                )
            })?;
        if let Some(q) = loc.strip_prefix(REDIRECT_URI) {
            code = q
                .trim_start_matches('?')
                .split('&')
                .find_map(|p| p.strip_prefix("code="))
                .map(str::to_owned);
            if code.is_none() {
                return Err(format!("{}: the redirect carries no code: {loc}", s.label));
            }
            break;
        }
        url = if loc.starts_with('/') {
            format!("{}{loc}", s.base)
        } else {
            loc
        };
    }
    let code = code.ok_or_else(|| format!("{}: no code after 10 redirects", s.label))?;
    // Keep only session cookies for the load (interaction cookies are spent).
    jar.retain(|k, _| !k.starts_with("_interaction"));
    s.cookie = cookie_header(&jar);
    let r = http
        .post(format!("{}{}", s.base, s.token))
        .header("authorization", basic())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("{}{code}", token_body_prefix()))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = r.status();
    let body = r.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!(
            "{}: code exchange failed: {status} {body}",
            s.label
        ));
    }
    serde_json::from_str(&body).map_err(|e| e.to_string())
}

/// Refresh tokens to start the refresh and introspection scenarios with.
pub async fn refresh_tokens(s: &mut Server, http: &reqwest::Client, n: usize) -> R<Vec<String>> {
    let path = authorize_path(s, "openid%20offline_access%20api", s.offline);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = code_flow(s, http, &path).await?;
        let rt = t["refresh_token"]
            .as_str()
            .ok_or_else(|| format!("{}: no refresh_token in {t}", s.label))?;
        out.push(rt.to_owned());
    }
    Ok(out)
}
