//! The SPA: its shell for every screen and its start-up module.

use crate::AppState;
use crate::http::shell::shell_for;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// `GET /portico-boot.js`: the UI's start-up module. Not cached: it names
/// the hashed wasm and JS files of the current build.
pub async fn boot_js(State(state): State<AppState>) -> Response {
    let Some(js) = state.ui.boot_js.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    module(js)
}

/// A start-up module: not cached, as it names the current build's files.
fn module(js: String) -> Response {
    let mut r = (
        [(CONTENT_TYPE, HeaderValue::from_static("text/javascript"))],
        js,
    )
        .into_response();
    r.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// Every SPA route (and `/index.html` itself) gets the rewritten shell of
/// the bundle that has its screen.
pub async fn spa(State(state): State<AppState>, uri: Uri) -> Response {
    shell_for(&state, uri.path())
}

/// `GET /portico-account-boot.js`: the account bundle's start-up module.
pub async fn account_boot_js(State(state): State<AppState>) -> Response {
    match state.ui.account.as_ref().and_then(|(_, js)| js.clone()) {
        Some(js) => module(js),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /portico-admin-boot.js`: the cockpit's start-up module.
pub async fn admin_boot_js(State(state): State<AppState>) -> Response {
    match state.ui.admin.as_ref().and_then(|(_, js)| js.clone()) {
        Some(js) => module(js),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
