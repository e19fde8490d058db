//! "Security" (`/account/security`): passkeys, the authenticator app and
//! recovery codes. With `?request=...` it is the enrolment an app requires
//! before the sign-in can go on.

use super::{request_info, request_param, when_loaded};
use crate::api;
use crate::components::{Heading, SecuritySettings};
use crate::switch_link;
use crate::theme::use_ui;
use leptos::either::EitherOf3;
use leptos::prelude::*;
use portico_api_types::codes;
use portico_api_types::routes::pages;

#[component]
pub fn Security() -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    let request = request_param();
    let info = request_info(request);
    let settings = LocalResource::new(api::account_security);
    when_loaded(
        move || settings.get().is_some() && info.get().is_some(),
        move || {
            let body = match settings.get() {
                Some(Ok(s)) => EitherOf3::A(view! { <SecuritySettings info=s request=request/> }),
                // Signed out: sign in, then come back here (or go on with
                // the request, which leads back here).
                Some(Err(e)) if e.error == codes::LOGIN_REQUIRED => {
                    let href = switch_link(
                        pages::LOGIN,
                        request.get_untracked(),
                        Some(pages::ACCOUNT_SECURITY.to_owned()),
                    );
                    EitherOf3::B(view! {
                        <p>{t.not_signed_in}</p>
                        <p><a href=href>{t.sign_in}</a></p>
                    })
                }
                other => EitherOf3::C(view! {
                    <div class="banner banner-error" role="alert">
                        <p>{other.and_then(Result::err).map(|e| ui.error(&e))}</p>
                    </div>
                }),
            };
            // Mid-sign-in the only way on is the app's; otherwise back to
            // the account page.
            let back = request.get_untracked().is_none().then(|| {
                view! {
                    <p class="switch"><a href=pages::ACCOUNT>{t.go_to_account}</a></p>
                }
            });
            view! {
                <Heading title=t.account.security info=info.get().flatten()/>
                {body}
                {back}
            }
        },
    )
}
