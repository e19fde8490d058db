//! The whole URL table: every path the server answers, its handler, and
//! the layers around them (limits, timeouts, security headers, tracing).

use crate::AppState;
use crate::demo;
use crate::handlers::{admin, email, mfa, oauth, ops, spa, ui};
use crate::http::shell::{ACCOUNT_BOOT_PATH, ADMIN_BOOT_PATH, BOOT_PATH};
use crate::http::{security, telemetry};
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use portico_api_types::routes;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;

/// `/metrics` alone, for `[server] metrics_bind`.
pub(crate) fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route(METRICS, get(ops::metrics))
        .with_state(state)
}

const METRICS: &str = "/metrics";

/// Every route. `metrics`: whether `/metrics` is served here (not when it
/// has its own address).
pub fn router(state: AppState, ui_dir: &std::path::Path, metrics: bool) -> Router {
    // Built assets from dist/; every other path is a screen of the SPA.
    let spa = ServeDir::new(ui_dir)
        .append_index_html_on_directories(false)
        // The `.br` / `.gz` copies scripts/build-ui.sh stores beside each asset.
        .precompressed_br()
        .precompressed_gzip()
        .fallback(get(spa::spa).with_state(state.clone()));
    let spa = tower::ServiceBuilder::new()
        .layer(axum::middleware::from_fn(security::revalidate_unhashed))
        .service(spa);
    let policy = security::Policy::for_issuer(&state.cookies.origin);
    // The UI API: every path from api-types' `routes`, so the UI's calls
    // and this table cannot drift apart.
    let ui_api = Router::new()
        .route(
            &format!("{}/{{id}}", routes::AUTH_REQUESTS),
            get(ui::auth_request),
        )
        .route(routes::SESSION, get(ui::session))
        .route(routes::THEME, get(ui::theme))
        .route(routes::LOGIN, post(ui::login))
        .route(routes::SIGN_UP, post(ui::sign_up))
        .route(routes::CONTINUE, post(ui::continue_request))
        .route(routes::CANCEL, post(ui::cancel))
        .route(routes::CONSENT, post(ui::consent))
        .route(
            routes::END_SESSION,
            get(ui::end_session_info).post(ui::end_session_confirm),
        )
        .route(routes::DEVICE_LOOKUP, post(ui::device_lookup))
        .route(routes::DEVICE_DECIDE, post(ui::device_decide))
        .route(routes::LOGOUT, post(ui::logout))
        .route(routes::AUTHORIZE_ERROR, get(ui::authorize_error))
        .route(routes::PASSWORD_RESET, post(email::password_reset))
        .route(routes::VERIFY_EMAIL, post(ui::verify_email))
        .route(routes::VERIFY_EMAIL_RESEND, post(ui::verify_email_resend))
        .route(routes::EMAIL_CHANGE, post(email::email_change))
        .route(
            routes::EMAIL_CHANGE_CONFIRM,
            post(email::email_change_confirm),
        )
        .route(routes::EMAIL_CHANGE_UNDO, post(email::email_change_undo))
        .route(
            routes::SECOND_FACTOR,
            get(mfa::second_factor_info).post(mfa::second_factor),
        )
        .route(routes::PASSKEY_BEGIN, post(mfa::passkey_begin))
        .route(routes::PASSKEY_FINISH, post(mfa::passkey_finish))
        .route(routes::ACCOUNT_SECURITY, get(mfa::security))
        .route(routes::TOTP_BEGIN, post(mfa::totp_begin))
        .route(routes::TOTP_CONFIRM, post(mfa::totp_confirm))
        .route(routes::PASSKEY_ADD_BEGIN, post(mfa::passkey_add_begin))
        .route(routes::PASSKEY_ADD_FINISH, post(mfa::passkey_add_finish))
        .route(routes::FACTOR_RENAME, post(mfa::factor_rename))
        .route(routes::FACTOR_REMOVE, post(mfa::factor_remove))
        .route(routes::RECOVERY_CODES, post(mfa::recovery_codes))
        .route(
            routes::PASSWORD_RESET_COMPLETE,
            post(email::password_reset_complete),
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::csrf_guard,
        ));
    // The admin API, and its OpenAPI document made from the same handlers.
    let (admin_api, admin_doc) = admin::router();
    let admin_doc: std::sync::Arc<str> = admin_doc.into();
    let admin_api = admin_api
        .route(
            portico_api_types::admin::paths::OPENAPI,
            get(move || {
                let doc = admin_doc.clone();
                async move { admin::openapi(&doc) }
            }),
        )
        // Unknown API paths get JSON, not the console's page.
        .route("/admin/api/{*rest}", axum::routing::any(admin::not_found));
    Router::new()
        .route("/oauth2/authorize", get(oauth::authorize))
        .route("/oauth2/auth", get(oauth::authorize))
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/par", post(oauth::par))
        .route(
            portico_core::endpoints::authorize::RELAY_PATH,
            post(oauth::form_post_relay),
        )
        .route(
            "/oauth2/logout",
            get(oauth::end_session).post(oauth::end_session),
        )
        .route(
            "/oauth2/device_authorization",
            post(oauth::device_authorization),
        )
        .route("/oauth2/introspect", post(oauth::introspect))
        .route("/oauth2/revoke", post(oauth::revoke))
        .route(
            "/oauth2/userinfo",
            get(oauth::userinfo).post(oauth::userinfo),
        )
        .route("/.well-known/openid-configuration", get(oauth::discovery))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route("/demo/callback", get(demo::callback))
        .route(demo::MAILBOX_PATH, get(demo::mailbox))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route(
            METRICS,
            if metrics {
                get(ops::metrics)
            } else {
                get(|| async { StatusCode::NOT_FOUND })
            },
        )
        .route("/", get(spa::spa))
        .route("/index.html", get(spa::spa))
        .route(BOOT_PATH, get(spa::boot_js))
        .route(ACCOUNT_BOOT_PATH, get(spa::account_boot_js))
        .route(ADMIN_BOOT_PATH, get(spa::admin_boot_js))
        .merge(ui_api)
        .merge(admin_api)
        .fallback_service(spa)
        .layer(DefaultBodyLimit::max(security::MAX_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            security::REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(
            policy,
            security::security_headers,
        ))
        // Outermost, so its latency and status are the client's: the
        // request id, the access log line and the request metrics.
        .layer(telemetry::ObserveLayer(state.ops.telemetry.clone()))
        .with_state(state)
}
