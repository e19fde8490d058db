//! Typed calls to Portico's UI JSON API. Screens call these and never build
//! requests themselves; every protocol decision is the server's.

use gloo_net::http::{Request, Response};
use portico_api_types::codes;
use portico_api_types::routes;
use portico_api_types::{
    ApiError, AuthRequestInfo, AuthorizeErrorInfo, CSRF_HEADER, CSRF_HEADER_VALUE, ConsentRequest,
    ContinueRequest, DeviceCodeRequest, DeviceDecisionRequest, DeviceDone, DeviceInfo,
    EmailChangeConfirm, EmailChangeRequest, EmailChangeUndo, EndSessionInfo, EndSessionRequest,
    LoginRequest, MailAccepted, NewPasswordRequest, NextStep, PasswordResetRequest, SessionInfo,
    SignUpRequest, ThemeInfo, VerifyEmailRequest,
};
use portico_api_types::{
    FactorAdded, FactorRemove, FactorRename, PasskeyBegin, PasskeyChallenge, PasskeyRegistration,
    PasskeySignIn, RecoveryCodes, SecondFactorInfo, SecondFactorRequest, SecurityInfo, TotpConfirm,
    TotpSetup,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub(crate) fn network_error() -> ApiError {
    ApiError {
        error: codes::NETWORK.into(),
        message: "Portico could not be reached. Check your connection and try again.".into(),
        field_errors: vec![],
    }
}

/// The body of a successful answer, or the server's error. Not generic:
/// every call shares this one copy, and only the parsing below is made
/// per type (the login page's wasm carries every copy).
pub(crate) async fn answer(sent: Result<Response, gloo_net::Error>) -> Result<String, ApiError> {
    let resp = sent.map_err(|_| network_error())?;
    let text = resp.text().await.map_err(|_| network_error())?;
    if resp.ok() {
        Ok(text)
    } else {
        Err(
            serde_json::from_str::<ApiError>(&text).unwrap_or_else(|_| ApiError {
                error: codes::SERVER_ERROR.into(),
                message: format!("Something went wrong (HTTP {}). Try again.", resp.status()),
                field_errors: vec![],
            }),
        )
    }
}

fn parse<R: DeserializeOwned>(body: Result<String, ApiError>) -> Result<R, ApiError> {
    serde_json::from_str(&body?).map_err(|_| network_error())
}

async fn get_text(path: &str) -> Result<String, ApiError> {
    answer(Request::get(path).send().await).await
}

async fn get<R: DeserializeOwned>(path: &str) -> Result<R, ApiError> {
    parse(get_text(path).await)
}

async fn post_text(path: &str, body: serde_json::Result<String>) -> Result<String, ApiError> {
    let request = Request::post(path)
        .header(CSRF_HEADER, CSRF_HEADER_VALUE)
        .header("Content-Type", "application/json")
        .body(body.map_err(|_| network_error())?)
        .map_err(|_| network_error())?;
    answer(request.send().await).await
}

async fn post<B: Serialize, R: DeserializeOwned>(path: &str, body: &B) -> Result<R, ApiError> {
    parse(post_text(path, serde_json::to_string(body)).await)
}

/// Percent-encode a path segment or query value (ids are base64url; this
/// is defensive).
pub fn encode_segment(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

pub async fn auth_request(id: &str) -> Result<AuthRequestInfo, ApiError> {
    get(&format!("{}/{}", routes::AUTH_REQUESTS, encode_segment(id))).await
}

pub async fn session() -> Result<SessionInfo, ApiError> {
    get(routes::SESSION).await
}

pub async fn login(req: &LoginRequest) -> Result<NextStep, ApiError> {
    post(routes::LOGIN, req).await
}

pub async fn sign_up(req: &SignUpRequest) -> Result<NextStep, ApiError> {
    post(routes::SIGN_UP, req).await
}

/// "Send reset link". The answer is the same whether the address has an
/// account or not.
pub async fn password_reset(req: &PasswordResetRequest) -> Result<MailAccepted, ApiError> {
    post(routes::PASSWORD_RESET, req).await
}

/// "Set new password" with the mailed link's token.
pub async fn password_reset_complete(req: &NewPasswordRequest) -> Result<NextStep, ApiError> {
    post(routes::PASSWORD_RESET_COMPLETE, req).await
}

/// "Verify": the typed code, or the mailed link's token.
pub async fn verify_email(req: &VerifyEmailRequest) -> Result<NextStep, ApiError> {
    post(routes::VERIFY_EMAIL, req).await
}

/// "Verify email" on the account page (verify later): a new code.
pub async fn verify_email_resend() -> Result<MailAccepted, ApiError> {
    post(routes::VERIFY_EMAIL_RESEND, &serde_json::json!({})).await
}

/// "Send code" on the account page: mail a code to the new address. The
/// answer is the same whether the address is free or not.
pub async fn email_change(new_email: &str) -> Result<MailAccepted, ApiError> {
    post(
        routes::EMAIL_CHANGE,
        &EmailChangeRequest {
            new_email: new_email.into(),
        },
    )
    .await
}

/// "Confirm" with the code mailed to the new address; the answer is the
/// account as it now is.
pub async fn email_change_confirm(code: &str) -> Result<SessionInfo, ApiError> {
    post(
        routes::EMAIL_CHANGE_CONFIRM,
        &EmailChangeConfirm { code: code.into() },
    )
    .await
}

/// The link mailed to the old address: put it back (every session ends).
pub async fn email_change_undo(token: &str) -> Result<NextStep, ApiError> {
    post(
        routes::EMAIL_CHANGE_UNDO,
        &EmailChangeUndo {
            token: token.into(),
        },
    )
    .await
}

pub async fn continue_request(request: &str) -> Result<NextStep, ApiError> {
    post(
        routes::CONTINUE,
        &ContinueRequest {
            request: request.into(),
        },
    )
    .await
}

pub async fn cancel(request: &str) -> Result<NextStep, ApiError> {
    post(
        routes::CANCEL,
        &ContinueRequest {
            request: request.into(),
        },
    )
    .await
}

pub async fn consent(request: &str, allow: bool) -> Result<NextStep, ApiError> {
    post(
        routes::CONSENT,
        &ConsentRequest {
            request: request.into(),
            allow,
        },
    )
    .await
}

/// The device page's "Continue": which device the typed code belongs to.
pub async fn device_lookup(user_code: &str) -> Result<DeviceInfo, ApiError> {
    post(
        routes::DEVICE_LOOKUP,
        &DeviceCodeRequest {
            user_code: user_code.into(),
        },
    )
    .await
}

/// "Allow" (true) or "Don't allow" (false) for the device with this code.
pub async fn device_decide(user_code: &str, allow: bool) -> Result<DeviceDone, ApiError> {
    post(
        routes::DEVICE_DECIDE,
        &DeviceDecisionRequest {
            user_code: user_code.into(),
            allow,
        },
    )
    .await
}

/// What the "Sign out?" screen shows for the logout request in `search`.
pub async fn end_session_info(search: &str) -> Result<EndSessionInfo, ApiError> {
    get(&format!("{}{search}", routes::END_SESSION)).await
}

/// "Sign out" on that screen.
pub async fn end_session(search: &str) -> Result<NextStep, ApiError> {
    post(
        routes::END_SESSION,
        &EndSessionRequest {
            query: search.into(),
        },
    )
    .await
}

pub async fn logout() -> Result<(), ApiError> {
    let resp = Request::post(routes::LOGOUT)
        .header(CSRF_HEADER, CSRF_HEADER_VALUE)
        .send()
        .await
        .map_err(|_| network_error())?;
    if resp.ok() {
        Ok(())
    } else {
        Err(network_error())
    }
}

/// Why the authorize request in `search` (`?client_id=...`) was refused.
pub async fn authorize_error(search: &str) -> Result<AuthorizeErrorInfo, ApiError> {
    get(&format!("{}{search}", routes::AUTHORIZE_ERROR)).await
}

/// The look and language for this page. `search` is the page's own query
/// (`?request=...&ui_locales=...`); only those two parameters are passed on.
pub async fn theme(search: &str) -> Result<ThemeInfo, ApiError> {
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| kv.starts_with("request=") || kv.starts_with("ui_locales="))
        .collect();
    if kept.is_empty() {
        get(routes::THEME).await
    } else {
        get(&format!("{}?{}", routes::THEME, kept.join("&"))).await
    }
}

/// What the pending sign-in (the password step just done) can be finished
/// with, for the "Authentication code" screen.
pub async fn second_factor_info(request: Option<&str>) -> Result<SecondFactorInfo, ApiError> {
    match request {
        Some(r) => {
            get(&format!(
                "{}?request={}",
                routes::SECOND_FACTOR,
                encode_segment(r)
            ))
            .await
        }
        None => get(routes::SECOND_FACTOR).await,
    }
}

/// "Verify" with the code from the app, or a recovery code.
pub async fn second_factor(req: &SecondFactorRequest) -> Result<NextStep, ApiError> {
    post(routes::SECOND_FACTOR, req).await
}

/// "Sign in with a passkey" (or the email field's autofill, `conditional`):
/// the options for `navigator.credentials.get`.
pub async fn passkey_begin(conditional: bool) -> Result<PasskeyChallenge, ApiError> {
    post(routes::PASSKEY_BEGIN, &PasskeyBegin { conditional }).await
}

/// The browser's signed assertion; the answer is the next step.
pub async fn passkey_finish(req: &PasskeySignIn) -> Result<NextStep, ApiError> {
    post(routes::PASSKEY_FINISH, req).await
}

/// The account security page.
pub async fn account_security() -> Result<SecurityInfo, ApiError> {
    get(routes::ACCOUNT_SECURITY).await
}

/// "Set up authenticator app": the key and its QR code.
pub async fn totp_begin() -> Result<TotpSetup, ApiError> {
    post(routes::TOTP_BEGIN, &serde_json::json!({})).await
}

/// "Turn on" with the "Code from your app".
pub async fn totp_confirm(req: &TotpConfirm) -> Result<FactorAdded, ApiError> {
    post(routes::TOTP_CONFIRM, req).await
}

/// "Add a passkey": the options for `navigator.credentials.create`.
pub async fn passkey_add_begin() -> Result<PasskeyChallenge, ApiError> {
    post(routes::PASSKEY_ADD_BEGIN, &serde_json::json!({})).await
}

/// The new passkey's credential.
pub async fn passkey_add_finish(req: &PasskeyRegistration) -> Result<FactorAdded, ApiError> {
    post(routes::PASSKEY_ADD_FINISH, req).await
}

/// "Save" a factor's new name; the answer is the page as it now is.
pub async fn factor_rename(id: &str, name: &str) -> Result<SecurityInfo, ApiError> {
    post(
        routes::FACTOR_RENAME,
        &FactorRename {
            id: id.into(),
            name: name.into(),
        },
    )
    .await
}

/// "Remove" a factor; the answer is the page as it now is.
pub async fn factor_remove(id: &str) -> Result<SecurityInfo, ApiError> {
    post(routes::FACTOR_REMOVE, &FactorRemove { id: id.into() }).await
}

/// "New recovery codes": a new set; the old set stops working.
pub async fn recovery_codes() -> Result<RecoveryCodes, ApiError> {
    post(routes::RECOVERY_CODES, &serde_json::json!({})).await
}
