//! The cockpit: Portico's admin console at `/admin` (issue 19), its own
//! bundle (feature `admin`). Pages are full loads dispatched on the path,
//! as in the login UI; each calls the admin API through [`api`]. Without
//! a session the API answers 401 and the console sends the browser to
//! sign in and come back; a user without the role sees why.

pub mod api;
pub mod i18n;
pub mod pages;
pub mod parts;

use leptos::prelude::*;
use portico_api_types::admin::Me;
use portico_api_types::{ApiError, codes};

/// The console: who is signed in, the navigation and the page for the path.
#[component]
pub fn AdminApp() -> impl IntoView {
    let t = i18n::t();
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("lang", i18n::lang());
    }
    let me = LocalResource::new(api::me);
    move || {
        me.get().map(|r| match r {
            Ok(me) => view! { <Console me=me/> }.into_any(),
            Err(e) if needs_sign_in(&e) => {
                crate::navigate("/login?return_to=%2Fadmin");
                view! { <p class="admin" role="status">{t.loading}</p> }.into_any()
            }
            Err(e) => view! {
                <main class="admin" id="main">
                    <div class="panel">
                        <h1>{t.cockpit}</h1>
                        <p role="alert">{if e.error == codes::FORBIDDEN { t.not_admin.to_owned() } else { e.message }}</p>
                        <a href="/">{t.signed_in_as}</a>
                    </div>
                </main>
            }
            .into_any(),
        })
    }
}

/// 401s the console answers by sending the browser to sign in.
fn needs_sign_in(e: &ApiError) -> bool {
    e.error == codes::LOGIN_REQUIRED || e.error == codes::SECOND_FACTOR_REQUIRED
}

#[component]
fn Console(me: Me) -> impl IntoView {
    let t = i18n::t();
    let path = window().location().pathname().unwrap_or_default();
    let path = path.trim_end_matches('/').to_owned();
    let current = |href: &'static str| {
        let here = path == href || (href != "/admin" && path.starts_with(href));
        here.then_some("page")
    };
    let who = me.email.clone().unwrap_or(me.actor.clone());
    let page = match path.as_str() {
        "/admin" | "" => pages::Overview().into_any(),
        "/admin/clients" => pages::Clients().into_any(),
        "/admin/keys" => pages::Keys().into_any(),
        "/admin/users" => pages::Users().into_any(),
        p if p.starts_with("/admin/users/") => {
            let id = decode(&p["/admin/users/".len()..]);
            view! { <pages::UserPage id=id/> }.into_any()
        }
        "/admin/entrypoints" => pages::Entrypoints().into_any(),
        p if p.starts_with("/admin/entrypoints/") => {
            let id = decode(&p["/admin/entrypoints/".len()..]);
            view! { <pages::EntrypointPage id=id/> }.into_any()
        }
        "/admin/audit" => pages::Audit().into_any(),
        p if p.starts_with("/admin/clients/") => {
            let id = decode(&p["/admin/clients/".len()..]);
            view! { <pages::ClientPage id=id/> }.into_any()
        }
        _ => view! { <div class="panel"><h1>{t.cockpit}</h1><p>"404"</p></div> }.into_any(),
    };
    view! {
        <div class="admin">
            <nav class="admin-nav" aria-label=t.nav_label>
                <p class="brand">{t.cockpit}</p>
                <a href="/admin" aria-current=current("/admin")>{t.overview}</a>
                <a href="/admin/clients" aria-current=current("/admin/clients")>{t.clients}</a>
                <a href="/admin/users" aria-current=current("/admin/users")>{t.users}</a>
                <a href="/admin/entrypoints" aria-current=current("/admin/entrypoints")>{t.entrypoints}</a>
                <a href="/admin/keys" aria-current=current("/admin/keys")>{t.keys}</a>
                <a href="/admin/audit" aria-current=current("/admin/audit")>{t.audit}</a>
                <span>{t.signed_in_as}" "<strong>{who}</strong></span>
            </nav>
            <main id="main">{page}</main>
        </div>
    }
}

/// A percent-decoded path segment (client ids may hold any character).
fn decode(segment: &str) -> String {
    js_sys::decode_uri_component(segment)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| segment.to_owned())
}

/// A query parameter of the page ("" when absent).
pub(crate) fn param(name: &str) -> String {
    let search = window().location().search().unwrap_or_default();
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()
        .and_then(|p| p.get(name))
        .unwrap_or_default()
}

/// A Unix time as the browser's local date and time.
pub(crate) fn when(secs: i64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let ms = (secs as f64) * 1000.0;
    let d = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms));
    d.to_locale_string(i18n::lang(), &wasm_bindgen::JsValue::UNDEFINED)
        .as_string()
        .unwrap_or_else(|| secs.to_string())
}
