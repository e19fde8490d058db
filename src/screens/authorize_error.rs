//! Shown (with HTTP 400) when an authorization request cannot be sent back
//! to the app: unknown client or redirect URI.

use crate::api;
use crate::components::{Loading, Title};
use crate::theme::use_ui;
use leptos::prelude::*;

#[component]
pub fn AuthorizeError() -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    let search = window().location().search().unwrap_or_default();
    let info = LocalResource::new(move || {
        let s = search.clone();
        async move { api::authorize_error(&s).await }
    });
    move || {
        let problem = match info.get() {
            None => return view! { <Loading label=t.checking_link/> }.into_any(),
            Some(Ok(e)) => view! {
                <p>{e.error_description}</p>
                <p class="error-code">{t.error_code} <code>{e.error}</code></p>
            }
            .into_any(),
            Some(Err(e)) => view! { <p>{ui.error(&e)}</p> }.into_any(),
        };
        view! {
            <Title title=t.link_broken_title/>
            <div class="banner banner-error" role="alert">{problem}</div>
            <p>{t.link_broken_help}</p>
        }
        .into_any()
    }
}
