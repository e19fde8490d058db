//! The admin API's extractor: who is calling, and may they administer.
//! Authentication, the CSRF check and the refusals in one place, so an
//! admin handler starts with an [`Admin`].
//!
//! A request with `Authorization: Bearer` is judged by its token alone
//! (cookies are ignored): a client_credentials token of a client allowed
//! `portico:admin`. Without one, the browser's session counts: a user with
//! the role `admin`, after the second factor the policy asks for, and a
//! state-changing request must pass the UI API's CSRF check (a bearer
//! token is no ambient credential, so it needs none).

use super::error::Error;
use super::security::{csrf_refusal, same_origin};
use super::session;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use portico_api_types::codes;
use portico_core::services::admin::auth::{self, Refusal};

pub use portico_core::services::admin::auth::Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        let p = &state.provider;
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .map(|v| v.to_str().ok().and_then(|v| strip_bearer(v)));
        let judged = match bearer {
            Some(Some(token)) => auth::by_token(p, token).await,
            Some(None) => Ok(Err(Refusal::BadToken)),
            None => {
                let Some(s) = session::current(state, &parts.headers).await? else {
                    return Err(Error::api(
                        StatusCode::UNAUTHORIZED,
                        codes::LOGIN_REQUIRED,
                        "Sign in as an administrator, or send a bearer token.",
                    ));
                };
                let changes = !matches!(parts.method, Method::GET | Method::HEAD);
                if changes && !same_origin(state, &parts.headers) {
                    return Err(csrf_refusal());
                }
                auth::by_session(p, &s).await
            }
        };
        match judged.map_err(Error::Core)? {
            Ok(admin) => Ok(admin),
            Err(r) => Err(refusal(r)),
        }
    }
}

/// The admin API's query string; one that does not parse is refused with
/// an [`portico_api_types::ApiError`] like every other refusal.
pub struct AdminQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for AdminQuery<T> {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Error> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(e) => Err(Error::api(
                StatusCode::BAD_REQUEST,
                codes::INVALID_REQUEST,
                format!("The query is not valid: {}", e.body_text()),
            )),
        }
    }
}

/// `Bearer <token>` (the scheme is case-insensitive, RFC 7235 §2.1).
fn strip_bearer(v: &str) -> Option<&str> {
    let (scheme, token) = v.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn refusal(r: Refusal) -> Error {
    match r {
        Refusal::BadToken => Error::Challenge {
            status: StatusCode::UNAUTHORIZED,
            code: codes::INVALID_TOKEN,
            message: "The access token is invalid, expired or revoked.",
        },
        Refusal::InsufficientScope => Error::Challenge {
            status: StatusCode::FORBIDDEN,
            code: codes::INSUFFICIENT_SCOPE,
            message: "The token must be a client's own client_credentials token with the scope portico:admin.",
        },
        Refusal::NotAdmin => Error::api(
            StatusCode::FORBIDDEN,
            codes::FORBIDDEN,
            "This account is not an administrator.",
        ),
        Refusal::SecondFactor { enrol } => Error::api(
            StatusCode::UNAUTHORIZED,
            codes::SECOND_FACTOR_REQUIRED,
            if enrol {
                "Add a second factor to your account before administering."
            } else {
                "Sign in again with your second factor to administer."
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::strip_bearer;

    #[test]
    fn only_a_bearer_scheme_with_a_token_counts() {
        assert_eq!(strip_bearer("Bearer abc"), Some("abc"));
        assert_eq!(strip_bearer("bearer  abc "), Some("abc"));
        assert_eq!(strip_bearer("Basic abc"), None);
        assert_eq!(strip_bearer("Bearer "), None);
        assert_eq!(strip_bearer("Bearer"), None);
    }
}
