//! The sign-up screen, with a way on for a visitor who is already signed in.

use super::{
    query_param, request_info, request_param, session, signed_in_email, switch_link, when_loaded,
    with_request,
};
use crate::api;
use crate::components::{CancelButton, Heading, SignUpForm};
use crate::theme::use_ui;
use leptos::prelude::*;

#[component]
pub fn SignUp() -> impl IntoView {
    let request = request_param();
    let return_to = query_param("return_to");
    let info = request_info(request);
    let session = session();
    let busy = RwSignal::new(false);
    let cont = move |_| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        busy.set(true);
        leptos::task::spawn_local(async move {
            match api::continue_request(&r).await {
                Ok(n) => crate::follow(&n),
                Err(_) => crate::navigate(&with_request("/login", Some(r))),
            }
        });
    };
    let ui = use_ui();
    when_loaded(
        move || info.get().is_some() && session.get().is_some(),
        move || {
            let t = ui.t;
            let continue_label = ui.continue_label();
            let already = signed_in_email(session).filter(|_| request.get().is_some()).map(|email| view! {
                <div class="banner banner-info">
                    <p>{t.already_signed_in_as} <strong>{email}</strong> "."</p>
                    <button type="button" class="button-secondary" on:click=cont disabled=move || busy.get()>{continue_label}</button>
                </div>
            });
            view! {
                <Heading title=t.sign_up_title info=info.get().flatten()/>
                {already}
                <SignUpForm request=request return_to=return_to/>
                <p class="switch">
                    {t.have_account} <a href=move || switch_link("/login", request.get(), return_to.get())>{t.sign_in}</a>
                </p>
                <CancelButton request=request/>
            }
        },
    )
}
