//! The "Set a new password" form of the mailed reset link.

use super::{ErrorBanner, Field, FormState, LinkExpired, SubmitButton, field_error};
use crate::theme::use_ui;
use leptos::either::Either;
use leptos::prelude::*;
use portico_api_types::routes::pages;
use portico_api_types::{NewPasswordRequest, codes};

/// Set a new password with the link's `token`, then take the step the
/// server chose (the sign-in page). A link that no longer works replaces
/// the form with the way to a new one.
#[component]
pub fn NewPasswordForm(#[prop(into)] token: String) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let form = FormState::new();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let req = NewPasswordRequest {
            token: token.clone(),
            password: password.get_untracked(),
        };
        form.submit(move || async move { crate::api::password_reset_complete(&req).await });
    };
    let expired = Memo::new(move |_| {
        form.error
            .with(|e| e.as_ref().is_some_and(|e| e.error == codes::INVALID_LINK))
    });
    // Errors about the password sit under the field; others in the banner.
    let banner = Signal::derive(move || form.error.get().filter(|e| e.field_errors.is_empty()));
    let t = use_ui().t;
    move || {
        if expired.get() {
            Either::Left(view! { <LinkExpired href=pages::FORGOT_PASSWORD label=t.ask_new_link/> })
        } else {
            Either::Right(view! {
                <form class="form" on:submit=submit.clone() novalidate=true>
                    <ErrorBanner error=banner/>
                    <Field
                        id="password"
                        label=t.new_password
                        kind="password"
                        autocomplete="new-password"
                        value=password
                        error=field_error(form.error, "password")
                        hint=t.password_hint
                    />
                    <SubmitButton label=t.set_new_password busy=form.busy/>
                </form>
            })
        }
    }
}
