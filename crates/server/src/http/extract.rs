//! Extractors: the UI's JSON body, the signed-in session, the back
//! channel's form. Each does its parsing and refusing once, so a handler
//! starts with what it needs.

use super::client_addr::{Peer, peer_ip};
use super::error::Error;
use super::session;
use crate::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use portico_api_types::codes;
use portico_core::OAuthError;
use portico_core::model::Session;

/// A form body or query as name/value pairs (repeats kept, so callers can
/// refuse them).
pub fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// The UI API's JSON body; anything unreadable is refused with an
/// [`portico_api_types::ApiError`] the screens can show.
pub struct UiJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for UiJson<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(e) => Err(bad_body(&e)),
        }
    }
}

/// The admin API's JSON body: like [`UiJson`], but a body that parses and
/// does not fit the type is 400 too (not axum's 422), as its OpenAPI
/// document says; and an object given as an array of its fields, which
/// serde's derived structs accept, is refused as the document's schema
/// would refuse it.
pub struct AdminJson<T>(pub T);

impl<S, T> FromRequest<S> for AdminJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned + serde::Serialize,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Error> {
        let value = match Json::<serde_json::Value>::from_request(req, state).await {
            Ok(Json(v)) => v,
            Err(e) => return Err(bad_body(&e)),
        };
        let invalid = |why: String| {
            Error::api(
                StatusCode::BAD_REQUEST,
                codes::INVALID_BODY,
                format!("The request body is not valid: {why}"),
            )
        };
        let typed: T = serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))?;
        let back = serde_json::to_value(&typed).map_err(|e| invalid(e.to_string()))?;
        if let Some(path) = array_for_object(&value, &back, "") {
            return Err(invalid(format!("{path} must be an object")));
        }
        Ok(Self(typed))
    }
}

/// Where `sent` holds an array that the typed value, written back, holds
/// as an object: a struct sent as a list of its fields. Written by hand:
/// serde has no switch to refuse that form.
fn array_for_object(
    sent: &serde_json::Value,
    read: &serde_json::Value,
    at: &str,
) -> Option<String> {
    use serde_json::Value;
    match (sent, read) {
        (Value::Array(_), Value::Object(_)) => Some(if at.is_empty() {
            "the body".into()
        } else {
            at.to_owned()
        }),
        (Value::Object(a), Value::Object(b)) => a.iter().find_map(|(k, v)| {
            let path = if at.is_empty() {
                k.clone()
            } else {
                format!("{at}.{k}")
            };
            b.get(k).and_then(|w| array_for_object(v, w, &path))
        }),
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(i, (v, w))| array_for_object(v, w, &format!("{at}[{i}]"))),
        _ => None,
    }
}

fn bad_body(e: &JsonRejection) -> Error {
    // Keep the rejection's status where it says more than 400 (413 for a
    // body over the limit, 415 for a missing JSON content type).
    let status = match e.status() {
        s if s.is_client_error() => s,
        _ => StatusCode::BAD_REQUEST,
    };
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Error::api(
            status,
            codes::BODY_TOO_LARGE,
            "The request body is too large.",
        )
    } else {
        Error::api(
            status,
            codes::INVALID_BODY,
            format!("The request body is not valid: {}", e.body_text()),
        )
    }
}

/// The browser's live session, if it has one.
pub struct MaybeSignedIn(pub Option<Session>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        session::current(state, &parts.headers).await.map(Self)
    }
}

/// The browser's session, for a screen that needs one; without it the
/// answer is 401 `login_required`.
pub struct SignedIn(pub Session);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Error> {
        match session::current(state, &parts.headers).await? {
            Some(s) => Ok(Self(s)),
            None => Err(Error::api(
                StatusCode::UNAUTHORIZED,
                codes::LOGIN_REQUIRED,
                "Sign in first.",
            )),
        }
    }
}

/// A back-channel request (token, PAR, device authorization,
/// introspection, revocation): a form body, the Authorization header and
/// the caller's address. Anything but a form is `invalid_request`.
pub struct BackChannel {
    authorization: Option<String>,
    pub form: Vec<(String, String)>,
    pub from: Option<std::net::IpAddr>,
}

impl BackChannel {
    pub fn auth(&self) -> Option<&str> {
        self.authorization.as_deref()
    }
}

impl<S: Send + Sync> FromRequest<S> for BackChannel {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = req.into_parts();
        if !form_ok(&parts.headers) {
            return Err(not_a_form().into_response());
        }
        let authorization = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let peer = <Peer as FromRequestParts<S>>::from_request_parts(&mut parts, state)
            .await
            .unwrap_or(None);
        let slot = parts
            .extensions
            .get::<super::telemetry::ClientSlot>()
            .cloned();
        let req = Request::from_parts(parts, body);
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let form = pairs(&body);
        if let Some(slot) = slot
            && let Some(id) = client_id_of(authorization.as_deref(), &form)
        {
            slot.set(&id);
        }
        Ok(Self {
            authorization,
            form,
            from: peer_ip(peer),
        })
    }
}

/// The client a back-channel request names, for the log line: the form's
/// `client_id`, or the user part of HTTP Basic (RFC 6749 §2.3.1, form-
/// encoded). Never the secret.
fn client_id_of(authorization: Option<&str>, form: &[(String, String)]) -> Option<String> {
    if let Some((_, id)) = form.iter().find(|(k, _)| k == "client_id") {
        return Some(id.clone());
    }
    let b64 = authorization?.strip_prefix("Basic ")?;
    let raw =
        base64::Engine::decode(&base64::engine::general_purpose::STANDARD, b64.trim()).ok()?;
    let raw = String::from_utf8(raw).ok()?;
    let user = raw.split_once(':')?.0;
    url::form_urlencoded::parse(format!("u={user}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// Whether the body is a form (`application/x-www-form-urlencoded`).
pub fn form_ok(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';').next().is_some_and(|m| {
                m.trim()
                    .eq_ignore_ascii_case("application/x-www-form-urlencoded")
            })
        })
}

/// The refusal of a back-channel body that is not a form.
pub fn not_a_form() -> Error {
    Error::OAuth(OAuthError::invalid_request(
        "the body must be application/x-www-form-urlencoded",
    ))
}

/// The Accept-Language header, for the language of mails and screens.
pub fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
}

#[cfg(test)]
mod tests {
    use super::array_for_object;
    use serde_json::json;

    #[test]
    fn a_struct_sent_as_an_array_is_found_wherever_it_is() {
        let read = json!({"theme": {"texts": {"en": {"title": null}}}, "x": [{"a": 1}]});
        assert_eq!(array_for_object(&read, &read, ""), None);
        let sent = json!({"theme": {"texts": {"en": [null, null]}}, "x": [{"a": 1}]});
        assert_eq!(
            array_for_object(&sent, &read, "").as_deref(),
            Some("theme.texts.en")
        );
        let sent = json!({"theme": {"texts": {"en": {}}}, "x": [[1]]});
        assert_eq!(array_for_object(&sent, &read, "").as_deref(), Some("x[0]"));
        assert_eq!(
            array_for_object(&json!([1]), &json!({"a": 1}), "").as_deref(),
            Some("the body")
        );
    }
}
