//! The sign-in form.

use super::{ErrorBanner, Field, FormState, SubmitButton, field_error};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::LoginRequest;
use portico_api_types::routes::pages;

/// The sign-in form. `request` is the pending authorization request, if any.
#[component]
pub fn LoginForm(
    #[prop(into)] request: Signal<Option<String>>,
    /// A page of this UI to come back to (the device page), if any.
    #[prop(into, optional)]
    return_to: Signal<Option<String>>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.submit(|| {
            let req = LoginRequest {
                request: request.get_untracked(),
                email: email.get_untracked(),
                password: password.get_untracked(),
                return_to: return_to.get_untracked(),
            };
            async move { crate::api::login(&req).await }
        });
    };
    let ui = use_ui();
    // Only where mail is sent: the link would lead nowhere otherwise.
    let forgot = ui.password_reset().then(|| {
        view! {
            <p class="form-aside">
                <a href=move || crate::with_request(pages::FORGOT_PASSWORD, request.get())>{ui.t.forgot_password}</a>
            </p>
        }
    });
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=form.error/>
            // `webauthn`: the browser may offer passkeys in this field's
            // autofill (see PasskeySignIn).
            <Field id="email" label=ui.t.email kind="email" autocomplete="username webauthn" value=email error=field_error(form.error, "email")/>
            <Field
                id="password"
                label=ui.t.password
                kind="password"
                autocomplete="current-password"
                value=password
                error=field_error(form.error, "password")
            />
            <SubmitButton label=ui.sign_in_label() busy=form.busy/>
            {forgot}
        </form>
    }
}
