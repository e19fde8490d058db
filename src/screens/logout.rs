//! RP-initiated logout when the app's request does not prove itself (no
//! id_token_hint for this user): the user decides.

use super::{session, signed_in_email, when_loaded};
use crate::api;
use crate::components::{ErrorBanner, FormState, SignedInAs, Title};
use crate::theme::use_ui;
use leptos::either::Either;
use leptos::prelude::*;

/// Errors in the request are shown here, never redirected.
#[component]
pub fn Logout() -> impl IntoView {
    let ui = use_ui();
    let search = window().location().search().unwrap_or_default();
    let info = {
        let s = search.clone();
        LocalResource::new(move || {
            let s = s.clone();
            async move { api::end_session_info(&s).await }
        })
    };
    let session = session();
    let state = FormState::new();
    let sign_out = move |_| {
        let s = search.clone();
        state.submit(move || async move { api::end_session(&s).await });
    };
    when_loaded(
        move || info.get().is_some() && session.get().is_some(),
        move || {
            let t = ui.t;
            let body = match info.get() {
                Some(Ok(i)) => Either::Left(view! {
                    <p>
                        {match i.client_name {
                            Some(name) => view! { <strong>{name}</strong> {t.asks_sign_out} }.into_any(),
                            None => view! { {t.want_sign_out} }.into_any(),
                        }}
                    </p>
                    {signed_in_email(session).map(|email| view! { <SignedInAs email=email/> })}
                    <div class="actions">
                        <button type="button" class="button-primary" on:click=sign_out.clone() disabled=move || state.busy.get()>{t.sign_out}</button>
                        <a class="button-secondary" href="/">{t.stay_signed_in}</a>
                    </div>
                }),
                // An error (`when_loaded` has held the screen back until
                // the answer is in).
                other => Either::Right(view! {
                    <div class="banner banner-error" role="alert">
                        <p>{other.and_then(Result::err).map(|e| ui.error(&e))}</p>
                    </div>
                    <p><a href="/">{t.go_to_account}</a></p>
                }),
            };
            view! {
                <Title title=t.logout_title/>
                <ErrorBanner error=state.error/>
                {body}
            }
        },
    )
}
