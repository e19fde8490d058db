//! The UI API of mail-borne account recovery: password reset
//! (`/api/ui/password-reset...`) and address change (`/api/ui/email-change...`).

use crate::AppState;
use crate::http::client_addr::{Peer, peer_ip};
use crate::http::error::{Error, json};
use crate::http::extract::{SignedIn, UiJson, accept_language};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use portico_api_types::routes::pages;
use portico_api_types::{
    ApiError, EmailChangeConfirm, EmailChangeRequest, EmailChangeUndo, FieldError, MailAccepted,
    NewPasswordRequest, NextStep, PasswordResetRequest, SessionInfo, codes,
};
use portico_core::protocol::secret::Secret;
use portico_core::services::email_change::{self, ChangeError};
use portico_core::services::recovery::{self, Asker, ResetError};

/// Ask for a reset link. The answer is the same for every address.
pub async fn password_reset(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    UiJson(req): UiJson<PasswordResetRequest>,
) -> Result<Response, Error> {
    if !state.provider.config.mail {
        return Err(Error::mail_off());
    }
    let who = Asker {
        from: peer_ip(peer),
        accept_language: accept_language(&headers),
    };
    recovery::request_reset(&state.provider, &req.email, req.request.as_deref(), who)
        .await
        .map_err(Error::Core)?;
    Ok(json(MailAccepted { accepted: true }))
}

/// Set a new password with the link's token; next, the sign-in page.
pub async fn password_reset_complete(
    State(state): State<AppState>,
    headers: HeaderMap,
    UiJson(req): UiJson<NewPasswordRequest>,
) -> Result<Response, Error> {
    if !state.provider.config.mail {
        return Err(Error::mail_off());
    }
    let password = Secret::new(req.password);
    match recovery::complete_reset(
        &state.provider,
        &req.token,
        password,
        accept_language(&headers),
    )
    .await
    {
        Ok(next) => Ok(json(NextStep::go(next))),
        Err(ResetError::InvalidLink) => Err(Error::api(
            StatusCode::BAD_REQUEST,
            codes::INVALID_LINK,
            "This link has expired or was already used. Ask for a new one.",
        )),
        Err(ResetError::Invalid(p)) => Err(Error::Fields(
            StatusCode::BAD_REQUEST,
            ApiError {
                error: codes::VALIDATION_FAILED.into(),
                message: "Some fields need your attention.".into(),
                field_errors: vec![FieldError {
                    field: p.field.into(),
                    code: p.code.into(),
                    message: p.message,
                }],
            },
        )),
        Err(ResetError::Other(e)) => Err(Error::Core(e)),
    }
}

fn change_error(e: ChangeError) -> Error {
    match e {
        ChangeError::Invalid(message) => Error::Fields(
            StatusCode::BAD_REQUEST,
            ApiError {
                error: codes::VALIDATION_FAILED.into(),
                message: "Some fields need your attention.".into(),
                field_errors: vec![FieldError {
                    field: "new_email".into(),
                    code: "email_invalid".into(),
                    message,
                }],
            },
        ),
        ChangeError::InvalidCode | ChangeError::Taken => Error::api(
            StatusCode::BAD_REQUEST,
            codes::INVALID_VERIFICATION_CODE,
            "That code is not right or has expired.",
        ),
        ChangeError::InvalidLink => Error::api(
            StatusCode::BAD_REQUEST,
            codes::INVALID_LINK,
            "This link has expired or was already used.",
        ),
        ChangeError::Locked(wait) => Error::TooMany {
            wait,
            message: "Too many wrong codes. Wait {minutes} and try again.",
        },
        ChangeError::Other(e) => Error::Core(e),
    }
}

async fn signed_in_user(
    state: &AppState,
    user_id: &str,
) -> Result<portico_core::model::User, Error> {
    state
        .provider
        .store
        .user_by_id(user_id)
        .await
        .map_err(|e| Error::Core(e.into()))?
        .ok_or_else(|| {
            Error::api(
                StatusCode::UNAUTHORIZED,
                codes::LOGIN_REQUIRED,
                "Sign in to continue.",
            )
        })
}

/// Signed in: mail a code to the new address.
pub async fn email_change(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<EmailChangeRequest>,
) -> Result<Response, Error> {
    if !state.provider.config.mail {
        return Err(Error::mail_off());
    }
    let user = signed_in_user(&state, &sess.user_id).await?;
    email_change::start(
        &state.provider,
        &user,
        &req.new_email,
        peer_ip(peer),
        accept_language(&headers),
    )
    .await
    .map_err(change_error)?;
    Ok(json(MailAccepted { accepted: true }))
}

/// Signed in: the code from the new address; the account as it now is.
pub async fn email_change_confirm(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    SignedIn(sess): SignedIn,
    UiJson(req): UiJson<EmailChangeConfirm>,
) -> Result<Response, Error> {
    if !state.provider.config.mail {
        return Err(Error::mail_off());
    }
    let user = signed_in_user(&state, &sess.user_id).await?;
    let u = email_change::confirm(
        &state.provider,
        &user,
        &req.code,
        peer_ip(peer),
        accept_language(&headers),
    )
    .await
    .map_err(change_error)?;
    Ok(json(SessionInfo {
        signed_in: true,
        email: Some(u.email),
        name: Some(u.name),
        email_verified: u.email_verified,
    }))
}

/// The link mailed to the old address: put it back; next, sign in.
pub async fn email_change_undo(
    State(state): State<AppState>,
    UiJson(req): UiJson<EmailChangeUndo>,
) -> Result<Response, Error> {
    if !state.provider.config.mail {
        return Err(Error::mail_off());
    }
    email_change::undo(&state.provider, &req.token)
        .await
        .map_err(change_error)?;
    Ok(json(NextStep::go(pages::LOGIN)))
}
