//! What a second-factor step shows when the sign-in it belongs to is over.

use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::ApiError;

/// Why the sign-in cannot go on (the password step expired, or the page
/// could not be loaded), and "Sign in again".
#[component]
pub fn SignInAgain(error: ApiError, #[prop(into)] href: String) -> impl IntoView {
    let ui = use_ui();
    view! {
        <div class="banner banner-error" role="alert">
            <p>{ui.error(&error)}</p>
        </div>
        <p><a href=href>{ui.t.sign_in_again}</a></p>
    }
}
