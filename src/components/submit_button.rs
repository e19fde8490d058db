//! The primary button of a form.

use crate::theme::use_ui;
use leptos::prelude::*;

/// The primary button; disabled and announced while the form is busy.
#[component]
pub fn SubmitButton(
    #[prop(into)] label: String,
    #[prop(into)] busy: Signal<bool>,
) -> impl IntoView {
    let working = use_ui().t.working;
    view! {
        <button type="submit" class="button-primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
            {label}
        </button>
        <p class="visually-hidden" role="status">{move || if busy.get() { working } else { "" }}</p>
    }
}
