//! The top of every screen: the entrypoint's brand and the title.

use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::{ApiError, AuthRequestInfo};

/// The entrypoint's logo, or its name when it has none or the image does
/// not load (a broken theme never breaks the page).
#[component]
pub fn Brand() -> impl IntoView {
    let ui = use_ui();
    let broken = RwSignal::new(false);
    let name = ui.brand();
    let alt = format!("{name}{}", ui.t.logo_alt);
    let logo = ui.logo_url();
    view! {
        <p class="brand">
            {move || match (&logo, broken.get()) {
                (Some(url), false) => view! {
                    <img class="logo" src=url.clone() alt=alt.clone() on:error=move |_| broken.set(true)/>
                }.into_any(),
                _ => view! { <span class="brand-name">{name.clone()}</span> }.into_any(),
            }}
        </p>
    }
}

/// A plain screen heading: the brand and a title.
#[component]
pub fn Title(#[prop(into)] title: String) -> impl IntoView {
    view! { <header class="card-header"><Brand/><h1>{title}</h1></header> }
}

/// Heading, the entrypoint's subtitle and the "to continue to" line for a
/// request (or why the request cannot go on).
#[component]
pub fn Heading(
    #[prop(into)] title: String,
    #[prop(default = None)] subtitle: Option<String>,
    /// The pending request as loaded, if the page names one.
    info: Option<Result<AuthRequestInfo, ApiError>>,
) -> impl IntoView {
    let ui = use_ui();
    let continue_to = ui.t.continue_to;
    view! {
        <header class="card-header">
            <Brand/>
            <h1>{title}</h1>
            {subtitle.map(|s| view! { <p class="subtitle tagline">{s}</p> })}
            {match info {
                Some(Ok(i)) => Some(view! { <p class="subtitle">{continue_to} <strong>{i.client_name}</strong></p> }.into_any()),
                Some(Err(e)) => Some(view! {
                    <div class="banner banner-error" role="alert"><p>{ui.error(&e)}</p></div>
                }.into_any()),
                None => None,
            }}
        </header>
    }
}
