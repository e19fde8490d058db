//! A labelled input with its inline error.

use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::ApiError;

/// A labelled input with its inline error, wired with aria-invalid and
/// aria-describedby.
#[component]
pub fn Field(
    /// id and name of the input.
    id: &'static str,
    #[prop(into)] label: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    value: RwSignal<String>,
    /// The server's message for this field, if it rejected it.
    #[prop(into)]
    error: Signal<Option<String>>,
    #[prop(optional, into)] hint: Option<String>,
    #[prop(default = true)] required: bool,
    /// The keyboard a phone shows (`numeric` for codes).
    #[prop(optional)]
    inputmode: Option<&'static str>,
) -> impl IntoView {
    let has_hint = hint.is_some();
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = {
        let (error_id, hint_id) = (error_id.clone(), hint_id.clone());
        move || {
            let mut ids = Vec::new();
            if has_hint {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:field-invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id
                name=id
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                required=required
                bind:value=value
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=described
            />
            {move || error.get().map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// The message for `field` in an error, if any, in the UI's language.
pub fn field_error(
    error: RwSignal<Option<ApiError>>,
    field: &'static str,
) -> Signal<Option<String>> {
    let ui = use_ui();
    Signal::derive(move || error.get().and_then(|e| ui.field_error(&e, field)))
}
