//! The `portico` server: settings and start-up. The URL table is in
//! `routes`; handlers are thin: parse the request with `http/`'s
//! extractors, call `portico_core`, render the answer.

pub mod admin;
pub mod config;
mod demo;
mod handlers;
pub mod http;
pub mod logging;
pub mod mail;
pub mod problems;
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

/// The git revision this binary was built from (`unknown` without one).
pub const REVISION: &str = match option_env!("PORTICO_GIT_REVISION") {
    Some(r) => r,
    None => "unknown",
};

#[derive(Clone)]
pub struct AppState {
    pub provider: Arc<Provider>,
    pub(crate) ui: Arc<http::shell::Ui>,
    pub(crate) cookies: http::session::CookieSettings,
    pub(crate) demo: Option<Arc<demo::Demo>>,
    /// What operations need; one Arc, as the state is cloned per request.
    pub(crate) ops: Arc<Ops>,
}

pub(crate) struct Ops {
    pub(crate) lifecycle: Arc<http::lifecycle::Lifecycle>,
    pub(crate) telemetry: Arc<http::telemetry::Telemetry>,
    /// `[server] metrics_token`: `/metrics` wants it as a bearer token.
    pub(crate) metrics_token: Option<portico_core::protocol::secret::Secret>,
}

impl AppState {
    /// Starting, serving or draining ([`Running::shutdown`] drains).
    pub fn lifecycle(&self) -> &http::lifecycle::Lifecycle {
        &self.ops.lifecycle
    }
}

/// A started server.
pub struct Running {
    pub issuer: String,
    pub addr: std::net::SocketAddr,
    pub state: AppState,
    pub demo_authorize_url: Option<String>,
    /// The same, through the demo's branded entrypoint.
    pub demo_themed_url: Option<String>,
    /// The listener: ends after a drain ([`Running::shutdown`]) or on an
    /// I/O error.
    pub task: tokio::task::JoinHandle<std::io::Result<()>>,
    /// `/metrics` on `[server] metrics_bind`, when set.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// The sweeper, the key refresher, the mail sender and the metrics
    /// listener: stopped by [`Running::shutdown`].
    background: Vec<tokio::task::AbortHandle>,
}

/// How long shutdown waits for the database pools to close.
const CLOSE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

impl Running {
    /// Stop gracefully: `/readyz` answers 503, no new connection is
    /// accepted, requests under way get the shutdown grace to finish; then
    /// what is held in memory (aggregated lockout refusals) is written to
    /// the audit log and the database is checkpointed and closed.
    pub async fn shutdown(self) -> Result<(), String> {
        self.state.lifecycle().drain();
        let served = self.task.await;
        // Nothing of ours uses the store after this but the flush below. A
        // mail cut off mid-send is sent again after its lease, as after a
        // crash (at least once, never lost).
        for task in &self.background {
            task.abort();
        }
        let p = &self.state.provider;
        if let Err(e) = portico_core::services::audit::Refusals::flush(p).await {
            tracing::warn!(error = %e, "cannot write the pending lockout refusals");
        }
        if let Err(e) = p.store.checkpoint().await {
            tracing::warn!(error = %e, "cannot checkpoint the database");
        }
        // Requests still under way after the grace hold connections;
        // closing waits for them, but not for ever.
        if tokio::time::timeout(CLOSE_WAIT, p.store.close())
            .await
            .is_err()
        {
            tracing::warn!("the database connections did not close in time");
        }
        tracing::info!("stopped");
        served
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())
    }
}

/// Open the store, load keys, apply config, and start serving on `listener`.
pub async fn start(
    mut settings: Settings,
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
    let file = settings.config.take();
    let file_read = file.is_some();
    let file = file.unwrap_or_default();
    // Every problem of the file, before anything opens or listens.
    let problems = file.problems();
    if !problems.is_empty() {
        return Err(config::one_line(&problems));
    }
    // The client address (behind trusted proxies) feeds per-address lockouts.
    let proxies = http::client_addr::TrustedProxies::parse(&file.server.trusted_proxies)?;
    // Listen at once: until the provider is ready, liveness says yes and
    // readiness (and everything else) 503.
    let lifecycle = Arc::new(http::lifecycle::Lifecycle::default());
    let app: http::listener::App = Arc::default();
    let task = tokio::spawn(http::listener::serve(
        listener,
        app.clone(),
        Arc::new(proxies),
        lifecycle.clone(),
        file.server.shutdown_grace(),
    ));
    match build(
        &settings,
        &issuer,
        file_read,
        file,
        lifecycle.clone(),
        clock,
    )
    .await
    {
        Ok(Built {
            state,
            router,
            demo_urls,
            metrics_addr,
            background,
        }) => {
            if app.set(router).is_err() {
                return Err("the server was started twice".into());
            }
            state.lifecycle().serving();
            let (demo_authorize_url, demo_themed_url) = demo_urls.unzip();
            Ok(Running {
                issuer,
                addr,
                state,
                demo_authorize_url,
                demo_themed_url,
                task,
                metrics_addr,
                background,
            })
        }
        Err(e) => {
            lifecycle.drain();
            task.abort();
            Err(e)
        }
    }
}

struct Built {
    state: AppState,
    router: axum::Router,
    demo_urls: Option<(String, String)>,
    metrics_addr: Option<std::net::SocketAddr>,
    background: Vec<tokio::task::AbortHandle>,
}

/// Everything behind the listener: store, provider, config, background
/// tasks, the router.
async fn build(
    settings: &Settings,
    issuer: &str,
    file_read: bool,
    file: config::FileConfig,
    lifecycle: Arc<http::lifecycle::Lifecycle>,
    clock: Arc<dyn Clock>,
) -> Result<Built, String> {
    let (demo_on, ui_dir) = (settings.demo, settings.ui_dir.as_path());
    let pool = file.database.pool_settings()?;
    let store = portico_store::connect(&settings.database_url, settings.migrate, &pool)
        .await
        .map_err(|e| e.to_string())?;
    let mut provider_config = ProviderConfig::new(issuer);
    file.tokens.apply(&mut provider_config)?;
    file.retention.apply(&mut provider_config)?;
    // Without `[email]`, the demo delivers to its mailbox page.
    let mailbox = Arc::new(demo::Mailbox::default());
    let mailer: Option<Arc<dyn portico_core::infra::mailer::Mailer>> = match &file.email {
        Some(e) => Some(Arc::new(mail::SmtpMailer::new(e, issuer)?)),
        None if demo_on => Some(mailbox.clone()),
        None => None,
    };
    provider_config.mail = mailer.is_some();
    let provider = Provider::new(provider_config, store, clock, Arc::new(SystemRandom))
        .await
        .map_err(|e| format!("cannot start the provider: {e}"))?;
    let provider = Arc::new(provider);
    config::apply(&provider, &file).await?;
    if file_read {
        config::disable_unlisted_clients(&provider, &file).await?;
    }
    let demo = if demo_on {
        Some(Arc::new(demo::Demo::install(&provider, mailbox).await?))
    } else {
        None
    };
    let demo_urls = demo
        .as_ref()
        .map(|d| (d.authorize_url.clone(), d.themed_authorize_url.clone()));
    let telemetry = Arc::new(http::telemetry::Telemetry::new(
        &provider.metrics,
        request_id_prefix(&*provider.random)?,
    ));
    let state = AppState {
        provider,
        ui: Arc::new(http::shell::Ui::load(ui_dir)),
        cookies: http::session::CookieSettings::for_issuer(issuer),
        demo,
        ops: Arc::new(Ops {
            lifecycle,
            telemetry,
            metrics_token: file.server.metrics_token.clone(),
        }),
    };
    // `/metrics` on its own address, or beside everything else.
    let metrics_listener = match &file.server.metrics_bind {
        Some(bind) => Some(
            tokio::net::TcpListener::bind(bind)
                .await
                .map_err(|e| format!("cannot listen on {bind} ([server] metrics_bind): {e}"))?,
        ),
        None => None,
    };
    let metrics_addr = match &metrics_listener {
        Some(l) => Some(l.local_addr().map_err(|e| e.to_string())?),
        None => None,
    };
    let app = router(state.clone(), ui_dir, metrics_addr.is_none());
    // The background tasks, last: nothing above can fail and leave them
    // running. Shutdown stops them before the final flush.
    let p = &state.provider;
    let mut background = Vec::new();
    if let Some(every) = file.retention.sweep_interval() {
        background.push(tokio::spawn(sweeper(p.clone(), every)).abort_handle());
    }
    background.push(tokio::spawn(key_refresher(p.clone())).abort_handle());
    if let Some(m) = mailer {
        let poll = std::time::Duration::from_secs(5);
        background.push(tokio::spawn(mail::sender(p.clone(), m, poll)).abort_handle());
    }
    if let Some(l) = metrics_listener {
        let only_metrics = routes::metrics_router(state.clone());
        let serving = tokio::spawn(async move {
            if let Err(e) = axum::serve(l, only_metrics).await {
                tracing::error!(error = %e, "the metrics listener stopped");
            }
        });
        background.push(serving.abort_handle());
    }
    Ok(Built {
        state,
        router: app,
        demo_urls,
        metrics_addr,
        background,
    })
}

/// 8 random hex digits: request ids are `<this>-<counter>`, unique across
/// instances without a random draw per request.
fn request_id_prefix(random: &dyn portico_core::infra::random::Random) -> Result<String, String> {
    let mut b = [0u8; 4];
    random.fill(&mut b).map_err(|e| e.to_string())?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Delete what has expired, every `every` (the first sweep one period
/// after start). A failed sweep is logged and tried again next time.
async fn sweeper(provider: Arc<Provider>, every: std::time::Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        match portico_core::services::sweep::sweep(&provider).await {
            Ok(swept) => provider.metrics.sweep(Some(swept.total())),
            Err(e) => {
                provider.metrics.sweep(None);
                tracing::warn!(error = %e, "sweep failed");
            }
        }
        // SQLite: keep the write-ahead log from growing while readers
        // never leave it a quiet moment (a no-op on PostgreSQL).
        if let Err(e) = provider.store.checkpoint().await {
            tracing::warn!(error = %e, "checkpoint failed");
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
