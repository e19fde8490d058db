//! The one error type: every refusal a handler gives, and how each becomes
//! an HTTP answer (status, body, headers), in this one place. Success
//! answers that must never be cached ([`json`]) sit here too, so the
//! caching of every JSON answer is decided in one file.

use axum::Json;
use axum::http::header::{CACHE_CONTROL, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_api_types::ApiError;
use portico_api_types::codes;
use portico_core::{ErrorCode, OAuthError};
use serde_json::json;

/// A refusal, rendered by its [`IntoResponse`].
#[derive(Debug)]
pub enum Error {
    /// A protocol endpoint's error (RFC 6749 §5.2): the JSON error body;
    /// 401 with a Basic challenge for invalid_client, 500 for server_error,
    /// 400 otherwise; never cached.
    OAuth(OAuthError),
    /// A Bearer-token resource's refusal (RFC 6750 §3). `None`: no token
    /// at all, so a bare challenge without an error code (§3.1).
    Bearer(Option<OAuthError>),
    /// A core error on the UI API, as an [`ApiError`] with a status from
    /// its code.
    Core(OAuthError),
    /// A refusal of the UI API's own.
    Api {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// HTTP 429 with Retry-After; `{minutes}` in the message becomes the
    /// wait in words ("1 minute", "3 minutes").
    TooMany { wait: i64, message: &'static str },
    /// A form's refusal naming the fields at fault.
    Fields(StatusCode, ApiError),
    /// The admin API's refusal of a bearer token: an [`ApiError`] body
    /// and the RFC 6750 §3 challenge.
    Challenge {
        status: StatusCode,
        code: &'static str,
        message: &'static str,
    },
}

impl From<portico_core::services::admin::AdminError> for Error {
    fn from(e: portico_core::services::admin::AdminError) -> Self {
        use portico_core::services::admin::AdminError;
        match e {
            AdminError::NotFound => {
                Self::api(StatusCode::NOT_FOUND, codes::NOT_FOUND, "Not found.")
            }
            AdminError::Invalid { field, message } => Self::Fields(
                StatusCode::BAD_REQUEST,
                ApiError {
                    error: codes::VALIDATION_FAILED.into(),
                    message: message.clone(),
                    field_errors: vec![portico_api_types::FieldError {
                        field: field.into(),
                        code: "invalid".into(),
                        message,
                    }],
                },
            ),
            AdminError::Problems(field_errors) => {
                let all: Vec<&str> = field_errors.iter().map(|f| f.message.as_str()).collect();
                Self::Fields(
                    StatusCode::BAD_REQUEST,
                    ApiError {
                        error: codes::VALIDATION_FAILED.into(),
                        message: all.join("; "),
                        field_errors,
                    },
                )
            }
            AdminError::Conflict(code, message) => Self::api(StatusCode::CONFLICT, code, message),
            AdminError::Other(e) => Self::Core(e),
        }
    }
}

impl From<portico_core::services::keys::KeyError> for Error {
    fn from(e: portico_core::services::keys::KeyError) -> Self {
        use portico_core::services::keys::KeyError;
        let status = match &e {
            KeyError::RotationPending(_) | KeyError::InUse(_) => StatusCode::CONFLICT,
            KeyError::NotFound(_) => StatusCode::NOT_FOUND,
            KeyError::Other(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        match e {
            KeyError::Other(e) => Self::Core(e),
            e => Self::api(status, e.code(), e.to_string()),
        }
    }
}

impl Error {
    /// What needs mail, on an installation that sends none.
    pub fn mail_off() -> Self {
        Self::api(
            StatusCode::NOT_FOUND,
            portico_api_types::codes::EMAIL_OFF,
            "This installation sends no mail.",
        )
    }

    pub fn api(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Api {
            status,
            code,
            message: message.into(),
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match self {
            Self::OAuth(e) => oauth_error(&e),
            Self::Bearer(e) => bearer_error(e.as_ref()),
            Self::Core(e) => {
                let status = match e.code {
                    ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::LoginRequired => StatusCode::UNAUTHORIZED,
                    ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_REQUEST,
                };
                let mut r = api_error(status, e.code.as_str(), e.description());
                if let Some(secs) = e.retry_after {
                    retry_after(&mut r, secs);
                }
                r
            }
            Self::Api {
                status,
                code,
                message,
            } => api_error(status, code, &message),
            Self::TooMany { wait, message } => {
                let minutes = (wait + 59) / 60;
                let words = format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" });
                let mut r = api_error(
                    StatusCode::TOO_MANY_REQUESTS,
                    codes::TOO_MANY_ATTEMPTS,
                    &message.replace("{minutes}", &words),
                );
                retry_after(&mut r, wait);
                r
            }
            Self::Fields(status, body) => (status, Json(body)).into_response(),
            Self::Challenge {
                status,
                code,
                message,
            } => {
                let mut r = api_error(status, code, message);
                let challenge = format!("Bearer realm=\"portico\", error=\"{code}\"");
                if let Ok(v) = HeaderValue::from_str(&challenge) {
                    r.headers_mut().insert(WWW_AUTHENTICATE, v);
                }
                r
            }
        }
    }
}

/// A JSON answer that is never cached.
pub fn json<T: serde::Serialize>(v: T) -> Response {
    let mut r = Json(v).into_response();
    no_store(&mut r);
    r
}

pub fn no_store(r: &mut Response) {
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut()
        .insert(PRAGMA, HeaderValue::from_static("no-cache"));
}

fn retry_after(r: &mut Response, secs: impl ToString) {
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(RETRY_AFTER, v);
    }
}

fn api_error(status: StatusCode, code: &str, message: &str) -> Response {
    let mut r = (
        status,
        Json(ApiError {
            error: code.into(),
            message: message.into(),
            field_errors: vec![],
        }),
    )
        .into_response();
    no_store(&mut r);
    r
}

/// RFC 6749 §5.2 error response.
fn oauth_error(e: &OAuthError) -> Response {
    let status = match e.code {
        ErrorCode::InvalidClient => StatusCode::UNAUTHORIZED,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    };
    let mut r = (
        status,
        Json(json!({"error": e.code.as_str(), "error_description": e.description()})),
    )
        .into_response();
    if e.code == ErrorCode::InvalidClient {
        r.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"portico\""),
        );
    }
    if let Some(secs) = e.retry_after {
        retry_after(&mut r, secs);
    }
    no_store(&mut r);
    r
}

/// RFC 6750 §3: the error in the body and in the challenge.
fn bearer_error(e: Option<&OAuthError>) -> Response {
    let Some(e) = e else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"portico\""),
        );
        return r;
    };
    // Our failure, not the token's: no challenge, the client retries.
    if matches!(
        e.code,
        ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
    ) {
        return oauth_error(e);
    }
    let status = match e.code {
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::UNAUTHORIZED,
    };
    // The description never holds `"` or `\` (RFC 6749 §5.2, made
    // so by OAuthError), so it fits a quoted-string as it is.
    let challenge = format!(
        "Bearer realm=\"portico\", error=\"{}\", error_description=\"{}\"",
        e.code.as_str(),
        e.description()
    );
    let mut r = (
        status,
        Json(json!({"error": e.code.as_str(), "error_description": e.description()})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    r
}
