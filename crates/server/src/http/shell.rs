//! The SPA shell: the UI's index.html, read once at start, and the answer
//! that serves it (every screen, and authorize errors that cannot redirect).

use super::error::no_store;
use crate::AppState;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue};
use axum::response::{IntoResponse, Response};
use std::path::Path;

/// The UI's index.html, read once at start (the SPA shell every screen
/// uses), with Trunk's inline start-up script moved out to [`BOOT_PATH`] so
/// the page's CSP needs no inline script at all.
pub struct Ui {
    pub index_html: String,
    pub boot_js: Option<String>,
    /// The account bundle's shell and start-up module (`account/`), when
    /// built: the account page and the mail screens, kept out of the
    /// sign-in bundle so the login page's first load stays small.
    pub account: Option<(String, Option<String>)>,
    /// The cockpit's shell and start-up module (`admin/`), when built: the
    /// admin console, its own bundle so the login page does not carry it.
    pub admin: Option<(String, Option<String>)>,
}

/// Where the UI's start-up module is served.
pub const BOOT_PATH: &str = "/portico-boot.js";
/// Where the account bundle's start-up module is served.
pub const ACCOUNT_BOOT_PATH: &str = "/portico-account-boot.js";
/// Where the cockpit's start-up module is served.
pub const ADMIN_BOOT_PATH: &str = "/portico-admin-boot.js";

/// Move the first inline `<script type="module">` out of `html`: the page
/// with a `src` reference instead, and the script. Trunk writes its loader
/// inline and has no option to write it to a file (written by hand: a
/// targeted rewrite of Trunk's known output, not an HTML parser).
pub fn externalize_boot(html: &str, boot_path: &str) -> (String, Option<String>) {
    const OPEN: &str = "<script type=\"module\">";
    let Some(start) = html.find(OPEN) else {
        return (html.to_owned(), None);
    };
    let body_start = start + OPEN.len();
    let Some(len) = html[body_start..].find("</script>") else {
        return (html.to_owned(), None);
    };
    let script = html[body_start..body_start + len].to_owned();
    let page = format!(
        "{}<script type=\"module\" src=\"{boot_path}\"></script>{}",
        &html[..start],
        &html[body_start + len + "</script>".len()..]
    );
    (page, Some(script))
}

impl Ui {
    pub fn load(dir: &Path) -> Self {
        let raw = std::fs::read_to_string(dir.join("index.html")).unwrap_or_else(|_| {
            tracing::warn!(dir = %dir.display(), "the UI is not built; screens will show a placeholder");
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Portico</title></head>\
             <body><main><h1>Portico</h1><p>The login UI has not been built. Run the README's run command.</p></main></body></html>"
                .to_owned()
        });
        let (index_html, boot_js) = externalize_boot(&raw, BOOT_PATH);
        let account = std::fs::read_to_string(dir.join("account").join("index.html"))
            .ok()
            .map(|html| externalize_boot(&html, ACCOUNT_BOOT_PATH));
        let admin = std::fs::read_to_string(dir.join("admin").join("index.html"))
            .ok()
            .map(|html| externalize_boot(&html, ADMIN_BOOT_PATH));
        Self {
            index_html,
            boot_js,
            account,
            admin,
        }
    }
}

/// The SPA shell with a status (400 for authorize errors that cannot redirect).
pub fn spa_shell(state: &AppState, status: StatusCode) -> Response {
    shell(state.ui.index_html.clone(), status)
}

/// The shell of the bundle that has the screen for `path`.
pub fn shell_for(state: &AppState, path: &str) -> Response {
    let trimmed = match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    };
    if portico_api_types::routes::pages::is_admin(trimmed)
        && let Some((html, _)) = &state.ui.admin
    {
        return shell(html.clone(), StatusCode::OK);
    }
    match &state.ui.account {
        Some((html, _)) if portico_api_types::routes::pages::ACCOUNT_BUNDLE.contains(&trimmed) => {
            shell(html.clone(), StatusCode::OK)
        }
        _ => spa_shell(state, StatusCode::OK),
    }
}

fn shell(html: String, status: StatusCode) -> Response {
    let mut r = (status, html).into_response();
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    no_store(&mut r);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_script_moves_out_of_the_page() {
        let page = "<head><link rel=x>\n<script type=\"module\">\nimport init from '/a.js';\nawait init();\n</script><link rel=y></head>";
        let (html, js) = externalize_boot(page, BOOT_PATH);
        assert_eq!(
            html,
            "<head><link rel=x>\n<script type=\"module\" src=\"/portico-boot.js\"></script><link rel=y></head>"
        );
        assert_eq!(
            js.as_deref(),
            Some("\nimport init from '/a.js';\nawait init();\n")
        );
        let plain = "<head></head>";
        assert_eq!(externalize_boot(plain, BOOT_PATH), (plain.to_owned(), None));
    }
}
