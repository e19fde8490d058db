//! The "Reset your password" form: the address to mail a link to.

use super::{ErrorBanner, Field, FormState, SubmitButton, field_error};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::PasswordResetRequest;

/// Ask for a reset link. `sent` turns true once the server has accepted
/// the address; its answer is the same whether the address has an account
/// or not, so there is nothing else to show.
#[component]
pub fn ForgotPasswordForm(
    #[prop(into)] request: Signal<Option<String>>,
    sent: RwSignal<bool>,
) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = PasswordResetRequest {
            email: email.get_untracked(),
            request: request.get_untracked(),
        };
        form.run(
            move || async move { crate::api::password_reset(&req).await },
            move |_| sent.set(true),
        );
    };
    // Errors about the address sit under the field; others in the banner.
    let banner = Signal::derive(move || form.error.get().filter(|e| e.field_errors.is_empty()));
    let t = use_ui().t;
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=banner/>
            <Field id="email" label=t.email kind="email" autocomplete="email" value=email error=field_error(form.error, "email")/>
            <SubmitButton label=t.send_reset_link busy=form.busy/>
        </form>
    }
}
