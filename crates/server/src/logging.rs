//! The log: text for people or JSON for collectors (`[server] log_format`,
//! `PORTICO_LOG_FORMAT`), filtered by `PORTICO_LOG` (or `RUST_LOG`) in
//! tracing's directive syntax, e.g. `info,portico::http=warn`.
//!
//! What is logged never holds a secret: secrets are `Secret` values whose
//! `Debug` redacts, spans carry the method and route but never the query,
//! and `tests/logs.rs` checks both formats at TRACE.

use crate::config::LogFormat;
use tracing_subscriber::Layer;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;

/// The filter when neither variable is set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn";

/// The format: `PORTICO_LOG_FORMAT`, else the config's, else text.
pub fn format(configured: Option<LogFormat>) -> Result<LogFormat, String> {
    match std::env::var("PORTICO_LOG_FORMAT") {
        Ok(v) if !v.is_empty() => v.parse().map_err(|e| format!("PORTICO_LOG_FORMAT: {e}")),
        _ => Ok(configured.unwrap_or_default()),
    }
}

/// The filter: `PORTICO_LOG`, else `RUST_LOG`, else [`DEFAULT_FILTER`].
pub fn filter() -> Result<tracing_subscriber::EnvFilter, String> {
    let directives = std::env::var("PORTICO_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| DEFAULT_FILTER.to_owned());
    tracing_subscriber::EnvFilter::try_new(&directives)
        .map_err(|e| format!("PORTICO_LOG {directives:?} is not a valid filter: {e}"))
}

/// One formatting layer writing to `writer`: the span fields (the request
/// id) ride on every event; JSON puts them in `span` and `spans`.
pub fn layer<S, W>(format: LogFormat, writer: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    match format {
        LogFormat::Text => tracing_subscriber::fmt::layer()
            .with_writer(writer)
            .with_ansi(false)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(writer)
            .boxed(),
    }
}

/// Install the process's subscriber, writing to stdout from a background
/// thread. Keep the guard until exit: dropping it flushes what is queued.
pub fn init(format: LogFormat) -> Result<tracing_appender::non_blocking::WorkerGuard, String> {
    let filter = filter()?;
    // Lossy beyond 8,192 queued lines (a line is dropped, a request never
    // waits); the default 128,000 held 4 MB of memory at idle.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(8192)
        .finish(std::io::stdout());
    tracing_subscriber::registry()
        .with(layer(format, writer).with_filter(filter))
        .try_init()
        .map_err(|e| format!("cannot start logging: {e}"))?;
    Ok(guard)
}
