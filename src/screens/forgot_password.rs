//! "Reset your password": ask for a link by email.

use super::request_param;
use crate::components::{ForgotPasswordForm, Title};
use crate::theme::use_ui;
use crate::with_request;
use leptos::either::Either;
use leptos::html;
use leptos::prelude::*;
use portico_api_types::routes::pages;

/// Nothing to load: the form, then the same confirmation for every
/// address, with the way back to sign in (keeping the request).
#[component]
pub fn ForgotPassword() -> impl IntoView {
    let t = use_ui().t;
    let request = request_param();
    let sent = RwSignal::new(false);
    let back = move || with_request(pages::LOGIN, request.get());
    // The form (and the focused button) goes away: move focus to what
    // replaced it, so keyboard and screen reader users are not sent back
    // to the top of the page.
    let done = NodeRef::<html::Div>::new();
    Effect::new(move |_| {
        if let Some(el) = done.get() {
            let _ = el.focus();
        }
    });
    view! {
        <Title title=t.reset_title/>
        {move || {
            if sent.get() {
                Either::Left(view! {
                    <div class="outcome" tabindex="-1" node_ref=done>
                        <p role="status">{t.reset_link_sent}</p>
                    </div>
                })
            } else {
                Either::Right(view! { <ForgotPasswordForm request=request sent=sent/> })
            }
        }}
        <p class="switch"><a href=back>{t.back_to_sign_in}</a></p>
    }
}
