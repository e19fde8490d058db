//! The account page: who is signed in, and signing out.

use super::session;
use crate::api;
use crate::components::{Loading, Title};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::SessionInfo;

#[component]
pub fn Home() -> impl IntoView {
    let t = use_ui().t;
    let session = session();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::logout().await;
            crate::navigate("/");
        });
    };
    move || {
        match session.get() {
        None => view! { <Loading/> }.into_any(),
        Some(Ok(SessionInfo { signed_in: true, email, name })) => view! {
            <Title title=t.account_title/>
            <p>{t.signed_in_as} <strong>{name.unwrap_or_default()}</strong> " (" {email.unwrap_or_default()} ")."</p>
            <button type="button" class="button-secondary" on:click=sign_out>{t.sign_out}</button>
        }.into_any(),
        Some(_) => view! {
            <Title title=t.account_title/>
            <p>{t.not_signed_in}</p>
            <p><a href=portico_api_types::routes::pages::LOGIN>{t.sign_in}</a></p>
        }.into_any(),
    }
    }
}
