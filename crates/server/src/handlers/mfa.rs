//! Second factors on the UI API (issue 18): the "Authentication code"
//! step, "Sign in with a passkey", and the account security page.

use crate::AppState;
use crate::http::client_addr::{Peer, peer_ip};
use crate::http::error::{Error, json};
use crate::http::extract::{MaybeSignedIn, SignedIn, UiJson, accept_language};
use crate::http::session::set_cookie;
use crate::http::sign_in::{Answer, signed_in, start_and_continue};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use portico_api_types::{
    ApiError, FactorAdded, FactorRemove, FactorRename, FieldError, PasskeyBegin, PasskeyChallenge,
    PasskeyRegistration, PasskeySignIn, RecoveryCodes, SecondFactorInfo, SecondFactorRequest,
    SecurityInfo, TotpConfirm, TotpSetup, codes,
};
use portico_core::model::{Session, User};
use portico_core::services::mfa::{self, FactorError};

fn refusal(e: FactorError) -> Error {
    match e {
        FactorError::InvalidCode => Error::Fields(
            StatusCode::BAD_REQUEST,
            ApiError {
                error: codes::INVALID_AUTHENTICATION_CODE.into(),
                message: "That code is not right.".into(),
                field_errors: vec![FieldError {
                    field: "code".into(),
                    code: codes::INVALID_AUTHENTICATION_CODE.into(),
                    message: "That code is not right. Check your app and try again.".into(),
                }],
            },
        ),
        FactorError::Locked(wait) => Error::TooMany {
            wait,
            message: "Too many wrong codes. Wait {minutes} and try again.",
        },
        FactorError::Expired => Error::api(
            StatusCode::BAD_REQUEST,
            codes::SIGN_IN_EXPIRED,
            "This step has expired. Start again.",
        ),
        FactorError::Passkey(why) => {
            tracing::info!(%why, "passkey ceremony refused");
            Error::api(
                StatusCode::BAD_REQUEST,
                codes::PASSKEY_FAILED,
                "That passkey did not work here. Try again or use another way to sign in.",
            )
        }
        FactorError::PasskeysOff => Error::api(
            StatusCode::NOT_FOUND,
            codes::PASSKEYS_OFF,
            "Passkeys are not available on this site.",
        ),
        FactorError::NotFound => Error::api(
            StatusCode::NOT_FOUND,
            codes::FACTOR_NOT_FOUND,
            "That sign-in method is not on your account.",
        ),
        FactorError::BadName => Error::Fields(
            StatusCode::BAD_REQUEST,
            ApiError {
                error: codes::VALIDATION_FAILED.into(),
                message: "Give it a name of up to 64 characters.".into(),
                field_errors: vec![FieldError {
                    field: "name".into(),
                    code: "name_invalid".into(),
                    message: "Give it a name of up to 64 characters.".into(),
                }],
            },
        ),
        FactorError::Server(e) => Error::Core(e),
    }
}

fn expired() -> Error {
    Error::api(
        StatusCode::UNAUTHORIZED,
        codes::SIGN_IN_EXPIRED,
        "This sign-in has expired. Sign in again.",
    )
}

/// Whose second factor is awaited: the pending password step (its cookie,
/// user and methods so far), or a session stepping up.
async fn awaited(
    state: &AppState,
    headers: &HeaderMap,
    session: Option<&Session>,
) -> Result<(Option<String>, String, Vec<String>), Error> {
    if let Some(c) = state.cookies.second_factor().read(headers)
        && let Some((user, amr)) = mfa::pending(&state.provider, &c)
            .await
            .map_err(Error::Core)?
    {
        return Ok((Some(c), user, amr));
    }
    match session {
        Some(s) => Ok((None, s.user_id.clone(), s.amr.clone())),
        None => Err(expired()),
    }
}

/// `GET /api/ui/second-factor`: what the awaited step can be done with.
pub async fn second_factor_info(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeSignedIn(sess): MaybeSignedIn,
) -> Answer {
    let (_, user, _) = awaited(&state, &headers, sess.as_ref()).await?;
    let (totp, passkey, recovery_codes) = mfa::available(&state.provider, &user)
        .await
        .map_err(Error::Core)?;
    Ok(json(SecondFactorInfo {
        totp,
        passkey,
        recovery_codes,
    }))
}

/// `POST /api/ui/second-factor`: "Verify" with the app's code or a
/// recovery code. Then the session starts (or steps up) and the request
/// goes on.
pub async fn second_factor(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    MaybeSignedIn(sess): MaybeSignedIn,
    UiJson(req): UiJson<SecondFactorRequest>,
) -> Answer {
    let p = &state.provider;
    let (pending, user, so_far) = awaited(&state, &headers, sess.as_ref()).await?;
    let method = mfa::check_code(p, &user, &req.code, req.recovery, peer_ip(peer))
        .await
        .map_err(refusal)?;
    if let Some(c) = pending
        && !mfa::finish_second_factor(p, &c)
            .await
            .map_err(Error::Core)?
    {
        return Err(expired());
    }
    let amr = mfa::with_second_factor(&so_far, &[method]);
    start_and_continue(
        &state,
        &headers,
        &user,
        &amr,
        req.request.as_deref(),
        req.return_to.as_deref(),
    )
    .await
}

/// `POST /api/ui/passkey/begin`: a challenge for "Sign in with a passkey".
pub async fn passkey_begin(
    State(state): State<AppState>,
    UiJson(req): UiJson<PasskeyBegin>,
) -> Answer {
    let c = mfa::start_passkey_sign_in(&state.provider, req.conditional)
        .await
        .map_err(refusal)?;
    Ok(json(PasskeyChallenge {
        ceremony: c.ceremony,
        options: c.options,
    }))
}

/// `POST /api/ui/passkey/finish`: the assertion; its passkey's account is
/// signed in (multi-factor on its own).
pub async fn passkey_finish(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    UiJson(req): UiJson<PasskeySignIn>,
) -> Answer {
    let user = mfa::finish_passkey_sign_in(&state.provider, &req.ceremony, &req.credential)
        .await
        .map_err(refusal)?;
    signed_in(
        &state,
        &headers,
        &user,
        req.request.as_deref(),
        req.return_to.as_deref(),
        peer_ip(peer),
        &mfa::PASSKEY_AMR,
    )
    .await
}

async fn account(state: &AppState, sess: &Session) -> Result<User, Error> {
    state
        .provider
        .store
        .user_by_id(&sess.user_id)
        .await
        .map_err(|e| Error::Core(e.into()))?
        .ok_or_else(|| {
            Error::api(
                StatusCode::UNAUTHORIZED,
                codes::LOGIN_REQUIRED,
                "Sign in first.",
            )
        })
}

/// Changes to sign-in factors need a sign-in in the last five minutes.
fn recent(state: &AppState, sess: &Session) -> Result<(), Error> {
    if mfa::recent(&state.provider, sess.auth_time) {
        Ok(())
    } else {
        Err(Error::api(
            StatusCode::FORBIDDEN,
            codes::REAUTHENTICATE,
            "Sign in again to change how you sign in.",
        ))
    }
}

async fn security_info(state: &AppState, sess: &Session) -> Result<SecurityInfo, Error> {
    let p = &state.provider;
    let user = account(state, sess).await?;
    let factors = mfa::list(p, &user.id).await.map_err(Error::Core)?;
    let left = p
        .store
        .recovery_codes_left(&user.id)
        .await
        .map_err(|e| Error::Core(e.into()))?;
    Ok(SecurityInfo {
        email: user.email,
        factors,
        recovery_codes_left: left,
        reauthenticate: !mfa::recent(p, sess.auth_time),
        passkeys: p.passkeys.is_some(),
    })
}

/// `GET /api/ui/account/security`.
pub async fn security(State(state): State<AppState>, SignedIn(sess): SignedIn) -> Answer {
    Ok(json(security_info(&state, &sess).await?))
}

/// The factor was added: the session steps up (the user just proved it),
/// the answer carries the first set of recovery codes if any.
async fn added(state: &AppState, headers: &HeaderMap, sess: &Session, a: mfa::Added) -> Answer {
    let p = &state.provider;
    let amr = mfa::with_second_factor(&sess.amr, &[a.method]);
    let methods: Vec<&str> = amr.iter().map(String::as_str).collect();
    let earlier = state.cookies.read(headers);
    let (cookie, _) = portico_core::services::accounts::start_session(
        p,
        &sess.user_id,
        sess.auth_time,
        &methods,
        earlier.as_deref(),
    )
    .await
    .map_err(Error::Core)?;
    let mut r = json(FactorAdded {
        factor: a.factor,
        recovery_codes: a.recovery_codes,
    });
    set_cookie(&mut r, state.cookies.set(&cookie, p.config.session_ttl));
    Ok(r)
}

/// `POST /api/ui/account/totp/begin`: "Set up authenticator app".
pub async fn totp_begin(State(state): State<AppState>, SignedIn(sess): SignedIn) -> Answer {
    recent(&state, &sess)?;
    let user = account(&state, &sess).await?;
    let t = mfa::start_totp(&state.provider, &user)
        .await
        .map_err(Error::Core)?;
    let qr_svg = qr_svg(&t.otpauth_uri)?;
    Ok(json(TotpSetup {
        ceremony: t.ceremony,
        setup_key: t.setup_key,
        otpauth_uri: t.otpauth_uri,
        qr_svg,
    }))
}

/// The QR code of `text` as an SVG document (black on white, with its
/// quiet zone, so every camera app reads it whatever the theme).
fn qr_svg(text: &str) -> Result<String, Error> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| {
        Error::Core(portico_core::OAuthError::server_error(format!(
            "QR code: {e}"
        )))
    })?;
    Ok(code
        .render::<svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build())
}

/// `POST /api/ui/account/totp/confirm`: "Turn on".
pub async fn totp_confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<TotpConfirm>,
) -> Answer {
    recent(&state, &sess)?;
    let user = account(&state, &sess).await?;
    let a = mfa::confirm_totp(
        &state.provider,
        &user,
        &req.ceremony,
        &req.code,
        accept_language(&headers),
    )
    .await
    .map_err(refusal)?;
    added(&state, &headers, &sess, a).await
}

/// `POST /api/ui/account/passkeys/begin`: "Add a passkey".
pub async fn passkey_add_begin(State(state): State<AppState>, SignedIn(sess): SignedIn) -> Answer {
    recent(&state, &sess)?;
    let user = account(&state, &sess).await?;
    let c = mfa::start_passkey_registration(&state.provider, &user)
        .await
        .map_err(refusal)?;
    Ok(json(PasskeyChallenge {
        ceremony: c.ceremony,
        options: c.options,
    }))
}

/// `POST /api/ui/account/passkeys/finish`: the new passkey.
pub async fn passkey_add_finish(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<PasskeyRegistration>,
) -> Answer {
    recent(&state, &sess)?;
    let user = account(&state, &sess).await?;
    let a = mfa::finish_passkey_registration(
        &state.provider,
        &user,
        &req.ceremony,
        &req.credential,
        &req.name,
        accept_language(&headers),
    )
    .await
    .map_err(refusal)?;
    added(&state, &headers, &sess, a).await
}

/// `POST /api/ui/account/factors/rename`. A name is cosmetic, so unlike
/// adding and removing it needs no recent sign-in.
pub async fn factor_rename(
    State(state): State<AppState>,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<FactorRename>,
) -> Answer {
    mfa::rename(&state.provider, &sess.user_id, &req.id, &req.name)
        .await
        .map_err(refusal)?;
    Ok(json(security_info(&state, &sess).await?))
}

/// `POST /api/ui/account/factors/remove`.
pub async fn factor_remove(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<FactorRemove>,
) -> Answer {
    recent(&state, &sess)?;
    let user = account(&state, &sess).await?;
    mfa::remove(&state.provider, &user, &req.id, accept_language(&headers))
        .await
        .map_err(refusal)?;
    Ok(json(security_info(&state, &sess).await?))
}

/// `POST /api/ui/account/recovery-codes`: a new set.
pub async fn recovery_codes(State(state): State<AppState>, SignedIn(sess): SignedIn) -> Answer {
    recent(&state, &sess)?;
    let p = &state.provider;
    if p.store
        .factors(&sess.user_id)
        .await
        .map_err(|e| Error::Core(e.into()))?
        .is_empty()
    {
        return Err(refusal(FactorError::NotFound));
    }
    let codes = mfa::new_recovery_codes(p, &sess.user_id)
        .await
        .map_err(Error::Core)?;
    Ok(json(RecoveryCodes { codes }))
}
