//! Any other path.

use crate::components::Title;
use crate::theme::use_ui;
use leptos::prelude::*;

/// Nothing to load: the title and the way back.
#[component]
pub fn NotFound() -> impl IntoView {
    let t = use_ui().t;
    view! {
        <Title title=t.not_found_title/>
        <p><a href="/">{t.go_to_account}</a></p>
    }
}
