//! The account page: who is signed in, changing the email, the way to the
//! security settings, and signing out.

use super::session;
use crate::api;
use crate::components::{ChangeEmail, Loading, Title};
use crate::theme::use_ui;
use leptos::prelude::*;
use portico_api_types::SessionInfo;
use portico_api_types::routes::pages;

#[component]
pub fn Home() -> impl IntoView {
    let ui = use_ui();
    let t = ui.t;
    // A change of email is confirmed with a mailed code: only offered
    // where the server sends mail.
    let mail = ui.password_reset();
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
            Some(Ok(SessionInfo {
                signed_in: true,
                email,
                name,
                email_verified,
            })) => {
                // Verify later: a new code, then the "Check your email"
                // screen for this address.
                let unverified = (mail && !email_verified).then(|| {
                    let to = email.clone().unwrap_or_default();
                    let verify = move |_| {
                        let to = to.clone();
                        leptos::task::spawn_local(async move {
                            if api::verify_email_resend().await.is_ok() {
                                let q = api::encode_segment(&to);
                                crate::navigate(&format!(
                                    "{}?email={q}",
                                    portico_api_types::routes::pages::VERIFY_EMAIL
                                ));
                            }
                        });
                    };
                    view! {
                        <p>{t.email_not_verified}" "
                            <button type="button" class="button-link" on:click=verify>{t.verify_email_button}</button>
                        </p>
                    }
                });
                // The account as shown; a confirmed change of email
                // replaces it with the server's answer.
                let name = RwSignal::new(name.unwrap_or_default());
                let email = RwSignal::new(email.unwrap_or_default());
                let changed = move |now: SessionInfo| {
                    if let Some(n) = now.name {
                        name.set(n);
                    }
                    if let Some(e) = now.email {
                        email.set(e);
                    }
                };
                view! {
                    <Title title=t.account_title/>
                    <p>{t.signed_in_as} <strong>{name}</strong> " (" {email} ")."</p>
                    {unverified}
                    {mail.then(|| view! { <div class="account-change"><ChangeEmail changed=changed/></div> })}
                    <p><a href=pages::ACCOUNT_SECURITY>{t.account.security}</a></p>
                    <button type="button" class="button-secondary" on:click=sign_out>{t.sign_out}</button>
                }
                .into_any()
            }
            Some(_) => view! {
                <Title title=t.account_title/>
                <p>{t.not_signed_in}</p>
                <p><a href=portico_api_types::routes::pages::LOGIN>{t.sign_in}</a></p>
            }
            .into_any(),
        }
    }
}
