//! The `portico` server: settings, start-up and routing. Handlers are thin:
//! parse the request, call `portico_core`, render the answer.

pub mod admin;
pub mod client_addr;
pub mod config;
mod demo;
pub mod hardening;
mod oauth;
mod ui_api;
mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::{get, post};
use portico_api_types::routes;
use portico_core::clock::Clock;
use portico_core::random::SystemRandom;
use portico_core::{Provider, ProviderConfig};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::services::ServeDir;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

/// Everything `serve` needs, after the CLI, the file and the environment.
#[derive(Debug)]
pub struct Settings {
    pub database_url: String,
    /// Defaults to `http://<bound address>`.
    pub issuer: Option<String>,
    pub ui_dir: PathBuf,
    pub migrate: bool,
    pub demo: bool,
    pub config: Option<config::FileConfig>,
}

#[derive(Clone)]
pub struct AppState {
    pub provider: Arc<Provider>,
    pub(crate) ui: Arc<web::Ui>,
    pub(crate) cookies: web::CookieSettings,
    pub(crate) demo: Option<Arc<demo::Demo>>,
}

/// A started server.
pub struct Running {
    pub issuer: String,
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    pub demo_authorize_url: Option<String>,
    /// The same, through the demo's branded entrypoint.
    pub demo_themed_url: Option<String>,
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
}

/// Open the store, load keys, apply config, and start serving on `listener`.
pub async fn start(
    settings: Settings,
    listener: TcpListener,
    clock: Arc<dyn Clock>,
) -> Result<Running, String> {
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let issuer = settings
        .issuer
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"))
        .trim_end_matches('/')
        .to_owned();
    url::Url::parse(&issuer).map_err(|e| format!("the issuer {issuer} is not a URL: {e}"))?;
    let file_read = settings.config.is_some();
    let file = settings.config.unwrap_or_default();
    let pool = file.database.pool_settings()?;
    let store = portico_store::connect(&settings.database_url, settings.migrate, &pool)
        .await
        .map_err(|e| e.to_string())?;
    let mut provider_config = ProviderConfig::new(&issuer);
    file.tokens.apply(&mut provider_config)?;
    file.retention.apply(&mut provider_config)?;
    let provider = Provider::new(provider_config, store, clock, Arc::new(SystemRandom))
        .await
        .map_err(|e| format!("cannot start the provider: {e}"))?;
    let provider = Arc::new(provider);
    config::apply(&provider, &file).await?;
    if let Some(every) = file.retention.sweep_interval() {
        tokio::spawn(sweeper(provider.clone(), every));
    }
    if file_read {
        config::disable_unlisted_clients(&provider, &file).await?;
    }
    let demo = if settings.demo {
        Some(Arc::new(demo::Demo::install(&provider).await?))
    } else {
        None
    };
    let demo_authorize_url = demo.as_ref().map(|d| d.authorize_url.clone());
    let demo_themed_url = demo.as_ref().map(|d| d.themed_authorize_url.clone());
    let state = AppState {
        provider,
        ui: Arc::new(web::Ui::load(&settings.ui_dir)),
        cookies: web::CookieSettings::for_issuer(&issuer),
        demo,
    };
    let app = router(state.clone(), &settings.ui_dir);
    // The client address (behind trusted proxies) feeds per-address lockouts.
    let proxies = client_addr::TrustedProxies::parse(&file.server.trusted_proxies)?;
    let task = tokio::spawn(hardening::serve(listener, app, Arc::new(proxies)));
    Ok(Running {
        issuer,
        addr,
        state,
        demo_authorize_url,
        demo_themed_url,
        task,
    })
}

/// Delete what has expired, every `every` (the first sweep one period
/// after start). A failed sweep is logged and tried again next time.
async fn sweeper(provider: Arc<Provider>, every: std::time::Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = portico_core::sweep::sweep(&provider).await {
            tracing::warn!(error = %e, "sweep failed");
        }
    }
}

pub fn router(state: AppState, ui_dir: &std::path::Path) -> Router {
    // Built assets from dist/; every other path is a screen of the SPA.
    let spa = ServeDir::new(ui_dir)
        .append_index_html_on_directories(false)
        // The `.br` / `.gz` copies scripts/build-ui.sh stores beside each asset.
        .precompressed_br()
        .precompressed_gzip()
        .fallback(get(web::spa).with_state(state.clone()));
    let policy = hardening::Policy::for_issuer(&state.cookies.origin);
    // The UI API: every path from api-types' `routes`, so the UI's calls
    // and this table cannot drift apart.
    let ui_api = Router::new()
        .route(
            &format!("{}/{{id}}", routes::AUTH_REQUESTS),
            get(ui_api::auth_request),
        )
        .route(routes::SESSION, get(ui_api::session))
        .route(routes::THEME, get(ui_api::theme))
        .route(routes::LOGIN, post(ui_api::login))
        .route(routes::SIGN_UP, post(ui_api::sign_up))
        .route(routes::CONTINUE, post(ui_api::continue_request))
        .route(routes::CANCEL, post(ui_api::cancel))
        .route(routes::CONSENT, post(ui_api::consent))
        .route(
            routes::END_SESSION,
            get(ui_api::end_session_info).post(ui_api::end_session_confirm),
        )
        .route(routes::DEVICE_LOOKUP, post(ui_api::device_lookup))
        .route(routes::DEVICE_DECIDE, post(ui_api::device_decide))
        .route(routes::LOGOUT, post(ui_api::logout))
        .route(routes::AUTHORIZE_ERROR, get(ui_api::authorize_error))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::csrf_guard,
        ));
    Router::new()
        .route("/oauth2/authorize", get(oauth::authorize))
        .route("/oauth2/auth", get(oauth::authorize))
        .route("/oauth2/token", post(oauth::token))
        .route("/oauth2/par", post(oauth::par))
        .route(
            portico_core::authorize::RELAY_PATH,
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
        .route("/oauth2/userinfo", get(oauth::userinfo).post(oauth::userinfo))
        .route("/.well-known/openid-configuration", get(oauth::discovery))
        .route("/.well-known/jwks.json", get(oauth::jwks))
        .route("/demo/callback", get(demo::callback))
        .route("/healthz", get(|| async { "ok" }))
        .route("/", get(web::spa))
        .route("/index.html", get(web::spa))
        .route(web::BOOT_PATH, get(web::boot_js))
        .merge(ui_api)
        .fallback_service(spa)
        .layer(DefaultBodyLimit::max(hardening::MAX_BODY))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            hardening::REQUEST_TIMEOUT,
        ))
        .layer(axum::middleware::from_fn_with_state(
            policy,
            hardening::security_headers,
        ))
        // Spans carry the method and path only: query strings can hold codes.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

/// The demo user's email and password (`serve --demo`).
pub fn demo_credentials() -> (&'static str, &'static str) {
    (demo::USER_EMAIL, demo::USER_PASSWORD)
}
