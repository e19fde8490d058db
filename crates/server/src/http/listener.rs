//! The accept loop: hyper's HTTP/1 connections with a deadline for the
//! request headers, the client's address in every request, an answer while
//! the provider is still starting, and a graceful stop.

use super::client_addr::{ClientAddr, TrustedProxies};
use super::lifecycle::Lifecycle;
use super::security::{HEADER_READ_TIMEOUT, MAX_URI};
use super::telemetry::PeerTrusted;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// What the listener serves: set once the provider is ready. Until then
/// every request gets [`starting`].
pub type App = Arc<OnceLock<Router>>;

/// Serve on `listener` until `life` drains, then stop accepting (new
/// connections are refused), let the requests under way finish for at
/// most `grace`, and return.
///
/// This is `axum::serve` plus what it lacks: a deadline for the request
/// headers (hyper enforces it once it has a timer), a cap on the header
/// buffer, the start-up answer and the grace period. The peer address
/// goes into the request as `ConnectInfo`, as
/// `into_make_service_with_connect_info` does, and the client's address
/// (behind `proxies`) as [`ClientAddr`].
pub async fn serve(
    listener: TcpListener,
    app: App,
    proxies: Arc<TrustedProxies>,
    life: Arc<Lifecycle>,
    grace: Duration,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_URI + 56 * 1024);
    let graceful = GracefulShutdown::new();
    let drained = life.drained();
    tokio::pin!(drained);
    loop {
        let (stream, peer) = tokio::select! {
            biased;
            () = &mut drained => break,
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
        };
        let app = app.clone();
        let proxies = proxies.clone();
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let mut req = req.map(Body::new);
            let client = ClientAddr(proxies.client(peer.ip(), req.headers()));
            req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            req.extensions_mut().insert(client);
            req.extensions_mut()
                .insert(PeerTrusted(proxies.trusts_peer(peer.ip())));
            let app = app.get().cloned();
            async move {
                match app {
                    Some(app) => app.oneshot(req).await,
                    None => Ok::<_, Infallible>(starting(&req)),
                }
            }
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    // Closing the socket refuses new connections at once; idle keep-alive
    // connections are closed and busy ones close after their response.
    drop(listener);
    tracing::info!(grace_secs = grace.as_secs(), "draining: no new connections");
    match tokio::time::timeout(grace, graceful.shutdown()).await {
        Ok(()) => tracing::info!("drained: every request finished"),
        Err(_) => tracing::warn!("the shutdown grace ran out with requests still under way"),
    }
    Ok(())
}

/// Before the provider is ready: liveness yes, readiness and the rest no.
fn starting(req: &Request) -> Response {
    match req.uri().path() {
        "/healthz" => "ok".into_response(),
        path => {
            let body = if path == "/readyz" {
                r#"{"status":"starting","database":"unknown","keys":"unknown"}"#
            } else {
                r#"{"error":"temporarily_unavailable","error_description":"the server is starting"}"#
            };
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (header::CONTENT_TYPE, "application/json"),
                    (header::RETRY_AFTER, "1"),
                    (header::CACHE_CONTROL, "no-store"),
                ],
                body,
            )
                .into_response()
        }
    }
}
