//! The link mailed to the old address after a change of email
//! (`?token=...`): put the old address back.

use super::query_param;
use crate::api;
use crate::components::{ErrorBanner, FormState, LinkExpired, Loading, Title};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::codes;
use portico_api_types::routes::pages;

/// A link cut short (no token) can never work, so it says so at once.
#[component]
pub fn EmailChangeUndo() -> impl IntoView {
    let t = use_ui().t;
    let token = query_param("token")
        .get_untracked()
        .filter(|t| !t.is_empty());
    match token {
        Some(token) => view! { <Undo token=token/> }.into_any(),
        None => view! {
            <Title title=t.account_title/>
            <LinkExpired href=pages::LOGIN label=t.sign_in/>
        }
        .into_any(),
    }
}

/// Sent as soon as the page opens, with the loading line until the server
/// answers. The server has then ended every session of the account, so
/// the page stays and says so, with the way to sign in again.
#[component]
fn Undo(token: String) -> impl IntoView {
    let t = use_ui().t;
    let form = FormState::new();
    let undone = RwSignal::new(false);
    form.run(
        move || async move { api::email_change_undo(&token).await },
        move |_| undone.set(true),
    );
    move || match form.error.get() {
        None if undone.get() => view! {
            <Title title=t.old_email_back_title/>
            <p>{t.old_email_back}</p>
            <p><a href=pages::LOGIN>{t.sign_in}</a></p>
        }
        .into_any(),
        None => view! { <Loading label=t.checking_link/> }.into_any(),
        Some(e) if e.error == codes::INVALID_LINK => view! {
            <Title title=t.account_title/>
            <LinkExpired href=pages::LOGIN label=t.sign_in/>
        }
        .into_any(),
        Some(_) => view! {
            <Title title=t.account_title/>
            <ErrorBanner error=form.error/>
            <p><a href=pages::LOGIN>{t.sign_in}</a></p>
        }
        .into_any(),
    }
}
