//! HTTP hardening: security headers on every response, request size
//! limits and timeouts (the header deadline is enforced by
//! [`super::listener`]), and the CSRF guard of the UI API.

use super::error::Error;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::Method;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use portico_api_types::codes;
use portico_api_types::{CSRF_HEADER, CSRF_HEADER_VALUE};
use std::time::Duration;

/// Static files whose names carry no content hash (the passkey glue in
/// `/public/`, wasm-bindgen's snippets): a browser must ask again before
/// reusing them, or it may keep an old copy after an upgrade. Trunk's
/// hashed files keep the default (their name changes with their content).
pub async fn revalidate_unhashed(req: Request, next: Next) -> Response {
    let unhashed = {
        let path = req.uri().path();
        path.starts_with("/public/") || path.starts_with("/snippets/")
    };
    let mut r = next.run(req).await;
    if unhashed {
        r.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        );
    }
    r
}

/// Largest request body (forms and the UI's JSON); larger gets 413.
pub const MAX_BODY: usize = 64 * 1024;
/// Longest request target (path and query); longer gets 414. Requests too
/// big for a URL belong in PAR (RFC 9126).
pub const MAX_URI: usize = 8 * 1024;
/// Time to answer a request once its headers are in, body included;
/// slower gets 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Time a client has to send its request headers (slow-loris defence).
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The UI's policy: scripts only from Portico itself (the WebAssembly
/// module needs 'wasm-unsafe-eval', nothing needs 'unsafe-eval' or inline
/// script), styles from Portico's stylesheet (themes set custom properties
/// through the CSSOM, which CSP allows), images also from https and data:
/// (entrypoint logos and backgrounds), no framing anywhere.
pub const UI_CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' https: data:; font-src 'self'; connect-src 'self'; \
     manifest-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Everything else (JSON, redirects, assets): nothing may load or frame.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'";

/// The CSP source (`'sha256-…'`) that allows exactly this inline text.
pub fn sha256_source(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// Whether responses carry HSTS: only when the issuer is https (a plain
/// http issuer is a development set-up, and HSTS there would be ignored).
#[derive(Clone, Copy, Debug)]
pub struct Policy {
    pub hsts: bool,
}

impl Policy {
    pub fn for_issuer(issuer: &str) -> Self {
        Self {
            hsts: issuer.starts_with("https://"),
        }
    }
}

/// Refuse over-long request targets, then add the security headers a
/// handler did not set itself (the form_post page sets a tighter CSP).
pub async fn security_headers(State(policy): State<Policy>, req: Request, next: Next) -> Response {
    let target_len = req.uri().path_and_query().map_or(0, |pq| pq.as_str().len());
    let mut r = if target_len > MAX_URI {
        let msg = format!(
            "the request target is longer than {MAX_URI} bytes; push long authorization requests with PAR"
        );
        (StatusCode::URI_TOO_LONG, msg).into_response()
    } else {
        next.run(req).await
    };
    let html = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let h = r.headers_mut();
    let mut default = |name: HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    default(CONTENT_SECURITY_POLICY, if html { UI_CSP } else { API_CSP });
    default(X_FRAME_OPTIONS, "DENY");
    default(REFERRER_POLICY, "no-referrer");
    default(X_CONTENT_TYPE_OPTIONS, "nosniff");
    if html {
        default(
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        );
    }
    if policy.hsts {
        default(
            STRICT_TRANSPORT_SECURITY,
            "max-age=31536000; includeSubDomains",
        );
    }
    r
}

/// CSRF defence for the UI JSON API: state-changing requests must carry the
/// custom header (which no cross-site form or simple request can set without
/// a CORS preflight, and Portico answers no preflight), and when the browser
/// says where the request comes from, it must be this origin.
pub async fn csrf_guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() == Method::GET
        || req.method() == Method::HEAD
        || same_origin(&state, req.headers())
    {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-site request to the UI API refused");
        csrf_refusal().into_response()
    }
}

/// Whether a request carries the CSRF header and, where the browser says
/// where it comes from, comes from this origin.
pub fn same_origin(state: &AppState, h: &axum::http::HeaderMap) -> bool {
    let header_ok = h.get(CSRF_HEADER).is_some_and(|v| v == CSRF_HEADER_VALUE);
    let origin_ok = h
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|o| o == state.cookies.origin);
    let site_ok = h
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_none_or(|s| s == "same-origin");
    header_ok && origin_ok && site_ok
}

pub fn csrf_refusal() -> Error {
    Error::api(
        StatusCode::FORBIDDEN,
        codes::CSRF,
        "This request did not come from Portico's own pages.",
    )
}
