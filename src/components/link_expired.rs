//! What a mailed link that no longer works shows.

use crate::theme::use_ui;
use leptos::prelude::*;

/// The link has expired or was used: say so, and offer the way on.
#[component]
pub fn LinkExpired(
    #[prop(into)] href: String,
    /// The words of the way on.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    let t = use_ui().t;
    view! {
        <div class="banner banner-error" role="alert">
            <p>{t.invalid_link}</p>
        </div>
        <p><a href=href>{label}</a></p>
    }
}
