//! What a screen shows until the data it depends on has arrived.

use crate::theme::use_ui;
use leptos::prelude::*;

/// A status line, announced by screen readers: "Loading…" unless the
/// screen has a better word for its wait.
#[component]
pub fn Loading(#[prop(optional)] label: Option<&'static str>) -> impl IntoView {
    let label = label.unwrap_or(use_ui().t.loading);
    view! { <p role="status">{label}</p> }
}
