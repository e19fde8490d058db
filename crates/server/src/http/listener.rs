//! The accept loop: `axum::serve` plus a deadline for the request headers
//! and the client's address in every request.

use super::client_addr::{ClientAddr, TrustedProxies};
use super::security::{HEADER_READ_TIMEOUT, MAX_URI};
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// Serve `app` on `listener`. This is `axum::serve` plus what it lacks: a
/// deadline for the request headers (hyper enforces it once it has a
/// timer) and a cap on the header buffer. The peer address goes into the
/// request as `ConnectInfo`, as `into_make_service_with_connect_info` does,
/// and the client's address (behind `proxies`) as [`ClientAddr`].
pub async fn serve(
    listener: TcpListener,
    app: Router,
    proxies: std::sync::Arc<TrustedProxies>,
) -> std::io::Result<()> {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT)
        .max_buf_size(MAX_URI + 56 * 1024);
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of file descriptors and the like: wait, do not spin.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let app = app.clone();
        let http = http.clone();
        let proxies = proxies.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let mut req = req.map(Body::new);
                let client = ClientAddr(proxies.client(peer.ip(), req.headers()));
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req.extensions_mut().insert(client);
                app.clone().oneshot(req)
            });
            if let Err(e) = http
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await
            {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
}
