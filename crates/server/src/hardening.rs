//! HTTP hardening: security headers on every response, request size
//! limits, timeouts, and the accept loop that bounds how long a client may
//! take to send its headers.

use crate::client_addr::{ClientAddr, TrustedProxies};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

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

/// Serve `app` on `listener`. This is `axum::serve` plus what it lacks: a
/// deadline for the request headers (hyper enforces it once it has a
/// timer) and a cap on the header buffer. The peer address goes into the
/// request as `ConnectInfo`, as `into_make_service_with_connect_info` does,
/// and the client's address (behind `proxies`) as [`ClientAddr`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    proxies: std::sync::Arc<TrustedProxies>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_URI + 56 * 1024);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait, do not spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let app = app.clone();
        let http = http.clone();
        let proxies = proxies.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let mut req = req.map(Body::new);
                let client = ClientAddr(proxies.client(peer.ip(), req.headers()));
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req.extensions_mut().insert(client);
                app.clone().oneshot(req)
            });
            if let Err(e) = http
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}
