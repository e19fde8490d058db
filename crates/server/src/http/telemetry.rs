//! Every request gets an id (echoed as `X-Request-Id`), one log line
//! (method, route, status, latency, client id where known) and its place
//! in the request metrics. The id is taken from the request's own
//! `X-Request-Id` only when the TCP peer is a trusted proxy, so nobody
//! else can forge log correlation; otherwise it is made here.
//!
//! Routes are the router's templates (`/api/ui/auth-requests/{id}`),
//! never the raw path: a path can carry an id, and every distinct path
//! would be a new metric series.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tracing::Instrument;

pub const REQUEST_ID: &str = "x-request-id";

/// Whether the TCP peer of a request is one of `[server] trusted_proxies`
/// (set by the listener).
#[derive(Debug, Clone, Copy)]
pub struct PeerTrusted(pub bool);

/// The client a request is for, filled by the extractor that learns it
/// (the back channel's client authentication) and read for the log line.
#[derive(Debug, Clone, Default)]
pub struct ClientSlot(Arc<OnceLock<String>>);

impl ClientSlot {
    pub fn set(&self, client_id: &str) {
        let _ = self.0.set(printable(client_id));
    }
}

/// A client id as it may appear in a log: at most 128 visible ASCII
/// characters, so a hostile one can neither forge lines nor flood them.
fn printable(id: &str) -> String {
    if id.len() <= 128 && id.bytes().all(|b| b.is_ascii_graphic()) {
        id.to_owned()
    } else {
        "(unprintable)".to_owned()
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: Arc<str>,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: Arc<str>,
    method: &'static str,
}

/// The request families and the gauges sampled at each scrape.
pub struct Telemetry {
    /// Per process, so ids from several instances do not collide.
    prefix: String,
    next: AtomicU64,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    /// Routes seen, interned: one allocation per route, not per request.
    /// Only the router's templates get here, so the map is bounded.
    routes: std::sync::RwLock<std::collections::HashMap<String, Arc<str>>>,
    other: Arc<str>,
    pub pool_size: Gauge,
    pub pool_idle: Gauge,
    pub pool_max: Gauge,
    pub pool_wait: Gauge<f64, AtomicU64>,
    pub outbox_depth: Gauge,
    pub database_up: Gauge,
}

/// Latency buckets in seconds: 1 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(prometheus_client::metrics::histogram::exponential_buckets(
        0.001, 2.0, 15,
    ))
}

impl Telemetry {
    /// The families, registered in the provider's registry.
    pub fn new(m: &portico_core::infra::metrics::Metrics, prefix: String) -> Self {
        let t = Self {
            prefix,
            next: AtomicU64::new(0),
            requests: Family::default(),
            latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            routes: Default::default(),
            other: Arc::from("(other)"),
            pool_size: Gauge::default(),
            pool_idle: Gauge::default(),
            pool_max: Gauge::default(),
            pool_wait: Gauge::default(),
            outbox_depth: Gauge::default(),
            database_up: Gauge::default(),
        };
        m.register(
            "portico_http_requests",
            "HTTP requests answered, by route template, method and status",
            t.requests.clone(),
        );
        m.register(
            "portico_http_request_duration_seconds",
            "Time to answer, by route template and method",
            t.latency.clone(),
        );
        m.register(
            "portico_db_pool_connections",
            "Database connections open (busy or idle)",
            t.pool_size.clone(),
        );
        m.register(
            "portico_db_pool_idle_connections",
            "Database connections open and idle",
            t.pool_idle.clone(),
        );
        m.register(
            "portico_db_pool_max_connections",
            "The most database connections the pool opens",
            t.pool_max.clone(),
        );
        m.register(
            "portico_db_pool_wait_seconds",
            "How long the scrape's own probe waited for a database connection",
            t.pool_wait.clone(),
        );
        m.register(
            "portico_db_up",
            "1 when the scrape's probe reached the database, else 0",
            t.database_up.clone(),
        );
        m.register(
            "portico_mail_outbox_depth",
            "Mails waiting to be sent (neither sent nor given up)",
            t.outbox_depth.clone(),
        );
        let build = prometheus_client::metrics::info::Info::new(vec![
            ("version", env!("CARGO_PKG_VERSION")),
            ("revision", crate::REVISION),
        ]);
        m.register("portico_build", "The running build", build);
        t
    }

    /// The request's id: the trusted proxy's, or a new one.
    fn request_id(&self, req: &Request) -> String {
        let trusted = req.extensions().get::<PeerTrusted>().is_some_and(|t| t.0);
        if trusted
            && let Some(id) = req.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok())
            && valid_id(id)
        {
            return id.to_owned();
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        format!("{}-{n:x}", self.prefix)
    }

    fn route(&self, path: Option<&MatchedPath>) -> Arc<str> {
        let Some(path) = path else {
            // The SPA's pages and assets, and unknown paths: one series.
            return self.other.clone();
        };
        let path = path.as_str();
        if let Ok(known) = self.routes.read()
            && let Some(r) = known.get(path)
        {
            return r.clone();
        }
        let route: Arc<str> = Arc::from(path);
        if let Ok(mut known) = self.routes.write() {
            known.insert(path.to_owned(), route.clone());
        }
        route
    }
}

/// An id a proxy may pass on: 1 to 128 of `A-Z a-z 0-9 . _ : -`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn method_label(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The `client_id` of a query string (the authorization endpoint's).
fn query_client_id(query: Option<&str>) -> Option<String> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "client_id")
        .map(|(_, v)| printable(&v))
}

/// The layer: the id, the span every log of the request is in, the access
/// line and the request metrics, around every route.
///
/// Written as a tower layer rather than `axum::middleware::from_fn`:
/// axum clones a route's whole stack for each request already, and
/// `from_fn` clones what is inside it once more; this calls the inner
/// service it was handed (readied by `poll_ready`), so the token path
/// pays for no second copy.
#[derive(Clone)]
pub struct ObserveLayer(pub Arc<Telemetry>);

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observe<S>;
    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            t: self.0.clone(),
            inner,
        }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    t: Arc<Telemetry>,
    inner: S,
}

impl<S> tower::Service<Request> for Observe<S>
where
    S: tower::Service<Request, Response = Response, Error = std::convert::Infallible>
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Response, Self::Error>> + Send>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        let started = Instant::now();
        let t = self.t.clone();
        let id = t.request_id(&req);
        let method = method_label(req.method());
        let route = t.route(req.extensions().get::<MatchedPath>());
        let slot = ClientSlot::default();
        req.extensions_mut().insert(slot.clone());
        let from_query = if req.method() == Method::GET {
            query_client_id(req.uri().query())
        } else {
            None
        };
        let span = tracing::info_span!("request", request_id = %id);
        let answer = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        Box::pin(async move {
            let mut res = answer.instrument(span).await?;
            t.finish(&mut res, &id, method, &route, started, slot, from_query);
            Ok(res)
        })
    }
}

impl Telemetry {
    /// After the answer: the id header, the metrics, the access line.
    #[allow(clippy::too_many_arguments)]
    fn finish(
        &self,
        res: &mut Response,
        id: &str,
        method: &'static str,
        route: &Arc<str>,
        started: Instant,
        slot: ClientSlot,
        from_query: Option<String>,
    ) {
        let elapsed = started.elapsed();
        if let Ok(v) = HeaderValue::from_str(id) {
            res.headers_mut().insert(REQUEST_ID, v);
        }
        let status = res.status().as_u16();
        self.requests
            .get_or_create(&RequestLabels {
                route: route.clone(),
                method,
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
                method,
            })
            .observe(elapsed.as_secs_f64());
        let client_id = slot.0.get().cloned().or(from_query);
        tracing::info!(
            target: "portico::http",
            request_id = %id,
            method = %method,
            route = %route,
            status,
            latency_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
            client_id = client_id.as_deref(),
            "request"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken_from_a_proxy() {
        assert!(valid_id("abc-123_x.y:z"));
        assert!(!valid_id(""));
        assert!(!valid_id("a b"));
        assert!(!valid_id("line\nbreak"));
        assert!(!valid_id(&"a".repeat(129)));
    }

    #[test]
    fn client_ids_in_logs_are_short_and_visible() {
        assert_eq!(printable("web"), "web");
        assert_eq!(printable("evil\nINFO forged"), "(unprintable)");
        assert_eq!(printable(&"x".repeat(200)), "(unprintable)");
        assert_eq!(
            query_client_id(Some("response_type=code&client_id=my%20app")),
            Some("(unprintable)".into())
        );
        assert_eq!(
            query_client_id(Some("client_id=web&scope=openid")),
            Some("web".into())
        );
    }
}
