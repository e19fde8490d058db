//! Typed calls to the admin API (`/admin/api/v1/...`). The console's pages
//! call these and never build requests themselves. Changes carry the CSRF
//! header the API demands of cookie-authenticated requests.

use crate::api::{answer, encode_segment, network_error};
use gloo_net::http::{Method, RequestBuilder};
use portico_api_types::Entrypoint;
use portico_api_types::admin::{
    AuditPage, ClientInput, ClientList, ClientView, ClientWithSecret, EntrypointList,
    EntrypointPreview, GrantList, KeyList, Me, PasswordResetForced, Revoked, RotateKeys,
    SessionList, UserCreated, UserInput, UserPage, UserView, paths,
};
use portico_api_types::{ApiError, CSRF_HEADER, CSRF_HEADER_VALUE};
use serde::de::DeserializeOwned;

async fn call<R: DeserializeOwned>(
    method: Method,
    path: &str,
    body: Option<String>,
) -> Result<R, ApiError> {
    let is_get = method == Method::GET;
    let builder = RequestBuilder::new(path).method(method);
    let sent = match body {
        None if is_get => builder.send().await,
        None => builder.header(CSRF_HEADER, CSRF_HEADER_VALUE).send().await,
        Some(b) => {
            let req = builder
                .header(CSRF_HEADER, CSRF_HEADER_VALUE)
                .header("Content-Type", "application/json")
                .body(b)
                .map_err(|_| network_error())?;
            req.send().await
        }
    };
    let text = answer(sent).await?;
    // 204 has no body: the unit answer.
    let text = if text.is_empty() {
        "null".to_owned()
    } else {
        text
    };
    serde_json::from_str(&text).map_err(|_| network_error())
}

fn json<B: serde::Serialize>(b: &B) -> Result<Option<String>, ApiError> {
    serde_json::to_string(b)
        .map(Some)
        .map_err(|_| network_error())
}

fn client_path(template: &str, id: &str) -> String {
    template.replace("{id}", &encode_segment(id))
}

pub async fn me() -> Result<Me, ApiError> {
    call(Method::GET, paths::ME, None).await
}

pub async fn clients(query: &str) -> Result<ClientList, ApiError> {
    let path = if query.is_empty() {
        paths::CLIENTS.to_owned()
    } else {
        format!("{}?q={}", paths::CLIENTS, encode_segment(query))
    };
    call(Method::GET, &path, None).await
}

pub async fn client(id: &str) -> Result<ClientView, ApiError> {
    call(Method::GET, &client_path(paths::CLIENT, id), None).await
}

pub async fn create_client(input: &ClientInput) -> Result<ClientWithSecret, ApiError> {
    call(Method::POST, paths::CLIENTS, json(input)?).await
}

pub async fn update_client(id: &str, input: &ClientInput) -> Result<ClientView, ApiError> {
    call(Method::PUT, &client_path(paths::CLIENT, id), json(input)?).await
}

pub async fn rotate_secret(id: &str) -> Result<ClientWithSecret, ApiError> {
    call(Method::POST, &client_path(paths::CLIENT_SECRET, id), None).await
}

pub async fn set_disabled(id: &str, disabled: bool) -> Result<ClientView, ApiError> {
    let template = if disabled {
        paths::CLIENT_DISABLE
    } else {
        paths::CLIENT_ENABLE
    };
    call(Method::POST, &client_path(template, id), None).await
}

pub async fn delete_client(id: &str) -> Result<(), ApiError> {
    call(Method::DELETE, &client_path(paths::CLIENT, id), None).await
}

pub async fn keys() -> Result<KeyList, ApiError> {
    call(Method::GET, paths::KEYS, None).await
}

pub async fn rotate_keys(immediately: bool) -> Result<KeyList, ApiError> {
    let body = RotateKeys {
        alg: None,
        immediately,
    };
    call(Method::POST, paths::KEYS_ROTATE, json(&body)?).await
}

/// A page of the audit log; `query` is the page's own query string
/// (filters and cursor), passed on as it is.
pub async fn audit(query: &str) -> Result<AuditPage, ApiError> {
    let path = if query.is_empty() {
        paths::AUDIT.to_owned()
    } else {
        format!("{}?{}", paths::AUDIT, query.trim_start_matches('?'))
    };
    call(Method::GET, &path, None).await
}

pub async fn entrypoints() -> Result<EntrypointList, ApiError> {
    call(Method::GET, paths::ENTRYPOINTS, None).await
}

pub async fn entrypoint(id: &str) -> Result<Entrypoint, ApiError> {
    call(Method::GET, &client_path(paths::ENTRYPOINT, id), None).await
}

pub async fn save_entrypoint(e: &Entrypoint) -> Result<Entrypoint, ApiError> {
    call(
        Method::PUT,
        &client_path(paths::ENTRYPOINT, &e.id),
        json(e)?,
    )
    .await
}

pub async fn preview_entrypoint(
    e: &Entrypoint,
    locale: &str,
) -> Result<EntrypointPreview, ApiError> {
    let path = format!(
        "{}?locale={}",
        client_path(paths::ENTRYPOINT_PREVIEW, &e.id),
        encode_segment(locale)
    );
    call(Method::POST, &path, json(e)?).await
}

fn user_path(template: &str, id: &str) -> String {
    template.replace("{id}", &encode_segment(id))
}

/// A page of users; `query` is the page's own query string (`q`, `cursor`).
pub async fn users(query: &str) -> Result<UserPage, ApiError> {
    let q = query.trim_start_matches('?');
    let path = if q.is_empty() {
        paths::USERS.to_owned()
    } else {
        format!("{}?{q}", paths::USERS)
    };
    call(Method::GET, &path, None).await
}

pub async fn create_user(input: &UserInput) -> Result<UserCreated, ApiError> {
    call(Method::POST, paths::USERS, json(input)?).await
}

pub async fn user(id: &str) -> Result<UserView, ApiError> {
    call(Method::GET, &user_path(paths::USER, id), None).await
}

/// Disable, enable or unlock: `action` is one of those paths.
pub async fn user_action(template: &str, id: &str) -> Result<UserView, ApiError> {
    call(Method::POST, &user_path(template, id), None).await
}

pub async fn force_password_reset(id: &str) -> Result<PasswordResetForced, ApiError> {
    call(
        Method::POST,
        &user_path(paths::USER_PASSWORD_RESET, id),
        None,
    )
    .await
}

pub async fn set_role(id: &str, role: &str, on: bool) -> Result<UserView, ApiError> {
    let path = user_path(paths::USER_ROLE, id).replace("{role}", &encode_segment(role));
    let method = if on { Method::PUT } else { Method::DELETE };
    call(method, &path, None).await
}

pub async fn delete_user(id: &str) -> Result<(), ApiError> {
    call(Method::DELETE, &user_path(paths::USER, id), None).await
}

pub async fn sessions(id: &str) -> Result<SessionList, ApiError> {
    call(Method::GET, &user_path(paths::USER_SESSIONS, id), None).await
}

pub async fn end_sessions(id: &str) -> Result<Revoked, ApiError> {
    call(Method::POST, &user_path(paths::USER_SESSIONS_END, id), None).await
}

pub async fn end_session(id: &str, sid: &str) -> Result<(), ApiError> {
    let path = user_path(paths::USER_SESSION, id).replace("{sid}", &encode_segment(sid));
    call(Method::DELETE, &path, None).await
}

pub async fn grants(id: &str) -> Result<GrantList, ApiError> {
    call(Method::GET, &user_path(paths::USER_GRANTS, id), None).await
}

pub async fn revoke_grants(id: &str) -> Result<Revoked, ApiError> {
    call(
        Method::POST,
        &user_path(paths::USER_GRANTS_REVOKE, id),
        None,
    )
    .await
}

pub async fn revoke_grant(id: &str, gid: &str) -> Result<(), ApiError> {
    let path = user_path(paths::USER_GRANT, id).replace("{gid}", &encode_segment(gid));
    call(Method::DELETE, &path, None).await
}
