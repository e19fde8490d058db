//! "Sign in with a passkey", and the passkeys the browser offers in the
//! email field's autofill.

use super::{ErrorBanner, FormState};
use crate::theme::use_ui;
use crate::{api, webauthn};
use leptos::prelude::*;
use portico_api_types::{ApiError, NextStep, PasskeySignIn as Assertion};

/// Send the browser's assertion for the server's `ceremony`; the answer is
/// the next step.
async fn finish(
    ceremony: String,
    credential: String,
    request: Option<String>,
    return_to: Option<String>,
) -> Result<NextStep, ApiError> {
    api::passkey_finish(&Assertion {
        ceremony,
        credential,
        request,
        return_to,
    })
    .await
}

/// The "Sign in with a passkey" button, then the step the server chose, as
/// after the password. Nothing in a browser without passkeys. With
/// `autofill`, the browser may also offer the account's passkeys when the
/// email field (`autocomplete="username webauthn"`) is focused: that
/// request waits in the background, says nothing if it fails or is
/// cancelled, and ends when the button is pressed.
#[component]
pub fn PasskeySignIn(
    #[prop(into)] request: Signal<Option<String>>,
    #[prop(into, optional)] return_to: Signal<Option<String>>,
    #[prop(optional)] autofill: bool,
) -> impl IntoView {
    if !webauthn::supported() {
        return None;
    }
    let form = FormState::new();
    if autofill {
        leptos::task::spawn_local(async move {
            if !webauthn::conditional_available().await {
                return;
            }
            let Ok(challenge) = api::passkey_begin(true).await else {
                return;
            };
            let Ok(credential) = webauthn::sign_in(&challenge.options, true).await else {
                return;
            };
            let (request, return_to) = (request.get_untracked(), return_to.get_untracked());
            form.submit(move || finish(challenge.ceremony, credential, request, return_to));
        });
    }
    let click = move |_| {
        let (request, return_to) = (request.get_untracked(), return_to.get_untracked());
        form.submit(move || async move {
            webauthn::abort();
            let challenge = api::passkey_begin(false).await?;
            let credential = webauthn::sign_in(&challenge.options, false).await?;
            finish(challenge.ceremony, credential, request, return_to).await
        });
    };
    let t = use_ui().t;
    Some(view! {
        <div class="passkey">
            <ErrorBanner error=form.error/>
            <button type="button" class="button-secondary" on:click=click
                disabled=move || form.busy.get() aria-busy=move || form.busy.get().to_string()>
                {t.sign_in_with_passkey}
            </button>
        </div>
    })
}
