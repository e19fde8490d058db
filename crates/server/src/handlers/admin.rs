//! The admin API (`/admin/api/v1/...`, issue 19): thin handlers over
//! `portico_core::services::admin`. Each is listed in the OpenAPI document
//! through its `#[utoipa::path]`; [`router`] builds the routes and the
//! document from the same list, so they cannot drift apart.

use crate::AppState;
use crate::http::admin::{Admin, AdminQuery};
use crate::http::error::{Error, json};
use crate::http::extract::AdminJson;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use portico_api_types::Entrypoint;
use portico_api_types::admin::{
    AuditEntry, AuditPage, ClientInput, ClientList, ClientView, ClientWithSecret, EntrypointList,
    EntrypointPreview, GrantList, GrantView, KeyAlg, KeyList, KeyView, Me, PasswordResetForced,
    Revoked, RotateKeys, SessionList, SessionView, UserCreated, UserFactor, UserInput, UserPage,
    UserSummary, UserView, paths,
};
use portico_api_types::{ApiError, codes};
use portico_core::model::Client;
use portico_core::protocol::secret::Secret;
use portico_core::protocol::types::SigningAlg;
use portico_core::services::admin::{clients, entrypoints, users};
use portico_core::services::provision::{self, ClientSpec};
use portico_core::services::{audit, keys};
use serde::Deserialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Portico admin API",
        description = "The cockpit's API: clients, users, signing keys and the audit log. Callers are administrators signed in to Portico (their session cookie, plus the `X-Portico-CSRF: 1` header on changes) or clients with a client_credentials token carrying the scope `portico:admin`. Errors are `ApiError` objects with a stable `error` code."
    ),
    modifiers(&Security),
    tags(
        (name = "clients", description = "Registered OAuth clients"),
        (name = "entrypoints", description = "Entrypoints and their themes"),
        (name = "users", description = "Accounts, their sessions and their grants"),
        (name = "audit", description = "The audit log"),
        (name = "keys", description = "Signing keys and their rotation"),
        (name = "session", description = "Who is calling"),
    )
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new("portico_session"))),
        );
    }
}

/// The admin API's routes, and its OpenAPI document as JSON text.
pub fn router() -> (axum::Router<AppState>, String) {
    let (router, doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(rotate_secret))
        .routes(routes!(disable_client))
        .routes(routes!(enable_client))
        .routes(routes!(list_entrypoints))
        .routes(routes!(get_entrypoint, put_entrypoint))
        .routes(routes!(preview_entrypoint))
        .routes(routes!(audit_log))
        .routes(routes!(list_keys))
        .routes(routes!(rotate_keys))
        .routes(routes!(retire_key))
        .routes(routes!(list_users, create_user))
        .routes(routes!(get_user, delete_user))
        .routes(routes!(disable_user))
        .routes(routes!(enable_user))
        .routes(routes!(unlock_user))
        .routes(routes!(force_password_reset))
        .routes(routes!(set_role, unset_role))
        .routes(routes!(list_sessions))
        .routes(routes!(end_sessions))
        .routes(routes!(end_session))
        .routes(routes!(list_grants))
        .routes(routes!(revoke_grants))
        .routes(routes!(revoke_grant))
        .split_for_parts();
    let text = doc.to_pretty_json().unwrap_or_else(|e| {
        tracing::error!("the admin API's OpenAPI document does not serialise: {e}");
        String::from("{}")
    });
    (router, text)
}

/// The OpenAPI document (public: it holds no data). Revalidated, so a
/// client sees a new version after an upgrade.
pub fn openapi(doc: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, "application/json"),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        doc.to_owned(),
    )
        .into_response()
}

/// Any other path under the admin API: a JSON 404 (not the console's page).
pub async fn not_found() -> Error {
    Error::api(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        "No such admin API path.",
    )
}

fn view(c: &Client) -> ClientView {
    ClientView {
        id: c.id.clone(),
        name: c.name.clone(),
        confidential: c.secret_hash.is_some(),
        redirect_uris: c.redirect_uris.clone(),
        grant_types: c.grant_types.clone(),
        response_types: c
            .response_types
            .iter()
            .map(|r| r.as_str().to_owned())
            .collect(),
        scopes: c.scopes.clone(),
        first_party: c.first_party,
        id_token_signed_response_alg: c
            .id_token_signed_response_alg
            .map(|a| a.as_str().to_owned()),
        require_pushed_authorization_requests: c.require_pushed_authorization_requests,
        require_mfa: c.require_mfa,
        post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
        introspection: c.introspection,
        from_config: c.from_config,
        disabled: c.is_disabled(),
    }
}

fn spec(id: String, i: ClientInput) -> ClientSpec {
    ClientSpec {
        id,
        name: i.name,
        secret: None,
        redirect_uris: i.redirect_uris,
        grant_types: i.grant_types.unwrap_or_else(provision::default_grants),
        response_types: i
            .response_types
            .unwrap_or_else(provision::default_response_types),
        scopes: i.scopes.unwrap_or_else(provision::default_scopes),
        first_party: i.first_party,
        id_token_signed_response_alg: i.id_token_signed_response_alg,
        require_pushed_authorization_requests: i.require_pushed_authorization_requests,
        require_mfa: i.require_mfa,
        post_logout_redirect_uris: i.post_logout_redirect_uris,
        introspection: i.introspection,
    }
}

fn with_secret(c: &Client, secret: Option<&Secret>) -> ClientWithSecret {
    ClientWithSecret {
        client: view(c),
        client_secret: secret.map(|s| s.expose().to_owned()),
    }
}

/// Who is calling.
#[utoipa::path(get, path = paths::ME, tag = "session",
    responses(
        (status = 200, body = Me),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn me(admin: Admin) -> Response {
    json(Me {
        actor: admin.actor.as_audit(),
        email: admin.user.map(|u| u.email),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ClientQuery {
    /// Only clients whose id or name holds this (ignoring case).
    q: Option<String>,
}

/// The clients, by id.
#[utoipa::path(get, path = paths::CLIENTS, tag = "clients", params(ClientQuery),
    responses(
        (status = 200, body = ClientList),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn list_clients(
    _admin: Admin,
    State(s): State<AppState>,
    AdminQuery(q): AdminQuery<ClientQuery>,
) -> Result<Response, Error> {
    let all = clients::list(&s.provider, q.q.as_deref()).await?;
    Ok(json(ClientList {
        items: all.iter().map(view).collect(),
    }))
}

/// Register a client; a confidential one's secret is in this answer only.
#[utoipa::path(post, path = paths::CLIENTS, tag = "clients", request_body = ClientInput,
    responses(
        (status = 201, body = ClientWithSecret),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 413, body = ApiError), (status = 415, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn create_client(
    admin: Admin,
    State(s): State<AppState>,
    AdminJson(input): AdminJson<ClientInput>,
) -> Result<Response, Error> {
    let id = input.id.clone().unwrap_or_default();
    let confidential = input.confidential;
    let (c, secret) =
        clients::create(&s.provider, spec(id, input), confidential, &admin.actor).await?;
    Ok((StatusCode::CREATED, json(with_secret(&c, secret.as_ref()))).into_response())
}

/// One client.
#[utoipa::path(get, path = paths::CLIENT, tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 200, body = ClientView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn get_client(
    _admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    Ok(json(view(&clients::get(&s.provider, &id).await?)))
}

/// Change a client's settings (its secret and state stay).
#[utoipa::path(put, path = paths::CLIENT, tag = "clients", request_body = ClientInput,
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 200, body = ClientView),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 404, body = ApiError), (status = 409, body = ApiError), (status = 413, body = ApiError), (status = 415, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn update_client(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    AdminJson(input): AdminJson<ClientInput>,
) -> Result<Response, Error> {
    // The path names the client; an id in the body may only repeat it.
    if input.id.as_ref().is_some_and(|body| *body != id) {
        return Err(portico_core::services::admin::AdminError::Invalid {
            field: "id",
            message: format!("the id cannot change (the path says {id})"),
        }
        .into());
    }
    let c = clients::update(&s.provider, &id, spec(id.clone(), input), &admin.actor).await?;
    Ok(json(view(&c)))
}

/// Delete a client: its grants revoked, its consents forgotten.
#[utoipa::path(delete, path = paths::CLIENT, tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn delete_client(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    clients::delete(&s.provider, &id, &admin.actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A new secret for the client, in this answer only; the old one stops
/// working.
#[utoipa::path(post, path = paths::CLIENT_SECRET, tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 200, body = ClientWithSecret),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn rotate_secret(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let (c, secret) = clients::rotate_secret(&s.provider, &id, &admin.actor).await?;
    Ok(json(with_secret(&c, Some(&secret))))
}

/// Disable a client: it fails authentication like an unknown one and its
/// grants are revoked.
#[utoipa::path(post, path = paths::CLIENT_DISABLE, tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 200, body = ClientView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn disable_client(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    Ok(json(view(
        &clients::disable(&s.provider, &id, &admin.actor).await?,
    )))
}

/// Enable a disabled client (its old grants stay revoked).
#[utoipa::path(post, path = paths::CLIENT_ENABLE, tag = "clients",
    params(("id" = String, Path, description = "The client id")),
    responses(
        (status = 200, body = ClientView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn enable_client(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    Ok(json(view(
        &clients::enable(&s.provider, &id, &admin.actor).await?,
    )))
}

/// The entrypoints, by id.
#[utoipa::path(get, path = paths::ENTRYPOINTS, tag = "entrypoints",
    responses(
        (status = 200, body = EntrypointList),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn list_entrypoints(_admin: Admin, State(s): State<AppState>) -> Result<Response, Error> {
    Ok(json(EntrypointList {
        items: entrypoints::list(&s.provider).await?,
    }))
}

/// One entrypoint: its screens, sign-up fields, locales, theme and words.
#[utoipa::path(get, path = paths::ENTRYPOINT, tag = "entrypoints",
    params(("id" = String, Path, description = "The entrypoint id")),
    responses(
        (status = 200, body = Entrypoint),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn get_entrypoint(
    _admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    Ok(json(entrypoints::get(&s.provider, &id).await?))
}

/// Save an entrypoint (created when new), checked as portico.toml's are:
/// every field at fault is named. Live on the login pages at once.
#[utoipa::path(put, path = paths::ENTRYPOINT, tag = "entrypoints", request_body = Entrypoint,
    params(("id" = String, Path, description = "The entrypoint id")),
    responses(
        (status = 200, body = Entrypoint),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 413, body = ApiError), (status = 415, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn put_entrypoint(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
    AdminJson(e): AdminJson<Entrypoint>,
) -> Result<Response, Error> {
    Ok(json(
        entrypoints::put(&s.provider, &id, e, &admin.actor).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PreviewQuery {
    /// `en` or `es` (default `en`).
    locale: Option<String>,
}

/// The live preview of an entrypoint being edited: its look and words as
/// the login UI would get them, each colour pair's WCAG contrast, and what
/// saving would refuse. Nothing is saved.
#[utoipa::path(post, path = paths::ENTRYPOINT_PREVIEW, tag = "entrypoints", request_body = Entrypoint,
    params(("id" = String, Path, description = "The entrypoint id"), PreviewQuery),
    responses(
        (status = 200, body = EntrypointPreview),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 413, body = ApiError), (status = 415, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn preview_entrypoint(
    _admin: Admin,
    State(s): State<AppState>,
    Path(_id): Path<String>,
    AdminQuery(q): AdminQuery<PreviewQuery>,
    AdminJson(e): AdminJson<Entrypoint>,
) -> Result<Response, Error> {
    let locale = q.locale.unwrap_or_else(|| "en".into());
    Ok(json(entrypoints::preview(&s.provider, &e, &locale)))
}

/// Most entries one page holds.
const AUDIT_PAGE_MAX: i64 = 200;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only entries about this user id.
    user_id: Option<String>,
    /// Only entries about this client id.
    client_id: Option<String>,
    /// Only this event (`login.failed`, `client.updated`, ...).
    event: Option<String>,
    /// Only changes made by this actor (`user:<id>`, `client:<id>`, `cli`, `config`).
    actor: Option<String>,
    /// At or after this time (Unix seconds).
    since: Option<i64>,
    /// Before this time (Unix seconds).
    until: Option<i64>,
    /// The `next` of the page before.
    cursor: Option<String>,
    /// Entries per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<i64>,
}

/// The audit log, newest first, a page at a time.
#[utoipa::path(get, path = paths::AUDIT, tag = "audit", params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn audit_log(
    _admin: Admin,
    State(s): State<AppState>,
    AdminQuery(q): AdminQuery<AuditQuery>,
) -> Result<Response, Error> {
    let invalid = |field: &'static str, message: &str| {
        Error::from(portico_core::services::admin::AdminError::Invalid {
            field,
            message: message.into(),
        })
    };
    // Filters are matched exactly: one with a control character matches
    // nothing, and PostgreSQL would refuse a NUL.
    for (field, v) in [
        ("user_id", &q.user_id),
        ("client_id", &q.client_id),
        ("event", &q.event),
        ("actor", &q.actor),
    ] {
        if v.as_deref()
            .is_some_and(|v| v.chars().any(char::is_control))
        {
            return Err(invalid(field, "a filter cannot hold control characters"));
        }
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=AUDIT_PAGE_MAX).contains(&limit) {
        return Err(invalid("limit", "limit must be between 1 and 200"));
    }
    let before_id = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| invalid("cursor", "cursor must be the next of an earlier page"))?,
        ),
    };
    let filter = audit::Filter {
        user_id: q.user_id,
        client_id: q.client_id,
        event: q.event,
        actor: q.actor,
        since: q.since,
        until: q.until,
        before_id,
        // One more than asked, to know whether another page follows.
        limit: limit + 1,
    };
    let mut items = s
        .provider
        .store
        .audit_log(&filter)
        .await
        .map_err(|e| Error::Core(e.into()))?;
    let more = items.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    items.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    let next = items
        .last()
        .filter(|_| more)
        .map(|last| last.id.to_string());
    Ok(json(AuditPage {
        items: items
            .into_iter()
            .map(|r| AuditEntry {
                id: r.id,
                at: r.at,
                event: r.event,
                user_id: r.user_id,
                client_id: r.client_id,
                ip: r.ip,
                detail: r.detail,
                actor: r.actor,
            })
            .collect(),
        next,
    }))
}

fn key_view(k: &keys::KeyInfo) -> KeyView {
    KeyView {
        kid: k.kid.clone(),
        alg: k.alg.as_str().to_owned(),
        state: k.state.as_str().to_owned(),
        verifying_until: match k.state {
            keys::KeyState::Verifying { until } => Some(until),
            _ => None,
        },
        created_at: k.created_at,
        signs_from: k.signs_from,
        signs_until: k.signs_until,
    }
}

/// The signing keys: the one signing per algorithm, the next ones, those
/// still verifying what they signed, and the retired.
#[utoipa::path(get, path = paths::KEYS, tag = "keys",
    responses(
        (status = 200, body = KeyList),
        (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn list_keys(_admin: Admin, State(s): State<AppState>) -> Result<Response, Error> {
    let all = keys::list(&s.provider).await.map_err(Error::Core)?;
    Ok(json(KeyList {
        items: all.iter().map(key_view).collect(),
    }))
}

/// Rotate: a new key per algorithm, published at once and signing after
/// 6 minutes (or at once with `immediately`); the old key verifies until
/// every token it signed has expired, then is retired.
#[utoipa::path(post, path = paths::KEYS_ROTATE, tag = "keys", request_body = RotateKeys,
    responses(
        (status = 200, body = KeyList, description = "The new keys"),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 413, body = ApiError), (status = 415, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn rotate_keys(
    admin: Admin,
    State(s): State<AppState>,
    AdminJson(input): AdminJson<RotateKeys>,
) -> Result<Response, Error> {
    let alg = input.alg.map(|a| match a {
        KeyAlg::RS256 => SigningAlg::RS256,
        KeyAlg::ES256 => SigningAlg::ES256,
    });
    let new = keys::rotate(&s.provider, alg, input.immediately, &admin.actor).await?;
    Ok(json(KeyList {
        items: new.iter().map(key_view).collect(),
    }))
}

/// Retire a key now: out of the JWKS, its tokens no longer verify. Not the
/// key signing now (rotate with `immediately` first).
#[utoipa::path(post, path = paths::KEY_RETIRE, tag = "keys",
    params(("kid" = String, Path, description = "The key id")),
    responses(
        (status = 200, body = KeyView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn retire_key(
    admin: Admin,
    State(s): State<AppState>,
    Path(kid): Path<String>,
) -> Result<Response, Error> {
    let k = keys::retire(&s.provider, &kid, &admin.actor).await?;
    Ok(json(key_view(&k)))
}

fn user_view(d: users::UserDetail) -> UserView {
    let u = d.user;
    UserView {
        id: u.id,
        email: u.email,
        email_verified: u.email_verified,
        name: u.name,
        given_name: u.given_name,
        family_name: u.family_name,
        phone_number: u.phone_number,
        birthdate: u.birthdate,
        created_at: u.created_at,
        updated_at: u.updated_at,
        self_registered: u.self_registered,
        disabled_at: u.disabled_at,
        roles: d.roles,
        factors: d
            .factors
            .into_iter()
            .map(|f| UserFactor {
                id: f.id,
                kind: match f.kind {
                    portico_api_types::FactorKind::Passkey => "passkey",
                    portico_api_types::FactorKind::Totp => "totp",
                }
                .to_owned(),
                name: f.name,
                created_at: f.created_at,
                last_used_at: f.last_used_at,
            })
            .collect(),
        locked_until: d.locked_until,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct UserQuery {
    /// Only users whose email or name holds this (ignoring case).
    #[param(max_length = 254)]
    q: Option<String>,
    /// The `next` of the page before.
    cursor: Option<String>,
    /// Users per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
}

/// The users, by email, a page at a time.
#[utoipa::path(get, path = paths::USERS, tag = "users", params(UserQuery),
    responses(
        (status = 200, body = UserPage),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn list_users(
    _admin: Admin,
    State(s): State<AppState>,
    AdminQuery(q): AdminQuery<UserQuery>,
) -> Result<Response, Error> {
    if q.q.as_ref().is_some_and(|t| t.chars().count() > 254) {
        return Err(portico_core::services::admin::AdminError::Invalid {
            field: "q",
            message: "the search text is at most 254 characters".into(),
        }
        .into());
    }
    let page = users::search(
        &s.provider,
        q.q.as_deref(),
        q.cursor.as_deref(),
        q.limit.unwrap_or(50),
    )
    .await?;
    Ok(json(UserPage {
        items: page
            .items
            .into_iter()
            .map(|u| UserSummary {
                disabled: u.disabled_at.is_some(),
                id: u.id,
                email: u.email,
                name: u.name,
            })
            .collect(),
        next: page.next,
    }))
}

/// Make an account: with a password, or without one to invite the person
/// by mail (on an installation that sends mail).
#[utoipa::path(post, path = paths::USERS, tag = "users", request_body = UserInput,
    responses(
        (status = 201, body = UserCreated),
        (status = 400, body = ApiError), (status = 401, body = ApiError), (status = 403, body = ApiError),
        (status = 409, body = ApiError), (status = 413, body = ApiError), (status = 415, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn create_user(
    admin: Admin,
    State(s): State<AppState>,
    AdminJson(input): AdminJson<UserInput>,
) -> Result<Response, Error> {
    let new = users::NewUser {
        email: input.email,
        name: input.name,
        password: input.password.map(Secret::new),
    };
    let (d, invited) = users::create(&s.provider, new, &admin.actor).await?;
    let body = UserCreated {
        user: user_view(d),
        invited,
    };
    Ok((StatusCode::CREATED, json(body)).into_response())
}

/// One user: claims, roles, factors (without secrets), lockout and state.
#[utoipa::path(get, path = paths::USER, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn get_user(
    _admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    Ok(json(user_view(users::get(&s.provider, &id).await?)))
}

/// Erase a user: sessions, grants, factors, consents and unsent mail go;
/// the audit log keeps only the user id. Not the last enabled
/// administrator.
#[utoipa::path(delete, path = paths::USER, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 204, description = "Erased"),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn delete_user(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    users::delete(&s.provider, &id, &admin.actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Disable a user: every session and grant ends, and no sign-in works (it
/// is answered as a wrong password) until enabled. Not the last enabled
/// administrator.
#[utoipa::path(post, path = paths::USER_DISABLE, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn disable_user(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let d = users::set_disabled(&s.provider, &id, true, &admin.actor).await?;
    Ok(json(user_view(d)))
}

/// Enable a disabled user (what disabling ended stays ended).
#[utoipa::path(post, path = paths::USER_ENABLE, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn enable_user(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let d = users::set_disabled(&s.provider, &id, false, &admin.actor).await?;
    Ok(json(user_view(d)))
}

/// Clear the user's lockouts (sign-in, second factor, codes); the
/// lockouts of client addresses stay.
#[utoipa::path(post, path = paths::USER_UNLOCK, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn unlock_user(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    Ok(json(user_view(
        users::unlock(&s.provider, &id, &admin.actor).await?,
    )))
}

/// End the user's sessions and grants; when mail is on, the password is
/// replaced and a reset link mailed.
#[utoipa::path(post, path = paths::USER_PASSWORD_RESET, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = PasswordResetForced),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn force_password_reset(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let mailed = users::force_password_reset(&s.provider, &id, &admin.actor).await?;
    Ok(json(PasswordResetForced { mailed }))
}

/// Give the user a role (`admin`).
#[utoipa::path(put, path = paths::USER_ROLE, tag = "users",
    params(
        ("id" = String, Path, description = "The user id (`sub`)"),
        ("role" = String, Path, description = "The role: `admin`"),
    ),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn set_role(
    admin: Admin,
    State(s): State<AppState>,
    Path((id, role)): Path<(String, String)>,
) -> Result<Response, Error> {
    let d = users::set_role(&s.provider, &id, &role, true, &admin.actor).await?;
    Ok(json(user_view(d)))
}

/// Take a role away; not `admin` from the last enabled administrator.
#[utoipa::path(delete, path = paths::USER_ROLE, tag = "users",
    params(
        ("id" = String, Path, description = "The user id (`sub`)"),
        ("role" = String, Path, description = "The role: `admin`"),
    ),
    responses(
        (status = 200, body = UserView),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
        (status = 409, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn unset_role(
    admin: Admin,
    State(s): State<AppState>,
    Path((id, role)): Path<(String, String)>,
) -> Result<Response, Error> {
    let d = users::set_role(&s.provider, &id, &role, false, &admin.actor).await?;
    Ok(json(user_view(d)))
}

/// The user's live sessions (signed-in browsers), newest first.
#[utoipa::path(get, path = paths::USER_SESSIONS, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = SessionList),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn list_sessions(
    _admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let all = users::sessions(&s.provider, &id).await?;
    Ok(json(SessionList {
        items: all
            .into_iter()
            .map(|(sid, s)| SessionView {
                id: sid,
                created_at: s.created_at,
                auth_time: s.auth_time,
                expires_at: s.expires_at,
                amr: s.amr,
            })
            .collect(),
    }))
}

/// End every session of the user, and the grants given from them.
#[utoipa::path(post, path = paths::USER_SESSIONS_END, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = Revoked),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn end_sessions(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let count = users::end_sessions(&s.provider, &id, &admin.actor).await?;
    Ok(json(Revoked { count }))
}

/// End one session of the user, and the grants given from it.
#[utoipa::path(delete, path = paths::USER_SESSION, tag = "users",
    params(
        ("id" = String, Path, description = "The user id (`sub`)"),
        ("sid" = String, Path, description = "The session's `id` from the listing"),
    ),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn end_session(
    admin: Admin,
    State(s): State<AppState>,
    Path((id, sid)): Path<(String, String)>,
) -> Result<Response, Error> {
    users::end_session(&s.provider, &id, &sid, &admin.actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The user's live grants (what clients hold tokens for), newest first.
#[utoipa::path(get, path = paths::USER_GRANTS, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = GrantList),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn list_grants(
    _admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let all = users::grants(&s.provider, &id).await?;
    Ok(json(GrantList {
        items: all
            .into_iter()
            .map(|g| GrantView {
                from_session: g.session_id_hash.is_some(),
                id: g.id,
                client_id: g.client_id,
                scopes: g.scopes,
                created_at: g.created_at,
            })
            .collect(),
    }))
}

/// Revoke every live grant of the user: every token of theirs dies.
#[utoipa::path(post, path = paths::USER_GRANTS_REVOKE, tag = "users",
    params(("id" = String, Path, description = "The user id (`sub`)")),
    responses(
        (status = 200, body = Revoked),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn revoke_grants(
    admin: Admin,
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, Error> {
    let count = users::revoke_grants(&s.provider, &id, &admin.actor).await?;
    Ok(json(Revoked { count }))
}

/// Revoke one grant of the user: its tokens die.
#[utoipa::path(delete, path = paths::USER_GRANT, tag = "users",
    params(
        ("id" = String, Path, description = "The user id (`sub`)"),
        ("gid" = String, Path, description = "The grant id"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ApiError), (status = 403, body = ApiError), (status = 404, body = ApiError),
    ),
    security(("bearer" = []), ("session" = [])))]
async fn revoke_grant(
    admin: Admin,
    State(s): State<AppState>,
    Path((id, gid)): Path<(String, String)>,
) -> Result<Response, Error> {
    users::revoke_grant(&s.provider, &id, &gid, &admin.actor).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_path() {
        let (_, text) = router();
        let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1"),
            "{}",
            doc["openapi"]
        );
        for path in paths::ALL {
            if path == paths::OPENAPI {
                continue;
            }
            assert!(
                doc["paths"].get(path).is_some(),
                "{path} is missing from the document"
            );
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
        // Every operation names its refusals, so a client can rely on them.
        for (path, ops) in doc["paths"].as_object().unwrap() {
            for (method, op) in ops.as_object().unwrap() {
                assert!(op["responses"].get("401").is_some(), "{method} {path}");
            }
        }
    }
}
