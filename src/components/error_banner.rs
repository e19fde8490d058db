//! The banner for errors that are not about one field.

use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::ApiError;

/// The banner for errors that are not about one field; nothing without one.
#[component]
pub fn ErrorBanner(#[prop(into)] error: Signal<Option<ApiError>>) -> impl IntoView {
    let ui = use_ui();
    move || {
        error.get().map(|e| {
            view! {
                <div class="banner banner-error" role="alert">
                    <p>{ui.error(&e)}</p>
                </div>
            }
        })
    }
}
