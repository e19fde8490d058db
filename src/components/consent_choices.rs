//! What a client asks for and the two answers, for the consent and device
//! screens.

use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::ScopeInfo;

/// What a client asks for, in plain words, and the two answers. `answer`
/// gets true for "Allow" and false for "Don't allow".
#[component]
pub fn ConsentChoices(
    client_name: String,
    scopes: Vec<ScopeInfo>,
    #[prop(into)] busy: Signal<bool>,
    answer: impl Fn(bool) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    // No list (a first-party device) means only the question is asked.
    let list = (!scopes.is_empty()).then(|| {
        view! {
            <p id="consent-intro"><strong>{client_name}</strong> {t.would_like_to}</p>
            <ul class="scopes" aria-labelledby="consent-intro">
                {scopes.iter().map(|s| view! { <li>{ui.scope(s)}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        {list}
        <div class="actions">
            <button type="button" class="button-primary" on:click=move |_| answer(true) disabled=move || busy.get()>{t.allow}</button>
            <button type="button" class="button-secondary" on:click=move |_| answer(false) disabled=move || busy.get()>{t.dont_allow}</button>
        </div>
    }
}
