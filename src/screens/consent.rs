//! The consent screen: which app, what it asks for in plain words, and
//! "Allow" / "Don't allow".

use super::{request_info, request_param, session, signed_in_email, when_loaded};
use crate::api;
use crate::components::{ConsentChoices, ErrorBanner, FormState, Heading, SignedInAs};
use crate::theme::use_ui;
use leptos::prelude::*;

#[component]
pub fn Consent() -> impl IntoView {
    let request = request_param();
    let info = request_info(request);
    let session = session();
    let state = FormState::new();
    let answer = move |allow: bool| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        state.submit(move || async move { api::consent(&r, allow).await });
    };
    let t = use_ui().t;
    when_loaded(
        move || info.get().is_some() && session.get().is_some(),
        move || {
            let info = info.get().flatten();
            let choices = info.clone().and_then(Result::ok).map(|i| view! {
                <ConsentChoices client_name=i.client_name scopes=i.scopes busy=state.busy answer=answer/>
            });
            view! {
                <Heading title=t.consent_title info=info/>
                <ErrorBanner error=state.error/>
                {choices}
                {signed_in_email(session).map(|email| view! { <SignedInAs email=email/> })}
            }
        },
    )
}
