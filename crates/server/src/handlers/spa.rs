//! The SPA: its shell for every screen and its start-up module.

use crate::AppState;
use crate::http::shell::spa_shell;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `GET /portico-boot.js`: the UI's start-up module. Not cached: it names
/// the hashed wasm and JS files of the current build.
pub async fn boot_js(State(state): State<AppState>) -> Response {
    let Some(js) = state.ui.boot_js.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut r = (
        [(CONTENT_TYPE, HeaderValue::from_static("text/javascript"))],
        js,
    )
        .into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// Every SPA route (and `/index.html` itself) gets the rewritten shell.
pub async fn spa(State(state): State<AppState>) -> Response {
    spa_shell(&state, StatusCode::OK)
}
