//! HTTP helpers: the built UI, the session cookie, CSRF defence, error bodies.

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderMap, HeaderValue, PRAGMA, SET_COOKIE,
};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portico_api_types::{ApiError, CSRF_HEADER, CSRF_HEADER_VALUE};
use portico_core::model::Session;
use std::path::Path;

/// The UI's index.html, read once at start (the SPA shell every screen
/// uses), with Trunk's inline start-up script moved out to [`BOOT_PATH`] so
/// the page's CSP needs no inline script at all.
pub struct Ui {
    pub index_html: String,
    pub boot_js: Option<String>,
}

/// Where the UI's start-up module is served.
pub const BOOT_PATH: &str = "/portico-boot.js";

/// Move the first inline `<script type="module">` out of `html`: the page
/// with a `src` reference instead, and the script. Trunk writes its loader
/// inline and has no option to write it to a file (written by hand: a
/// targeted rewrite of Trunk's known output, not an HTML parser).
pub fn externalize_boot(html: &str) -> (String, Option<String>) {
    const OPEN: &str = "<script type=\"module\">";
    let Some(start) = html.find(OPEN) else {
        return (html.to_owned(), None);
    };
    let body_start = start + OPEN.len();
    let Some(len) = html[body_start..].find("</script>") else {
        return (html.to_owned(), None);
    };
    let script = html[body_start..body_start + len].to_owned();
    let page = format!(
        "{}<script type=\"module\" src=\"{BOOT_PATH}\"></script>{}",
        &html[..start],
        &html[body_start + len + "</script>".len()..]
    );
    (page, Some(script))
}

impl Ui {
    pub fn load(dir: &Path) -> Self {
        let raw = std::fs::read_to_string(dir.join("index.html")).unwrap_or_else(|_| {
            tracing::warn!(dir = %dir.display(), "the UI is not built; screens will show a placeholder");
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Portico</title></head>\
             <body><main><h1>Portico</h1><p>The login UI has not been built. Run the README's run command.</p></main></body></html>"
                .to_owned()
        });
        let (index_html, boot_js) = externalize_boot(&raw);
        Self {
            index_html,
            boot_js,
        }
    }
}

/// `GET /portico-boot.js`: the UI's start-up module. Not cached: it names
/// the hashed wasm and JS files of the current build.
pub async fn boot_js(State(state): State<AppState>) -> Response {
    let Some(js) = state.ui.boot_js.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = (
        [(CONTENT_TYPE, HeaderValue::from_static("text/javascript"))],
        js,
    )
        .into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// Every SPA route (and `/index.html` itself) gets the rewritten shell.
pub async fn spa(State(state): State<AppState>) -> Response {
    spa_shell(&state, StatusCode::OK)
}

/// The SPA shell with a status (400 for authorize errors that cannot redirect).
pub fn spa_shell(state: &AppState, status: StatusCode) -> Response {
    let mut r = (status, state.ui.index_html.clone()).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    no_store(&mut r);
    r
}

pub fn no_store(r: &mut Response) {
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

#[derive(Clone, Debug)]
pub struct CookieSettings {
    pub name: &'static str,
    pub secure: bool,
    pub origin: String,
}

impl CookieSettings {
    /// Secure cookies unless the issuer is plain-HTTP localhost.
    pub fn for_issuer(issuer: &str) -> Self {
        let u = url::Url::parse(issuer).ok();
        let local_http = u.as_ref().is_some_and(|u| {
            u.scheme() == "http"
                && matches!(
                    u.host_str(),
                    Some("localhost") | Some("127.0.0.1") | Some("[::1]")
                )
        });
        let origin = u
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        if local_http {
            Self {
                name: "portico_session",
                secure: false,
                origin,
            }
        } else {
            Self {
                name: "__Host-portico_session",
                secure: true,
                origin,
            }
        }
    }

    pub fn set(&self, value: &str, max_age: i64) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let v = format!(
            "{}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}",
            self.name
        );
        HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    pub fn clear(&self) -> HeaderValue {
        let secure = if self.secure { "; Secure" } else { "" };
        let v = format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            self.name
        );
        HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The session cookie's value, if the request carries one.
    pub fn read(&self, headers: &HeaderMap) -> Option<String> {
        headers
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == self.name)
            .map(|(_, v)| v.to_owned())
    }
}

/// A form body or query as name/value pairs (repeats kept, so callers can
/// refuse them).
pub(crate) fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// The live SSO session of the request, if any.
pub async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<Session>, Response> {
    let Some(cookie) = state.cookies.read(headers) else {
        return Ok(None);
    };
    portico_core::accounts::session_from_cookie(&state.provider, &cookie)
        .await
        .map_err(|e| {
            api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.code.as_str(),
                e.description(),
            )
        })
}

pub fn set_cookie(r: &mut Response, v: HeaderValue) {
    r.headers_mut().append(SET_COOKIE, v);
}

pub fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (
        status,
        axum::Json(ApiError {
            error: code.into(),
            message: message.into(),
            field_errors: vec![],
        }),
    )
        .into_response();
    no_store(&mut r);
    r
}

/// CSRF defence for the UI JSON API: state-changing requests must carry the
/// custom header (which no cross-site form or simple request can set without
/// a CORS preflight, and Portico answers no preflight), and when the browser
/// says where the request comes from, it must be this origin.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::GET || req.method() == Method::HEAD {
        return next.run(req).await;
    }
    let h = req.headers();
    let header_ok = h.get(CSRF_HEADER).is_some_and(|v| v == CSRF_HEADER_VALUE);
    let origin_ok = h
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|o| o == state.cookies.origin);
    let site_ok = h
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|s| s == "same-origin");
    if header_ok && origin_ok && site_ok {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-site request to the UI API refused");
        api_error(
            StatusCode::FORBIDDEN,
            "csrf",
            "This request did not come from Portico's own pages.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_script_moves_out_of_the_page() {
        let page = "<head><link rel=x>\n<script type=\"module\">\nimport init from '/a.js';\nawait init();\n</script><link rel=y></head>";
        let (html, js) = externalize_boot(page);
        assert_eq!(
            html,
            "<head><link rel=x>\n<script type=\"module\" src=\"/portico-boot.js\"></script><link rel=y></head>"
        );
        assert_eq!(
            js.as_deref(),
            Some("\nimport init from '/a.js';\nawait init();\n")
        );
        let plain = "<head></head>";
        assert_eq!(externalize_boot(plain), (plain.to_owned(), None));
    }

    #[test]
    fn localhost_http_cookies_are_not_secure_others_are() {
        let c = CookieSettings::for_issuer("http://127.0.0.1:8080");
        assert!(!c.secure);
        assert_eq!(c.origin, "http://127.0.0.1:8080");
        let c = CookieSettings::for_issuer("https://id.example.com");
        assert!(c.secure);
        assert!(c.set("v", 10).to_str().unwrap().contains("; Secure"));
        assert!(c.name.starts_with("__Host-"));
    }

    #[test]
    fn cookie_is_http_only_and_lax() {
        let c = CookieSettings::for_issuer("http://localhost:1");
        let v = c.set("abc", 60);
        let s = v.to_str().unwrap();
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax") && s.contains("Path=/"));
    }

    #[test]
    fn cookie_is_read_among_others() {
        let c = CookieSettings::for_issuer("http://localhost:1");
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; portico_session=xyz; b=2"),
        );
        assert_eq!(c.read(&h).as_deref(), Some("xyz"));
    }
}
