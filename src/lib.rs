//! Portico's hosted login UI: a Leptos client-side app. Screens stay thin:
//! they render, collect input and call the typed functions in [`api`].

#[cfg(feature = "admin")]
pub mod admin;
pub mod api;
pub mod components;
pub mod i18n;
pub mod screens;
pub mod theme;
pub mod webauthn;

use leptos::prelude::*;

/// Load the entrypoint's theme and language once, apply them, then show
/// the screens. Without an answer the screens use Portico's defaults.
#[component]
pub fn App() -> impl IntoView {
    let search = window().location().search().unwrap_or_default();
    let loaded = LocalResource::new(move || {
        let s = search.clone();
        async move { api::theme(&s).await }
    });
    move || {
        loaded.get().map(|r| {
            let ui = theme::Ui::new(r.ok());
            if let Some(t) = &ui.theme {
                theme::apply(t);
            }
            view! { <Screens ui=ui/> }
        })
    }
}

#[component]
fn Screens(ui: theme::Ui) -> impl IntoView {
    provide_context(ui);
    let path = window().location().pathname().unwrap_or_default();
    view! {
        <div class="page">
            <main class="card" id="main">{screen(&path)}</main>
        </div>
    }
}

/// The screen for a path. Every move between screens is a full page load
/// (the server decides the next step), so the path is read once; a router
/// would only add weight to the first load. This bundle has the screens of
/// its feature set: the sign-in bundle, or (feature `account`) the account
/// and mail screens; the server serves each page the right bundle.
#[cfg(not(feature = "account"))]
fn screen(path: &str) -> AnyView {
    use portico_api_types::routes::pages;
    match path.trim_end_matches('/') {
        pages::LOGIN => screens::Login().into_any(),
        pages::SECOND_FACTOR => screens::SecondFactor().into_any(),
        pages::SIGN_UP => screens::SignUp().into_any(),
        pages::CONSENT => screens::Consent().into_any(),
        pages::DEVICE => screens::Device().into_any(),
        pages::LOGOUT => screens::Logout().into_any(),
        "/oauth2/authorize" | "/oauth2/auth" => screens::AuthorizeError().into_any(),
        _ => screens::NotFound().into_any(),
    }
}

#[cfg(feature = "account")]
fn screen(path: &str) -> AnyView {
    use portico_api_types::routes::pages;
    match path.trim_end_matches('/') {
        "" => screens::Home().into_any(),
        pages::ACCOUNT_SECURITY => screens::Security().into_any(),
        pages::FORGOT_PASSWORD => screens::ForgotPassword().into_any(),
        pages::RESET_PASSWORD => screens::ResetPassword().into_any(),
        pages::VERIFY_EMAIL => screens::VerifyEmail().into_any(),
        pages::EMAIL_CHANGE_UNDO => screens::EmailChangeUndo().into_any(),
        _ => screens::NotFound().into_any(),
    }
}

/// A page of this UI, keeping the pending authorization request if any.
pub fn with_request(path: &str, request: Option<String>) -> String {
    match request {
        Some(r) => format!("{path}?request={}", api::encode_segment(&r)),
        None => path.to_owned(),
    }
}

/// The link to another sign-in screen, keeping the request or the page
/// to return to.
pub fn switch_link(path: &str, request: Option<String>, return_to: Option<String>) -> String {
    match (request, return_to) {
        (Some(r), _) => with_request(path, Some(r)),
        (None, Some(t)) => format!("{path}?return_to={}", api::encode_segment(&t)),
        (None, None) => path.to_owned(),
    }
}

/// Send the browser to a URL the server chose.
pub fn navigate(url: &str) {
    let _ = window().location().assign(url);
}

/// Take the step the server chose: navigate, or (response_mode=form_post)
/// post the given fields to the client in a hidden form.
pub fn follow(next: &portico_api_types::NextStep) {
    match &next.form_post {
        None => navigate(&next.redirect_to),
        Some(fields) => {
            if post_form(&next.redirect_to, fields).is_none() {
                navigate("/");
            }
        }
    }
}

fn post_form(action: &str, fields: &[(String, String)]) -> Option<()> {
    use wasm_bindgen::JsCast;
    let doc = window().document()?;
    let form: web_sys::HtmlFormElement = doc.create_element("form").ok()?.dyn_into().ok()?;
    form.set_method("post");
    form.set_action(action);
    form.set_hidden(true);
    for (name, value) in fields {
        let input: web_sys::HtmlInputElement = doc.create_element("input").ok()?.dyn_into().ok()?;
        input.set_type("hidden");
        input.set_name(name);
        input.set_value(value);
        form.append_child(&input).ok()?;
    }
    doc.body()?.append_child(&form).ok()?;
    form.submit().ok()
}
