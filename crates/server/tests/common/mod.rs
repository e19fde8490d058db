//! Test harness: the real server on 127.0.0.1:0 with a fresh SQLite file.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod smtp;

use portico_core::infra::clock::OffsetClock;
use portico_server::{Running, Settings, config};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

pub const WEB_SECRET: &str = "web-secret-web-secret-web-secret-0123456789";
pub const CB: &str = "http://127.0.0.1:9/cb";
pub const EMAIL: &str = "alice@example.com";
pub const PASSWORD: &str = "correct horse battery";
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const PARTNER_SECRET: &str = "partner-secret-partner-secret-partner-secret-01";
pub const LEGACY_SECRET: &str = "legacy-secret-legacy-secret-legacy-secret-0123";
pub const MACHINE_SECRET: &str = "machine-secret-machine-secret-machine-secret-01";
pub const CONSOLE_SECRET: &str = "console-secret-console-secret-console-secret-01";
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub const CONFIG: &str = r##"
[[clients]]
id = "web"
name = "Web App"
secret = "web-secret-web-secret-web-secret-0123456789"
redirect_uris = ["http://127.0.0.1:9/cb", "http://127.0.0.1:9/other"]
post_logout_redirect_uris = ["http://127.0.0.1:9/signed-out"]
scopes = ["openid", "profile", "email", "phone", "offline_access"]
first_party = true
introspection = true

[[clients]]
id = "spa"
name = "Single Page App"
redirect_uris = ["http://127.0.0.1:9/cb"]
first_party = true

[[clients]]
id = "refresh-only"
secret = "refresh-only-secret-refresh-only-secret-0123"
redirect_uris = ["http://127.0.0.1:9/cb"]
grant_types = ["refresh_token"]

[[clients]]
id = "es"
secret = "es-secret-es-secret-es-secret-es-secret-0123"
redirect_uris = ["http://127.0.0.1:9/cb"]
id_token_signed_response_alg = "ES256"
first_party = true

[[clients]]
id = "partner"
name = "Partner App"
secret = "partner-secret-partner-secret-partner-secret-01"
redirect_uris = ["http://127.0.0.1:9/cb"]
grant_types = ["authorization_code", "implicit", "refresh_token"]
response_types = ["code", "token", "id_token", "id_token token", "code id_token", "code token", "code id_token token"]

[[clients]]
id = "legacy"
secret = "legacy-secret-legacy-secret-legacy-secret-0123"
grant_types = ["password", "refresh_token"]
response_types = []

[[clients]]
id = "machine"
secret = "machine-secret-machine-secret-machine-secret-01"
grant_types = ["client_credentials"]
scopes = ["api:read", "api:write"]
introspection = true

[[clients]]
id = "tv"
name = "Living Room TV"
grant_types = ["urn:ietf:params:oauth:grant-type:device_code", "refresh_token"]
response_types = []

[[clients]]
id = "console"
name = "Game Console"
secret = "console-secret-console-secret-console-secret-01"
grant_types = ["urn:ietf:params:oauth:grant-type:device_code"]
response_types = []
first_party = true

[[entrypoints]]
id = "shop"
display_name = "The Shop"

# Two branded entrypoints (issue 6): a light one with sign-up fields and
# its own words, a dark Spanish-first one whose logo is missing.
[[entrypoints]]
id = "acme"
display_name = "Acme Outdoor"
x_methods = ["login", "sign_up"]
[entrypoints.sign_up]
phone = "required"
birthdate = "optional"
terms_url = "http://127.0.0.1:9/terms"
[entrypoints.theme]
primary = "#0f766e"
background = "#ccfbf1"
text = "#134e4a"
font_family = "Georgia, serif"
radius = "2px"
logo_url = "/public/logos/acme.svg"
[entrypoints.theme.texts.en]
title = "Welcome back to Acme"
subtitle = "Your trips and gear lists are waiting."
create_account = "Join Acme"
[entrypoints.theme.texts.es]
title = "Hola de nuevo en Acme"

[[entrypoints]]
id = "club"
display_name = "Night Club"
default_locale = "es"
[entrypoints.theme]
primary = "#fbbf24"
on_primary = "#1c1917"
background = "#0c0a09"
surface = "#1c1917"
text = "#f5f5f4"
error = "#fca5a5"
radius = "20px"
logo_url = "/public/logos/missing.svg"

[[entrypoints]]
id = "members"
display_name = "Members only"
x_methods = ["login"]

[[users]]
email = "alice@example.com"
name = "Alice Liddell"
given_name = "Alice"
family_name = "Liddell"
password = "correct horse battery"
email_verified = true
"##;

pub struct TestServer {
    /// Where this instance listens.
    pub base: String,
    /// The issuer (the same for every instance of one deployment).
    pub issuer: String,
    pub clock: Arc<OffsetClock>,
    pub http: reqwest::Client,
    pub database_url: String,
    pub running: Running,
    _dir: Option<tempfile::TempDir>,
}

pub fn ui_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../dist")
}

/// The backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Run each named `async fn(Db)` once on SQLite and once on a fresh
/// PostgreSQL database (skipped, and saying so, when PORTICO_TEST_PG=off).
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::common::Db::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    if portico_store::testing::pg_enabled(stringify!($name)) {
                        super::$name($crate::common::Db::Postgres).await;
                    }
                }
            )*
        }
    };
}

/// A fresh, empty database: its URL and what keeps it alive.
pub async fn fresh_database(db: Db) -> (String, Option<tempfile::TempDir>) {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = dir.path().join("portico.db").to_str().unwrap().to_owned();
            (url, Some(dir))
        }
        Db::Postgres => (
            portico_store::testing::fresh_pg_database().await.unwrap(),
            None,
        ),
    }
}

pub async fn start(db: Db) -> TestServer {
    start_with(db, "").await
}

/// Start a server with extra config (TOML appended to [`CONFIG`]).
pub async fn start_with(db: Db, extra_config: &str) -> TestServer {
    let (url, guard) = fresh_database(db).await;
    let mut s = start_full(&url, &format!("{CONFIG}\n{extra_config}"), None).await;
    s._dir = guard;
    s
}

/// Start a server on an existing database (restarts).
pub async fn start_on(url: &str) -> TestServer {
    start_full(url, CONFIG, None).await
}

/// Start one of several instances that share a database and an issuer.
pub async fn start_instance(url: &str, issuer: &str) -> TestServer {
    start_full(url, CONFIG, Some(issuer)).await
}

/// [`start_instance`] with extra config.
pub async fn start_instance_with(url: &str, issuer: &str, extra_config: &str) -> TestServer {
    start_full(url, &format!("{CONFIG}\n{extra_config}"), Some(issuer)).await
}

/// Start a server as `portico serve --demo` does (no config file).
pub async fn start_demo(db: Db) -> TestServer {
    let (url, guard) = fresh_database(db).await;
    let mut s = start_settings(&url, None, None, true).await;
    s._dir = guard;
    s
}

async fn start_full(url: &str, config_text: &str, issuer: Option<&str>) -> TestServer {
    start_settings(url, Some(config_text), issuer, false).await
}

/// Why a server with extra config (TOML appended to [`CONFIG`]) refuses to
/// start. Panics if it starts.
pub async fn start_error(db: Db, extra_config: &str) -> String {
    let (url, _guard) = fresh_database(db).await;
    match try_start_settings(
        &url,
        Some(&format!("{CONFIG}\n{extra_config}")),
        None,
        false,
    )
    .await
    {
        Ok(_) => panic!("the server started with {extra_config}"),
        Err(e) => e,
    }
}

async fn start_settings(
    url: &str,
    config_text: Option<&str>,
    issuer: Option<&str>,
    demo: bool,
) -> TestServer {
    try_start_settings(url, config_text, issuer, demo)
        .await
        .unwrap()
}

async fn try_start_settings(
    url: &str,
    config_text: Option<&str>,
    issuer: Option<&str>,
    demo: bool,
) -> Result<TestServer, String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    start_listening(listener, url, config_text, issuer, demo).await
}

/// Start a server with extra config whose issuer (and base) is
/// `http://localhost:<port>`: browsers refuse IP addresses as WebAuthn
/// relying-party ids, so passkey tests run there.
pub async fn start_on_localhost(db: Db, extra_config: &str) -> TestServer {
    let (url, guard) = fresh_database(db).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://localhost:{}", listener.local_addr().unwrap().port());
    let config = format!("{CONFIG}\n{extra_config}");
    let mut s = start_listening(listener, &url, Some(&config), Some(&issuer), false)
        .await
        .unwrap();
    s.base = issuer;
    s._dir = guard;
    s
}

async fn start_listening(
    listener: tokio::net::TcpListener,
    url: &str,
    config_text: Option<&str>,
    issuer: Option<&str>,
    demo: bool,
) -> Result<TestServer, String> {
    let clock = Arc::new(OffsetClock::default());
    let settings = Settings {
        database_url: url.to_owned(),
        issuer: issuer.map(str::to_owned),
        ui_dir: ui_dir(),
        migrate: true,
        demo,
        config: config_text.map(|t| config::parse(t).unwrap()),
    };
    let running = portico_server::start(settings, listener, clock.clone()).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Ok(TestServer {
        base: format!("http://{}", running.addr),
        issuer: running.issuer.clone(),
        clock,
        http,
        database_url: url.to_owned(),
        running,
        _dir: None,
    })
}

pub fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

pub fn location(h: &HeaderMap) -> String {
    h.get(LOCATION)
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// The session cookie pair (`name=value`) from a response.
pub fn session_cookie(h: &HeaderMap) -> Option<String> {
    h.get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| {
            let (name, value) = v.split(';').next().unwrap().split_once('=').unwrap();
            name.ends_with("portico_session") && !value.is_empty()
        })
        .map(|v| v.split(';').next().unwrap().to_owned())
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn authorize_url(&self, params: &[(&str, &str)]) -> String {
        let mut u = url::Url::parse(&self.url("/oauth2/authorize")).unwrap();
        u.query_pairs_mut().extend_pairs(params);
        u.into()
    }

    /// GET /oauth2/authorize, optionally with a session cookie.
    pub async fn authorize(
        &self,
        params: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.http.get(self.authorize_url(params));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        req.send().await.unwrap()
    }

    /// GET a path of this server and read its JSON body.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn ui_post(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("x-portico-csrf", "1")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    pub async fn ui_post_with_cookie(
        &self,
        path: &str,
        body: serde_json::Value,
        cookie: &str,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .header("x-portico-csrf", "1")
            .header("cookie", cookie)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Authorize without a session, sign in on the UI API, and return the
    /// final redirect (to the client) and the session cookie.
    pub async fn login_flow(&self, params: &[(&str, &str)]) -> (String, String) {
        let r = self.authorize(params, None).await;
        assert_eq!(
            r.status(),
            302,
            "authorize should send the browser to the login screen"
        );
        let loc = location(r.headers());
        assert!(loc.starts_with("/login?request="), "{loc}");
        let request = loc.trim_start_matches("/login?request=").to_owned();
        let r = self
            .ui_post(
                "/api/ui/login",
                serde_json::json!({"request": request, "email": EMAIL, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), 200);
        let cookie = session_cookie(r.headers()).expect("a session cookie");
        let next: serde_json::Value = r.json().await.unwrap();
        (next["redirect_to"].as_str().unwrap().to_owned(), cookie)
    }

    /// A pending sign-up request of the `web` client (x_method=sign_up):
    /// accounts are only made on the way into an app.
    pub async fn sign_up_request(&self) -> String {
        let r = self
            .authorize(
                &[
                    ("client_id", "web"),
                    ("redirect_uri", CB),
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("state", "st"),
                    ("nonce", "n"),
                    ("x_method", "sign_up"),
                ],
                None,
            )
            .await;
        let to = location(r.headers());
        to.strip_prefix("/sign-up?request=")
            .unwrap_or_else(|| panic!("not the sign-up screen: {to}"))
            .to_owned()
    }

    /// Sign in on the UI API without a request; returns the session cookie.
    pub async fn sign_in(&self) -> String {
        let r = self
            .ui_post(
                "/api/ui/login",
                serde_json::json!({"email": EMAIL, "password": PASSWORD}),
            )
            .await;
        assert_eq!(r.status(), 200);
        session_cookie(r.headers()).expect("a session cookie")
    }

    pub async fn token(
        &self,
        form: &[(&str, &str)],
        basic: Option<(&str, &str)>,
    ) -> reqwest::Response {
        let mut req = self.http.post(self.url("/oauth2/token")).form(form);
        if let Some((id, secret)) = basic {
            req = req.basic_auth(id, Some(secret));
        }
        req.send().await.unwrap()
    }

    pub async fn userinfo(&self, token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/oauth2/userinfo"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn jwks(&self) -> jsonwebtoken::jwk::JwkSet {
        self.http
            .get(self.url("/.well-known/jwks.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Verify an id_token against the published JWKS with an independent
    /// JOSE library, checking iss and aud.
    pub async fn verify_id_token(&self, token: &str, aud: &str) -> serde_json::Value {
        let header = jsonwebtoken::decode_header(token).unwrap();
        let kid = header.kid.clone().expect("a kid in the header");
        let jwks = self.jwks().await;
        let jwk = jwks.find(&kid).expect("the kid is published");
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap();
        let mut v = jsonwebtoken::Validation::new(header.alg);
        v.set_audience(&[aud]);
        v.set_issuer(&[&self.issuer]);
        jsonwebtoken::decode::<serde_json::Value>(token, &key, &v)
            .unwrap()
            .claims
    }
}

/// The "Setup key" (RFC 4648 base32 in groups of four) as bytes.
pub fn setup_key_bytes(setup_key: &str) -> Vec<u8> {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buf, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in setup_key.bytes().filter(|c| *c != b' ') {
        let v = ALPHABET.iter().position(|a| *a == c).expect("base32") as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    out
}
