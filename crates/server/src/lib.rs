//! The `portico` server: settings and start-up. The URL table is in
//! `routes`; handlers are thin: parse the request with `http/`'s
//! extractors, call `portico_core`, render the answer.

pub mod admin;
pub mod config;
mod demo;
mod handlers;
pub mod http;
pub mod mail;
mod routes;

pub use routes::router;

use portico_core::infra::clock::Clock;
use portico_core::infra::random::SystemRandom;
use portico_core::{Provider, ProviderConfig};
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

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
    pub(crate) ui: Arc<http::shell::Ui>,
    pub(crate) cookies: http::session::CookieSettings,
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
    // The demo on a loopback address is served as `localhost`: browsers
    // refuse IP addresses as WebAuthn relying-party ids, and the demo shows
    // every feature, passkeys included.
    let default_issuer = if settings.demo && addr.ip().is_loopback() {
        format!("http://localhost:{}", addr.port())
    } else {
        format!("http://{addr}")
    };
    let issuer = settings
        .issuer
        .clone()
        .unwrap_or(default_issuer)
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
    // Without `[email]`, the demo delivers to its mailbox page.
    let mailbox = Arc::new(demo::Mailbox::default());
    let mailer: Option<Arc<dyn portico_core::infra::mailer::Mailer>> = match &file.email {
        Some(e) => Some(Arc::new(mail::SmtpMailer::new(e, &issuer)?)),
        None if settings.demo => Some(mailbox.clone()),
        None => None,
    };
    provider_config.mail = mailer.is_some();
    let provider = Provider::new(provider_config, store, clock, Arc::new(SystemRandom))
        .await
        .map_err(|e| format!("cannot start the provider: {e}"))?;
    let provider = Arc::new(provider);
    config::apply(&provider, &file).await?;
    if let Some(every) = file.retention.sweep_interval() {
        tokio::spawn(sweeper(provider.clone(), every));
    }
    tokio::spawn(key_refresher(provider.clone()));
    if file_read {
        config::disable_unlisted_clients(&provider, &file).await?;
    }
    if let Some(m) = mailer {
        let poll = std::time::Duration::from_secs(5);
        tokio::spawn(mail::sender(provider.clone(), m, poll));
    }
    let demo = if settings.demo {
        Some(Arc::new(demo::Demo::install(&provider, mailbox).await?))
    } else {
        None
    };
    let demo_authorize_url = demo.as_ref().map(|d| d.authorize_url.clone());
    let demo_themed_url = demo.as_ref().map(|d| d.themed_authorize_url.clone());
    let state = AppState {
        provider,
        ui: Arc::new(http::shell::Ui::load(&settings.ui_dir)),
        cookies: http::session::CookieSettings::for_issuer(&issuer),
        demo,
    };
    let app = router(state.clone(), &settings.ui_dir);
    // The client address (behind trusted proxies) feeds per-address lockouts.
    let proxies = http::client_addr::TrustedProxies::parse(&file.server.trusted_proxies)?;
    let task = tokio::spawn(http::listener::serve(listener, app, Arc::new(proxies)));
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
        if let Err(e) = portico_core::services::sweep::sweep(&provider).await {
            tracing::warn!(error = %e, "sweep failed");
        }
    }
}

/// Keep this instance's signing keys in step with the store, so a key
/// rotated in by another instance or the CLI is used here within
/// `KEY_REFRESH` seconds, well before it signs (`services::keys`). The age
/// is measured with the injected clock, checked every second, so tests that
/// move the clock see the reload at once. Unlike the sweeper this always
/// runs: every instance must know every key.
async fn key_refresher(provider: Arc<Provider>) {
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(1));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Say so once when the store stops answering, not every second.
    let mut failing = false;
    loop {
        ticks.tick().await;
        match provider.reload_keys_if_stale().await {
            Ok(_) => failing = false,
            Err(e) if !failing => {
                tracing::warn!(error = %e, "cannot reload the signing keys");
                failing = true;
            }
            Err(_) => {}
        }
    }
}

/// Where `serve --demo` shows the mail it sends.
pub const DEMO_MAILBOX_PATH: &str = demo::MAILBOX_PATH;

/// The demo user's email and password (`serve --demo`).
pub fn demo_credentials() -> (&'static str, &'static str) {
    (demo::USER_EMAIL, demo::USER_PASSWORD)
}
