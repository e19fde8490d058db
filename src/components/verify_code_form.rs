//! The "Check your email" form: the 6-digit code that was mailed.

use super::{ErrorBanner, Field, FormState, SubmitButton, field_error};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::VerifyEmailRequest;

/// Send the code mailed to `email` for the pending `request`, then take
/// the step the server chose.
#[component]
pub fn VerifyCodeForm(
    #[prop(into)] request: Signal<Option<String>>,
    #[prop(into)] email: Signal<Option<String>>,
) -> impl IntoView {
    let code = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = VerifyEmailRequest {
            request: request.get_untracked(),
            email: email.get_untracked(),
            code: Some(code.get_untracked()),
            token: None,
        };
        form.submit(move || async move { crate::api::verify_email(&req).await });
    };
    // Errors about the code sit under the field; others (a wrong code,
    // too many attempts) in the banner, as on the sign-in form.
    let banner = Signal::derive(move || form.error.get().filter(|e| e.field_errors.is_empty()));
    let t = use_ui().t;
    view! {
        <form class="form" on:submit=submit novalidate=true>
            <ErrorBanner error=banner/>
            <Field
                id="code"
                label=t.verification_code
                autocomplete="one-time-code"
                inputmode="numeric"
                value=code
                error=field_error(form.error, "code")
            />
            <SubmitButton label=t.verify busy=form.busy/>
        </form>
    }
}
