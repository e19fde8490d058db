//! "Check your email": the 6-digit code (`?request=...&email=...`), or
//! the mailed link (`?token=...`), which is sent at once.

use super::{query_param, request_param};
use crate::api;
use crate::components::{ErrorBanner, FormState, LinkExpired, Loading, Title, VerifyCodeForm};
use crate::theme::use_ui;
use crate::with_request;
use leptos::prelude::*;
use portico_api_types::routes::pages;
use portico_api_types::{VerifyEmailRequest, codes};

#[component]
pub fn VerifyEmail() -> impl IntoView {
    let token = query_param("token")
        .get_untracked()
        .filter(|t| !t.is_empty());
    match token {
        Some(token) => view! { <MailedLink token=token/> }.into_any(),
        None => view! { <EnterCode/> }.into_any(),
    }
}

/// Type the code from the mail. Where verification is optional the
/// account already works: a new account on its way into an app may sign in
/// now and verify later (with required verification the request waits for
/// the code).
#[component]
fn EnterCode() -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    let request = request_param();
    let email = query_param("email");
    let sent_to = email.get_untracked().filter(|e| !e.is_empty()).map(|e| {
        view! { <p>{t.code_sent_to} <strong>{e}</strong> {t.code_sent_end}</p> }
    });
    let later = request
        .get_untracked()
        .filter(|_| ui.verification_optional())
        .map(|r| {
            view! { <p><a href=with_request(pages::LOGIN, Some(r))>{t.verify_later}</a></p> }
        });
    view! {
        <Title title=t.verify_title/>
        {sent_to}
        <VerifyCodeForm request=request email=email/>
        {later}
        <p class="switch"><a href=move || with_request(pages::LOGIN, request.get())>{t.back_to_sign_in}</a></p>
    }
}

/// The link from the mail: sent as soon as the page opens, with the
/// loading line until the server answers. On success the browser leaves;
/// only a failure is ever shown.
#[component]
fn MailedLink(token: String) -> impl IntoView {
    let t = use_ui().t;
    let form = FormState::new();
    let req = VerifyEmailRequest {
        token: Some(token),
        ..VerifyEmailRequest::default()
    };
    form.submit(move || async move { api::verify_email(&req).await });
    move || match form.error.get() {
        None => view! { <Loading label=t.checking_link/> }.into_any(),
        Some(e) if e.error == codes::INVALID_LINK => view! {
            <Title title=t.verify_title/>
            <LinkExpired href=pages::LOGIN label=t.back_to_sign_in/>
        }
        .into_any(),
        Some(_) => view! {
            <Title title=t.verify_title/>
            <ErrorBanner error=form.error/>
            <p><a href=pages::LOGIN>{t.back_to_sign_in}</a></p>
        }
        .into_any(),
    }
}
