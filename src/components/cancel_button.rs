//! Backing out of a pending authorization request.

use crate::api;
use crate::theme::use_ui;
use leptos::prelude::*;

/// Back out of a pending request: the app gets access_denied. Nothing
/// without a request.
#[component]
pub fn CancelButton(request: Signal<Option<String>>) -> impl IntoView {
    let cancel = move |_| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(n) = api::cancel(&r).await {
                crate::follow(&n);
            }
        });
    };
    let label = use_ui().t.cancel;
    move || {
        request.get().map(|_| view! { <button type="button" class="button-link" on:click=cancel>{label}</button> })
    }
}
