//! The UI API of password reset (`/api/ui/password-reset...`).

use crate::AppState;
use crate::http::client_addr::{Peer, peer_ip};
use crate::http::error::{Error, json};
use crate::http::extract::UiJson;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use portico_api_types::{
    ApiError, FieldError, MailAccepted, NewPasswordRequest, NextStep, PasswordResetRequest, codes,
};
use portico_core::protocol::secret::Secret;
use portico_core::services::recovery::{self, Asker, ResetError};

fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

fn mail_off() -> Error {
    Error::api(
        StatusCode::NOT_FOUND,
        codes::EMAIL_OFF,
        "This installation sends no mail.",
    )
}

/// Ask for a reset link. The answer is the same for every address.
pub async fn password_reset(
    State(state): State<AppState>,
    peer: Peer,
    headers: HeaderMap,
    UiJson(req): UiJson<PasswordResetRequest>,
) -> Result<Response, Error> {
    if !state.provider.config.mail {
        return Err(mail_off());
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
        return Err(mail_off());
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
