//! For the operator and the orchestrator: liveness, readiness, metrics.

use crate::AppState;
use crate::http::error::no_store;
use crate::http::lifecycle::Phase;
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::time::Duration;

/// How long `/readyz` waits for the database before calling it down.
const READY_PROBE: Duration = Duration::from_secs(2);

/// `GET /healthz`: the process answers. No database, no keys: cheap, for
/// liveness probes that restart a wedged process and nothing more.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: whether this instance should get traffic. 503 while
/// starting or draining, or when the database does not answer within
/// [`READY_PROBE`] or no key can sign now.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let phase = state.lifecycle().phase();
    if phase != Phase::Serving {
        return ready_answer(false, phase.as_str(), "unknown", "unknown");
    }
    let p = &state.provider;
    let database = match tokio::time::timeout(READY_PROBE, p.store.ping()).await {
        Ok(Ok(_)) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness: the database does not answer");
            "unavailable"
        }
        Err(_) => {
            tracing::warn!("readiness: the database did not answer in time");
            "unavailable"
        }
    };
    let now = p.now();
    let keys = p.keys();
    let keys = if keys.key(p.config.id_token_alg, now).is_ok()
        && keys.key(p.config.access_token_alg, now).is_ok()
    {
        "ok"
    } else {
        "missing"
    };
    let ready = database == "ok" && keys == "ok";
    let status = if ready { "ready" } else { "unavailable" };
    ready_answer(ready, status, database, keys)
}

fn ready_answer(ready: bool, status: &str, database: &str, keys: &str) -> Response {
    let code = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mut r = (
        code,
        axum::Json(json!({"status": status, "database": database, "keys": keys})),
    )
        .into_response();
    no_store(&mut r);
    r
}

/// `GET /metrics`: the provider's registry, after sampling the database
/// pool and the outbox. Behind `[server] metrics_token` when set.
pub async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.ops.metrics_token {
        let given = headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !portico_core::protocol::secret::ct_eq(given.as_bytes(), token.expose().as_bytes()) {
            let mut r = StatusCode::UNAUTHORIZED.into_response();
            r.headers_mut().insert(
                WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"portico-metrics\""),
            );
            return r;
        }
    }
    let p = &state.provider;
    let t = &state.ops.telemetry;
    let pool = p.store.pool_stats();
    t.pool_size.set(i64::from(pool.size));
    t.pool_idle.set(i64::from(pool.idle));
    t.pool_max.set(i64::from(pool.max));
    match tokio::time::timeout(READY_PROBE, p.store.ping()).await {
        Ok(Ok(waited)) => {
            t.pool_wait.set(waited.as_secs_f64());
            t.database_up.set(1);
        }
        _ => {
            t.pool_wait.set(READY_PROBE.as_secs_f64());
            t.database_up.set(0);
        }
    }
    if p.config.mail
        && let Ok(Ok(depth)) = tokio::time::timeout(READY_PROBE, p.store.outbox_depth()).await
    {
        t.outbox_depth.set(i64::try_from(depth).unwrap_or(i64::MAX));
    }
    let mut r = (
        [(
            CONTENT_TYPE,
            HeaderValue::from_static(portico_core::infra::metrics::CONTENT_TYPE),
        )],
        p.metrics.render(),
    )
        .into_response();
    no_store(&mut r);
    r
}
