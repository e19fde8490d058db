//! The UI's JSON API (`/api/ui/...`), behind the CSRF guard.

use crate::AppState;
use crate::http::client_addr::{Peer, peer_ip};
use crate::http::error::{Error, json};
use crate::http::extract::{MaybeSignedIn, SignedIn, UiJson, accept_language, pairs};
use crate::http::session::set_cookie;
use crate::http::sign_in::{Answer, next_step, signed_in};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_api_types::codes;
use portico_api_types::routes::pages;
use portico_api_types::{
    ApiError, AuthorizeErrorInfo, ConsentRequest, ContinueRequest, DeviceCodeRequest,
    DeviceDecisionRequest, DeviceDone, EndSessionInfo, EndSessionRequest, FieldError, LoginRequest,
    NextStep, SessionInfo, SignUpRequest, VerifyEmailRequest,
};
use portico_core::endpoints::device::verify::{self, Attempt, CodeError};
use portico_core::protocol::secret::Secret;
use portico_core::protocol::types::amr;
use portico_core::services::accounts::{self, AccountError, SignedUp};
use portico_core::services::verification::{self, VerifyError};

/// `POST /api/ui/verify-email/resend` (signed in): a new code for the
/// account's unverified address ("verify later"). A verified address gets
/// the same answer and no mail.
pub async fn verify_email_resend(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    SignedIn(sess): SignedIn,
) -> Answer {
    let p = &state.provider;
    if !p.config.mail {
        return Err(Error::mail_off());
    }
    let user = p
        .store
        .user_by_id(&sess.user_id)
        .await
        .map_err(|e| Error::Core(e.into()))?;
    if let Some(user) = user.filter(|u| !u.email_verified) {
        verification::send_code(p, &user, None, peer_ip(peer), accept_language(&headers))
            .await
            .map_err(Error::Core)?;
    }
    Ok(json(portico_api_types::MailAccepted { accepted: true }))
}

/// `POST /api/ui/verify-email`: the typed code (then signed in, and on with
/// the request) or the mailed link (then on to sign in).
pub async fn verify_email(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    UiJson(req): UiJson<VerifyEmailRequest>,
) -> Answer {
    let p = &state.provider;
    if !p.config.mail {
        return Err(Error::mail_off());
    }
    let by_link = req.token.is_some();
    let outcome = match (&req.token, &req.code, &req.email) {
        (Some(t), _, _) => verification::verify_link(p, t).await,
        (None, Some(c), Some(e)) => verification::verify_code(p, e, c, peer_ip(peer)).await,
        _ => {
            return Err(Error::api(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                "Send the code with the address it went to, or the link's token.",
            ));
        }
    };
    match outcome {
        Ok(v) if by_link => Ok(json(NextStep::go(match v.request {
            Some(r) => format!("{}?request={r}", pages::LOGIN),
            None => pages::LOGIN.to_owned(),
        }))),
        Ok(v) => {
            signed_in(
                &state,
                &headers,
                &v.user,
                v.request.as_deref(),
                None,
                peer_ip(peer),
                &[amr::PWD],
            )
            .await
        }
        Err(VerifyError::InvalidCode) => Err(Error::api(
            StatusCode::BAD_REQUEST,
            codes::INVALID_VERIFICATION_CODE,
            "That code is not right or has expired.",
        )),
        Err(VerifyError::InvalidLink) => Err(Error::api(
            StatusCode::BAD_REQUEST,
            codes::INVALID_LINK,
            "This link has expired or was already used.",
        )),
        Err(VerifyError::Locked(wait)) => Err(Error::TooMany {
            wait,
            message: "Too many wrong codes. Wait {minutes} and try again.",
        }),
        Err(VerifyError::Other(e)) => Err(Error::Core(e)),
    }
}

pub async fn auth_request(State(state): State<AppState>, Path(id): Path<String>) -> Answer {
    match portico_core::endpoints::authorize::describe(&state.provider, &id).await {
        Ok(info) => Ok(json(info)),
        Err(e) if e.is_ours() => Err(Error::Core(e)),
        Err(e) => Err(Error::api(
            StatusCode::NOT_FOUND,
            codes::REQUEST_NOT_FOUND,
            e.description(),
        )),
    }
}

pub async fn session(State(state): State<AppState>, MaybeSignedIn(s): MaybeSignedIn) -> Answer {
    let signed_out = SessionInfo {
        signed_in: false,
        email: None,
        name: None,
        email_verified: false,
    };
    let Some(s) = s else {
        return Ok(json(signed_out));
    };
    let user = state
        .provider
        .store
        .user_by_id(&s.user_id)
        .await
        .map_err(|e| Error::Core(e.into()))?;
    Ok(json(match user {
        Some(u) => SessionInfo {
            signed_in: true,
            email: Some(u.email),
            name: Some(u.name),
            email_verified: u.email_verified,
        },
        None => signed_out,
    }))
}

pub async fn login(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    UiJson(req): UiJson<LoginRequest>,
) -> Answer {
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
                peer_ip(peer),
                &[amr::PWD],
            )
            .await
        }
        Err(AccountError::InvalidCredentials) => {
            tracing::info!("sign-in failed: wrong email or password");
            Err(Error::api(
                StatusCode::UNAUTHORIZED,
                codes::INVALID_CREDENTIALS,
                "The email or password is not right.",
            ))
        }
        Err(AccountError::Locked(wait)) => {
            tracing::warn!("sign-in refused: locked after repeated failures");
            Err(Error::TooMany {
                wait,
                message: "Too many failed sign-ins. Wait {minutes} and try again.",
            })
        }
        Err(AccountError::Server(e)) => Err(Error::Core(e)),
        Err(other) => {
            tracing::error!(?other, "unexpected sign-in outcome");
            Err(Error::api(
                StatusCode::INTERNAL_SERVER_ERROR,
                codes::SERVER_ERROR,
                "Something went wrong. Try again.",
            ))
        }
    }
}

/// `GET /api/ui/theme?request=&ui_locales=`: the look and language of
/// the screens for the entrypoint behind the request.
pub async fn theme(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Answer {
    let q = pairs(q.unwrap_or_default().as_bytes());
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let accept = accept_language(&headers);
    portico_core::services::entrypoint::theme_info(
        &state.provider,
        get("request"),
        get("ui_locales"),
        accept,
    )
    .await
    .map(json)
    .map_err(Error::Core)
}

pub async fn sign_up(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    UiJson(req): UiJson<SignUpRequest>,
) -> Answer {
    let form = accounts::NewAccount {
        name: &req.name,
        email: &req.email,
        password: Secret::new(req.password),
        phone_number: req.phone_number.as_deref(),
        birthdate: req.birthdate.as_deref(),
        accept_terms: req.accept_terms,
    };
    let from = peer_ip(peer);
    let signed_up = accounts::sign_up(
        &state.provider,
        req.request.as_deref(),
        form,
        from,
        accept_language(&headers),
    )
    .await;
    let e = match signed_up {
        Ok(SignedUp::Active(user)) => {
            return signed_in(
                &state,
                &headers,
                &user,
                req.request.as_deref(),
                req.return_to.as_deref(),
                from,
                &[amr::PWD],
            )
            .await;
        }
        // The same answer for a free and a taken address, and no session.
        Ok(SignedUp::CheckEmail(page)) => return Ok(json(NextStep::go(page))),
        Err(e) => e,
    };
    Err(match e {
        AccountError::Invalid(fields) => Error::Fields(
            StatusCode::BAD_REQUEST,
            ApiError {
                error: codes::VALIDATION_FAILED.into(),
                message: "Some fields need your attention.".into(),
                field_errors: fields
                    .into_iter()
                    .map(|f| FieldError {
                        field: f.field.into(),
                        code: f.code.into(),
                        message: f.message,
                    })
                    .collect(),
            },
        ),
        AccountError::EmailTaken => Error::Fields(
            StatusCode::CONFLICT,
            ApiError {
                error: codes::EMAIL_TAKEN.into(),
                message: "An account with this email already exists.".into(),
                field_errors: vec![FieldError {
                    field: "email".into(),
                    code: codes::EMAIL_TAKEN.into(),
                    message: "This email is already registered. Sign in instead.".into(),
                }],
            },
        ),
        AccountError::Server(e) => Error::Core(e),
        AccountError::SignUpNotOffered => Error::api(
            StatusCode::FORBIDDEN,
            codes::SIGN_UP_NOT_OFFERED,
            "New accounts cannot be created here. Sign in instead.",
        ),
        AccountError::RequestRequired => Error::api(
            StatusCode::BAD_REQUEST,
            codes::SIGN_UP_NEEDS_REQUEST,
            "Start from the app you want to use: accounts are created on its way in.",
        ),
        AccountError::Locked(wait) => Error::TooMany {
            wait,
            message: "Too many sign-up attempts from your network. Wait {minutes} and try again.",
        },
        AccountError::InvalidCredentials => Error::api(
            StatusCode::BAD_REQUEST,
            codes::INVALID_REQUEST,
            "Could not sign up.",
        ),
    })
}

pub async fn continue_request(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<ContinueRequest>,
) -> Answer {
    let p = &state.provider;
    let user = p
        .store
        .user_by_id(&sess.user_id)
        .await
        .map_err(|e| Error::Core(e.into()))?;
    if let Some(user) = user
        && let Some(page) = verification::gate(
            p,
            &user,
            Some(&req.request),
            peer_ip(peer),
            accept_language(&headers),
        )
        .await
        .map_err(Error::Core)?
    {
        return Ok(json(NextStep::go(page)));
    }
    let o = portico_core::endpoints::authorize::complete(p, &req.request, &sess, false)
        .await
        .map_err(Error::Core)?;
    next_step(p, o)
}

pub async fn consent(
    State(state): State<AppState>,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<ConsentRequest>,
) -> Answer {
    let p = &state.provider;
    let o = portico_core::endpoints::authorize::consent(p, &req.request, &sess, req.allow)
        .await
        .map_err(Error::Core)?;
    next_step(p, o)
}

pub async fn cancel(State(state): State<AppState>, UiJson(req): UiJson<ContinueRequest>) -> Answer {
    let p = &state.provider;
    let o = portico_core::endpoints::authorize::cancel(
        p,
        &req.request,
        "the user cancelled the sign-in",
    )
    .await
    .map_err(Error::Core)?;
    next_step(p, o)
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Answer {
    if let Some(c) = state.cookies.read(&headers) {
        accounts::end_session(&state.provider, &c)
            .await
            .map_err(Error::Core)?;
    }
    let mut r = StatusCode::NO_CONTENT.into_response();
    set_cookie(&mut r, state.cookies.clear());
    Ok(r)
}

pub async fn authorize_error(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let e = portico_core::endpoints::authorize::explain_error(
        &state.provider,
        &pairs(q.unwrap_or_default().as_bytes()),
    )
    .await;
    json(AuthorizeErrorInfo {
        error: e.code.as_str().into(),
        error_description: e.description().to_owned(),
    })
}

fn code_error(e: CodeError) -> Error {
    let field = |code: &str, message: &str| {
        Error::Fields(
            StatusCode::BAD_REQUEST,
            ApiError {
                error: code.into(),
                message: message.into(),
                field_errors: vec![FieldError {
                    field: "user_code".into(),
                    code: code.into(),
                    message: message.into(),
                }],
            },
        )
    };
    match e {
        CodeError::Throttled(wait) => Error::TooMany {
            wait,
            message: "Too many codes were tried. Wait {minutes} and try again.",
        },
        CodeError::Invalid => field(
            codes::INVALID_CODE,
            "That code is not right. Check the code on your device and try again.",
        ),
        CodeError::Expired => field(
            codes::EXPIRED_CODE,
            "That code has expired. Start again on your device to get a new code.",
        ),
        CodeError::Used => field(
            codes::USED_CODE,
            "That code has already been used. Start again on your device to get a new code.",
        ),
        CodeError::Server(e) => Error::Core(e),
    }
}

/// `POST /api/ui/device/lookup`: the device page's "Continue".
pub async fn device_lookup(
    State(state): State<AppState>,
    peer: Peer,
    SignedIn(session): SignedIn,
    UiJson(req): UiJson<DeviceCodeRequest>,
) -> Answer {
    let who = Attempt {
        session: &session,
        ip: peer_ip(peer),
    };
    verify::lookup(&state.provider, who, &req.user_code)
        .await
        .map(json)
        .map_err(code_error)
}

/// `POST /api/ui/device/decide`: "Allow" or "Don't allow" for a device.
pub async fn device_decide(
    State(state): State<AppState>,
    peer: Peer,
    SignedIn(session): SignedIn,
    UiJson(req): UiJson<DeviceDecisionRequest>,
) -> Answer {
    let who = Attempt {
        session: &session,
        ip: peer_ip(peer),
    };
    verify::decide(&state.provider, who, &req.user_code, req.allow)
        .await
        .map(|allowed| json(DeviceDone { allowed }))
        .map_err(code_error)
}

/// `GET /api/ui/end-session?<logout query>`: what the "Sign out?" screen
/// shows, or why the logout request is refused.
pub async fn end_session_info(
    State(state): State<AppState>,
    MaybeSignedIn(sess): MaybeSignedIn,
    RawQuery(q): RawQuery,
) -> Answer {
    let params = pairs(q.unwrap_or_default().as_bytes());
    let plan = portico_core::endpoints::end_session::plan(&state.provider, &params, sess.as_ref())
        .await
        .map_err(Error::Core)?;
    Ok(json(EndSessionInfo {
        client_name: plan.client_name,
    }))
}

/// `POST /api/ui/end-session`: "Sign out" on the screen. Ends the session,
/// revokes what it granted, and names where to go.
pub async fn end_session_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeSignedIn(sess): MaybeSignedIn,
    UiJson(req): UiJson<EndSessionRequest>,
) -> Answer {
    let params = pairs(req.query.trim_start_matches('?').as_bytes());
    let plan = portico_core::endpoints::end_session::plan(&state.provider, &params, sess.as_ref())
        .await
        .map_err(Error::Core)?;
    if let Some(c) = state.cookies.read(&headers) {
        accounts::end_session(&state.provider, &c)
            .await
            .map_err(Error::Core)?;
    }
    let mut r = json(NextStep::go(plan.redirect.unwrap_or_else(|| "/".into())));
    set_cookie(&mut r, state.cookies.clear());
    Ok(r)
}
