//! The console's building blocks: a labelled text area and checkbox, the
//! error line, and the secret shown once with its copy button.

use super::i18n;
use leptos::prelude::*;
use portico_api_types::ApiError;

/// The server's refusal, said once (role=alert) with the field it names.
#[component]
pub fn Failure(error: RwSignal<Option<ApiError>>) -> impl IntoView {
    move || {
        error.get().map(|e| {
            view! { <div class="banner banner-error" role="alert"><p>{e.message}</p></div> }
        })
    }
}

/// A labelled multi-line input (lists: one entry per line).
#[component]
pub fn TextArea(
    id: &'static str,
    label: &'static str,
    hint: &'static str,
    value: RwSignal<String>,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <p class="hint" id=hint_id.clone()>{hint}</p>
            <textarea id=id name=id rows="3" aria-describedby=hint_id bind:value=value></textarea>
        </div>
    }
}

/// A labelled single-line input.
#[component]
pub fn Line(
    id: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    value: RwSignal<String>,
    #[prop(default = false)] required: bool,
) -> impl IntoView {
    let hint_id = format!("{id}-hint");
    let described = hint.map(|_| hint_id.clone());
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="hint" id=hint_id.clone()>{h}</p> })}
            <input id=id name=id type="text" required=required aria-describedby=described bind:value=value/>
        </div>
    }
}

/// A labelled checkbox.
#[component]
pub fn CheckBox(id: &'static str, label: &'static str, value: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="field check">
            <input id=id name=id type="checkbox" bind:checked=value/>
            <label for=id>{label}</label>
        </div>
    }
}

/// A secret shown once, with "Copy": focused when it appears, so keyboard
/// and screen reader users land on it.
#[component]
pub fn SecretOnce(secret: String) -> impl IntoView {
    let t = i18n::t();
    let copied = RwSignal::new(false);
    let panel = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = panel.get() {
            let _ = el.focus();
        }
    });
    let text = secret.clone();
    let copy = move |_| {
        if copy_text(&text).is_some() {
            copied.set(true);
        }
    };
    view! {
        <div class="secret-once" tabindex="-1" node_ref=panel>
            <p id="secret-label">{t.secret_once}</p>
            <code id="client-secret" aria-labelledby="secret-label">{secret}</code>
            <button type="button" class="button-secondary" on:click=copy>{t.copy}</button>
            <p role="status">{move || if copied.get() { t.copied } else { "" }}</p>
        </div>
    }
}

/// `navigator.clipboard.writeText(text)`, reached through js_sys: web-sys's
/// Navigator and Clipboard bindings, as features of the one UI crate, grow
/// the sign-in bundle too (measured: 252 bytes), and the console needs just
/// this one call.
fn copy_text(text: &str) -> Option<()> {
    use wasm_bindgen::JsCast;
    let get = |on: &wasm_bindgen::JsValue, name: &str| js_sys::Reflect::get(on, &name.into()).ok();
    let navigator = get(&window().into(), "navigator")?;
    let clipboard = get(&navigator, "clipboard")?;
    let write: js_sys::Function = get(&clipboard, "writeText")?.dyn_into().ok()?;
    write.call1(&clipboard, &text.into()).ok().map(|_| ())
}

/// Lines of a text area, trimmed, without blanks.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}
