//! The protocol endpoints: authorize, token, userinfo, discovery, JWKS.

use crate::AppState;
use crate::http::error::{Error, json, no_store};
use crate::http::extract::{BackChannel, MaybeSignedIn, form_ok, not_a_form, pairs};
use crate::http::pages::screen_path;
use crate::http::security::sha256_source;
use crate::http::session::{self, set_cookie};
use crate::http::shell::spa_shell;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_api_types::routes::pages;
use portico_core::ErrorCode;
use portico_core::OAuthError;
use portico_core::endpoints::authorize::{FormPost, Outcome, authorize as core_authorize};

fn found(location: &str) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    match HeaderValue::from_str(location) {
        Ok(v) => {
            r.headers_mut().insert(LOCATION, v);
        }
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
    no_store(&mut r);
    r
}

/// `GET /oauth2/authorize` (and `/oauth2/auth`).
pub async fn authorize(
    State(state): State<AppState>,
    MaybeSignedIn(session): MaybeSignedIn,
    RawQuery(q): RawQuery,
) -> Response {
    let params = pairs(q.unwrap_or_default().as_bytes());
    match core_authorize(&state.provider, &params, session.as_ref()).await {
        Outcome::Redirect(url) => found(&url),
        Outcome::FormPost(f) => form_post(&f),
        Outcome::Interaction { screen, request_id } => found(&screen_path(screen, &request_id)),
        Outcome::ErrorPage(e) => {
            tracing::info!(error = %e.code, "authorization request refused without redirect");
            let status = match e.code {
                ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            };
            spa_shell(&state, status)
        }
    }
}

/// `POST /oauth2/form-post`: the hosted UI hands back a signed form_post
/// answer ([`portico_core::endpoints::authorize::relay`]) and gets the page that posts
/// it on to the client. Only answers Portico signed, unexpired, are served.
pub async fn form_post_relay(State(state): State<AppState>, body: Bytes) -> Response {
    match portico_core::endpoints::authorize::unrelay(&state.provider, &pairs(&body)) {
        Ok(f) => form_post(&f),
        Err(e) => {
            tracing::info!("a form_post relay was refused");
            let mut r = (StatusCode::BAD_REQUEST, e.description().to_owned()).into_response();
            no_store(&mut r);
            r
        }
    }
}

/// The self-submitting form of response_mode=form_post (OAuth 2.0 Form Post
/// Response Mode §2). Its one script is allowed by hash in the page's CSP,
/// and a "Continue" button covers browsers without script.
fn form_post(f: &FormPost) -> Response {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let inputs: String = f
        .fields
        .iter()
        .map(|(k, v)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                esc(k),
                esc(v)
            )
        })
        .collect();
    let html = format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Continuing…</title></head><body><form method="post" action="{}">{inputs}<noscript><p>Your browser does not run scripts. Press Continue to go back to the application.</p></noscript><button type="submit">Continue</button></form><script>{FORM_POST_SCRIPT}</script></body></html>"#,
        esc(&f.action)
    );
    let mut r = (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        )],
        html,
    )
        .into_response();
    let csp = format!(
        "default-src 'none'; script-src {}; form-action {}; frame-ancestors 'none'; base-uri 'none'",
        sha256_source(FORM_POST_SCRIPT),
        csp_source(&f.action)
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        r.headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, v);
    }
    r.headers_mut().insert(
        axum::http::header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    no_store(&mut r);
    r
}

const FORM_POST_SCRIPT: &str = "document.forms[0].submit()";

/// The origin of the form's target, as a CSP source (scheme://host:port).
fn csp_source(action: &str) -> String {
    url::Url::parse(action)
        .map(|u| u.origin().ascii_serialization())
        .ok()
        .filter(|o| o != "null")
        .unwrap_or_else(|| "'none'".into())
}

/// `POST /oauth2/token`.
pub async fn token(State(state): State<AppState>, bc: BackChannel) -> Response {
    json_answer(
        portico_core::endpoints::token::token(&state.provider, bc.auth(), &bc.form, bc.from).await,
    )
}

/// A core answer as JSON (never cached), or its RFC 6749 error.
fn json_answer<T: serde::Serialize>(r: Result<T, OAuthError>) -> Response {
    r.map(json).map_err(Error::OAuth).into_response()
}

/// `POST /oauth2/device_authorization` (RFC 8628 §3.1).
pub async fn device_authorization(State(state): State<AppState>, bc: BackChannel) -> Response {
    let p = &state.provider;
    json_answer(
        portico_core::endpoints::device::authorize_device(p, bc.auth(), &bc.form, bc.from).await,
    )
}

/// `GET/POST /oauth2/logout` (OIDC RP-Initiated Logout 1.0). With an
/// id_token_hint for the signed-in user (or nobody signed in) the session
/// ends at once; otherwise the "Sign out?" screen asks, and it also shows
/// any error (never a redirect to an unchecked URI).
pub async fn end_session(
    State(state): State<AppState>,
    headers: HeaderMap,
    method: axum::http::Method,
    RawQuery(q): RawQuery,
    body: Bytes,
) -> Result<Response, Error> {
    let raw = if method == axum::http::Method::POST {
        if !form_ok(&headers) {
            return Err(not_a_form());
        }
        String::from_utf8_lossy(&body).into_owned()
    } else {
        q.unwrap_or_default()
    };
    let params = pairs(raw.as_bytes());
    let cookie = state.cookies.read(&headers);
    let session = session::current(&state, &headers).await?;
    let plan =
        portico_core::endpoints::end_session::plan(&state.provider, &params, session.as_ref())
            .await;
    match plan {
        Ok(plan) if plan.confirmed || session.is_none() => {
            if let Some(c) = cookie
                && let Err(e) =
                    portico_core::services::accounts::end_session(&state.provider, &c).await
            {
                return Err(Error::OAuth(e));
            }
            let mut r = found(plan.redirect.as_deref().unwrap_or("/"));
            set_cookie(&mut r, state.cookies.clear());
            Ok(r)
        }
        // Ask first, or explain the error: the screen calls the UI API.
        _ => {
            let shown: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&params)
                .finish();
            Ok(found(&format!("{}?{shown}", pages::LOGOUT)))
        }
    }
}

/// `POST /oauth2/par` (RFC 9126): 201 with request_uri and expires_in.
pub async fn par(State(state): State<AppState>, bc: BackChannel) -> Response {
    let mut r = json_answer(
        portico_core::endpoints::authorize::par::push(
            &state.provider,
            bc.auth(),
            &bc.form,
            bc.from,
        )
        .await,
    );
    if r.status() == StatusCode::OK {
        *r.status_mut() = StatusCode::CREATED;
    }
    r
}

/// `GET/POST /oauth2/userinfo` with a Bearer token (RFC 6750 §2.1).
pub async fn userinfo(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let token = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let token = token.ok_or(Error::Bearer(None))?;
    match portico_core::endpoints::userinfo::userinfo(&state.provider, token).await {
        Ok(v) => Ok(json(v)),
        Err(e) => Err(Error::Bearer(Some(e))),
    }
}

/// `POST /oauth2/introspect` (RFC 7662).
pub async fn introspect(State(state): State<AppState>, bc: BackChannel) -> Response {
    let p = &state.provider;
    json_answer(
        portico_core::endpoints::introspect::introspect(p, bc.auth(), &bc.form, bc.from).await,
    )
}

/// `POST /oauth2/revoke` (RFC 7009): 200 with an empty body on success.
pub async fn revoke(State(state): State<AppState>, bc: BackChannel) -> Response {
    let p = &state.provider;
    match portico_core::endpoints::revoke::revoke(p, bc.auth(), &bc.form, bc.from).await {
        Ok(()) => {
            let mut r = StatusCode::OK.into_response();
            no_store(&mut r);
            r
        }
        Err(e) => Error::OAuth(e).into_response(),
    }
}

pub async fn discovery(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(portico_core::endpoints::discovery::metadata(
        &state.provider,
    ))
}

pub async fn jwks(State(state): State<AppState>) -> Response {
    let mut r = Json(state.provider.jwks()).into_response();
    // Key rotation counts on this: a new key is published
    // `services::keys::PREPUBLISH` seconds before it signs, longer than
    // this cache lasts.
    const _: () = assert!(portico_core::infra::jose::JWKS_MAX_AGE == 300);
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    r
}
