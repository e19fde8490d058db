//! "Two-step verification" after the password (`?request=...`,
//! `?recovery=1` for a recovery code): the code from the authenticator
//! app, a recovery code, or a passkey.

use super::{query_param, request_info, request_param, when_loaded};
use crate::components::{CancelButton, Heading, SecondFactorForm, SignInAgain};
use crate::theme::use_ui;
use crate::{api, switch_link};
use leptos::either::Either;
use leptos::prelude::*;
use portico_api_types::routes::pages;

#[component]
pub fn SecondFactor() -> impl IntoView {
    let request = request_param();
    let return_to = query_param("return_to");
    let recovery = query_param("recovery").get_untracked().as_deref() == Some("1");
    // Loaded once, without a resource: the sign-in bundle carries each
    // resource type's machinery, and this page never reloads it.
    let factors = RwSignal::new(None);
    let r = request.get_untracked();
    leptos::task::spawn_local(async move {
        factors.set(Some(api::second_factor_info(r.as_deref()).await));
    });
    let info = request_info(request);
    let t = use_ui().t;
    when_loaded(
        move || factors.get().is_some() && info.get().is_some(),
        move || {
            // Nothing to finish (the password step expired or never
            // happened): the way back to the start.
            let body = match factors.get() {
                Some(Ok(f)) => Either::Left(view! {
                    <SecondFactorForm info=f request=request return_to=return_to recovery=recovery/>
                }),
                Some(Err(e)) => Either::Right(view! {
                    <SignInAgain error=e href=switch_link(pages::LOGIN, request.get(), return_to.get())/>
                }),
                None => return None,
            };
            Some(view! {
                <Heading title=t.second_factor_title info=info.get().flatten()/>
                {body}
                <CancelButton request=request/>
            })
        },
    )
}
