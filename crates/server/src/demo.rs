//! `portico serve --demo`: a demo client and user, a ready authorize URL, and
//! a tiny callback page that plays the client (exchanges the code with PKCE
//! and shows who signed in), so a newcomer can click through a full login.

use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use portico_core::Provider;
use portico_core::model::{Client, User};
use portico_core::protocol::pkce::s256_challenge;
use portico_core::protocol::secret::Secret;
use portico_core::services::accounts::hash_password;
use serde_json::Value;

pub const CLIENT_ID: &str = "portico-demo";
/// A public device client (RFC 8628) for trying the device flow with curl.
pub const DEVICE_CLIENT_ID: &str = "portico-demo-tv";
pub const USER_EMAIL: &str = "demo@example.com";
pub const USER_PASSWORD: &str = "portico-demo";

/// The demo's branded entrypoint: the same sign-in, themed.
pub const ENTRYPOINT_ID: &str = "acme";

pub struct Demo {
    /// Where mail goes without `[email]`.
    pub mailbox: std::sync::Arc<Mailbox>,
    pub authorize_url: String,
    /// The same request through the [`ENTRYPOINT_ID`] entrypoint.
    pub themed_authorize_url: String,
    redirect_uri: String,
    verifier: Secret,
}

impl Demo {
    pub async fn install(p: &Provider, mailbox: std::sync::Arc<Mailbox>) -> Result<Self, String> {
        let redirect_uri = p.url("/demo/callback");
        let client = Client {
            id: CLIENT_ID.into(),
            name: "Portico demo app".into(),
            secret_hash: None,
            redirect_uris: vec![redirect_uri.clone()],
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            response_types: vec![portico_core::protocol::types::ResponseType::Code],
            scopes: ["openid", "profile", "email", "offline_access"]
                .map(String::from)
                .to_vec(),
            first_party: true,
            id_token_signed_response_alg: None,
            require_pushed_authorization_requests: false,
            require_mfa: false,
            post_logout_redirect_uris: vec![p.url("/")],
            introspection: false,
            from_config: false,
            disabled: None,
            tokens_not_before: 0,
        };
        p.upsert_client(&client).await.map_err(|e| e.to_string())?;
        let tv = Client {
            id: DEVICE_CLIENT_ID.into(),
            name: "Portico demo TV".into(),
            redirect_uris: vec![],
            grant_types: vec![
                portico_core::protocol::types::GRANT_DEVICE_CODE.into(),
                "refresh_token".into(),
            ],
            response_types: vec![],
            ..client.clone()
        };
        p.upsert_client(&tv).await.map_err(|e| e.to_string())?;
        if p.store
            .user_by_email(USER_EMAIL)
            .await
            .map_err(|e| e.to_string())?
            .is_none()
        {
            let user = User {
                id: p.random.token(16).map_err(|e| e.to_string())?,
                email: USER_EMAIL.into(),
                email_verified: true,
                name: "Demo User".into(),
                given_name: Some("Demo".into()),
                family_name: Some("User".into()),
                phone_number: None,
                birthdate: None,
                terms_accepted_at: None,
                updated_at: p.now(),
                password_hash: hash_password(p, Secret::new(USER_PASSWORD))
                    .await
                    .map_err(|e| e.to_string())?,
                created_at: p.now(),
                self_registered: false,
                disabled_at: None,
            };
            p.store
                .upsert_user_by_email(&user)
                .await
                .map_err(|e| e.to_string())?;
        }
        // The demo user administers too, so the cockpit at /admin can be
        // tried with the same sign-in (recorded once, as the config's doing).
        if let Some(u) = p
            .store
            .user_by_email(USER_EMAIL)
            .await
            .map_err(|e| e.to_string())?
        {
            use portico_core::services::{audit::Actor, roles};
            roles::set(p, &u.id, roles::ADMIN, true, &Actor::Config)
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
        }
        p.store
            .upsert_entrypoint(&themed_entrypoint())
            .await
            .map_err(|e| e.to_string())?;
        let verifier = p.random.token(32).map_err(|e| e.to_string())?;
        let state = p.random.token(12).map_err(|e| e.to_string())?;
        let nonce = p.random.token(12).map_err(|e| e.to_string())?;
        let mut url = url::Url::parse(&p.url("/oauth2/authorize")).map_err(|e| e.to_string())?;
        url.query_pairs_mut()
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", &redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", "openid profile email offline_access")
            .append_pair("state", &state)
            .append_pair("nonce", &nonce)
            .append_pair("code_challenge", &s256_challenge(&verifier))
            .append_pair("code_challenge_method", "S256");
        let plain: String = url.into();
        let themed = plain.replacen(
            "scope=openid+profile+email+offline_access",
            &format!("scope=openid+profile+email+offline_access+{ENTRYPOINT_ID}"),
            1,
        );
        Ok(Self {
            mailbox,
            themed_authorize_url: themed,
            authorize_url: plain,
            redirect_uri,
            verifier: Secret::new(verifier),
        })
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}\
     pre{background:#f3f3f3;padding:1rem;overflow:auto}";

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{t}</title><style>{PAGE_STYLE}</style></head><body><main><h1>{t}</h1>{body}\
         <p><a href=\"{MAILBOX_PATH}\">Demo mailbox</a>: the mail Portico sent (reset links, verification codes).</p></main></body></html>",
        t = esc(title)
    );
    let mut r = Html(html).into_response();
    // Its one inline style is allowed by hash; nothing else loads.
    let csp = format!(
        "default-src 'none'; style-src {}; frame-ancestors 'none'; base-uri 'none'",
        crate::http::security::sha256_source(PAGE_STYLE)
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&csp) {
        r.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    crate::http::error::no_store(&mut r);
    r
}

/// The demo client's redirect URI.
pub async fn callback(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let Some(demo) = &state.demo else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let params: Vec<(String, String)> =
        crate::http::extract::pairs(q.unwrap_or_default().as_bytes());
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if let Some(err) = get("error") {
        let body = format!(
            "<p>The app got an error back: <code>{}</code></p><p>{}</p>",
            esc(err),
            esc(get("error_description").unwrap_or(""))
        );
        return page("Demo app: sign-in did not complete", &body);
    }
    let Some(code) = get("code") else {
        return page("Demo app", "<p>No code in the callback.</p>");
    };
    let code_hint: String = code.chars().take(6).collect();
    let form = vec![
        ("grant_type".to_owned(), "authorization_code".to_owned()),
        ("client_id".to_owned(), CLIENT_ID.to_owned()),
        ("code".to_owned(), code.to_owned()),
        ("redirect_uri".to_owned(), demo.redirect_uri.clone()),
        (
            "code_verifier".to_owned(),
            demo.verifier.expose().to_owned(),
        ),
    ];
    match portico_core::endpoints::token::token(&state.provider, None, &form, None).await {
        Ok(t) => {
            let claims = match t.id_token.as_deref() {
                Some(id) => state.provider.verify(id).await.ok(),
                None => None,
            }
            .map(|v| Value::Object(v.claims))
            .unwrap_or(Value::Null);
            let info =
                portico_core::endpoints::userinfo::userinfo(&state.provider, &t.access_token)
                    .await
                    .unwrap_or(Value::Null);
            let pretty = |v: &Value| esc(&serde_json::to_string_pretty(v).unwrap_or_default());
            let body = format!(
                "<p>The demo app received the code <code>{}…</code> with state <code>{}</code> and exchanged it with its PKCE verifier.</p>\
                 <h2>id_token claims</h2><pre>{}</pre><h2>userinfo</h2><pre>{}</pre><p>Granted scope: <code>{}</code>; refresh token issued: {}.</p>",
                esc(&code_hint),
                esc(get("state").unwrap_or("")),
                pretty(&claims),
                pretty(&info),
                esc(&t.scope),
                if t.refresh_token.is_some() {
                    "yes"
                } else {
                    "no"
                },
            );
            page("Demo app: you are signed in", &body)
        }
        Err(e) => page(
            "Demo app: the code exchange failed",
            &format!(
                "<p><code>{}</code>: {}</p>",
                esc(e.code.as_str()),
                esc(e.description())
            ),
        ),
    }
}

/// `serve --demo` without `[email]`: mail is "delivered" to this mailbox,
/// which `/demo/mailbox` shows, so every mail flow can be tried without an
/// SMTP server. It keeps the last [`MAILBOX_SIZE`] mails, in memory.
#[derive(Default)]
pub struct Mailbox {
    mails: std::sync::Mutex<std::collections::VecDeque<portico_core::model::OutboxMail>>,
}

pub const MAILBOX_SIZE: usize = 50;
pub const MAILBOX_PATH: &str = "/demo/mailbox";

#[async_trait::async_trait]
impl portico_core::infra::mailer::Mailer for Mailbox {
    async fn send(
        &self,
        mail: &portico_core::model::OutboxMail,
    ) -> Result<(), portico_core::infra::mailer::SendError> {
        let mut mails = self.mails.lock().map_err(|_| {
            portico_core::infra::mailer::SendError::Transient("the mailbox is poisoned".into())
        })?;
        mails.push_front(mail.clone());
        mails.truncate(MAILBOX_SIZE);
        Ok(())
    }
}

/// Text with its http(s) URLs made into links.
fn linked(text: &str) -> String {
    text.split_inclusive(char::is_whitespace)
        .map(|w| {
            let word = w.trim_end();
            if word.starts_with("http://") || word.starts_with("https://") {
                format!(
                    "<a href=\"{0}\">{0}</a>{1}",
                    esc(word),
                    esc(&w[word.len()..])
                )
            } else {
                esc(w)
            }
        })
        .collect()
}

/// `GET /demo/mailbox`: the demo's mail, newest first.
pub async fn mailbox(State(state): State<AppState>) -> Response {
    let Some(demo) = &state.demo else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mails = match demo.mailbox.mails.lock() {
        Ok(m) => m.clone(),
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    let mut body = String::from(
        "<p>Mail Portico sent while running with <code>--demo</code> (password reset links, verification codes, notices). Configure <code>[email]</code> to send real mail.</p>",
    );
    if mails.is_empty() {
        body.push_str("<p>No mail yet. Try \"Forgot password?\" on the sign-in page, or create an account.</p>");
    }
    for m in &mails {
        body.push_str(&format!(
            "<article><h2>{}</h2><p>To: <code>{}</code></p><pre>{}</pre></article>",
            esc(&m.subject),
            esc(&m.recipient),
            linked(&m.text)
        ));
    }
    page("Demo mailbox", &body)
}

/// A branded entrypoint for the demo, as a product team would write it.
fn themed_entrypoint() -> portico_core::model::Entrypoint {
    let mut e = portico_core::model::Entrypoint::new(ENTRYPOINT_ID, "Acme Outdoor");
    e.theme.primary = Some("#0f766e".into());
    e.theme.background = Some("#ccfbf1".into());
    e.theme.text = Some("#134e4a".into());
    e.theme.font_family = Some("Georgia, serif".into());
    e.theme.radius = Some("2px".into());
    e.theme.logo_url = Some("/public/logos/acme.svg".into());
    e.theme.texts.insert(
        "en".into(),
        portico_api_types::ThemeTexts {
            title: Some("Welcome back to Acme".into()),
            subtitle: Some("Your trips and gear lists are waiting.".into()),
            ..Default::default()
        },
    );
    e.theme.texts.insert(
        "es".into(),
        portico_api_types::ThemeTexts {
            title: Some("Hola de nuevo en Acme".into()),
            subtitle: Some("Tus viajes y tu equipo te esperan.".into()),
            ..Default::default()
        },
    );
    e
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_entrypoint_passes_the_checks_it_shows_off() {
        assert_eq!(
            portico_core::services::entrypoint::check(&super::themed_entrypoint()),
            Ok(())
        );
    }
}
