//! The sign-in screen, with the account chooser for prompt=select_account.

use super::{
    RequestInfo, Session, query_param, request_info, request_param, session, switch_link,
    when_loaded,
};
use crate::api;
use crate::components::{CancelButton, ErrorBanner, FormState, Heading, LoginForm, PasskeySignIn};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::{SessionInfo, XMethod};

#[component]
pub fn Login() -> impl IntoView {
    let request = request_param();
    let return_to = query_param("return_to");
    let info = request_info(request);
    let session = session();
    let ui = use_ui();
    when_loaded(
        move || info.get().is_some() && session.get().is_some(),
        move || {
            let t = ui.t;
            // Accounts are only created on the way into an app (a live request
            // whose entrypoint offers sign-up): no link without one.
            let offered = ui.offers(XMethod::SignUp) && request.get_untracked().is_some();
            let switch = offered.then(|| view! {
                <p class="switch">
                    {t.new_here} <a href=move || switch_link("/sign-up", request.get(), return_to.get())>{t.create_an_account}</a>
                </p>
            });
            // Where the installation offers passkeys: the button, and the
            // account's passkeys in the email field's autofill.
            let passkeys = ui.passkeys().then(|| {
                view! {
                    <PasskeySignIn request=request return_to=return_to autofill=true/>
                }
            });
            view! {
                <Heading title=ui.sign_in_title() subtitle=ui.subtitle() info=info.get().flatten()/>
                <AccountChooser request=request info=info session=session/>
                <LoginForm request=request return_to=return_to/>
                {passkeys}
                {switch}
                <CancelButton request=request/>
            }
        },
    )
}

/// prompt=select_account: continue as the signed-in account, or sign in
/// with another one below.
#[component]
fn AccountChooser(
    request: Signal<Option<String>>,
    info: RequestInfo,
    session: Session,
) -> impl IntoView {
    let choosing = matches!(info.get(), Some(Some(Ok(i))) if i.select_account);
    let state = FormState::new();
    let t = use_ui().t;
    let cont = move |_| {
        let Some(r) = request.get_untracked() else {
            return;
        };
        state.submit(move || async move { api::continue_request(&r).await });
    };
    match session.get() {
        Some(Ok(SessionInfo {
            signed_in: true,
            email: Some(email),
            name,
            ..
        })) if choosing => Some(view! {
            <section class="chooser" aria-labelledby="chooser-title">
                <h2 id="chooser-title">{t.choose_account}</h2>
                <ErrorBanner error=state.error/>
                <button type="button" class="button-secondary account" on:click=cont disabled=move || state.busy.get()>
                    {t.continue_as} {name.unwrap_or_default()} " (" {email} ")"
                </button>
                <p class="or">{t.or_another}</p>
            </section>
        }),
        _ => None,
    }
}
