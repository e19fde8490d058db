//! The UI's JSON API (`/api/ui/...`), behind the CSRF guard.

use crate::AppState;
use crate::client_addr::{Peer, peer_ip};
use crate::web::pairs;
use crate::web::{self, api_error, no_store, set_cookie};
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_api_types::{
    ApiError, AuthorizeErrorInfo, ConsentRequest, ContinueRequest, DeviceCodeRequest,
    DeviceDecisionRequest, DeviceDone, EndSessionInfo, EndSessionRequest, FieldError, LoginRequest,
    NextStep, SessionInfo, SignUpRequest,
};
use portico_core::ErrorCode;
use portico_core::accounts::{self, AccountError};
use portico_core::authorize::Outcome;
use portico_core::device::{self, Attempt, CodeError};
use portico_core::model::User;
use portico_core::secret::Secret;

fn json_ok<T: serde::Serialize>(v: T) -> Response {
    let mut r = Json(v).into_response();
    no_store(&mut r);
    r
}

/// Where the browser goes after a screen: the client (a redirect or a
/// form post) or the next screen.
fn next_step(p: &portico_core::Provider, o: Outcome) -> Response {
    match o {
        Outcome::Redirect(url) => json_ok(NextStep::go(url)),
        // Through Portico's own relay page: the UI's CSP keeps its forms
        // on Portico ([`portico_core::authorize::relay`]).
        Outcome::FormPost(f) => {
            let f = portico_core::authorize::relay(p, &f);
            json_ok(NextStep {
                redirect_to: f.action,
                form_post: Some(f.fields),
            })
        }
        Outcome::Interaction { screen, request_id } => {
            json_ok(NextStep::go(screen.path(&request_id)))
        }
        Outcome::ErrorPage(e) => core_error(&e),
    }
}

fn bad_body(e: &JsonRejection) -> Response {
    // Keep the rejection's status where it says more than 400 (413 for a
    // body over the limit, 415 for a missing JSON content type).
    let status = match e.status() {
        s if s.is_client_error() => s,
        _ => StatusCode::BAD_REQUEST,
    };
    let (code, message) = if status == StatusCode::PAYLOAD_TOO_LARGE {
        (
            "body_too_large",
            "The request body is too large.".to_owned(),
        )
    } else {
        (
            "invalid_body",
            format!("The request body is not valid: {}", e.body_text()),
        )
    };
    api_error(status, code, &message)
}

fn core_error(e: &portico_core::OAuthError) -> Response {
    let status = match e.code {
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::LoginRequired => StatusCode::UNAUTHORIZED,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut r = api_error(status, e.code.as_str(), e.description());
    if let Some(secs) = e.retry_after
        && let Ok(v) = axum::http::HeaderValue::from_str(&secs.to_string())
    {
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    r
}

pub async fn auth_request(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match portico_core::authorize::describe(&state.provider, &id).await {
        Ok(info) => json_ok(info),
        Err(e) if e.code == ErrorCode::ServerError => core_error(&e),
        Err(e) => api_error(StatusCode::NOT_FOUND, "request_not_found", e.description()),
    }
}

pub async fn session_info(state: &AppState, headers: &HeaderMap) -> Result<SessionInfo, Response> {
    let Some(s) = web::session(state, headers).await? else {
        return Ok(SessionInfo {
            signed_in: false,
            email: None,
            name: None,
        });
    };
    let user = state
        .provider
        .store
        .user_by_id(&s.user_id)
        .await
        .map_err(|e| core_error(&e.into()))?;
    Ok(match user {
        Some(u) => SessionInfo {
            signed_in: true,
            email: Some(u.email),
            name: Some(u.name),
        },
        None => SessionInfo {
            signed_in: false,
            email: None,
            name: None,
        },
    })
}

pub async fn session(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match session_info(&state, &headers).await {
        Ok(i) => json_ok(i),
        Err(r) => r,
    }
}

/// The UI pages a sign-in without a request may return to. Only these
/// fixed paths (with a plain query) are honoured, so `return_to` can never
/// send the browser to another site.
const RETURN_PAGES: [&str; 1] = ["/device"];

fn return_path(return_to: Option<&str>) -> Option<&str> {
    let r = return_to?;
    let (path, query) = r.split_once('?').unwrap_or((r, ""));
    let plain = query
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.=&%+".contains(&b));
    (RETURN_PAGES.contains(&path) && plain).then_some(r)
}

/// Start a session for `user` and, when the sign-in belongs to an
/// authorization request, finish it: the answer names the next URL.
async fn signed_in(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    request: Option<&str>,
    return_to: Option<&str>,
) -> Response {
    let p = &state.provider;
    // The browser's earlier session, if any, never outlives this one.
    let earlier = state.cookies.read(headers);
    let started = accounts::start_session(p, &user.id, p.now(), earlier.as_deref()).await;
    let (cookie, sess) = match started {
        Ok(v) => v,
        Err(e) => return core_error(&e),
    };
    let mut r = match request {
        Some(id) => match portico_core::authorize::complete(p, id, &sess, true).await {
            Ok(o) => next_step(p, o),
            Err(e) => core_error(&e),
        },
        None => json_ok(NextStep::go(return_path(return_to).unwrap_or("/"))),
    };
    set_cookie(&mut r, state.cookies.set(&cookie, p.config.session_ttl));
    r
}

pub async fn login(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Json<LoginRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(&e),
    };
    match accounts::login(
        &state.provider,
        &req.email,
        Secret::new(req.password),
        peer_ip(peer),
    )
    .await
    {
        Ok(user) => {
            signed_in(
                &state,
                &headers,
                &user,
                req.request.as_deref(),
                req.return_to.as_deref(),
            )
            .await
        }
        Err(AccountError::InvalidCredentials) => {
            tracing::info!("sign-in failed: wrong email or password");
            api_error(
                StatusCode::UNAUTHORIZED,
                "invalid_credentials",
                "The email or password is not right.",
            )
        }
        Err(AccountError::Locked(wait)) => {
            tracing::warn!("sign-in refused: locked after repeated failures");
            too_many(
                wait,
                "Too many failed sign-ins. Wait {minutes} and try again.",
            )
        }
        Err(AccountError::Server(e)) => core_error(&e),
        Err(other) => {
            tracing::error!(?other, "unexpected sign-in outcome");
            api_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "Something went wrong. Try again.",
            )
        }
    }
}

/// `GET /api/ui/theme?request=&ui_locales=`: the look and language of
/// the screens for the entrypoint behind the request.
pub async fn theme(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let q = pairs(q.unwrap_or_default().as_bytes());
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let accept = headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    match portico_core::entrypoint::theme_info(
        &state.provider,
        get("request"),
        get("ui_locales"),
        accept,
    )
    .await
    {
        Ok(t) => json_ok(t),
        Err(e) => core_error(&e),
    }
}

pub async fn sign_up(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Json<SignUpRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(&e),
    };
    let form = accounts::NewAccount {
        name: &req.name,
        email: &req.email,
        password: Secret::new(req.password),
        phone_number: req.phone_number.as_deref(),
        birthdate: req.birthdate.as_deref(),
        accept_terms: req.accept_terms,
    };
    match accounts::sign_up(&state.provider, req.request.as_deref(), form, peer_ip(peer)).await {
        Ok(user) => {
            signed_in(
                &state,
                &headers,
                &user,
                req.request.as_deref(),
                req.return_to.as_deref(),
            )
            .await
        }
        Err(AccountError::Invalid(fields)) => {
            let body = ApiError {
                error: "validation_failed".into(),
                message: "Some fields need your attention.".into(),
                field_errors: fields
                    .into_iter()
                    .map(|f| FieldError {
                        field: f.field.into(),
                        code: f.code.into(),
                        message: f.message,
                    })
                    .collect(),
            };
            (StatusCode::BAD_REQUEST, Json(body)).into_response()
        }
        Err(AccountError::EmailTaken) => {
            let body = ApiError {
                error: "email_taken".into(),
                message: "An account with this email already exists.".into(),
                field_errors: vec![FieldError {
                    field: "email".into(),
                    code: "email_taken".into(),
                    message: "This email is already registered. Sign in instead.".into(),
                }],
            };
            (StatusCode::CONFLICT, Json(body)).into_response()
        }
        Err(AccountError::Server(e)) => core_error(&e),
        Err(AccountError::SignUpNotOffered) => api_error(
            StatusCode::FORBIDDEN,
            "sign_up_not_offered",
            "New accounts cannot be created here. Sign in instead.",
        ),
        Err(AccountError::RequestRequired) => api_error(
            StatusCode::BAD_REQUEST,
            "sign_up_needs_request",
            "Start from the app you want to use: accounts are created on its way in.",
        ),
        Err(AccountError::Locked(wait)) => too_many(
            wait,
            "Too many sign-up attempts from your network. Wait {minutes} and try again.",
        ),
        Err(AccountError::InvalidCredentials) => api_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "Could not sign up.",
        ),
    }
}

/// The browser's session, or the 401 answer for a screen that needs one.
async fn signed_in_session(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<portico_core::model::Session, Response> {
    match web::session(state, headers).await? {
        Some(s) => Ok(s),
        None => Err(api_error(
            StatusCode::UNAUTHORIZED,
            "login_required",
            "Sign in first.",
        )),
    }
}

pub async fn continue_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ContinueRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(&e),
    };
    let sess = match signed_in_session(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match portico_core::authorize::complete(&state.provider, &req.request, &sess, false).await {
        Ok(o) => next_step(&state.provider, o),
        Err(e) => core_error(&e),
    }
}

pub async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<ConsentRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(&e),
    };
    let sess = match signed_in_session(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match portico_core::authorize::consent(&state.provider, &req.request, &sess, req.allow).await {
        Ok(o) => next_step(&state.provider, o),
        Err(e) => core_error(&e),
    }
}

pub async fn cancel(
    State(state): State<AppState>,
    body: Result<Json<ContinueRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(&e),
    };
    match portico_core::authorize::cancel(
        &state.provider,
        &req.request,
        "the user cancelled the sign-in",
    )
    .await
    {
        Ok(o) => next_step(&state.provider, o),
        Err(e) => core_error(&e),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(c) = state.cookies.read(&headers)
        && let Err(e) = accounts::end_session(&state.provider, &c).await
    {
        return core_error(&e);
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut r, state.cookies.clear());
    r
}

pub async fn authorize_error(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let e = portico_core::authorize::explain_error(
        &state.provider,
        &pairs(q.unwrap_or_default().as_bytes()),
    )
    .await;
    json_ok(AuthorizeErrorInfo {
        error: e.code.as_str().into(),
        error_description: e.description().to_owned(),
    })
}

/// HTTP 429 with Retry-After; `{minutes}` in the message becomes the wait
/// in words ("1 minute", "3 minutes").
fn too_many(wait: i64, message: &str) -> Response {
    let minutes = (wait + 59) / 60;
    let words = format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" });
    let mut r = api_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        &message.replace("{minutes}", &words),
    );
    if let Ok(v) = axum::http::HeaderValue::from_str(&wait.to_string()) {
        r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
    }
    r
}

fn code_error(e: CodeError) -> Response {
    let field = |code: &str, message: &str| {
        let body = ApiError {
            error: code.into(),
            message: message.into(),
            field_errors: vec![FieldError {
                field: "user_code".into(),
                code: code.into(),
                message: message.into(),
            }],
        };
        (StatusCode::BAD_REQUEST, Json(body)).into_response()
    };
    match e {
        CodeError::Throttled(wait) => too_many(
            wait,
            "Too many codes were tried. Wait {minutes} and try again.",
        ),
        CodeError::Invalid => field(
            "invalid_code",
            "That code is not right. Check the code on your device and try again.",
        ),
        CodeError::Expired => field(
            "expired_code",
            "That code has expired. Start again on your device to get a new code.",
        ),
        CodeError::Used => field(
            "used_code",
            "That code has already been used. Start again on your device to get a new code.",
        ),
        CodeError::Server(e) => core_error(&e),
    }
}

/// The signed-in session and client address of a device page request, or
/// the answer for a bad body or a missing session.
async fn device_attempt<T>(
    state: &AppState,
    peer: Peer,
    headers: &HeaderMap,
    body: Result<Json<T>, JsonRejection>,
) -> Result<(T, portico_core::model::Session, Option<std::net::IpAddr>), Response> {
    let Json(req) = body.map_err(|e| bad_body(&e))?;
    let sess = signed_in_session(state, headers).await?;
    Ok((req, sess, peer_ip(peer)))
}

/// `POST /api/ui/device/lookup`: the device page's "Continue".
pub async fn device_lookup(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Json<DeviceCodeRequest>, JsonRejection>,
) -> Response {
    let (req, session, ip) = match device_attempt(&state, peer, &headers, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let who = Attempt {
        session: &session,
        ip,
    };
    match device::lookup(&state.provider, who, &req.user_code).await {
        Ok(info) => json_ok(info),
        Err(e) => code_error(e),
    }
}

/// `POST /api/ui/device/decide`: "Allow" or "Don't allow" for a device.
pub async fn device_decide(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    body: Result<Json<DeviceDecisionRequest>, JsonRejection>,
) -> Response {
    let (req, session, ip) = match device_attempt(&state, peer, &headers, body).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let who = Attempt {
        session: &session,
        ip,
    };
    match device::decide(&state.provider, who, &req.user_code, req.allow).await {
        Ok(allowed) => json_ok(DeviceDone { allowed }),
        Err(e) => code_error(e),
    }
}

/// `GET /api/ui/end-session?<logout query>`: what the "Sign out?" screen
/// shows, or why the logout request is refused.
pub async fn end_session_info(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let sess = match web::session(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let params = pairs(q.unwrap_or_default().as_bytes());
    match portico_core::logout::plan(&state.provider, &params, sess.as_ref()).await {
        Ok(plan) => json_ok(EndSessionInfo {
            client_name: plan.client_name,
        }),
        Err(e) => core_error(&e),
    }
}

/// `POST /api/ui/end-session`: "Sign out" on the screen. Ends the session,
/// revokes what it granted, and names where to go.
pub async fn end_session_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<EndSessionRequest>, JsonRejection>,
) -> Response {
    let Json(req) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(&e),
    };
    let sess = match web::session(&state, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let params = pairs(req.query.trim_start_matches('?').as_bytes());
    let plan = match portico_core::logout::plan(&state.provider, &params, sess.as_ref()).await {
        Ok(p) => p,
        Err(e) => return core_error(&e),
    };
    if let Some(c) = state.cookies.read(&headers)
        && let Err(e) = accounts::end_session(&state.provider, &c).await
    {
        return core_error(&e);
    }
    let mut r = json_ok(NextStep::go(plan.redirect.unwrap_or_else(|| "/".into())));
    set_cookie(&mut r, state.cookies.clear());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_pages_are_returned_to() {
        assert_eq!(return_path(Some("/device")), Some("/device"));
        assert_eq!(
            return_path(Some("/device?user_code=BCDF-GHJK")),
            Some("/device?user_code=BCDF-GHJK")
        );
        for bad in [
            "https://evil.example/device",
            "//evil.example/device",
            "/device/../x",
            "/\\evil.example",
            "/devices",
            "/device?x=<script>",
            "/device?next=//evil",
            "/",
        ] {
            assert_eq!(return_path(Some(bad)), None, "{bad}");
        }
        assert_eq!(return_path(None), None);
    }
}
